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

const fingerprintOf = (request: FastifyRequest) =>
  createHash('sha256')
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('base64url');

/**
 * Idempotency-Key: the same key and body replay the stored answer (Idempotent-Replayed: true),
 * another body answers 422, a key still in flight 409; answers are kept 24 h. Keys are scoped to
 * the caller, and 5xx answers are not stored so that a retry can succeed.
 */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance, opts: { shared: SharedState }) => {
    const { shared } = opts;
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
      if (await shared.setIfAbsent(storeKey, JSON.stringify(inFlight), IN_FLIGHT_TTL_MS)) {
        request.idempotencyClaim = { storeKey, fingerprint };
        return;
      }
      const raw = await shared.get(storeKey);
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

    /** Stores the answer of a request that claimed its key (5xx: frees the key instead). */
    const store = async (reply: FastifyReply, claim: { storeKey: string; fingerprint: string }, payload: unknown) => {
      const { storeKey, fingerprint } = claim;
      if (reply.statusCode >= 500 || typeof payload !== 'string') {
        await shared.del(storeKey);
        return payload;
      }
      const done: Stored = {
        state: 'done',
        fingerprint,
        status: reply.statusCode,
        contentType: String(reply.getHeader('content-type') ?? 'application/json'),
        body: payload,
      };
      await shared.set(storeKey, JSON.stringify(done), DONE_TTL_MS);
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
      store(reply, claim, payload).then((p) => done(null, p), done);
    };
    // A request that dies before answering frees its key.
    const onRequestAbort: onRequestAbortHookHandler = async (request) => {
      if (request.idempotencyClaim) await shared.del(request.idempotencyClaim.storeKey);
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
