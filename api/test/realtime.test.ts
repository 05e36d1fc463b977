import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createRealtimePublisher } from '../src/realtime/bus.js';

// Two API instances sharing one Redis, as in production behind a load balancer.
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  const redisPrefix = `rt-${randomUUID()}:`;
  a = await createTestApp({ listen: true, redisPrefix });
  b = await createTestApp({ listen: true, redisPrefix, databaseUrl: a.databaseUrl });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

interface Client {
  ws: WebSocket;
  messages: Array<Record<string, unknown>>;
  next(predicate: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(message: object): void;
}

async function connect(t: TestApp, token?: string, via: 'realtime-port' | 'api-port' = 'realtime-port'): Promise<Client> {
  const origin = via === 'api-port' ? t.baseUrl.replace('http', 'ws') : `ws://127.0.0.1:${t.realtime!.port}`;
  const ws = new WebSocket(`${origin}/v1/realtime${token ? `?token=${token}` : ''}`);
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()));
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    send: (message) => ws.send(JSON.stringify(message)),
    // A guard against a hang with a useful message, not a speed requirement: generous on a busy machine.
    next(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message; got ${JSON.stringify(messages)}`)), timeoutMs);
        const check = () => {
          const found = messages.find(predicate);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

describe('realtime channel', () => {
  it('runs on native uWebSockets.js', () => {
    expect(a.realtime!.transport).toBe('native');
  });

  it('answers ping and refuses unknown topics and ops with an error message', async () => {
    const c = await connect(a);
    c.send({ op: 'ping' });
    await c.next((m) => m.type === 'pong');
    c.send({ op: 'subscribe', topic: 'everything' });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'UNKNOWN_TOPIC' });
    c.send({ op: 'dance' });
    await c.next((m) => m.code === 'UNKNOWN_OP');
    c.ws.close();
  });

  it('delivers a seat change made on one instance to clients of every instance', async () => {
    const eventId = randomUUID();
    const onA = await connect(a);
    const onB = await connect(b);
    for (const c of [onA, onB]) {
      c.send({ op: 'subscribe', topic: `event.${eventId}.seats` });
      await c.next((m) => m.type === 'subscribed');
    }
    const seatIds = [randomUUID(), randomUUID()];
    await createRealtimePublisher(a.shared).seatsChanged(eventId, 'seat.held', seatIds, 7);
    const expected = { type: 'seat.held', eventId, seatIds, version: 7 };
    expect(await onA.next((m) => m.type === 'seat.held')).toEqual(expected);
    expect(await onB.next((m) => m.type === 'seat.held')).toEqual(expected);
    onA.ws.close();
    onB.ws.close();
  });

  it('keeps queue messages private to their user and requires a token for them', async () => {
    const eventId = randomUUID();
    const anonymous = await connect(a);
    anonymous.send({ op: 'subscribe', topic: `queue.${eventId}` });
    expect(await anonymous.next((m) => m.type === 'error')).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });

    const alice = await registerUser(a.app);
    const bob = await registerUser(a.app);
    const ca = await connect(b, alice.token);
    const cb = await connect(b, bob.token);
    for (const c of [ca, cb]) {
      c.send({ op: 'subscribe', topic: `queue.${eventId}` });
      await c.next((m) => m.type === 'subscribed');
    }
    await createRealtimePublisher(a.shared).toQueueMember(eventId, alice.userId, { type: 'queue.position', position: 3, etaSeconds: 9 });
    expect(await ca.next((m) => m.type === 'queue.position')).toMatchObject({ eventId, position: 3 });
    // Nothing for bob, proved by a later message of his own: published after alice's, it arrives after it would have.
    await createRealtimePublisher(a.shared).toQueueMember(eventId, bob.userId, { type: 'queue.position', position: 7, etaSeconds: 21 });
    expect(await cb.next((m) => m.type === 'queue.position')).toMatchObject({ eventId, position: 7 });
    expect(cb.messages.filter((m) => m.type === 'queue.position')).toHaveLength(1);
    for (const c of [anonymous, ca, cb]) c.ws.close();
  });

  it('is reachable on the API port too, at /v1/realtime', async () => {
    const c = await connect(b, undefined, 'api-port');
    c.send({ op: 'ping' });
    await c.next((m) => m.type === 'pong');
    const eventId = randomUUID();
    c.send({ op: 'subscribe', topic: `event.${eventId}.seats` });
    await c.next((m) => m.type === 'subscribed');
    await createRealtimePublisher(a.shared).seatsChanged(eventId, 'seat.sold', [randomUUID()], 3);
    expect(await c.next((m) => m.type === 'seat.sold')).toMatchObject({ eventId, version: 3 });
    c.ws.close();
  });

  it('refuses the upgrade with an invalid token', async () => {
    await expect(connect(a, 'not-a-jwt')).rejects.toThrow(/401/);
  });
});
