import type { Redis } from 'ioredis';
import {
  OPEN_BASE,
  RATE_TAU_MS,
  measuredRate,
  type AdmitRequest,
  type Admitted,
  type Announcement,
  type JoinOptions,
  type LineStats,
  type Place,
  type QueueStore,
} from './store.js';

// One event's line is four keys, all with the event id as hash tag (one Redis Cluster slot):
//   wait  sorted set  user → place score (OPEN_BASE + join number; random below OPEN_BASE before the line opens)
//   adm   sorted set  user → admission expiry (ms since epoch)
//   meta  hash        seq (join counter), moves (line-move counter), ann<i>/annAt<i> (moves and time
//                     at the last announcement to tier i), admitted (total), bt/bts (token bucket), rc/rt/first (rate)
//   ann   string      the announcement lock (PX interval)
//
// Every read-modify-write is one Lua script, and Redis runs a script alone: this is what makes
// several API instances safe together. Two admitters' scripts cannot interleave, so the active
// count they compare with maxActive is exact (never over-admits); ZPOPMIN takes the lowest places
// first (never skips anyone); a popped user is no longer waiting (never admitted twice). Time is
// Redis's TIME, one clock for every instance.

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;
// Scores go to Redis as strings: Lua's own number formatting keeps only 14 digits.
const FMT = `local function fmt(n) return string.format('%.0f', n) end`;
const RATE = `
local function rate_fields(meta, now)
  local r = redis.call('HMGET', meta, 'rc', 'rt', 'first')
  if not r[1] then return {'0', '0', '-1'} end
  return {r[1], fmt(now - tonumber(r[2])), fmt(now - tonumber(r[3]))}
end
`;

const JOIN = `${NOW}${FMT}${RATE}
local wait, adm, meta = KEYS[1], KEYS[2], KEYS[3]
local user = ARGV[1]
local a = redis.call('ZSCORE', adm, user)
if a and tonumber(a) > now then return {'admitted', a} end
if a then redis.call('ZREM', adm, user) end
local rank = redis.call('ZRANK', wait, user)
if not rank then
  local opens = tonumber(ARGV[2])
  local score
  if opens >= 0 and now < opens then
    score = ARGV[3]
    redis.call('HINCRBY', meta, 'moves', 1) -- a random place moves everyone behind it
  else
    score = fmt(${OPEN_BASE} + redis.call('HINCRBY', meta, 'seq', 1))
  end
  redis.call('ZADD', wait, score, user)
  rank = redis.call('ZRANK', wait, user)
end
local r = rate_fields(meta, now)
return {'waiting', rank, redis.call('ZCARD', wait), r[1], r[2], r[3]}
`;

const PLACE = `${NOW}${FMT}${RATE}
local wait, adm, meta = KEYS[1], KEYS[2], KEYS[3]
local a = redis.call('ZSCORE', adm, ARGV[1])
if a and tonumber(a) > now then return {'admitted', a} end
local rank = redis.call('ZRANK', wait, ARGV[1])
if not rank then return {'none'} end
local r = rate_fields(meta, now)
return {'waiting', rank, redis.call('ZCARD', wait), r[1], r[2], r[3]}
`;

const LEAVE = `
local w = redis.call('ZREM', KEYS[1], ARGV[1])
local a = redis.call('ZREM', KEYS[2], ARGV[1])
if w > 0 then redis.call('HINCRBY', KEYS[3], 'moves', 1) end
return w + a
`;

const ADMIT = `${NOW}${FMT}
local wait, adm, meta = KEYS[1], KEYS[2], KEYS[3]
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', adm, '-inf', now) -- expired admissions free their slot
local n, tokens
if ARGV[1] == 'now' then
  n = tonumber(ARGV[2])
else
  local per_second, max_active = tonumber(ARGV[2]), tonumber(ARGV[4])
  local b = redis.call('HMGET', meta, 'bt', 'bts')
  tokens = tonumber(b[1]) or 0
  local since = now - (tonumber(b[2]) or now)
  if since < 0 then since = 0 end
  -- A bucket of one second's admissions: a paused or idle line does not save up a burst.
  tokens = math.min(math.max(per_second, 1), tokens + since * per_second / 1000)
  n = math.min(math.floor(tokens), max_active - redis.call('ZCARD', adm))
end
local out = {fmt(now + ttl)}
if n > 0 then
  local popped = redis.call('ZPOPMIN', wait, n)
  for i = 1, #popped, 2 do
    out[#out + 1] = popped[i]
    redis.call('ZADD', adm, fmt(now + ttl), popped[i])
  end
end
local k = #out - 1
if tokens then redis.call('HSET', meta, 'bt', tostring(tokens - k), 'bts', fmt(now)) end
if k > 0 then
  local r = redis.call('HMGET', meta, 'rc', 'rt', 'first')
  local rc = 0
  if r[1] then rc = tonumber(r[1]) * math.exp(-(now - tonumber(r[2])) / ${RATE_TAU_MS}) end
  redis.call('HSET', meta, 'rc', tostring(rc + k), 'rt', fmt(now), 'first', r[3] or fmt(now))
  redis.call('HINCRBY', meta, 'admitted', k)
  redis.call('HINCRBY', meta, 'moves', 1)
end
return out
`;

const STATS = `${NOW}${FMT}${RATE}
local wait, adm, meta = KEYS[1], KEYS[2], KEYS[3]
local r = rate_fields(meta, now)
return {redis.call('ZCARD', wait), redis.call('ZCOUNT', adm, '(' .. fmt(now), '+inf'),
        redis.call('HGET', meta, 'admitted') or '0', r[1], r[2], r[3]}
`;

const ANNOUNCE = `${NOW}${FMT}${RATE}
local wait, meta, lock = KEYS[1], KEYS[3], KEYS[4]
local moves = redis.call('HGET', meta, 'moves') or '0'
-- ARGV: the interval, then limit and everyMs of each tier, by growing limit. The largest tier that
-- has not heard of the last move and whose interval has passed is due.
local limit, due = 0, 0
for i = 2, #ARGV, 2 do
  local heard = redis.call('HGET', meta, 'ann' .. i) or '0'
  local at = tonumber(redis.call('HGET', meta, 'annAt' .. i) or '0')
  if heard ~= moves and now >= at + tonumber(ARGV[i + 1]) then limit, due = tonumber(ARGV[i]), i end
end
if due == 0 then return false end
if not redis.call('SET', lock, '1', 'PX', ARGV[1], 'NX') then return false end
for i = 2, due, 2 do redis.call('HSET', meta, 'ann' .. i, moves, 'annAt' .. i, now) end
local r = rate_fields(meta, now)
return {r[1], r[2], r[3], redis.call('ZRANGE', wait, 0, limit - 1)}
`;

interface QueueCommands {
  queueJoin(wait: string, adm: string, meta: string, user: string, opensAt: string, score: string): Promise<Array<string | number>>;
  queuePlace(wait: string, adm: string, meta: string, user: string): Promise<Array<string | number>>;
  queueLeave(wait: string, adm: string, meta: string, user: string): Promise<number>;
  queueAdmit(wait: string, adm: string, meta: string, mode: string, amount: string, ttl: string, maxActive: string): Promise<string[]>;
  queueStats(wait: string, adm: string, meta: string): Promise<Array<string | number>>;
  queueAnnounce(
    wait: string,
    adm: string,
    meta: string,
    lock: string,
    intervalMs: string,
    ...tiers: string[]
  ): Promise<[string, string, string, string[]] | null>;
}

const rateOf = (fields: Array<string | number>) => measuredRate(Number(fields[0]), Number(fields[1]), Number(fields[2]));

export function createRedisQueueStore(redis: Redis, prefix: string): QueueStore {
  // defineCommand sends EVALSHA and falls back to EVAL once per connection (script cache misses).
  redis.defineCommand('queueJoin', { numberOfKeys: 3, lua: JOIN });
  redis.defineCommand('queuePlace', { numberOfKeys: 3, lua: PLACE });
  redis.defineCommand('queueLeave', { numberOfKeys: 3, lua: LEAVE });
  redis.defineCommand('queueAdmit', { numberOfKeys: 3, lua: ADMIT });
  redis.defineCommand('queueStats', { numberOfKeys: 3, lua: STATS });
  redis.defineCommand('queueAnnounce', { numberOfKeys: 4, lua: ANNOUNCE });
  const r = redis as unknown as Redis & QueueCommands;
  const keys = (eventId: string) => {
    const base = `${prefix}q:{${eventId}}:`;
    return [`${base}wait`, `${base}adm`, `${base}meta`, `${base}ann`] as const;
  };

  return {
    async join(eventId, userId, options: JoinOptions) {
      const [wait, adm, meta] = keys(eventId);
      const res = await r.queueJoin(wait, adm, meta, userId, String(options.opensAtMs ?? -1), String(options.randomScore));
      if (res[0] === 'admitted') return { state: 'admitted', expiresAtMs: Number(res[1]) };
      return { state: 'waiting', ahead: Number(res[1]), waiting: Number(res[2]), ratePerSecond: rateOf(res.slice(3)) };
    },
    async place(eventId, userId): Promise<Place> {
      const [wait, adm, meta] = keys(eventId);
      const res = await r.queuePlace(wait, adm, meta, userId);
      if (res[0] === 'admitted') return { state: 'admitted', expiresAtMs: Number(res[1]) };
      if (res[0] === 'none') return { state: 'none' };
      return { state: 'waiting', ahead: Number(res[1]), waiting: Number(res[2]), ratePerSecond: rateOf(res.slice(3)) };
    },
    async leave(eventId, userId) {
      const [wait, adm, meta] = keys(eventId);
      return (await r.queueLeave(wait, adm, meta, userId)) > 0;
    },
    async admit(eventId, request: AdmitRequest): Promise<Admitted> {
      const [wait, adm, meta] = keys(eventId);
      const res =
        request.mode === 'now'
          ? await r.queueAdmit(wait, adm, meta, 'now', String(request.count), String(request.ttlMs), '0')
          : await r.queueAdmit(wait, adm, meta, 'paced', String(request.ratePerSecond), String(request.ttlMs), String(request.maxActive));
      return { expiresAtMs: Number(res[0]), userIds: res.slice(1) };
    },
    async endAdmission(eventId, userId) {
      return (await redis.zrem(keys(eventId)[1], userId)) > 0;
    },
    async admissionExpiry(eventId, userId) {
      const score = await redis.zscore(keys(eventId)[1], userId);
      return score === null ? null : Number(score);
    },
    async stats(eventId): Promise<LineStats> {
      const [wait, adm, meta] = keys(eventId);
      const res = await r.queueStats(wait, adm, meta);
      return { waiting: Number(res[0]), active: Number(res[1]), admittedTotal: Number(res[2]), ratePerSecond: rateOf(res.slice(3)) };
    },
    async claimAnnouncement(eventId, intervalMs, tiers): Promise<Announcement | null> {
      const [wait, adm, meta, lock] = keys(eventId);
      const tierArgs = tiers.flatMap((t) => [String(t.limit), String(t.everyMs)]);
      const res = await r.queueAnnounce(wait, adm, meta, lock, String(intervalMs), ...tierArgs);
      if (!res) return null;
      return { ratePerSecond: rateOf([res[0], res[1], res[2]]), userIds: res[3] };
    },
    async clear(eventId) {
      await redis.del(...keys(eventId));
    },
  };
}
