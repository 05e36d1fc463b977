// Entry point: configuration, embedded or external PostgreSQL, migrations, seed, HTTP and realtime
// listeners, graceful shutdown. The app itself is assembled in app.ts.
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { buildApp } from './app.js';
import { loadConfig, rolesOf } from './config.js';
import { createPool } from './infra/db.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './infra/embedded-postgres.js';
import { migrateUp } from './infra/migrate.js';
import { connectSharedState } from './infra/shared-state.js';
import { prepareDatabase } from './startup.js';
import { createAuthService } from './modules/auth/service.js';
import { startRealtimeServer } from './realtime/server.js';
import { forwardRealtimeUpgrades } from './realtime/upgrade-forwarder.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(78); // EX_CONFIG
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

let embedded: EmbeddedDatabase | undefined;
if (!config.DATABASE_URL) {
  log.info({ dataDir: config.TIKETI_DATA_DIR, port: config.EMBEDDED_PG_PORT }, 'DATABASE_URL unset: starting embedded PostgreSQL');
  embedded = await startEmbeddedPostgres({ dataDir: config.TIKETI_DATA_DIR, port: config.EMBEDDED_PG_PORT, log: (m) => log.warn(m) });
}
const databaseUrl = config.DATABASE_URL ?? embedded!.url;
await migrateUp(databaseUrl, (m) => log.info(m));

const db = createPool(databaseUrl, config.DATABASE_POOL_MAX);
const shared = await connectSharedState(config.REDIS_URL, config.REDIS_PREFIX);
if (shared.kind === 'memory') {
  log.warn('REDIS_URL unset: single-instance mode with in-process queue, fan-out, idempotency and rate limits');
} else {
  log.info('Redis connected: queue, fan-out, idempotency and rate limits are shared across instances');
}

// One auth service for the process: the API, start-up and the realtime channel share its token cache.
const authService = createAuthService(config, db);
const app = await buildApp({ config, db, shared, logger: logOptions, authService });
await prepareDatabase(config, db, authService, log);

// TIKETI_ROLES: a process without `http` serves no API (its admitter and sweeper still run, on ready).
const roles = rolesOf(config);
if (roles.has('http')) await app.listen({ host: config.HOST, port: config.PORT });
else await app.ready();
const realtime = roles.has('realtime')
  ? await startRealtimeServer({ host: config.HOST, port: config.REALTIME_PORT, shared, verifyToken: authService.verifyToken })
  : undefined;
if (realtime && roles.has('http')) forwardRealtimeUpgrades(app.server, realtime.port);
if (realtime) {
  log.info(
    { transport: realtime.transport, port: realtime.port },
    `realtime channel on uWebSockets.js (${realtime.transport === 'native' ? 'native build' : 'ws shim fallback'})`,
  );
}
const base = `http://localhost:${config.PORT}`;
log.info(
  { roles: [...roles] },
  `TIKETI ready: API ${base}/v1  docs ${base}/docs  realtime ws://localhost:${realtime?.port ?? config.REALTIME_PORT}/v1/realtime (also ws://localhost:${config.PORT}/v1/realtime)`,
);

closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error');
  else log.info({ signal }, 'shutting down');
  await realtime?.close();
  await app.close(); // drains HTTP and runs onClose hooks (sweepers)
  await db.end();
  await shared.close();
  await embedded?.stop();
});
