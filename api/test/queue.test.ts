// The waiting room on one instance, run twice: on Redis and on the in-process store of the
// single-instance mode (no REDIS_URL). Both must behave the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { connectLive, eventually, queueCalls, subscribe } from './helpers/queue.js';

describe.each(['redis', 'memory'] as const)('waiting room (%s store)', (state) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp({ state, listen: true, config: { RATE_LIMIT: 'off' } });
    admin = (await createAdmin(t)).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** An on-sale event with 40 seats and 100 standing tickets, its queue on and paused (admissions by hand). */
  async function queuedEvent(patch: object = {}) {
    const ev = await createEventFixture(t.db, { generalAdmission: [{ name: 'Standing', quantity: 100, price: 50_000 }] });
    const q = queueCalls(t, ev.eventId);
    const res = await q.configure(admin, { enabled: true, paused: true, ...patch });
    expect(res.statusCode).toBe(200);
    return { ev, q, ga: (quantity = 1) => ({ items: [{ ticketTypeId: ev.gaTypes.Standing!, quantity }] }) };
  }

  it('has settings that only admins change, and no line while off', async () => {
    const ev = await createEventFixture(t.db);
    const q = queueCalls(t, ev.eventId);
    const [user] = await createUsers(t, 1);
    expect((await q.settings()).json()).toMatchObject({ eventId: ev.eventId, enabled: false, paused: false, waiting: 0, order: 'fifo' });
    expect((await q.join(user!.token)).json()).toMatchObject({ status: 409, code: 'QUEUE_NOT_ENABLED' });
    expect((await q.configure(user!.token, { enabled: true })).json().code).toBe('FORBIDDEN');
    expect((await t.app.inject({ method: 'PATCH', url: `/v1/events/${ev.eventId}/queue`, payload: { enabled: true } })).statusCode).toBe(
      401,
    );
    expect((await q.configure(admin, { enabled: true, colour: 'red' })).json().code).toBe('VALIDATION_FAILED');
    expect((await q.configure(admin, { admitPerSecond: 0 })).json().code).toBe('VALIDATION_FAILED');
    const res = await q.configure(admin, {
      enabled: true,
      admitPerSecond: 7,
      maxActive: 30,
      admissionTtlSeconds: 90,
      order: 'randomized-at-open',
    });
    expect(res.json()).toMatchObject({
      enabled: true,
      paused: false,
      admitPerSecond: 7,
      maxActive: 30,
      admissionTtlSeconds: 90,
      order: 'randomized-at-open',
    });
    // Persisted in PostgreSQL.
    const { rows } = await t.db.query('SELECT enabled, admit_per_second, admission_order FROM ticket.queue_settings WHERE event_id = $1', [
      ev.eventId,
    ]);
    expect(rows).toEqual([{ enabled: true, admit_per_second: 7, admission_order: 'randomized-at-open' }]);
    const missing = queueCalls(t, '00000000-0000-4000-8000-000000000000');
    expect((await missing.settings()).json().code).toBe('EVENT_NOT_FOUND');
    expect((await missing.configure(admin, { enabled: true })).json().code).toBe('EVENT_NOT_FOUND');
  });

  it('keeps exact places in join order, keeps a place on rejoin, and admits the first n', async () => {
    const { ev, q, ga } = await queuedEvent();
    const users = await createUsers(t, 12);
    for (const [i, u] of users.entries()) {
      expect((await q.join(u.token)).json()).toMatchObject({ eventId: ev.eventId, status: 'waiting', position: i + 1, ahead: i });
    }
    const rejoin = await q.join(users[4]!.token);
    expect(rejoin.json()).toMatchObject({ status: 'waiting', position: 5, ahead: 4 });
    expect(rejoin.headers['cache-control']).toBe('no-store');
    expect((await q.me(users[4]!.token)).json()).toMatchObject({ position: 5, ahead: 4 });
    expect((await q.settings()).json().waiting).toBe(12);

    // Leaving moves everyone behind; leaving twice is fine.
    expect((await q.leave(users[2]!.token)).statusCode).toBe(204);
    expect((await q.leave(users[2]!.token)).statusCode).toBe(204);
    expect((await q.me(users[4]!.token)).json()).toMatchObject({ position: 4, ahead: 3 });
    expect((await q.me(users[2]!.token)).json()).toMatchObject({ status: 404, code: 'QUEUE_NOT_JOINED' });

    // No admission, no hold.
    const refused = await q.hold(users[0]!.token, ga());
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('QUEUE_ADMISSION_REQUIRED');
    expect((await q.hold(users[0]!.token, ga(), 'not-a-token')).json().code).toBe('QUEUE_ADMISSION_REQUIRED');

    // Admit 3: users 0, 1 and 3 (2 left), in line order.
    const admitted = await q.admit(admin, 3);
    expect(admitted.json()).toEqual({ admitted: 3, userIds: [users[0]!.userId, users[1]!.userId, users[3]!.userId] });
    expect((await q.me(users[4]!.token)).json()).toMatchObject({ status: 'waiting', position: 1, ahead: 0 });
    const first = (await q.me(users[0]!.token)).json();
    expect(first).toMatchObject({ status: 'admitted', position: 0, ahead: 0 });
    // Rejoining once admitted gives the same admission back.
    expect((await q.join(users[0]!.token)).json().admission.expiresAt).toBe(first.admission.expiresAt);

    const held = await q.hold(users[0]!.token, ga(2), first.admission.token);
    expect(held.statusCode).toBe(201);
    // Somebody else's admission is refused, and so is one for another event.
    const stolen = await q.hold(users[4]!.token, ga(), first.admission.token);
    expect(stolen.json()).toMatchObject({ status: 403, code: 'QUEUE_ADMISSION_REQUIRED' });
    const other = await queuedEvent();
    await other.q.join(users[0]!.token);
    const elsewhere = await other.q.hold(users[0]!.token, other.ga(), first.admission.token);
    expect(elsewhere.json()).toMatchObject({ status: 403, code: 'QUEUE_ADMISSION_REQUIRED' });

    // Admitting more than wait takes who is there.
    expect((await q.admit(admin, 100)).json().admitted).toBe(8);
    expect((await q.settings()).json()).toMatchObject({ waiting: 0, active: 11, admittedTotal: 11 });
  });

  it('ends an admission when its hold is released, freeing the slot', async () => {
    const { q, ga } = await queuedEvent();
    const [u, next] = await createUsers(t, 2);
    await q.join(u!.token);
    await q.join(next!.token);
    await q.admit(admin, 1);
    const { admission } = (await q.me(u!.token)).json();
    const hold = (await q.hold(u!.token, ga(), admission.token)).json();
    expect((await q.settings()).json().active).toBe(1);
    const released = await t.app.inject({ method: 'DELETE', url: `/v1/holds/${hold.id}`, headers: bearer(u!.token) });
    expect(released.statusCode).toBe(200);
    expect((await q.settings()).json().active).toBe(0);
    expect((await q.hold(u!.token, ga(), admission.token)).json()).toMatchObject({ status: 403, code: 'QUEUE_ADMISSION_REQUIRED' });
    expect((await q.me(u!.token)).json().code).toBe('QUEUE_NOT_JOINED');
  });

  it('admits in the background at most maxActive at a time, and expired admissions free their slot', async () => {
    const { q, ga } = await queuedEvent({ paused: false, admitPerSecond: 50, maxActive: 2, admissionTtlSeconds: 1 });
    const users = await createUsers(t, 5);
    for (const u of users) await q.join(u.token);
    // Users 0 and 1 first; 2 only once a slot is free again.
    const firstToken = await eventually(async () => {
      const me = (await q.me(users[0]!.token)).json();
      return me.status === 'admitted' ? (me.admission.token as string) : undefined;
    }, 'the first admission');
    const third = await eventually(async () => {
      const me = (await q.me(users[2]!.token)).json();
      return me.status === 'admitted' ? me : undefined;
    }, 'the third admission');
    // The third got in only after the first two expired: their admissions are gone and refused.
    expect((await q.me(users[0]!.token)).json().code).toBe('QUEUE_NOT_JOINED');
    expect((await q.hold(users[0]!.token, ga(), firstToken)).json().code).toBe('QUEUE_ADMISSION_REQUIRED');
    expect(third).toMatchObject({ status: 'admitted', admission: { token: expect.any(String) } });
    const stats = (await q.settings()).json();
    expect(stats.active).toBeLessThanOrEqual(2);
    expect(stats.admittedTotal).toBeGreaterThanOrEqual(3);
  });

  it('stops at maxActive until an admission ends, then lets the next in', async () => {
    const { q } = await queuedEvent({ paused: false, admitPerSecond: 100, maxActive: 3, admissionTtlSeconds: 600 });
    const users = await createUsers(t, 6);
    for (const u of users) await q.join(u.token);
    await eventually(async () => ((await q.settings()).json().active === 3 ? true : undefined), 'three admissions');
    // User 1 gives up the admission: exactly one more (user 3) comes in.
    await q.leave(users[1]!.token);
    await eventually(async () => ((await q.me(users[3]!.token)).json().status === 'admitted' ? true : undefined), 'the fourth admission');
    expect((await q.me(users[4]!.token)).json()).toMatchObject({ status: 'waiting', position: 1 });
    expect((await q.settings()).json()).toMatchObject({ active: 3, waiting: 2, admittedTotal: 4 });
  });

  it('gives a random place to who joined before the opening, and join order after', async () => {
    const opensAt = new Date(Date.now() + 3_600_000).toISOString();
    // Not paused: the admitter waits for the opening by itself.
    const { q } = await queuedEvent({ order: 'randomized-at-open', opensAt, paused: false });
    const early = await createUsers(t, 20);
    for (const u of early) await q.join(u.token);
    const places = await Promise.all(early.map(async (u) => (await q.me(u.token)).json().position as number));
    expect([...places].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // 1 in 20! that a fair shuffle is the join order.
    expect(places).not.toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Before the opening the wait includes the time to the opening.
    expect((await q.me(early[0]!.token)).json().etaSeconds).toBeGreaterThan(3000);

    expect((await q.settings()).json()).toMatchObject({ waiting: 20, active: 0 });

    await q.configure(admin, { opensAt: new Date(Date.now() - 1000).toISOString(), paused: true });
    const late = await createUsers(t, 3);
    for (const [i, u] of late.entries()) expect((await q.join(u.token)).json().position).toBe(21 + i);
    // Admission follows the drawn order.
    const firstDrawn = early[places.indexOf(1)]!;
    expect((await q.admit(admin, 1)).json().userIds).toEqual([firstDrawn.userId]);
  });

  it('pushes positions as the line moves, at most once a second, then the admission', async () => {
    const { ev, q } = await queuedEvent();
    const users = await createUsers(t, 14);
    for (const u of users) await q.join(u.token);
    const me = users[12]!;
    const live = await connectLive(t, me.token);
    await subscribe(live, `queue.${ev.eventId}`);

    const started = Date.now();
    for (let i = 0; i < 10; i++) await q.admit(admin, 1);
    const moved = await live.next((m) => m.type === 'queue.position' && m.position === 3);
    const elapsed = Date.now() - started;
    expect(moved).toMatchObject({ eventId: ev.eventId, position: 3 });
    expect(typeof moved.etaSeconds).toBe('number');
    // Ten moves, but pushes are coalesced to one per second (plus the one at the start).
    const positions = live.messages.filter((m) => m.type === 'queue.position');
    expect(positions.length).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 1000));
    expect(positions.length).toBeLessThan(10);

    await q.admit(admin, 3);
    const admitted = await live.next((m) => m.type === 'queue.admitted');
    expect(admitted).toMatchObject({ eventId: ev.eventId, admission: { token: expect.any(String), expiresAt: expect.any(String) } });
    const token = (admitted.admission as { token: string }).token;
    expect((await q.hold(me.token, { items: [{ ticketTypeId: ev.gaTypes.Standing!, quantity: 1 }] }, token)).statusCode).toBe(201);
    live.close();
  });

  it('reports the line in /metrics', async () => {
    const { ev, q } = await queuedEvent();
    const users = await createUsers(t, 4);
    for (const u of users) await q.join(u.token);
    await q.admit(admin, 1);
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain(`tiketi_queue_waiting{event_id="${ev.eventId}"} 3`);
    expect(text).toContain(`tiketi_queue_active_admissions{event_id="${ev.eventId}"} 1`);
    expect(text).toContain(`tiketi_queue_admitted{event_id="${ev.eventId}"} 1`);
    expect(text).toContain(`tiketi_queue_admissions_total{event_id="${ev.eventId}"} 1`);
    expect(text).toMatch(new RegExp(`tiketi_queue_admission_rate\\{event_id="${ev.eventId}"\\} [0-9.]+`));
  });
});
