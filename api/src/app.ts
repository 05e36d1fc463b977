import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { Db } from './infra/db.js';
import type { SharedState } from './infra/shared-state.js';
import { corsPlugin } from './plugins/cors.js';
import { errorsPlugin } from './plugins/errors.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openapiDocument } from './openapi.js';
import { authPlugin } from './modules/auth/plugin.js';
import { authRoutes } from './modules/auth/routes.js';
import { createAuthService, type AuthService } from './modules/auth/service.js';
import { opsRoutes } from './modules/ops/routes.js';
import { CATALOG_CHANNEL, createCatalogReads } from './modules/catalog/read-cache.js';
import { catalogRoutes } from './modules/catalog/routes.js';
import { createCatalogService } from './modules/catalog/service.js';
import { inventoryRoutes } from './modules/inventory/routes.js';
import { createInventoryService, type HoldStrategy } from './modules/inventory/service.js';
import { createSweeper } from './modules/inventory/sweeper.js';
import { SeatViews, seatChangeFromBus } from './modules/inventory/seat-views.js';
import { REALTIME_CHANNEL, createRealtimePublisher, type RealtimePublisher } from './realtime/bus.js';

export interface AppDeps {
  config: Config;
  db: Db;
  shared: SharedState;
  /** pino options or `false`; server.ts passes its logger settings, tests usually silence it. */
  logger?: FastifyServerOptions['logger'];
  /** Benchmark only (loadtest/bench-holds.ts): `naive-baseline` to measure against. Never set in production. */
  holdStrategy?: HoldStrategy;
  /** The process's auth service, when start-up and the realtime channel share it; made here otherwise. */
  authService?: AuthService;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// The security headers that matter for a JSON API, set once per request. @fastify/helmet computes
// them per request and cost 40 % of GET /health's throughput here (6,970 → 4,160 req/s, autocannon,
// 50 connections), so we set the fixed set ourselves, in a synchronous hook (an async one cost
// ~7 µs of API CPU per request). helmet's X-DNS-Prefetch-Control, X-Download-Options and
// X-Permitted-Cross-Domain-Policies are left out: they concern HTML pages in browsers (and IE8 and
// Flash), and each header costs every response. /docs needs inline scripts, hence no CSP.
const SECURITY_HEADERS = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
  ['cross-origin-resource-policy', 'cross-origin'],
] as const;

/** Assembles the API. Tests build this directly; server.ts adds listening and shutdown. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, shared } = deps;
  const app = Fastify({
    logger: deps.logger ?? false,
    // Accept the caller's X-Request-Id when it is sane, otherwise make one; pino logs it as reqId.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1_048_576,
    ajv: {
      // Unknown fields are an error, not silently dropped.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
    trustProxy: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    for (const [name, value] of SECURITY_HEADERS) reply.header(name, value);
    done();
  });

  await app.register(errorsPlugin);
  await app.register(swagger, {
    openapi: openapiDocument(config),
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(corsPlugin, {
    origins: config.CORS_ORIGINS === '*' ? '*' : config.CORS_ORIGINS.split(',').map((o) => o.trim()),
    exposedHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
    maxAgeSeconds: 600,
  });
  await app.register(metricsPlugin, { db });
  if (config.RATE_LIMIT === 'on') {
    await app.register(rateLimit, {
      // Applied below as an app-wide onRequest hook rather than per route, so it runs before the
      // routes' own auth hooks: unauthenticated floods are limited too.
      global: false,
      max: config.RATE_LIMIT_MAX,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      // Shared across instances through Redis; per process otherwise.
      ...(shared.redis ? { redis: shared.redis, nameSpace: `${config.REDIS_PREFIX}rl:` } : {}),
      // A signed-in caller is limited per credential, anyone else per IP.
      keyGenerator: (request) => request.headers.authorization?.slice(-24) ?? request.ip,
      allowList: (request) => ['/health', '/ready', '/metrics'].includes(request.url),
      enableDraftSpec: true,
      errorResponseBuilder: (_request, context) => {
        const err = new Error(`Rate limit exceeded, retry in ${context.after}`) as Error & { statusCode: number };
        err.statusCode = 429;
        return err;
      },
    });
    app.addHook('onRequest', app.rateLimit());
  }

  const authService = deps.authService ?? createAuthService(config, db);
  await app.register(authPlugin, { service: authService });
  await app.register(idempotencyPlugin, { shared });

  await app.register(opsRoutes, { db, shared });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, tryItOutEnabled: true } });

  // The read path (issue 11): seat maps and event details from memory, kept current by the seat
  // changes every instance receives, and by this instance's own as it publishes them (so a caller
  // reads its own write); catalog changes drop what they touch, here and on every instance.
  const seatViews = new SeatViews({ db, maxBytes: config.READ_CACHE_MB * 1024 * 1024 });
  seatViews.register(app.metrics);
  const catalogReads = createCatalogReads({ db, seatViews });
  await shared.subscribe(REALTIME_CHANNEL, (raw) => {
    const change = seatChangeFromBus(raw);
    if (change) seatViews.receive(change);
  });
  await shared.subscribe(CATALOG_CHANNEL, (eventId) => catalogReads.invalidate(eventId));
  const busPublisher = createRealtimePublisher(shared);
  const publisher: RealtimePublisher = {
    ...busPublisher,
    seatsChanged(eventId, type, seatIds, version) {
      seatViews.receive({ eventId, type, seatIds, version });
      return busPublisher.seatsChanged(eventId, type, seatIds, version);
    },
  };
  const catalogService = createCatalogService(db, {
    onEventChanged: (eventId) => {
      catalogReads.invalidate(eventId);
      shared.publish(CATALOG_CHANNEL, eventId).catch((err: unknown) => app.log.error({ err }, 'catalog change publish failed'));
    },
  });

  const inventoryService = createInventoryService({
    config,
    db,
    publisher,
    holdStrategy: deps.holdStrategy,
    log: (err, msg) => app.log.error({ err }, msg),
  });
  const sweeper = createSweeper(inventoryService, config.SWEEP_INTERVAL_MS, (err) => app.log.error({ err }, 'inventory sweep failed'));
  app.addHook('onReady', async () => sweeper.start());
  app.addHook('onClose', async () => sweeper.stop());

  await app.register(
    async (v1) => {
      await v1.register(authRoutes, { service: authService });
      await v1.register(catalogRoutes, { service: catalogService, reads: catalogReads });
      await v1.register(inventoryRoutes, { service: inventoryService, config, views: seatViews });
    },
    { prefix: '/v1' },
  );

  return app;
}
