// The API's CPU per request on one route, for two or more versions of the code at once.
//
//   BENCH_AB='{"before":{"dir":"/path/to/other/worktree"},"after":{"dir":"."}}' npm run bench:http-ab
//   BENCH_AB='{"a":{},"b":{"flags":"--max-semi-space-size=16"}}' BENCH_AB_URL=/health npm run bench:http-ab
//
// Every variant's API process (its checkout's loadtest/bench-server.ts, with its node flags) runs at
// the same time under the same load, round after round, so a slow phase of the host hits all of
// them alike; a variant's figure is the median over rounds of its process's CPU time (from /proc)
// divided by the requests it answered. Run each variant twice (two keys with the same settings):
// the position of a process in the list can move its figure by a few percent on this machine.
//
// BENCH_AB_HOLDS=1: instead of GETs, each client races for seats as bench:holds does: POST
// /v1/events/{id}/holds of 1-2 adjacent seats of one 5,000-seat section (BENCH_AB_ROWS rows of 100),
// with a random buyer's token, holds living 1 s (lazy expiry and the sweeper free them). Each variant
// gets its own database, migrated and filled by its own checkout's code (migrations and test fixtures
// of that commit), so old checkouts are measured on their own schema. The figure is per attempt
// (201 or 409); each variant's share of 201s is printed, as a differing share changes the work done.
//
//   BENCH_AB_HOLDS=1 BENCH_AB='{"old":{"dir":"/work/wt/holdold"},"new":{}}' npm run bench:http-ab
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateUp } from '../api/src/infra/migrate.js';
import {
  BENCH_JWT_SECRET,
  PRODUCTION_NODE_FLAGS,
  createBenchDatabase,
  forkBenchServer,
  procCpuSeconds,
  startBenchPostgres,
} from './bench-env.js';
import { RawHttpConnection } from './raw-http.js';

interface Variant {
  /** A checkout of this repository (default: this one). */
  dir?: string;
  /** Node flags of the API process (default: the production flags of `npm start`). */
  flags?: string;
  /** Extra environment of the API process. */
  env?: Record<string, string>;
}

const variants = JSON.parse(process.env.BENCH_AB ?? '{"a":{},"b":{}}') as Record<string, Variant>;
const url = process.env.BENCH_AB_URL ?? '/health';
const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 8);
// Rounds left out at the start while the JIT warms up (the hold path takes several).
const warmupRounds = Number(process.env.BENCH_AB_WARMUP_ROUNDS ?? 1);
const clientsEach = Number(process.env.BENCH_AB_CLIENTS ?? 24);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const holds = Boolean(process.env.BENCH_AB_HOLDS);
const rows = Number(process.env.BENCH_AB_ROWS ?? 50);
const HOLD_TTL_MS = 1000;

interface HoldTarget {
  eventId: string;
  seats: string[];
  tokens: string[];
  /** performance.now() until which a seat is known taken (a won hold), as a storefront's seat map shows. */
  takenUntil: Float64Array;
}

/** A database of its own for one variant, migrated and filled by the variant's checkout. */
async function holdTarget(adminUrl: string, name: string, dir: string): Promise<{ databaseUrl: string; target: HoldTarget }> {
  const databaseUrl = await createBenchDatabase(adminUrl, `bench_ab_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${Date.now()}`);
  // The variant's own code: its migrations and fixtures match its schema.
  const own = (file: string) => import(path.join(dir, file));
  const { migrateUp: migrate } = (await own('api/src/infra/migrate.ts')) as typeof import('../api/src/infra/migrate.js');
  const fixtures = (await own('test/harness/fixtures.ts')) as typeof import('../test/harness/fixtures.js');
  const { loadConfig } = (await own('api/src/config.ts')) as typeof import('../api/src/config.js');
  await migrate(databaseUrl, () => {});
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  try {
    const ev = await fixtures.createEventFixture(db, { sections: [{ name: 'Hot', rows, seatsPerRow: 100, price: 132_000 }] });
    await db.query('ANALYZE ticket.seats, ticket.ticket_types, ticket.events');
    const users = await fixtures.createUsers(
      { db, config: loadConfig({}, { DATABASE_URL: databaseUrl, JWT_SECRET: BENCH_JWT_SECRET }) },
      2000,
    );
    const seats = ev.seats.Hot!;
    return {
      databaseUrl,
      target: { eventId: ev.eventId, seats, tokens: users.map((u) => u.token), takenUntil: new Float64Array(seats.length) },
    };
  } finally {
    await db.end();
  }
}

/** One hold attempt of a random buyer on 1-2 adjacent seats its seat map shows free; false on a 409. */
async function holdAttempt(c: RawHttpConnection, t: HoldTarget): Promise<boolean> {
  const now = performance.now();
  let picked: number[] = [];
  for (let tries = 0; tries < 50; tries++) {
    const j = Math.floor(Math.random() * (t.seats.length - 1));
    picked = Math.random() < 0.5 ? [j] : [j, j + 1];
    if (picked.every((i) => t.takenUntil[i]! <= now)) break;
  }
  const token = t.tokens[Math.floor(Math.random() * t.tokens.length)]!;
  const res = await c.request(
    'POST',
    `/v1/events/${t.eventId}/holds`,
    { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    JSON.stringify({ seatIds: picked.map((i) => t.seats[i]) }),
  );
  if (res.status === 201) {
    for (const i of picked) t.takenUntil[i] = performance.now() + HOLD_TTL_MS;
    return true;
  }
  if (res.status === 409) return false;
  throw new Error(`POST holds answered ${res.status} ${res.body.slice(0, 200)}`);
}

const pgServer = await startBenchPostgres(holds ? 'postgres' : 'bench_ab');
// Every API process started, so a failure (a variant that does not start, an error answer) leaves none behind.
const children: ChildProcess[] = [];
try {
  if (!holds) await migrateUp(pgServer.url, () => {});
  const servers = await Promise.all(
    Object.entries(variants).map(async ([name, v]) => {
      const dir = path.resolve(v.dir ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
      const { databaseUrl, target } = holds ? await holdTarget(pgServer.url, name, dir) : { databaseUrl: pgServer.url, target: undefined };
      const { child, port } = await forkBenchServer({
        databaseUrl,
        dir,
        nodeFlags: v.flags === undefined ? PRODUCTION_NODE_FLAGS : v.flags.split(' ').filter(Boolean),
        env: { ...(holds ? { HOLD_TTL_SECONDS: String(HOLD_TTL_MS / 1000), MAX_TICKETS_PER_USER: '8' } : {}), ...v.env },
      }).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
      children.push(child);
      const connections = Array.from({ length: clientsEach }, () => new RawHttpConnection(port));
      return { name, child, connections, target, perRequest: [] as number[], answered: 0, won: 0, attempts: 0 };
    }),
  );
  const what = holds ? `POST /v1/events/{id}/holds (${rows * 100} seats, TTL 1 s)` : `GET ${url}`;
  console.log(
    `bench-http-ab: ${servers.length} API processes at once, ${clientsEach} clients each, ${what}, ${rounds} rounds of 2.5 s (first ${warmupRounds} left out)`,
  );
  for (let round = 0; round < rounds; round++) {
    let stop = false;
    let counting = false;
    const before = new Map<string, number>();
    for (const s of servers) s.answered = 0;
    const warm = setTimeout(() => {
      counting = true;
      for (const s of servers) before.set(s.name, procCpuSeconds(s.child.pid!));
    }, 500);
    const end = setTimeout(() => (stop = true), 3000);
    await Promise.all(
      servers.flatMap((s) =>
        s.connections.map(async (c) => {
          while (!stop) {
            if (s.target) {
              const won = await holdAttempt(c, s.target).catch((err: Error) => {
                throw new Error(`${s.name}: ${err.message}`);
              });
              if (counting && !stop && round >= warmupRounds) {
                s.attempts++;
                if (won) s.won++;
              }
            } else {
              const res = await c.request('GET', url);
              if (res.status >= 400) throw new Error(`${s.name}: GET ${url} answered ${res.status}`);
            }
            if (counting && !stop) s.answered++;
          }
        }),
      ),
    );
    clearTimeout(warm);
    clearTimeout(end);
    // The first rounds warm the JIT and are left out.
    if (round >= warmupRounds)
      for (const s of servers) s.perRequest.push(((procCpuSeconds(s.child.pid!) - before.get(s.name)!) * 1e6) / s.answered);
  }
  // CPU with no requests at all (timers, periodic jobs), which a per-request figure spreads over
  // the requests: compare it when figures differ at low request rates.
  const idle0 = new Map(servers.map((s) => [s.name, procCpuSeconds(s.child.pid!)]));
  await new Promise((r) => setTimeout(r, 3000));
  for (const s of servers)
    console.log(
      `${s.name.padEnd(12)} idle API CPU ${(((procCpuSeconds(s.child.pid!) - idle0.get(s.name)!) * 1e3) / 3).toFixed(1)} ms per second`,
    );
  const first = median(servers[0]!.perRequest);
  for (const s of servers) {
    const m = median(s.perRequest);
    console.log(
      `${s.name.padEnd(12)} API CPU ${m.toFixed(1).padStart(6)} µs per request (median; rounds: ${s.perRequest.map((x) => x.toFixed(0)).join(' ')})  ${((m / first - 1) * 100).toFixed(1)} % against ${servers[0]!.name}` +
        (s.target ? `; ${s.attempts} attempts, ${((100 * s.won) / Math.max(1, s.attempts)).toFixed(0)} % won` : ''),
    );
  }
  for (const s of servers) {
    s.connections.forEach((c) => c.close());
    s.child.send('stop');
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.child.once('exit', resolve))));
} finally {
  for (const child of children) if (child.exitCode === null) child.kill();
  await pgServer.stop();
}
