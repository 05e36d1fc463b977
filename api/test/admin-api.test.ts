// The admin API the CLI needs: the hold list and admin release, ticket type and seat layout deletes
// and updates (refused once used), complimentary reservations (never a double sale, also when
// racing holds), event cancellation with refunds through the payments module, and the reservation
// list by buyer email.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers, type EventFixture } from '../../test/harness/fixtures.js';
import { approve, expectChargesMatchTickets, httpCaller, reserveAndPrepare, type Call } from '../../test/harness/payments.js';
import { seededRandom } from '../../test/harness/random.js';
import { Registry } from 'prom-client';
import { createInventoryService } from '../src/modules/inventory/service.js';
import { createPaymentsModule } from '../src/modules/payments/module.js';
import type { SandboxCharge } from '../src/modules/payments/sandbox/toss-sandbox.js';
import { createRealtimePublisher } from '../src/realtime/bus.js';

const SANDBOX = '/sandbox/toss';
let t: TestApp;
let call: Call;
let admin: { token: string; userId: string };

beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off', TOSS_TIMEOUT_MS: 2000 } });
  call = httpCaller(t.baseUrl);
  admin = await createAdmin(t);
});
afterAll(async () => {
  if (t) await expectChargesMatchTickets(t.db, (await call('GET', `${SANDBOX}/charges`)).body.data as SandboxCharge[]);
  await t?.close();
});

const seatStatus = async (ids: string[]) =>
  (await t.db.query<{ status: string }>(`SELECT status FROM ticket.seats WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids])).rows.map(
    (r) => r.status,
  );
const hold = (token: string, eventId: string, body: object) => call('POST', `/v1/events/${eventId}/holds`, token, body);
const comp = (body: object) => call('POST', '/v1/reservations/complimentary', admin.token, { note: 'guest list', ...body });

async function paidOrder(token: string, ev: EventFixture, seatIds: string[]) {
  const order = await reserveAndPrepare(call, token, ev.eventId, seatIds);
  const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount });
  const confirmed = await call('POST', '/v1/payments/confirm', token, { paymentKey, orderId: order.orderId, amount: order.amount });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { ...order, paymentKey };
}

describe('holds, for admins', () => {
  it('lists holds by event, user and status (an active hold past its time is expired), pages them, and releases anyone’s', async () => {
    const ev = await createEventFixture(t.db);
    const [a, b] = await createUsers(t, 2);
    const seats = ev.seats.A!;
    const h1 = await hold(a!.token, ev.eventId, { seatIds: seats.slice(0, 2) });
    const h2 = await hold(b!.token, ev.eventId, { seatIds: seats.slice(2, 3) });
    const h3 = await hold(b!.token, ev.eventId, { seatIds: seats.slice(3, 4) });
    expect([h1.status, h2.status, h3.status]).toEqual([201, 201, 201]);
    expect(h1.body.userId).toBe(a!.userId);
    // h3 ran out of time; the sweeper has not come by.
    await t.db.query(`UPDATE ticket.holds SET expires_at = now() - interval '1 second' WHERE id = $1`, [h3.body.id]);
    await t.db.query(`UPDATE ticket.seats SET hold_expires_at = now() - interval '1 second' WHERE hold_id = $1`, [h3.body.id]);

    const ids = async (query: string) => {
      const res = await call('GET', `/v1/holds?eventId=${ev.eventId}&${query}`, admin.token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body.data as Array<{ id: string }>).map((h) => h.id);
    };
    expect(await ids('')).toEqual([h3.body.id, h2.body.id, h1.body.id]);
    expect(await ids(`userId=${b!.userId}`)).toEqual([h3.body.id, h2.body.id]);
    expect(await ids('status=active')).toEqual([h2.body.id, h1.body.id]);
    expect(await ids('status=expired')).toEqual([h3.body.id]);
    // Pages of one, newest first, nothing skipped or repeated.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: Record<string, unknown> } = await call(
        'GET',
        `/v1/holds?eventId=${ev.eventId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        admin.token,
      );
      seen.push(...(page.body.data as Array<{ id: string }>).map((h) => h.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual([h3.body.id, h2.body.id, h1.body.id]);

    expect((await call('GET', '/v1/holds', a!.token)).body.code).toBe('FORBIDDEN');
    expect((await call('GET', `/v1/holds/${h1.body.id}`, b!.token)).status).toBe(404);
    expect((await call('GET', `/v1/holds/${h1.body.id}`, admin.token)).body).toMatchObject({ id: h1.body.id, userId: a!.userId });
    const released = await call('DELETE', `/v1/holds/${h1.body.id}`, admin.token);
    expect([released.status, released.body.status]).toEqual([200, 'released']);
    expect(await seatStatus(seats.slice(0, 2))).toEqual(['available', 'available']);
    expect(await ids('status=released')).toEqual([h1.body.id]);
  });
});

describe('ticket types and seat layouts, refused once used', () => {
  it('deletes an unused ticket type with its seats; 409 once anything of it is held or sold', async () => {
    const ev = await createEventFixture(t.db, {
      sections: [
        { name: 'A', rows: 1, seatsPerRow: 4, price: 10_000 },
        { name: 'B', rows: 1, seatsPerRow: 3, price: 20_000 },
      ],
      generalAdmission: [{ name: 'Floor', quantity: 10, price: 5_000 }],
    });
    const [u] = await createUsers(t, 1);
    const del = (id: string) => call('DELETE', `/v1/ticket-types/${id}`, admin.token);
    const held = await hold(u!.token, ev.eventId, { items: [{ ticketTypeId: ev.gaTypes.Floor!, quantity: 2 }] });
    expect(held.status).toBe(201);
    expect((await del(ev.gaTypes.Floor!)).body.code).toBe('TICKET_TYPE_IN_USE');
    const sold = await comp({ eventId: ev.eventId, userId: u!.userId, seatIds: ev.seats.A!.slice(0, 1) });
    expect(sold.status).toBe(201);
    expect((await del(ev.seatedTypes.A!)).body.code).toBe('TICKET_TYPE_IN_USE');
    // Section B was never touched: it goes, seats and all, and the seat map moves on.
    const before = (await call('GET', `/v1/events/${ev.eventId}/seats`)).body;
    expect((await del(ev.seatedTypes.B!)).status).toBe(204);
    const after = (await call('GET', `/v1/events/${ev.eventId}/seats`)).body;
    expect((after.seats as unknown[]).length).toBe((before.seats as unknown[]).length - 3);
    expect(after.version as number).toBeGreaterThan(before.version as number);
    expect((await del(ev.seatedTypes.B!)).body.code).toBe('TICKET_TYPE_NOT_FOUND');
    // Released, the general-admission type has nothing held or sold any more.
    expect((await call('DELETE', `/v1/holds/${held.body.id}`, u!.token)).status).toBe(200);
    expect((await del(ev.gaTypes.Floor!)).status).toBe(204);
  });

  it('a delete racing holds of the same general-admission type: either the type goes with nothing held, or the holds stay and the delete is refused', async () => {
    const users = await createUsers(t, 4);
    for (let round = 0; round < 8; round++) {
      const ev = await createEventFixture(t.db, { sections: [], generalAdmission: [{ name: 'Pit', quantity: 50, price: 9_000 }] });
      const type = ev.gaTypes.Pit!;
      const [deleted, ...holds] = await Promise.all([
        call('DELETE', `/v1/ticket-types/${type}`, admin.token),
        ...users.map((u) => hold(u.token, ev.eventId, { items: [{ ticketTypeId: type, quantity: 1 }] })),
      ]);
      const made = holds.filter((h) => h.status === 201).length;
      for (const h of holds) expect([201, 404, 409], JSON.stringify(h.body)).toContain(h.status);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM ticket.ticket_types WHERE id = $1`, [type]);
      if (deleted!.status === 204) {
        expect(made, `round ${round}`).toBe(0);
        expect(rows[0].n).toBe(0);
      } else {
        expect(deleted!.body.code, `round ${round}: ${JSON.stringify(deleted!.body)}`).toBe('TICKET_TYPE_IN_USE');
        expect(made).toBeGreaterThan(0);
        expect(rows[0].n).toBe(1);
      }
    }
  });

  it('updates and deletes a layout no event uses; 409 LAYOUT_IN_USE once one does', async () => {
    const layout = (name: string) => ({
      name,
      sections: [{ name: 'R', ticketType: 'R', price: 70_000, rows: 2, seatsPerRow: 5 }],
    });
    const made = await call('POST', '/v1/seat-layouts', admin.token, layout(`Hall ${Date.now()}`));
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const renamed = await call('PATCH', `/v1/seat-layouts/${id}`, admin.token, {
      name: `Renamed ${Date.now()}`,
      sections: [{ name: 'S', ticketType: 'S', price: 50_000, rows: 3, seatsPerRow: 4 }],
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.totalSeats).toBe(12);
    const bad = await call('PATCH', `/v1/seat-layouts/${id}`, admin.token, { sections: [{ name: 'S', ticketType: 'S', price: -1 }] });
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_LAYOUT']);
    expect((await call('PATCH', '/v1/seat-layouts/not-a-uuid', admin.token, { name: 'x' })).body.code).toBe('VALIDATION_FAILED');
    const event = await call('POST', '/v1/events', admin.token, {
      title: 'Layout user',
      venue: 'Hall',
      eventDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      seatLayoutId: id,
    });
    expect(event.status, JSON.stringify(event.body)).toBe(201);
    expect((await call('GET', `/v1/events/${event.body.id}/seats`)).body.seats).toHaveLength(12);
    expect((await call('PATCH', `/v1/seat-layouts/${id}`, admin.token, { name: 'Too late' })).body.code).toBe('LAYOUT_IN_USE');
    expect((await call('DELETE', `/v1/seat-layouts/${id}`, admin.token)).body.code).toBe('LAYOUT_IN_USE');
    const other = await call('POST', '/v1/seat-layouts', admin.token, layout(`Spare ${Date.now()}`));
    expect((await call('DELETE', `/v1/seat-layouts/${other.body.id}`, admin.token)).status).toBe(204);
    expect((await call('GET', `/v1/seat-layouts/${other.body.id}`)).body.code).toBe('LAYOUT_NOT_FOUND');
  });
});

describe('complimentary reservations', () => {
  it('answers 405 with Allow: POST to other methods on its path (not a 400 for the id "complimentary")', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/reservations/complimentary',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect([res.statusCode, res.json().code, res.headers.allow]).toEqual([405, 'METHOD_NOT_ALLOWED', 'POST']);
  });

  it('issues free seats and quantities as a confirmed reservation at price 0, and refuses what is taken', async () => {
    const ev = await createEventFixture(t.db, {
      sections: [{ name: 'A', rows: 1, seatsPerRow: 6, price: 10_000 }],
      generalAdmission: [{ name: 'Floor', quantity: 3, price: 5_000 }],
      title: 'Comp Night',
    });
    const guest = await registerUser(t.app);
    const [other] = await createUsers(t, 1);
    const seats = ev.seats.A!;
    const issued = await comp({ eventId: ev.eventId, userId: guest.userId, seatIds: seats.slice(0, 2), note: 'press' });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({
      status: 'confirmed',
      totalAmount: 0,
      complimentary: true,
      note: 'press',
      userId: guest.userId,
      buyerEmail: guest.email,
      eventTitle: 'Comp Night',
    });
    expect(await seatStatus(seats.slice(0, 2))).toEqual(['sold', 'sold']);
    const payments = await t.db.query(`SELECT 1 FROM payment.payments WHERE reservation_id = $1`, [issued.body.id]);
    expect(payments.rows).toEqual([]);

    const again = await comp({ eventId: ev.eventId, userId: other!.userId, seatIds: seats.slice(1, 3) });
    expect([again.status, again.body.code, again.body.seatIds]).toEqual([409, 'SEAT_UNAVAILABLE', [seats[1]]]);
    expect(await seatStatus(seats.slice(2, 3))).toEqual(['available']);
    const held = await hold(other!.token, ev.eventId, { seatIds: seats.slice(3, 4) });
    expect((await comp({ eventId: ev.eventId, userId: guest.userId, seatIds: seats.slice(3, 4) })).body.code).toBe('SEAT_UNAVAILABLE');
    // A hold past its time no longer keeps its seat.
    await t.db.query(`UPDATE ticket.seats SET hold_expires_at = now() - interval '1 second' WHERE hold_id = $1`, [held.body.id]);
    expect((await comp({ eventId: ev.eventId, userId: guest.userId, seatIds: seats.slice(3, 4) })).status).toBe(201);

    const ga = await comp({ eventId: ev.eventId, userId: guest.userId, items: [{ ticketTypeId: ev.gaTypes.Floor!, quantity: 2 }] });
    expect(ga.status).toBe(201);
    expect(
      (await comp({ eventId: ev.eventId, userId: guest.userId, items: [{ ticketTypeId: ev.gaTypes.Floor!, quantity: 2 }] })).body.code,
    ).toBe('SOLD_OUT');
    const left = await t.db.query(`SELECT available_quantity FROM ticket.ticket_types WHERE id = $1`, [ev.gaTypes.Floor]);
    expect(left.rows[0].available_quantity).toBe(1);

    expect(
      (await comp({ eventId: ev.eventId, userId: '00000000-0000-4000-8000-000000000000', seatIds: seats.slice(4, 5) })).body.code,
    ).toBe('USER_NOT_FOUND');
    expect(
      (
        await comp({
          eventId: ev.eventId,
          userId: guest.userId,
          seatIds: seats.slice(4, 5),
          items: [{ ticketTypeId: ev.gaTypes.Floor!, quantity: 1 }],
        })
      ).body.code,
    ).toBe('VALIDATION_FAILED');
    const foreign = await createEventFixture(t.db);
    expect((await comp({ eventId: ev.eventId, userId: guest.userId, seatIds: foreign.seats.A!.slice(0, 1) })).body.code).toBe(
      'SEAT_NOT_FOUND',
    );
    expect((await call('POST', '/v1/reservations/complimentary', guest.token, { eventId: ev.eventId })).body.code).toBe('FORBIDDEN');

    // By the buyer's email (any case), with the event and buyer columns the CLI shows.
    const listed = await call('GET', `/v1/reservations?email=${encodeURIComponent(guest.email.toUpperCase())}`, admin.token);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const rows = listed.body.data as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.buyerEmail === guest.email && r.eventTitle === 'Comp Night' && r.userId === guest.userId)).toBe(true);
    expect((await call('GET', `/v1/reservations?email=nobody%40example.com`, admin.token)).body.data).toEqual([]);

    // An admin cancels a complimentary reservation directly (there is nothing to refund).
    const cancelled = await call('POST', `/v1/reservations/${issued.body.id}/cancel`, admin.token, {});
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
    expect(await seatStatus(seats.slice(0, 2))).toEqual(['available', 'available']);
  });

  it('never sells a seat twice when complimentary issues race holds on the same seats', async () => {
    const { int, seed } = seededRandom();
    const ev = await createEventFixture(t.db, { sections: [{ name: 'A', rows: 2, seatsPerRow: 10, price: 10_000 }] });
    const seats = ev.seats.A!;
    const users = await createUsers(t, 12);
    const pick = (n: number) => {
      const chosen = new Set<string>();
      while (chosen.size < n) chosen.add(seats[int(seats.length)]!);
      return [...chosen];
    };
    const attempts: Array<Promise<{ kind: 'hold' | 'comp'; seatIds: string[]; status: number; id?: string }>> = [];
    for (let i = 0; i < 36; i++) {
      const seatIds = pick(1 + int(3));
      const user = users[i % users.length]!;
      attempts.push(
        i % 3 === 0
          ? comp({ eventId: ev.eventId, userId: user.userId, seatIds }).then((r) => ({
              kind: 'comp',
              seatIds,
              status: r.status,
              id: r.body.id as string,
            }))
          : hold(user.token, ev.eventId, { seatIds }).then((r) => ({ kind: 'hold', seatIds, status: r.status, id: r.body.id as string })),
      );
    }
    const results = await Promise.all(attempts);
    expect(
      results.every((r) => r.status === 201 || r.status === 409),
      `seed ${seed}: ${JSON.stringify(results.map((r) => r.status))}`,
    ).toBe(true);
    const won = results.filter((r) => r.status === 201);
    expect(won.filter((r) => r.kind === 'comp').length).toBeGreaterThan(0);
    // Winners are pairwise disjoint, and each owns its seats in the database now.
    const owner = new Map<string, string>();
    for (const r of won) {
      for (const s of r.seatIds) {
        expect([seed, s, owner.get(s)]).toEqual([seed, s, undefined]);
        owner.set(s, r.id!);
      }
    }
    const { rows } = await t.db.query<{ id: string; status: string; hold_id: string | null; reservation_id: string | null; live: number }>(
      `SELECT s.id, s.status, s.hold_id, s.reservation_id,
              (SELECT count(*)::int FROM ticket.reservation_items i
                WHERE i.seat_id = s.id AND i.reservation_status IN ('pending', 'confirmed')) AS live
       FROM ticket.seats s WHERE s.event_id = $1`,
      [ev.eventId],
    );
    for (const s of rows) {
      const winner = won.find((r) => r.id === owner.get(s.id));
      const expected =
        winner?.kind === 'comp'
          ? { status: 'sold', hold_id: null, reservation_id: winner.id, live: 1 }
          : winner?.kind === 'hold'
            ? { status: 'held', hold_id: winner.id, reservation_id: null, live: 0 }
            : { status: 'available', hold_id: null, reservation_id: null, live: 0 };
      expect([seed, s.id, { status: s.status, hold_id: s.hold_id, reservation_id: s.reservation_id, live: s.live }]).toEqual([
        seed,
        s.id,
        expected,
      ]);
    }
  });
});

describe('event cancellation', () => {
  it('ends pending reservations, releases holds, refunds paid ones; a failed refund stays confirmed and listed until asked again', async () => {
    const ev = await createEventFixture(t.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 10, price: 30_000 }] });
    const seats = ev.seats.A!;
    const [a, b, c, d, e] = await createUsers(t, 5);
    const paidA = await paidOrder(a!.token, ev, seats.slice(0, 2));
    const paidB = await paidOrder(b!.token, ev, seats.slice(2, 3));
    const pending = await reserveAndPrepare(call, c!.token, ev.eventId, seats.slice(3, 4));
    const held = await hold(d!.token, ev.eventId, { seatIds: seats.slice(4, 5) });
    const gift = await comp({ eventId: ev.eventId, userId: e!.userId, seatIds: seats.slice(5, 6) });
    expect([held.status, gift.status]).toEqual([201, 201]);
    // The provider refuses B's refund once.
    await call('POST', `${SANDBOX}/faults`, undefined, { orderId: paidB.orderId, operation: 'cancel', code: 'NOT_CANCELABLE_PAYMENT' });

    expect((await call('GET', `/v1/events/${ev.eventId}/cancellation`, admin.token)).body.code).toBe('CANCELLATION_NOT_FOUND');
    const first = await call('POST', `/v1/events/${ev.eventId}/cancel`, admin.token, { reason: 'artist ill' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      eventId: ev.eventId,
      status: 'needs_attention',
      reason: 'artist ill',
      finishedAt: null,
      reservations: { total: 4, pending: 0, confirmed: 1, cancelled: 3, expired: 0, refunded: 1 },
      refundFailures: [{ reservationId: paidB.reservationId, orderId: paidB.orderId, code: 'NOT_CANCELABLE_PAYMENT' }],
    });
    expect((await call('GET', `/v1/events/${ev.eventId}`)).body.status).toBe('cancelled');
    expect(await seatStatus(seats.slice(0, 6))).toEqual(
      (
        await t.db.query<{ id: string }>(`SELECT id FROM ticket.seats WHERE id = ANY($1::uuid[]) ORDER BY id`, [seats.slice(0, 6)])
      ).rows.map((r) => (r.id === seats[2] ? 'sold' : 'available')),
    );
    const holdNow = await call('GET', `/v1/holds/${held.body.id}`, admin.token);
    expect(holdNow.body.status).toBe('released');
    const reservations = await t.db.query<{ id: string; status: string }>(
      `SELECT id, status FROM ticket.reservations WHERE event_id = $1`,
      [ev.eventId],
    );
    const statusOf = new Map(reservations.rows.map((r) => [r.id, r.status]));
    expect([paidA.reservationId, paidB.reservationId, pending.reservationId, gift.body.id].map((id) => statusOf.get(id as string))).toEqual(
      ['cancelled', 'confirmed', 'cancelled', 'cancelled'],
    );
    const charges = (await call('GET', `${SANDBOX}/charges`)).body.data as SandboxCharge[];
    const chargeStatus = (orderId: string) => charges.find((ch) => ch.payment.orderId === orderId)?.payment.status;
    expect([chargeStatus(paidA.orderId), chargeStatus(paidB.orderId)]).toEqual(['CANCELED', 'DONE']);
    // No more sales.
    expect((await hold(d!.token, ev.eventId, { seatIds: seats.slice(6, 7) })).body.code).toBe('EVENT_NOT_ON_SALE');

    // Asked again: the failed refund is tried once more and goes through.
    const second = await call('POST', `/v1/events/${ev.eventId}/cancel`, admin.token, {});
    expect(second.body).toMatchObject({
      status: 'done',
      reason: 'artist ill',
      reservations: { total: 4, pending: 0, confirmed: 0, cancelled: 4, refunded: 2 },
      refundFailures: [],
    });
    expect(second.body.finishedAt).not.toBeNull();
    expect((await call('GET', `/v1/events/${ev.eventId}/cancellation`, admin.token)).body).toEqual(second.body);
    expect(await seatStatus(seats.slice(2, 3))).toEqual(['available']);
  });

  it('a hold the cancellation has not reached yet cannot become a reservation, nor a pending one be paid', async () => {
    const ev = await createEventFixture(t.db);
    const [a, b] = await createUsers(t, 2);
    const h = await hold(a!.token, ev.eventId, { seatIds: ev.seats.A!.slice(0, 1) });
    expect(h.status).toBe(201);
    const pending = await call('POST', '/v1/reservations', b!.token, {
      holdId: (await hold(b!.token, ev.eventId, { seatIds: ev.seats.A!.slice(1, 2) })).body.id,
    });
    expect(pending.status).toBe(201);
    // The cancellation committed; its pass has not come by yet (the window a racing buyer could hit).
    await t.db.query(`UPDATE ticket.events SET status = 'cancelled' WHERE id = $1`, [ev.eventId]);
    const reserved = await call('POST', '/v1/reservations', a!.token, { holdId: h.body.id });
    expect([reserved.status, reserved.body.code]).toEqual([409, 'EVENT_NOT_ON_SALE']);
    const prepared = await call('POST', '/v1/payments/prepare', b!.token, { reservationId: pending.body.id });
    expect([prepared.status, prepared.body.code]).toEqual([409, 'RESERVATION_NOT_PAYABLE']);
  });

  it('refuses an ended event and answers 404 for one that does not exist', async () => {
    const ended = await createEventFixture(t.db, { status: 'ended' });
    expect((await call('POST', `/v1/events/${ended.eventId}/cancel`, admin.token, {})).body.code).toBe('INVALID_STATUS_TRANSITION');
    expect((await call('POST', '/v1/events/00000000-0000-4000-8000-000000000000/cancel', admin.token, {})).body.code).toBe(
      'EVENT_NOT_FOUND',
    );
  });
});

describe("the sweeper's jobs take turns", () => {
  // An app without the sweeper role, so no job runs but the one each test drives.
  let j: TestApp;
  let jcall: Call;
  let jadmin: { token: string; userId: string };
  let jobs: ReturnType<typeof createInventoryService>;
  let payments: ReturnType<typeof createPaymentsModule>;
  beforeAll(async () => {
    j = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off', TOSS_TIMEOUT_MS: 2000, TIKETI_ROLES: 'http,realtime' } });
    jcall = httpCaller(j.baseUrl);
    jadmin = await createAdmin(j);
    const publisher = createRealtimePublisher(j.shared);
    // What a sweeper process runs: its payments service refunds through this app's sandbox.
    payments = createPaymentsModule({
      config: j.config,
      db: j.db,
      publisher,
      registry: new Registry(),
      server: j.app.server,
      log: () => {},
      warn: () => {},
    });
    jobs = createInventoryService({ config: j.config, db: j.db, publisher, payments: payments.service });
  });
  afterAll(async () => {
    if (j) await expectChargesMatchTickets(j.db, (await jcall('GET', `${SANDBOX}/charges`)).body.data as SandboxCharge[]);
    await j?.close();
  });
  const jpaid = async (token: string, ev: EventFixture, seatIds: string[]) => {
    const order = await reserveAndPrepare(jcall, token, ev.eventId, seatIds);
    const paymentKey = await approve(jcall, SANDBOX, { orderId: order.orderId, amount: order.amount });
    const confirmed = await jcall('POST', '/v1/payments/confirm', token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    return order;
  };

  it('the background job takes turns: cancellations waiting on a refused refund do not starve a later one', async () => {
    const users = await createUsers(j, 4);
    // Three cancellations wait on a human: the provider refused their refund.
    for (const u of users.slice(0, 3)) {
      const ev = await createEventFixture(j.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 2, price: 10_000 }] });
      const paid = await jpaid(u.token, ev, ev.seats.A!.slice(0, 1));
      await jcall('POST', `${SANDBOX}/faults`, undefined, { orderId: paid.orderId, operation: 'cancel', code: 'NOT_CANCELABLE_PAYMENT' });
      expect((await jcall('POST', `/v1/events/${ev.eventId}/cancel`, jadmin.token, {})).body.status).toBe('needs_attention');
    }
    // A later one whose first pass has not run yet (as when an instance stops right after the request).
    const later = await createEventFixture(j.db);
    const pending = await reserveAndPrepare(jcall, users[3]!.token, later.eventId, later.seats.A!.slice(0, 1));
    await j.db.query(`UPDATE ticket.events SET status = 'cancelled' WHERE id = $1`, [later.eventId]);
    await j.db.query(`INSERT INTO ticket.event_cancellations (event_id, reason) VALUES ($1, 'venue flooded')`, [later.eventId]);

    await jobs.continueCancellations(2);
    await jobs.continueCancellations(2);
    const view = await jcall('GET', `/v1/events/${later.eventId}/cancellation`, jadmin.token);
    expect(view.body).toMatchObject({ status: 'done', reservations: { total: 1, pending: 0, cancelled: 1 } });
    const { rows } = await j.db.query(`SELECT status FROM ticket.reservations WHERE id = $1`, [pending.reservationId]);
    expect(rows[0].status).toBe('cancelled');
  });

  it('the job tries a refund that failed for a temporary reason again after a pause; a refused one waits for an admin', async () => {
    const ev = await createEventFixture(j.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 4, price: 20_000 }] });
    const [a, b] = await createUsers(j, 2);
    const flaky = await jpaid(a!.token, ev, ev.seats.A!.slice(0, 1));
    const refused = await jpaid(b!.token, ev, ev.seats.A!.slice(1, 2));
    // Every attempt of the provider client at A's refund fails with a server error; B's is refused.
    await jcall('POST', `${SANDBOX}/faults`, undefined, {
      orderId: flaky.orderId,
      operation: 'cancel',
      code: 'FAILED_REFUND_PROCESS',
      count: 3,
    });
    await jcall('POST', `${SANDBOX}/faults`, undefined, { orderId: refused.orderId, operation: 'cancel', code: 'NOT_CANCELABLE_PAYMENT' });
    const first = await jcall('POST', `/v1/events/${ev.eventId}/cancel`, jadmin.token, { reason: 'storm' });
    expect(first.body).toMatchObject({ status: 'needs_attention', reservations: { confirmed: 2 } });
    expect((first.body.refundFailures as Array<{ code: string }>).map((f) => f.code).sort()).toEqual([
      'FAILED_REFUND_PROCESS',
      'NOT_CANCELABLE_PAYMENT',
    ]);

    // Not before the pause is over...
    await jobs.continueCancellations();
    expect((await jcall('GET', `/v1/events/${ev.eventId}/cancellation`, jadmin.token)).body).toMatchObject({
      reservations: { confirmed: 2 },
    });
    // ...then the temporary failure is tried again and goes through; the refused one is left alone.
    // (Both failures as if a minute older: the temporary one is due again; the refused one still waits.)
    await j.db.query(
      `UPDATE payment.payments SET refund_failed_at = refund_failed_at - interval '2 minutes'
        WHERE order_id = ANY($1::text[])`,
      [[flaky.orderId, refused.orderId]],
    );
    await j.db.query(
      `UPDATE ticket.event_cancellations SET retry_requested_at = retry_requested_at - interval '2 minutes' WHERE event_id = $1`,
      [ev.eventId],
    );
    await jobs.continueCancellations();
    const after = await jcall('GET', `/v1/events/${ev.eventId}/cancellation`, jadmin.token);
    expect(after.body).toMatchObject({ status: 'needs_attention', reservations: { confirmed: 1, refunded: 1 } });
    expect(after.body.refundFailures).toMatchObject([{ orderId: refused.orderId, code: 'NOT_CANCELABLE_PAYMENT' }]);
    const charges = (await jcall('GET', `${SANDBOX}/charges`)).body.data as SandboxCharge[];
    const chargeStatus = (orderId: string) => charges.find((ch) => ch.payment.orderId === orderId)?.payment.status;
    expect([chargeStatus(flaky.orderId), chargeStatus(refused.orderId)]).toEqual(['CANCELED', 'DONE']);
  });

  it('reconciliation: claims the provider has not seen do not hold back a later one that was charged', async () => {
    const ev = await createEventFixture(j.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 4, price: 40_000 }] });
    const users = await createUsers(j, 4);
    const claim = (orderId: string, paymentKey: string, secondsAgo: number) =>
      j.db.query(
        `UPDATE payment.payments SET status = 'in_progress', payment_key = $2, confirm_started_at = now() - make_interval(secs => $3)
          WHERE order_id = $1`,
        [orderId, paymentKey, secondsAgo],
      );
    // Three confirms claimed a minute ago whose call never reached the provider (an instance died):
    // they stay open until the provider's confirm window ends.
    for (const [i, u] of users.slice(0, 3).entries()) {
      const order = await reserveAndPrepare(jcall, u.token, ev.eventId, ev.seats.A!.slice(i, i + 1));
      await claim(order.orderId, `never-sent-${i}`, 60);
    }
    // A later one the buyer approved at the provider; the instance died before confirming it.
    const later = await reserveAndPrepare(jcall, users[3]!.token, ev.eventId, ev.seats.A!.slice(3, 4));
    await claim(later.orderId, await approve(jcall, SANDBOX, { orderId: later.orderId, amount: later.amount }), 50);

    await payments.service.reconcileOnce(2);
    await payments.service.reconcileOnce(2);
    const { rows } = await j.db.query(
      `SELECT p.status AS payment, r.status AS reservation FROM payment.payments p JOIN ticket.reservations r ON r.id = p.reservation_id
        WHERE p.order_id = $1`,
      [later.orderId],
    );
    expect(rows[0]).toEqual({ payment: 'confirmed', reservation: 'confirmed' });
  });
});
