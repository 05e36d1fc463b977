// Fan-out of seat changes to N WebSocket subscribers of one event, for both ways into TIKETI's
// channel (the realtime port, and the API port's byte pipe) and for a minimal Socket.IO 4 server
// sending the same messages, in one run on the same machine.
//
//   npm run bench:fanout
//   BENCH_SUBSCRIBERS=10000 BENCH_MESSAGES=100 BENCH_RATE=10 npm run bench:fanout
//   BENCH_TARGETS=realtime-port,socketio npm run bench:fanout
//
// Each target gets its own server process (loadtest/bench-fanout-server.ts). The subscribers live
// in this process, connect in batches and subscribe to `event.{id}.seats` (Socket.IO: join the room).
// Then BENCH_MESSAGES `seat.held` changes go out at BENCH_RATE per second through the server's
// publish path (TIKETI: the shared bus, as createRealtimePublisher does; Socket.IO: io.to(room).emit).
// Measured: delivery latency from the publish order to each subscriber's receipt (one clock: both
// ends are this process; the order travels over IPC, ~0.1 ms), server RSS per socket (after a
// forced GC, at half and at all subscribers), server CPU per delivered message (from /proc), and
// for TIKETI GET /health latency while it fans out.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { createPool } from '../api/src/infra/db.js';
import { migrateUp } from '../api/src/infra/migrate.js';
import { createEventFixture } from '../test/harness/fixtures.js';
import { BENCH_JWT_SECRET, PRODUCTION_NODE_FLAGS, procCpuSeconds, startBenchPostgres } from './bench-env.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 3000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30);
// Deliveries per second are SUBSCRIBERS × RATE, all received by this one process: at 3,000 × 10 it
// became the bottleneck on the shared 2-core machine (seconds of p50, with the server at 0.02 cores).
const RATE = Number(process.env.BENCH_RATE ?? 2);
const BATCH = 100; // connections opened at once
const TARGETS = (process.env.BENCH_TARGETS ?? 'realtime-port,api-port,socketio').split(',') as Target[];
type Target = 'realtime-port' | 'api-port' | 'socketio';

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

async function startServer(kind: 'tiketi' | 'socketio', databaseUrl: string) {
  const child = fork(path.join(here, 'bench-fanout-server.ts'), {
    execArgv: ['--import', 'tsx', ...PRODUCTION_NODE_FLAGS, '--expose-gc'],
    env: {
      ...process.env,
      BENCH_FANOUT_SERVER: kind,
      DATABASE_URL: databaseUrl,
      REDIS_URL: '',
      JWT_SECRET: BENCH_JWT_SECRET,
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'silent',
      TIKETI_SEED: 'none',
      // Every subscriber comes from 127.0.0.1, and the pipe's default share of the file budget is
      // 10 %: both raised so the bench measures delivery, not the caps.
      REALTIME_MAX_CONNECTIONS_PER_IP: String(SUBSCRIBERS * 2),
      REALTIME_MAX_PIPED_CONNECTIONS: String(SUBSCRIBERS * 2),
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

async function runTarget(target: Target, databaseUrl: string, eventId: string, seatIds: string[]): Promise<Result> {
  const server = await startServer(target === 'socketio' ? 'socketio' : 'tiketi', databaseUrl);
  const topic = `event.${eventId}.seats`;
  const t0 = new Float64Array(MESSAGES + 1);
  const latencies = new Float64Array(SUBSCRIBERS * MESSAGES);
  let delivered = 0;
  let measuring = false;
  const onChange = (version: number) => {
    if (!measuring || version < 1) return;
    latencies[delivered++] = performance.now() - t0[version]!;
  };

  const closers: Array<() => void> = [];
  const connectOne = (): Promise<void> => {
    if (target === 'socketio') {
      return new Promise((resolve, reject) => {
        const socket: Socket = ioClient(`http://127.0.0.1:${server.port}`, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        });
        socket.on('message', (m: { version: number }) => onChange(m.version));
        socket.once('connect_error', reject);
        socket.once('connect', () => socket.emit('subscribe', topic, () => resolve()));
        closers.push(() => socket.close());
      });
    }
    const port = target === 'api-port' ? server.port : server.realtimePort;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime`, { perMessageDeflate: false });
      ws.on('message', (data: Buffer) => {
        // The version is the last field; reading it without a full parse keeps this client cheap.
        const text = data.toString();
        if (text.startsWith('{"type":"subscribed"')) resolve();
        else if (text.startsWith('{"type":"seat.held"')) onChange(Number(text.slice(text.lastIndexOf(':') + 1, -1)));
      });
      ws.once('open', () => ws.send(JSON.stringify({ op: 'subscribe', topic })));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      closers.push(() => ws.terminate());
    });
  };

  // Memory per socket is the slope between half and all subscribers (both after a forced GC), so
  // start-up garbage and lazily loaded code do not count.
  const connectStart = performance.now();
  let connected = 0;
  let rssHalf = 0;
  let connectedHalf = 0;
  for (let i = 0; i < SUBSCRIBERS; i += BATCH) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(BATCH, SUBSCRIBERS - i) }, connectOne));
    connected += batch.filter((r) => r.status === 'fulfilled').length;
    if (!connectedHalf && i + BATCH >= SUBSCRIBERS / 2) {
      connectedHalf = connected;
      rssHalf = await rssOf(server.child);
    }
  }
  const connectSeconds = (performance.now() - connectStart) / 1000;
  const rssAfter = await rssOf(server.child);

  // Warm-up: a few changes nobody measures (version 0), so JIT and buffers settle.
  for (let i = 0; i < 5; i++) {
    server.child.send({ op: 'publish', topic, message: { type: 'seat.held', eventId, seatIds: [seatIds[0]], version: 0 } });
    await sleep(100);
  }
  await sleep(500);

  // HTTP probe on the same process while it fans out (TIKETI only; the Socket.IO server has no API).
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

  measuring = true;
  const cpuStart = procCpuSeconds(server.child.pid!);
  const wallStart = performance.now();
  for (let v = 1; v <= MESSAGES; v++) {
    const due = wallStart + ((v - 1) * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    t0[v] = performance.now();
    server.child.send({
      op: 'publish',
      topic,
      message: { type: 'seat.held', eventId, seatIds: [seatIds[v % seatIds.length]], version: v },
    });
  }
  const expected = connected * MESSAGES;
  const drainDeadline = performance.now() + 15_000;
  while (delivered < expected && performance.now() < drainDeadline) await sleep(20);
  const cpuSeconds = procCpuSeconds(server.child.pid!) - cpuStart;
  const wallSeconds = (performance.now() - wallStart) / 1000;
  probing = false;
  await probe;
  measuring = false;

  for (const close of closers) close();
  server.child.send({ op: 'stop' });
  await new Promise((r) => server.child.once('exit', r));

  const sorted = latencies.slice(0, delivered).sort();
  const healthSorted = Float64Array.from(health).sort();
  return {
    target,
    subscribers: SUBSCRIBERS,
    connected,
    expected,
    delivered,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    rssPerSocketKb: (rssAfter - rssHalf) / Math.max(1, connected - connectedHalf) / 1024,
    cpuPerDeliveryUs: (cpuSeconds / Math.max(1, delivered)) * 1e6,
    serverCpuShare: cpuSeconds / wallSeconds,
    healthP50: health.length ? quantile(healthSorted, 0.5) : undefined,
    connectSeconds,
  };
}

const pg = await startBenchPostgres('tiketi_fanout');
try {
  await migrateUp(pg.url, () => {});
  const db = createPool(pg.url, 2);
  const event = await createEventFixture(db, { sections: [{ name: 'A', rows: 10, seatsPerRow: 20, price: 1000 }] });
  await db.end();
  console.log(`fan-out: ${SUBSCRIBERS} subscribers, ${MESSAGES} changes at ${RATE}/s, targets ${TARGETS.join(', ')}`);
  const results: Result[] = [];
  for (const target of TARGETS) {
    const r = await runTarget(target, pg.url, event.eventId, event.seats.A!);
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
} finally {
  await pg.stop();
}
