// The waiting room across API instances on one PostgreSQL and one Redis, with real listeners.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { approve, httpCaller } from '../../test/harness/payments.js';
import { REALTIME_CHANNEL, type RealtimeEnvelope } from '../src/realtime/bus.js';
import { connectLive, eventually, queueCalls, subscribe } from './helpers/queue.js';

const config = { RATE_LIMIT: 'off' as const };
let a: TestApp;
let b: TestApp;
let admin: string;
beforeAll(async () => {
  a = await createTestApp({ config, listen: true });
  b = await createTestApp({ config, listen: true, databaseUrl: a.databaseUrl, redisPrefix: a.config.REDIS_PREFIX });
  admin = (await createAdmin(a)).token;
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('the waiting room on two instances', () => {
  it('lines up 30 users joining through both, admits exactly the first 10, and binds the admission to its user', async () => {
    const ev = await createEventFixture(a.db, { generalAdmission: [{ name: 'Standing', quantity: 100, price: 30_000 }] });
    const qa = queueCalls(a, ev.eventId);
    const qb = queueCalls(b, ev.eventId);
    // Paused: the admitters let nobody in by themselves; the admin does.
    expect((await qa.configure(admin, { enabled: true, paused: true })).statusCode).toBe(200);
    await eventually(async () => ((await qb.settings()).json().enabled ? true : undefined), 'B to see the queue on');

    const users = await createUsers(a, 30);
    for (const [i, u] of users.entries()) {
      const res = await (i % 2 ? qb : qa).join(u.token);
      expect(res.json()).toMatchObject({ status: 'waiting', position: i + 1, ahead: i });
    }
    // Rejoining, through the other instance, keeps the place.
    expect((await qb.join(users[6]!.token)).json()).toMatchObject({ position: 7, ahead: 6 });
    expect((await qa.me(users[29]!.token)).json()).toMatchObject({ position: 30, ahead: 29 });

    const ga = { items: [{ ticketTypeId: ev.gaTypes.Standing!, quantity: 1 }] };
    expect((await qb.hold(users[0]!.token, ga)).json()).toMatchObject({ status: 403, code: 'QUEUE_ADMISSION_REQUIRED' });

    // The first user listens on B; the admission is made through A.
    const live = await connectLive(b, users[0]!.token);
    await subscribe(live, `queue.${ev.eventId}`);
    const admitted = await qa.admit(admin, 10);
    expect(admitted.json()).toEqual({ admitted: 10, userIds: users.slice(0, 10).map((u) => u.userId) });
    for (const [i, u] of users.entries()) {
      const me = (await (i % 2 ? qa : qb).me(u.token)).json();
      if (i < 10) expect(me.status, `user ${i}`).toBe('admitted');
      else expect(me, `user ${i}`).toMatchObject({ status: 'waiting', position: i - 9 });
    }
    const heard = await live.next((m) => m.type === 'queue.admitted');
    const token = (heard.admission as { token: string }).token;
    expect(heard).toMatchObject({ eventId: ev.eventId, admission: { expiresAt: expect.any(String) } });

    // The token works for its user (through either instance), not for anyone else.
    expect((await qa.hold(users[0]!.token, ga, token)).statusCode).toBe(201);
    expect((await qb.hold(users[1]!.token, ga, token)).json()).toMatchObject({ status: 403, code: 'QUEUE_ADMISSION_REQUIRED' });
    expect((await qb.hold(users[20]!.token, ga, token)).json()).toMatchObject({ status: 403, code: 'QUEUE_ADMISSION_REQUIRED' });
    live.close();

    const { rows } = await a.db.query(`SELECT user_id FROM ticket.holds WHERE event_id = $1`, [ev.eventId]);
    expect(rows).toEqual([{ user_id: users[0]!.userId }]);
  });

  it('tells a subscriber on B about a general-admission hold through A, with the new count', async () => {
    const ev = await createEventFixture(a.db, { generalAdmission: [{ name: 'Floor', quantity: 50, price: 20_000 }] });
    const [u] = await createUsers(a, 1);
    const live = await connectLive(b);
    await subscribe(live, `event.${ev.eventId}.seats`);
    const hold = await queueCalls(a, ev.eventId).hold(u!.token, { items: [{ ticketTypeId: ev.gaTypes.Floor!, quantity: 3 }] });
    expect(hold.statusCode).toBe(201);
    const message = await live.next((m) => m.type === 'availability');
    expect(message).toEqual({
      type: 'availability',
      eventId: ev.eventId,
      ticketTypes: [{ id: ev.gaTypes.Floor, available: 47 }],
      version: 1,
    });

    // Releasing it through B announces the count back, with a later version.
    await b.app.inject({ method: 'DELETE', url: `/v1/holds/${hold.json().id}`, headers: { authorization: `Bearer ${u!.token}` } });
    const back = await live.next((m) => m.type === 'availability' && (m.version as number) > 1);
    expect(back).toMatchObject({ ticketTypes: [{ id: ev.gaTypes.Floor, available: 50 }], version: 2 });
    live.close();
  });

  it('tells a subscriber on B when a paid general-admission order is refunded, and when an admin resizes the type, through A', async () => {
    const ev = await createEventFixture(a.db, { generalAdmission: [{ name: 'Lawn', quantity: 20, price: 15_000 }] });
    const [u] = await createUsers(a, 1);
    const call = httpCaller(a.baseUrl);
    const live = await connectLive(b);
    await subscribe(live, `event.${ev.eventId}.seats`);
    const hold = await call('POST', `/v1/events/${ev.eventId}/holds`, u!.token, {
      items: [{ ticketTypeId: ev.gaTypes.Lawn!, quantity: 2 }],
    });
    expect(hold.status).toBe(201);
    const reservation = await call('POST', '/v1/reservations', u!.token, { holdId: hold.body.id });
    const prepared = await call('POST', '/v1/payments/prepare', u!.token, { reservationId: reservation.body.id });
    const order = { orderId: prepared.body.orderId as string, amount: prepared.body.amount as number };
    const paymentKey = await approve(call, '/sandbox/toss', order);
    expect((await call('POST', '/v1/payments/confirm', u!.token, { paymentKey, ...order })).status).toBe(200);
    const sold = await live.next((m) => m.type === 'availability');
    expect(sold).toMatchObject({ ticketTypes: [{ id: ev.gaTypes.Lawn, available: 18 }] });

    expect((await call('POST', `/v1/payments/${paymentKey}/cancel`, u!.token, { reason: 'cannot come' })).status).toBe(200);
    const refunded = await live.next((m) => m.type === 'availability' && (m.version as number) > (sold.version as number));
    expect(refunded).toMatchObject({ eventId: ev.eventId, ticketTypes: [{ id: ev.gaTypes.Lawn, available: 20 }] });

    const resized = await call('PATCH', `/v1/ticket-types/${ev.gaTypes.Lawn}`, admin, { totalQuantity: 25 });
    expect(resized.status).toBe(200);
    const grown = await live.next((m) => m.type === 'availability' && (m.version as number) > (refunded.version as number));
    expect(grown).toMatchObject({ ticketTypes: [{ id: ev.gaTypes.Lawn, available: 25 }] });
    live.close();
  });
});

describe('three instances racing their admitters', () => {
  let c: TestApp;
  beforeAll(async () => {
    c = await createTestApp({ config, databaseUrl: a.databaseUrl, redisPrefix: a.config.REDIS_PREFIX });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('never over-admit, never skip anyone, never admit anyone twice', async () => {
    const ev = await createEventFixture(a.db);
    const q = queueCalls(a, ev.eventId);
    const users = await createUsers(a, 120);
    const joinOrder = new Map(users.map((u, i) => [u.userId, i]));
    const ttlMs = 1000;
    const perSecond = 40;
    const maxActive = 15;
    // Every admission every instance makes, as the users would hear it.
    const admissions: Array<{ userId: string; expiresAtMs: number }> = [];
    await a.shared.subscribe(REALTIME_CHANNEL, (raw) => {
      const { topic, message } = JSON.parse(raw) as RealtimeEnvelope;
      if (message.type === 'queue.admitted' && message.eventId === ev.eventId) {
        admissions.push({ userId: topic.split('.')[2]!, expiresAtMs: Date.parse((message.admission as { expiresAt: string }).expiresAt) });
      }
    });
    await q.configure(admin, { enabled: true, paused: true, admitPerSecond: perSecond, maxActive, admissionTtlSeconds: ttlMs / 1000 });
    for (const u of users) await q.join(u.token);
    // Go: a, b and c all run their admitters against the same line.
    await q.configure(admin, { paused: false });
    await eventually(async () => ((await q.settings()).json().waiting === 0 ? true : undefined), 'the line to empty', 30_000);
    await eventually(async () => (admissions.length >= users.length ? true : undefined), 'every admission message');

    const stats = (await q.settings()).json();
    expect(stats.admittedTotal).toBe(users.length);
    // Nobody twice, everybody once.
    expect(admissions.length).toBe(users.length);
    expect(new Set(admissions.map((x) => x.userId)).size).toBe(users.length);
    // Never skipped: ordered by admission time, the join order never goes back.
    const byTime = [...admissions].sort((x, y) => x.expiresAtMs - y.expiresAtMs || joinOrder.get(x.userId)! - joinOrder.get(y.userId)!);
    for (let i = 1; i < byTime.length; i++) {
      expect(
        byTime[i]!.expiresAtMs >= byTime[i - 1]!.expiresAtMs && joinOrder.get(byTime[i]!.userId)! > joinOrder.get(byTime[i - 1]!.userId)!,
      ).toBe(true);
    }
    // Never over-admitted: at no instant more than maxActive admissions were live ([admitted, expires)).
    const edges = admissions.flatMap((x) => [
      { at: x.expiresAtMs - ttlMs, delta: 1 },
      { at: x.expiresAtMs, delta: -1 },
    ]);
    edges.sort((x, y) => x.at - y.at || x.delta - y.delta); // an expiry frees its slot before an admission at the same ms
    let live = 0;
    let most = 0;
    for (const e of edges) {
      live += e.delta;
      most = Math.max(most, live);
    }
    expect(most).toBeLessThanOrEqual(maxActive);
    expect(most).toBeGreaterThan(0);
    // The shared pace: in any second, at most one second's bucket plus one second's refill.
    const starts = admissions.map((x) => x.expiresAtMs - ttlMs).sort((x, y) => x - y);
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[j]! <= starts[i]! - 1000) j++;
      expect(i - j + 1).toBeLessThanOrEqual(2 * perSecond);
    }
  });
});
