import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Gauge } from 'prom-client';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Db } from '../../infra/db.js';
import type { SharedState } from '../../infra/shared-state.js';
import { problems } from '../../schemas.js';
import { realtimeTransport } from '../../realtime/server.js';

const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('down')]), kind: Type.Optional(Type.String()) });

const Checks = Type.Object({
  postgres: Check,
  redis: Check,
  /** Which WebSocket transport serves the realtime channel: `native` uWebSockets.js or its `shim` (ws) fallback. */
  realtime: Type.Object({ status: Type.Literal('ok'), kind: Type.Union([Type.Literal('native'), Type.Literal('shim')]) }),
});

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Who may read /metrics: with METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>`
 * (401 otherwise); without it, anyone in development and no one in production (404), where the
 * metrics would tell the public the traffic, the routes and the pool's state.
 */
function metricsGate(config: Pick<Config, 'METRICS_TOKEN' | 'NODE_ENV'>) {
  const expected = config.METRICS_TOKEN === undefined ? undefined : digest(config.METRICS_TOKEN);
  return async (request: FastifyRequest) => {
    if (!expected) {
      if (config.NODE_ENV === 'production') throw new AppError('NOT_FOUND', 'No route for GET /metrics');
      return;
    }
    const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    // Compared as digests, in constant time, so the answer time says nothing about the token.
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new AppError('AUTHENTICATION_REQUIRED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
  };
}

/** Liveness and readiness at the root without auth; metrics behind METRICS_TOKEN (see metricsGate). */
export const opsRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  shared: SharedState;
  config: Pick<Config, 'METRICS_TOKEN' | 'NODE_ENV'>;
}> = async (app, { db, shared, config }) => {
  // The transport is fixed for the process's life: one series, value 1, labelled with it.
  new Gauge({
    name: 'tiketi_realtime_transport',
    help: 'WebSocket transport of the realtime channel (1 for the one in use): native uWebSockets.js build or the ws shim',
    labelNames: ['transport'],
    registers: [app.metrics],
  }).set({ transport: realtimeTransport }, 1);

  app.get(
    '/health',
    {
      // Probes are not rate limited (the limit matches the route, so no query string defeats it).
      config: { rateLimit: false },
      schema: {
        operationId: 'health',
        tags: ['ops'],
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.Literal('ok'), uptimeSeconds: Type.Number() }), ...problems() },
      },
    },
    async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime()) }),
  );

  app.get(
    '/ready',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'ready',
        tags: ['ops'],
        summary: 'Readiness: PostgreSQL and Redis (or the in-process stand-in) are reachable; names the realtime transport',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Checks }),
          503: Type.Object({ status: Type.Literal('unavailable'), checks: Checks }),
          ...problems(),
        },
      },
    },
    async (_request, reply) => {
      const postgres = await db.query('SELECT 1').then(
        () => 'ok' as const,
        () => 'down' as const,
      );
      const redis = (await shared.ping()) ? ('ok' as const) : ('down' as const);
      const checks = {
        postgres: { status: postgres },
        redis: { status: redis, kind: shared.kind },
        realtime: { status: 'ok' as const, kind: realtimeTransport },
      };
      if (postgres === 'ok' && redis === 'ok') return { status: 'ready' as const, checks };
      return reply.status(503).send({ status: 'unavailable' as const, checks });
    },
  );

  app.get(
    '/metrics',
    {
      onRequest: metricsGate(config),
      schema: {
        operationId: 'metrics',
        tags: ['ops'],
        summary: 'Prometheus metrics',
        description:
          'With METRICS_TOKEN set, needs `Authorization: Bearer <METRICS_TOKEN>`; without it, served in development only (404 in production).',
        security: [{ metricsToken: [] }, {}],
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text exposition format' }),
          ...problems('AUTHENTICATION_REQUIRED', 'NOT_FOUND'),
        },
      },
    },
    async (_request, reply) => {
      reply.type(app.metrics.contentType);
      return app.metrics.metrics();
    },
  );
};
