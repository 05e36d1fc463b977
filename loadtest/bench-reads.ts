// The on-sale read path (issue 11): GET /v1/events/{id} and GET /v1/events/{id}/seats of the
// 636-seat sample event, against a bare Fastify route serving the very same bytes from memory and
// against Express + pg running the queries the original system ran per request; idle, and while
// that event's seats change. Then a 50,000-seat stadium layout and event created through the API,
// and its seat map cold and warm.
//
//   npm run bench:reads
//   BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_CLIENTS=50 BENCH_HOLDS_PER_SECOND=1000 npm run bench:reads
//
// Two API instances share PostgreSQL and a redis-server of the bench's own, as deployed: the
// measured one (TIKETI_ROLES=http) serves the reads and follows the seat-change stream on the bus;
// the other takes the holds (and sweeps). The changes come two ways, each measured:
//   - `holds`: real holds of one random seat, each released at once (two seat changes), posted to
//     the other instance at up to BENCH_HOLDS_PER_SECOND: what the machine allows, printed;
//   - `stream`: seat changes published on the bus at exactly 2 × BENCH_HOLDS_PER_SECOND a second
//     (a hold and its release each), in version order: the asked rate whatever the machine allows
//     the hold path; the reads then show those statuses, which the database does not have.
//
// The three servers are measured one after another within each round (same route, same clients),
// round after round, so a slow phase of this shared machine hits them alike; a ratio is the median
// over rounds of (API req/s) / (bare req/s) of the same round.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import http from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../api/src/config.js';
import { migrateUp } from '../api/src/infra/migrate.js';
import { createAuthService } from '../api/src/modules/auth/service.js';
import { seedSampleCatalog } from '../api/src/modules/catalog/seed.js';
import { createUsers } from '../test/harness/fixtures.js';
import { freePort, waitFor } from '../test/harness/ports.js';
import { BENCH_JWT_SECRET, PRODUCTION_NODE_FLAGS, forkBenchServer, procCpuSeconds, startBenchPostgres } from './bench-env.js';
import { RawHttpConnection } from './raw-http.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const HOLDS_PER_SECOND = Number(process.env.BENCH_HOLDS_PER_SECOND ?? 1000);
const STADIUM_SEATS = 50_000;
// BENCH_PARTS=reads or =stadium runs one part only (default both).
const PARTS = (process.env.BENCH_PARTS ?? 'reads,stadium').split(',');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds of the bench PostgreSQL (data in dataDir/pg): its postmaster (postmaster.pid) and every child of it. */
function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = procCpuSeconds(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) total += procCpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function forkBaseline(kind: 'bare' | 'express', env: Record<string, string>): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(path.join(here, 'bench-reads-servers.ts'), {
    execArgv: ['--import', 'tsx', ...PRODUCTION_NODE_FLAGS],
    env: { ...process.env, BENCH_READS_SERVER: kind, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ port: (m as { port: number }).port, child }));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** Requests per second that CLIENTS keep-alive connections get from GET url in SECONDS, and the server's CPU per request. */
async function measure(port: number, pid: number, url: string): Promise<{ rps: number; cpuUs: number }> {
  const connections = Array.from({ length: CLIENTS }, () => new RawHttpConnection(port));
  let stop = false;
  let answered = 0;
  let counting = false;
  let cpu0 = 0;
  let t0 = 0;
  const warm = setTimeout(() => {
    counting = true;
    cpu0 = procCpuSeconds(pid);
    t0 = performance.now();
  }, 500);
  const end = setTimeout(() => (stop = true), 500 + SECONDS * 1000);
  await Promise.all(
    connections.map(async (c) => {
      while (!stop) {
        const res = await c.request('GET', url);
        if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.body.slice(0, 200)}`);
        if (counting && !stop) answered++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = procCpuSeconds(pid) - cpu0;
  clearTimeout(warm);
  clearTimeout(end);
  for (const c of connections) c.close();
  return { rps: answered / seconds, cpuUs: (cpu * 1e6) / answered };
}

/** Holds of one seat at a steady rate, each released as soon as it is granted. */
function driveHolds(port: number, eventId: string, seatIds: string[], tokens: string[]) {
  let stop = false;
  let granted = 0;
  let refused = 0;
  let errors = 0;
  const started = performance.now();
  let slot = 0;
  const workers = Array.from({ length: 32 }, async (_, w) => {
    const c = new RawHttpConnection(port);
    let user = w;
    while (!stop) {
      const due = started + (slot++ * 1000) / HOLDS_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (stop) break;
      user = (user + 32) % tokens.length;
      const auth = { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' };
      const seat = seatIds[Math.floor(Math.random() * seatIds.length)]!;
      const res = await c.request('POST', `/v1/events/${eventId}/holds`, auth, JSON.stringify({ seatIds: [seat] }));
      if (res.status === 201) {
        granted++;
        const id = (JSON.parse(res.body) as { id: string }).id;
        const released = await c.request('DELETE', `/v1/holds/${id}`, { authorization: auth.authorization });
        if (released.status !== 200) errors++;
      } else if (res.status === 409) refused++;
      else errors++;
    }
    c.close();
  });
  return {
    async stop() {
      stop = true;
      await Promise.all(workers);
      const seconds = (performance.now() - started) / 1000;
      return { holdsPerSecond: granted / seconds, refusedPerSecond: refused / seconds, errors };
    },
  };
}

/** Seat changes published on the bus at 2 × HOLDS_PER_SECOND a second, consecutive versions from `version`. */
function driveStream(redis: Redis, prefix: string, eventId: string, seatIds: string[], version: number) {
  let stop = false;
  let sent = 0;
  const started = performance.now();
  const done = (async () => {
    while (!stop) {
      const due = Math.floor(((performance.now() - started) / 1000) * HOLDS_PER_SECOND * 2);
      const batch = redis.pipeline();
      for (; sent < due; sent++) {
        const seat = seatIds[Math.floor(sent / 2) % seatIds.length]!;
        const type = sent % 2 === 0 ? 'seat.held' : 'seat.released';
        const message = { type, eventId, seatIds: [seat], version: version + sent + 1 };
        batch.publish(`${prefix}realtime`, JSON.stringify({ topic: `event.${eventId}.seats`, message }));
      }
      await batch.exec();
      await sleep(5);
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      const seconds = (performance.now() - started) / 1000;
      return { holdsPerSecond: sent / 2 / seconds, refusedPerSecond: 0, errors: 0 };
    },
  };
}

// Redis of our own, without persistence: the bus between the two API instances.
const redisPort = await freePort();
const redisServer = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
await waitFor(redisPort);
const redisUrl = `redis://127.0.0.1:${redisPort}`;
const REDIS_PREFIX = 'bench:';
const pgServer = await startBenchPostgres('bench_reads');
const children: ChildProcess[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'tiketi-bench-reads-'));
try {
  await migrateUp(pgServer.url, () => {});
  const pool = new pg.Pool({ connectionString: pgServer.url, max: 4 });
  pool.on('error', (err) => console.error(`bench pool: ${err.message}`));
  await seedSampleCatalog(pool);
  const { rows: events } = await pool.query<{ event_id: string }>(
    'SELECT event_id FROM ticket.seats GROUP BY event_id HAVING count(*) = 636 LIMIT 1',
  );
  const eventId = events[0]!.event_id;
  // Bench only: the sample event may not be on sale yet; holds need it to be.
  await pool.query(`UPDATE ticket.events SET status = 'on_sale' WHERE id = $1`, [eventId]);
  const { rows: seatRows } = await pool.query<{ id: string }>('SELECT id FROM ticket.seats WHERE event_id = $1', [eventId]);
  const config = loadConfig({ JWT_SECRET: BENCH_JWT_SECRET, DATABASE_URL: pgServer.url });
  const users = await createUsers({ db: pool, config }, 400);

  const busEnv = { REDIS_URL: redisUrl, REDIS_PREFIX };
  const api = await forkBenchServer({ databaseUrl: pgServer.url, env: { ...busEnv, TIKETI_ROLES: 'http' } });
  const writer = await forkBenchServer({ databaseUrl: pgServer.url, env: { ...busEnv, TIKETI_ROLES: 'http,sweeper' } });
  children.push(api.child, writer.child);
  const redis = new Redis(redisUrl);
  const routes = { detail: `/v1/events/${eventId}`, seats: `/v1/events/${eventId}/seats` };
  const bodies: Record<string, string> = {};
  for (const url of Object.values(routes)) {
    const c = new RawHttpConnection(api.port);
    bodies[url] = (await c.request('GET', url)).body;
    c.close();
  }
  const bodiesFile = path.join(tmp, 'bodies.json');
  writeFileSync(bodiesFile, JSON.stringify(bodies));
  const bare = await forkBaseline('bare', { BENCH_READS_BODIES: bodiesFile });
  const expressServer = await forkBaseline('express', { DATABASE_URL: pgServer.url });
  children.push(bare.child, expressServer.child);
  const targets = [
    { name: 'bare Fastify, bytes in memory', port: bare.port, pid: bare.child.pid! },
    { name: 'TIKETI API', port: api.port, pid: api.child.pid! },
    { name: 'Express + pg (original queries)', port: expressServer.port, pid: expressServer.child.pid! },
  ];
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()} (2 cores, shared)`);
  console.log(
    `bench-reads: event ${eventId} (636 seats); detail ${bodies[routes.detail]!.length} B, seat map ${bodies[routes.seats]!.length} B ` +
      `(gzip ${gzipSync(bodies[routes.seats]!).length} B); ${CLIENTS} clients, ${ROUNDS} rounds of ${SECONDS} s per server`,
  );

  const table: string[] = [];
  const LOADS = (process.env.BENCH_LOADS ?? 'idle,holds,stream').split(',') as Array<'idle' | 'holds' | 'stream'>;
  for (const load of PARTS.includes('reads') ? LOADS : []) {
    for (const [route, url] of Object.entries(routes)) {
      const perTarget = targets.map(() => ({ rps: [] as number[], cpu: [] as number[] }));
      const ratios: number[] = [];
      const expressRatios: number[] = [];
      // Server CPU per answer: bare / API. Where the machine is shared and throughput swings from one
      // second to the next, CPU per request is the steadier measure of the same thing.
      const cpuRatios: number[] = [];
      let holdStats = { holdsPerSecond: 0, refusedPerSecond: 0, errors: 0 };
      const seatIds = seatRows.map((r) => r.id);
      const version = async () =>
        Number((await pool.query<{ v: string }>('SELECT seat_version AS v FROM ticket.events WHERE id = $1', [eventId])).rows[0]!.v);
      if (load === 'stream') {
        // Let the reader catch up with the database's version before the stream continues it.
        await sleep(500);
        const c = new RawHttpConnection(api.port);
        await c.request('GET', routes.seats);
        c.close();
      }
      const driver =
        load === 'holds'
          ? driveHolds(
              writer.port,
              eventId,
              seatIds,
              users.map((u) => u.token),
            )
          : load === 'stream'
            ? driveStream(redis, REDIS_PREFIX, eventId, seatIds, await version())
            : undefined;
      for (let round = 0; round < ROUNDS; round++) {
        const got = [];
        for (const [i, t] of targets.entries()) {
          const r = await measure(t.port, t.pid, url);
          perTarget[i]!.rps.push(r.rps);
          perTarget[i]!.cpu.push(r.cpuUs);
          got.push(r.rps);
        }
        ratios.push(got[1]! / got[0]!);
        cpuRatios.push(perTarget[0]!.cpu.at(-1)! / perTarget[1]!.cpu.at(-1)!);
        expressRatios.push(got[2]! / got[0]!);
      }
      if (driver) holdStats = await driver.stop();
      if (load === 'stream') {
        // The reader now shows statuses the database does not have: a catalog change message makes
        // every instance drop the event, so the next read loads it from the database again.
        await redis.publish(`${REDIS_PREFIX}catalog`, eventId);
      }
      const line =
        `| ${route === 'detail' ? 'GET /v1/events/{id}' : 'GET /v1/events/{id}/seats'} | ${load === 'idle' ? 'idle' : `${load === 'holds' ? 'real holds' : 'bus stream'} ${holdStats.holdsPerSecond.toFixed(0)}/s (+ as many releases)`} ` +
        targets.map((_, i) => `| ${median(perTarget[i]!.rps).toFixed(0)} `).join('') +
        `| **${median(ratios).toFixed(2)}×** (${ratios.map((r) => r.toFixed(2)).join(', ')}) | ${median(expressRatios).toFixed(2)}× ` +
        targets.map((_, i) => `| ${median(perTarget[i]!.cpu).toFixed(0)} `).join('') +
        `| **${median(cpuRatios).toFixed(2)}×** |`;
      table.push(line);
      console.log(line);
      if (holdStats.errors) console.log(`  hold driver errors: ${holdStats.errors}`);
    }
  }
  console.log(
    '\n| route | load | bare Fastify req/s | TIKETI req/s | Express + pg req/s | TIKETI / bare (median; rounds) | Express / bare | bare CPU µs/req | TIKETI CPU µs/req | Express CPU µs/req | bare / TIKETI, CPU per request (median) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const line of table) console.log(line);

  if (PARTS.includes('stadium')) await stadium();
  await pool.end();
  redis.disconnect();

  // ---- stadium: a 50,000-seat layout and event through the API
  async function stadium() {
    const admin = (
      await pool.query<{ id: string; email: string }>(
        `INSERT INTO auth.users (email, name, role) VALUES ($1, 'Bench admin', 'admin') RETURNING id, email`,
        [`bench-admin-${randomUUID().slice(0, 8)}@example.com`],
      )
    ).rows[0]!;
    const adminToken = await createAuthService(config, pool as never).issueToken({ id: admin.id, email: admin.email, role: 'admin' });
    const c = new RawHttpConnection(api.port);
    const auth = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const sections = Array.from({ length: 50 }, (_, i) => ({
      name: `S${i + 1}`,
      ticketType: i < 10 ? 'VIP' : i < 30 ? 'R' : 'S',
      price: i < 10 ? 150_000 : i < 30 ? 120_000 : 90_000,
      rows: 20,
      seatsPerRow: 50,
    }));
    const cpu = () => procCpuSeconds(api.child.pid!) + postgresCpuSeconds(pgServer.dataDir);
    let t = performance.now();
    const layout = await c.request(
      'POST',
      '/v1/seat-layouts',
      auth,
      JSON.stringify({ name: `Stadium ${randomUUID().slice(0, 8)}`, sections }),
    );
    if (layout.status !== 201) throw new Error(`layout: ${layout.status} ${layout.body.slice(0, 300)}`);
    const layoutMs = performance.now() - t;
    t = performance.now();
    const cpuBeforeEvent = cpu();
    const event = await c.request(
      'POST',
      '/v1/events',
      auth,
      JSON.stringify({
        title: 'Stadium concert',
        venue: 'Seoul World Cup Stadium',
        eventDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        status: 'on_sale',
        seatLayoutId: (JSON.parse(layout.body) as { id: string }).id,
      }),
    );
    if (event.status !== 201) throw new Error(`event: ${event.status} ${event.body.slice(0, 300)}`);
    const eventMs = performance.now() - t;
    const eventCpu = cpu() - cpuBeforeEvent;
    const stadium = JSON.parse(event.body) as { id: string; totalSeats: number };
    // node:http, counting the bytes as they come: the raw client's per-chunk Buffer.concat is
    // quadratic on a 10 MB body, and fetch's own cost swamped the server's at load 20.
    const timed = (url: string, headers: Record<string, string> = { 'accept-encoding': 'identity' }) =>
      new Promise<{ ms: number; bytes: number }>((resolve, reject) => {
        const start = performance.now();
        http
          .get({ host: '127.0.0.1', port: api.port, path: url, headers }, (res) => {
            let bytes = 0;
            res.on('data', (chunk: Buffer) => (bytes += chunk.length));
            res.on('end', () =>
              res.statusCode === 200
                ? resolve({ ms: performance.now() - start, bytes })
                : reject(new Error(`GET ${url}: ${res.statusCode}`)),
            );
          })
          .on('error', reject);
      });
    const cpuBeforeCold = cpu();
    const cold = await timed(`/v1/events/${stadium.id}/seats`);
    const coldCpu = cpu() - cpuBeforeCold;
    // Cold again, gzip this time: a catalog change message drops the event from every instance.
    await redis.publish(`${REDIS_PREFIX}catalog`, stadium.id);
    await sleep(300);
    const coldGz = await timed(`/v1/events/${stadium.id}/seats`, { 'accept-encoding': 'gzip' });
    const warm = await timed(`/v1/events/${stadium.id}/seats`);
    const gz = await timed(`/v1/events/${stadium.id}/seats`, { 'accept-encoding': 'gzip' });
    const gzWarm = await timed(`/v1/events/${stadium.id}/seats`, { 'accept-encoding': 'gzip' });
    const geometry = await timed(`/v1/events/${stadium.id}/seats/geometry`);
    const status = await timed(`/v1/events/${stadium.id}/seats/status`);
    c.close();
    console.log(`\nstadium: ${stadium.totalSeats} seats`);
    console.log('| step | time | API + PostgreSQL CPU | size |');
    console.log('|---|---|---|---|');
    console.log(`| POST /v1/seat-layouts (${STADIUM_SEATS} seats) | ${layoutMs.toFixed(0)} ms | | |`);
    console.log(`| POST /v1/events (seats generated) | ${eventMs.toFixed(0)} ms | ${eventCpu.toFixed(2)} s | |`);
    console.log(`| layout + event | **${(layoutMs + eventMs).toFixed(0)} ms** | | |`);
    console.log(
      `| GET .../seats, cold (PostgreSQL) | **${cold.ms.toFixed(0)} ms** | ${coldCpu.toFixed(2)} s | ${(cold.bytes / 1e6).toFixed(1)} MB |`,
    );
    console.log(
      `| GET .../seats gzip, cold (PostgreSQL, then compressed) | **${coldGz.ms.toFixed(0)} ms** | | ${(coldGz.bytes / 1e6).toFixed(2)} MB |`,
    );
    console.log(`| GET .../seats, from memory | ${warm.ms.toFixed(0)} ms | | |`);
    console.log(`| GET .../seats gzip, from memory | ${gz.ms.toFixed(0)} ms | | ${(gz.bytes / 1e6).toFixed(2)} MB |`);
    console.log(`| GET .../seats gzip, again (reused) | ${gzWarm.ms.toFixed(0)} ms | | |`);
    console.log(`| GET .../seats/geometry | ${geometry.ms.toFixed(0)} ms | | ${(geometry.bytes / 1e6).toFixed(1)} MB |`);
    console.log(`| GET .../seats/status | ${status.ms.toFixed(0)} ms | | ${(status.bytes / 1e3).toFixed(0)} kB |`);
  }
} finally {
  for (const child of children) child.send('stop');
  await sleep(300);
  for (const child of children) child.kill();
  rmSync(tmp, { recursive: true, force: true });
  await pgServer.stop();
  redisServer.kill();
}
