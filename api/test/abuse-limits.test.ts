// Bounds against abuse: anti-hoarding limits on holds, and an idempotency store that keeps only
// answers worth replaying, at most a few per account, in bounded memory.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestApp, bearer, type TestApp, type TestAppOptions } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { connectSharedState } from '../src/infra/shared-state.js';
import { createIdempotencyStore } from '../src/plugins/idempotency.js';

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
async function appWith(config: TestAppOptions['config'], options: Omit<TestAppOptions, 'config'> = {}) {
  const t = await createTestApp({ ...options, config: { RATE_LIMIT_MAX: 100_000, ...config } });
  apps.push(t);
  return t;
}

describe('anti-hoarding', () => {
  it('limits holds per address per event (HOLDS_PER_IP_PER_EVENT), counting granted holds only', async () => {
    const t = await appWith({ HOLDS_PER_IP_PER_EVENT: 3, TRUST_PROXY: '1' });
    const ev = await createEventFixture(t.db);
    const other = await createEventFixture(t.db);
    const users = await createUsers(t, 8);
    const seats = ev.seats.A!;
    const hold = (eventId: string, seatId: string, user: { token: string }, ip: string) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/events/${eventId}/holds`,
        headers: { ...bearer(user.token), 'x-forwarded-for': ip },
        payload: { seatIds: [seatId] },
      });

    // Fresh accounts from one address: three holds, then refused.
    const fromOne = [];
    for (let i = 0; i < 5; i++) fromOne.push(await hold(ev.eventId, seats[i]!, users[i]!, '198.51.100.1'));
    expect(fromOne.map((r) => r.statusCode)).toEqual([201, 201, 201, 429, 429]);
    const refused = fromOne[3]!;
    expect(refused.json()).toMatchObject({ code: 'HOLD_LIMIT_EXCEEDED', status: 429 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // Losing a seat race does not count: 409s, then three holds from a second address.
    const lost = [];
    for (let i = 0; i < 4; i++) lost.push((await hold(ev.eventId, seats[0]!, users[5]!, '198.51.100.2')).statusCode);
    expect(lost).toEqual([409, 409, 409, 409]);
    const fromTwo = [];
    for (let i = 0; i < 4; i++) fromTwo.push((await hold(ev.eventId, seats[10 + i]!, users[5 + (i % 3)]!, '198.51.100.2')).statusCode);
    expect(fromTwo).toEqual([201, 201, 201, 429]);

    // Another event from the first address is its own count.
    expect((await hold(other.eventId, other.seats.A![0]!, users[0]!, '198.51.100.1')).statusCode).toBe(201);

    // The database holds exactly the holds that were granted.
    const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket.holds WHERE event_id = $1`, [ev.eventId]);
    expect(rows[0]!.n).toBe(6);
  });

  it('limits hold creation per account (HOLDS_PER_ACCOUNT_PER_MINUTE), across events and addresses', async () => {
    const t = await appWith({ HOLDS_PER_ACCOUNT_PER_MINUTE: 2, TRUST_PROXY: '1' });
    const events = [await createEventFixture(t.db), await createEventFixture(t.db), await createEventFixture(t.db)];
    const [user, other] = await createUsers(t, 2);
    const got = [];
    for (const [i, ev] of events.entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/events/${ev.eventId}/holds`,
        headers: { ...bearer(user!.token), 'x-forwarded-for': `203.0.113.${i + 1}` },
        payload: { seatIds: [ev.seats.A![0]] },
      });
      got.push(res.statusCode === 429 ? res.json().code : res.statusCode);
    }
    expect(got).toEqual([201, 201, 'HOLD_LIMIT_EXCEEDED']);
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/events/${events[2]!.eventId}/holds`,
      headers: bearer(other!.token),
      payload: { seatIds: [events[2]!.seats.A![0]] },
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('bounded idempotency', () => {
  it('stores no answer for random hold ids (404), and at most IDEMPOTENCY_MAX_KEYS_PER_USER answers per account in Redis', async () => {
    const prefix = `test:${randomUUID()}:`;
    const t = await appWith({ IDEMPOTENCY_MAX_KEYS_PER_USER: 5, MAX_TICKETS_PER_USER: 40 }, { redisPrefix: prefix });
    const ev = await createEventFixture(t.db);
    const [user] = await createUsers(t, 1);
    const redis = new Redis(inject('redisUrl'));
    const storedKeys = async () => (await redis.keys(`${prefix}idem:*`)).length;
    try {
      // 300 reservations of holds that do not exist, each with its own key: nothing kept.
      for (let i = 0; i < 300; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/reservations',
          headers: { ...bearer(user!.token), 'idempotency-key': randomUUID() },
          payload: { holdId: randomUUID() },
        });
        expect(res.statusCode).toBe(404);
      }
      expect(await storedKeys()).toBe(0);

      // Eight holds with eight keys: the newest five are kept and replayed, the oldest are forgotten.
      const keys = Array.from({ length: 8 }, () => randomUUID());
      const hold = (i: number) =>
        t.app.inject({
          method: 'POST',
          url: `/v1/events/${ev.eventId}/holds`,
          headers: { ...bearer(user!.token), 'idempotency-key': keys[i]! },
          payload: { seatIds: [ev.seats.A![i]] },
        });
      for (let i = 0; i < 8; i++) expect((await hold(i)).statusCode).toBe(201);
      expect(await storedKeys()).toBe(5);
      const newest = await hold(7);
      expect(newest.statusCode).toBe(201);
      expect(newest.headers['idempotent-replayed']).toBe('true');
      // The oldest key runs again: its seat is now taken (by that very hold).
      const oldest = await hold(0);
      expect(oldest.statusCode).toBe(409);
      expect(oldest.headers['idempotent-replayed']).toBeUndefined();
    } finally {
      redis.disconnect();
    }
  });

  it('keeps the in-process store bounded: 60,000 answers from one account stay within the caps', async () => {
    const shared = await connectSharedState(undefined, 'unused:');
    try {
      const store = createIdempotencyStore({ shared, prefix: 'unused:', maxPerOwner: 100, localMax: 1000 });
      for (let i = 0; i < 60_000; i++) {
        const key = `idem:user-1:/v1/reservations:${randomUUID()}`;
        expect(await store.claim(key, '{"state":"in_flight"}')).toBe(true);
        await store.save(key, '{"state":"done"}');
      }
      expect(store.size()).toBe(100);
      // Many accounts: the whole store stays within its maximum.
      for (let i = 0; i < 5_000; i++) await store.save(`idem:user-${i}:/v1/reservations:k`, '{}');
      expect(store.size()).toBe(1000);
    } finally {
      await shared.close();
    }
  });
});
