// Who hears that the line moved, and how often: the front of a long line every announcement, further
// back less often, so a line of 50,000 is not 50,000 messages a second. Both stores (Redis, and the
// in-process one of the single-instance mode) follow the same tiers.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createMemoryQueueStore } from '../src/modules/queue/memory-store.js';
import { createRedisQueueStore } from '../src/modules/queue/redis-store.js';
import type { QueueStore } from '../src/modules/queue/store.js';

// The front two hear of every move; the first four at most once a minute (longer than this test).
const TIERS = [
  { limit: 2, everyMs: 0 },
  { limit: 4, everyMs: 60_000 },
];
// Long enough never to lapse by itself during the test: each case lets it pass explicitly.
const LOCK_MS = 10_000;

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

/** A store, and how to let its announcement lock pass without waiting for it. */
interface Subject {
  store: QueueStore;
  passLock(eventId: string): Promise<void>;
}

describe.each([
  [
    'redis',
    (): Subject => {
      const prefix = `test:${randomUUID()}:`;
      // The lock is the line's `ann` key (see the key layout in redis-store.ts).
      return {
        store: createRedisQueueStore(redis, prefix),
        passLock: async (eventId) => void (await redis.del(`${prefix}q:{${eventId}}:ann`)),
      };
    },
  ],
  [
    'memory',
    (): Subject => {
      let now = 1_000_000;
      return { store: createMemoryQueueStore(() => now), passLock: async () => void (now += LOCK_MS) };
    },
  ],
] as const)('queue position announcements (%s store)', (_name, makeSubject: () => Subject) => {
  it('reaches the largest tier that is due: every tier at the first move, then the front on each move, nobody without a move', async () => {
    const { store, passLock } = makeSubject();
    const eventId = randomUUID();
    const users = Array.from({ length: 7 }, () => randomUUID());
    for (const u of users) await store.join(eventId, u, { opensAtMs: null, randomScore: 0 });
    // Joining at the back moves nobody's place.
    expect(await store.claimAnnouncement(eventId, LOCK_MS, TIERS)).toBeNull();

    await store.leave(eventId, users[0]!);
    const first = await store.claimAnnouncement(eventId, LOCK_MS, TIERS);
    expect(first?.userIds).toEqual(users.slice(1, 5));
    // Within the lock interval nobody else may announce, even after a move.
    await store.leave(eventId, users[1]!);
    expect(await store.claimAnnouncement(eventId, LOCK_MS, TIERS)).toBeNull();

    await passLock(eventId);
    const second = await store.claimAnnouncement(eventId, LOCK_MS, TIERS);
    // Only the front tier is due again: the second tier heard less than a minute ago.
    expect(second?.userIds).toEqual(users.slice(2, 4));

    await passLock(eventId);
    expect(await store.claimAnnouncement(eventId, LOCK_MS, TIERS)).toBeNull(); // the line has not moved since
  });
});

describe('queue position announcements over time (in-process store, its clock in hand)', () => {
  it('tells the back tier once its interval has passed since it last heard', async () => {
    const lockMs = 20; // shorter than the steps of this clock
    let now = 1_000_000;
    const store = createMemoryQueueStore(() => now);
    const eventId = randomUUID();
    const users = Array.from({ length: 8 }, () => randomUUID());
    for (const u of users) await store.join(eventId, u, { opensAtMs: null, randomScore: 0 });
    await store.leave(eventId, users[0]!);
    expect((await store.claimAnnouncement(eventId, lockMs, TIERS))?.userIds).toEqual(users.slice(1, 5));

    await store.leave(eventId, users[1]!);
    now += 1_000;
    expect((await store.claimAnnouncement(eventId, lockMs, TIERS))?.userIds).toEqual(users.slice(2, 4));
    await store.leave(eventId, users[2]!);
    now += 58_999; // 59.999 s since the second tier heard
    expect((await store.claimAnnouncement(eventId, lockMs, TIERS))?.userIds).toEqual(users.slice(3, 5));
    await store.leave(eventId, users[3]!);
    now += lockMs; // past a minute, and past the lock
    expect((await store.claimAnnouncement(eventId, lockMs, TIERS))?.userIds).toEqual(users.slice(4, 8));
  });
});
