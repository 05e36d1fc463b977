// The catalog and inventory calls the CLI makes, in one place. The SDK's namespaces for these
// resources (events, seatLayouts, ticketTypes, seats, reservations, news, keywordMappings) are not
// there yet, and it has no public low-level request method, so until they land these go through
// `Requester`: the client's own config (base URL, credential, fetch, timeout, User-Agent) and the
// SDK's own error factory, so failures are the same TiketiError classes. When the SDK grows the
// namespaces, each function below becomes a one-line call to it and the commands stay as they are.
import { ConnectionError, errorFromResponse, PagePromise, type components, type Page, type Tiketi } from '@tiketi/sdk';
import { randomUUID } from 'node:crypto';

/** Any JSON object the API answers with; commands print it as is with --json. */
export type ApiObject = { id: string } & Record<string, unknown>;
export type Body = Record<string, unknown>;
export type Query = Record<string, string | number | boolean | undefined>;

// Catalog shapes come from the generated spec types the SDK exports; inventory shapes are spelled
// out here until the inventory routes (and their types) land in the spec.
type Schemas = components['schemas'];
export type Event = Schemas['Event'];
export type EventDetail = Schemas['EventDetail'];
export type SeatLayout = Schemas['SeatLayout'];
export type TicketType = Schemas['TicketType'];
export type News = Schemas['News'];
export type KeywordMapping = Schemas['KeywordMapping'];
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

/** The catalog and inventory calls, named as the SDK namespaces will be. */
export function catalogApi(client: Tiketi) {
  const api = new Requester(client);
  return {
    events: {
      list: (query: Query) => api.list<Event>('/events', query),
      get: (eventId: string) => api.send<EventDetail>('GET', `/events/${seg(eventId)}`),
      create: (body: Body) => api.send<EventDetail>('POST', '/events', { body }),
      update: (eventId: string, body: Body) => api.send<EventDetail>('PATCH', `/events/${seg(eventId)}`, { body }),
      delete: (eventId: string) => api.send<void>('DELETE', `/events/${seg(eventId)}`),
    },
    seats: {
      map: (eventId: string) => api.send<SeatMap>('GET', `/events/${seg(eventId)}/seats`),
    },
    seatLayouts: {
      list: (query: Query) => api.list<SeatLayout>('/seat-layouts', query),
      get: (layoutId: string) => api.send<SeatLayout>('GET', `/seat-layouts/${seg(layoutId)}`),
      create: (body: Body) => api.send<SeatLayout>('POST', '/seat-layouts', { body }),
    },
    ticketTypes: {
      list: (eventId: string) => api.send<{ data: TicketType[] }>('GET', `/events/${seg(eventId)}/ticket-types`),
      create: (eventId: string, body: Body) => api.send<TicketType>('POST', `/events/${seg(eventId)}/ticket-types`, { body }),
      update: (ticketTypeId: string, body: Body) => api.send<TicketType>('PATCH', `/ticket-types/${seg(ticketTypeId)}`, { body }),
    },
    news: {
      list: (query: Query) => api.list<News>('/news', query),
      get: (newsId: string) => api.send<News>('GET', `/news/${seg(newsId)}`),
      create: (body: Body) => api.send<News>('POST', '/news', { body }),
      update: (newsId: string, body: Body) => api.send<News>('PATCH', `/news/${seg(newsId)}`, { body }),
      delete: (newsId: string) => api.send<void>('DELETE', `/news/${seg(newsId)}`),
    },
    keywordMappings: {
      list: (query: Query) => api.list<KeywordMapping>('/keyword-mappings', query),
      create: (body: Body) => api.send<KeywordMapping>('POST', '/keyword-mappings', { body }),
      delete: (mappingId: string) => api.send<void>('DELETE', `/keyword-mappings/${seg(mappingId)}`),
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
