import { Type } from '@sinclair/typebox';
import { Gauge } from 'prom-client';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
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

/** Liveness, readiness and metrics, at the root and without auth. */
export const opsRoutes: FastifyPluginAsyncTypebox<{ db: Db; shared: SharedState }> = async (app, { db, shared }) => {
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
      schema: {
        operationId: 'metrics',
        tags: ['ops'],
        summary: 'Prometheus metrics',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format' }), ...problems() },
      },
    },
    async (_request, reply) => {
      reply.type(app.metrics.contentType);
      return app.metrics.metrics();
    },
  );
};
