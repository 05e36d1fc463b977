import { Type } from '@sinclair/typebox';
import type { FastifyError } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { validationErrors } from '../../plugins/errors.js';
import { pageOf } from '../../pagination.js';
import { ADMIN_PROBLEMS, ListQuery, Page, StrictObject, Uuid, problems } from '../../schemas.js';
import {
  CreateEventBody,
  CreateKeywordMappingBody,
  CreateNewsBody,
  CreateSeatLayoutBody,
  CreateTicketTypeBody,
  Event,
  EventDetail,
  KeywordMapping,
  ListEventsQuery,
  News,
  SeatLayout,
  TicketType,
  UpdateEventBody,
  UpdateNewsBody,
  UpdateSeatLayoutBody,
  UpdateTicketTypeBody,
} from './schemas.js';
import { NOT_MODIFIED } from '../inventory/routes.js';
import { sendCached } from '../inventory/cached-body.js';
import type { CatalogReads } from './read-cache.js';
import { LAYOUT_PAGES, MAPPING_PAGES, NEWS_PAGES } from './repository.js';
import { toPublicKeywordMapping, toPublicNews, toPublicSeatLayout, type CatalogService } from './service.js';

const admin = [{ bearer: [] }];
const EventParams = StrictObject({ eventId: Uuid() });
const NoContent = Type.Null({ description: 'Deleted' });
// Body limits of the routes whose bodies may be large (the app's default is 64 KiB): room for the
// longest text their schema allows, written as JSON \u escapes.
const EVENT_BODY_LIMIT = 256 * 1024;
const NEWS_BODY_LIMIT = 512 * 1024;
const LAYOUT_BODY_LIMIT = 1024 * 1024;

export const catalogRoutes: FastifyPluginAsyncTypebox<{ service: CatalogService; reads: CatalogReads }> = async (
  app,
  { service, reads },
) => {
  for (const schema of [SeatLayout, TicketType, Event, EventDetail, News, KeywordMapping]) app.addSchema(schema);
  const EventDetailRef = Type.Ref('EventDetail');
  // GET /events/{id} writes its cached answer itself (cached-body.ts); this records it in the metrics.
  const detailRecord = app.answerRecorder(`${app.prefix}/events/:eventId`);

  // ---- events ----

  app.get(
    '/events',
    {
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'List events by date, or search them by title, artist or venue (Korean or English, typos forgiven)',
        description:
          'Without `q`, events come in event-date order. With `q`, the best matches come first; 아이유 also finds IU through keyword mappings.',
        querystring: ListEventsQuery,
        response: { 200: Page(Type.Ref('Event'), 'EventPage'), ...problems() },
      },
    },
    async (request) => {
      const { limit = 50, cursor, ...filter } = request.query;
      // Cached briefly and dropped on any catalog change (read-cache.ts); the key is the validated query.
      return reads.list(JSON.stringify(request.query), () => service.listEvents(filter, limit, cursor));
    },
  );

  app.post(
    '/events',
    {
      onRequest: app.auth.admin,
      bodyLimit: EVENT_BODY_LIMIT,
      config: { idempotent: true },
      schema: {
        operationId: 'createEvent',
        tags: ['events'],
        summary: 'Create an event; with seatLayoutId its seats and seated ticket types come from the layout',
        description: 'Rule beyond the schema: 400 VALIDATION_FAILED when saleEndDate is before saleStartDate.',
        security: admin,
        body: CreateEventBody,
        response: { 201: EventDetailRef, ...problems(...ADMIN_PROBLEMS, 'LAYOUT_NOT_FOUND') },
      },
    },
    async (request, reply) => reply.status(201).send(await service.createEvent(request.body, request.principal!.userId)),
  );

  app.get(
    '/events/:eventId',
    {
      schema: {
        operationId: 'getEvent',
        tags: ['events'],
        summary: 'An event with its ticket types, availability and price range',
        description:
          'Served from memory: seated availability at `seatVersion`, kept current from the live channel; general-admission availability at most a second old. ETag/If-None-Match.',
        params: EventParams,
        response: { 200: EventDetailRef, ...NOT_MODIFIED, ...problems('EVENT_NOT_FOUND') },
      },
    },
    async (request, reply) => sendCached(request, reply, await reads.detail(request.params.eventId), detailRecord),
  );

  app.patch(
    '/events/:eventId',
    {
      onRequest: app.auth.admin,
      bodyLimit: EVENT_BODY_LIMIT,
      schema: {
        operationId: 'updateEvent',
        tags: ['events'],
        summary: "Change an event's details or move its status along the lifecycle",
        description: 'Rule beyond the schema: 400 VALIDATION_FAILED when the sale would end before it starts.',
        security: admin,
        params: EventParams,
        body: UpdateEventBody,
        response: { 200: EventDetailRef, ...problems(...ADMIN_PROBLEMS, 'EVENT_NOT_FOUND', 'INVALID_STATUS_TRANSITION') },
      },
    },
    async (request) => service.updateEvent(request.params.eventId, request.body),
  );

  app.delete(
    '/events/:eventId',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'deleteEvent',
        tags: ['events'],
        summary: 'Delete an event with its seats and ticket types; refused once anything is sold or awaiting payment',
        security: admin,
        params: EventParams,
        response: { 204: NoContent, ...problems(...ADMIN_PROBLEMS, 'EVENT_NOT_FOUND', 'EVENT_HAS_SALES') },
      },
    },
    async (request, reply) => {
      await service.deleteEvent(request.params.eventId);
      return reply.status(204).send(null);
    },
  );

  // ---- ticket types ----

  app.get(
    '/events/:eventId/ticket-types',
    {
      schema: {
        operationId: 'listTicketTypes',
        tags: ['ticket-types'],
        summary: "The event's price categories with quantities",
        params: EventParams,
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref('TicketType')) }, { title: 'TicketTypeList' }),
          ...problems('EVENT_NOT_FOUND'),
        },
      },
    },
    async (request) => ({ data: await service.listTicketTypes(request.params.eventId) }),
  );

  app.post(
    '/events/:eventId/ticket-types',
    {
      onRequest: app.auth.admin,
      config: { idempotent: true },
      schema: {
        operationId: 'createTicketType',
        tags: ['ticket-types'],
        summary: 'Add a seated price category or a general-admission quantity',
        description:
          'Rules beyond the schema: 400 VALIDATION_FAILED when a general-admission type has no totalQuantity or a seated type has one (seated types count their seats).',
        security: admin,
        params: EventParams,
        body: CreateTicketTypeBody,
        response: { 201: Type.Ref('TicketType'), ...problems(...ADMIN_PROBLEMS, 'EVENT_NOT_FOUND', 'TICKET_TYPE_EXISTS') },
      },
    },
    async (request, reply) => reply.status(201).send(await service.createTicketType(request.params.eventId, request.body)),
  );

  app.patch(
    '/ticket-types/:ticketTypeId',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'updateTicketType',
        tags: ['ticket-types'],
        summary: 'Rename, reprice or resize a ticket type; availability moves with a general-admission total',
        description: 'Rule beyond the schema: 400 VALIDATION_FAILED for a totalQuantity on a seated type (it counts its seats).',
        security: admin,
        params: StrictObject({ ticketTypeId: Uuid() }),
        body: UpdateTicketTypeBody,
        response: {
          200: Type.Ref('TicketType'),
          ...problems(...ADMIN_PROBLEMS, 'TICKET_TYPE_NOT_FOUND', 'TICKET_TYPE_IN_USE', 'TICKET_TYPE_EXISTS'),
        },
      },
    },
    async (request) => service.updateTicketType(request.params.ticketTypeId, request.body),
  );

  app.delete(
    '/ticket-types/:ticketTypeId',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'deleteTicketType',
        tags: ['ticket-types'],
        summary: 'Delete a ticket type (with its seats); refused once anything of it was held or sold',
        security: admin,
        params: StrictObject({ ticketTypeId: Uuid() }),
        response: { 204: NoContent, ...problems(...ADMIN_PROBLEMS, 'TICKET_TYPE_NOT_FOUND', 'TICKET_TYPE_IN_USE') },
      },
    },
    async (request, reply) => {
      await service.deleteTicketType(request.params.ticketTypeId);
      return reply.status(204).send(null);
    },
  );

  // ---- seat layouts ----

  app.get(
    '/seat-layouts',
    {
      schema: {
        operationId: 'listSeatLayouts',
        tags: ['seat-layouts'],
        summary: 'Seat layout templates, newest first',
        querystring: StrictObject(ListQuery),
        response: { 200: Page(Type.Ref('SeatLayout'), 'SeatLayoutPage'), ...problems() },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await service.listSeatLayouts(limit + 1, LAYOUT_PAGES.decode(request.query.cursor));
      return pageOf(rows, limit, toPublicSeatLayout);
    },
  );

  app.post(
    '/seat-layouts',
    {
      onRequest: app.auth.admin,
      bodyLimit: LAYOUT_BODY_LIMIT,
      // The body is the layout: schema errors answer INVALID_LAYOUT too, naming the bad part.
      attachValidation: true,
      schema: {
        operationId: 'createSeatLayout',
        tags: ['seat-layouts'],
        summary: 'Create a seat layout: sections with a price category, a price and rows of seats',
        description:
          'Each section has either `rows` + `seatsPerRow` (rows labelled A, B, …) or `rowList` with a label and seat count per row. Seats are labelled `{section}-{row}-{number}`.',
        security: admin,
        body: CreateSeatLayoutBody,
        response: { 201: Type.Ref('SeatLayout'), ...problems(...ADMIN_PROBLEMS, 'INVALID_LAYOUT', 'LAYOUT_NAME_TAKEN') },
      },
    },
    async (request, reply) => {
      const invalid = request.validationError as (Error & Pick<FastifyError, 'validation' | 'validationContext'>) | undefined;
      if (invalid) throw new AppError('INVALID_LAYOUT', 'The seat layout has errors; see errors[]', { errors: validationErrors(invalid) });
      return reply.status(201).send(await service.createSeatLayout(request.body));
    },
  );

  app.get(
    '/seat-layouts/:layoutId',
    {
      schema: {
        operationId: 'getSeatLayout',
        tags: ['seat-layouts'],
        summary: 'A seat layout with its sections and seat counts',
        params: StrictObject({ layoutId: Uuid() }),
        response: { 200: Type.Ref('SeatLayout'), ...problems('LAYOUT_NOT_FOUND') },
      },
    },
    async (request) => service.getSeatLayout(request.params.layoutId),
  );

  app.patch(
    '/seat-layouts/:layoutId',
    {
      onRequest: app.auth.admin,
      bodyLimit: LAYOUT_BODY_LIMIT,
      // The body is (part of) the layout: schema errors answer INVALID_LAYOUT too, naming the bad part.
      attachValidation: true,
      schema: {
        operationId: 'updateSeatLayout',
        tags: ['seat-layouts'],
        summary: 'Change a seat layout; refused once an event uses it',
        description:
          '`sections`, when given, replaces all sections. Events made from a layout keep their seats, so a used layout is frozen.',
        security: admin,
        params: StrictObject({ layoutId: Uuid() }),
        body: UpdateSeatLayoutBody,
        response: {
          200: Type.Ref('SeatLayout'),
          ...problems(...ADMIN_PROBLEMS, 'LAYOUT_NOT_FOUND', 'INVALID_LAYOUT', 'LAYOUT_NAME_TAKEN', 'LAYOUT_IN_USE'),
        },
      },
    },
    async (request) => {
      const invalid = request.validationError as (Error & Pick<FastifyError, 'validation' | 'validationContext'>) | undefined;
      if (invalid && invalid.validationContext !== 'body') throw invalid;
      if (invalid) throw new AppError('INVALID_LAYOUT', 'The seat layout has errors; see errors[]', { errors: validationErrors(invalid) });
      return service.updateSeatLayout(request.params.layoutId, request.body);
    },
  );

  app.delete(
    '/seat-layouts/:layoutId',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'deleteSeatLayout',
        tags: ['seat-layouts'],
        summary: 'Delete a seat layout; refused once an event uses it',
        security: admin,
        params: StrictObject({ layoutId: Uuid() }),
        response: { 204: NoContent, ...problems(...ADMIN_PROBLEMS, 'LAYOUT_NOT_FOUND', 'LAYOUT_IN_USE') },
      },
    },
    async (request, reply) => {
      await service.deleteSeatLayout(request.params.layoutId);
      return reply.status(204).send(null);
    },
  );

  // ---- news ----

  const NewsParams = StrictObject({ newsId: Uuid() });

  app.get(
    '/news',
    {
      schema: {
        operationId: 'listNews',
        tags: ['news'],
        summary: 'Notices: pinned first, then newest',
        querystring: StrictObject(ListQuery),
        response: { 200: Page(Type.Ref('News'), 'NewsPage'), ...problems() },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await service.listNews(limit + 1, NEWS_PAGES.decode(request.query.cursor));
      return pageOf(rows, limit, toPublicNews);
    },
  );

  app.post(
    '/news',
    {
      onRequest: app.auth.admin,
      bodyLimit: NEWS_BODY_LIMIT,
      schema: {
        operationId: 'createNews',
        tags: ['news'],
        summary: 'Publish a notice',
        security: admin,
        body: CreateNewsBody,
        response: { 201: Type.Ref('News'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request, reply) => reply.status(201).send(await service.createNews(request.body, request.principal!.userId)),
  );

  app.get(
    '/news/:newsId',
    {
      schema: {
        operationId: 'getNews',
        tags: ['news'],
        summary: 'Read a notice; counts a view',
        params: NewsParams,
        response: { 200: Type.Ref('News'), ...problems('NEWS_NOT_FOUND') },
      },
    },
    async (request) => service.viewNews(request.params.newsId),
  );

  app.patch(
    '/news/:newsId',
    {
      onRequest: app.auth.admin,
      bodyLimit: NEWS_BODY_LIMIT,
      schema: {
        operationId: 'updateNews',
        tags: ['news'],
        summary: 'Edit, pin or unpin a notice',
        security: admin,
        params: NewsParams,
        body: UpdateNewsBody,
        response: { 200: Type.Ref('News'), ...problems(...ADMIN_PROBLEMS, 'NEWS_NOT_FOUND') },
      },
    },
    async (request) => service.updateNews(request.params.newsId, request.body),
  );

  app.delete(
    '/news/:newsId',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'deleteNews',
        tags: ['news'],
        summary: 'Delete a notice',
        security: admin,
        params: NewsParams,
        response: { 204: NoContent, ...problems(...ADMIN_PROBLEMS, 'NEWS_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await service.deleteNews(request.params.newsId);
      return reply.status(204).send(null);
    },
  );

  // ---- keyword mappings ----

  app.get(
    '/keyword-mappings',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'listKeywordMappings',
        tags: ['keyword-mappings'],
        summary: 'Korean ↔ English search terms, newest first',
        security: admin,
        querystring: StrictObject(ListQuery),
        response: { 200: Page(Type.Ref('KeywordMapping'), 'KeywordMappingPage'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await service.listKeywordMappings(limit + 1, MAPPING_PAGES.decode(request.query.cursor));
      return pageOf(rows, limit, toPublicKeywordMapping);
    },
  );

  app.post(
    '/keyword-mappings',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'createKeywordMapping',
        tags: ['keyword-mappings'],
        summary: 'Map a Korean search term to an English one (아이유 ↔ IU); search then finds either way',
        security: admin,
        body: CreateKeywordMappingBody,
        response: { 201: Type.Ref('KeywordMapping'), ...problems(...ADMIN_PROBLEMS, 'KEYWORD_MAPPING_EXISTS') },
      },
    },
    async (request, reply) => reply.status(201).send(await service.createKeywordMapping(request.body)),
  );

  app.delete(
    '/keyword-mappings/:mappingId',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'deleteKeywordMapping',
        tags: ['keyword-mappings'],
        summary: 'Remove a keyword mapping',
        security: admin,
        params: StrictObject({ mappingId: Uuid() }),
        response: { 204: NoContent, ...problems(...ADMIN_PROBLEMS, 'KEYWORD_MAPPING_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await service.deleteKeywordMapping(request.params.mappingId);
      return reply.status(204).send(null);
    },
  );
};
