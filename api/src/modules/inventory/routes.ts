import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import { ADMIN_PROBLEMS, AUTH_PROBLEMS, Page, StrictObject, TOKEN_PATTERN, Uuid, problems } from '../../schemas.js';
import {
  CancelEventBody,
  CancelReservationBody,
  CreateReservationBody,
  EventCancellation,
  Hold,
  HoldsQuery,
  createComplimentaryBody,
  HeldSeat,
  HoldItem,
  MapSeat,
  MyReservationsQuery,
  Reservation,
  ReservationItem,
  ReservationsQuery,
  SeatGeometry,
  SeatGeometryQuery,
  SeatMap,
  SeatStatusQuery,
  SeatStatuses,
  createHoldBody,
} from './schemas.js';
import { AppError } from '../../errors.js';
import { CachedBody, sendCached } from './cached-body.js';
import type { SeatViews } from './seat-views.js';
import type { InventoryService } from './service.js';
import type { QueueService } from '../queue/service.js';

/** The 304 of the cached reads (If-None-Match). */
export const NOT_MODIFIED = { 304: Type.Null({ description: 'Not modified: the copy named in If-None-Match is current' }) };

export const inventoryRoutes: FastifyPluginAsyncTypebox<{
  service: InventoryService;
  config: Config;
  views: SeatViews;
  /** The waiting room: holds need its admission while an event's queue is on; a release ends it. */
  queue?: Pick<QueueService, 'requireAdmission' | 'endAdmission'>;
}> = async (app, { service, config, views, queue }) => {
  for (const schema of [
    MapSeat,
    SeatMap,
    SeatGeometry,
    SeatStatuses,
    HeldSeat,
    HoldItem,
    Hold,
    ReservationItem,
    Reservation,
    EventCancellation,
  ])
    app.addSchema(schema);
  // Metrics of the routes that write their cached answers themselves (cached-body.ts).
  const recorded = (path: string) => app.answerRecorder(`${app.prefix}${path}`);
  const seatsRecord = recorded('/events/:eventId/seats');
  const geometryRecord = recorded('/events/:eventId/seats/geometry');
  const statusRecord = recorded('/events/:eventId/seats/status');
  const view = async (eventId: string) => {
    const found = await views.get(eventId);
    if (!found) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
    return found;
  };
  const HoldRef = Type.Ref('Hold');
  const ReservationRef = Type.Ref('Reservation');
  const security = [{ bearer: [] }];

  app.get(
    '/events/:eventId/seats',
    {
      schema: {
        operationId: 'getSeatMap',
        tags: ['seats'],
        summary: 'The seat map with its version (one snapshot)',
        description:
          'Served from memory at a seat version and kept current from the live channel; ETag/If-None-Match, gzip and brotli. For drawing and for large venues, GET .../seats/geometry once and .../seats/status by version instead.',
        params: StrictObject({ eventId: Uuid() }),
        response: { 200: Type.Ref('SeatMap'), ...NOT_MODIFIED, ...problems('EVENT_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const v = await view(request.params.eventId);
      await sendCached(request, reply, v.full(), seatsRecord);
      views.touch(v);
      return reply;
    },
  );

  app.get(
    '/events/:eventId/seats/geometry',
    {
      schema: {
        operationId: 'getSeatGeometry',
        tags: ['seats'],
        summary: 'Where every seat is and what it costs: ids, section, row, number, label, ticket type, price, x/y',
        description:
          'Changes only when the catalog does (a seated ticket type repriced). With ?v=<geometryVersion> the answer is immutable and cacheable for a year; without, it is revalidated (ETag).',
        params: StrictObject({ eventId: Uuid() }),
        querystring: SeatGeometryQuery,
        response: { 200: Type.Ref('SeatGeometry'), ...NOT_MODIFIED, ...problems('EVENT_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const v = await view(request.params.eventId);
      const geometry = v.geometry();
      await sendCached(request, reply, request.query.v === v.geometryVersion ? geometry.immutable : geometry.latest, geometryRecord);
      views.touch(v);
      return reply;
    },
  );

  app.get(
    '/events/:eventId/seats/status',
    {
      schema: {
        operationId: 'getSeatStatuses',
        tags: ['seats'],
        summary: 'Seat statuses by version: all of them (one character per seat), or only the changes since a version you have',
        params: StrictObject({ eventId: Uuid() }),
        querystring: SeatStatusQuery,
        response: { 200: Type.Ref('SeatStatuses'), ...NOT_MODIFIED, ...problems('EVENT_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const v = await view(request.params.eventId);
      const since = request.query.since;
      const changes = since === undefined ? undefined : v.changesSince(since);
      if (!changes) {
        await sendCached(request, reply, v.compact(), statusRecord);
        views.touch(v);
        return reply;
      }
      const body = CachedBody.json(
        {
          eventId: v.eventId,
          version: v.version,
          geometryVersion: v.geometryVersion,
          full: false,
          changes: changes.map((c) => ({ version: c.version, type: c.type, seatIds: c.seatIds })),
        },
        `c-${v.geometryVersion}-${since}-${v.version}`,
      );
      return sendCached(request, reply, body, statusRecord);
    },
  );

  app.post(
    '/events/:eventId/holds',
    {
      onRequest: app.auth.user,
      // Before the Idempotency-Key is claimed, so a refusal is not replayed once the buyer is admitted.
      preHandler: async (request) =>
        queue?.requireAdmission(request.params.eventId, request.principal!.userId, request.headers['x-queue-token']),
      config: { idempotent: true },
      schema: {
        operationId: 'createHold',
        tags: ['holds'],
        summary: 'Hold seats or general-admission tickets, all or none',
        description: `Holds last ${config.HOLD_TTL_SECONDS} s by default (HOLD_TTL_SECONDS). At most MAX_TICKETS_PER_USER tickets per customer and event, counting active holds and live reservations. Rules beyond the schema: 400 VALIDATION_FAILED when \`items\` lists a ticket type twice or names a seated type (seats are held by \`seatIds\`); 400 SEAT_NOT_FOUND for a seat of another event.`,
        security,
        params: StrictObject({ eventId: Uuid() }),
        headers: Type.Object({
          'x-queue-token': Type.Optional(
            Type.String({
              maxLength: 2048,
              pattern: TOKEN_PATTERN,
              description: "The waiting room's admission (`admission.token`), needed while the event's queue is on",
            }),
          ),
        }),
        body: createHoldBody(config.MAX_TICKETS_PER_USER),
        response: {
          201: HoldRef,
          ...problems(
            ...AUTH_PROBLEMS,
            'QUEUE_ADMISSION_REQUIRED',
            'EVENT_NOT_FOUND',
            'EVENT_NOT_ON_SALE',
            'SEAT_NOT_FOUND',
            'SEAT_UNAVAILABLE',
            'TICKET_LIMIT_EXCEEDED',
            'HOLD_LIMIT_EXCEEDED',
            'SOLD_OUT',
            'TICKET_TYPE_NOT_FOUND',
            'IDEMPOTENCY_KEY_REUSED',
            'IDEMPOTENCY_KEY_IN_USE',
            'INVALID_IDEMPOTENCY_KEY',
          ),
        },
      },
    },
    async (request, reply) => {
      const hold = await service.createHold(
        { userId: request.principal!.userId, eventId: request.params.eventId, ...request.body },
        request.ip,
      );
      return reply.status(201).send(hold);
    },
  );

  app.get(
    '/holds/:holdId',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'getHold',
        tags: ['holds'],
        summary: 'One of your holds (any hold for admins)',
        security,
        params: StrictObject({ holdId: Uuid() }),
        response: { 200: HoldRef, ...problems(...AUTH_PROBLEMS, 'HOLD_NOT_FOUND') },
      },
    },
    async (request) => service.getHold(request.principal!, request.params.holdId),
  );

  app.get(
    '/holds',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'listHolds',
        tags: ['holds'],
        summary: 'All holds, newest first (admin): find a stuck hold, then release it with DELETE /v1/holds/{holdId}',
        security,
        querystring: HoldsQuery,
        response: { 200: Page(HoldRef, 'HoldPage'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) => service.listHolds(request.query, request.query.limit ?? 50, request.query.cursor),
  );

  app.delete(
    '/holds/:holdId',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'releaseHold',
        tags: ['holds'],
        summary: 'Release a hold early (yours, or any for admins): its seats and quantities are free again at once',
        description:
          "Also ends the holder's waiting-room admission for the event (while its queue is on), so the next in line gets in: hold new seats before releasing old ones.",
        security,
        params: StrictObject({ holdId: Uuid() }),
        response: { 200: HoldRef, ...problems(...AUTH_PROBLEMS, 'HOLD_NOT_FOUND', 'HOLD_ALREADY_USED') },
      },
    },
    async (request) => {
      const hold = await service.releaseHold(request.principal!, request.params.holdId);
      // The buyer is done for now: their waiting-room admission ends, and the next in line gets the slot.
      await queue?.endAdmission(hold.eventId, hold.userId);
      return hold;
    },
  );

  app.post(
    '/reservations',
    {
      onRequest: app.auth.user,
      config: { idempotent: true },
      schema: {
        operationId: 'createReservation',
        tags: ['reservations'],
        summary: 'Turn a hold into a pending reservation',
        description: `The reservation waits ${config.RESERVATION_TTL_SECONDS} s by default (RESERVATION_TTL_SECONDS) for payment, then expires and releases its seats.`,
        security,
        body: CreateReservationBody,
        response: {
          201: ReservationRef,
          ...problems(
            ...AUTH_PROBLEMS,
            'HOLD_NOT_FOUND',
            'HOLD_EXPIRED',
            'HOLD_ALREADY_USED',
            'EVENT_NOT_ON_SALE',
            'IDEMPOTENCY_KEY_REUSED',
            'IDEMPOTENCY_KEY_IN_USE',
            'INVALID_IDEMPOTENCY_KEY',
          ),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await service.createReservation(request.principal!.userId, request.body.holdId)),
  );

  // Any other method on this path would reach GET /reservations/:reservationId and answer 400 for
  // the id "complimentary": answer 405 with Allow, as every other path does.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/reservations/complimentary',
    schema: { hide: true },
    handler: async (request, reply) => {
      reply.header('allow', 'POST');
      throw new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use POST`);
    },
  });

  app.post(
    '/reservations/complimentary',
    {
      onRequest: app.auth.admin,
      config: { idempotent: true },
      schema: {
        operationId: 'createComplimentaryReservation',
        tags: ['reservations'],
        summary: 'Issue complimentary tickets to a user: a confirmed reservation at price 0, without a payment (admin)',
        description:
          'Seats are taken only if free (available, or held by an expired hold), all or none, under the same lock as holds: a seat is never in two live reservations. Not counted against MAX_TICKETS_PER_USER. Refused for a cancelled or ended event (EVENT_NOT_ON_SALE). Rules beyond the schema: 400 VALIDATION_FAILED without exactly one of seatIds or items, or with a ticket type twice or a seated type in items; 400 SEAT_NOT_FOUND for a seat of another event.',
        security,
        body: createComplimentaryBody(100),
        response: {
          201: ReservationRef,
          ...problems(
            ...ADMIN_PROBLEMS,
            'EVENT_NOT_FOUND',
            'EVENT_NOT_ON_SALE',
            'USER_NOT_FOUND',
            'SEAT_NOT_FOUND',
            'SEAT_UNAVAILABLE',
            'SOLD_OUT',
            'TICKET_TYPE_NOT_FOUND',
            'IDEMPOTENCY_KEY_REUSED',
            'IDEMPOTENCY_KEY_IN_USE',
            'INVALID_IDEMPOTENCY_KEY',
          ),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await service.issueComplimentary(request.principal!.userId, request.body)),
  );

  app.post(
    '/events/:eventId/cancel',
    {
      onRequest: app.auth.admin,
      config: { idempotent: true },
      schema: {
        operationId: 'cancelEvent',
        tags: ['events'],
        summary: 'Cancel an event: its holds are released, pending reservations end, confirmed ones are refunded in full (admin)',
        description:
          'The event becomes `cancelled` at once (no more holds or sales). The work then runs in the background (sweeper role) and this answers with the progress after a first pass of at most a few seconds; poll GET /v1/events/{eventId}/cancellation until `status` is not `in_progress`. A refund the provider refuses or cannot make leaves that reservation confirmed and paid, and lists it under `refundFailures` (the failure is also kept on the payment); nothing is lost, and calling this again retries those refunds. Calling it again is always safe. 409 INVALID_STATUS_TRANSITION for an ended event.',
        security,
        params: StrictObject({ eventId: Uuid() }),
        body: CancelEventBody,
        response: {
          200: Type.Ref('EventCancellation'),
          ...problems(
            ...ADMIN_PROBLEMS,
            'EVENT_NOT_FOUND',
            'INVALID_STATUS_TRANSITION',
            'IDEMPOTENCY_KEY_REUSED',
            'IDEMPOTENCY_KEY_IN_USE',
            'INVALID_IDEMPOTENCY_KEY',
          ),
        },
      },
    },
    async (request) => service.cancelEvent(request.principal!.userId, request.params.eventId, request.body?.reason),
  );

  app.get(
    '/events/:eventId/cancellation',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'getEventCancellation',
        tags: ['events'],
        summary: "Progress of an event's cancellation (admin)",
        security,
        params: StrictObject({ eventId: Uuid() }),
        response: { 200: Type.Ref('EventCancellation'), ...problems(...ADMIN_PROBLEMS, 'CANCELLATION_NOT_FOUND') },
      },
    },
    async (request) => service.eventCancellation(request.params.eventId),
  );

  app.get(
    '/reservations/:reservationId',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'getReservation',
        tags: ['reservations'],
        summary: 'A reservation (yours, or any for admins)',
        security,
        params: StrictObject({ reservationId: Uuid() }),
        response: { 200: ReservationRef, ...problems(...AUTH_PROBLEMS, 'RESERVATION_NOT_FOUND') },
      },
    },
    async (request) => service.getReservation(request.principal!, request.params.reservationId),
  );

  app.post(
    '/reservations/:reservationId/cancel',
    {
      onRequest: app.auth.user,
      config: { idempotent: true },
      schema: {
        operationId: 'cancelReservation',
        tags: ['reservations'],
        summary: 'Cancel a reservation: seats released, general-admission quantities restored',
        description:
          'A pending reservation is released at once. A confirmed one is refunded in full through its payment first (owners until PAYMENT_REFUND_WINDOW_HOURS before the event, admins always); if the refund fails it stays confirmed. Cancelling a cancelled reservation changes nothing.',
        security,
        params: StrictObject({ reservationId: Uuid() }),
        body: CancelReservationBody,
        response: {
          200: ReservationRef,
          ...problems(
            ...AUTH_PROBLEMS,
            'RESERVATION_NOT_FOUND',
            'RESERVATION_NOT_CANCELLABLE',
            'REFUND_WINDOW_CLOSED',
            'REFUND_REJECTED',
            'PAYMENT_PROVIDER_UNAVAILABLE',
            'IDEMPOTENCY_KEY_REUSED',
            'IDEMPOTENCY_KEY_IN_USE',
            'INVALID_IDEMPOTENCY_KEY',
          ),
        },
      },
    },
    async (request) => service.cancelReservation(request.principal!, request.params.reservationId, request.body?.reason),
  );

  const page = (
    filter: { userId?: string; eventId?: string; status?: string; email?: string },
    query: { limit?: number; cursor?: string },
  ) => service.listReservations(filter, query.limit ?? 50, query.cursor);

  app.get(
    '/me/reservations',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'listMyReservations',
        tags: ['reservations'],
        summary: 'Your reservations, newest first',
        security,
        querystring: MyReservationsQuery,
        response: { 200: Page(ReservationRef, 'ReservationPage'), ...problems(...AUTH_PROBLEMS) },
      },
    },
    async (request) =>
      page({ userId: request.principal!.userId, eventId: request.query.eventId, status: request.query.status }, request.query),
  );

  app.get(
    '/reservations',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'listReservations',
        tags: ['reservations'],
        summary: 'All reservations, newest first (admin)',
        security,
        querystring: ReservationsQuery,
        response: { 200: Page(ReservationRef, 'ReservationPage'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) =>
      page(
        { userId: request.query.userId, eventId: request.query.eventId, status: request.query.status, email: request.query.email },
        request.query,
      ),
  );
};
