// Seats, holds and reservations through the SDK against a real server, with the realtime channel.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import {
  ApiError,
  ConflictError,
  NotFoundError,
  Tiketi,
  type FetchLike,
  type MapSeat,
  type SeatChange,
  type SeatMap,
} from '../src/index.js';

let t: TestApp;
let anonymous: Tiketi;
let admin: Tiketi;
beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
  anonymous = new Tiketi({ baseUrl: t.baseUrl, realtimeUrl: `ws://127.0.0.1:${t.realtime!.port}`, WebSocket });
  admin = anonymous.withToken((await createAdmin(t)).token);
});
afterAll(async () => t?.close());

async function seatedEventOnSale() {
  const layout = await admin.seatLayouts.create({
    name: `Inventory ${randomUUID().slice(0, 6)}`,
    sections: [{ name: 'A', ticketType: 'A', price: 100_000, rows: 2, seatsPerRow: 5 }],
  });
  const event = await admin.events.create({
    title: 'Inventory live',
    venue: 'Hall',
    eventDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    seatLayoutId: layout.id,
    status: 'on_sale',
  });
  return event.id;
}

async function signUp() {
  const { token } = await anonymous.auth.register({
    email: `inv-${randomUUID().slice(0, 8)}@example.com`,
    password: 'correct horse battery',
    name: 'Fan',
  });
  return anonymous.withToken(token);
}

describe('seats, holds and reservations', () => {
  it('holds seats, reserves them, cancels, and the seat map and realtime follow every step', async () => {
    const eventId = await seatedEventOnSale();
    const fan = await signUp();
    const first = await anonymous.seats.map(eventId);
    expect(first.seats).toHaveLength(10);
    const [s1, s2] = first.seats.map((s: MapSeat) => s.id);

    // A storefront view kept current over the realtime channel.
    const snapshots: SeatMap[] = [];
    const changes: SeatChange[] = [];
    const watch = anonymous.seats.watch(eventId, { onSnapshot: (m) => snapshots.push(m), onChange: (c) => changes.push(c) });
    await watch.ready;
    await vi.waitFor(() => expect(snapshots).toHaveLength(1), { timeout: 30_000 });

    const hold = await fan.holds.create(eventId, { seatIds: [s1!, s2!] });
    expect(hold).toMatchObject({ eventId, status: 'active', totalAmount: 200_000, currency: 'KRW' });
    expect((await fan.holds.get(hold.id)).id).toBe(hold.id);
    const held = await anonymous.seats.map(eventId);
    expect(held.version).toBeGreaterThan(first.version);
    expect(
      held.seats
        .filter((s) => s.status === 'held')
        .map((s) => s.id)
        .sort(),
    ).toEqual([s1, s2].sort());
    await vi.waitFor(() => expect(changes.map((c) => c.type)).toContain('seat.held'), { timeout: 30_000 });
    expect(changes.find((c) => c.type === 'seat.held')!.seatIds.sort()).toEqual([s1, s2].sort());

    const reservation = await fan.reservations.create({ holdId: hold.id });
    expect(reservation).toMatchObject({ status: 'pending', eventId, totalAmount: 200_000 });
    expect(reservation.number).toMatch(/^TK-\d{8}-[0-9A-Z]{6}$/);
    expect((await fan.reservations.get(reservation.id)).id).toBe(reservation.id);
    expect((await fan.reservations.listMine().toArray()).map((r) => r.id)).toEqual([reservation.id]);
    expect((await admin.reservations.list({ eventId }).toArray()).map((r) => r.id)).toEqual([reservation.id]);

    const cancelled = await fan.reservations.cancel(reservation.id, { reason: 'changed my mind' });
    expect(cancelled.status).toBe('cancelled');
    await vi.waitFor(() => expect(changes.map((c) => c.type)).toContain('seat.released'), { timeout: 30_000 });
    const versions = changes.map((c) => c.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect((await anonymous.seats.map(eventId)).seats.every((s) => s.status === 'available')).toBe(true);
    watch.unsubscribe();
    anonymous.realtime.close();
  });

  it('refuses a taken seat with ConflictError SEAT_UNAVAILABLE and does not retry it', async () => {
    const eventId = await seatedEventOnSale();
    const [a, b] = [await signUp(), await signUp()];
    const seat = (await anonymous.seats.map(eventId)).seats[0]!.id;
    await a.holds.create(eventId, { seatIds: [seat] });

    let calls = 0;
    const counting: FetchLike = (request) => (calls++, fetch(request));
    const bCounting = new Tiketi({ ...b.config, fetch: counting });
    const err = await bCounting.holds.create(eventId, { seatIds: [seat] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ status: 409, code: 'SEAT_UNAVAILABLE' });
    expect((err as ConflictError).problem?.seatIds).toEqual([seat]);
    expect(calls).toBe(1);
  });

  it('replays a hold for the same Idempotency-Key, and releases a hold early', async () => {
    const eventId = await seatedEventOnSale();
    const fan = await signUp();
    const seat = (await anonymous.seats.map(eventId)).seats[0]!.id;
    const idempotencyKey = randomUUID();
    const once = await fan.holds.create(eventId, { seatIds: [seat] }, { idempotencyKey });
    const twice = await fan.holds.create(eventId, { seatIds: [seat] }, { idempotencyKey });
    expect(twice.id).toBe(once.id);

    const released = await fan.holds.release(once.id);
    expect(released.status).toBe('released');
    expect((await anonymous.seats.map(eventId)).seats[0]!.status).toBe('available');
    // 410 Gone has no class of its own: ApiError, with the code to branch on.
    const gone = await fan.reservations.create({ holdId: once.id }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ status: 410, code: 'HOLD_EXPIRED' });
    await expect(fan.holds.get(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('retries a hold whose answer was lost with the same key, and the server runs it once', async () => {
    const eventId = await seatedEventOnSale();
    const fan = await signUp();
    const seat = (await anonymous.seats.map(eventId)).seats[0]!.id;
    const replayed: (string | null)[] = [];
    const lossy: FetchLike = async (request) => {
      const response = await fetch(request);
      replayed.push(response.headers.get('idempotent-replayed'));
      if (replayed.length === 1) throw new TypeError('socket hang up'); // the server did it; we never heard
      return response;
    };
    const hold = await new Tiketi({ ...fan.config, fetch: lossy, retryDelayMs: { initial: 1, max: 5 } }).holds.create(eventId, {
      seatIds: [seat],
    });
    expect(replayed).toEqual([null, 'true']);
    expect((await fan.holds.get(hold.id)).status).toBe('active');
  });

  it('watch draws from the geometry and compact statuses, and after a reconnect asks only for what changed', async () => {
    // A realtime server we can drop connections on (the API's cannot be killed from outside); HTTP is the real API.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (socket) =>
      socket.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { op: string; topic?: string };
        if (msg.op === 'subscribe') socket.send(JSON.stringify({ type: 'subscribed', topic: msg.topic }));
      }),
    );
    try {
      const eventId = await seatedEventOnSale();
      const urls: string[] = [];
      const logging: FetchLike = (request) => (urls.push(new URL(request.url).pathname + new URL(request.url).search), fetch(request));
      const client = new Tiketi({
        baseUrl: t.baseUrl,
        realtimeUrl: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
        WebSocket,
        fetch: logging,
      });
      const snapshots: SeatMap[] = [];
      const changes: SeatChange[] = [];
      const watch = client.seats.watch(eventId, { onSnapshot: (m) => snapshots.push(m), onChange: (c) => changes.push(c) });
      await vi.waitFor(() => expect(snapshots).toHaveLength(1));
      expect(snapshots[0]).toEqual(await anonymous.seats.map(eventId));
      expect(urls.map((u) => u.replace(eventId, 'E').replace(/v=[\w-]+/, 'v=G'))).toEqual([
        '/v1/events/E/seats/status',
        '/v1/events/E/seats/geometry?v=G',
      ]);

      // A hold this client never hears of (this realtime server relays nothing), then the connection
      // drops: the reconnect asks for the changes since the version it has, not for the whole map.
      const seat = snapshots[0]!.seats[3]!.id;
      await (await signUp()).holds.create(eventId, { seatIds: [seat] });
      for (const socket of wss.clients) socket.terminate();
      await vi.waitFor(() => expect(changes).toHaveLength(1), { timeout: 10_000 });
      expect(changes[0]).toEqual({ eventId, type: 'seat.held', seatIds: [seat], version: snapshots[0]!.version + 1 });
      expect(urls.at(-1)).toBe(`/v1/events/${eventId}/seats/status?since=${snapshots[0]!.version}`);
      expect(snapshots).toHaveLength(1);
      expect(urls.filter((u) => u.includes('/geometry'))).toHaveLength(1);
      watch.unsubscribe();
      client.realtime.close();
    } finally {
      await new Promise((r) => wss.close(r));
    }
  });
});
