// Waiting-room throughput: queue join + position through the full API against two baselines making
// the same Redis calls (a bare Fastify route, and Express + ioredis, the original system's stack),
// in the same run, round after round; then 100,000 users joining one line through the full API
// (joins/s, p99, Redis memory per waiting user).
//
//   npm run bench:queue          (BENCH_QUEUE_USERS, BENCH_QUEUE_ROUNDS, BENCH_QUEUE_CLIENTS to change the sizes)
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig } from '../api/src/config.js';
import { createPool } from '../api/src/infra/db.js';
import { migrateUp } from '../api/src/infra/migrate.js';
import { createEventFixture, createUsers } from '../test/harness/fixtures.js';
import { freePort, waitFor } from '../test/harness/ports.js';
import { BENCH_JWT_SECRET, PRODUCTION_NODE_FLAGS, forkBenchServer, procCpuSeconds, startBenchPostgres } from './bench-env.js';
import { RawHttpConnection } from './raw-http.js';

const USERS = Number(process.env.BENCH_QUEUE_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_QUEUE_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_QUEUE_CLIENTS ?? 64);
const ROUND_MS = 4000;
const here = path.dirname(fileURLToPath(import.meta.url));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const median = (xs: number[]) => pct(xs, 0.5);

// Redis of our own, without persistence, as a cache-only deployment would run it.
const redisPort = await freePort();
const redisServer = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
await waitFor(redisPort);
const redisUrl = `redis://127.0.0.1:${redisPort}`;
const redis = new Redis(redisUrl);
const pg = await startBenchPostgres('bench_queue');
const children: ChildProcess[] = [];
try {
  await migrateUp(pg.url, () => {});
  const config = loadConfig({}, { DATABASE_URL: pg.url, JWT_SECRET: BENCH_JWT_SECRET });
  const db = createPool(pg.url, 4);
  console.log(`bench-queue: ${USERS} users with tokens...`);
  const users = await createUsers({ db, config }, USERS);
  const queuedEvent = async () => {
    const ev = await createEventFixture(db, { sections: [] });
    // On and paused: joins and positions only, no admitter at work.
    await db.query(`INSERT INTO ticket.queue_settings (event_id, enabled, paused) VALUES ($1, true, true)`, [ev.eventId]);
    return ev.eventId;
  };

  const env = { REDIS_URL: redisUrl, TIKETI_ROLES: 'http' };
  const api = await forkBenchServer({ databaseUrl: pg.url, env: { ...env, REDIS_PREFIX: 'bench:api:' } });
  children.push(api.child);
  const baseline = async (kind: string) => {
    const child = fork(path.join(here, 'bench-queue-baseline.ts'), {
      execArgv: ['--import', 'tsx', ...PRODUCTION_NODE_FLAGS],
      env: { ...process.env, ...env, REDIS_PREFIX: `bench:${kind}:`, BENCH_BASELINE: kind },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve((m as { port: number }).port)));
    return { port, child };
  };
  const servers = [
    { name: 'full API (auth, settings, schemas, hooks)', ...api, auth: true },
    { name: 'bare Fastify route, same Redis calls', ...(await baseline('fastify')), auth: false },
    { name: 'Express 5 + ioredis, same Redis calls', ...(await baseline('express')), auth: false },
  ];

  /** `clients` connections, each joining then reading its place, one user after another, until `until` or the users run out. */
  async function drive(
    port: number,
    eventId: string,
    auth: boolean,
    opts: { until?: number; withPosition: boolean; first: number; count: number },
  ) {
    const connections = Array.from({ length: CLIENTS }, () => new RawHttpConnection(port));
    const latencies: number[] = [];
    let next = opts.first;
    let failures = 0;
    const started = performance.now();
    await Promise.all(
      connections.map(async (c) => {
        while ((opts.until === undefined || performance.now() < opts.until) && next < opts.first + opts.count) {
          const u = users[next++ % users.length]!;
          const headers: Record<string, string> = auth ? { authorization: `Bearer ${u.token}` } : { 'x-user-id': u.userId };
          const t0 = performance.now();
          const joined = await c.request('POST', `/v1/events/${eventId}/queue/join`, headers);
          if (joined.status !== 200) failures++;
          if (opts.withPosition) {
            const place = await c.request('GET', `/v1/events/${eventId}/queue/me`, headers);
            if (place.status !== 200) failures++;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const c of connections) c.close();
    return { done: latencies.length, seconds, latencies, failures };
  }

  // 1. Join + position, the three servers in turn, round after round.
  const figures = new Map(
    servers.map((s) => [s.name, { rates: [] as number[], latencies: [] as number[], cpu: [] as number[], failures: 0 }]),
  );
  console.log(`join + position: ${ROUNDS} rounds of ${ROUND_MS / 1000} s per server, ${CLIENTS} clients, a fresh line each round`);
  let offset = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of servers) {
      const eventId = await queuedEvent();
      const cpu0 = procCpuSeconds(s.child.pid!);
      const r = await drive(s.port, eventId, s.auth, {
        until: performance.now() + ROUND_MS,
        withPosition: true,
        first: offset,
        count: USERS,
      });
      const cpu = procCpuSeconds(s.child.pid!) - cpu0;
      offset += r.done;
      const f = figures.get(s.name)!;
      f.rates.push(r.done / r.seconds);
      f.latencies.push(...r.latencies);
      f.cpu.push((cpu / r.done) * 1000);
      f.failures += r.failures;
      console.log(
        `  round ${round + 1} ${s.name}: ${(r.done / r.seconds).toFixed(0)} join+position/s, ${((cpu / r.done) * 1000).toFixed(3)} ms CPU each`,
      );
    }
  }
  const apiRate = median(figures.get(servers[0]!.name)!.rates);
  console.log('\nserver | join+position/s (median) | p50 ms | p99 ms | server CPU ms per pair | full API ÷ this | failures');
  for (const [name, f] of figures) {
    console.log(
      `${name} | ${median(f.rates).toFixed(0)} | ${pct(f.latencies, 0.5).toFixed(1)} | ${pct(f.latencies, 0.99).toFixed(1)} | ${median(f.cpu).toFixed(3)} | ${(apiRate / median(f.rates)).toFixed(2)}× | ${f.failures}`,
    );
  }

  // 2. Every user joins one line through the full API.
  const eventId = await queuedEvent();
  const memoryBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const big = await drive(api.port, eventId, true, { withPosition: false, first: 0, count: USERS });
  const memoryAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const waiting = await redis.zcard(`bench:api:q:{${eventId}}:wait`);
  console.log(
    `\n${USERS} users join one line through the full API: ${(big.done / big.seconds).toFixed(0)} joins/s over ${big.seconds.toFixed(1)} s, p50 ${pct(big.latencies, 0.5).toFixed(1)} ms, p99 ${pct(big.latencies, 0.99).toFixed(1)} ms, ${big.failures} failures; ${waiting} waiting in Redis, ${((memoryAfter - memoryBefore) / waiting).toFixed(0)} bytes of Redis memory per waiting user`,
  );
  await db.end();
} finally {
  for (const c of children) c.kill();
  redis.disconnect();
  redisServer.kill();
  await pg.stop();
}
