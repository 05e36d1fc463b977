// Catalog: seat layouts, events with generated seats, ticket types, lifecycle and deletion.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';

let t: TestApp;
let adminToken: string;
let userToken: string;

beforeAll(async () => {
  t = await createTestApp();
  adminToken = (await createAdmin(t)).token;
  userToken = (await registerUser(t.app)).token;
});
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token: string | null = adminToken) =>
  t.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}), headers: token ? bearer(token) : {} });

const arena = (name = `Arena ${randomUUID().slice(0, 8)}`) => ({
  name,
  sections: [
    { name: 'VIP', ticketType: 'VIP', price: 165000, rows: 3, seatsPerRow: 10 },
    {
      name: 'R',
      ticketType: 'R',
      price: 132000,
      rowList: [
        { label: 'AA', seats: 12 },
        { label: 'BB', seats: 14 },
      ],
    },
    { name: 'S1', ticketType: 'S', price: 99000, rows: 2, seatsPerRow: 5 },
    { name: 'S2', ticketType: 'S', price: 99000, rows: 1, seatsPerRow: 7 },
  ],
});

const eventBody = (extra: Record<string, unknown> = {}) => ({
  title: `Concert ${randomUUID().slice(0, 8)}`,
  venue: 'KSPO DOME',
  eventDate: '2027-03-01T10:00:00.000Z',
  ...extra,
});

async function createEvent(extra: Record<string, unknown> = {}) {
  const res = await call('POST', '/v1/events', eventBody(extra));
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('seat layouts and seat generation', () => {
  it("generates exactly the layout's seats, per section, with prices, labels and one ticket type per price category", async () => {
    const layoutRes = await call('POST', '/v1/seat-layouts', arena());
    expect(layoutRes.statusCode, layoutRes.body).toBe(201);
    const layout = layoutRes.json();
    expect(layout.totalSeats).toBe(30 + 26 + 10 + 7);
    expect(layout.sections.map((s: { seatCount: number }) => s.seatCount)).toEqual([30, 26, 10, 7]);

    const event = await createEvent({ seatLayoutId: layout.id, status: 'on_sale' });
    expect(event).toMatchObject({
      status: 'on_sale',
      seatLayoutId: layout.id,
      currency: 'KRW',
      minPrice: 99000,
      maxPrice: 165000,
      totalSeats: 73,
    });
    expect(event.ticketTypes).toEqual([
      expect.objectContaining({ name: 'VIP', kind: 'seated', price: 165000, totalQuantity: 30, availableQuantity: 30 }),
      expect.objectContaining({ name: 'R', kind: 'seated', price: 132000, totalQuantity: 26, availableQuantity: 26 }),
      expect.objectContaining({ name: 'S', kind: 'seated', price: 99000, totalQuantity: 17, availableQuantity: 17 }),
    ]);

    const { rows } = await t.db.query(
      `SELECT s.section, count(*)::int AS n, min(s.price)::int AS min, max(s.price)::int AS max, count(DISTINCT s.ticket_type_id)::int AS types,
              bool_and(s.status = 'available') AS available, bool_and(tt.name = CASE WHEN s.section LIKE 'S%' THEN 'S' ELSE s.section END) AS right_type
       FROM ticket.seats s JOIN ticket.ticket_types tt ON tt.id = s.ticket_type_id
       WHERE s.event_id = $1 GROUP BY s.section ORDER BY s.section`,
      [event.id],
    );
    expect(rows).toEqual([
      { section: 'R', n: 26, min: 132000, max: 132000, types: 1, available: true, right_type: true },
      { section: 'S1', n: 10, min: 99000, max: 99000, types: 1, available: true, right_type: true },
      { section: 'S2', n: 7, min: 99000, max: 99000, types: 1, available: true, right_type: true },
      { section: 'VIP', n: 30, min: 165000, max: 165000, types: 1, available: true, right_type: true },
    ]);
    const labels = await t.db.query(
      `SELECT label, row_label, row_number, seat_number FROM ticket.seats WHERE event_id = $1 AND label IN ('VIP-C-10', 'R-BB-14', 'R-AA-1')
       ORDER BY label`,
      [event.id],
    );
    expect(labels.rows).toEqual([
      { label: 'R-AA-1', row_label: 'AA', row_number: 1, seat_number: 1 },
      { label: 'R-BB-14', row_label: 'BB', row_number: 2, seat_number: 14 },
      { label: 'VIP-C-10', row_label: 'C', row_number: 3, seat_number: 10 },
    ]);

    const got = await call('GET', `/v1/seat-layouts/${layout.id}`, undefined, null);
    expect(got.json()).toMatchObject({ id: layout.id, totalSeats: 73 });
  });

  it('names the bad part of an invalid layout with INVALID_LAYOUT', async () => {
    const dupName = await call('POST', '/v1/seat-layouts', {
      name: 'dup',
      sections: [
        { name: 'A', ticketType: 'R', price: 1000, rows: 1, seatsPerRow: 1 },
        { name: 'A', ticketType: 'S', price: 500, rows: 1, seatsPerRow: 1 },
      ],
    });
    expect(dupName.statusCode).toBe(400);
    expect(dupName.json()).toMatchObject({ code: 'INVALID_LAYOUT' });
    expect(dupName.json().errors).toContainEqual(expect.objectContaining({ path: '/body/sections/1/name' }));

    const zero = await call('POST', '/v1/seat-layouts', {
      name: 'zero',
      sections: [
        { name: 'A', ticketType: 'R', price: 1000, rows: 1, seatsPerRow: 1 },
        { name: 'B', ticketType: 'R', price: 1000, rows: 1, seatsPerRow: 1 },
        { name: 'C', ticketType: 'S', price: 500, rows: 2, seatsPerRow: 0 },
      ],
    });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().code).toBe('INVALID_LAYOUT');
    expect(zero.json().errors.map((e: { path: string }) => e.path)).toEqual(['/body/sections/2/seatsPerRow']);

    const tooMany = await call('POST', '/v1/seat-layouts', {
      name: 'huge',
      sections: Array.from({ length: 11 }, (_, i) => ({ name: `Z${i}`, ticketType: 'R', price: 1000, rows: 100, seatsPerRow: 100 })),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors).toContainEqual(
      expect.objectContaining({ path: '/body/sections', message: expect.stringContaining('110000') }),
    );

    const mixed = await call('POST', '/v1/seat-layouts', {
      name: 'mixed',
      sections: [
        { name: 'A', ticketType: 'R', price: 1000, rows: 2, rowList: [{ label: 'A', seats: 3 }] },
        { name: 'B', ticketType: 'R', price: 2000, rows: 2 },
        {
          name: 'C',
          ticketType: 'S',
          price: 500,
          rowList: [
            { label: 'X', seats: 3 },
            { label: 'X', seats: 3 },
          ],
        },
        { name: 'D', ticketType: 'S', price: 500, rows: 1, seatsPerRow: 1, colour: 'red' },
      ],
    });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().code).toBe('INVALID_LAYOUT');
    // Schema errors come first (the unknown field), so the semantic ones are checked separately below.
    expect(mixed.json().errors).toContainEqual({ path: '/body/sections/3/colour', message: 'is not a known field' });

    const semantic = await call('POST', '/v1/seat-layouts', {
      name: 'semantic',
      sections: [
        { name: 'A', ticketType: 'R', price: 1000, rows: 2, rowList: [{ label: 'A', seats: 3 }] },
        { name: 'B', ticketType: 'R', price: 2000, rows: 2 },
        {
          name: 'C',
          ticketType: 'S',
          price: 500,
          rowList: [
            { label: 'X', seats: 3 },
            { label: 'X', seats: 3 },
          ],
        },
      ],
    });
    const paths = semantic.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/body/sections/0/rows',
        '/body/sections/1/price',
        '/body/sections/1/seatsPerRow',
        '/body/sections/2/rowList/1/label',
      ]),
    );

    const { rowCount } = await t.db.query(`SELECT 1 FROM ticket.seat_layouts WHERE name IN ('dup', 'zero', 'huge', 'mixed', 'semantic')`);
    expect(rowCount).toBe(0);
  });

  it('refuses a duplicate layout name and an unknown layout for an event', async () => {
    const body = arena();
    expect((await call('POST', '/v1/seat-layouts', body)).statusCode).toBe(201);
    const dup = await call('POST', '/v1/seat-layouts', body);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('LAYOUT_NAME_TAKEN');
    const missing = await call('POST', '/v1/events', eventBody({ seatLayoutId: randomUUID() }));
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('LAYOUT_NOT_FOUND');
  });

  it('creates 20,000 seats in one go', async () => {
    const layout = (
      await call('POST', '/v1/seat-layouts', {
        name: `Stadium ${randomUUID().slice(0, 8)}`,
        sections: [
          { name: 'N', ticketType: 'N', price: 30000, rows: 100, seatsPerRow: 100 },
          { name: 'S', ticketType: 'S', price: 20000, rows: 100, seatsPerRow: 100 },
        ],
      })
    ).json();
    expect(layout.totalSeats).toBe(20_000);
    const event = await createEvent({ seatLayoutId: layout.id });
    expect(event.totalSeats).toBe(20_000);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM ticket.seats WHERE event_id = $1', [event.id]);
    expect(rows[0].n).toBe(20_000);
  });
});

describe('access and validation', () => {
  it('answers 401 without a token and 403 for a non-admin on every admin route', async () => {
    const event = await createEvent();
    const routes: Array<['POST' | 'PATCH' | 'DELETE' | 'GET', string, unknown]> = [
      ['POST', '/v1/events', eventBody()],
      ['PATCH', `/v1/events/${event.id}`, { title: 'x' }],
      ['DELETE', `/v1/events/${event.id}`, undefined],
      ['POST', `/v1/events/${event.id}/ticket-types`, { name: 'GA', kind: 'general', price: 1, totalQuantity: 1 }],
      ['POST', '/v1/seat-layouts', arena()],
      ['POST', '/v1/news', { title: 'x', content: 'y' }],
      ['GET', '/v1/keyword-mappings', undefined],
      ['POST', '/v1/keyword-mappings', { korean: '가', english: 'ga' }],
    ];
    for (const [method, url, body] of routes) {
      const none = await call(method, url, body, null);
      expect(none.statusCode, `${method} ${url}`).toBe(401);
      expect(none.json().code).toBe('AUTHENTICATION_REQUIRED');
      const user = await call(method, url, body, userToken);
      expect(user.statusCode, `${method} ${url}`).toBe(403);
      expect(user.json().code).toBe('FORBIDDEN');
    }
    // Nothing happened to the event.
    expect((await call('GET', `/v1/events/${event.id}`, undefined, null)).json().title).toBe(event.title);
  });

  it('rejects unknown fields, malformed ids and bad values with VALIDATION_FAILED', async () => {
    const extra = await call('POST', '/v1/events', eventBody({ soldOut: true }));
    expect(extra.statusCode).toBe(400);
    expect(extra.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(extra.json().errors).toContainEqual({ path: '/body/soldOut', message: 'is not a known field' });

    const badId = await call('GET', '/v1/events/not-a-uuid', undefined, null);
    expect(badId.statusCode).toBe(400);
    expect(badId.json().code).toBe('VALIDATION_FAILED');
    expect(badId.json().errors).toContainEqual(expect.objectContaining({ path: '/params/eventId' }));
    expect((await call('PATCH', '/v1/ticket-types/123', { price: 1 })).json().code).toBe('VALIDATION_FAILED');

    const badQuery = await call('GET', '/v1/events?status=sold&color=red', undefined, null);
    expect(badQuery.statusCode).toBe(400);
    const badDate = await call('POST', '/v1/events', eventBody({ eventDate: 'tomorrow' }));
    expect(badDate.json().errors).toContainEqual(expect.objectContaining({ path: '/body/eventDate' }));
    const window = await call(
      'POST',
      '/v1/events',
      eventBody({ saleStartDate: '2027-02-01T00:00:00Z', saleEndDate: '2027-01-01T00:00:00Z' }),
    );
    expect(window.statusCode).toBe(400);
    expect(window.json().errors).toContainEqual(expect.objectContaining({ path: '/body/saleEndDate' }));

    const unknown = await call('GET', `/v1/events/${randomUUID()}`, undefined, null);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('EVENT_NOT_FOUND');
  });
});

describe('creating an event', () => {
  it('honours Idempotency-Key: a retry replays the answer and creates nothing more', async () => {
    const body = eventBody({ title: `Retry ${randomUUID().slice(0, 8)}` });
    const key = randomUUID();
    const send = () =>
      t.app.inject({ method: 'POST', url: '/v1/events', payload: body, headers: { ...bearer(adminToken), 'idempotency-key': key } });
    const first = await send();
    const second = await send();
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM ticket.events WHERE title = $1', [body.title]);
    expect(rows[0].n).toBe(1);
  });

  it('answers EVENT_NOT_FOUND for an unknown event on every event route', async () => {
    const id = randomUUID();
    for (const [method, url, body] of [
      ['GET', `/v1/events/${id}/ticket-types`, undefined],
      ['POST', `/v1/events/${id}/ticket-types`, { name: 'GA', kind: 'general', price: 1, totalQuantity: 1 }],
      ['PATCH', `/v1/events/${id}`, { title: 'x' }],
    ] as const) {
      const res = await call(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().code).toBe('EVENT_NOT_FOUND');
    }
    expect((await call('PATCH', `/v1/ticket-types/${id}`, { price: 1 })).json().code).toBe('TICKET_TYPE_NOT_FOUND');
    expect((await call('GET', `/v1/seat-layouts/${id}`, undefined, null)).json().code).toBe('LAYOUT_NOT_FOUND');
  });
});

describe('event lifecycle', () => {
  it('allows the lifecycle moves and refuses the others with INVALID_STATUS_TRANSITION', async () => {
    const event = await createEvent();
    expect(event.status).toBe('upcoming');
    const move = (status: string) => call('PATCH', `/v1/events/${event.id}`, { status });

    expect((await move('sold_out')).json().code).toBe('INVALID_STATUS_TRANSITION');
    expect((await move('ended')).statusCode).toBe(409);
    for (const status of ['on_sale', 'sold_out', 'on_sale', 'sold_out', 'ended']) {
      const res = await move(status);
      expect(res.statusCode, `→ ${status}`).toBe(200);
      expect(res.json().status).toBe(status);
    }
    const final = await move('on_sale');
    expect(final.statusCode).toBe(409);
    expect(final.json()).toMatchObject({ code: 'INVALID_STATUS_TRANSITION', detail: expect.stringContaining('final') });
    expect((await call('GET', `/v1/events/${event.id}`, undefined, null)).json().status).toBe('ended');

    // Cancelling goes through POST …/cancel (holds released, buyers refunded), never a bare status change.
    const other = await createEvent();
    const patched = await call('PATCH', `/v1/events/${other.id}`, { status: 'cancelled', title: 'Called off' });
    expect(patched.statusCode).toBe(409);
    expect(patched.json()).toMatchObject({
      code: 'INVALID_STATUS_TRANSITION',
      detail: expect.stringContaining(`/v1/events/${other.id}/cancel`),
    });
    expect((await call('GET', `/v1/events/${other.id}`, undefined, null)).json()).toMatchObject({ status: 'upcoming', title: other.title });
    expect((await call('POST', `/v1/events/${other.id}/cancel`, {})).statusCode).toBeLessThan(300);
    expect((await call('GET', `/v1/events/${other.id}`, undefined, null)).json().status).toBe('cancelled');
    expect((await call('PATCH', `/v1/events/${other.id}`, { status: 'on_sale' })).statusCode).toBe(409);
  });

  it('updates details and clears optional ones with null', async () => {
    const event = await createEvent({ artistName: 'Someone', posterImageUrl: 'https://img.example.com/p.jpg' });
    const res = await call('PATCH', `/v1/events/${event.id}`, {
      artistName: null,
      venue: 'Olympic Hall',
      eventDate: '2027-04-01T09:00:00Z',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      artistName: null,
      venue: 'Olympic Hall',
      eventDate: '2027-04-01T09:00:00.000Z',
      posterImageUrl: 'https://img.example.com/p.jpg',
    });
  });
});

describe('event timestamps', () => {
  it("moves an event's updatedAt when the event changes, not when its seats are held", async () => {
    const layout = (await call('POST', '/v1/seat-layouts', arena())).json();
    const event = await createEvent({ seatLayoutId: layout.id, status: 'on_sale' });
    const buyer = await registerUser(t.app);
    const seat = (await t.db.query(`SELECT id FROM ticket.seats WHERE event_id = $1 LIMIT 1`, [event.id])).rows[0];
    const before = (await call('GET', `/v1/events/${event.id}`, undefined, null)).json();
    const held = await call('POST', `/v1/events/${event.id}/holds`, { seatIds: [seat.id] }, buyer.token);
    expect(held.statusCode).toBe(201);
    expect((await t.app.inject(`/v1/events/${event.id}/seats`)).json().version).toBe(1);
    expect((await call('GET', `/v1/events/${event.id}`, undefined, null)).json().updatedAt).toBe(before.updatedAt);
    const renamed = await call('PATCH', `/v1/events/${event.id}`, { title: 'Renamed' });
    expect(renamed.statusCode).toBe(200);
    expect(Date.parse(renamed.json().updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
  });
});

describe('deleting an event', () => {
  it('is refused while a reservation is pending and allowed once it is cancelled, taking seats and types with it', async () => {
    const layout = (await call('POST', '/v1/seat-layouts', arena())).json();
    const event = await createEvent({ seatLayoutId: layout.id, status: 'on_sale' });
    const buyer = await registerUser(t.app);
    const seat = (await t.db.query(`SELECT id, ticket_type_id, price FROM ticket.seats WHERE event_id = $1 LIMIT 1`, [event.id])).rows[0];
    const reservation = (
      await t.db.query(
        `INSERT INTO ticket.reservations (number, user_id, event_id, total_amount, currency, expires_at)
       VALUES ($1, $2, $3, $4, 'KRW', now() + interval '15 minutes') RETURNING id`,
        [`TK-TEST-${randomUUID().slice(0, 6)}`, buyer.userId, event.id, seat.price],
      )
    ).rows[0];
    await t.db.query(
      `INSERT INTO ticket.reservation_items (reservation_id, reservation_status, ticket_type_id, seat_id, quantity, unit_price, subtotal)
       VALUES ($1, 'pending', $2, $3, 1, $4, $4)`,
      [reservation.id, seat.ticket_type_id, seat.id, seat.price],
    );
    await t.db.query(`UPDATE ticket.seats SET status = 'reserved', reservation_id = $2 WHERE id = $1`, [seat.id, reservation.id]);

    const refused = await call('DELETE', `/v1/events/${event.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('EVENT_HAS_SALES');
    expect((await call('GET', `/v1/events/${event.id}`, undefined, null)).statusCode).toBe(200);

    await t.db.query(`UPDATE ticket.reservations SET status = 'cancelled' WHERE id = $1`, [reservation.id]);
    await t.db.query(`UPDATE ticket.seats SET status = 'available', reservation_id = NULL WHERE id = $1`, [seat.id]);
    // An active hold does not stop the deletion; it goes with the event.
    const held = await call('POST', `/v1/events/${event.id}/holds`, { seatIds: [seat.id] }, buyer.token);
    expect(held.statusCode).toBe(201);
    const deleted = await call('DELETE', `/v1/events/${event.id}`);
    expect(deleted.statusCode).toBe(204);
    expect((await call('GET', `/v1/events/${event.id}`, undefined, null)).statusCode).toBe(404);
    const left = await t.db.query(
      `SELECT (SELECT count(*) FROM ticket.seats WHERE event_id = $1)::int AS seats,
              (SELECT count(*) FROM ticket.ticket_types WHERE event_id = $1)::int AS types,
              (SELECT count(*) FROM ticket.holds WHERE event_id = $1)::int AS holds`,
      [event.id],
    );
    expect(left.rows[0]).toEqual({ seats: 0, types: 0, holds: 0 });
    expect((await call('DELETE', `/v1/events/${event.id}`)).json().code).toBe('EVENT_NOT_FOUND');
  });
});

describe('ticket types', () => {
  it('adds general admission with available = total, and resizes keeping held/sold tickets consistent', async () => {
    const event = await createEvent({ status: 'on_sale' });
    const created = await call('POST', `/v1/events/${event.id}/ticket-types`, {
      name: 'Standing',
      kind: 'general',
      price: 88000,
      totalQuantity: 100,
    });
    expect(created.statusCode, created.body).toBe(201);
    const type = created.json();
    expect(type).toMatchObject({ kind: 'general', price: 88000, currency: 'KRW', totalQuantity: 100, availableQuantity: 100 });

    // 30 tickets are gone (held or sold) as the inventory module would leave them.
    await t.db.query('UPDATE ticket.ticket_types SET available_quantity = available_quantity - 30 WHERE id = $1', [type.id]);
    const grown = await call('PATCH', `/v1/ticket-types/${type.id}`, { totalQuantity: 150 });
    expect(grown.json()).toMatchObject({ totalQuantity: 150, availableQuantity: 120 });
    const shrunk = await call('PATCH', `/v1/ticket-types/${type.id}`, { totalQuantity: 30 });
    expect(shrunk.json()).toMatchObject({ totalQuantity: 30, availableQuantity: 0 });
    const tooSmall = await call('PATCH', `/v1/ticket-types/${type.id}`, { totalQuantity: 29 });
    expect(tooSmall.statusCode).toBe(409);
    expect(tooSmall.json().code).toBe('TICKET_TYPE_IN_USE');

    const list = await call('GET', `/v1/events/${event.id}/ticket-types`, undefined, null);
    expect(list.json().data).toEqual([expect.objectContaining({ id: type.id, totalQuantity: 30, availableQuantity: 0 })]);
    const detail = (await call('GET', `/v1/events/${event.id}`, undefined, null)).json();
    expect(detail).toMatchObject({ minPrice: 88000, maxPrice: 88000 });

    expect(
      (await call('POST', `/v1/events/${event.id}/ticket-types`, { name: 'Standing', kind: 'general', price: 1, totalQuantity: 1 })).json()
        .code,
    ).toBe('TICKET_TYPE_EXISTS');
    const noTotal = await call('POST', `/v1/events/${event.id}/ticket-types`, { name: 'GA', kind: 'general', price: 1 });
    expect(noTotal.json().errors).toContainEqual(expect.objectContaining({ path: '/body/totalQuantity' }));
  });

  it('reprices a seated type with its seats, but not once a seat of it is taken', async () => {
    const layout = (await call('POST', '/v1/seat-layouts', arena())).json();
    const event = await createEvent({ seatLayoutId: layout.id });
    const vip = event.ticketTypes.find((x: { name: string }) => x.name === 'VIP');
    const ok = await call('PATCH', `/v1/ticket-types/${vip.id}`, { price: 170000 });
    expect(ok.json()).toMatchObject({ price: 170000, totalQuantity: 30 });
    const prices = await t.db.query('SELECT DISTINCT price FROM ticket.seats WHERE ticket_type_id = $1', [vip.id]);
    expect(prices.rows).toEqual([{ price: 170000 }]);
    expect((await call('PATCH', `/v1/ticket-types/${vip.id}`, { totalQuantity: 5 })).json().code).toBe('VALIDATION_FAILED');

    const buyer = await registerUser(t.app);
    const hold = (
      await t.db.query(
        `INSERT INTO ticket.holds (event_id, user_id, expires_at) VALUES ($1, $2, now() + interval '5 minutes') RETURNING id`,
        [event.id, buyer.userId],
      )
    ).rows[0];
    await t.db.query(
      `UPDATE ticket.seats SET status = 'held', hold_id = $2, hold_expires_at = now() + interval '5 minutes'
       WHERE id = (SELECT id FROM ticket.seats WHERE ticket_type_id = $1 LIMIT 1)`,
      [vip.id, hold.id],
    );
    const refused = await call('PATCH', `/v1/ticket-types/${vip.id}`, { price: 1000 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('TICKET_TYPE_IN_USE');
    const after = await t.db.query('SELECT DISTINCT price FROM ticket.seats WHERE ticket_type_id = $1', [vip.id]);
    expect(after.rows).toEqual([{ price: 170000 }]);
    const types = (await call('GET', `/v1/events/${event.id}/ticket-types`, undefined, null)).json().data;
    expect(types.find((x: { id: string }) => x.id === vip.id)).toMatchObject({ totalQuantity: 30, availableQuantity: 29 });

    const vipOf = async () =>
      ((await call('GET', `/v1/events/${event.id}`, undefined, null)).json().ticketTypes as Array<{ id: string }>).find(
        (x) => x.id === vip.id,
      );
    expect(await vipOf()).toMatchObject({ totalQuantity: 30, availableQuantity: 29 });
    // Once the hold has expired and the sweeper released it, the seat counts as available again.
    await t.db.query(
      `UPDATE ticket.holds SET expires_at = now() - interval '1 second',
              seat_ids = ARRAY(SELECT id FROM ticket.seats WHERE hold_id = $1) WHERE id = $1`,
      [hold.id],
    );
    await t.db.query(`UPDATE ticket.seats SET hold_expires_at = now() - interval '1 second' WHERE hold_id = $1`, [hold.id]);
    await vi.waitFor(async () => expect(await vipOf()).toMatchObject({ totalQuantity: 30, availableQuantity: 30 }), {
      timeout: 5000,
      interval: 50,
    });
  });

  it('counts general-admission tickets of an expired, unswept hold as available', async () => {
    const event = await createEvent({ status: 'on_sale' });
    const type = (
      await call('POST', `/v1/events/${event.id}/ticket-types`, { name: 'GA', kind: 'general', price: 50000, totalQuantity: 10 })
    ).json();
    const buyer = await registerUser(t.app);
    const hold = (
      await t.db.query(
        `INSERT INTO ticket.holds (event_id, user_id, expires_at) VALUES ($1, $2, now() + interval '5 minutes') RETURNING id`,
        [event.id, buyer.userId],
      )
    ).rows[0];
    await t.db.query('INSERT INTO ticket.hold_items (hold_id, ticket_type_id, quantity) VALUES ($1, $2, 4)', [hold.id, type.id]);
    await t.db.query('UPDATE ticket.ticket_types SET available_quantity = available_quantity - 4 WHERE id = $1', [type.id]);
    const available = async () =>
      (await call('GET', `/v1/events/${event.id}/ticket-types`, undefined, null)).json().data[0].availableQuantity as number;
    expect(await available()).toBe(6);
    await t.db.query(`UPDATE ticket.holds SET expires_at = now() - interval '1 second' WHERE id = $1`, [hold.id]);
    expect(await available()).toBe(10);
  });
});
