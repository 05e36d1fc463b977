// The waiting line itself: who waits in which order, who is admitted until when, and the measured
// admission rate. Two implementations with the same behaviour (the queue tests run against both):
// Redis (redis-store.ts), shared by every API instance, and process memory (memory-store.ts) for
// the single-instance mode without REDIS_URL.

/** Scores of places in line: a random one below this for who joined before the line opened, this plus the join number after. */
export const OPEN_BASE = 2 ** 50;
/** Time constant of the measured admission rate (an exponentially weighted average), in milliseconds. */
export const RATE_TAU_MS = 30_000;

export type Place =
  | { state: 'waiting'; /** People ahead in line. */ ahead: number; /** Everyone waiting. */ waiting: number; ratePerSecond: number }
  | { state: 'admitted'; expiresAtMs: number }
  | { state: 'none' };

export interface JoinOptions {
  /** When the line opens (ms since epoch): who joins before gets `randomScore` as their place; null = open. */
  opensAtMs: number | null;
  /** A uniformly random integer in [0, OPEN_BASE), drawn by the caller. */
  randomScore: number;
}

export type AdmitRequest =
  /** The background admitter: at most `ratePerSecond` (a shared token bucket) while fewer than `maxActive` are admitted. */
  | { mode: 'paced'; ratePerSecond: number; maxActive: number; ttlMs: number }
  /** An admin's "admit now": the next `count` in line, whatever the pace and the active count. */
  | { mode: 'now'; count: number; ttlMs: number };

export interface Admitted {
  /** In line order. */
  userIds: string[];
  expiresAtMs: number;
}

export interface LineStats {
  waiting: number;
  /** Admissions not yet expired or ended. */
  active: number;
  /** Every admission since the line started. */
  admittedTotal: number;
  /** Measured admissions per second (about the last half minute). */
  ratePerSecond: number;
}

/**
 * How often the first `limit` waiting users hear that the line moved: at most every `everyMs`.
 * Tiers go by growing limit; an announcement reaches the largest tier that is due.
 */
export interface AnnouncementTier {
  limit: number;
  everyMs: number;
}

export interface Announcement {
  /** Waiting users in line order (position = index + 1), the first `limit` of the largest tier due. */
  userIds: string[];
  ratePerSecond: number;
}

export interface QueueStore {
  /** Joins the line; rejoining keeps the place, and an admitted user stays admitted. */
  join(eventId: string, userId: string, options: JoinOptions): Promise<Exclude<Place, { state: 'none' }>>;
  place(eventId: string, userId: string): Promise<Place>;
  /** Leaves the line or gives up an admission; true when there was one. */
  leave(eventId: string, userId: string): Promise<boolean>;
  /** Admits the next in line, atomically (see the implementations). */
  admit(eventId: string, request: AdmitRequest): Promise<Admitted>;
  /** Ends a live admission early (purchase done, hold released); true when there was one. */
  endAdmission(eventId: string, userId: string): Promise<boolean>;
  /** The expiry of the user's live admission, or null. */
  admissionExpiry(eventId: string, userId: string): Promise<number | null>;
  stats(eventId: string): Promise<LineStats>;
  /**
   * When the line moved since the last announcement and no announcement was made in the last
   * `intervalMs` (by any instance), claims this one and returns the first `limit` waiting users.
   */
  claimAnnouncement(eventId: string, intervalMs: number, tiers: readonly AnnouncementTier[]): Promise<Announcement | null>;
  /** Forgets an event's line (the queue was switched off). */
  clear(eventId: string): Promise<void>;
}

/** The rate estimate: a decayed count of admissions, corrected for a line younger than the time constant. */
export function measuredRate(decayedCount: number, sinceLastMs: number, sinceFirstMs: number): number {
  if (decayedCount <= 0 || sinceFirstMs < 0) return 0;
  const now = decayedCount * Math.exp(-Math.max(0, sinceLastMs) / RATE_TAU_MS);
  const warm = 1 - Math.exp(-Math.max(1000, sinceFirstMs) / RATE_TAU_MS);
  return now / ((RATE_TAU_MS / 1000) * warm);
}
