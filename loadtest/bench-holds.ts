// Contended holds on one hot section: our batched strategy (durable commits, the default) against
// the same with HOLDS_SYNCHRONOUS_COMMIT=off and against a naive baseline (one transaction per hold,
// one UPDATE per seat, no batching: naive-holds.ts), in the same run, on the same machine.
//
//   npm run bench:holds                       # embedded PostgreSQL in a temp dir
//   DATABASE_URL=postgres://... npm run bench:holds
//   BENCH_SECONDS=15 BENCH_CLIENTS=128 npm run bench:holds
//
// Each strategy gets a fresh database cloned from a migrated template and its own API process.
// Clients hammer one section (5,000 seats by default) with holds of 1-2 adjacent seats, picked among
// the seats their shared seat map shows free (BENCH_PICK=blind: any seat). Holds live 1 s, so seats
// churn by lazy expiry (and the sweeper), and buyers in flight at once collide. Afterwards the
// database is checked for double holds: two holds sharing a seat with overlapping lifetimes.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import pg from 'pg';
import { loadConfig } from '../api/src/config.js';
import { migrateUp } from '../api/src/infra/migrate.js';
import { createEventFixture, createUsers } from '../test/harness/fixtures.js';
import {
  BENCH_JWT_SECRET as JWT_SECRET,
  PRODUCTION_NODE_FLAGS,
  TICKS_PER_SECOND,
  createBenchDatabase,
  forkBenchServer,
  procCpuSeconds,
  startBenchPostgres,
} from './bench-env.js';
import { RawHttpConnection } from './raw-http.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 96);
const USERS = 2000;
// API processes per strategy (clients spread over them); the inventory design is multi-instance safe.
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1);
// Rows of 100 seats in the hot section; 50 rows = 5,000 seats, enough that a 1 s hold TTL does not cap successful holds/s.
const ROWS = Number(process.env.BENCH_ROWS ?? 50);
const HOLD_TTL_MS = 1000;
// How clients choose seats: 'seat-map' (default) avoids seats their seat map shows taken, as a
// storefront does; 'blind' picks at random regardless (most attempts then collide).
const PICK = (process.env.BENCH_PICK ?? 'seat-map') as 'seat-map' | 'blind';
// BENCH_ONLY=batched: one strategy, no ceilings and no ratio (for profiling); the full run is the default.
type Strategy = 'batched' | 'batched-async-commit' | 'naive-baseline';
const ONLY = process.env.BENCH_ONLY as Strategy | undefined;
// Extra node flags for the API processes, e.g. BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

interface Result {
  strategy: string;
  attempts: number;
  held: number;
  refused: Record<string, number>;
  errors: number;
  errorKinds: Record<string, number>;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  doubleHolds: number;
  holdsInDb: number;
  /** CPU seconds per second of the measured window: the load generator, the API process(es), PostgreSQL. */
  cpu: { generator: number; api: number; postgres: number; machine: number };
}

// CPU accounting from /proc (Linux): who uses the 2 cores during the measured window.
/**
 * PostgreSQL processes of the bench's own server: its postmaster (found by its data directory, for
 * the embedded server) and that postmaster's children. Other sessions' servers on the machine are
 * left out. With DATABASE_URL (data directory unknown) every postgres process counts.
 */
function postgresPids(): number[] {
  try {
    const procs = readdirSync('/proc')
      .filter((d) => /^[0-9]+$/.test(d))
      .flatMap((d) => {
        try {
          if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') return [];
          const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8');
          return [{ pid: Number(d), ppid, cmdline }];
        } catch {
          return [];
        }
      });
    if (!dataDir) return procs.map((p) => p.pid);
    const master = procs.find((p) => p.cmdline.includes(dataDir!));
    return master ? procs.filter((p) => p.pid === master.pid || p.ppid === master.pid).map((p) => p.pid) : [];
  } catch {
    return [];
  }
}
/** Busy CPU seconds of the whole machine (every process, ours and others'). */
function machineCpuSeconds(): number {
  try {
    const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}
function cpuSnapshot(apiPids: number[]) {
  const machine = machineCpuSeconds();
  const { user, system } = process.cpuUsage();
  const sumOf = (pids: number[]) => pids.reduce((a, p) => a + procCpuSeconds(p), 0);
  // Per-pid PostgreSQL figures, so backends that exit in the window are not counted negative.
  const pg = new Map(postgresPids().map((p) => [p, procCpuSeconds(p)]));
  return { generator: (user + system) / 1e6, api: sumOf(apiPids), pg, machine };
}
function cpuShare(a: ReturnType<typeof cpuSnapshot>, b: ReturnType<typeof cpuSnapshot>, seconds: number) {
  let postgres = 0;
  for (const [pid, t] of b.pg) postgres += t - (a.pg.get(pid) ?? 0);
  return {
    generator: (b.generator - a.generator) / seconds,
    api: (b.api - a.api) / seconds,
    postgres: postgres / seconds,
    machine: (b.machine - a.machine) / seconds,
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

function startApi(databaseUrl: string, strategy: string, raw = false): Promise<{ port: number; child: ChildProcess }> {
  return forkBenchServer({
    databaseUrl,
    nodeFlags: [...PRODUCTION_NODE_FLAGS, ...NODE_FLAGS],
    env: {
      HOLD_TTL_SECONDS: String(HOLD_TTL_MS / 1000),
      SWEEP_INTERVAL_MS: '1000', // the default
      MAX_TICKETS_PER_USER: '8',
      BENCH_HOLD_STRATEGY: strategy,
      BENCH_RAW: raw ? '1' : '',
    },
  });
}

/**
 * Requests/s of GET /health with the same clients: the ceiling of our HTTP stack on this machine
 * (or, with raw, of a bare node:http server answering the same JSON).
 */
async function httpCeiling(adminUrl: string, template: string, raw: boolean): Promise<number> {
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const { port, child } = await startApi(url.toString(), 'batched', raw);
  const connections = Array.from({ length: CLIENTS }, () => new RawHttpConnection(port));
  let n = 0;
  let stop = false;
  const deadline = performance.now() + 3000;
  await Promise.all(
    connections.map(async (http) => {
      while (!stop) {
        await http.request('GET', '/health');
        if (performance.now() > deadline) stop = true;
        else n++;
      }
    }),
  );
  connections.forEach((c) => c.close());
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  return n / 3;
}

async function runStrategy(adminUrl: string, template: string, strategy: Strategy): Promise<Result> {
  const databaseUrl = await createBenchDatabase(adminUrl, `bench_${strategy.replace(/-/g, '_')}_${Date.now()}`, template);

  const config = loadConfig({}, { DATABASE_URL: databaseUrl, JWT_SECRET });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const ev = await createEventFixture(db, { sections: [{ name: 'Hot', rows: ROWS, seatsPerRow: 100, price: 132_000 }] });
  const seats = ev.seats.Hot!;
  // Planner statistics, as any database whose event was created before its on-sale has them
  // (autovacuum); without them the seat lookups scan the whole section instead of the primary key.
  await db.query('ANALYZE ticket.seats, ticket.ticket_types, ticket.events');
  const users = await createUsers({ db, config }, USERS);
  const apis = await Promise.all(Array.from({ length: INSTANCES }, () => startApi(databaseUrl, strategy)));
  const bodies = new Map<string, number>();
  // Answers that are neither 201 nor a 409 with a code (and client failures), by status and body.
  const errorKinds = new Map<string, number>();
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  let attempts = 0;
  let held = 0;
  let errors = 0;

  // What each buyer's seat map shows as taken, shared by all clients as if the realtime channel
  // delivered every answer at once: a won hold's seats until it expires, a 409's seats for one TTL.
  // Clients in flight are invisible to each other, so buyers still collide on the same seats.
  const takenUntil = new Float64Array(seats.length);
  const seatIndex = new Map(seats.map((id, i) => [id, i]));
  const pick = (): number[] => {
    const now = performance.now();
    for (let tries = 0; ; tries++) {
      const j = Math.floor(Math.random() * (seats.length - 1));
      const picked = Math.random() < 0.5 ? [j] : [j, j + 1];
      if (PICK === 'blind' || tries >= 50 || picked.every((i) => takenUntil[i]! <= now)) return picked;
    }
  };
  const markTaken = (indexes: Iterable<number>) => {
    const until = performance.now() + HOLD_TTL_MS;
    for (const i of indexes) takenUntil[i] = until;
  };

  const client = async (index: number) => {
    const http = new RawHttpConnection(apis[index % apis.length]!.port);
    const path = strategy === 'naive-baseline' ? `/bench/naive/events/${ev.eventId}/holds` : `/v1/events/${ev.eventId}/holds`;
    while (!stop) {
      const u = users[Math.floor(Math.random() * users.length)]!;
      const picked = pick();
      const started = performance.now();
      try {
        const res = await http.request(
          'POST',
          path,
          { 'content-type': 'application/json', authorization: `Bearer ${u.token}` },
          JSON.stringify({ seatIds: picked.map((i) => seats[i]) }),
        );
        const latency = performance.now() - started;
        let code: string | undefined;
        if (res.status === 201) markTaken(picked);
        else if (res.status === 409) {
          const problem = JSON.parse(res.body) as { code: string; seatIds?: string[] };
          code = problem.code;
          if (problem.seatIds) markTaken(problem.seatIds.map((id) => seatIndex.get(id)!));
        }
        if (!measuring) continue;
        latencies.push(latency);
        attempts++;
        if (res.status === 201) held++;
        else if (code) bodies.set(code, (bodies.get(code) ?? 0) + 1);
        else {
          errors++;
          const kind = `${res.status} ${res.body.slice(0, 200)}`;
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        }
      } catch (err) {
        if (measuring) {
          errors++;
          errorKinds.set(String(err), (errorKinds.get(String(err)) ?? 0) + 1);
        }
        if (!stop) await new Promise((r) => setTimeout(r, 10));
      }
    }
    http.close();
  };

  const running = Array.from({ length: CLIENTS }, (_, i) => client(i));
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  const { rows: before } = await db.query('SELECT count(*)::int AS n FROM ticket.holds WHERE event_id = $1', [ev.eventId]);
  const apiPids = apis.map(({ child }) => child.pid!);
  const cpu0 = cpuSnapshot(apiPids);
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuShare(cpu0, cpuSnapshot(apiPids), seconds);
  stop = true;
  await Promise.all(running);

  // Double holds: two holds of a seat whose lifetimes overlap. Checked over every hold ever made.
  const { rows: dbl } = await db.query(
    `WITH x AS (SELECT id, unnest(seat_ids) AS sid, created_at, expires_at FROM ticket.holds WHERE event_id = $1)
     SELECT count(*)::int AS n FROM x a JOIN x b ON a.sid = b.sid AND a.id < b.id
      WHERE a.created_at < b.expires_at AND b.created_at < a.expires_at`,
    [ev.eventId],
  );
  if (dbl[0].n > 0) {
    const { rows: pairs } = await db.query(
      `WITH x AS (SELECT id, unnest(seat_ids) AS sid, created_at, expires_at, status, ended_at FROM ticket.holds WHERE event_id = $1)
       SELECT a.sid, a.id AS a_id, a.created_at AS a_from, a.expires_at AS a_to, a.status AS a_status, a.ended_at AS a_ended,
              b.id AS b_id, b.created_at AS b_from, b.expires_at AS b_to, b.status AS b_status, b.ended_at AS b_ended
         FROM x a JOIN x b ON a.sid = b.sid AND a.id < b.id
        WHERE a.created_at < b.expires_at AND b.created_at < a.expires_at LIMIT 5`,
      [ev.eventId],
    );
    console.log('double holds:', pairs);
  }
  const { rows: total } = await db.query('SELECT count(*)::int AS n FROM ticket.holds WHERE event_id = $1', [ev.eventId]);
  if (process.env.BENCH_SCANS) {
    // Diagnostics: how PostgreSQL reached the tables and indexes. Thousands of index entries read
    // per scan, or sequential scans of seats, mean a bad plan (both happened; see BENCHMARKS.md).
    const tables = await db.query(
      `SELECT relname, seq_scan, seq_tup_read, idx_scan, n_tup_upd, n_tup_hot_upd, autoanalyze_count
         FROM pg_stat_user_tables WHERE schemaname = 'ticket' AND (seq_scan > 0 OR idx_scan > 0) ORDER BY seq_tup_read DESC`,
    );
    console.table(tables.rows);
    const indexes = await db.query(
      `SELECT indexrelname, idx_scan, idx_tup_read, idx_tup_fetch FROM pg_stat_user_indexes
        WHERE schemaname = 'ticket' AND idx_scan > 0 ORDER BY idx_tup_read DESC LIMIT 8`,
    );
    console.table(indexes.rows);
  }
  await Promise.all(
    apis.map(async ({ child }) => {
      child.send('stop');
      await new Promise((r) => child.once('exit', r));
    }),
  );
  await db.end();

  latencies.sort((a, b) => a - b);
  return {
    strategy,
    attempts,
    held,
    refused: Object.fromEntries(bodies),
    errorKinds: Object.fromEntries(errorKinds),
    errors,
    seconds,
    p50: pct(latencies, 50),
    p90: pct(latencies, 90),
    p99: pct(latencies, 99),
    max: latencies.at(-1) ?? 0,
    doubleHolds: dbl[0].n,
    holdsInDb: total[0].n - before[0].n,
    cpu,
  };
}

let adminUrl = process.env.DATABASE_URL;
let stopPg: (() => Promise<void>) | undefined;
let dataDir: string | undefined;
if (!adminUrl) {
  const embedded = await startBenchPostgres('postgres');
  ({ url: adminUrl, dataDir, stop: stopPg } = embedded);
}
const template = `bench_template_${Date.now()}`;
await migrateUp(await createBenchDatabase(adminUrl, template), () => {});

console.log(
  `bench-holds: ${CLIENTS} clients, ${SECONDS} s per strategy (+${WARMUP_SECONDS} s warm-up), ${ROWS * 100}-seat hot section, holds of 1-2 adjacent seats, TTL 1 s, ${INSTANCES} API process(es) per strategy`,
);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, PostgreSQL ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'}`,
);
const results: Result[] = [];
try {
  if (!ONLY) {
    const rawCeiling = await httpCeiling(adminUrl, template, true);
    const apiCeiling = await httpCeiling(adminUrl, template, false);
    console.log(
      `HTTP ceilings with the same clients: bare node:http ${rawCeiling.toFixed(0)} req/s; our API's GET /health ${apiCeiling.toFixed(0)} req/s (no database, no auth)`,
    );
  }
  for (const strategy of ONLY ? [ONLY] : (['batched', 'batched-async-commit', 'naive-baseline'] as const)) {
    const r = await runStrategy(adminUrl, template, strategy);
    results.push(r);
    console.log(
      `${strategy.padEnd(20)} attempts/s ${(r.attempts / r.seconds).toFixed(0).padStart(6)}  holds/s ${(r.held / r.seconds).toFixed(0).padStart(6)}  ` +
        `p50 ${r.p50.toFixed(1)} ms  p90 ${r.p90.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  max ${r.max.toFixed(0)} ms  ` +
        `409s ${JSON.stringify(r.refused)}  errors ${r.errors}  double holds ${r.doubleHolds}  (holds in DB ${r.holdsInDb}, answered 201 ${r.held})`,
    );
    if (r.errors > 0) console.log(`${''.padEnd(20)} errors: ${JSON.stringify(r.errorKinds)}`);
    const perAttempt = (share: number) => ((share * r.seconds * 1000) / Math.max(1, r.attempts)).toFixed(2);
    console.log(
      `${''.padEnd(20)} CPU ms per attempt: load generator ${perAttempt(r.cpu.generator)}, API ${perAttempt(r.cpu.api)}, PostgreSQL ${perAttempt(r.cpu.postgres)}`,
    );
    console.log(
      `${''.padEnd(20)} CPU (cores busy): load generator ${r.cpu.generator.toFixed(2)}, API ${r.cpu.api.toFixed(2)}, PostgreSQL ${r.cpu.postgres.toFixed(2)}; whole machine ${r.cpu.machine.toFixed(2)} of ${cpus().length}`,
    );
  }
} finally {
  await stopPg?.();
}
if (ONLY) process.exit(results.some((r) => r.doubleHolds > 0) ? 1 : 0);
const [ours, async, naive] = results as [Result, Result, Result];
const ratio = (a: number, b: number) => (b === 0 ? Infinity : a / b);
console.log(
  `ratio batched / naive: holds/s ×${ratio(ours.held / ours.seconds, naive.held / naive.seconds).toFixed(2)}, attempts/s ×${ratio(ours.attempts / ours.seconds, naive.attempts / naive.seconds).toFixed(2)}`,
);
console.log(
  `ratio synchronous / asynchronous commit (batched): holds/s ×${ratio(ours.held / ours.seconds, async.held / async.seconds).toFixed(2)}, attempts/s ×${ratio(ours.attempts / ours.seconds, async.attempts / async.seconds).toFixed(2)}`,
);
// Double holds fail the run; errors (5xx, timeouts) are reported, the naive baseline may have some.
process.exit(results.some((r) => r.doubleHolds > 0) ? 1 : 0);
