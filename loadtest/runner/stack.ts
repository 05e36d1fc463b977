// The stack `npm run loadtest:smoke` runs against when LOADTEST_API_URL is unset: embedded
// PostgreSQL, redis-server, the Toss sandbox in its own process and the API as `npm start` runs it
// (api/src/server.ts in a child process), all on free loopback ports, all stopped by `stop`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../../api/src/infra/embedded-postgres.js';
import { freePort, waitFor } from '../../test/harness/ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Stack {
  apiUrls: string[];
  realtimeUrls: string[];
  sandboxUrl: string;
  databaseUrl: string;
  jwtSecret: string;
  admin: { email: string; password: string };
  api: ChildProcess[];
  stop(): Promise<void>;
}

export const STACK_JWT_SECRET = 'loadtest-secret-loadtest-secret-0123456789';

/** `instances`: API processes on one database and Redis (each its own HTTP and realtime port). */
export async function startStack(opts: { instances?: number } = {}, log: (m: string) => void = console.log): Promise<Stack> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-load-pg-'));
    chmodSync(dataDir, 0o755); // as root, lets the `postgres` user keep the data here
    // Normal durability (fsync on): the on-sale's figures are for the settings production runs.
    const pg = await startEmbeddedPostgres({ dataDir, database: 'tiketi_load' });
    cleanups.push(async () => {
      await pg.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const databaseUrl = pg.superuserUrl.replace(/\/postgres$/, '/tiketi_load');

    try {
      execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        'The load suite needs redis-server: sudo apt-get install -y redis-server (or set LOADTEST_API_URL to a running stack)',
      );
    }
    const redisPort = await freePort();
    const redis: ChildProcess = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    cleanups.push(() => void redis.kill('SIGTERM'));
    await waitFor(redisPort);

    const sandboxPort = await freePort();
    const sandbox = spawn(process.execPath, ['--import', 'tsx', 'api/src/modules/payments/sandbox/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, TOSS_SANDBOX_PORT: String(sandboxPort), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cleanups.push(() => void sandbox.kill('SIGTERM'));
    await waitFor(sandboxPort, 60_000);
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;

    const admin = { email: 'loadtest-admin@example.com', password: 'loadtest-admin-password' };
    const apiEnv = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      JWT_SECRET: STACK_JWT_SECRET,
      TIKETI_ADMIN_EMAIL: admin.email,
      TIKETI_ADMIN_PASSWORD: admin.password,
      TIKETI_SEED: 'none',
      LOG_LEVEL: 'warn',
      PAYMENTS_PROVIDER: 'sandbox',
      TOSS_API_URL: sandboxUrl,
      // Every simulated buyer comes from 127.0.0.1: per-address limits would throttle the test, not model it.
      RATE_LIMIT: 'off',
      HOLDS_PER_IP_PER_EVENT: '0',
      HOLDS_PER_ACCOUNT_PER_MINUTE: '0',
      REALTIME_MAX_CONNECTIONS_PER_IP: '1000000',
      REALTIME_MAX_MESSAGES_PER_SECOND: '100',
    };
    const api = [];
    for (let n = 0; n < Math.max(1, opts.instances ?? 1); n++) {
      const instance = await startApi(apiEnv);
      cleanups.push(() => instance.stop());
      api.push(instance);
    }
    log(
      `stack: API ${api.map((a) => a.apiUrl).join(', ')}, realtime ${api.map((a) => a.realtimeUrl).join(', ')}, sandbox ${sandboxUrl}, PostgreSQL and redis-server on loopback`,
    );
    return {
      apiUrls: api.map((a) => a.apiUrl),
      realtimeUrls: api.map((a) => a.realtimeUrl),
      sandboxUrl,
      databaseUrl,
      jwtSecret: STACK_JWT_SECRET,
      admin,
      api: api.map((a) => a.child),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The API as `npm start` runs it (api/dist/server.js with the production node flags) when it is
 * built, else from source through tsx (slower to start: it compiles the API first). Resolves once
 * GET /ready answers; killed if it is not ready within three minutes.
 */
async function startApi(env: Record<string, string>) {
  const port = await freePort();
  const realtimePort = await freePort();
  const built = existsSync(path.join(ROOT, 'api/dist/server.js')) && process.env.LOADTEST_API_FROM_SOURCE !== '1';
  const args = built ? ['--max-semi-space-size=32', 'api/dist/server.js'] : ['--import', 'tsx', 'api/src/server.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), REALTIME_PORT: String(realtimePort), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let ready = false;
  // Before ready: kept for the error; after: its warnings and errors (LOG_LEVEL=warn) go to our stderr.
  const onData = (c: Buffer) => {
    if (ready) process.stderr.write(`[api] ${c.toString('utf8')}`);
    else if (lines.length < 200) lines.push(c.toString('utf8'));
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    // LOG_LEVEL=warn hides the "ready" line: poll GET /ready (PostgreSQL and Redis reachable) instead.
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`API exited before ready:\n${lines.join('')}`);
      if (Date.now() > deadline) throw new Error(`API not ready after 180 s:\n${lines.join('')}`);
      if (
        await fetch(`http://127.0.0.1:${port}/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitFor(realtimePort, 30_000);
    ready = true;
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, apiUrl: `http://127.0.0.1:${port}`, realtimeUrl: `ws://127.0.0.1:${realtimePort}`, stop };
}
