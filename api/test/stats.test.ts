// The 14 statistics views: admin only, and every figure checked against data made here with the
// answer worked out in advance. A fixed week in March 2026 is written straight into the tables (the
// views are SQL over them, and the times must be exact to test where Seoul's day ends); one purchase
// goes through the real flow (hold → reservation → prepare → sandbox approve → confirm) today.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers, type EventFixture } from '../../test/harness/fixtures.js';
import { approve, httpCaller, reserveAndPrepare, type Call } from '../../test/harness/payments.js';
import { eventually } from '../../test/harness/wait.js';
import { queueCalls } from './helpers/queue.js';
import { createStatsService, todayIn } from '../src/modules/stats/service.js';

const VIEWS = [
  'overview',
  'daily',
  'events',
  'events/00000000-0000-4000-8000-000000000000',
  'payments',
  'revenue',
  'users',
  'hourly-traffic',
  'conversion',
  'cancellations',
  'realtime',
  'seat-preferences',
  'user-behavior',
  'performance',
];
const SANDBOX = '/sandbox/toss';
const SEOUL = 'from=2026-03-01&to=2026-03-03';

let t: TestApp;
let call: Call;
let admin: { token: string; userId: string };
/** Every user this file creates: the users view must count exactly these. */
let usersMade = 0;
let e1: EventFixture;
let buyers: Array<{ userId: string; token: string }>;

beforeAll(async () => {
  // No sweeper role: the stats job runs when a test says so, and nothing expires under the test.
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off', TIKETI_ROLES: 'http,realtime,admitter' } });
  call = httpCaller(t.baseUrl);
  admin = await createAdmin(t);
  usersMade++;
  e1 = await createEventFixture(t.db, {
    title: 'Stats Fixture',
    sections: [{ name: 'A', rows: 1, seatsPerRow: 10, price: 100_000 }],
    generalAdmission: [{ name: 'Standing', quantity: 100, price: 50_000 }],
  });
  buyers = await createUsers(t, 3);
  usersMade += 3;
  await writeMarch();
});
afterAll(async () => t?.close());

const get = async (path: string, token = admin.token) => {
  const res = await t.app.inject({ method: 'GET', url: `/v1/stats/${path}`, headers: bearer(token) });
  return { status: res.statusCode, body: res.json() };
};
const ok = async (path: string) => {
  const res = await get(path);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

// ---------------------------------------------------------------------------------------------
// March 2026, Seoul (UTC+9). Times in UTC; the Seoul day in the comment.
//   U1 signs up 03-01 01:00Z (03-01), U2 03-01 15:00:00Z (03-02 00:00), U3 03-02 14:59:59Z (03-02)
//   H1 14:45Z 03-01 → R1 created 14:50Z, confirmed + paid (카드) 14:59:59Z (03-01 23:59:59): 2 seats, 200 000
//   H2 14:58Z 03-01 → R2 created 14:58:30Z (03-01), confirmed + paid (간편결제) 15:00:00Z (03-02 00:00): 3 standing, 150 000
//   H3 02:55Z 03-02 → R3 created 03:00Z, expired 03:15Z (03-02): 1 seat
//   H4 04:50Z 03-02 → R4 created 04:55Z, confirmed + paid (카드) 05:00Z (03-02), refunded + cancelled 03-03 01:00Z (03-03)
//   H5 04:00Z 03-02, expired unused
//   R5 complimentary for U2, created and confirmed 06:00Z 03-02: 1 seat, price 0
// ---------------------------------------------------------------------------------------------
const EVENT_DATE = '2026-04-01T10:00:00.000Z';
let r1: string;
let r5: string;

async function writeMarch() {
  const [u1, u2, u3] = buyers.map((b) => b.userId) as [string, string, string];
  const seats = e1.seats.A!;
  const seatType = e1.seatedTypes.A!;
  const standing = e1.gaTypes.Standing!;
  const q = (sql: string, params: unknown[]) => t.db.query(sql, params);
  await q(`UPDATE ticket.events SET event_date = $2 WHERE id = $1`, [e1.eventId, EVENT_DATE]);
  for (const [id, at] of [
    [u1, '2026-03-01T01:00:00Z'],
    [u2, '2026-03-01T15:00:00Z'],
    [u3, '2026-03-02T14:59:59Z'],
  ])
    await q(`UPDATE auth.users SET created_at = $2 WHERE id = $1`, [id, at]);

  const hold = async (userId: string, at: string, status: string, seatIds: string[]) =>
    (
      await q(
        `INSERT INTO ticket.holds (event_id, user_id, status, created_at, expires_at, ended_at, seat_ids)
         VALUES ($1, $2, $3, $4, $4::timestamptz + interval '5 minutes', $4::timestamptz + interval '5 minutes', $5) RETURNING id`,
        [e1.eventId, userId, status, at, seatIds],
      )
    ).rows[0]!.id as string;
  let n = 0;
  const reservation = async (r: {
    userId: string;
    holdId: string | null;
    createdAt: string;
    status: string;
    confirmedAt?: string;
    endedAt?: string;
    reason?: string;
    total: number;
    issuedBy?: string;
    items: Array<{ ticketTypeId: string; seatId?: string; quantity: number; unitPrice: number }>;
  }) => {
    const id = (
      await q(
        `INSERT INTO ticket.reservations (number, user_id, event_id, hold_id, total_amount, currency, status, expires_at,
                                          confirmed_at, ended_at, cancel_reason, created_at, issued_by, note)
         VALUES ($1, $2, $3, $4, $5, 'KRW', $6, $7::timestamptz + interval '15 minutes', $8, $9, $10, $7, $11, $12) RETURNING id`,
        [
          `TK-20260301-STAT0${++n}`,
          r.userId,
          e1.eventId,
          r.holdId,
          r.total,
          r.status,
          r.createdAt,
          r.confirmedAt ?? null,
          r.endedAt ?? null,
          r.reason ?? null,
          r.issuedBy ?? null,
          r.issuedBy ? 'guest list' : null,
        ],
      )
    ).rows[0]!.id as string;
    for (const i of r.items)
      await q(
        `INSERT INTO ticket.reservation_items (reservation_id, reservation_status, ticket_type_id, seat_id, quantity, unit_price, subtotal)
         VALUES ($1, $2, $3, $4, $5::int, $6::int, $5::int * $6::int)`,
        [id, r.status, i.ticketTypeId, i.seatId ?? null, i.quantity, i.unitPrice],
      );
    return id;
  };
  const payment = async (p: { reservationId: string; userId: string; amount: number; method: string; at: string; refundedAt?: string }) =>
    q(
      `INSERT INTO payment.payments (reservation_id, user_id, event_id, order_id, order_name, payment_key, amount, currency, method,
                                     status, approved_at, created_at, refunded_amount, refunded_at)
       VALUES ($1, $2, $3, $4, 'Stats Fixture', $4, $5, 'KRW', $6, $7, $8, $8, $9, $10)`,
      [
        p.reservationId,
        p.userId,
        e1.eventId,
        `order-${p.reservationId}`,
        p.amount,
        p.method,
        p.refundedAt ? 'refunded' : 'confirmed',
        p.at,
        p.refundedAt ? p.amount : 0,
        p.refundedAt ?? null,
      ],
    );

  const h1 = await hold(u1, '2026-03-01T14:45:00Z', 'converted', seats.slice(0, 2));
  const h2 = await hold(u2, '2026-03-01T14:58:00Z', 'converted', []);
  const h3 = await hold(u1, '2026-03-02T02:55:00Z', 'converted', seats.slice(2, 3));
  const h4 = await hold(u3, '2026-03-02T04:50:00Z', 'converted', seats.slice(3, 4));
  await hold(u3, '2026-03-02T04:00:00Z', 'expired', seats.slice(5, 6));

  r1 = await reservation({
    userId: u1,
    holdId: h1,
    createdAt: '2026-03-01T14:50:00Z',
    status: 'confirmed',
    confirmedAt: '2026-03-01T14:59:59Z',
    total: 200_000,
    items: seats.slice(0, 2).map((seatId) => ({ ticketTypeId: seatType, seatId, quantity: 1, unitPrice: 100_000 })),
  });
  await payment({ reservationId: r1, userId: u1, amount: 200_000, method: '카드', at: '2026-03-01T14:59:59Z' });
  const r2 = await reservation({
    userId: u2,
    holdId: h2,
    createdAt: '2026-03-01T14:58:30Z',
    status: 'confirmed',
    confirmedAt: '2026-03-01T15:00:00Z',
    total: 150_000,
    items: [{ ticketTypeId: standing, quantity: 3, unitPrice: 50_000 }],
  });
  await payment({ reservationId: r2, userId: u2, amount: 150_000, method: '간편결제', at: '2026-03-01T15:00:00Z' });
  await reservation({
    userId: u1,
    holdId: h3,
    createdAt: '2026-03-02T03:00:00Z',
    status: 'expired',
    endedAt: '2026-03-02T03:15:00Z',
    reason: 'not paid in time',
    total: 100_000,
    items: [{ ticketTypeId: seatType, seatId: seats[2]!, quantity: 1, unitPrice: 100_000 }],
  });
  const r4 = await reservation({
    userId: u3,
    holdId: h4,
    createdAt: '2026-03-02T04:55:00Z',
    status: 'cancelled',
    confirmedAt: '2026-03-02T05:00:00Z',
    endedAt: '2026-03-03T01:00:00Z',
    reason: 'changed plans',
    total: 100_000,
    items: [{ ticketTypeId: seatType, seatId: seats[3]!, quantity: 1, unitPrice: 100_000 }],
  });
  await payment({
    reservationId: r4,
    userId: u3,
    amount: 100_000,
    method: '카드',
    at: '2026-03-02T05:00:00Z',
    refundedAt: '2026-03-03T01:00:00Z',
  });
  r5 = await reservation({
    userId: u2,
    holdId: null,
    createdAt: '2026-03-02T06:00:00Z',
    status: 'confirmed',
    confirmedAt: '2026-03-02T06:00:00Z',
    total: 0,
    issuedBy: admin.userId,
    items: [{ ticketTypeId: seatType, seatId: seats[4]!, quantity: 1, unitPrice: 0 }],
  });
  // The seats and quantities as the confirmed reservations left them.
  await q(`UPDATE ticket.seats SET status = 'sold', reservation_id = $2 WHERE id = ANY($1::uuid[])`, [seats.slice(0, 2), r1]);
  await q(`UPDATE ticket.seats SET status = 'sold', reservation_id = $2 WHERE id = $1`, [seats[4], r5]);
  await q(`UPDATE ticket.ticket_types SET available_quantity = 97 WHERE id = $1`, [standing]);
}

describe('who may read the statistics', () => {
  it('answers 403 FORBIDDEN to a signed-in user on every view', async () => {
    const user = await registerUser(t.app);
    usersMade++;
    for (const view of VIEWS) {
      const res = await get(view, user.token);
      expect([view, res.status, res.body.code]).toEqual([view, 403, 'FORBIDDEN']);
    }
  });

  it('refuses an unknown time zone, a range backwards or too long, and a malformed date with 400', async () => {
    for (const query of [
      'timeZone=Mars/Olympus',
      'from=2026-03-05&to=2026-03-01',
      'from=2020-01-01&to=2026-03-01',
      'from=2026-02-30',
      'to=yesterday',
    ]) {
      const res = await get(`daily?${query}`);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
    // PostgreSQL reads the POSIX zone UTC+9 as nine hours west of UTC: only IANA names are taken.
    for (const query of ['timeZone=UTC%2B9', 'from=1969-12-31&to=1970-01-01']) {
      const res = await get(`overview?${query}`);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
    expect((await get(`daily?${SEOUL}&timeZone=asia/seoul`)).body.timeZone).toBe('Asia/Seoul');
    expect((await get('events/00000000-0000-4000-8000-000000000000')).body.code).toBe('EVENT_NOT_FOUND');
  });
});

describe('the March fixture, by view, in Asia/Seoul', () => {
  it('daily: a payment at 14:59:59Z and one at 15:00:00Z fall on different Seoul days, and on the same UTC day', async () => {
    const seoul = await ok(`daily?${SEOUL}`);
    expect(seoul).toMatchObject({
      timeZone: 'Asia/Seoul',
      from: '2026-03-01',
      to: '2026-03-03',
      rangeStart: '2026-02-28T15:00:00.000Z',
      rangeEnd: '2026-03-03T15:00:00.000Z',
      source: 'live',
      cachedAt: null,
      currency: 'KRW',
    });
    const pick = (d: Record<string, unknown>) => [
      d.date,
      d.reservationsCreated,
      d.reservationsConfirmed,
      d.reservationsCancelled,
      d.reservationsExpired,
      d.ticketsSold,
      d.revenue,
      d.refunded,
      d.netRevenue,
      d.newUsers,
    ];
    expect(seoul.days.map(pick)).toEqual([
      ['2026-03-01', 2, 1, 0, 0, 2, 200_000, 0, 200_000, 1],
      ['2026-03-02', 3, 3, 0, 1, 5, 250_000, 0, 250_000, 2],
      ['2026-03-03', 0, 0, 1, 0, 0, 0, 100_000, -100_000, 0],
    ]);
    const utc = await ok(`daily?${SEOUL}&timeZone=UTC`);
    expect(utc.rangeStart).toBe('2026-03-01T00:00:00.000Z');
    expect(utc.days.map(pick)).toEqual([
      ['2026-03-01', 2, 2, 0, 0, 5, 350_000, 0, 350_000, 2],
      ['2026-03-02', 3, 2, 0, 1, 2, 100_000, 0, 100_000, 1],
      ['2026-03-03', 0, 0, 1, 0, 0, 0, 100_000, -100_000, 0],
    ]);
    // The first Seoul day alone holds only the 14:59:59Z payment.
    const first = await ok('revenue?from=2026-03-01&to=2026-03-01');
    expect(first.totals).toEqual({ gross: 200_000, refunded: 0, net: 200_000 });
  });

  it('overview', async () => {
    const o = await ok(`overview?${SEOUL}`);
    expect(o.reservations).toEqual({ created: 5, pending: 0, confirmed: 3, cancelled: 1, expired: 1, complimentary: 1 });
    expect(o.ticketsSold).toBe(7);
    expect(o.payments).toEqual({ approved: 3, refunds: 1 });
    expect(o.revenue).toEqual({ gross: 450_000, refunded: 100_000, net: 350_000 });
    expect(o.averageOrderValue).toBe(150_000);
    expect(o.users.newInRange).toBe(3);
    expect(o.users.admins).toBe(1);
  });

  it('events and one event', async () => {
    const list = await ok(`events?${SEOUL}`);
    const row = list.events.find((e: { eventId: string }) => e.eventId === e1.eventId);
    expect(row).toEqual({
      eventId: e1.eventId,
      title: 'Stats Fixture',
      status: 'on_sale',
      eventDate: EVENT_DATE,
      currency: 'KRW',
      reservations: { created: 5, pending: 0, confirmed: 3, cancelled: 1, expired: 1 },
      ticketsSold: 7,
      soldNow: 6,
      capacity: 110,
      sellThrough: 0.0545,
      revenue: { gross: 450_000, refunded: 100_000, net: 350_000 },
      conversionRate: 0.4,
      source: 'live',
    });
    const one = await ok(`events/${e1.eventId}?${SEOUL}`);
    expect(one).toMatchObject({
      ticketsSold: 7,
      soldNow: 6,
      capacity: 110,
      holds: { created: 5, converted: 4, active: 0 },
      conversionRate: 0.4,
      revenue: { gross: 450_000, refunded: 100_000, net: 350_000 },
    });
    expect(one.ticketTypes.map((x: Record<string, unknown>) => [x.name, x.capacity, x.sold, x.held, x.available, x.revenue])).toEqual([
      ['Section A', 10, 3, 0, 7, 200_000],
      ['Standing', 100, 3, 0, 97, 150_000],
    ]);
    expect(one.days.map((d: Record<string, unknown>) => [d.date, d.reservationsConfirmed, d.ticketsSold, d.revenue])).toEqual([
      ['2026-03-01', 1, 2, 200_000],
      ['2026-03-02', 3, 5, 250_000],
      ['2026-03-03', 0, 0, 0],
    ]);
  });

  it('payments by method and status', async () => {
    const p = await ok(`payments?${SEOUL}`);
    expect(p.methods).toEqual([
      { method: '카드', payments: 2, amount: 300_000, refunded: 100_000, share: 0.6667, averageAmount: 150_000 },
      { method: '간편결제', payments: 1, amount: 150_000, refunded: 0, share: 0.3333, averageAmount: 150_000 },
    ]);
    expect(p.statuses).toEqual([
      { status: 'confirmed', payments: 2 },
      { status: 'refunded', payments: 1 },
    ]);
  });

  it('revenue by day and by month, with the top event', async () => {
    const byDay = await ok(`revenue?${SEOUL}`);
    expect(byDay.periods).toEqual([
      { period: '2026-03-01', payments: 1, gross: 200_000, refunded: 0, net: 200_000 },
      { period: '2026-03-02', payments: 2, gross: 250_000, refunded: 0, net: 250_000 },
      { period: '2026-03-03', payments: 0, gross: 0, refunded: 100_000, net: -100_000 },
    ]);
    expect(byDay.totals).toEqual({ gross: 450_000, refunded: 100_000, net: 350_000 });
    expect(byDay.topEvents).toEqual([{ eventId: e1.eventId, title: 'Stats Fixture', gross: 450_000, refunded: 100_000, net: 350_000 }]);
    const byMonth = await ok(`revenue?${SEOUL}&groupBy=month`);
    expect(byMonth.periods).toEqual([{ period: '2026-03-01', payments: 3, gross: 450_000, refunded: 100_000, net: 350_000 }]);
  });

  it('users', async () => {
    const u = await ok(`users?${SEOUL}`);
    expect(u).toMatchObject({
      total: usersMade,
      byRole: { user: usersMade - 1, admin: 1 },
      newInRange: 3,
      buyers: 3,
      repeatBuyers: 1,
      signups: [
        { date: '2026-03-01', users: 1 },
        { date: '2026-03-02', users: 2 },
        { date: '2026-03-03', users: 0 },
      ],
    });
  });

  it('hourly traffic, in Seoul hours', async () => {
    const h = await ok(`hourly-traffic?${SEOUL}`);
    expect(h.hours).toHaveLength(24);
    const busy = h.hours.filter(
      (x: { holds: number; reservations: number; payments: number; signups: number }) =>
        x.holds + x.reservations + x.payments + x.signups > 0,
    );
    expect(busy).toEqual([
      { hour: 0, holds: 0, reservations: 0, payments: 1, signups: 1 },
      { hour: 10, holds: 0, reservations: 0, payments: 0, signups: 1 },
      { hour: 11, holds: 1, reservations: 0, payments: 0, signups: 0 },
      { hour: 12, holds: 0, reservations: 1, payments: 0, signups: 0 },
      { hour: 13, holds: 2, reservations: 1, payments: 0, signups: 0 },
      { hour: 14, holds: 0, reservations: 0, payments: 1, signups: 0 },
      { hour: 15, holds: 0, reservations: 1, payments: 0, signups: 0 },
      { hour: 23, holds: 2, reservations: 2, payments: 1, signups: 1 },
    ]);
    expect(h.peakHour).toBe(13);
  });

  it('conversion', async () => {
    const c = await ok(`conversion?${SEOUL}`);
    expect(c).toMatchObject({
      holds: 5,
      reservations: 4,
      confirmed: 2,
      holdToReservation: 0.8,
      reservationToConfirmed: 0.5,
      holdToConfirmed: 0.4,
    });
    expect(c.events).toEqual([
      {
        eventId: e1.eventId,
        title: 'Stats Fixture',
        holds: 5,
        reservations: 4,
        confirmed: 2,
        holdToReservation: 0.8,
        reservationToConfirmed: 0.5,
        holdToConfirmed: 0.4,
      },
    ]);
  });

  it('cancellations', async () => {
    const c = await ok(`cancellations?${SEOUL}`);
    expect(c).toMatchObject({
      cancelled: 1,
      cancelledAfterPayment: 1,
      expired: 1,
      confirmedInRange: 4,
      cancellationRate: 0.25,
      refunds: { payments: 1, amount: 100_000, full: 1, partial: 0, failed: 0 },
      reasons: [{ reason: 'changed plans', reservations: 1 }],
    });
  });

  it('seat preferences', async () => {
    const s = await ok(`seat-preferences?${SEOUL}&eventId=${e1.eventId}`);
    expect(s.sections).toEqual([{ section: 'A', capacity: 10, sold: 3, held: 0, sellThrough: 0.3, averagePrice: 100_000, soldInRange: 4 }]);
    expect(s.ticketTypes).toEqual([
      { name: 'Section A', kind: 'seated', capacity: 10, sold: 3, held: 0, sellThrough: 0.3, averagePrice: 100_000, soldInRange: 4 },
      { name: 'Standing', kind: 'general', capacity: 100, sold: 3, held: 0, sellThrough: 0.03, averagePrice: 50_000, soldInRange: 3 },
    ]);
  });

  it('user behaviour', async () => {
    const b = await ok(`user-behavior?${SEOUL}`);
    // Lead times: confirmed → the event on 04-01 10:00Z, in days; the median of four is the mean of the middle two.
    const days = ['2026-03-01T14:59:59Z', '2026-03-01T15:00:00Z', '2026-03-02T05:00:00Z', '2026-03-02T06:00:00Z']
      .map((at) => (Date.parse(EVENT_DATE) - Date.parse(at)) / 86_400_000)
      .sort((a, b) => a - b);
    expect(b).toMatchObject({
      orders: 4,
      averageTicketsPerOrder: 1.75,
      averageOrderValue: 112_500,
      ticketsPerOrder: [
        { tickets: '1', orders: 2 },
        { tickets: '2', orders: 1 },
        { tickets: '3', orders: 1 },
        { tickets: '4+', orders: 0 },
      ],
      medianSecondsHoldToReservation: 300,
      medianSecondsReservationToPayment: 195,
      medianDaysBeforeEvent: Math.round(((days[1]! + days[2]!) / 2) * 100) / 100,
      repeatPurchaseRate: 0.3333,
      abandonedReservations: 1,
    });
  });
});

describe('today, through the real purchase flow', () => {
  let e2: EventFixture;
  let paid: number;

  beforeAll(async () => {
    e2 = await createEventFixture(t.db, { title: 'Live Flow' });
    const buyer = await registerUser(t.app);
    usersMade++;
    const order = await reserveAndPrepare(call, buyer.token, e2.eventId, e2.seats.A!.slice(0, 2));
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount });
    const confirmed = await call('POST', '/v1/payments/confirm', buyer.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    paid = order.amount;
  });

  it('shows the sale in revenue, daily and events the moment it is confirmed', async () => {
    expect(paid).toBe(200_000);
    // Yesterday and today in Seoul, so the test holds across Seoul's midnight.
    const today = todayIn('Asia/Seoul');
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const revenue = await ok(`revenue?from=${yesterday}&to=${today}`);
    expect(revenue.totals).toEqual({ gross: paid, refunded: 0, net: paid });
    expect(revenue.topEvents).toEqual([{ eventId: e2.eventId, title: 'Live Flow', gross: paid, refunded: 0, net: paid }]);
    const daily = await ok(`daily?from=${yesterday}&to=${today}`);
    expect(daily.days.reduce((s: number, d: { revenue: number }) => s + d.revenue, 0)).toBe(paid);
    expect(daily.days.reduce((s: number, d: { ticketsSold: number }) => s + d.ticketsSold, 0)).toBe(2);
    // All time, before the stats job ever ran: live.
    const events = await ok('events');
    expect(events).toMatchObject({ source: 'live', cachedAt: null, from: null, to: null });
    expect(events.events.find((e: { eventId: string }) => e.eventId === e2.eventId)).toMatchObject({
      ticketsSold: 2,
      soldNow: 2,
      capacity: 40,
      revenue: { gross: paid, refunded: 0, net: paid },
      conversionRate: 1,
      source: 'live',
    });
  });

  it('realtime: live holds, the waiting-room line and the sales of the last minutes', async () => {
    const holder = await registerUser(t.app);
    const waiter = await registerUser(t.app);
    usersMade += 2;
    const held = await t.app.inject({
      method: 'POST',
      url: `/v1/events/${e2.eventId}/holds`,
      headers: bearer(holder.token),
      payload: { seatIds: e2.seats.A!.slice(10, 13) },
    });
    expect(held.statusCode).toBe(201);
    const q = queueCalls(t, e2.eventId);
    expect((await q.configure(admin.token, { enabled: true, paused: true })).statusCode).toBe(200);
    expect((await q.join(waiter.token)).statusCode).toBe(200);
    const r = await ok('realtime?minutes=60');
    expect(r).toMatchObject({
      source: 'live',
      minutes: 60,
      holds: { active: 1, seats: 3, generalAdmission: 0 },
      pendingReservations: 0,
      queues: [{ eventId: e2.eventId, waiting: 1, active: 0 }],
      recent: { reservationsConfirmed: 1, ticketsSold: 2, revenue: paid, holds: 2 },
    });
  });

  it("performance: this instance's request counts and latency per route", async () => {
    for (let i = 0; i < 3; i++) expect((await t.app.inject({ method: 'GET', url: `/v1/events/${e2.eventId}/seats` })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v1/events/00000000-0000-4000-8000-000000000000/seats' })).statusCode).toBe(404);
    const p = await ok('performance');
    expect(p).toMatchObject({ scope: 'instance', instance: { pid: process.pid } });
    const seats = p.routes.find((r: { route: string; method: string }) => r.route === '/v1/events/:eventId/seats' && r.method === 'GET');
    expect(seats).toMatchObject({ requests: 4, errors4xx: 1, errors5xx: 0 });
    expect(seats.p50Ms).toBeGreaterThan(0);
    expect(seats.p99Ms === null || seats.p99Ms >= seats.p50Ms).toBe(true);
  });
});

describe('the stats job and its caches', () => {
  it('serves finished days and all-time event figures from the caches once the job ran, with the same numbers and their age', async () => {
    const live = await ok(`daily?${SEOUL}`);
    const liveEvents = await ok('events');
    const service = createStatsService({ db: t.db, timeZone: 'Asia/Seoul', registry: t.app.metrics });
    const before = new Date();
    const done = await service.refreshCaches({ dailyDays: 400, perRun: 400 });
    expect(done.events).toBe(2);
    const cached = await ok(`daily?${SEOUL}`);
    expect(cached.source).toBe('cache');
    expect(Date.parse(cached.cachedAt)).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(cached.days.map((d: Record<string, unknown>) => ({ ...d, source: 'live' }))).toEqual(live.days);
    // The cache is kept for Seoul days only: UTC days are computed live.
    expect((await ok(`daily?${SEOUL}&timeZone=UTC`)).source).toBe('live');
    // Today is never cached.
    const today = todayIn('Asia/Seoul');
    expect((await ok(`daily?from=2026-03-03&to=${today}`)).source).toBe('mixed');
    const events = await ok('events');
    expect(events.source).toBe('cache');
    expect(events.events.map((e: Record<string, unknown>) => ({ ...e, source: 'live' }))).toEqual(liveEvents.events);
  });

  it('is run on its own by a process with the sweeper role', async () => {
    // "yesterday" is the last final day: a day is final one hour after it ends (late confirms), so
    // between 00:00 and 01:00 Seoul time the last final day is the day before yesterday.
    await t.db.query('DELETE FROM stats.event_stats');
    await t.db.query('DELETE FROM stats.daily_stats');
    // This file's app has no sweeper role; a second instance on the same database has it.
    const sweeper = await createTestApp({ databaseUrl: t.databaseUrl, state: 'memory', config: { STATS_REFRESH_INTERVAL_MS: 1000 } });
    try {
      const rows = await eventually(async () => {
        const { rows } = await t.db.query<{ events: number; yesterday: number }>(
          `SELECT (SELECT count(*)::int FROM stats.event_stats) AS events,
                  (SELECT count(*)::int FROM stats.daily_stats
                    WHERE time_zone = 'Asia/Seoul' AND currency = 'KRW'
                      AND date = ((now() - interval '1 hour') AT TIME ZONE 'Asia/Seoul')::date - 1) AS yesterday`,
        );
        return rows[0]!.events === 2 && rows[0]!.yesterday === 1 && rows[0];
      });
      expect(rows).toEqual({ events: 2, yesterday: 1 });
      expect((await ok('events')).source).toBe('cache');
    } finally {
      await sweeper.close();
    }
  });

  it('a purchase after the job ran shows in the all-time events view at once (that event live, the others cached)', async () => {
    const ev = await createEventFixture(t.db, { title: 'Bought After The Cache' });
    const service = createStatsService({ db: t.db, timeZone: 'Asia/Seoul', registry: t.app.metrics });
    await service.refreshCaches({ dailyDays: 400, perRun: 400 });
    const before = await ok('events');
    expect(before.source).toBe('cache');
    expect(before.events.find((e: { eventId: string }) => e.eventId === ev.eventId)).toMatchObject({ ticketsSold: 0, source: 'cache' });

    const buyer = await registerUser(t.app);
    const order = await reserveAndPrepare(call, buyer.token, ev.eventId, ev.seats.A!.slice(0, 1));
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount });
    const confirmed = await call('POST', '/v1/payments/confirm', buyer.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect(confirmed.status).toBe(200);

    const after = await ok('events');
    expect(after.source).toBe('mixed');
    expect(after.events.find((e: { eventId: string }) => e.eventId === ev.eventId)).toMatchObject({
      ticketsSold: 1,
      revenue: { gross: order.amount, refunded: 0, net: order.amount },
      source: 'live',
    });
    expect(after.events.filter((e: { source: string }) => e.source === 'cache').length).toBe(after.events.length - 1);
  });
});
