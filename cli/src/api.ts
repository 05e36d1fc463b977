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
    },
    ticketTypes: {
      list: async (eventId: string) => ({ data: await client.ticketTypes.list(eventId) }),
      create: (eventId: string, body: Body) => client.ticketTypes.create(eventId, body as CreateTicketTypeBody),
      update: (ticketTypeId: string, body: Body) => client.ticketTypes.update(ticketTypeId, body as UpdateTicketTypeBody),
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
