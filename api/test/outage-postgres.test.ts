// PostgreSQL crashes under a hold race: the API process (the real entry point, spawned) survives,
// clients get 503 SERVICE_UNAVAILABLE (never 500), /ready says 503 until PostgreSQL is back and
// then 200, holding works again without a restart, and every hold answered 201 is in the database
// afterwards (durable acknowledgements). Its own embedded PostgreSQL (durable settings, not the
// harness's fsync-off one), since the test crashes it.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPool, type Db } from '../src/infra/db.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/infra/embedded-postgres.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { freePort } from '../../test/harness/ports.js';
import { seededRandom } from '../../test/harness/random.js';
import { startServerProcess, type ServerProcess } from '../../test/harness/server-process.js';
import { UpgradeRefused, wsConnect } from '../../test/harness/ws-client.js';

const JWT_SECRET = 'outage-test-secret-outage-test-secret';
let dataDir: string;
let port: number;
let pg: EmbeddedDatabase | undefined;
let server: ServerProcess | undefined;
let db: Db | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-outage-pg-'));
  chmodSync(dataDir, 0o755); // PostgreSQL may run as the `postgres` user when we are root
  port = await freePort();
  pg = await startEmbeddedPostgres({ dataDir, port, database: 'tiketi' });
  server = await startServerProcess(
    {
      DATABASE_URL: pg.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `test:${randomUUID()}:`,
      JWT_SECRET,
      TIKETI_SEED: 'none',
      LOG_LEVEL: 'info', // the start-up line the harness waits for is at info
      RATE_LIMIT: 'off',
      HOLDS_PER_IP_PER_EVENT: '0',
      HOLDS_PER_ACCOUNT_PER_MINUTE: '0',
    },
    // Start-up on a busy 2-core machine took over a minute in a full run: a guard, not a speed claim.
    180_000,
  );
  db = createPool(pg.url, 4);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await db?.end();
  await pg?.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

/** Crashes PostgreSQL: SIGQUIT to the postmaster is an immediate shutdown (no checkpoint, nothing flushed). */
function crashPostgres() {
  const pid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
}

describe('PostgreSQL killed under a hold race', () => {
  it('keeps the API up, answers 503 with a code while it is down, and every acknowledged hold survives', async () => {
    const base = server!.baseUrl;
    const config = loadConfig({}, { DATABASE_URL: pg!.url, JWT_SECRET });
    const ev = await createEventFixture(db!, { sections: [{ name: 'A', rows: 8, seatsPerRow: 50, price: 50_000 }] });
    const seats = ev.seats.A!;
    const users = await createUsers({ db: db!, config }, 60);
    // A user this instance has never seen: checking their token needs the database.
    const [unseen] = await createUsers({ db: db!, config }, 1);
    const rnd = seededRandom();

    const answers: Array<{ status: number; code?: string; retryAfter: string | null; holdId?: string }> = [];
    const created = () => answers.filter((a) => a.status === 201).length;
    let phase: 'before' | 'down' | 'after' = 'before';
    let createdBeforeCrash = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        const u = users[rnd.int(users.length)]!;
        const i = rnd.int(seats.length - 1);
        const picked = rnd.random() < 0.5 ? [seats[i]] : [seats[i], seats[i + 1]];
        try {
          const res = await fetch(`${base}/v1/events/${ev.eventId}/holds`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${u.token}` },
            body: JSON.stringify({ seatIds: picked }),
          });
          const body = (await res.json()) as { id?: string; code?: string };
          answers.push({ status: res.status, code: body.code, retryAfter: res.headers.get('retry-after'), holdId: body.id });
          if (res.status === 503) await new Promise((r) => setTimeout(r, 20)); // a polite client backs off
        } catch (err) {
          // A dropped connection would be the API process dying: recorded as status 0.
          answers.push({ status: 0, code: String(err), retryAfter: null });
        }
      }
    };
    const until = async (what: string, done: () => boolean | Promise<boolean>) => {
      for (let i = 0; !(await done()); i++) {
        if (i > 1200) throw new Error(`gave up waiting for: ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const ready = async () => (await fetch(`${base}/ready`)).status;

    const clients = Array.from({ length: 16 }, () => client());
    try {
      await until('100 holds before the crash', () => created() >= 100);
      createdBeforeCrash = created();
      crashPostgres();
      phase = 'down';
      await until('a hold answered 503', () => answers.some((a) => a.status === 503));
      await until('/ready answering 503', async () => (await ready()) === 503);
      // The live channel cannot check a token either: 503 (try again), not 401 (drop the token).
      const upgrade = await wsConnect(`${base.replace('http', 'ws')}/v1/realtime?token=${unseen!.token}`).catch((e: unknown) => e);
      expect(upgrade).toBeInstanceOf(UpgradeRefused);
      expect((upgrade as UpgradeRefused).status).toBe(503);
      pg = await startEmbeddedPostgres({ dataDir, port, database: 'tiketi' });
      await until('/ready answering 200 again', async () => (await ready()) === 200);
      phase = 'after';
      const createdAtRecovery = created();
      await until('50 holds after recovery', () => created() >= createdAtRecovery + 50);
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect(phase).toBe('after');
    const tally = (status: number) => answers.filter((a) => a.status === status).length;
    console.log(`hold answers: ${tally(201)} × 201 (${createdBeforeCrash} before the crash), ${tally(409)} × 409, ${tally(503)} × 503`);

    // The process never went away and answered every request with a 201, a 409 or a 503 with its code.
    expect(server!.child.exitCode).toBeNull();
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const unexpected = answers.filter((a) => ![201, 409, 503].includes(a.status));
    expect(unexpected).toEqual([]);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.code).toBe('SERVICE_UNAVAILABLE');
      expect(a.retryAfter).toBe('5');
    }
    for (const a of answers.filter((x) => x.status === 409)) expect(['SEAT_UNAVAILABLE', 'TICKET_LIMIT_EXCEEDED']).toContain(a.code);

    // Durable acknowledgements: every hold answered 201 is in the database, crash or not.
    const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.holdId!);
    expect(createdBeforeCrash).toBeGreaterThanOrEqual(100);
    const { rows } = await db!.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket.holds WHERE id = ANY($1)', [acknowledged]);
    expect(rows[0]!.n).toBe(acknowledged.length);

    // And the seats are consistent: no seat in two active holds, every held seat points at an active
    // hold that lists it, and nobody holds more than the ticket limit.
    const doubles = await db!.query(
      `SELECT sid FROM ticket.holds h, unnest(h.seat_ids) sid WHERE h.event_id = $1 AND h.status = 'active' GROUP BY sid HAVING count(*) > 1`,
      [ev.eventId],
    );
    expect(doubles.rows).toEqual([]);
    const mismatched = await db!.query(
      `SELECT s.id FROM ticket.seats s LEFT JOIN ticket.holds h ON h.id = s.hold_id
        WHERE s.event_id = $1 AND s.status = 'held' AND (h.status IS DISTINCT FROM 'active' OR NOT s.id = ANY(h.seat_ids))
       UNION ALL
       SELECT sid FROM ticket.holds h, unnest(h.seat_ids) sid JOIN ticket.seats s ON s.id = sid
        WHERE h.event_id = $1 AND h.status = 'active' AND s.hold_id IS DISTINCT FROM h.id`,
      [ev.eventId],
    );
    expect(mismatched.rows).toEqual([]);
    const overLimit = await db!.query(
      `SELECT user_id FROM ticket.holds WHERE event_id = $1 AND status = 'active' GROUP BY user_id HAVING sum(cardinality(seat_ids)) > $2`,
      [ev.eventId, config.MAX_TICKETS_PER_USER],
    );
    expect(overLimit.rows).toEqual([]);
  }, 300_000);
});
