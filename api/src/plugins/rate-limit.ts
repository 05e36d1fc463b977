import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { Config } from '../config.js';
import type { Counters } from '../infra/counters.js';
import { withRouteHook } from './route-hooks.js';

// Sign-in routes get a second, stricter limit against credential stuffing and password guessing.
const CREDENTIAL_ROUTES = new Set(['/v1/auth/login', '/v1/auth/register', '/v1/auth/google']);

/** The client's address as a limit key; IPv6 clients by /64, since one host usually owns a whole /64. */
export const clientKey = (request: FastifyRequest) => `ip:${normalizeIP(request.ip)}`;

/**
 * What a request is counted against: its verified user or API key, otherwise its address. Only a
 * credential the auth hooks accepted sets `request.principal`, so an unverifiable Authorization
 * header falls back to the address and never earns a fresh bucket.
 */
const identityKey = (request: FastifyRequest) => {
  const p = request.principal;
  if (!p) return clientKey(request);
  return p.apiKeyId ? `key:${p.apiKeyId}` : `user:${p.userId}`;
};

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type LimitResult = Awaited<ReturnType<Limiter>>;

function rateLimited(reply: FastifyReply, result: Extract<LimitResult, { isAllowed: false }>): Error {
  reply.header('ratelimit-limit', result.max);
  reply.header('ratelimit-remaining', 0);
  reply.header('ratelimit-reset', result.ttlInSeconds);
  reply.header('retry-after', Math.max(1, result.ttlInSeconds));
  // The error handler turns a 429 into RATE_LIMITED with retryAfterSeconds from Retry-After.
  return Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 });
}

/** Runs one route-level onRequest hook, async or callback style. */
function runHook(hook: onRequestHookHandler, self: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => (err ? reject(err) : resolve());
    try {
      const out = (hook as (...args: unknown[]) => unknown).call(self, request, reply, done);
      if (out && typeof (out as Promise<void>).then === 'function') (out as Promise<void>).then(() => resolve(), reject);
      else if (hook.length < 3) resolve();
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * Rate limits, with @fastify/rate-limit's windows over our counters (Redis, falling back to
 * per-instance counters when Redis is unreachable):
 * - every route, RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS per verified user or API key, otherwise per
 *   address. The limit runs AFTER the route's own onRequest hooks (authentication), so it can key by
 *   the verified principal; a request those hooks refuse is still counted (by address) and answered
 *   429 once the address is over its limit. Routes with `config.rateLimit: false` (probes) and CORS
 *   preflights are not counted.
 * - sign-in routes (login, register, Google), also AUTH_RATE_LIMIT_PER_IP per address and
 *   AUTH_RATE_LIMIT_PER_ACCOUNT per email per AUTH_RATE_LIMIT_WINDOW_MS, every attempt counted.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: { config: Config; counters: Counters }) => {
    const { config, counters } = opts;
    class CounterStore {
      constructor(private readonly bucket = 'api:') {}
      incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, windowMs: number) {
        counters.incr(this.bucket + key, windowMs).then((r) => cb(null, r), cb);
      }
      read(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, windowMs: number) {
        counters.read(this.bucket + key, windowMs).then((r) => cb(null, r), cb);
      }
      child(options: { bucket?: string }) {
        return new CounterStore(options.bucket ?? this.bucket);
      }
    }
    await app.register(rateLimit, { global: false, store: CounterStore as never });

    const make = (bucket: string, max: number, timeWindow: number, keyGenerator: (r: FastifyRequest) => string) =>
      app.createRateLimit({ max, timeWindow, keyGenerator, bucket } as Parameters<FastifyInstance['createRateLimit']>[0]);
    const api = make('api:', config.RATE_LIMIT_MAX, config.RATE_LIMIT_WINDOW_MS, identityKey);
    const signInByIp = make('signin:', config.AUTH_RATE_LIMIT_PER_IP, config.AUTH_RATE_LIMIT_WINDOW_MS, clientKey);
    const signInByAccount = make('signin:', config.AUTH_RATE_LIMIT_PER_ACCOUNT, config.AUTH_RATE_LIMIT_WINDOW_MS, (request) => {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      return `account:${typeof email === 'string' ? email.trim().toLowerCase() : ''}`;
    });

    const enforce = async (request: FastifyRequest, reply: FastifyReply) => {
      const result = await api(request);
      if (result.isAllowed) return;
      if (result.isExceeded) throw rateLimited(reply, result);
      reply.header('ratelimit-limit', result.max);
      reply.header('ratelimit-remaining', result.remaining);
      reply.header('ratelimit-reset', result.ttlInSeconds);
    };

    const signInLimit: preValidationHookHandler = async (request, reply) => {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      const results = await Promise.all([signInByIp(request), typeof email === 'string' ? signInByAccount(request) : undefined]);
      const over = results.find((r): r is Extract<LimitResult, { isAllowed: false }> => !!r && !r.isAllowed && r.isExceeded);
      if (over) throw rateLimited(reply, over);
    };

    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (methods.every((m) => m === 'OPTIONS') || route.config?.rateLimit === false) return;
      const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
      const limited: onRequestHookHandler = async function (this: FastifyInstance, request, reply) {
        let refused: unknown;
        for (const hook of own) {
          try {
            await runHook(hook as onRequestHookHandler, this, request, reply);
          } catch (err) {
            refused = err;
            break;
          }
          if (reply.sent) return;
        }
        await enforce(request, reply);
        if (refused) throw refused;
      };
      route.onRequest = [limited];
      if (CREDENTIAL_ROUTES.has(route.url)) route.preValidation = withRouteHook(route.preValidation, signInLimit);
    });
  },
  { name: 'rate-limit', dependencies: ['errors'] },
);

/** Fastify's `trustProxy` from TRUST_PROXY: false, a hop count, or the proxies' addresses and CIDRs. */
export function trustProxyOption(value: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'off') return false;
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.split(',').map((s) => s.trim());
}
