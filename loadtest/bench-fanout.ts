// Fan-out of seat changes to N WebSocket subscribers of one event, for both ways into TIKETI's
// channel (the realtime port, and the API port's byte pipe), for TIKETI across instances (published
// on A, received by B's subscribers, through Redis) against the same through Redis on one instance,
// and for a minimal Socket.IO 4 server sending the same messages, in one run on the same machine.
//
//   npm run bench:fanout
//   ulimit -n 20000; BENCH_SUBSCRIBERS=10000 BENCH_CLIENT_PROCESSES=4 BENCH_MESSAGES=30 BENCH_RATE=2 npm run bench:fanout
//   BENCH_TARGETS=realtime-port,socketio npm run bench:fanout
//   BENCH_TARGETS=socketio:2000,realtime-port:10000 npm run bench:fanout   (subscribers per target)
//
// Targets: realtime-port, api-port (in-process bus, no Redis), same-instance-redis (one instance on
// Redis: published and received there), cross-instance (two instances on one Redis: published on A,
// subscribers on B), socketio.
//
// Each server is its own process (loadtest/bench-fanout-server.ts); the subscribers live in
// BENCH_CLIENT_PROCESSES client processes (loadtest/bench-fanout-client.ts), so that receiving is
// not one process's queue. They connect in batches and subscribe to `event.{id}.seats` (Socket.IO:
// join the room). Then BENCH_MESSAGES `seat.held` changes go out at BENCH_RATE per second through the
// server's publish path (TIKETI: the shared bus, as createRealtimePublisher does; Socket.IO:
// io.to(room).emit). Measured: delivery latency from the publish order to each subscriber's receipt
// (epoch clock with sub-millisecond precision, the same system clock in every process; the order
// travels over IPC, ~0.1 ms), server RSS per socket (after a forced GC, at half and at all
// subscribers), server CPU per delivered message (from /proc), and for TIKETI GET /health latency
// while it fans out.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createPool } from '../api/src/infra/db.js';
import { migrateUp } from '../api/src/infra/migrate.js';
import { createEventFixture } from '../test/harness/fixtures.js';
import { freePort, waitFor } from '../test/harness/ports.js';
import { BENCH_JWT_SECRET, PRODUCTION_NODE_FLAGS, procCpuSeconds, startBenchPostgres } from './bench-env.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 3000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30);
// Deliveries per second are SUBSCRIBERS × RATE, all received by this one process: at 3,000 × 10 it
// became the bottleneck on the shared 2-core machine (seconds of p50, with the server at 0.02 cores).
const RATE = Number(process.env.BENCH_RATE ?? 2);
const BATCH = 100; // connections opened at once per client process
const CLIENT_PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 4);
// `target` or `target:subscribers`.
const TARGETS = (process.env.BENCH_TARGETS ?? 'realtime-port,api-port,socketio').split(',').map((spec) => {
  const [target, n] = spec.split(':');
  return { target: target as Target, subscribers: n ? Number(n) : SUBSCRIBERS };
});
type Target = 'realtime-port' | 'api-port' | 'same-instance-redis' | 'cross-instance' | 'socketio';
const usesRedis = (t: Target) => t === 'same-instance-redis' || t === 'cross-instance';

interface Result {
  target: Target;
  subscribers: number;
  connected: number;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  rssPerSocketKb: number;
  cpuPerDeliveryUs: number;
  serverCpuShare: number;
  healthP50: number | undefined;
  connectSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: Float64Array, q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

async function startServer(kind: 'tiketi' | 'socketio', databaseUrl: string, redisUrl = '', subscribers = SUBSCRIBERS) {
  const child = fork(path.join(here, 'bench-fanout-server.ts'), {
    execArgv: ['--import', 'tsx', ...PRODUCTION_NODE_FLAGS, '--expose-gc'],
    env: {
      ...process.env,
      BENCH_FANOUT_SERVER: kind,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: 'bench-fanout:',
      JWT_SECRET: BENCH_JWT_SECRET,
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'silent',
      TIKETI_SEED: 'none',
      // Every subscriber comes from 127.0.0.1, and the pipe's default share of the file budget is
      // 10 %: both raised so the bench measures delivery, not the caps.
      REALTIME_MAX_CONNECTIONS_PER_IP: String(subscribers * 2),
      REALTIME_MAX_PIPED_CONNECTIONS: String(subscribers * 2),
      REALTIME_MAX_CONNECTIONS: String(subscribers * 2),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number; realtimePort: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number; realtimePort: number }));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { child, ...ready };
}

const gcRss = (child: ChildProcess) =>
  new Promise<number>((resolve) => {
    child.once('message', (m) => resolve((m as { rss: number }).rss));
    child.send({ op: 'gc' });
  });
// Two forced GCs a moment apart, so freed pages have gone back before RSS is read.
const rssOf = async (child: ChildProcess) => {
  await gcRss(child);
  await sleep(300);
  return gcRss(child);
};

/** Client processes, each with its share of the subscribers. */
async function startClients(n: number) {
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const child = fork(path.join(here, 'bench-fanout-client.ts'), {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise((resolve) => child.once('message', resolve));
      return child;
    }),
  );
  const ask = <T>(child: ChildProcess, message: object) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send(message);
    });
  const all = <T>(message: object) => Promise.all(clients.map((c) => ask<T>(c, message)));
  return { clients, ask, all };
}

async function runTarget(
  target: Target,
  subscribers: number,
  databaseUrl: string,
  redisUrl: string,
  eventId: string,
  seatIds: string[],
): Promise<Result> {
  // Subscribers connect to `server`; changes are published on `publisher` (another instance for cross-instance).
  const server = await startServer(
    target === 'socketio' ? 'socketio' : 'tiketi',
    databaseUrl,
    usesRedis(target) ? redisUrl : '',
    subscribers,
  );
  const publisher = target === 'cross-instance' ? await startServer('tiketi', databaseUrl, redisUrl, subscribers) : server;
  const topic = `event.${eventId}.seats`;
  const { clients, ask, all } = await startClients(Math.min(CLIENT_PROCESSES, Math.ceil(subscribers / BATCH)));
  const kind = target === 'socketio' ? 'socketio' : 'ws';
  const url =
    target === 'socketio'
      ? `http://127.0.0.1:${server.port}`
      : `ws://127.0.0.1:${target === 'api-port' ? server.port : server.realtimePort}/v1/realtime`;

  // Memory per socket is the slope between half and all subscribers (both after a forced GC), so
  // start-up garbage and lazily loaded code do not count.
  const connectStart = performance.now();
  const share = (total: number, i: number) => Math.floor(total / clients.length) + (i < total % clients.length ? 1 : 0);
  const half = Math.floor(subscribers / 2);
  const connectedHalf = (
    await Promise.all(
      clients.map((c, i) => ask<{ connected: number }>(c, { op: 'connect', kind, url, topic, count: share(half, i), batch: BATCH })),
    )
  ).reduce((sum, r) => sum + r.connected, 0);
  const rssHalf = await rssOf(server.child);
  const connected =
    connectedHalf +
    (
      await Promise.all(
        clients.map((c, i) =>
          ask<{ connected: number }>(c, { op: 'connect', kind, url, topic, count: share(subscribers - half, i), batch: BATCH }),
        ),
      )
    ).reduce((sum, r) => sum + r.connected, 0);
  const connectSeconds = (performance.now() - connectStart) / 1000;
  const rssAfter = await rssOf(server.child);

  const publish = (version: number) =>
    publisher.child.send({
      op: 'publish',
      topic,
      message: { type: 'seat.held', eventId, seatIds: [seatIds[version % seatIds.length]], version },
    });
  // Warm-up: a few changes nobody measures (version 0), so JIT and buffers settle.
  for (let i = 0; i < 5; i++) {
    publish(0);
    await sleep(100);
  }
  await sleep(500);

  // HTTP probe on the subscribers' server while it fans out (TIKETI only; the Socket.IO server has no API).
  const health: number[] = [];
  let probing = target !== 'socketio';
  const probe = (async () => {
    while (probing) {
      const start = performance.now();
      await fetch(`http://127.0.0.1:${server.port}/health`).then((r) => r.arrayBuffer());
      health.push(performance.now() - start);
      await sleep(50);
    }
  })();

  await all({ op: 'measure', on: true });
  const sentAt = new Array<number>(MESSAGES + 1).fill(0);
  const cpuStart = procCpuSeconds(server.child.pid!);
  const wallStart = performance.now();
  for (let v = 1; v <= MESSAGES; v++) {
    const due = wallStart + ((v - 1) * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sentAt[v] = performance.timeOrigin + performance.now();
    publish(v);
  }
  const expected = connected * MESSAGES;
  const drainDeadline = performance.now() + 20_000;
  let delivered = 0;
  while (performance.now() < drainDeadline) {
    delivered = (await all<{ received: number }>({ op: 'count' })).reduce((sum, r) => sum + r.received, 0);
    if (delivered >= expected) break;
    await sleep(100);
  }
  const cpuSeconds = procCpuSeconds(server.child.pid!) - cpuStart;
  const wallSeconds = (performance.now() - wallStart) / 1000;
  probing = false;
  await probe;
  await all({ op: 'measure', on: false });
  const reports = await all<{ latencies: number[] }>({ op: 'report', sentAt });
  const sorted = Float64Array.from(reports.flatMap((r) => r.latencies)).sort();

  for (const c of clients) c.send({ op: 'stop' });
  for (const s of new Set([server, publisher])) {
    s.child.send({ op: 'stop' });
    await new Promise((r) => s.child.once('exit', r));
  }

  const healthSorted = Float64Array.from(health).sort();
  return {
    target,
    subscribers,
    connected,
    expected,
    delivered: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    rssPerSocketKb: (rssAfter - rssHalf) / Math.max(1, connected - connectedHalf) / 1024,
    cpuPerDeliveryUs: (cpuSeconds / Math.max(1, sorted.length)) * 1e6,
    serverCpuShare: cpuSeconds / wallSeconds,
    healthP50: health.length ? quantile(healthSorted, 0.5) : undefined,
    connectSeconds,
  };
}

const pg = await startBenchPostgres('tiketi_fanout');
// Own redis-server, without persistence, for the targets that go through Redis.
const redisPort = TARGETS.some((t) => usesRedis(t.target)) ? await freePort() : 0;
const redisServer = redisPort
  ? spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  : undefined;
if (redisPort) await waitFor(redisPort);
try {
  await migrateUp(pg.url, () => {});
  const db = createPool(pg.url, 2);
  const event = await createEventFixture(db, { sections: [{ name: 'A', rows: 10, seatsPerRow: 20, price: 1000 }] });
  await db.end();
  console.log(
    `fan-out: ${MESSAGES} changes at ${RATE}/s, ${CLIENT_PROCESSES} client processes, targets ${TARGETS.map((t) => `${t.target} (${t.subscribers})`).join(', ')}`,
  );
  const results: Result[] = [];
  for (const { target, subscribers } of TARGETS) {
    const r = await runTarget(target, subscribers, pg.url, `redis://127.0.0.1:${redisPort}`, event.eventId, event.seats.A!);
    results.push(r);
    console.log(JSON.stringify(r));
  }
  const f = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));
  console.log(
    '\n| path | subscribers | delivered | p50 ms | p99 ms | max ms | server RSS per socket KB | server CPU µs per delivery | server CPU (cores) | GET /health p50 ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.target} | ${r.connected}/${r.subscribers} | ${r.delivered}/${r.expected} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.rssPerSocketKb, 2)} | ${f(r.cpuPerDeliveryUs, 2)} | ${f(r.serverCpuShare, 2)} | ${f(r.healthP50)} |`,
    );
  }
  const sio = results.find((r) => r.target === 'socketio');
  if (sio) {
    console.log('\nagainst Socket.IO in this run (Socket.IO ÷ TIKETI; above 1 = TIKETI better):');
    for (const r of results.filter((x) => x.target !== 'socketio')) {
      console.log(
        `  ${r.target}: p99 ${f(sio.p99 / r.p99, 2)}×, RSS per socket ${f(sio.rssPerSocketKb / r.rssPerSocketKb, 2)}×, CPU per delivery ${f(sio.cpuPerDeliveryUs / r.cpuPerDeliveryUs, 2)}×`,
      );
    }
  }
  const same = results.find((r) => r.target === 'same-instance-redis');
  const cross = results.find((r) => r.target === 'cross-instance');
  if (same && cross) {
    console.log(
      `\ncross-instance overhead (cross-instance − same-instance-redis): p50 ${f(cross.p50 - same.p50)} ms, p99 ${f(cross.p99 - same.p99)} ms`,
    );
  }
} finally {
  redisServer?.kill();
  await pg.stop();
}
