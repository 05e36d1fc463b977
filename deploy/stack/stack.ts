// The load-balanced stack on one machine (npm run stack, and deploy/test/stack.test.ts): embedded
// PostgreSQL, redis-server, the Toss sandbox, one worker process (admitter, sweeper, payment
// reconciliation: the k8s tiketi-worker), N API processes (http + realtime, each on its own two
// ports: the k8s tiketi-api/tiketi-realtime pods) and HAProxy in front, as the Ingress is.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../api/src/infra/embedded-postgres.js';
import { migrateUp } from '../../api/src/infra/migrate.js';
import { createTossSandbox, tossSandboxRoutes, type TossSandbox } from '../../api/src/modules/payments/sandbox/toss-sandbox.js';
import { developmentJwtSecret, DEV_ADMIN } from '../../api/src/startup.js';
import { findHaproxy, haproxyConfig, haproxyServerStates, haproxyStats } from './haproxy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface StackOptions {
  /** API instances behind the load balancer (default 2). */
  instances?: number;
  /** The load balancer's port (0 = a free one). */
  port?: number;
  /** Embedded PostgreSQL's data, the JWT secret, haproxy.cfg and the processes' logs. */
  dataDir: string;
  /** Tests: PostgreSQL without fsync. */
  fastPostgres?: boolean;
  /** Install HAProxy with apt-get when missing and running as root. */
  installHaproxy?: boolean;
  /** Extra settings for every TIKETI process (over the stack's defaults, under nothing). */
  env?: Record<string, string | undefined>;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface StackProcess {
  name: string;
  roles: string;
  httpPort: number;
  realtimePort: number;
  child: ChildProcess;
  /** Its log lines so far (also in dataDir/logs/<name>.log). */
  lines: string[];
  exited: Promise<number | null>;
  /** Sends a signal; resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface Stack {
  /** The load balancer: the one URL clients use (API, /v1/realtime WebSockets, /sandbox/toss). */
  url: string;
  statsUrl: string;
  /** The application's PostgreSQL connection (what the API uses). */
  databaseUrl: string;
  redisUrl: string;
  /** The admin every instance ensures (TIKETI_ADMIN_EMAIL/PASSWORD, default the development admin). */
  admin: { email: string; password: string };
  /** What signs every instance's tokens (kept in dataDir/jwt-secret). */
  jwtSecret: string;
  sandbox: TossSandbox;
  api: StackProcess[];
  worker: StackProcess;
  /** `${backend}/${server}` → UP / DOWN / … as HAProxy sees them now. */
  serverStates(): Promise<Map<string, string>>;
  /** HAProxy's stats rows (pxname, svname, status, stot: sessions so far, …). */
  stats(): Promise<Array<Record<string, string>>>;
  /** Resolves once HAProxy sees every named API instance in `state` in both backends. */
  waitForServers(names: string[], state: 'UP' | 'DOWN'): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await portOpen(port)) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function which(bin: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`the stack needs ${bin}: install it with \`sudo apt-get install -y ${bin}\``);
  }
}

/** Runs one TIKETI process (the real entry point, from source, as the test harness does). */
async function startTiketi(
  name: string,
  roles: string,
  env: Record<string, string | undefined>,
  logDir: string,
  readyTimeoutMs = 180_000,
): Promise<StackProcess> {
  const httpPort = await freePort();
  const realtimePort = await freePort();
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    ...env,
    HOST: '127.0.0.1',
    PORT: String(httpPort),
    REALTIME_PORT: String(realtimePort),
    TIKETI_ROLES: roles,
  })) {
    if (v !== undefined) childEnv[k] = v;
  }
  const child = spawn(process.execPath, ['--max-semi-space-size=32', '--import', 'tsx', 'api/src/server.ts'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => file.end());
  const onData = (chunk: Buffer) => {
    file.write(chunk);
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      lines.push(line);
      if (lines.length > 5000) lines.splice(0, 1000);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // Ready when /ready answers 200 and, with the realtime role, the realtime listener (started after
  // the API's) accepts connections: whatever LOG_LEVEL says.
  const until = Date.now() + readyTimeoutMs;
  let stopped = false;
  void exited.then(() => (stopped = true));
  for (;;) {
    if (stopped) throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode} before ready:\n${lines.slice(-20).join('\n')}`);
    if (Date.now() > until) throw new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
    const ready = await fetch(`http://127.0.0.1:${httpPort}/ready`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready && (!roles.includes('realtime') || (await portOpen(realtimePort)))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    name,
    roles,
    httpPort,
    realtimePort,
    child,
    lines,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Starts everything; on a failure half-way, stops what had started and rethrows. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const count = opts.instances ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new Error(`instances must be a whole number of at least 1 (got ${count})`);
  const dataDir = path.resolve(opts.dataDir);
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // Checked first: no point starting PostgreSQL without a load balancer.
  const haproxyBin = findHaproxy({ install: opts.installHaproxy, log });
  const redisBin = which('redis-server');

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    log('starting embedded PostgreSQL');
    const pg: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, fast: opts.fastPostgres, log });
    stops.push(() => pg.stop());
    await migrateUp(pg.url);

    const redisPort = await freePort();
    const redis = spawn(redisBin, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const redisExited = new Promise<void>((resolve) => redis.once('exit', () => resolve()));
    stops.push(async () => {
      redis.kill('SIGTERM');
      await redisExited;
    });
    await waitForPort(redisPort);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    log(`redis-server on ${redisUrl}`);

    const port = opts.port || (await freePort());
    const url = `http://127.0.0.1:${port}`;

    // One sandbox for every instance (each instance's own would not know the others' charges),
    // served under /sandbox/toss as a single API serves its own, and through the load balancer.
    const sandbox = createTossSandbox({ publicUrl: `${url}/sandbox/toss` });
    const sandboxApp = Fastify({ logger: false });
    await sandboxApp.register(tossSandboxRoutes, { prefix: '/sandbox/toss', sandbox });
    await sandboxApp.listen({ host: '127.0.0.1', port: 0 });
    stops.push(() => sandboxApp.close());
    const sandboxPort = (sandboxApp.server.address() as net.AddressInfo).port;

    const jwtSecret = await developmentJwtSecret(dataDir, { info: () => {}, warn: (o: unknown, m?: string) => log(m ?? String(o)) });
    // Every client reaches the instances from 127.0.0.1 through HAProxy, so per-address limits would
    // throttle a whole load test as one client: off unless set (RATE_LIMIT=on to try them).
    const env: Record<string, string | undefined> = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      RATE_LIMIT: 'off',
      HOLDS_PER_IP_PER_EVENT: '0',
      TIKETI_ADMIN_EMAIL: DEV_ADMIN.email,
      TIKETI_ADMIN_PASSWORD: DEV_ADMIN.password,
      ...pick(process.env, [
        'NODE_ENV',
        'LOG_LEVEL',
        'RATE_LIMIT',
        'HOLDS_PER_IP_PER_EVENT',
        'TIKETI_ADMIN_EMAIL',
        'TIKETI_ADMIN_PASSWORD',
      ]),
      ...opts.env,
      DATABASE_URL: pg.url,
      REDIS_URL: redisUrl,
      JWT_SECRET: jwtSecret,
      PAYMENTS_PROVIDER: 'sandbox',
      TOSS_API_URL: `http://127.0.0.1:${sandboxPort}/sandbox/toss`,
      PUBLIC_URL: url,
      PUBLIC_REALTIME_URL: url.replace('http', 'ws'),
      // HAProxy is the one proxy in front: its X-Forwarded-For names the client.
      TRUST_PROXY: '127.0.0.1',
      REALTIME_TRUSTED_PROXY_HOPS: '1',
    };

    // The worker first: it loads the sample catalog (unless TIKETI_SEED=none) and ensures the admin,
    // so the API instances start on a prepared database without racing for it.
    log('starting the worker (admitter, sweeper, payment reconciliation)');
    const worker = await startTiketi('worker', 'http,admitter,sweeper', env, logDir);
    stops.push(() => worker.kill('SIGTERM'));
    log(`starting ${count} API instance(s) (http, realtime)`);
    const api = await Promise.all(
      Array.from({ length: count }, (_, i) => startTiketi(`api-${i + 1}`, 'http,realtime', { ...env, TIKETI_SEED: 'none' }, logDir)),
    );
    for (const instance of api) stops.push(() => instance.kill('SIGTERM'));

    const statsPort = await freePort();
    const cfg = path.join(dataDir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      haproxyConfig({
        port,
        statsPort,
        sandboxPort,
        servers: api.map((a) => ({ name: a.name, httpPort: a.httpPort, realtimePort: a.realtimePort })),
      }),
    );
    const haproxyLog = createWriteStream(path.join(logDir, 'haproxy.log'), { flags: 'a' });
    const haproxy = spawn(haproxyBin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.pipe(haproxyLog);
    haproxy.stderr!.pipe(haproxyLog);
    const haproxyExited = new Promise<number | null>((resolve) => haproxy.once('exit', (code) => resolve(code)));
    stops.push(async () => {
      if (haproxy.exitCode === null) haproxy.kill('SIGTERM');
      await haproxyExited;
    });
    await Promise.race([
      waitForPort(port),
      haproxyExited.then((code) => {
        throw new Error(`haproxy exited with ${code} at start: see ${path.join(logDir, 'haproxy.log')}`);
      }),
    ]);

    const serverStates = () => haproxyServerStates(statsPort);
    const waitForServers = async (names: string[], state: 'UP' | 'DOWN') => {
      for (;;) {
        const states = await serverStates();
        if (names.every((n) => states.get(`api/${n}`)?.startsWith(state) && states.get(`realtime/${n}`)?.startsWith(state))) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await waitForServers(
      api.map((a) => a.name),
      'UP',
    );
    log(`HAProxy on ${url}: ${count} API instance(s) UP`);

    return {
      url,
      statsUrl: `http://127.0.0.1:${statsPort}/stats`,
      databaseUrl: pg.url,
      redisUrl,
      admin: { email: env.TIKETI_ADMIN_EMAIL!, password: env.TIKETI_ADMIN_PASSWORD! },
      jwtSecret,
      sandbox,
      api,
      worker,
      serverStates,
      stats: () => haproxyStats(statsPort),
      waitForServers,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]));
}
