import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers, type EventFixture } from '../../test/harness/fixtures.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ config: { RATE_LIMIT: 'off' } });
});
afterAll(async () => t?.close());

type User = { userId: string; token: string };
const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: User, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, payload: payload as object, headers: { ...(user ? bearer(user.token) : {}), ...headers } });
const hold = (ev: EventFixture, user: User, body: unknown, headers?: Record<string, string>) =>
  inject('POST', `/v1/events/${ev.eventId}/holds`, user, body, headers);
const seatStatus = async (ev: EventFixture) => {
  const res = await inject('GET', `/v1/events/${ev.eventId}/seats`);
  expect(res.statusCode).toBe(200);
  return new Map((res.json().seats as Array<{ id: string; status: string }>).map((s) => [s.id, s.status]));
};

/**
 * A session holding seat `seatId` locked (`FOR UPDATE`, in an open transaction), and a way to wait
 * until another backend waits on that lock (optionally killing it).
 */
async function lockSeatElsewhere(seatId: string) {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM ticket.seats WHERE id = $1 FOR UPDATE', [seatId]);
  return {
    client,
    /** Backends found waiting on a lock (terminated first when `kill`), polled until there is one (the test's timeout bounds it). */
    async waiters(options: { kill?: boolean } = {}): Promise<number> {
      const counted = options.kill ? 'count(pg_terminate_backend(pid))' : 'count(*)';
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        const { rows } = await client.query(
          `SELECT ${counted}::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
        );
        if (rows[0].n > 0) return rows[0].n;
      }
    },
    async end() {
      await client.query('ROLLBACK').catch(() => {});
      await client.end();
    },
  };
}

describe('holds', () => {
  it('holds seats all or none, shows them held on the seat map, and refuses a taken seat naming it', async () => {
    const ev = await createEventFixture(t.db);
    const [a, b] = await createUsers(t, 2);
    const [s1, s2, s3] = ev.seats.A!;
    const res = await hold(ev, a!, { seatIds: [s1, s2] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ eventId: ev.eventId, status: 'active', currency: 'KRW', totalAmount: 200_000, items: [] });
    expect(body.seats.map((s: { id: string }) => s.id).sort()).toEqual([s1, s2].sort());
    expect(body.seats[0]).toMatchObject({ section: 'A', row: 'A', price: 100_000, ticketTypeId: ev.seatedTypes.A });
    // HOLD_TTL_SECONDS (300) from the moment it was written (two clock readings in one statement:
    // at most a millisecond apart once rounded).
    expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt) - 300_000).toBeGreaterThanOrEqual(0);
    expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt) - 300_000).toBeLessThanOrEqual(1);

    const clash = await hold(ev, b!, { seatIds: [s3, s2] });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'SEAT_UNAVAILABLE', seatIds: [s2] });
    const map = await seatStatus(ev);
    expect([map.get(s1!), map.get(s2!), map.get(s3!)]).toEqual(['held', 'held', 'available']);
    // all or none: s3 was not taken by the refused request
    const { rows } = await t.db.query('SELECT status FROM ticket.seats WHERE id = $1', [s3]);
    expect(rows[0].status).toBe('available');
  });

  it('refuses bad requests with codes: unknown event, not on sale, foreign seat, malformed ids, empty set, unknown fields, no token', async () => {
    const ev = await createEventFixture(t.db);
    const other = await createEventFixture(t.db);
    const upcoming = await createEventFixture(t.db, { status: 'upcoming' });
    const [u] = await createUsers(t, 1);
    const seat = ev.seats.A![0]!;

    expect((await inject('POST', `/v1/events/${randomUUID()}/holds`, u, { seatIds: [seat] })).json().code).toBe('EVENT_NOT_FOUND');
    const notOnSale = await hold(upcoming, u!, { seatIds: [upcoming.seats.A![0]] });
    expect([notOnSale.statusCode, notOnSale.json().code]).toEqual([409, 'EVENT_NOT_ON_SALE']);
    const foreign = await hold(ev, u!, { seatIds: [seat, other.seats.A![0]] });
    expect([foreign.statusCode, foreign.json().code]).toEqual([400, 'SEAT_NOT_FOUND']);
    expect(foreign.json().seatIds).toEqual([other.seats.A![0]]);

    for (const bad of [
      { seatIds: ['not-a-uuid'] },
      { seatIds: [] },
      { seatIds: [seat], extra: 1 },
      {},
      { seatIds: [seat, seat] },
      { seatIds: [seat], items: [] },
    ]) {
      const res = await hold(ev, u!, bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    // Validation stops at the first error (a body of thousands of bad keys answers one line).
    const extra = await hold(ev, u!, { items: [{ ticketTypeId: seat, quantity: 1, extra: 1 }] });
    expect(extra.json().errors).toEqual([{ path: '/body/items/0/extra', message: 'is not a known field' }]);
    const malformedEvent = await inject('POST', '/v1/events/nope/holds', u, { seatIds: [seat] });
    expect([malformedEvent.statusCode, malformedEvent.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const anonymous = await inject('POST', `/v1/events/${ev.eventId}/holds`, undefined, { seatIds: [seat] });
    expect([anonymous.statusCode, anonymous.json().code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
    // nothing was held by any of these
    expect([...(await seatStatus(ev)).values()].every((s) => s === 'available')).toBe(true);
  });

  it('enforces the per-user ticket limit across holds and reservations, race-free', async () => {
    const ev = await createEventFixture(t.db, { generalAdmission: [{ name: 'Standing', quantity: 100, price: 50_000 }] });
    const [u] = await createUsers(t, 1);
    const seats = ev.seats.A!;
    const first = await hold(ev, u!, { seatIds: seats.slice(0, 3) });
    await inject('POST', '/v1/reservations', u, { holdId: first.json().id });
    // 3 reserved; now 6 concurrent requests of one ticket each: exactly 5 may pass (limit 8)
    const results = await Promise.all(seats.slice(10, 16).map((s) => hold(ev, u!, { seatIds: [s] })));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(5);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(refused.map((r) => r.json().code)).toEqual(['TICKET_LIMIT_EXCEEDED']);
    const ga = await hold(ev, u!, { items: [{ ticketTypeId: ev.gaTypes.Standing, quantity: 1 }] });
    expect(ga.json().code).toBe('TICKET_LIMIT_EXCEEDED');
  });

  it('holds general admission, refuses a shortage with SOLD_OUT, and restores quantities on release', async () => {
    const ev = await createEventFixture(t.db, { generalAdmission: [{ name: 'Standing', quantity: 5, price: 50_000 }] });
    const [a, b] = await createUsers(t, 2);
    const typeId = ev.gaTypes.Standing!;
    const res = await hold(ev, a!, { items: [{ ticketTypeId: typeId, quantity: 4 }] });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      seats: [],
      items: [{ ticketTypeId: typeId, name: 'Standing', quantity: 4, unitPrice: 50_000 }],
      totalAmount: 200_000,
    });
    const short = await hold(ev, b!, { items: [{ ticketTypeId: typeId, quantity: 2 }] });
    expect([short.statusCode, short.json().code]).toEqual([409, 'SOLD_OUT']);
    const available = async () =>
      (await t.db.query('SELECT available_quantity FROM ticket.ticket_types WHERE id = $1', [typeId])).rows[0].available_quantity;
    expect(await available()).toBe(1);
    const seatedAsGa = await hold(ev, b!, { items: [{ ticketTypeId: ev.seatedTypes.A, quantity: 1 }] });
    expect(seatedAsGa.statusCode).toBe(400);
    const released = await inject('DELETE', `/v1/holds/${res.json().id}`, a);
    expect(released.statusCode).toBe(200);
    expect(released.json().status).toBe('released');
    expect(await available()).toBe(5);
    // releasing twice changes nothing
    await inject('DELETE', `/v1/holds/${res.json().id}`, a);
    expect(await available()).toBe(5);
  });

  it('shows a hold to its owner only and frees seats on early release', async () => {
    const ev = await createEventFixture(t.db);
    const [a, b] = await createUsers(t, 2);
    const h = (await hold(ev, a!, { seatIds: [ev.seats.A![0]] })).json();
    expect((await inject('GET', `/v1/holds/${h.id}`, a)).json()).toMatchObject({ id: h.id, status: 'active' });
    expect((await inject('GET', `/v1/holds/${h.id}`, b)).json().code).toBe('HOLD_NOT_FOUND');
    expect((await inject('DELETE', `/v1/holds/${h.id}`, b)).statusCode).toBe(404);
    expect((await seatStatus(ev)).get(ev.seats.A![0]!)).toBe('held');
    await inject('DELETE', `/v1/holds/${h.id}`, a);
    expect((await seatStatus(ev)).get(ev.seats.A![0]!)).toBe('available');
    expect((await hold(ev, b!, { seatIds: [ev.seats.A![0]] })).statusCode).toBe(201);
  });

  it('replays a hold for the same Idempotency-Key and body, and refuses the key with another body', async () => {
    const ev = await createEventFixture(t.db);
    const [u] = await createUsers(t, 1);
    const key = { 'idempotency-key': randomUUID() };
    const first = await hold(ev, u!, { seatIds: [ev.seats.A![0]] }, key);
    const again = await hold(ev, u!, { seatIds: [ev.seats.A![0]] }, key);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM ticket.holds WHERE user_id = $1', [u!.userId]);
    expect(rows[0].n).toBe(1);
    const other = await hold(ev, u!, { seatIds: [ev.seats.A![1]] }, key);
    expect([other.statusCode, other.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
  });
  it('recovers when the connection under a hold batch dies: that batch answers 503 with Retry-After, the next hold succeeds', async () => {
    const ev = await createEventFixture(t.db);
    const [a, b] = await createUsers(t, 2);
    const [s1, s2] = ev.seats.A!;
    // Another session locks seat 1, so the hold batch waits on it; then its backend is killed.
    const blocker = await lockSeatElsewhere(s1!);
    try {
      const pending = hold(ev, a!, { seatIds: [s1] });
      expect(await blocker.waiters({ kill: true })).toBe(1);
      const res = await pending;
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('SERVICE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      await blocker.end();
    }
    // The lane dropped the dead connection: the next holds get a working one.
    expect((await hold(ev, b!, { seatIds: [s1, s2] })).statusCode).toBe(201);
    expect((await seatStatus(ev)).get(s1!)).toBe('held');
  });

  it('runs a batch again when a seat it read as free is taken before its write: 409 naming that seat, nothing half held', async () => {
    const ev = await createEventFixture(t.db);
    const [a, b] = await createUsers(t, 2);
    const [s1, s2] = ev.seats.A!;
    // Another session locks seat 1, so the batch reads it free but its write waits; meanwhile that
    // session gives the seat to user b and commits.
    const other = await lockSeatElsewhere(s1!);
    try {
      const pending = hold(ev, a!, { seatIds: [s1, s2] });
      expect(await other.waiters()).toBe(1);
      const holdId = randomUUID();
      await other.client.query(
        `INSERT INTO ticket.holds (id, event_id, user_id, expires_at, seat_ids) VALUES ($1, $2, $3, now() + interval '5 minutes', $4)`,
        [holdId, ev.eventId, b!.userId, [s1]],
      );
      await other.client.query(
        `UPDATE ticket.seats SET status = 'held', hold_id = $1, hold_expires_at = now() + interval '5 minutes' WHERE id = $2`,
        [holdId, s1],
      );
      await other.client.query('COMMIT');
      const res = await pending;
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'SEAT_UNAVAILABLE', seatIds: [s1] });
    } finally {
      await other.end();
    }
    const { rows } = await t.db.query(`SELECT id, status, hold_id FROM ticket.seats WHERE id = ANY($1)`, [[s1, s2]]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(s2)!.status).toBe('available');
    expect(byId.get(s1)!.status).toBe('held');
    const { rows: holdsOfA } = await t.db.query('SELECT 1 FROM ticket.holds WHERE user_id = $1', [a!.userId]);
    expect(holdsOfA).toHaveLength(0);
  });
});

describe('reservations', () => {
  it('turns a hold into a pending reservation with items, a number and an expiry; a second try is HOLD_ALREADY_USED', async () => {
    const ev = await createEventFixture(t.db, { generalAdmission: [{ name: 'Standing', quantity: 10, price: 30_000 }] });
    const [u] = await createUsers(t, 1);
    const seated = (await hold(ev, u!, { seatIds: ev.seats.A!.slice(0, 2) })).json();
    const res = await inject('POST', '/v1/reservations', u, { holdId: seated.id });
    expect(res.statusCode).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({ eventId: ev.eventId, status: 'pending', totalAmount: 200_000, currency: 'KRW', holdId: seated.id });
    expect(r.number).toMatch(/^TK-\d{8}-[0-9A-Z]{6}$/);
    expect(r.items).toHaveLength(2);
    expect(r.items[0]).toMatchObject({ ticketTypeId: ev.seatedTypes.A, quantity: 1, unitPrice: 100_000, subtotal: 100_000 });
    // RESERVATION_TTL_SECONDS (900) from its creation, exactly (both set in one statement).
    expect(Date.parse(r.expiresAt) - Date.parse(r.createdAt)).toBe(900_000);
    expect((await inject('GET', `/v1/holds/${seated.id}`, u)).json().status).toBe('converted');
    const { rows } = await t.db.query(`SELECT status, reservation_id FROM ticket.seats WHERE id = ANY($1)`, [ev.seats.A!.slice(0, 2)]);
    expect(rows.every((s) => s.status === 'reserved' && s.reservation_id === r.id)).toBe(true);
    expect((await seatStatus(ev)).get(ev.seats.A![0]!)).toBe('held');
    const again = await inject('POST', '/v1/reservations', u, { holdId: seated.id });
    expect([again.statusCode, again.json().code]).toEqual([409, 'HOLD_ALREADY_USED']);

    const ga = (await hold(ev, u!, { items: [{ ticketTypeId: ev.gaTypes.Standing, quantity: 3 }] })).json();
    const gaRes = (await inject('POST', '/v1/reservations', u, { holdId: ga.id })).json();
    expect(gaRes.items).toEqual([
      { ticketTypeId: ev.gaTypes.Standing, seatId: null, label: null, quantity: 3, unitPrice: 30_000, subtotal: 90_000 },
    ]);
    expect(gaRes.totalAmount).toBe(90_000);
  });

  it('answers HOLD_EXPIRED for an expired hold', async () => {
    const ev = await createEventFixture(t.db);
    const [u] = await createUsers(t, 1);
    const h = (await hold(ev, u!, { seatIds: [ev.seats.A![5]] })).json();
    await t.db.query(`UPDATE ticket.holds SET expires_at = now() - interval '1 second' WHERE id = $1`, [h.id]);
    await t.db.query(`UPDATE ticket.seats SET hold_expires_at = now() - interval '1 second' WHERE hold_id = $1`, [h.id]);
    expect((await inject('GET', `/v1/holds/${h.id}`, u)).json().status).toBe('expired');
    // The seat map is versioned: the seat shows free once the sweeper has released it (a new version).
    await vi.waitFor(async () => expect((await seatStatus(ev)).get(ev.seats.A![5]!)).toBe('available'), { timeout: 5000, interval: 50 });
    const res = await inject('POST', '/v1/reservations', u, { holdId: h.id });
    expect([res.statusCode, res.json().code]).toEqual([410, 'HOLD_EXPIRED']);
  });

  it('cancels a pending reservation exactly (seats free, quantities back), shows it to owner and admin only, and lists it', async () => {
    const ev = await createEventFixture(t.db, { generalAdmission: [{ name: 'Standing', quantity: 10, price: 30_000 }] });
    const [u, other] = await createUsers(t, 2);
    const admin = await createAdmin(t);
    const h = (await hold(ev, u!, { items: [{ ticketTypeId: ev.gaTypes.Standing, quantity: 2 }] })).json();
    const r = (await inject('POST', '/v1/reservations', u, { holdId: h.id })).json();
    const s = (await hold(ev, u!, { seatIds: [ev.seats.A![7]] })).json();
    const r2 = (await inject('POST', '/v1/reservations', u, { holdId: s.id })).json();

    expect((await inject('GET', `/v1/reservations/${r.id}`, other)).statusCode).toBe(404);
    expect((await inject('GET', `/v1/reservations/${r.id}`, admin)).json().id).toBe(r.id);
    expect((await inject('POST', `/v1/reservations/${r.id}/cancel`, other, {})).statusCode).toBe(404);
    const mine = (await inject('GET', '/v1/me/reservations?limit=1', u)).json();
    expect(mine.data).toHaveLength(1);
    expect(mine.nextCursor).toEqual(expect.any(String));
    const page2 = (await inject('GET', `/v1/me/reservations?limit=1&cursor=${mine.nextCursor}`, u)).json();
    expect(new Set([mine.data[0].id, page2.data[0].id])).toEqual(new Set([r.id, r2.id]));
    expect((await inject('GET', '/v1/reservations', u)).statusCode).toBe(403);
    const all = (await inject('GET', `/v1/reservations?eventId=${ev.eventId}&status=pending`, admin)).json();
    expect(all.data.map((x: { id: string }) => x.id).sort()).toEqual([r.id, r2.id].sort());

    const cancelled = await inject('POST', `/v1/reservations/${r.id}/cancel`, u, {});
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe('cancelled');
    const again = await inject('POST', `/v1/reservations/${r.id}/cancel`, u, {});
    expect(again.json().status).toBe('cancelled');
    const { rows } = await t.db.query('SELECT available_quantity FROM ticket.ticket_types WHERE id = $1', [ev.gaTypes.Standing]);
    expect(rows[0].available_quantity).toBe(10);

    const byAdmin = await inject('POST', `/v1/reservations/${r2.id}/cancel`, admin, { reason: 'duplicate order' });
    expect(byAdmin.json().status).toBe('cancelled');
    expect((await seatStatus(ev)).get(ev.seats.A![7]!)).toBe('available');
  });

  it('refuses to cancel a confirmed reservation: that goes through its payment', async () => {
    const ev = await createEventFixture(t.db);
    const [u] = await createUsers(t, 1);
    const h = (await hold(ev, u!, { seatIds: [ev.seats.A![9]] })).json();
    const r = (await inject('POST', '/v1/reservations', u, { holdId: h.id })).json();
    // Payments do not exist yet: confirm the way the payment module will, in SQL.
    await t.db.query(`UPDATE ticket.reservations SET status = 'confirmed', confirmed_at = now() WHERE id = $1`, [r.id]);
    await t.db.query(`UPDATE ticket.seats SET status = 'sold' WHERE reservation_id = $1`, [r.id]);
    const res = await inject('POST', `/v1/reservations/${r.id}/cancel`, u, {});
    expect([res.statusCode, res.json().code]).toEqual([409, 'RESERVATION_NOT_CANCELLABLE']);
    expect(res.json().detail).toMatch(/payment/);
    expect((await seatStatus(ev)).get(ev.seats.A![9]!)).toBe('sold');
  });

  it('the database refuses a second live reservation of a seat, whatever the code does', async () => {
    const ev = await createEventFixture(t.db);
    const [u] = await createUsers(t, 1);
    const h = (await hold(ev, u!, { seatIds: [ev.seats.A![3]] })).json();
    const r = (await inject('POST', '/v1/reservations', u, { holdId: h.id })).json();
    const fake = await t.db.query(
      `INSERT INTO ticket.reservations (number, user_id, event_id, total_amount, currency, expires_at)
       VALUES ('TK-00000000-FAKE00', $1, $2, 0, 'KRW', now() + interval '1 hour') RETURNING id`,
      [u!.userId, ev.eventId],
    );
    await expect(
      t.db.query(
        `INSERT INTO ticket.reservation_items (reservation_id, reservation_status, ticket_type_id, seat_id, quantity, unit_price, subtotal)
         VALUES ($1, 'pending', $2, $3, 1, 0, 0)`,
        [fake.rows[0].id, ev.seatedTypes.A, ev.seats.A![3]],
      ),
    ).rejects.toThrow(/reservation_items_one_live_reservation_per_seat/);
    expect(r.status).toBe('pending');
  });
});
