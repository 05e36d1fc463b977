import { createHash } from 'node:crypto';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAbortHookHandler,
  onSendHookHandler,
  preHandlerHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { SharedState } from '../infra/shared-state.js';
import { sendProblem } from './errors.js';
import { withRouteHook } from './route-hooks.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honour the Idempotency-Key header on this route (POSTs that create or move money or seats). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The claimed key and the request's fingerprint, while this request owns the key. */
    idempotencyClaim: { storeKey: string; fingerprint: string } | null;
  }
}

const DONE_TTL_MS = 24 * 60 * 60 * 1000;
// Short, so a crashed request frees its key soon; a live one stays well within it.
const IN_FLIGHT_TTL_MS = 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

interface Stored {
  state: 'in_flight' | 'done';
  fingerprint: string;
  status?: number;
  contentType?: string;
  body?: string;
}

/**
 * Answers worth keeping: successes (a retry must not do it twice) and the refusals that depend on
 * state a retry could find changed (409 taken or limited, 410 expired), so the retry sees the first
 * answer. Not kept: 400/422 (the same body gets the same answer anyway), 401/403/429 (about the
 * caller, not the request), 404 (a flood of random ids would fill the store for nothing) and 5xx.
 */
const worthReplaying = (status: number) => (status >= 200 && status < 300) || status === 409 || status === 410;

// Stores an answer and indexes it under its owner; past the owner's cap, the oldest answers are
// forgotten. (DEL of keys read from the index: fine on a single Redis, not on Redis Cluster.)
const SAVE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
  redis.call('DEL', unpack(old))
end
return 1`;

/**
 * Where answers are kept: Redis (shared by every instance), or an in-process LRU with a maximum
 * size when there is no Redis. When Redis fails, the in-process store stands in: keys are then
 * honoured per instance only (a retry reaching another instance runs again) until Redis is back.
 */
export function createIdempotencyStore(opts: {
  shared: SharedState;
  prefix: string;
  maxPerOwner: number;
  localMax: number;
  onRedisError?: (err: unknown) => void;
}) {
  const owners = new Map<string, Set<string>>();
  const ownerOf = (storeKey: string) => storeKey.split(':', 2)[1]!;
  const local = new LRUCache<string, string>({
    max: opts.localMax,
    ttlAutopurge: false,
    dispose: (_value, key) => {
      const set = owners.get(ownerOf(key));
      set?.delete(key);
      if (set && set.size === 0) owners.delete(ownerOf(key));
    },
  });
  const redis = opts.shared.redis as (Redis & { tiketiIdempotencySave(...args: Array<string | number>): Promise<number> }) | undefined;
  if (redis && typeof redis.tiketiIdempotencySave !== 'function')
    redis.defineCommand('tiketiIdempotencySave', { numberOfKeys: 2, lua: SAVE });

  const localOps = {
    async claim(key: string, value: string) {
      if (local.has(key)) return false;
      local.set(key, value, { ttl: IN_FLIGHT_TTL_MS });
      return true;
    },
    async get(key: string) {
      return local.get(key) ?? null;
    },
    async save(key: string, value: string) {
      local.set(key, value, { ttl: DONE_TTL_MS });
      const owner = ownerOf(key);
      const set = owners.get(owner) ?? new Set<string>();
      owners.set(owner, set);
      set.delete(key);
      set.add(key);
      // A Set iterates in insertion order: the first keys are the oldest.
      for (const oldest of set) {
        if (set.size <= opts.maxPerOwner) break;
        local.delete(oldest); // dispose removes it from the set
        set.delete(oldest);
      }
    },
    async release(key: string) {
      local.delete(key);
    },
  };
  if (!redis) return { ...localOps, size: () => local.size };

  const { shared, prefix } = opts;
  // Each operation on Redis, or on the in-process store when Redis fails.
  const orLocal =
    <A extends unknown[], R>(remote: (...args: A) => Promise<R>, fallback: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (redis.status !== 'ready') return fallback(...args);
      try {
        return await remote(...args);
      } catch (err) {
        opts.onRedisError?.(err);
        return fallback(...args);
      }
    };
  return {
    claim: orLocal((key: string, value: string) => shared.setIfAbsent(key, value, IN_FLIGHT_TTL_MS), localOps.claim),
    get: orLocal(async (key: string) => (await shared.get(key)) ?? (await localOps.get(key)), localOps.get),
    save: orLocal(async (key: string, value: string) => {
      await redis.tiketiIdempotencySave(
        prefix + key,
        `${prefix}idem-owner:${ownerOf(key)}`,
        value,
        DONE_TTL_MS,
        Date.now(),
        opts.maxPerOwner,
      );
    }, localOps.save),
    release: orLocal(async (key: string) => {
      await Promise.all([shared.del(key), localOps.release(key)]);
    }, localOps.release),
    size: () => local.size,
  };
}

const fingerprintOf = (request: FastifyRequest) =>
  createHash('sha256')
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('base64url');

/**
 * Idempotency-Key: the same key and body replay the stored answer (Idempotent-Replayed: true),
 * another body answers 422, a key still in flight 409. Keys are scoped to the caller; answers worth
 * replaying (see worthReplaying) are kept 24 h, at most IDEMPOTENCY_MAX_KEYS_PER_USER per caller
 * (the oldest forgotten first); others free the key so that a retry runs again.
 */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance, opts: { shared: SharedState; prefix: string; maxPerOwner: number; localMax: number }) => {
    const store = createIdempotencyStore({
      ...opts,
      onRedisError: (err) => app.log.warn({ err }, 'idempotency: Redis failed, keys are kept per instance for now'),
    });
    app.decorateRequest('idempotencyClaim', null);

    /** Claims the key or answers for it (then `reply.sent`). Only called when the header is present. */
    const claimOrAnswer = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        sendProblem(request, reply, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
        return;
      }
      const storeKey = `idem:${request.principal?.userId ?? 'anonymous'}:${request.routeOptions.url}:${key}`;
      const fingerprint = fingerprintOf(request);
      const inFlight: Stored = { state: 'in_flight', fingerprint };
      if (await store.claim(storeKey, JSON.stringify(inFlight))) {
        request.idempotencyClaim = { storeKey, fingerprint };
        return;
      }
      const raw = await store.get(storeKey);
      const stored = raw ? (JSON.parse(raw) as Stored) : undefined;
      if (!stored) {
        sendProblem(request, reply, 'IDEMPOTENCY_KEY_IN_USE', 'Retry in a moment');
        return;
      }
      if (stored.fingerprint !== fingerprint) {
        sendProblem(request, reply, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
        return;
      }
      if (stored.state === 'in_flight') {
        sendProblem(request, reply, 'IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still being processed');
        return;
      }
      reply
        .status(stored.status!)
        .header('idempotent-replayed', 'true')
        .type(stored.contentType ?? 'application/json')
        .serializer((p: unknown) => p as string)
        .send(stored.body);
    };

    /** Stores the answer of a request that claimed its key, if worth replaying (otherwise frees the key). */
    const keep = async (reply: FastifyReply, claim: { storeKey: string; fingerprint: string }, payload: unknown) => {
      const { storeKey, fingerprint } = claim;
      if (!worthReplaying(reply.statusCode) || typeof payload !== 'string') {
        await store.release(storeKey);
        return payload;
      }
      const done: Stored = {
        state: 'done',
        fingerprint,
        status: reply.statusCode,
        contentType: String(reply.getHeader('content-type') ?? 'application/json'),
        body: payload,
      };
      await store.save(storeKey, JSON.stringify(done));
      return payload;
    };

    // The hooks go on the idempotent routes only, and a request without the header passes them
    // synchronously: app-wide async hooks (and Fastify's per-request 'close' listener for an
    // onRequestAbort hook) cost every request of every route (GET /health: ~9 µs of API CPU per
    // request on the 2-vCPU bench machine).
    const preHandler: preHandlerHookHandler = (request, reply, done) => {
      if (request.headers['idempotency-key'] === undefined) return done();
      claimOrAnswer(request, reply).then(() => {
        if (!reply.sent) done();
      }, done);
    };
    const onSend: onSendHookHandler = (request, reply, payload, done) => {
      const claim = request.idempotencyClaim;
      if (!claim) return done(null, payload);
      request.idempotencyClaim = null;
      keep(reply, claim, payload).then((p) => done(null, p), done);
    };
    // A request that dies before answering frees its key.
    const onRequestAbort: onRequestAbortHookHandler = async (request) => {
      if (request.idempotencyClaim) await store.release(request.idempotencyClaim.storeKey);
    };
    app.addHook('onRoute', (route) => {
      if (!route.config?.idempotent) return;
      route.preHandler = withRouteHook(route.preHandler, preHandler);
      route.onSend = withRouteHook(route.onSend, onSend);
      route.onRequestAbort = withRouteHook(route.onRequestAbort, onRequestAbort);
    });
  },
  { name: 'idempotency', dependencies: ['errors'] },
);
