// Entry point: configuration, embedded or external PostgreSQL, migrations, seed, HTTP and realtime
// listeners, graceful shutdown. The app itself is assembled in app.ts.
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Gauge } from 'prom-client';
import { buildApp } from './app.js';
import { loadConfig, rolesOf, unsafeConfiguration } from './config.js';
import { createPool, type Db } from './infra/db.js';
import type { EmbeddedDatabase } from './infra/embedded-postgres.js';
import { assertPortFree, PortInUseError, StartupError } from './infra/ports.js';
import { migrateUp } from './infra/migrate.js';
import { connectSharedState, type SharedState } from './infra/shared-state.js';
import { collectStartupGarbage } from './infra/startup-gc.js';
import { developmentJwtSecret, prepareDatabase } from './startup.js';
import { createAuthService } from './modules/auth/service.js';
import { startRealtimeServer, uwsChoice, type RealtimeServer } from './realtime/server.js';
import { forwardRealtimeUpgrades } from './realtime/upgrade-forwarder.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(78); // EX_CONFIG
}
// Production refuses to start unsafe (a public secret, no database): one line per reason.
const refusals = unsafeConfiguration(config);
if (refusals.length > 0) {
  for (const line of refusals) console.error(`Refusing to start: ${line}`);
  process.exit(78);
}

const logOptions = {
  level: config.LOG_LEVEL,
  // Secrets never reach logs, whichever field they hide in.
  redact: {
    paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.secret', '*.idToken'],
    censor: '[redacted]',
  },
};
const log = pino(logOptions);
if (!config.JWT_SECRET) config = { ...config, JWT_SECRET: await developmentJwtSecret(config.TIKETI_DATA_DIR, log) };

// What has started so far, stopped in reverse order on shutdown or when the start fails half-way.
let embedded: EmbeddedDatabase | undefined;
let db: Db | undefined;
let shared: SharedState | undefined;
let app: FastifyInstance | undefined;
let realtime: RealtimeServer | undefined;

async function stopAll(): Promise<void> {
  // Stop accepting on both listeners; the realtime channel closes its sockets with 1001 (going
  // away); Fastify lets in-flight requests finish (a body still arriving included), then runs its
  // onClose hooks (the sweeper). Only then the pools, Redis and PostgreSQL go.
  // Node closes the connections that are idle when closing starts, not those that become idle when
  // their in-flight request ends (they answered keep-alive): close those as they go idle.
  const closeIdle = setInterval(() => app?.server.closeIdleConnections(), 100);
  try {
    await Promise.all([realtime?.close(), app?.close()]);
  } finally {
    clearInterval(closeIdle);
  }
  await db?.end();
  await shared?.close();
  await embedded?.stop();
}

// Installed before anything starts, so a SIGTERM during migrations also stops embedded PostgreSQL.
closeWithGrace(
  {
    delay: config.SHUTDOWN_TIMEOUT_MS,
    logger: false,
    onTimeout: (delay) => log.error({ timeoutMs: delay }, 'shutdown did not finish within SHUTDOWN_TIMEOUT_MS: exiting'),
  },
  async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down: draining requests and connections');
    await stopAll();
    if (!err) log.info('shut down cleanly');
  },
);

/** One line naming what is wrong (a port in use and the variable that sets it, …), then exit 1. */
async function failStart(err: unknown): Promise<never> {
  if (err instanceof StartupError) console.error(`TIKETI cannot start: ${err.message}`);
  else log.fatal({ err }, 'start failed');
  await stopAll().catch(() => {});
  process.exit(1);
}

try {
  // Ports first, so a taken one is named before minutes of start-up (PORT=0 / REALTIME_PORT=0 = any).
  if (config.PORT) await assertPortFree(config.PORT, 'PORT', config.HOST);
  if (config.REALTIME_PORT) await assertPortFree(config.REALTIME_PORT, 'REALTIME_PORT', config.HOST);

  if (!config.DATABASE_URL) {
    log.info(
      { dataDir: config.TIKETI_DATA_DIR, port: config.EMBEDDED_PG_PORT ?? 'a free port' },
      'DATABASE_URL unset: starting embedded PostgreSQL',
    );
    // Loaded only here: production images leave the package out (it is a development dependency).
    const { startEmbeddedPostgres } = await import('./infra/embedded-postgres.js');
    embedded = await startEmbeddedPostgres({
      dataDir: config.TIKETI_DATA_DIR,
      port: config.EMBEDDED_PG_PORT,
      log: (m) => log.warn(m),
    });
    log.info({ port: embedded.port, pgdata: embedded.pgdata }, 'embedded PostgreSQL ready (application role, not a superuser)');
  }
  const databaseUrl = config.DATABASE_URL ?? embedded!.url;
  await migrateUp(databaseUrl, (m) => log.info(m));

  db = createPool(databaseUrl, config.DATABASE_POOL_MAX);
  shared = await connectSharedState(config.REDIS_URL, config.REDIS_PREFIX, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
  if (shared.kind === 'memory') {
    log.warn('REDIS_URL unset: single-instance mode with in-process queue, fan-out, idempotency and rate limits');
  } else {
    log.info('Redis connected: queue, fan-out, idempotency and rate limits are shared across instances');
  }

  // One auth service for the process: the API, start-up and the realtime channel share its token cache.
  const authService = createAuthService(config, db);
  app = await buildApp({ config, db, shared, logger: logOptions, authService });
  await prepareDatabase(config, db, authService, log);

  // Slow clients cannot hold connections open forever: headers, the whole request and idle
  // keep-alive each have a bound. Node checks the first two on an interval (30 s by default),
  // read when the server starts listening; 1 s keeps the bounds close to what is configured.
  app.server.headersTimeout = config.REQUEST_TIMEOUT_MS
    ? Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS)
    : config.HEADERS_TIMEOUT_MS;
  app.server.requestTimeout = config.REQUEST_TIMEOUT_MS;
  app.server.keepAliveTimeout = config.KEEP_ALIVE_TIMEOUT_MS;
  (app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 1000;

  // The schemas are compiled on ready; their garbage goes before the first request (startup-gc.ts).
  await app.ready();
  collectStartupGarbage();
  // TIKETI_ROLES: a process without `http` serves no API (its admitter and sweeper still run, on ready).
  const roles = rolesOf(config);
  if (roles.has('http')) {
    try {
      await app.listen({ host: config.HOST, port: config.PORT });
    } catch (err) {
      throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(config.PORT, 'PORT') : err;
    }
  }
  if (roles.has('realtime')) {
    try {
      realtime = await startRealtimeServer({
        host: config.HOST,
        port: config.REALTIME_PORT,
        shared,
        verifyToken: authService.verifyToken,
        db,
        config,
      });
    } catch (err) {
      // uWebSockets.js gives no reason when listen fails; a taken port is the usual one.
      if (config.REALTIME_PORT) await assertPortFree(config.REALTIME_PORT, 'REALTIME_PORT', config.HOST);
      throw err;
    }
    if (roles.has('http')) forwardRealtimeUpgrades(app.server, realtime);
    const channel = realtime;
    new Gauge({
      name: 'tiketi_realtime_connections',
      help: 'Open realtime sockets of this process (upgrades being authenticated included)',
      registers: [app.metrics],
      collect() {
        this.set(channel.connections);
      },
    });
    // Which uWebSockets.js build runs, and whether it is the one this Node and C library should run.
    const { loaded, expected, reason, version, error } = uwsChoice;
    const where = { transport: realtime.transport, build: loaded, expected, version, port: realtime.port };
    if (loaded !== expected) {
      log.error({ ...where, reason, error }, `realtime channel NOT on the expected uWebSockets.js build (${expected}): running ${loaded}`);
    } else if (realtime.transport === 'native') {
      log.info(where, `realtime channel on uWebSockets.js ${version} (native build, ${loaded})`);
    } else {
      log.warn(
        { ...where, reason },
        'realtime channel on uWebSockets.js fallback, the ws shim (no native build for this Node and C library, or UWS_USE_FALLBACK set): slower',
      );
    }
  }
  const base = `http://localhost:${config.PORT}`;
  log.info(
    { roles: [...roles] },
    `TIKETI ready: API ${base}/v1  docs ${base}/docs  realtime ws://localhost:${realtime?.port ?? config.REALTIME_PORT}/v1/realtime (also ws://localhost:${config.PORT}/v1/realtime)`,
  );
} catch (err) {
  await failStart(err);
}
