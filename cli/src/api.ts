// The API calls the catalog, inventory and payments commands make, in one place, over the SDK's namespaces.
// Bodies come from the user's file unchecked: the API validates them and answers VALIDATION_FAILED
// naming the field, so they are passed on as they are.
import type {
  CancelReservationBody,
  CreateEventBody,
  CreateKeywordMappingBody,
  CreateNewsBody,
  CreateSeatLayoutBody,
  CreateTicketTypeBody,
  ListEventsQuery,
  ListPaymentsQuery,
  ListReservationsQuery,
  RefundPaymentBody,
  CallInit,
  Hold,
  operations,
  Page,
  Tiketi,
  UpdateEventBody,
  UpdateNewsBody,
  UpdateTicketTypeBody,
} from '@tiketi/sdk';

export type {
  Event,
  EventDetail,
  KeywordMapping,
  MapSeat,
  News,
  Payment,
  Reservation,
  SeatLayout,
  SeatMap,
  SeatStatus,
  TicketType,
} from '@tiketi/sdk';

/** A request body as read from a file or --data. */
export type Body = Record<string, unknown>;
export type Query = Record<string, string | number | boolean | undefined>;

/** The calls by resource, named as the SDK names them. */
export function catalogApi(client: Tiketi) {
  return {
    events: {
      list: (query: Query) => client.events.list(query as ListEventsQuery),
      get: (eventId: string) => client.events.get(eventId),
      create: (body: Body) => client.events.create(body as CreateEventBody),
      update: (eventId: string, body: Body) => client.events.update(eventId, body as UpdateEventBody),
      delete: (eventId: string) => client.events.delete(eventId),
    },
    seatLayouts: {
      list: (query: Query) => client.seatLayouts.list(query),
      get: (layoutId: string) => client.seatLayouts.get(layoutId),
      create: (body: Body) => client.seatLayouts.create(body as CreateSeatLayoutBody),
      // Routes the SDK has no namespace method for yet go through its typed `request`.
      update: (layoutId: string, body: Body) =>
        client.request((http, init) =>
          http.PATCH('/v1/seat-layouts/{layoutId}', { params: { path: { layoutId } }, body: body as UpdateSeatLayoutBody, ...init }),
        ),
      delete: async (layoutId: string) => {
        await client.request((http, init) => http.DELETE('/v1/seat-layouts/{layoutId}', { params: { path: { layoutId } }, ...init }));
      },
    },
    ticketTypes: {
      list: async (eventId: string) => ({ data: await client.ticketTypes.list(eventId) }),
      create: (eventId: string, body: Body) => client.ticketTypes.create(eventId, body as CreateTicketTypeBody),
      update: (ticketTypeId: string, body: Body) => client.ticketTypes.update(ticketTypeId, body as UpdateTicketTypeBody),
      delete: async (ticketTypeId: string) => {
        await client.request((http, init) =>
          http.DELETE('/v1/ticket-types/{ticketTypeId}', { params: { path: { ticketTypeId } }, ...init }),
        );
      },
    },
    holds: {
      list: (query: Query) =>
        pages<Hold>(client, query, (http, q, init) => http.GET('/v1/holds', { params: { query: q as ListHoldsQuery }, ...init })),
      get: (holdId: string) => client.holds.get(holdId),
    },
    news: {
      list: (query: Query) => client.news.list(query),
      get: (newsId: string) => client.news.get(newsId),
      create: (body: Body) => client.news.create(body as CreateNewsBody),
      update: (newsId: string, body: Body) => client.news.update(newsId, body as UpdateNewsBody),
      delete: (newsId: string) => client.news.delete(newsId),
    },
    keywordMappings: {
      list: (query: Query) => client.keywordMappings.list(query),
      create: (body: Body) => client.keywordMappings.create(body as CreateKeywordMappingBody),
      delete: (mappingId: string) => client.keywordMappings.delete(mappingId),
    },
    seats: {
      map: (eventId: string) => client.seats.map(eventId),
    },
    reservations: {
      list: (query: Query) => client.reservations.list(query as ListReservationsQuery),
      get: (reservationId: string) => client.reservations.get(reservationId),
      cancel: (reservationId: string, body?: CancelReservationBody) => client.reservations.cancel(reservationId, body),
    },
    payments: {
      list: (query: Query) => client.payments.list(query as ListPaymentsQuery),
      get: (orderId: string) => client.payments.get(orderId),
      refund: (paymentKey: string, body: RefundPaymentBody) => client.payments.refund(paymentKey, body),
    },
  };
}

export type CatalogApi = ReturnType<typeof catalogApi>;

type ListHoldsQuery = NonNullable<operations['listHolds']['parameters']['query']>;
export type UpdateSeatLayoutBody = NonNullable<operations['updateSeatLayout']['requestBody']>['content']['application/json'];

/**
 * A list route the SDK has no namespace method for, as the SDK's own lists are: awaitable for the
 * first page and async-iterable over every item of every page (for --all).
 */
function pages<T>(
  client: Tiketi,
  query: Query,
  get: (
    http: Parameters<Parameters<Tiketi['request']>[0]>[0],
    query: Query,
    init: CallInit,
  ) => Promise<{ data?: Page<T>; error?: unknown; response: Response }>,
): PromiseLike<Page<T>> & AsyncIterable<T> {
  const page = (cursor: string | undefined) =>
    client.request((http, init) => get(http, cursor === undefined ? query : { ...query, cursor }, init)) as Promise<Page<T>>;
  return {
    then: (ok, fail) => page(undefined).then(ok, fail),
    async *[Symbol.asyncIterator]() {
      let cursor: string | undefined;
      do {
        const current = await page(cursor);
        yield* current.data;
        cursor = current.nextCursor ?? undefined;
      } while (cursor);
    },
  };
}
