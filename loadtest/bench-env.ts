// What the bench scripts share: a throw-away embedded PostgreSQL, the API processes under test
// (loadtest/bench-server.ts) and CPU accounting from /proc.
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../api/src/infra/embedded-postgres.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The node flags of `npm start` and deploy/Dockerfile, so the API under test runs as in production. */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=32'];
export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret';

export const TICKS_PER_SECOND = 100;
/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime + stime
  } catch {
    return 0;
  }
}

/** An embedded PostgreSQL in a temporary directory, removed by `stop`. */
export async function startBenchPostgres(database: string): Promise<{ url: string; dataDir: string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-bench-pg-'));
  chmodSync(dataDir, 0o755); // as root, lets the `postgres` user keep the data here (no relocation)
  const embedded = await startEmbeddedPostgres({ dataDir, ...(database === 'postgres' ? {} : { database }) });
  return {
    // The benches create and clone databases: superuser, on `database`.
    url: database === 'postgres' ? embedded.superuserUrl : embedded.superuserUrl.replace(/\/postgres$/, `/${database}`),
    dataDir,
    stop: async () => {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates database `name` (a copy of `template` if given) on the server of `adminUrl`; its URL. */
export async function createBenchDatabase(adminUrl: string, name: string, template?: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * One API process of a checkout (`dir`, default this one) on a free port, with rate limiting,
 * logging and the sample catalog off; resolves once it listens.
 */
export async function forkBenchServer(options: {
  databaseUrl: string;
  dir?: string;
  nodeFlags?: string[];
  env?: Record<string, string>;
}): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(path.resolve(options.dir ?? path.join(here, '..'), 'loadtest/bench-server.ts'), {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? PRODUCTION_NODE_FLAGS)],
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: process.env.REDIS_URL ?? '',
      JWT_SECRET: BENCH_JWT_SECRET,
      RATE_LIMIT: 'off',
      // Two thousand simulated buyers share one address here: no anti-hoarding limits.
      HOLDS_PER_IP_PER_EVENT: '0',
      HOLDS_PER_ACCOUNT_PER_MINUTE: '0',
      LOG_LEVEL: 'silent',
      TIKETI_SEED: 'none',
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bench API exited with ${code} before listening`)));
  });
  return { port, child };
}
