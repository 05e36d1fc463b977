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
const LOCK_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

describe.each([
  ['redis', () => createRedisQueueStore(redis, `test:${randomUUID()}:`)],
  ['memory', () => createMemoryQueueStore()],
] as const)('queue position announcements (%s store)', (_name, makeStore: () => QueueStore) => {
  it('reaches the largest tier that is due: every tier at the first move, then the front on each move, nobody without a move', async () => {
    const store = makeStore();
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

    await sleep(LOCK_MS * 3);
    const second = await store.claimAnnouncement(eventId, LOCK_MS, TIERS);
    // Only the front tier is due again: the second tier heard less than a minute ago.
    expect(second?.userIds).toEqual(users.slice(2, 4));

    await sleep(LOCK_MS * 3);
    expect(await store.claimAnnouncement(eventId, LOCK_MS, TIERS)).toBeNull(); // the line has not moved since
  });
});

describe('queue position announcements over time (in-process store, its clock in hand)', () => {
  it('tells the back tier once its interval has passed since it last heard', async () => {
    let now = 1_000_000;
    const store = createMemoryQueueStore(() => now);
    const eventId = randomUUID();
    const users = Array.from({ length: 8 }, () => randomUUID());
    for (const u of users) await store.join(eventId, u, { opensAtMs: null, randomScore: 0 });
    await store.leave(eventId, users[0]!);
    expect((await store.claimAnnouncement(eventId, LOCK_MS, TIERS))?.userIds).toEqual(users.slice(1, 5));

    await store.leave(eventId, users[1]!);
    now += 1_000;
    expect((await store.claimAnnouncement(eventId, LOCK_MS, TIERS))?.userIds).toEqual(users.slice(2, 4));
    await store.leave(eventId, users[2]!);
    now += 58_999; // 59.999 s since the second tier heard
    expect((await store.claimAnnouncement(eventId, LOCK_MS, TIERS))?.userIds).toEqual(users.slice(3, 5));
    await store.leave(eventId, users[3]!);
    now += LOCK_MS; // past a minute, and past the lock
    expect((await store.claimAnnouncement(eventId, LOCK_MS, TIERS))?.userIds).toEqual(users.slice(4, 8));
  });
});
