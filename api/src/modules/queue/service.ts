import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors.js';
import type { Db } from '../../infra/db.js';
import type { SharedState } from '../../infra/shared-state.js';
import { queueEtaSeconds, type RealtimePublisher } from '../../realtime/bus.js';
import type { AdmissionTokens } from './admission.js';
import { queueRepository as repo, type QueueSettingsPatch, type QueueSettingsRow } from './repository.js';
import type { QueuePlaceView, QueueSettingsView } from './schemas.js';
import { type Admitted, type Place, type QueueStore } from './store.js';

/** Bus channel on which an instance tells the others that an event's queue settings changed. */
const SETTINGS_CHANNEL = 'queue-settings';
/**
 * How long an instance trusts its copy of an event's settings. A change reaches every instance at
 * once over the bus; this bounds the staleness should a bus message be lost (a Redis reconnect).
 * Without the cache every hold would read the settings: one more query on the hottest route.
 */
const SETTINGS_TTL_MS = 2000;
/** Queue positions are pushed at most once per user per this interval. */
export const ANNOUNCE_INTERVAL_MS = 1000;
/**
 * Who hears of a move how often: the first 1,000 waiting users every second, the first 10,000 every
 * 5 s, the first 100,000 every 15 s; further back the line moves too slowly to matter. Everyone
 * every second was 50,000 messages a second at 50,000 waiting, the on-sale's largest cost; tiered,
 * it is about 5,500, and nobody's place is more than 15 s old.
 */
export const ANNOUNCE_TIERS = [
  { limit: 1_000, everyMs: ANNOUNCE_INTERVAL_MS },
  { limit: 10_000, everyMs: 5_000 },
  { limit: 100_000, everyMs: 15_000 },
] as const;

export interface QueueServiceDeps {
  db: Db;
  shared: SharedState;
  store: QueueStore;
  tokens: AdmissionTokens;
  publisher: RealtimePublisher;
  log: (err: unknown, msg: string) => void;
  /** Called with each batch of admissions this process made (metrics). */
  onAdmitted?: (eventId: string, count: number) => void;
}

/** A store outage is a 503 with a code, never a 500. */
function unavailable(err: unknown): never {
  if (err instanceof AppError) throw err;
  throw new AppError('SERVICE_UNAVAILABLE', 'The waiting room is unreachable; retry shortly', { retryAfterSeconds: 1 });
}

const opened = (s: QueueSettingsRow, now: number) => s.opens_at === null || s.opens_at.getTime() <= now;

export async function createQueueService(deps: QueueServiceDeps) {
  const { db, shared, store, tokens, publisher, log } = deps;
  // Settings per event for the queue routes. Bounded (any event id may be asked for); entries are
  // the promise of the read, so a burst of joins on a cold event makes one query, not one each.
  const cache = new LRUCache<string, { row: Promise<QueueSettingsRow | undefined>; at: number }>({ max: 10_000 });
  await shared.subscribe(SETTINGS_CHANNEL, (eventId) => cache.delete(eventId));

  function settingsOf(eventId: string, fresh = false): Promise<QueueSettingsRow | undefined> {
    const hit = cache.get(eventId);
    if (!fresh && hit && Date.now() - hit.at < SETTINGS_TTL_MS) return hit.row;
    const entry = { row: repo.findSettings(db, eventId), at: Date.now() };
    cache.set(eventId, entry);
    entry.row.catch(() => {
      if (cache.get(eventId) === entry) cache.delete(eventId);
    });
    return entry.row;
  }
  async function mustHaveQueue(eventId: string): Promise<QueueSettingsRow> {
    const s = await settingsOf(eventId);
    if (!s) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
    if (!s.enabled) throw new AppError('QUEUE_NOT_ENABLED', 'This event has no waiting room now: hold seats directly');
    return s;
  }

  /** What ETAs are computed from: the measured pace (the configured one before any admission) and the wait for the opening. */
  function etaBasis(s: QueueSettingsRow, measured: number, now = Date.now()) {
    return {
      rate: measured > 0.01 ? measured : s.paused ? 0 : s.admit_per_second,
      untilOpenSeconds: opened(s, now) ? 0 : (s.opens_at!.getTime() - now) / 1000,
    };
  }

  async function admissionOf(eventId: string, userId: string, expiresAtMs: number) {
    return { token: await tokens.sign({ userId, eventId, expiresAtMs }), expiresAt: new Date(expiresAtMs).toISOString() };
  }

  async function placeView(s: QueueSettingsRow, userId: string, place: Exclude<Place, { state: 'none' }>): Promise<QueuePlaceView> {
    if (place.state === 'admitted') {
      return {
        eventId: s.event_id,
        status: 'admitted',
        position: 0,
        ahead: 0,
        etaSeconds: 0,
        admission: await admissionOf(s.event_id, userId, place.expiresAtMs),
      };
    }
    const position = place.ahead + 1;
    return {
      eventId: s.event_id,
      status: 'waiting',
      position,
      ahead: place.ahead,
      etaSeconds: queueEtaSeconds(etaBasis(s, place.ratePerSecond), position),
    };
  }

  /** Tells each admitted user over the realtime channel, with their token. */
  async function announceAdmitted(eventId: string, admitted: Admitted) {
    if (admitted.userIds.length === 0) return;
    deps.onAdmitted?.(eventId, admitted.userIds.length);
    await Promise.all(
      admitted.userIds.map(async (userId) => {
        const admission = await admissionOf(eventId, userId, admitted.expiresAtMs);
        await publisher.toQueueMember(eventId, userId, { type: 'queue.admitted', admission });
      }),
    ).catch((err: unknown) => log(err, 'queue admission publish failed'));
  }

  async function settingsView(s: QueueSettingsRow): Promise<QueueSettingsView> {
    const stats = s.enabled
      ? await store.stats(s.event_id).catch(unavailable)
      : { waiting: 0, active: 0, admittedTotal: 0, ratePerSecond: 0 };
    return {
      eventId: s.event_id,
      enabled: s.enabled,
      paused: s.paused,
      admitPerSecond: s.admit_per_second,
      admissionTtlSeconds: s.admission_ttl_seconds,
      maxActive: s.max_active,
      order: s.admission_order,
      opensAt: s.opens_at?.toISOString() ?? null,
      waiting: stats.waiting,
      active: stats.active,
      admittedTotal: stats.admittedTotal,
      admissionRate: Math.round(stats.ratePerSecond * 100) / 100,
    };
  }

  // The enabled queues, read from PostgreSQL at most once a second per process (one read however
  // many callers wait for it), and again at once when any instance changes settings. The hold gate
  // decides from this list, so a hold never waits for a per-event settings read.
  let enabledList: { rows: Promise<Map<string, QueueSettingsRow>>; at: number } | undefined;
  function enabledQueueMap(): Promise<Map<string, QueueSettingsRow>> {
    if (!enabledList || Date.now() - enabledList.at >= ANNOUNCE_INTERVAL_MS) {
      const entry = { rows: repo.listEnabled(db).then((rows) => new Map(rows.map((r) => [r.event_id, r]))), at: Date.now() };
      enabledList = entry;
      entry.rows.catch(() => {
        if (enabledList === entry) enabledList = undefined;
      });
    }
    return enabledList.rows;
  }
  const enabledQueues = async () => [...(await enabledQueueMap()).values()];
  await shared.subscribe(SETTINGS_CHANNEL, () => {
    enabledList = undefined;
  });

  return {
    settingsOf,

    async getSettings(eventId: string): Promise<QueueSettingsView> {
      const s = await settingsOf(eventId);
      if (!s) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
      return settingsView(s);
    },

    /** Saves settings; switching the queue off forgets its line. Every instance hears of it at once. */
    async updateSettings(eventId: string, patch: QueueSettingsPatch): Promise<QueueSettingsView> {
      const before = await repo.findSettings(db, eventId);
      if (!before) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
      const after = (await repo.upsertSettings(db, eventId, patch))!;
      cache.set(eventId, { row: Promise.resolve(after), at: Date.now() });
      enabledList = undefined;
      if (before.enabled && !after.enabled) await store.clear(eventId).catch(unavailable);
      await shared.publish(SETTINGS_CHANNEL, eventId).catch((err: unknown) => log(err, 'queue settings publish failed'));
      return settingsView(after);
    },

    /** Joins the line (idempotent: rejoining keeps the place; an admitted user gets the admission again). */
    async join(eventId: string, userId: string): Promise<QueuePlaceView> {
      const s = await mustHaveQueue(eventId);
      const opensAtMs = s.admission_order === 'randomized-at-open' && s.opens_at ? s.opens_at.getTime() : null;
      // The keyed hash (an HMAC, ~14 µs of CPU per join in bench:queue) only where a random place is used.
      const randomScore = opensAtMs === null ? 0 : tokens.randomPlace(eventId, userId);
      const place = await store.join(eventId, userId, { opensAtMs, randomScore }).catch(unavailable);
      return placeView(s, userId, place);
    },

    async me(eventId: string, userId: string): Promise<QueuePlaceView> {
      const s = await mustHaveQueue(eventId);
      const place = await store.place(eventId, userId).catch(unavailable);
      if (place.state === 'none') throw new AppError('QUEUE_NOT_JOINED', 'You are not in this line: join it first');
      return placeView(s, userId, place);
    },

    /** Leaves the line, or gives up an admission. Leaving twice is fine. */
    async leave(eventId: string, userId: string): Promise<void> {
      await mustHaveQueue(eventId);
      await store.leave(eventId, userId).catch(unavailable);
    },

    /** An admin's "admit now": the next `count` in line, whatever the pace, pause or active count. */
    async admitNow(eventId: string, count: number): Promise<{ admitted: number; userIds: string[] }> {
      const s = await mustHaveQueue(eventId);
      const admitted = await store.admit(eventId, { mode: 'now', count, ttlMs: s.admission_ttl_seconds * 1000 }).catch(unavailable);
      await announceAdmitted(eventId, admitted);
      return { admitted: admitted.userIds.length, userIds: admitted.userIds };
    },

    /**
     * The hold gate: while the event's queue is on, a hold needs a live admission of this user for
     * this event. Refusals are 403 QUEUE_ADMISSION_REQUIRED; an unknown event passes (the hold answers 404).
     */
    async requireAdmission(eventId: string, userId: string, token: string | undefined): Promise<void> {
      const s = (await enabledQueueMap()).get(eventId);
      if (!s) return;
      if (!token) {
        throw new AppError(
          'QUEUE_ADMISSION_REQUIRED',
          'This event has a waiting room: join it (POST /v1/events/{eventId}/queue/join) and send the admission in X-Queue-Token',
        );
      }
      const claims = await tokens.verify(token).catch(() => {
        throw new AppError('QUEUE_ADMISSION_REQUIRED', 'The admission token is invalid or expired: join the queue again');
      });
      if (claims.userId !== userId || claims.eventId !== eventId) {
        throw new AppError('QUEUE_ADMISSION_REQUIRED', 'This admission is for another user or event');
      }
      const live = await store.admissionExpiry(eventId, userId).catch(unavailable);
      if (live !== claims.expiresAtMs || live <= Date.now()) {
        throw new AppError('QUEUE_ADMISSION_REQUIRED', 'The admission has ended: join the queue again');
      }
    },

    /**
     * Ends a user's admission early, so the next in line gets the slot: called when a hold is
     * released, and for payments to call when a purchase completes. Never throws (best effort).
     */
    async endAdmission(eventId: string, userId: string): Promise<void> {
      const s = (await enabledQueueMap().catch(() => undefined))?.get(eventId);
      if (!s) return;
      await store.endAdmission(eventId, userId).catch((err: unknown) => log(err, 'ending a queue admission failed'));
    },

    /**
     * One round of the background admitter over every enabled queue: admit at the queue's pace while
     * fewer than maxActive are live (atomic in the store, so any number of instances may run it at
     * once), then push positions if the line moved (at most once per second per event, any instance).
     */
    async admitterTick(): Promise<void> {
      const now = Date.now();
      for (const s of await enabledQueues()) {
        if (!s.paused && opened(s, now)) {
          const admitted = await store.admit(s.event_id, {
            mode: 'paced',
            ratePerSecond: s.admit_per_second,
            maxActive: s.max_active,
            ttlMs: s.admission_ttl_seconds * 1000,
          });
          await announceAdmitted(s.event_id, admitted);
        }
        const announcement = await store.claimAnnouncement(s.event_id, ANNOUNCE_INTERVAL_MS, ANNOUNCE_TIERS);
        if (announcement) {
          await publisher
            .queuePositions({ eventId: s.event_id, userIds: announcement.userIds, ...etaBasis(s, announcement.ratePerSecond, now) })
            .catch((err: unknown) => log(err, 'queue position publish failed'));
        }
      }
    },

    /** Line figures of every enabled queue (for /metrics). */
    async lineStats() {
      const queues = await enabledQueues();
      return Promise.all(queues.map(async (s) => ({ eventId: s.event_id, ...(await store.stats(s.event_id)) })));
    },
  };
}

export type QueueService = Awaited<ReturnType<typeof createQueueService>>;
