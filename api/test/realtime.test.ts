import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createEventFixture } from '../../test/harness/fixtures.js';
import { UpgradeRefused, wsConnect, type WsClient } from '../../test/harness/ws-client.js';
import { createRealtimePublisher } from '../src/realtime/bus.js';

// Two API instances sharing one Redis, as in production behind a load balancer. Small per-socket
// bounds so the tests can reach them.
const MAX_TOPICS = 3;
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  const redisPrefix = `rt-${randomUUID()}:`;
  const realtime = { limits: { maxTopicsPerSocket: MAX_TOPICS, messagesPerSecond: 1 } };
  a = await createTestApp({ listen: true, redisPrefix, realtime });
  b = await createTestApp({ listen: true, redisPrefix, databaseUrl: a.databaseUrl, realtime });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

function connect(t: TestApp, query = '', via: 'realtime-port' | 'api-port' = 'realtime-port'): Promise<WsClient> {
  const origin = via === 'api-port' ? t.baseUrl.replace('http', 'ws') : `ws://127.0.0.1:${t.realtime!.port}`;
  return wsConnect(`${origin}/v1/realtime${query}`);
}
const newEvent = async () => (await createEventFixture(a.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 2, price: 1000 }] })).eventId;

async function ticketFor(t: TestApp, token: string) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/realtime/tickets', headers: bearer(token) });
  expect(res.statusCode).toBe(201);
  return res.json() as { ticket: string; expiresAt: string; url?: string };
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
    c.send([1, 2]);
    c.ws.send('not json');
    c.send({ op: 'ping' });
    await c.next((m) => m.type === 'pong' && c.messages.indexOf(m) > 0);
    expect(c.messages.filter((m) => m.code === 'MALFORMED_MESSAGE')).toHaveLength(2);
    c.ws.close();
  });

  it('delivers a seat change made on one instance to clients of every instance', async () => {
    const eventId = await newEvent();
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

  it('refuses topics of events that do not exist, and answers in request order', async () => {
    const known = await newEvent();
    const unknown = randomUUID();
    const c = await connect(b);
    c.send({ op: 'subscribe', topic: `event.${unknown}.seats` });
    c.send({ op: 'subscribe', topic: `event.${known}.seats` });
    c.send({ op: 'subscribe', topic: `queue.${unknown}` });
    c.send({ op: 'ping' });
    await c.next((m) => m.type === 'pong');
    expect(c.messages).toEqual([
      expect.objectContaining({ type: 'error', code: 'EVENT_NOT_FOUND', topic: `event.${unknown}.seats` }),
      { type: 'subscribed', topic: `event.${known}.seats` },
      expect.objectContaining({ type: 'error', code: 'AUTHENTICATION_REQUIRED', topic: `queue.${unknown}` }),
      { type: 'pong' },
    ]);
    // The refused topic gets nothing, the accepted one does.
    await createRealtimePublisher(a.shared).seatsChanged(unknown, 'seat.held', [randomUUID()], 1);
    await createRealtimePublisher(a.shared).seatsChanged(known, 'seat.held', [randomUUID()], 1);
    const delivered = await c.next((m) => m.type === 'seat.held');
    expect(delivered.eventId).toBe(known);
    expect(c.messages.filter((m) => m.type === 'seat.held')).toHaveLength(1);
    c.ws.close();
  });

  it('caps the topics of one anonymous socket', async () => {
    const events = await Promise.all(Array.from({ length: MAX_TOPICS + 1 }, newEvent));
    const c = await connect(a);
    for (const eventId of events) c.send({ op: 'subscribe', topic: `event.${eventId}.seats` });
    const refusal = await c.next((m) => m.type === 'error');
    expect(refusal).toMatchObject({ code: 'TOO_MANY_TOPICS', topic: `event.${events[MAX_TOPICS]}.seats` });
    expect(c.messages.filter((m) => m.type === 'subscribed')).toHaveLength(MAX_TOPICS);
    // Unsubscribing frees a place.
    c.send({ op: 'unsubscribe', topic: `event.${events[0]}.seats` });
    c.send({ op: 'subscribe', topic: `event.${events[MAX_TOPICS]}.seats` });
    await c.next((m) => m.type === 'subscribed' && m.topic === `event.${events[MAX_TOPICS]}.seats`);
    c.ws.close();
  });

  it('closes a socket that sends faster than its message rate, with 1008', async () => {
    const c = await connect(a);
    // One message per second with a burst of MAX_TOPICS + 10: 60 at once are far past it.
    for (let i = 0; i < 60; i++) c.send({ op: 'ping' });
    expect(await c.closed).toBe(1008);
    expect(c.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' });
    expect(c.messages.filter((m) => m.type === 'pong').length).toBeLessThan(60);
  });

  it('closes a socket that sends a message over the size limit', async () => {
    const c = await connect(a);
    c.send({ op: 'subscribe', topic: 'x'.repeat(4096) });
    // uWebSockets.js drops the connection (1006); ws answers 1009 (message too big).
    expect([1006, 1009]).toContain(await c.closed);
    // The server is unharmed.
    const d = await connect(a);
    d.send({ op: 'ping' });
    await d.next((m) => m.type === 'pong');
    d.ws.close();
  });

  it('keeps queue messages private to their user and requires a credential for them', async () => {
    const eventId = await newEvent();
    const anonymous = await connect(a);
    anonymous.send({ op: 'subscribe', topic: `queue.${eventId}` });
    expect(await anonymous.next((m) => m.type === 'error')).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });

    const alice = await registerUser(a.app);
    const bob = await registerUser(a.app);
    const ca = await connect(b, `?token=${alice.token}`); // the older clients' way
    const cb = await connect(b, `?ticket=${(await ticketFor(a, bob.token)).ticket}`);
    for (const c of [ca, cb]) {
      c.send({ op: 'subscribe', topic: `queue.${eventId}` });
      await c.next((m) => m.type === 'subscribed');
    }
    const publisher = createRealtimePublisher(a.shared);
    await publisher.toQueueMember(eventId, alice.userId, { type: 'queue.position', position: 3, etaSeconds: 9 });
    await publisher.toQueueMember(eventId, bob.userId, { type: 'queue.position', position: 4, etaSeconds: 12 });
    expect(await ca.next((m) => m.type === 'queue.position')).toMatchObject({ eventId, position: 3 });
    // Bob's own message comes after Alice's was published: had Alice's reached him, it would be first.
    expect(await cb.next((m) => m.type === 'queue.position')).toMatchObject({ eventId, position: 4 });
    await ca.next((m) => m.type === 'queue.position' && m.position === 3);
    expect(cb.messages.filter((m) => m.type === 'queue.position')).toHaveLength(1);
    for (const c of [anonymous, ca, cb]) c.ws.close();
  });

  it('is reachable on the API port too, at /v1/realtime', async () => {
    const c = await connect(b, '', 'api-port');
    c.send({ op: 'ping' });
    await c.next((m) => m.type === 'pong');
    const eventId = await newEvent();
    c.send({ op: 'subscribe', topic: `event.${eventId}.seats` });
    await c.next((m) => m.type === 'subscribed');
    await createRealtimePublisher(a.shared).seatsChanged(eventId, 'seat.sold', [randomUUID()], 3);
    expect(await c.next((m) => m.type === 'seat.sold')).toMatchObject({ eventId, version: 3 });
    c.ws.close();
  });

  it('refuses the upgrade with an invalid token', async () => {
    const refused = await connect(a, '?token=not-a-jwt').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect(refused).toMatchObject({ status: 401 });
    expect(JSON.parse((refused as UpgradeRefused).body)).toMatchObject({ code: 'INVALID_TOKEN' });
  });
});

describe('realtime tickets', () => {
  it('issues a one-time ticket to a signed-in user, which opens the channel as that user once', async () => {
    const user = await registerUser(a.app);
    const eventId = await newEvent();
    const ticket = await ticketFor(a, user.token);
    expect(ticket.ticket).not.toContain(user.token);
    const expiresIn = Date.parse(ticket.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(a.config.REALTIME_TICKET_TTL_SECONDS * 1000);

    // Issued through instance A, used on instance B: the ticket lives in the shared Redis.
    const c = await connect(b, `?ticket=${encodeURIComponent(ticket.ticket)}`);
    c.send({ op: 'subscribe', topic: `queue.${eventId}` });
    await c.next((m) => m.type === 'subscribed');
    await createRealtimePublisher(a.shared).toQueueMember(eventId, user.userId, { type: 'queue.position', position: 1, etaSeconds: 0 });
    expect(await c.next((m) => m.type === 'queue.position')).toMatchObject({ position: 1 });
    c.ws.close();

    const again = await connect(a, `?ticket=${encodeURIComponent(ticket.ticket)}`).catch((e: unknown) => e);
    expect(again).toMatchObject({ status: 401 });
    expect(JSON.parse((again as UpgradeRefused).body)).toMatchObject({ code: 'INVALID_REALTIME_TICKET' });
    const forged = await connect(a, `?ticket=${randomUUID()}`).catch((e: unknown) => e);
    expect(forged).toMatchObject({ status: 401 });
  });

  it('lets only one of two racing upgrades use a ticket', async () => {
    const user = await registerUser(a.app);
    const { ticket } = await ticketFor(a, user.token);
    const results = await Promise.allSettled([connect(a, `?ticket=${ticket}`), connect(b, `?ticket=${ticket}`)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { status: 401 } });
    for (const r of results) if (r.status === 'fulfilled') r.value.ws.close();
  });

  it('needs a signed-in user', async () => {
    const res = await a.app.inject({ method: 'POST', url: '/v1/realtime/tickets' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
  });
});
