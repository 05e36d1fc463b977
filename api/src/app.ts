import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import { rolesOf, type Config } from './config.js';
import type { Db } from './infra/db.js';
import type { SharedState } from './infra/shared-state.js';
import { createCounters } from './infra/counters.js';
import { corsPlugin } from './plugins/cors.js';
import { clientErrorHandler, errorsPlugin, frameworkErrorHandler, setResponseHeaders } from './plugins/errors.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { metricsPlugin } from './plugins/metrics.js';
import { rateLimitPlugin, trustProxyOption } from './plugins/rate-limit.js';
import { openapiDocument } from './openapi.js';
import { authPlugin } from './modules/auth/plugin.js';
import { authRoutes } from './modules/auth/routes.js';
import { createAuthService, type AuthService } from './modules/auth/service.js';
import { opsRoutes } from './modules/ops/routes.js';
import { CATALOG_CHANNEL, createCatalogReads } from './modules/catalog/read-cache.js';
import { catalogRoutes } from './modules/catalog/routes.js';
import { createCatalogService } from './modules/catalog/service.js';
import { inventoryRoutes } from './modules/inventory/routes.js';
import { createAvailabilityAnnouncer } from './modules/inventory/availability.js';
import { createInventoryService } from './modules/inventory/service.js';
import { createSweeper } from './modules/inventory/sweeper.js';
import { createPaymentsModule } from './modules/payments/module.js';
import { paymentOutageHeaders, paymentsRoutes } from './modules/payments/routes.js';
import { tossSandboxRoutes } from './modules/payments/sandbox/toss-sandbox.js';
import { createQueue, queueRoutes } from './modules/queue/index.js';
import { SeatViews, seatChangeFromBus } from './modules/inventory/seat-views.js';
import { REALTIME_CHANNEL, createRealtimePublisher, type RealtimePublisher } from './realtime/bus.js';
import { realtimeTicketRoutes } from './modules/realtime-tickets/routes.js';
import { createRealtimeTicketService } from './modules/realtime-tickets/service.js';
import { createStatsRefresher } from './modules/stats/refresher.js';
import { statsRoutes } from './modules/stats/routes.js';
import { createStatsService } from './modules/stats/service.js';
import { jsonBodies, validatorCompilers } from './validation.js';
import { addBodyProblems } from './schemas.js';

export interface AppDeps {
  config: Config;
  db: Db;
  shared: SharedState;
  /** pino options or `false`; server.ts passes its logger settings, tests usually silence it. */
  logger?: FastifyServerOptions['logger'];
  /** The process's auth service, when start-up and the realtime channel share it; made here otherwise. */
  authService?: AuthService;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Request body limits. Every body is small JSON except news text and seat layouts, which set their
// own; auth bodies are a few hundred bytes, so a 1 MB login body is refused from Content-Length
// alone, before a byte is parsed.
const DEFAULT_BODY_LIMIT = 64 * 1024;
const AUTH_BODY_LIMIT = 8 * 1024;

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
    // Toss payment keys run to 200 characters; longer path segments answer 414 URI_TOO_LONG.
    routerOptions: { maxParamLength: 256 },
    bodyLimit: 1_048_576, // the most any route allows; DEFAULT_BODY_LIMIT applies unless a route says otherwise
    schemaController: validatorCompilers(),
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names (off by default).
    trustProxy: trustProxyOption(config.TRUST_PROXY),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', (request, reply, done) => {
    setResponseHeaders(request, reply);
    done();
  });
  // Request bodies are JSON only: without this, Fastify's built-in text/plain parser let a plain-text
  // body reach validation as a string (400 instead of 415).
  app.removeContentTypeParser('text/plain');
  jsonBodies(app);
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= route.url.startsWith('/v1/auth/') ? AUTH_BODY_LIMIT : DEFAULT_BODY_LIMIT;
    if (route.schema?.body && route.schema.response) addBodyProblems(route.schema.response as Record<string, TSchema>);
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
  const authService = deps.authService ?? createAuthService(config, db);
  await app.register(authPlugin, { service: authService });
  // Rate limits and hold limits count through Redis when there is one, per instance otherwise.
  const counters = createCounters({
    redis: shared.redis,
    prefix: `${config.REDIS_PREFIX}rl:`,
    onRedisError: (err) => app.log.warn({ err }, 'rate-limit counters: Redis failed, counting per instance for now'),
  });
  if (config.RATE_LIMIT === 'on') await app.register(rateLimitPlugin, { config, counters });
  await app.register(idempotencyPlugin, {
    shared,
    prefix: config.REDIS_PREFIX,
    maxPerOwner: config.IDEMPOTENCY_MAX_KEYS_PER_USER,
    localMax: config.IDEMPOTENCY_LOCAL_MAX,
  });

  await app.register(opsRoutes, { db, shared, config });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // In production the reference is read-only unless DOCS_TRY_IT_OUT=true: no requests from /docs.
  const tryItOut = config.DOCS_TRY_IT_OUT ?? config.NODE_ENV !== 'production';
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, tryItOutEnabled: tryItOut, ...(tryItOut ? {} : { supportedSubmitMethods: [] }) },
  });

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
  // Drops cached reads of an event here and, over the bus, on every other instance.
  const eventChanged = (eventId: string) => {
    catalogReads.invalidate(eventId);
    shared.publish(CATALOG_CHANNEL, eventId).catch((err: unknown) => app.log.error({ err }, 'catalog change publish failed'));
  };
  // One per process: general-admission changes from holds, refunds and the catalog coalesce.
  const availability = createAvailabilityAnnouncer(db, publisher, (err, msg) => app.log.error({ err }, msg));
  const catalogService = createCatalogService(db, {
    onEventChanged: eventChanged,
    onGeneralAdmissionChanged: (eventId) => availability.changed([eventId]),
  });

  const payments = createPaymentsModule({
    config,
    db,
    publisher,
    availability,
    registry: app.metrics,
    server: app.server,
    log: (err, msg) => app.log.error({ err }, msg),
    warn: (msg) => app.log.warn(msg),
    // A completed purchase ends the buyer's waiting-room admission, so the next in line gets the slot.
    onPurchased: (eventId, userId) => queue.service.endAdmission(eventId, userId),
  });
  // The Toss-compatible sandbox, on this port, only when it is the provider (never with real Toss).
  if (payments.sandbox) await app.register(tossSandboxRoutes, { prefix: '/sandbox/toss', sandbox: payments.sandbox });
  await app.register(paymentOutageHeaders);

  const inventoryService = createInventoryService({
    config,
    db,
    publisher,
    availability,
    counters,
    log: (err, msg) => app.log.error({ err }, msg),
    payments: payments.service,
    onEventChanged: eventChanged,
  });
  const queue = await createQueue({
    config,
    db,
    shared,
    publisher,
    registry: app.metrics,
    log: (err, msg) => app.log.error({ err }, msg),
  });
  // Background work runs only in processes with its role (TIKETI_ROLES).
  const roles = rolesOf(config);
  const sweeper = createSweeper(inventoryService, config.SWEEP_INTERVAL_MS, (err) => app.log.error({ err }, 'inventory sweep failed'));
  // Event cancellations continue in the background (refunds one by one through the provider).
  const cancellations = createSweeper({ sweepOnce: () => inventoryService.continueCancellations() }, 5000, (err) =>
    app.log.error({ err }, 'event cancellation pass failed'),
  );
  const statsService = createStatsService({
    db,
    timeZone: config.STATS_TIME_ZONE,
    registry: app.metrics,
    queueLines: () => queue.service.lineStats(),
  });
  const statsRefresher = createStatsRefresher(
    statsService,
    { intervalMs: config.STATS_REFRESH_INTERVAL_MS, dailyDays: config.STATS_DAILY_CACHE_DAYS },
    (err) => app.log.error({ err }, 'stats cache refresh failed'),
  );
  // Payment reconciliation and the stats caches are background work of the sweeper role too.
  for (const [role, worker] of [
    ['sweeper', sweeper],
    ['sweeper', payments],
    ['sweeper', statsRefresher],
    ['sweeper', cancellations],
    ['admitter', queue.admitter],
  ] as const) {
    if (!roles.has(role)) continue;
    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => worker.stop());
  }

  await app.register(
    async (v1) => {
      await v1.register(authRoutes, { service: authService });
      await v1.register(catalogRoutes, { service: catalogService, reads: catalogReads });
      await v1.register(inventoryRoutes, { service: inventoryService, config, queue: queue.service, views: seatViews });
      await v1.register(realtimeTicketRoutes, {
        service: createRealtimeTicketService({
          shared,
          ttlSeconds: config.REALTIME_TICKET_TTL_SECONDS,
          publicUrl: config.PUBLIC_REALTIME_URL,
        }),
        ttlSeconds: config.REALTIME_TICKET_TTL_SECONDS,
      });
      await v1.register(paymentsRoutes, { service: payments.service });
      await v1.register(queueRoutes, { service: queue.service });
      await v1.register(statsRoutes, { service: statsService });
    },
    { prefix: '/v1' },
  );

  return app;
}
