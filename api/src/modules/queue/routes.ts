import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ADMIN_PROBLEMS, AUTH_PROBLEMS, StrictObject, Uuid, problems } from '../../schemas.js';
import { AdmitBody, AdmitResult, Admission, QueuePlace, QueueSettings, QueueSettingsPatch } from './schemas.js';
import type { QueueService } from './service.js';

export const queueRoutes: FastifyPluginAsyncTypebox<{ service: QueueService }> = async (app, { service }) => {
  for (const schema of [QueueSettings, Admission, QueuePlace, AdmitResult]) app.addSchema(schema);
  const security = [{ bearer: [] }];
  const params = StrictObject({ eventId: Uuid() });
  const tags = ['queue'];

  app.get(
    '/events/:eventId/queue',
    {
      schema: {
        operationId: 'getQueue',
        tags,
        summary: "The event's waiting room: settings and the line now",
        params,
        response: { 200: Type.Ref('QueueSettings'), ...problems('EVENT_NOT_FOUND', 'SERVICE_UNAVAILABLE') },
      },
    },
    async (request) => service.getSettings(request.params.eventId),
  );

  app.patch(
    '/events/:eventId/queue',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'updateQueue',
        tags,
        summary: 'Configure the waiting room: on or off, pause or resume, pace, admission lifetime, order (admin)',
        description:
          'While `enabled`, holds of the event need an admission (X-Queue-Token). Switching it off forgets the line. A change reaches every API instance at once.',
        security,
        params,
        body: QueueSettingsPatch,
        response: { 200: Type.Ref('QueueSettings'), ...problems(...ADMIN_PROBLEMS, 'EVENT_NOT_FOUND', 'SERVICE_UNAVAILABLE') },
      },
    },
    async (request) => service.updateSettings(request.params.eventId, request.body),
  );

  const placeProblems = problems(...AUTH_PROBLEMS, 'EVENT_NOT_FOUND', 'QUEUE_NOT_ENABLED', 'SERVICE_UNAVAILABLE');

  app.post(
    '/events/:eventId/queue/join',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'joinQueue',
        tags,
        summary: 'Join the line (idempotent: rejoining keeps your place)',
        description:
          'Answers your place; once admitted, `admission.token` goes in the X-Queue-Token header of your holds. Follow the line live on the realtime topic `queue.{eventId}`.',
        security,
        params,
        response: { 200: Type.Ref('QueuePlace'), ...placeProblems },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.join(request.params.eventId, request.principal!.userId);
    },
  );

  app.get(
    '/events/:eventId/queue/me',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'getMyQueuePlace',
        tags,
        summary: 'Your place in line, or your admission',
        security,
        params,
        response: {
          200: Type.Ref('QueuePlace'),
          ...problems(...AUTH_PROBLEMS, 'EVENT_NOT_FOUND', 'QUEUE_NOT_ENABLED', 'QUEUE_NOT_JOINED', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.me(request.params.eventId, request.principal!.userId);
    },
  );

  app.delete(
    '/events/:eventId/queue/me',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'leaveQueue',
        tags,
        summary: 'Leave the line, or give up your admission (leaving twice is fine)',
        security,
        params,
        response: { 204: Type.Null({ description: 'Left' }), ...placeProblems },
      },
    },
    async (request, reply) => {
      await service.leave(request.params.eventId, request.principal!.userId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/events/:eventId/queue/admit',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'admitFromQueue',
        tags,
        summary: 'Admit the next `count` in line now, whatever the pace, pause or maxActive (admin)',
        security,
        params,
        body: AdmitBody,
        response: {
          200: Type.Ref('AdmitResult'),
          ...problems(...ADMIN_PROBLEMS, 'EVENT_NOT_FOUND', 'QUEUE_NOT_ENABLED', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request) => service.admitNow(request.params.eventId, request.body.count),
  );
};
