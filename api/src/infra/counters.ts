import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';

/** A fixed-window counter: `current` hits in the window, `ttl` ms until it resets. */
export interface Count {
  current: number;
  ttl: number;
}

/**
 * Windowed counters for rate limits, shared through Redis when there is one. When Redis fails (or
 * does not answer within the client's command timeout) the counters fall back to this instance's
 * own for a short while, so a Redis outage weakens limits to per-instance ones instead of failing
 * requests; the in-process map is an LRU with a maximum size, so it stays bounded.
 */
export interface Counters {
  incr(key: string, windowMs: number): Promise<Count>;
  read(key: string, windowMs: number): Promise<Count>;
}

const INCR = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

const READ = `
local current = redis.call('GET', KEYS[1])
if not current then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(current), ttl}`;

type ScriptedRedis = Redis & {
  tiketiCounterIncr(key: string, windowMs: number): Promise<[number, number]>;
  tiketiCounterRead(key: string): Promise<[number, number]>;
};

// After a Redis failure, stay on the local counters this long before trying Redis again, so that a
// hung Redis costs one command timeout per second, not one per request.
const REDIS_RETRY_AFTER_MS = 1000;

export function createCounters(opts: {
  redis: Redis | undefined;
  prefix: string;
  /** Most keys the in-process fallback keeps (least recently used go first). */
  localMax?: number;
  onRedisError?: (err: unknown) => void;
}): Counters {
  const local = new LRUCache<string, { current: number; resetAt: number }>({ max: opts.localMax ?? 100_000 });
  const localIncr = (key: string, windowMs: number): Count => {
    const now = Date.now();
    let entry = local.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { current: 0, resetAt: now + windowMs };
      local.set(key, entry);
    }
    entry.current++;
    return { current: entry.current, ttl: entry.resetAt - now };
  };
  const localRead = (key: string): Count => {
    const now = Date.now();
    const entry = local.peek(key);
    return !entry || entry.resetAt <= now ? { current: 0, ttl: 0 } : { current: entry.current, ttl: entry.resetAt - now };
  };

  const redis = opts.redis as ScriptedRedis | undefined;
  if (redis && typeof redis.tiketiCounterIncr !== 'function') {
    redis.defineCommand('tiketiCounterIncr', { numberOfKeys: 1, lua: INCR });
    redis.defineCommand('tiketiCounterRead', { numberOfKeys: 1, lua: READ });
  }
  let redisDownUntil = 0;
  const useRedis = () => redis !== undefined && redis.status === 'ready' && Date.now() >= redisDownUntil;
  const failed = (err: unknown) => {
    redisDownUntil = Date.now() + REDIS_RETRY_AFTER_MS;
    opts.onRedisError?.(err);
  };

  return {
    async incr(key, windowMs) {
      if (useRedis()) {
        try {
          const [current, ttl] = await redis!.tiketiCounterIncr(opts.prefix + key, windowMs);
          return { current, ttl };
        } catch (err) {
          failed(err);
        }
      }
      return localIncr(key, windowMs);
    },
    async read(key) {
      if (useRedis()) {
        try {
          const [current, ttl] = await redis!.tiketiCounterRead(opts.prefix + key);
          return { current, ttl };
        } catch (err) {
          failed(err);
        }
      }
      return localRead(key);
    },
  };
}
