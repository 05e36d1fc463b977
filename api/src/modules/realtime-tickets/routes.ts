import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AUTH_PROBLEMS, problems } from '../../schemas.js';
import { RealtimeTicket } from './schemas.js';
import type { RealtimeTicketService } from './service.js';

export const realtimeTicketRoutes: FastifyPluginAsyncTypebox<{ service: RealtimeTicketService; ttlSeconds: number }> = async (
  app,
  { service, ttlSeconds },
) => {
  app.addSchema(RealtimeTicket);
  app.post(
    '/realtime/tickets',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'createRealtimeTicket',
        tags: ['realtime'],
        summary: 'A one-time ticket to open the realtime channel as yourself',
        description: `Open \`/v1/realtime?ticket=…\` with it within ${ttlSeconds} s (REALTIME_TICKET_TTL_SECONDS); it works once. This keeps the JWT out of URLs, which proxies log. \`url\`, when present, is the realtime listener to prefer over the API port.`,
        security: [{ bearer: [] }],
        response: { 201: Type.Ref('RealtimeTicket'), ...problems(...AUTH_PROBLEMS, 'SERVICE_UNAVAILABLE') },
      },
    },
    async (request, reply) => reply.status(201).send(await service.issue(request.principal!.userId)),
  );
};
