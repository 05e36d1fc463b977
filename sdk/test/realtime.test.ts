// The realtime client against the real uWebSockets.js server, with `ws` as Node 20's WebSocket.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { createRealtimePublisher } from '../../api/src/realtime/bus.js';
import { createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createRealtimeClient, Tiketi, type RealtimeClient, type SeatChange } from '../src/index.js';

let t: TestApp;
let realtimeUrl: string;
const open: RealtimeClient[] = [];
const track = (c: RealtimeClient) => (open.push(c), c);

beforeAll(async () => {
  t = await createTestApp({ listen: true });
  realtimeUrl = `ws://127.0.0.1:${t.realtime!.port}`;
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});
afterAll(async () => t?.close());

const publisher = () => createRealtimePublisher(t.shared);

describe('realtime against the API server', () => {
  it('runs on native uWebSockets.js, not its ws shim', () => {
    expect(t.realtime!.transport).toBe('native');
  });

  it('connects, answers ping with pong, and delivers a published seat change to a subscriber', async () => {
    const client = new Tiketi({ baseUrl: t.baseUrl, realtimeUrl, WebSocket });
    const rt = track(client.realtime);
    await rt.connect();
    expect(rt.connected).toBe(true);
    await rt.ping();

    const eventId = randomUUID();
    const received: SeatChange[] = [];
    const sub = rt.onSeats(eventId, (change) => received.push(change));
    await sub.ready;
    await publisher().seatsChanged(eventId, 'seat.held', ['seat-a', 'seat-b'], 1);
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 30_000 });
    expect(received[0]).toEqual({ type: 'seat.held', eventId, seatIds: ['seat-a', 'seat-b'], version: 1 });
    expect(sub.version).toBe(1);

    // Another event's changes do not reach this handler; after unsubscribe neither do this one's.
    // Proved by a later message: a change of a third event, published last, reaches its own handler.
    const later: SeatChange[] = [];
    const laterEvent = randomUUID();
    const laterSub = rt.onSeats(laterEvent, (change) => later.push(change));
    await laterSub.ready;
    await publisher().seatsChanged(randomUUID(), 'seat.sold', ['x'], 1);
    sub.unsubscribe();
    await publisher().seatsChanged(eventId, 'seat.released', ['seat-a'], 2);
    await publisher().seatsChanged(laterEvent, 'seat.held', ['seat-z'], 1);
    await vi.waitFor(() => expect(later).toHaveLength(1), { timeout: 30_000 });
    expect(received).toHaveLength(1);
  });

  it('follows its own queue place with a user token, and is refused one without', async () => {
    const user = await registerUser(t.app);
    const withToken = track(createRealtimeClient({ url: realtimeUrl, token: user.token, WebSocket }));
    await withToken.ping();
    const queueEvent = randomUUID();
    const places: unknown[] = [];
    await withToken.onQueue(queueEvent, (m) => places.push(m)).ready;
    await publisher().toQueueMember(queueEvent, user.userId, { type: 'queue.position', position: 3, etaSeconds: 9 });
    await vi.waitFor(() => expect(places).toEqual([{ type: 'queue.position', eventId: queueEvent, position: 3, etaSeconds: 9 }]), {
      timeout: 30_000,
    });

    const anonymous = track(createRealtimeClient({ url: realtimeUrl, WebSocket }));
    await expect(anonymous.subscribe(`queue.${randomUUID()}`, () => {}).ready).rejects.toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
  });

  it('fails to connect with an invalid token', async () => {
    const rt = track(createRealtimeClient({ url: realtimeUrl, token: 'not-a-jwt', WebSocket, reconnect: false }));
    await expect(rt.connect()).rejects.toThrow(/closed/);
    expect(rt.connected).toBe(false);
  });

  it('skips stale versions and refetches the seat map on a gap', async () => {
    const rt = track(createRealtimeClient({ url: realtimeUrl, WebSocket }));
    const eventId = randomUUID();
    const applied: number[] = [];
    const refetch = vi.fn(async () => ({ version: 5 }));
    const sub = rt.onSeats(eventId, (c) => applied.push(c.version), { version: 2, refetch });
    await sub.ready;
    const p = publisher();
    await p.seatsChanged(eventId, 'seat.held', ['a'], 2); // already shown: skipped
    await p.seatsChanged(eventId, 'seat.held', ['b'], 3); // next: applied
    await p.seatsChanged(eventId, 'seat.sold', ['c'], 5); // gap (4 missing): refetch gives 5
    await p.seatsChanged(eventId, 'seat.released', ['d'], 6); // after the snapshot: applied
    await vi.waitFor(() => expect(applied).toEqual([3, 6]), { timeout: 30_000 });
    expect(refetch).toHaveBeenCalledTimes(1);
    expect(sub.version).toBe(6);
  });
});

describe('reconnect', () => {
  // A server we can drop connections on; the API server's socket cannot be killed from outside.
  let wss: WebSocketServer;
  let url: string;
  const subscribes: string[] = [];
  // Messages the fake server sends right before a subscription's ack (changes racing the subscribe).
  let beforeAck: object[] = [];
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    wss.on('connection', (socket) => {
      socket.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { op: string; topic?: string };
        if (msg.op === 'subscribe') {
          subscribes.push(msg.topic!);
          for (const early of beforeAck) socket.send(JSON.stringify(early));
          socket.send(JSON.stringify({ type: 'subscribed', topic: msg.topic }));
        }
        if (msg.op === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
      });
    });
  });
  afterAll(() => new Promise((r) => wss.close(r)));

  it('reconnects after the connection drops, resubscribes and refetches what it missed', async () => {
    const rt = track(createRealtimeClient({ url, WebSocket, reconnectDelayMs: { initial: 10, max: 50 } }));
    const eventId = randomUUID();
    const applied: number[] = [];
    const refetch = vi.fn(async () => 10);
    const sub = rt.onSeats(eventId, (c) => applied.push(c.version), { version: 7, refetch });
    await sub.ready;
    const topic = `event.${eventId}.seats`;
    expect(subscribes.filter((s) => s === topic)).toHaveLength(1);

    for (const socket of wss.clients) socket.terminate();
    await vi.waitFor(() => expect(subscribes.filter((s) => s === topic)).toHaveLength(2), { timeout: 30_000 });
    await vi.waitFor(() => expect(refetch).toHaveBeenCalledTimes(1), { timeout: 30_000 });
    expect(sub.version).toBe(10);

    for (const socket of wss.clients) socket.send(JSON.stringify({ type: 'seat.held', eventId, seatIds: ['z'], version: 11 }));
    await vi.waitFor(() => expect(applied).toEqual([11]), { timeout: 30_000 });
    await rt.ping();
  });

  it('without a version, loads the snapshot once subscribed and applies only newer changes', async () => {
    const eventId = randomUUID();
    beforeAck = [4, 6, 5].map((version) => ({ type: 'seat.held', eventId, seatIds: [`s${version}`], version }));
    try {
      const rt = track(createRealtimeClient({ url, WebSocket }));
      const applied: number[] = [];
      let snapshotsTaken = 0;
      const refetch = async () => {
        snapshotsTaken++;
        return { version: 5 };
      };
      const sub = rt.onSeats(eventId, (c) => applied.push(c.version), { refetch });
      await sub.ready;
      await vi.waitFor(() => expect(applied).toEqual([6]), { timeout: 30_000 });
      expect(snapshotsTaken).toBe(1);
      expect(sub.version).toBe(6);
    } finally {
      beforeAck = [];
    }
  });
});
