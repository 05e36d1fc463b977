// The realtime client against the real uWebSockets.js server, with `ws` as Node 20's WebSocket.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { createServer, type Server } from 'node:http';
import { createRealtimePublisher } from '../../api/src/realtime/bus.js';
import { currentRuntime, expectedBuild } from '../../api/src/realtime/uws.js';
import { createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createEventFixture } from '../../test/harness/fixtures.js';
import {
  AuthenticationError,
  createRealtimeClient,
  RealtimeError,
  Tiketi,
  type RealtimeClient,
  type SeatChange,
  type TiketiError,
} from '../src/index.js';

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
const newEvent = async () => (await createEventFixture(t.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 2, price: 1000 }] })).eventId;

describe('realtime against the API server', () => {
  it('runs on the uWebSockets.js build this Node and C library should load (native where one is published)', () => {
    expect(t.realtime!.transport).toBe(expectedBuild(currentRuntime()).build === 'shim' ? 'shim' : 'native');
  });

  it('connects, answers ping with pong, and delivers a published seat change to a subscriber', async () => {
    const client = new Tiketi({ baseUrl: t.baseUrl, realtimeUrl, WebSocket });
    const rt = track(client.realtime);
    await rt.connect();
    expect(rt.connected).toBe(true);
    await rt.ping();

    const eventId = await newEvent();
    const received: SeatChange[] = [];
    const sub = rt.onSeats(eventId, (change) => received.push(change));
    await sub.ready;
    await publisher().seatsChanged(eventId, 'seat.held', ['seat-a', 'seat-b'], 1);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]).toEqual({ type: 'seat.held', eventId, seatIds: ['seat-a', 'seat-b'], version: 1 });
    expect(sub.version).toBe(1);

    // Another event's changes do not reach this handler; after unsubscribe neither do this one's.
    await publisher().seatsChanged(await newEvent(), 'seat.sold', ['x'], 1);
    sub.unsubscribe();
    await publisher().seatsChanged(eventId, 'seat.released', ['seat-a'], 2);
    await rt.ping(); // a round trip after the publishes
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
  });

  it('follows its own queue place with a user token, and is refused one without', async () => {
    const user = await registerUser(t.app);
    const withToken = track(createRealtimeClient({ url: realtimeUrl, token: user.token, WebSocket }));
    await withToken.ping();
    const queueEvent = await newEvent();
    const places: unknown[] = [];
    await withToken.onQueue(queueEvent, (m) => places.push(m)).ready;
    await publisher().toQueueMember(queueEvent, user.userId, { type: 'queue.position', position: 3, etaSeconds: 9 });
    await vi.waitFor(() => expect(places).toEqual([{ type: 'queue.position', eventId: queueEvent, position: 3, etaSeconds: 9 }]));

    const anonymous = track(createRealtimeClient({ url: realtimeUrl, WebSocket }));
    await expect(anonymous.subscribe(`queue.${queueEvent}`, () => {}).ready).rejects.toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
  });

  it('opens with a one-time ticket, never the JWT in the URL', async () => {
    const user = await registerUser(t.app);
    const urls: string[] = [];
    class Recording extends WebSocket {
      constructor(url: string) {
        urls.push(url);
        super(url);
      }
    }
    const rt = track(new Tiketi({ baseUrl: t.baseUrl, realtimeUrl, token: user.token, WebSocket: Recording }).realtime);
    const eventId = await newEvent();
    const places: unknown[] = [];
    await rt.onQueue(eventId, (m) => places.push(m)).ready;
    await publisher().toQueueMember(eventId, user.userId, { type: 'queue.position', position: 2, etaSeconds: 4 });
    await vi.waitFor(() => expect(places).toHaveLength(1));
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/[?&]ticket=/);
    expect(urls[0]).not.toContain(user.token);
  });

  it('connects where the API says the realtime listener is', async () => {
    const user = await registerUser(t.app);
    const api = new Tiketi({ baseUrl: t.baseUrl, token: user.token });
    const rt = track(
      createRealtimeClient({
        url: 'ws://127.0.0.1:9', // nothing listens here
        token: user.token,
        WebSocket,
        preferAdvertisedUrl: true,
        ticket: async () => ({ ...(await api.request((http, init) => http.POST('/v1/realtime/tickets', init))), url: realtimeUrl }),
      }),
    );
    await rt.ping();
  });

  it('with a refused token: one AuthenticationError, queue topics fail with it, seat topics go on anonymously', async () => {
    const errors: TiketiError[] = [];
    const closes: unknown[] = [];
    const rt = track(new Tiketi({ baseUrl: t.baseUrl, realtimeUrl, token: 'expired.or.forged', WebSocket, maxRetries: 0 }).realtime);
    rt.on('error', (e) => errors.push(e));
    rt.on('close', (e) => closes.push(e));
    const eventId = await newEvent();
    const queue = rt.onQueue(eventId, () => {});
    const received: SeatChange[] = [];
    const seats = rt.onSeats(eventId, (c) => received.push(c));
    const queueFailure = await queue.ready.catch((e: unknown) => e);
    expect(queueFailure).toBeInstanceOf(AuthenticationError);
    expect(queueFailure).toMatchObject({ status: 401 });
    await seats.ready;
    await publisher().seatsChanged(eventId, 'seat.held', ['s'], 1);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await rt.ping();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AuthenticationError);
    expect(closes).toHaveLength(0); // no failed attempts, no retry loop
    // A later queue subscription fails at once with the same error.
    await expect(rt.onQueue(eventId, () => {}).ready).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('refuses a subscribe to an event that does not exist, with a typed error naming the topic', async () => {
    const rt = track(createRealtimeClient({ url: realtimeUrl, WebSocket }));
    const missing = randomUUID();
    const failure = await rt.onSeats(missing, () => {}).ready.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RealtimeError);
    expect(failure).toMatchObject({ code: 'EVENT_NOT_FOUND', topic: `event.${missing}.seats` });
  });

  it('skips stale versions and refetches the seat map on a gap', async () => {
    const rt = track(createRealtimeClient({ url: realtimeUrl, WebSocket }));
    const eventId = await newEvent();
    const applied: number[] = [];
    const refetch = vi.fn(async () => ({ version: 5 }));
    const sub = rt.onSeats(eventId, (c) => applied.push(c.version), { version: 2, refetch });
    await sub.ready;
    const p = publisher();
    await p.seatsChanged(eventId, 'seat.held', ['a'], 2); // already shown: skipped
    await p.seatsChanged(eventId, 'seat.held', ['b'], 3); // next: applied
    await p.seatsChanged(eventId, 'seat.sold', ['c'], 5); // gap (4 missing): refetch gives 5
    await p.seatsChanged(eventId, 'seat.released', ['d'], 6); // after the snapshot: applied
    await vi.waitFor(() => expect(applied).toEqual([3, 6]));
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
    await vi.waitFor(() => expect(subscribes.filter((s) => s === topic)).toHaveLength(2));
    await vi.waitFor(() => expect(refetch).toHaveBeenCalledTimes(1));
    expect(sub.version).toBe(10);

    for (const socket of wss.clients) socket.send(JSON.stringify({ type: 'seat.held', eventId, seatIds: ['z'], version: 11 }));
    await vi.waitFor(() => expect(applied).toEqual([11]));
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
      await vi.waitFor(() => expect(applied).toEqual([6]));
      expect(snapshotsTaken).toBe(1);
      expect(sub.version).toBe(6);
    } finally {
      beforeAck = [];
    }
  });
});

describe('without a WebSocket implementation', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('fails at once with an error naming the `WebSocket` option, instead of a pending `ready`', async () => {
    vi.stubGlobal('WebSocket', undefined); // as on Node 20
    const rt = track(createRealtimeClient({ url: realtimeUrl }));
    const errors: TiketiError[] = [];
    rt.on('error', (e) => errors.push(e));
    const failure = await rt.onSeats(randomUUID(), () => {}).ready.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RealtimeError);
    expect(failure).toMatchObject({ code: 'WEBSOCKET_UNAVAILABLE', message: expect.stringContaining('`WebSocket` option') });
    expect(errors).toEqual([failure]);
    await expect(rt.connect()).rejects.toMatchObject({ code: 'WEBSOCKET_UNAVAILABLE' });
  });
});

describe('a server without tickets (older API)', () => {
  // No ticket route (404), and ?token= checked at the upgrade: 401 for a bad one.
  let http: Server;
  let url: string;
  const upgrades: string[] = [];
  beforeAll(async () => {
    // An older TIKETI API: its route-missing answer is problem+json.
    const problem = { type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: 'No route' };
    http = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify(problem)));
    const wss = new WebSocketServer({ noServer: true });
    http.on('upgrade', (req, socket, head) => {
      upgrades.push(req.url ?? '');
      if (new URL(req.url ?? '/', 'http://x').searchParams.get('token') === 'bad') {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) =>
        ws.on('message', (raw) => {
          const msg = JSON.parse(raw.toString()) as { op: string; topic?: string };
          if (msg.op === 'subscribe') ws.send(JSON.stringify({ type: 'subscribed', topic: msg.topic }));
          if (msg.op === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
        }),
      );
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((r) => http.close(r)));

  it('sends the token as ?token=, and on a 401 gives an AuthenticationError and goes on anonymously for seat topics', async () => {
    const rt = track(createRealtimeClient({ url, token: 'bad', WebSocket, reconnectDelayMs: { initial: 10, max: 20 } }));
    const errors: TiketiError[] = [];
    rt.on('error', (e) => errors.push(e));
    const queue = rt.onQueue(randomUUID(), () => {});
    const seats = rt.onSeats(randomUUID(), () => {});
    await expect(queue.ready).rejects.toBeInstanceOf(AuthenticationError);
    await seats.ready;
    await rt.ping();
    expect(errors.map((e) => e.constructor.name)).toEqual(['AuthenticationError']);
    expect(upgrades.filter((u) => u.includes('token=bad'))).toHaveLength(1);
    expect(upgrades.filter((u) => !u.includes('token='))).toHaveLength(1);
  });
});
