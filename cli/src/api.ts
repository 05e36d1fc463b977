// The API calls the catalog and inventory commands make, in one place. The catalog goes through
// the SDK's namespaces. The SDK has no namespaces yet for the seat map and reservations (nor a public
// low-level request method), so those go through `Requester`: the client's own config (base URL,
// credential, fetch, timeout, User-Agent) and the SDK's own error factory, so failures are the same
// TiketiError classes. When the SDK grows `seats` and `reservations`, they become one-line calls too.
import {
  ConnectionError,
  errorFromResponse,
  PagePromise,
  type CreateEventBody,
  type CreateKeywordMappingBody,
  type CreateNewsBody,
  type CreateSeatLayoutBody,
  type CreateTicketTypeBody,
  type ListEventsQuery,
  type Page,
  type Tiketi,
  type UpdateEventBody,
  type UpdateNewsBody,
  type UpdateTicketTypeBody,
} from '@tiketi/sdk';
import { randomUUID } from 'node:crypto';

/** Any JSON object the API answers with; commands print it as is with --json. */
export type ApiObject = { id: string } & Record<string, unknown>;
export type Body = Record<string, unknown>;
export type Query = Record<string, string | number | boolean | undefined>;

export type { Event, EventDetail, KeywordMapping, News, SeatLayout, TicketType } from '@tiketi/sdk';

// Inventory shapes are spelled out here until the inventory routes (and their types) are in the spec.
export interface Reservation extends ApiObject {
  number: string;
  eventId: string;
  userId: string;
  status: string;
  totalAmount: number;
  currency: string;
  expiresAt: string;
  items: { label: string | null; quantity: number; unitPrice: number; subtotal: number }[];
}
export type SeatStatus = 'available' | 'held' | 'sold';
export interface MapSeat {
  id: string;
  section: string;
  row: string;
  number: number;
  label: string;
  price: number;
  ticketTypeId: string | null;
  status: SeatStatus;
}
export interface SeatMap {
  eventId?: string;
  version: number;
  seats: MapSeat[];
}

const seg = (id: string) => encodeURIComponent(id);

export class Requester {
  constructor(private readonly client: Tiketi) {}

  async send<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const config = this.client.config;
    const url = new URL(`${config.baseUrl.replace(/\/+$/, '')}/v1${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers = new Headers({ accept: 'application/json, application/problem+json' });
    if (config.token) headers.set('authorization', `Bearer ${config.token}`);
    if (config.userAgent) headers.set('user-agent', config.userAgent);
    if (method === 'POST') headers.set('idempotency-key', randomUUID()); // as the SDK does on every POST
    if (options.body !== undefined) headers.set('content-type', 'application/json');
    const request = new Request(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(config.timeoutMs ?? 30_000),
    });
    let response: Response;
    let text: string;
    try {
      response = await (config.fetch ?? globalThis.fetch)(request);
      text = await response.text();
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new ConnectionError({
        message: timedOut
          ? `Request timed out after ${config.timeoutMs ?? 30_000} ms`
          : `Could not reach ${url.origin}: ${err instanceof Error ? err.message : String(err)}`,
        code: timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED',
        cause: err,
      });
    }
    const body = text === '' ? undefined : parseJson(text);
    if (!response.ok) throw errorFromResponse(response.status, body, response.headers);
    return body as T;
  }

  /** A cursor-paginated list: await for one page, iterate for all (the SDK's PagePromise). */
  list<T>(path: string, query: Query = {}): PagePromise<T> {
    return new PagePromise<T>((cursor) => this.send<Page<T>>('GET', path, { query: cursor === undefined ? query : { ...query, cursor } }));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The calls by resource, named as the SDK names them. Bodies come from the user's file unchecked:
 * the API validates them and answers VALIDATION_FAILED naming the field, so they are passed as is.
 */
export function catalogApi(client: Tiketi) {
  const api = new Requester(client);
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
      map: (eventId: string) => api.send<SeatMap>('GET', `/events/${seg(eventId)}/seats`),
    },
    reservations: {
      list: (query: Query) => api.list<Reservation>('/reservations', query),
      get: (reservationId: string) => api.send<Reservation>('GET', `/reservations/${seg(reservationId)}`),
      cancel: (reservationId: string, body?: Body) =>
        api.send<Reservation>('POST', `/reservations/${seg(reservationId)}/cancel`, { body: body ?? {} }),
    },
  };
}

export type CatalogApi = ReturnType<typeof catalogApi>;
