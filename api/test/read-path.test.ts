// The on-sale read path (issue 11): seat maps and event details served from memory at a seat
// version, on two API instances racing holds, releases, reservations and expiries.
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { REALTIME_CHANNEL } from '../../api/src/realtime/bus.js';

// A seeded generator, so a failing interleaving of requests can be replayed (seed printed).
const SEED = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const config = { RATE_LIMIT: 'off' as const, HOLD_TTL_SECONDS: 1, SWEEP_INTERVAL_MS: 100 };
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await createTestApp({ config });
  b = await createTestApp({ config, databaseUrl: a.databaseUrl, redisPrefix: a.config.REDIS_PREFIX });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

type Change = { type: 'seat.held' | 'seat.released' | 'seat.sold'; seatIds: string[]; version: number };
const STATUS_OF = { 'seat.held': 'held', 'seat.released': 'available', 'seat.sold': 'sold' } as const;

describe('versioned seat views on two instances', () => {
  it('every seat map, status and detail snapshot is the database state at the version it carries', async () => {
    console.log(`read-path race seed: ${SEED} (TEST_SEED=${SEED} replays it)`);
    const rand = random(SEED);
    const ev = await createEventFixture(a.db, {
      sections: [
        { name: 'A', rows: 3, seatsPerRow: 20, price: 10_000 },
        { name: 'B', rows: 2, seatsPerRow: 20, price: 20_000 },
      ],
    });
    const seats = [...ev.seats.A!, ...ev.seats.B!];
    const typeOf = new Map<string, string>();
    for (const id of ev.seats.A!) typeOf.set(id, ev.seatedTypes.A!);
    for (const id of ev.seats.B!) typeOf.set(id, ev.seatedTypes.B!);
    // The record of every seat change of the event, as the live channel carries it.
    const history = new Map<number, Change>();
    await a.shared.subscribe(REALTIME_CHANNEL, (raw) => {
      const { message } = JSON.parse(raw) as { message: Change & { eventId: string } };
      if (message.eventId === ev.eventId) history.set(message.version, message);
    });
    const users = await createUsers(a, 120);

    // Readers on both instances, from before the first hold until the writers are done.
    const snapshots: Array<{ version: number; seats: Map<string, string> }> = [];
    const statusSnapshots: Array<{ version: number; statuses: string }> = [];
    const details: Array<{ version: number; available: Map<string, number> }> = [];
    let geometryOrder: string[] = [];
    let writing = true;
    const reader = async (t: TestApp, kind: 'map' | 'status' | 'detail') => {
      while (writing) {
        // Served from memory, an injected read never waits for I/O: yield, or the writers starve.
        await new Promise((r) => setImmediate(r));
        if (kind === 'map') {
          const res = await t.app.inject(`/v1/events/${ev.eventId}/seats`);
          const body = res.json() as { version: number; seats: Array<{ id: string; status: string }> };
          snapshots.push({ version: body.version, seats: new Map(body.seats.map((s) => [s.id, s.status])) });
        } else if (kind === 'status') {
          const body = (await t.app.inject(`/v1/events/${ev.eventId}/seats/status`)).json() as { version: number; statuses: string };
          statusSnapshots.push({ version: body.version, statuses: body.statuses });
        } else {
          const body = (await t.app.inject(`/v1/events/${ev.eventId}`)).json() as {
            seatVersion: number;
            ticketTypes: Array<{ id: string; availableQuantity: number }>;
          };
          details.push({ version: body.seatVersion, available: new Map(body.ticketTypes.map((x) => [x.id, x.availableQuantity])) });
        }
      }
    };
    geometryOrder = ((await b.app.inject(`/v1/events/${ev.eventId}/seats/geometry`)).json().seats as Array<{ id: string }>).map(
      (s) => s.id,
    );
    const readers = [a, b].flatMap((t) => [reader(t, 'map'), reader(t, 'status'), reader(t, 'detail')]);

    // Writers: holds on both instances; a third of the winners release early, a third reserve, the
    // rest expire (TTL 1 s) and are swept by both instances' sweepers.
    const outcomes = await Promise.all(
      users.map(async (u, i) => {
        const t = i % 2 ? a : b;
        const j = Math.floor(rand() * (seats.length - 1));
        const action = Math.floor(rand() * 3);
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 300)));
        const res = await t.app.inject({
          method: 'POST',
          url: `/v1/events/${ev.eventId}/holds`,
          payload: { seatIds: [seats[j], seats[j + 1]] },
          headers: bearer(u.token),
        });
        if (res.statusCode !== 201) return res.statusCode;
        const other = i % 2 ? b : a;
        if (action === 0) await other.app.inject({ method: 'DELETE', url: `/v1/holds/${res.json().id}`, headers: bearer(u.token) });
        if (action === 1)
          await other.app.inject({ method: 'POST', url: '/v1/reservations', payload: { holdId: res.json().id }, headers: bearer(u.token) });
        return res.statusCode;
      }),
    );
    // Let the sweepers expire what is left, then stop reading.
    for (let i = 0; i < 100; i++) {
      const { rows } = await a.db.query(`SELECT count(*)::int AS n FROM ticket.holds WHERE event_id = $1 AND status = 'active'`, [
        ev.eventId,
      ]);
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    writing = false;
    await Promise.all(readers);
    expect(outcomes.filter((s) => s === 201).length).toBeGreaterThan(10);
    expect(outcomes.every((s) => s === 201 || s === 409)).toBe(true);

    // The full record: every version from 1 to the database's, each exactly once.
    const { rows: ev0 } = await a.db.query('SELECT seat_version FROM ticket.events WHERE id = $1', [ev.eventId]);
    const last = ev0[0].seat_version as number;
    for (let i = 0; i < 50 && history.size < last; i++) await new Promise((r) => setTimeout(r, 100));
    expect([...history.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: last }, (_, i) => i + 1));

    // The state at each version, replayed from all-available; the last one must be the database's.
    const states: Array<Map<string, string>> = [new Map(seats.map((id) => [id, 'available']))];
    for (let v = 1; v <= last; v++) {
      const next = new Map(states[v - 1]);
      const change = history.get(v)!;
      for (const id of change.seatIds) next.set(id, STATUS_OF[change.type]);
      states.push(next);
    }
    const { rows: dbSeats } = await a.db.query(
      `SELECT id, CASE status WHEN 'available' THEN 'available' WHEN 'sold' THEN 'sold' ELSE 'held' END AS status
       FROM ticket.seats WHERE event_id = $1`,
      [ev.eventId],
    );
    expect(new Map(dbSeats.map((r) => [r.id as string, r.status as string]))).toEqual(states[last]);

    // Every snapshot equals the state at its version.
    expect(snapshots.length).toBeGreaterThan(20);
    const seenVersions = new Set(snapshots.map((s) => s.version));
    expect(seenVersions.size).toBeGreaterThan(3);
    for (const s of snapshots) expect({ version: s.version, seats: s.seats }).toEqual({ version: s.version, seats: states[s.version] });
    const chars = { available: 'a', held: 'h', sold: 's' } as Record<string, string>;
    for (const s of statusSnapshots) {
      const expected = geometryOrder.map((id) => chars[states[s.version]!.get(id)!]).join('');
      expect({ version: s.version, statuses: s.statuses }).toEqual({ version: s.version, statuses: expected });
    }
    expect(details.length).toBeGreaterThan(20);
    for (const d of details) {
      const available = new Map<string, number>([
        [ev.seatedTypes.A!, 0],
        [ev.seatedTypes.B!, 0],
      ]);
      for (const [id, status] of states[d.version]!)
        if (status === 'available') available.set(typeOf.get(id)!, available.get(typeOf.get(id)!)! + 1);
      expect({ version: d.version, available: d.available }).toEqual({ version: d.version, available });
    }
    // The counters the triggers keep agree with the seats.
    const { rows: counters } = await a.db.query(
      `SELECT t.id, t.available_quantity + coalesce((SELECT sum(c.available) FROM ticket.seat_counts c WHERE c.ticket_type_id = t.id), 0)::int AS available_quantity,
              (SELECT count(*)::int FROM ticket.seats s WHERE s.ticket_type_id = t.id AND s.status = 'available') AS counted
       FROM ticket.ticket_types t WHERE t.event_id = $1`,
      [ev.eventId],
    );
    for (const c of counters) expect(c.available_quantity).toBe(c.counted);
  });
});

describe('HTTP for hot reads', () => {
  it('answers 304 to If-None-Match, compresses for gzip and brotli, and serves geometry and status by version', async () => {
    const ev = await createEventFixture(a.db, { sections: [{ name: 'A', rows: 10, seatsPerRow: 30, price: 10_000 }] });
    const url = `/v1/events/${ev.eventId}/seats`;
    const first = await a.app.inject(url);
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"/);
    expect(first.headers['cache-control']).toBe('public, no-cache');
    // Written straight to the socket, yet with the app's headers: request id, security, CORS's Vary.
    expect(first.headers['x-request-id']).toBeTruthy();
    expect(first.headers['x-content-type-options']).toBe('nosniff');
    expect(first.headers.vary).toBe('Origin, Accept-Encoding');
    const again = await a.app.inject({ url, headers: { 'if-none-match': etag } });
    expect([again.statusCode, again.body]).toEqual([304, '']);

    const zipped = await a.app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(first.rawPayload.length / 4);
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(first.body);
    const br = await a.app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(first.body);

    // A hold moves the version: the old ETag no longer matches, the new map shows it.
    const [u] = await createUsers(a, 1);
    const seat = ev.seats.A![0]!;
    const hold = await a.app.inject({
      method: 'POST',
      url: `/v1/events/${ev.eventId}/holds`,
      payload: { seatIds: [seat] },
      headers: bearer(u!.token),
    });
    expect(hold.statusCode).toBe(201);
    const after = await a.app.inject({ url, headers: { 'if-none-match': etag } });
    expect(after.statusCode).toBe(200);
    expect(after.json().version).toBe(first.json().version + 1);
    expect(after.json().seats.find((s: { id: string }) => s.id === seat).status).toBe('held');

    // Geometry: immutable under its version, x/y for every seat.
    const geometry = (await a.app.inject(`${url}/geometry`)).json();
    expect(geometry.seats).toHaveLength(300);
    const pinned = await a.app.inject(`${url}/geometry?v=${geometry.geometryVersion}`);
    expect(pinned.headers['cache-control']).toContain('immutable');

    // Status: full, then only the changes since a version.
    const full = (await a.app.inject(`${url}/status`)).json();
    expect(full).toMatchObject({ full: true, version: after.json().version, geometryVersion: geometry.geometryVersion });
    expect(full.statuses).toHaveLength(300);
    expect(full.statuses[geometry.seats.findIndex((s: { id: string }) => s.id === seat)]).toBe('h');
    await a.app.inject({ method: 'DELETE', url: `/v1/holds/${hold.json().id}`, headers: bearer(u!.token) });
    const since = (await a.app.inject(`${url}/status?since=${full.version}`)).json();
    expect(since).toEqual({
      eventId: ev.eventId,
      version: full.version + 1,
      geometryVersion: geometry.geometryVersion,
      full: false,
      changes: [{ version: full.version + 1, type: 'seat.released', seatIds: [seat] }],
    });
    // A server that has not kept the changes since that version (b loads the event only now): the full statuses.
    expect((await b.app.inject(`${url}/status?since=0`)).json()).toMatchObject({ full: true, version: full.version + 1 });

    // The event detail too.
    const detail = await a.app.inject(`/v1/events/${ev.eventId}`);
    expect(detail.json().seatVersion).toBe(full.version + 1);
    const notModified = await a.app.inject({
      url: `/v1/events/${ev.eventId}`,
      headers: { 'if-none-match': detail.headers.etag as string },
    });
    expect(notModified.statusCode).toBe(304);
  });

  it('drops a cached event on a catalog change, on every instance', async () => {
    const admin = await createAdmin(a);
    const layout = await a.app.inject({
      method: 'POST',
      url: '/v1/seat-layouts',
      headers: bearer(admin.token),
      payload: {
        name: `Hall ${Date.now()}`,
        sections: [{ name: 'R', ticketType: 'R', price: 50_000, rows: 2, seatsPerRow: 5, x: 10, y: 3 }],
      },
    });
    expect(layout.statusCode).toBe(201);
    const created = await a.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: bearer(admin.token),
      payload: { title: 'Reprice', venue: 'Hall', eventDate: '2027-01-01T19:00:00Z', seatLayoutId: layout.json().id },
    });
    expect(created.statusCode).toBe(201);
    const event = created.json();
    const type = event.ticketTypes[0];
    expect(type).toMatchObject({ totalQuantity: 10, availableQuantity: 10 });
    const mapB = (await b.app.inject(`/v1/events/${event.id}/seats`)).json();
    expect(mapB.seats[0]).toMatchObject({ price: 50_000, x: 10, y: 3, row: 'A', number: 1 });
    expect(mapB.seats[9]).toMatchObject({ x: 14, y: 4, row: 'B', number: 5 });
    expect((await b.app.inject(`/v1/events/${event.id}`)).json().title).toBe('Reprice');

    await a.app.inject({ method: 'PATCH', url: `/v1/ticket-types/${type.id}`, headers: bearer(admin.token), payload: { price: 60_000 } });
    await a.app.inject({ method: 'PATCH', url: `/v1/events/${event.id}`, headers: bearer(admin.token), payload: { title: 'Repriced' } });
    // Instance b hears of it through the bus: poll until it does (bounded), then check both answers.
    let price = 0;
    let title = '';
    for (let i = 0; i < 50 && (price !== 60_000 || title !== 'Repriced'); i++) {
      price = (await b.app.inject(`/v1/events/${event.id}/seats`)).json().seats[0].price;
      title = (await b.app.inject(`/v1/events/${event.id}`)).json().title;
      if (price !== 60_000 || title !== 'Repriced') await new Promise((r) => setTimeout(r, 50));
    }
    expect({ price, title }).toEqual({ price: 60_000, title: 'Repriced' });
  });

  it('keeps its seat views within READ_CACHE_MB, least-recently-read events leaving first', async () => {
    const small = await createTestApp({
      config: { ...config, READ_CACHE_MB: 1 },
      databaseUrl: a.databaseUrl,
      redisPrefix: a.config.REDIS_PREFIX,
    });
    try {
      const events = [];
      for (let i = 0; i < 12; i++)
        events.push(await createEventFixture(a.db, { sections: [{ name: 'A', rows: 10, seatsPerRow: 30, price: 1_000 }] }));
      const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec((await small.app.inject('/metrics')).body)?.[1]);
      for (const ev of events) {
        expect((await small.app.inject(`/v1/events/${ev.eventId}/seats`)).statusCode).toBe(200);
        expect(await gauge('seat_views_bytes')).toBeLessThanOrEqual(1024 * 1024);
      }
      const kept = await gauge('seat_views_events');
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(events.length);
      // The first event read left first: reading it again loads it from PostgreSQL.
      const loads = async () =>
        Number(/^seat_views_reads_total\{outcome="load"\} (\d+)/m.exec((await small.app.inject('/metrics')).body)?.[1]);
      const before = await loads();
      await small.app.inject(`/v1/events/${events.at(-1)!.eventId}/seats`);
      expect(await loads()).toBe(before);
      await small.app.inject(`/v1/events/${events[0]!.eventId}/seats`);
      expect(await loads()).toBe(before + 1);
    } finally {
      await small.close();
    }
  });

  it('reports the memory of its seat views in /metrics', async () => {
    const metrics = (await a.app.inject('/metrics')).body;
    const bytes = Number(/^seat_views_bytes (\d+)/m.exec(metrics)?.[1]);
    const max = Number(/^seat_views_max_bytes (\d+)/m.exec(metrics)?.[1]);
    expect(bytes).toBeGreaterThan(0);
    expect(max).toBe(a.config.READ_CACHE_MB * 1024 * 1024);
    expect(metrics).toMatch(/^seat_views_reads_total\{outcome="hit"\} [1-9]/m);
    // The cached reads write their answers themselves and still count in the request metrics.
    expect(metrics).toMatch(/^http_requests_total\{method="GET",route="\/v1\/events\/:eventId\/seats",status_code="200"\} [1-9]/m);
    expect(metrics).toMatch(/^http_requests_total\{method="GET",route="\/v1\/events\/:eventId",status_code="200"\} [1-9]/m);
  });
});
