// Per-test-file helpers: a fresh database cloned from the migrated template, the real Redis (or the
// in-process stand-in), the app built from app.ts, and optionally live HTTP and realtime listeners.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../../api/src/app.js';
import { loadConfig, type Config } from '../../api/src/config.js';
import { createPool, type Db } from '../../api/src/infra/db.js';
import { connectSharedState, type SharedState } from '../../api/src/infra/shared-state.js';
import { startRealtimeServer, type RealtimeServer } from '../../api/src/realtime/server.js';
import { forwardRealtimeUpgrades } from '../../api/src/realtime/upgrade-forwarder.js';
import type { RealtimeLimits } from '../../api/src/realtime/limits.js';
import { createAuthService } from '../../api/src/modules/auth/service.js';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  shared: SharedState;
  config: Config;
  databaseUrl: string;
  /** Base URL when started with `listen: true`. */
  baseUrl: string;
  realtime?: RealtimeServer;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** `redis` (default) uses the harness's redis-server; `memory` the single-instance stand-in. */
  state?: 'redis' | 'memory';
  config?: Partial<Config>;
  /** Start real HTTP and realtime listeners on free ports. */
  listen?: boolean;
  /** Reuse an existing database (a second API instance against the same data). */
  databaseUrl?: string;
  /** Share Redis keys with another instance (same prefix). */
  redisPrefix?: string;
  /** Realtime limits to override (small caps for tests), and the transport to force. */
  realtime?: { limits?: Partial<RealtimeLimits>; transport?: 'native' | 'shim' };
}

/** Creates an empty, migrated database for one test file. */
export async function createTestDatabase(): Promise<string> {
  const templateUrl = new URL(inject('templateDatabaseUrl'));
  const template = templateUrl.pathname.slice(1);
  const name = `t_${randomUUID().replace(/-/g, '')}`;
  const adminUrl = new URL(templateUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const state = options.state ?? 'redis';
  const config = loadConfig(
    {},
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: state === 'redis' ? inject('redisUrl') : undefined,
      REDIS_PREFIX: options.redisPrefix ?? `test:${randomUUID()}:`,
      JWT_SECRET: 'test-secret-test-secret-test-secret',
      LOG_LEVEL: 'silent',
      TIKETI_SEED: 'none',
      PORT: 0,
      REALTIME_PORT: 0,
      HOST: '127.0.0.1',
      // Every test client shares 127.0.0.1: limits per address and the anti-hoarding limits are
      // off unless a test sets them (the rate-limit and hoarding tests do).
      AUTH_RATE_LIMIT_PER_IP: 1_000_000,
      AUTH_RATE_LIMIT_PER_ACCOUNT: 1_000_000,
      HOLDS_PER_IP_PER_EVENT: 0,
      HOLDS_PER_ACCOUNT_PER_MINUTE: 0,
      ...options.config,
    },
  );
  const db = createPool(databaseUrl, config.DATABASE_POOL_MAX);
  const shared = await connectSharedState(config.REDIS_URL, config.REDIS_PREFIX, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
  const authService = createAuthService(config, db);
  const app = await buildApp({ config, db, shared, logger: false, authService });
  let baseUrl = '';
  let realtime: RealtimeServer | undefined;
  if (options.listen) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    realtime = await startRealtimeServer({
      host: '127.0.0.1',
      port: 0,
      shared,
      verifyToken: authService.verifyToken,
      db,
      config,
      ...options.realtime,
    });
    forwardRealtimeUpgrades(app.server, realtime);
  } else {
    await app.ready();
  }
  return {
    app,
    db,
    shared,
    config,
    databaseUrl,
    baseUrl,
    realtime,
    async close() {
      await realtime?.close();
      await app.close();
      await db.end();
      await shared.close();
    },
  };
}

let userCounter = 0;

/** Registers a fresh user through the API and returns its token and id. */
export async function registerUser(app: FastifyInstance, overrides: { email?: string; password?: string; name?: string } = {}) {
  const email = overrides.email ?? `user${++userCounter}-${randomUUID().slice(0, 8)}@example.com`;
  const password = overrides.password ?? 'correct horse battery';
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { email, password, name: overrides.name ?? 'Test User' },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { token: string; user: { id: string; email: string } };
  return { token: body.token, userId: body.user.id, email, password };
}

/** Makes an admin through the same path `npm start` uses (TIKETI_ADMIN_EMAIL) and signs in. */
export async function createAdmin(
  t: Pick<TestApp, 'app' | 'db' | 'config'>,
  email = `admin-${randomUUID().slice(0, 8)}@example.com`,
  password = 'admin-password-1',
) {
  await createAuthService(t.config, t.db).ensureAdmin(email, password);
  const res = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  const body = res.json() as { token: string; user: { id: string } };
  return { token: body.token, userId: body.user.id, email, password };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Creates an empty database with no migrations applied (for start-up tests). */
export async function createEmptyDatabase(): Promise<string> {
  const url = new URL(inject('templateDatabaseUrl'));
  const name = `e_${randomUUID().replace(/-/g, '')}`;
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}
