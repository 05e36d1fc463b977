import type { Client } from 'openapi-fetch';
import type { RequestOptions, TiketiConfig } from './config.js';
import type { paths } from './generated/openapi.js';
import { createRealtimeClient, type RealtimeClient } from './realtime.js';
import { ApiKeysResource } from './resources/api-keys.js';
import { AuthResource } from './resources/auth.js';
import { EventsResource } from './resources/events.js';
import { HoldsResource } from './resources/holds.js';
import { KeywordMappingsResource } from './resources/keyword-mappings.js';
import { NewsResource } from './resources/news.js';
import { PaymentsResource } from './resources/payments.js';
import { AdmissionBook, QueueResource } from './resources/queue.js';
import { ReservationsResource } from './resources/reservations.js';
import { SeatLayoutsResource } from './resources/seat-layouts.js';
import { SeatsResource } from './resources/seats.js';
import { TicketTypesResource } from './resources/ticket-types.js';
import { UsersResource } from './resources/users.js';
import { Transport, type CallInit, type Credentials } from './transport.js';
import type { Session } from './types.js';

/**
 * The TIKETI API client. One instance per credential; it is cheap, so use `withToken` for another.
 *
 * ```ts
 * const client = new Tiketi({ baseUrl: 'http://localhost:3000' });
 * const session = await client.auth.login({ email, password });
 * // Renews the short-lived access token by itself when it expires:
 * const me = await client.withSession(session).auth.me();
 * ```
 */
export class Tiketi {
  readonly config: Readonly<TiketiConfig>;
  /** Accounts and sessions. */
  readonly auth: AuthResource;
  /** Admin API keys. */
  readonly apiKeys: ApiKeysResource;
  /** Events: list and search, get; admins create, update, delete. */
  readonly events: EventsResource;
  /** Seat layout templates. */
  readonly seatLayouts: SeatLayoutsResource;
  /** Price categories of an event. */
  readonly ticketTypes: TicketTypesResource;
  /** Notices. */
  readonly news: NewsResource;
  /** Korean ↔ English search terms (admin). */
  readonly keywordMappings: KeywordMappingsResource;
  /** Seat maps, and keeping one current over realtime (`watch`). */
  readonly seats: SeatsResource;
  /** Seat and ticket holds. */
  readonly holds: HoldsResource;
  /** Reservations: create from a hold, read, cancel, list. */
  readonly reservations: ReservationsResource;
  /** User accounts and roles (admin). */
  readonly users: UsersResource;
  /** Payments: prepare, confirm, read, refund, list. */
  readonly payments: PaymentsResource;
  /** Waiting rooms: join, follow the line, get the admission that holds then carry by themselves. */
  readonly queue: QueueResource;
  #realtime: RealtimeClient | undefined;
  readonly #transport: Transport;

  constructor(config: TiketiConfig) {
    if (!config?.baseUrl) throw new TypeError('Tiketi: `baseUrl` is required, e.g. http://localhost:3000');
    this.config = Object.freeze({ ...config });
    const transport = new Transport(this.config);
    this.#transport = transport;
    this.auth = new AuthResource(transport);
    this.apiKeys = new ApiKeysResource(transport);
    this.events = new EventsResource(transport);
    this.seatLayouts = new SeatLayoutsResource(transport);
    this.ticketTypes = new TicketTypesResource(transport);
    this.news = new NewsResource(transport);
    this.keywordMappings = new KeywordMappingsResource(transport);
    this.seats = new SeatsResource(transport, () => this.realtime);
    const admissions = new AdmissionBook();
    this.holds = new HoldsResource(transport, admissions);
    this.queue = new QueueResource(transport, () => this.realtime, admissions);
    this.reservations = new ReservationsResource(transport);
    this.payments = new PaymentsResource(transport);
    this.users = new UsersResource(transport);
  }

  /** The access and refresh token this client uses now (a transparent refresh replaces both). */
  get credentials(): Readonly<Credentials> {
    return { ...this.#transport.credentials };
  }

  /**
   * Any route of the spec, typed, with the same credential, retries and errors as the namespaces;
   * for routes that have no namespace yet:
   * `client.request((http, init) => http.GET('/v1/events/{eventId}/queue', { params: { path: { eventId } }, ...init }))`.
   */
  request<R extends { data?: unknown; error?: unknown; response: Response }>(
    send: (http: Client<paths>, init: CallInit) => Promise<R>,
    options?: RequestOptions,
  ): Promise<Exclude<R['data'], undefined>> {
    return this.#transport.call(options, (init) => send(this.#transport.http, init));
  }

  /** The same client with another credential (a JWT or a tk_ API key); `undefined` signs out. */
  withToken(token: string | undefined, refreshToken?: string): Tiketi {
    return new Tiketi({ ...this.config, token, refreshToken });
  }

  /** The same client signed in with a session from `auth.login`, `register` or `loginWithGoogle`; it refreshes itself. */
  withSession(session: Pick<Session, 'token' | 'refreshToken'>): Tiketi {
    return this.withToken(session.token, session.refreshToken);
  }

  /**
   * The realtime channel for this client's token, created on first use (connects on first
   * subscribe). Signed in, it opens with a one-time ticket; without `realtimeUrl` it connects where
   * the API says the realtime listener is (the ticket's `url`), else to `baseUrl`.
   */
  get realtime(): RealtimeClient {
    const token = this.#transport.credentials.token;
    return (this.#realtime ??= createRealtimeClient({
      url: this.config.realtimeUrl ?? this.config.baseUrl,
      token,
      WebSocket: this.config.WebSocket,
      ticket: token ? () => this.#transport.call(undefined, (init) => this.#transport.http.POST('/v1/realtime/tickets', init)) : undefined,
      preferAdvertisedUrl: this.config.realtimeUrl === undefined,
    }));
  }
}
