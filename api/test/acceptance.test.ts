// Issue 3's acceptance run, end to end as a storefront sees it: `npm start`'s entry point on the
// embedded default (embedded PostgreSQL, no Redis), the event created through the catalog API from a
// seat layout, 200 users racing over real HTTP, and the database checked afterwards.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/harness/ports.js';
import { seededRandom } from '../../test/harness/random.js';
import { eventually } from '../../test/harness/wait.js';
import { startServerProcess, type ServerProcess } from '../../test/harness/server-process.js';

const ADMIN = { email: 'boxoffice@tiketi.dev', password: 'box-office-password' };
let server: ServerProcess;
let db: pg.Client;
let dataDir: string;

type Answer = { status: number; body: Record<string, unknown> & { code?: string; id?: string } };
async function call(method: string, url: string, token?: string, body?: unknown): Promise<Answer> {
  const res = await fetch(server.baseUrl + url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? {} : ((await res.json()) as Answer['body']) };
}

/** Runs tasks with at most `width` in flight (registration hashes passwords; no need to melt the CPU). */
async function inBatches<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += width)
    out.push(...(await Promise.all(Array.from({ length: Math.min(width, count - i) }, (_, k) => task(i + k)))));
  return out;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-acceptance-'));
  chmodSync(dataDir, 0o755);
  const pgPort = await freePort();
  server = await startServerProcess(
    {
      DATABASE_URL: undefined,
      REDIS_URL: undefined,
      TIKETI_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      TIKETI_SEED: 'none',
      TIKETI_ADMIN_EMAIL: ADMIN.email,
      TIKETI_ADMIN_PASSWORD: ADMIN.password,
      // Long enough that the winners' holds outlive the 200-buyer race and their reservations on a
      // busy machine (at 5 s they sometimes expired first under load).
      HOLD_TTL_SECONDS: '20',
      SWEEP_INTERVAL_MS: '500',
      RATE_LIMIT_MAX: '5000',
      // 200 fans sign up from this one address: above the sign-in limit per address.
      AUTH_RATE_LIMIT_PER_IP: '1000',
    },
    120_000,
  );
  // The embedded database's application role, from the credentials file the start made (0600).
  const creds = JSON.parse(readFileSync(path.join(dataDir, 'pg-credentials.json'), 'utf8')) as { appUser: string; appPassword: string };
  db = new pg.Client({ host: '127.0.0.1', port: pgPort, user: creds.appUser, password: creds.appPassword, database: 'tiketi' });
  await db.connect();
}, 180_000);

afterAll(async () => {
  await db?.end();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('on the embedded default, through the public API', () => {
  it('200 users race for 40 seats, two each: one winner per seat, the seat map agrees, winners reserve, expired holds free their seats', async () => {
    const admin = (await call('POST', '/v1/auth/login', undefined, ADMIN)).body.token as string;
    const layout = await call('POST', '/v1/seat-layouts', admin, {
      name: 'Club 40',
      sections: [{ name: 'Floor', ticketType: 'R', price: 99_000, rows: 4, seatsPerRow: 10 }],
    });
    expect(layout.status).toBe(201);
    const event = await call('POST', '/v1/events', admin, {
      title: 'Acceptance Night',
      venue: 'Olympic Hall',
      eventDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      seatLayoutId: layout.body.id,
    });
    expect(event.status).toBe(201);
    const eventId = event.body.id as string;
    expect((await call('PATCH', `/v1/events/${eventId}`, admin, { status: 'on_sale' })).status).toBe(200);
    const seatIds = ((await call('GET', `/v1/events/${eventId}/seats`)).body.seats as Array<{ id: string }>).map((s) => s.id);
    expect(seatIds).toHaveLength(40);

    const users = await inBatches(200, 25, async (i) => {
      const r = await call('POST', '/v1/auth/register', undefined, {
        email: `fan${i}@example.com`,
        password: 'fan-password-1',
        name: `Fan ${i}`,
      });
      return r.body.token as string;
    });
    const rnd = seededRandom();
    const wishes = users.map(() => {
      const j = rnd.int(39);
      return [seatIds[j]!, seatIds[j + 1]!];
    });
    // All at once.
    const answers = await Promise.all(users.map((token, i) => call('POST', `/v1/events/${eventId}/holds`, token, { seatIds: wishes[i] })));
    for (const a of answers) {
      expect([201, 409]).toContain(a.status);
      if (a.status === 409) expect(a.body.code).toBe('SEAT_UNAVAILABLE');
    }
    const winners = answers.flatMap((a, i) =>
      a.status === 201 ? [{ holdId: a.body.id as string, token: users[i]!, seats: wishes[i]! }] : [],
    );
    const won = winners.flatMap((w) => w.seats);
    expect(winners.length).toBeGreaterThan(0);
    expect(new Set(won).size).toBe(won.length);

    const map = await call('GET', `/v1/events/${eventId}/seats`);
    for (const s of map.body.seats as Array<{ id: string; status: string }>)
      expect(s.status).toBe(won.includes(s.id) ? 'held' : 'available');

    const reservations = await Promise.all(winners.map((w) => call('POST', '/v1/reservations', w.token, { holdId: w.holdId })));
    for (const r of reservations) expect([r.status, r.body.status, r.body.totalAmount]).toEqual([201, 'pending', 198_000]);
    const { rows: live } = await db.query(
      `SELECT ri.seat_id, count(*)::int AS n FROM ticket.reservation_items ri JOIN ticket.seats s ON s.id = ri.seat_id
       WHERE s.event_id = $1 AND ri.reservation_status IN ('pending', 'confirmed') GROUP BY ri.seat_id`,
      [eventId],
    );
    expect(live.map((r) => r.seat_id).sort()).toEqual([...won].sort());
    expect(live.every((r) => r.n === 1)).toBe(true);

    // A cancelled reservation gives its seats back; an untouched hold on them frees them again once
    // it expires (HOLD_TTL_SECONDS=20).
    const cancelled = await call('POST', `/v1/reservations/${reservations[0]!.body.id}/cancel`, winners[0]!.token, {});
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
    const free = winners[0]!.seats;
    const late = await call('POST', `/v1/events/${eventId}/holds`, users[0], { seatIds: free });
    expect(late.status).toBe(201);
    const expiresAt = Date.parse(late.body.expiresAt as string);
    // Polled until freed (how soon is a latency, not a function: the test's timeout is the only bound).
    const freedAt = await eventually(async () => {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM ticket.seats WHERE id = ANY($1) AND status = 'available'`, [free]);
      return rows[0].n === free.length && Date.now();
    }, 250);
    expect(freedAt).toBeGreaterThanOrEqual(expiresAt);
    const after = await call('GET', `/v1/events/${eventId}/seats`);
    for (const s of after.body.seats as Array<{ id: string; status: string }>) if (free.includes(s.id)) expect(s.status).toBe('available');
  }, 180_000);
});
