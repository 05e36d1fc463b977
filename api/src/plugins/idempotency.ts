import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SharedState } from '../infra/shared-state.js';
import { sendProblem } from './errors.js';

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

    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.routeOptions.config.idempotent) return;
      const key = request.headers['idempotency-key'];
      if (key === undefined) return;
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        return sendProblem(request, reply, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
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
      if (!stored) return sendProblem(request, reply, 'IDEMPOTENCY_KEY_IN_USE', 'Retry in a moment');
      if (stored.fingerprint !== fingerprint) {
        return sendProblem(request, reply, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
      }
      if (stored.state === 'in_flight') {
        return sendProblem(request, reply, 'IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still being processed');
      }
      return reply
        .status(stored.status!)
        .header('idempotent-replayed', 'true')
        .type(stored.contentType ?? 'application/json')
        .serializer((p: unknown) => p as string)
        .send(stored.body);
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const claim = request.idempotencyClaim;
      if (!claim) return payload;
      request.idempotencyClaim = null;
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
    });

    // A request that dies before answering frees its key.
    app.addHook('onRequestAbort', async (request) => {
      if (request.idempotencyClaim) await shared.del(request.idempotencyClaim.storeKey);
    });
  },
  { name: 'idempotency', dependencies: ['errors'] },
);
