import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { rolesOf, type Config } from './config.js';
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
import { catalogRoutes } from './modules/catalog/routes.js';
import { createCatalogService } from './modules/catalog/service.js';
import { inventoryRoutes } from './modules/inventory/routes.js';
import { createInventoryService, type HoldStrategy } from './modules/inventory/service.js';
import { createSweeper } from './modules/inventory/sweeper.js';
import { createQueue, queueRoutes } from './modules/queue/index.js';
import { createRealtimePublisher } from './realtime/bus.js';

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

  const inventoryService = createInventoryService({
    config,
    db,
    publisher: createRealtimePublisher(shared),
    holdStrategy: deps.holdStrategy,
    log: (err, msg) => app.log.error({ err }, msg),
  });
  const queue = await createQueue({
    config,
    db,
    shared,
    publisher: createRealtimePublisher(shared),
    registry: app.metrics,
    log: (err, msg) => app.log.error({ err }, msg),
  });
  // Background work runs only in processes with its role (TIKETI_ROLES).
  const roles = rolesOf(config);
  const sweeper = createSweeper(inventoryService, config.SWEEP_INTERVAL_MS, (err) => app.log.error({ err }, 'inventory sweep failed'));
  for (const [role, worker] of [
    ['sweeper', sweeper],
    ['admitter', queue.admitter],
  ] as const) {
    if (!roles.has(role)) continue;
    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => worker.stop());
  }

  await app.register(
    async (v1) => {
      await v1.register(authRoutes, { service: authService });
      await v1.register(catalogRoutes, { service: createCatalogService(db) });
      await v1.register(inventoryRoutes, { service: inventoryService, config, queue: queue.service });
      await v1.register(queueRoutes, { service: queue.service });
    },
    { prefix: '/v1' },
  );

  return app;
}
