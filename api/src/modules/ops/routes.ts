import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../infra/db.js';
import type { SharedState } from '../../infra/shared-state.js';
import { problems } from '../../schemas.js';

const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('down')]), kind: Type.Optional(Type.String()) });

/** Liveness, readiness and metrics, at the root and without auth. */
export const opsRoutes: FastifyPluginAsyncTypebox<{ db: Db; shared: SharedState }> = async (app, { db, shared }) => {
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
        summary: 'Readiness: PostgreSQL and Redis (or the in-process stand-in) are reachable',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Type.Object({ postgres: Check, redis: Check }) }),
          503: Type.Object({ status: Type.Literal('unavailable'), checks: Type.Object({ postgres: Check, redis: Check }) }),
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
      const checks = { postgres: { status: postgres }, redis: { status: redis, kind: shared.kind } };
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
