// Issue 15's check of the live channel's connection cap: with REALTIME_MAX_CONNECTIONS=1000, open
// 1,200 WebSocket connections; the surplus is refused with 503, the API still answers GET /health
// and holds, and the process's CPU is idle once connecting stops (from /proc).
//
//   npx tsx loadtest/check-connection-cap.ts            # CAP=1000 OPEN=1200 by default
//   CAP=5000 OPEN=6000 npx tsx loadtest/check-connection-cap.ts
import { fork } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { loadConfig } from '../api/src/config.js';
import { createPool } from '../api/src/infra/db.js';
import { migrateUp } from '../api/src/infra/migrate.js';
import { createEventFixture, createUsers } from '../test/harness/fixtures.js';
import { BENCH_JWT_SECRET, PRODUCTION_NODE_FLAGS, procCpuSeconds, startBenchPostgres } from './bench-env.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CAP = Number(process.env.CAP ?? 1000);
const OPEN = Number(process.env.OPEN ?? 1200);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const pg = await startBenchPostgres('tiketi_cap');
try {
  await migrateUp(pg.url, () => {});
  const config = loadConfig({}, { DATABASE_URL: pg.url, JWT_SECRET: BENCH_JWT_SECRET });
  const db = createPool(pg.url, 2);
  const event = await createEventFixture(db, { sections: [{ name: 'A', rows: 10, seatsPerRow: 20, price: 1000 }] });
  const users = await createUsers({ db, config }, 40);
  await db.end();

  const child = fork(path.join(here, 'bench-fanout-server.ts'), {
    execArgv: ['--import', 'tsx', ...PRODUCTION_NODE_FLAGS],
    env: {
      ...process.env,
      BENCH_FANOUT_SERVER: 'tiketi',
      DATABASE_URL: pg.url,
      REDIS_URL: '',
      JWT_SECRET: BENCH_JWT_SECRET,
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'silent',
      TIKETI_SEED: 'none',
      REALTIME_MAX_CONNECTIONS: String(CAP),
      REALTIME_MAX_CONNECTIONS_PER_IP: String(OPEN * 2), // every socket comes from 127.0.0.1
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port, realtimePort } = await new Promise<{ port: number; realtimePort: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { port: number; realtimePort: number })),
  );
  const pid = child.pid!;

  let seat = 0;
  const probe = async (label: string) => {
    const health: number[] = [];
    const holds: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
      health.push(performance.now() - start);
    }
    for (let i = 0; i < 10; i++) {
      const user = users[seat % users.length]!;
      const start = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/events/${event.eventId}/holds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ seatIds: [event.seats.A![seat++]] }),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`hold answered ${res.status}`);
      holds.push(performance.now() - start);
    }
    console.log(`${label}: GET /health p50 ${median(health).toFixed(1)} ms, hold p50 ${median(holds).toFixed(1)} ms`);
  };
  const cpuOver = async (seconds: number) => {
    const before = procCpuSeconds(pid);
    await sleep(seconds * 1000);
    return (procCpuSeconds(pid) - before) / seconds;
  };

  await probe('before');
  console.log(`idle CPU before: ${(await cpuOver(5)).toFixed(3)} cores`);

  const sockets: WebSocket[] = [];
  const statuses: Record<string, number> = {};
  const attempt = (url: string) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url);
      ws.once('open', () => {
        sockets.push(ws);
        statuses.open = (statuses.open ?? 0) + 1;
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        res.resume();
        resolve();
      });
      ws.once('error', (err) => {
        statuses[err.message] = (statuses[err.message] ?? 0) + 1;
        resolve();
      });
    });
  const connectStart = performance.now();
  const cpuStart = procCpuSeconds(pid);
  for (let i = 0; i < OPEN; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, OPEN - i) }, () => attempt(`ws://127.0.0.1:${realtimePort}/v1/realtime`)));
  }
  const connectSeconds = (performance.now() - connectStart) / 1000;
  console.log(
    `opened ${OPEN} on the realtime port in ${connectSeconds.toFixed(1)} s: ${JSON.stringify(statuses)}; server CPU while connecting ${((procCpuSeconds(pid) - cpuStart) / connectSeconds).toFixed(2)} cores`,
  );
  const pipedBefore = { ...statuses };
  for (let i = 0; i < 50; i++) await attempt(`ws://127.0.0.1:${port}/v1/realtime`);
  console.log(
    `50 more on the API port: ${JSON.stringify(Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, v - (pipedBefore[k] ?? 0)])))}`,
  );

  await probe(`with ${sockets.length} sockets open`);
  console.log(`CPU once connecting stopped (5 s): ${(await cpuOver(5)).toFixed(3)} cores`);

  for (const ws of sockets.splice(0, 100)) ws.close();
  await sleep(500);
  const again = { ...statuses };
  await Promise.all(Array.from({ length: 100 }, () => attempt(`ws://127.0.0.1:${realtimePort}/v1/realtime`)));
  console.log(
    `after 100 left, 100 more: ${JSON.stringify(Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, v - (again[k] ?? 0)])))}`,
  );

  for (const ws of sockets) ws.terminate();
  child.send({ op: 'stop' });
  await new Promise((r) => child.once('exit', r));
} finally {
  await pg.stop();
}
