import { normalizeIP } from '@fastify/rate-limit';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Counters } from '../../infra/counters.js';

/**
 * Anti-hoarding, alongside the per-event ticket limit (which many fresh accounts get around): holds
 * created per client address per event per hold TTL (HOLDS_PER_IP_PER_EVENT), and per account per
 * minute (HOLDS_PER_ACCOUNT_PER_MINUTE). Only holds granted count, so buyers losing seat races are
 * not punished for retrying. Checked before the hold and counted after it: concurrent requests of
 * one client may overshoot a limit by the few in flight at once, which is fine for a rate.
 */
export function createHoldLimits(
  config: Pick<Config, 'HOLDS_PER_IP_PER_EVENT' | 'HOLDS_PER_ACCOUNT_PER_MINUTE' | 'HOLD_TTL_SECONDS'>,
  counters: Counters,
) {
  const ipWindowMs = config.HOLD_TTL_SECONDS * 1000;
  const limits = [
    {
      max: config.HOLDS_PER_IP_PER_EVENT,
      windowMs: ipWindowMs,
      key: (c: HoldClient) => `holds-ip:${c.eventId}:${normalizeIP(c.ip)}`,
      what: 'from this address for this event',
    },
    {
      max: config.HOLDS_PER_ACCOUNT_PER_MINUTE,
      windowMs: 60_000,
      key: (c: HoldClient) => `holds-account:${c.userId}`,
      what: 'for this account',
    },
  ].filter((l) => l.max > 0);

  return {
    /** Throws HOLD_LIMIT_EXCEEDED when the client is at one of its limits. */
    async check(client: HoldClient): Promise<void> {
      for (const limit of limits) {
        const { current, ttl } = await counters.read(limit.key(client), limit.windowMs);
        if (current >= limit.max) {
          const retryAfterSeconds = Math.max(1, Math.ceil(ttl / 1000));
          throw new AppError('HOLD_LIMIT_EXCEEDED', `At most ${limit.max} holds ${limit.what} for now; retry in ${retryAfterSeconds} s`, {
            retryAfterSeconds,
          });
        }
      }
    },
    /** Counts a granted hold. */
    async record(client: HoldClient): Promise<void> {
      await Promise.all(limits.map((limit) => counters.incr(limit.key(client), limit.windowMs)));
    },
  };
}

export interface HoldClient {
  userId: string;
  eventId: string;
  ip: string;
}
