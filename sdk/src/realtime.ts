// The realtime channel (GET /v1/realtime, JSON messages): subscriptions that survive reconnects,
// ping/pong, and seat-map tracking that applies changes in `version` order and refetches on a gap.
// The WebSocket class is injected, so browsers use their own and Node 20 passes the `ws` package.
// Signed in, it opens the socket with a one-time ticket (POST /v1/realtime/tickets), never the JWT.
import { AuthenticationError, NotFoundError, RealtimeError, TiketiError, errorFromResponse } from './errors.js';

/** Any WebSocket class: the browser's, Node 22's global, or `ws`. */
export type WebSocketConstructor = new (url: string) => object;

/** The part of the WebSocket API the client uses (the browser API, which `ws` implements too). */
interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type SeatChangeType = 'seat.held' | 'seat.released' | 'seat.sold';
/** A change to an event's seats; `version` grows by one with every change of that event. */
export interface SeatChange {
  type: SeatChangeType;
  eventId: string;
  seatIds: string[];
  version: number;
}
/** General admission: the tickets left per type, on the event's seat topic; apply only a higher `version`. */
export interface AvailabilityChange {
  type: 'availability';
  eventId: string;
  ticketTypes: Array<{ id: string; available: number }>;
  version: number;
}
/** Your place in an event's waiting room (`etaSeconds` null while the line does not move). */
export interface QueuePosition {
  type: 'queue.position';
  eventId: string;
  position: number;
  etaSeconds: number | null;
}
/** You were let in: `admission.token` goes in `X-Queue-Token` when holding seats. */
export interface QueueAdmitted {
  type: 'queue.admitted';
  eventId: string;
  admission: { token: string; expiresAt: string };
}
export interface RealtimeErrorMessage {
  type: 'error';
  code: string;
  message: string;
  /** The topic a refused subscribe named (servers before tickets leave it out). */
  topic?: string;
}
export type RealtimeMessage =
  | SeatChange
  | AvailabilityChange
  | QueuePosition
  | QueueAdmitted
  | RealtimeErrorMessage
  | { type: 'pong' }
  | { type: 'subscribed' | 'unsubscribed'; topic: string };

export interface RealtimeOptions {
  /** Realtime origin, e.g. `ws://localhost:3001` (`/v1/realtime` is appended; http(s) becomes ws(s)). */
  url: string;
  /**
   * User JWT (or API key). It is exchanged for a one-time ticket (`?ticket=`), so it never travels in
   * the URL; only against servers without tickets (404) does it go as `?token=`. Without it only
   * public seat topics can be followed. If the API refuses it (401), `error` gets an
   * AuthenticationError, queue subscriptions fail with it, and seat topics carry on anonymously.
   */
  token?: string;
  /**
   * Fetches a one-time ticket; the Tiketi client passes one that uses its own HTTP settings. Default:
   * POST `{apiUrl}/v1/realtime/tickets` with `fetch`.
   */
  ticket?: () => Promise<{ ticket: string; url?: string }>;
  /** API origin for the default ticket request; default `url` with http(s)://. */
  apiUrl?: string;
  /** Connect to the realtime listener the API names with the ticket (`url`) instead of `url`. Default false. */
  preferAdvertisedUrl?: boolean;
  /** WebSocket class; default `globalThis.WebSocket` (Node 20 has none: pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after an unexpected close, resubscribing every topic. Default true. */
  reconnect?: boolean;
  /** Reconnect backoff: first delay and cap in milliseconds, jittered. Default 500 and 10000. */
  reconnectDelayMs?: { initial?: number; max?: number };
}

/** A live subscription; `ready` settles when the server confirms (or refuses) the topic. */
export interface Subscription {
  readonly topic: string;
  readonly ready: Promise<void>;
  unsubscribe(): void;
}

/** A seat subscription that also tells which `version` of the seat map it has applied. */
export interface SeatSubscription extends Subscription {
  readonly version: number | undefined;
  /** Refetches the seat map now (needs `refetch`). */
  resync(): void;
}

export interface SeatTrackingOptions {
  /**
   * Version of the seat map you already show; changes at or below it are skipped. Leave it out
   * (with `refetch`) to have the first snapshot loaded once the subscription is confirmed.
   */
  version?: number;
  /**
   * Loads the seat map again (GET /v1/events/{eventId}/seats) and returns its `version`; called on a
   * gap in versions and after a reconnect. Without it, a gap is applied as it comes.
   */
  refetch?: () => Promise<number | { version: number }>;
}

type Listener<T> = (value: T) => void;
interface Events {
  open: undefined;
  close: { code?: number; reason?: string };
  /** A RealtimeError (connection failures, refusals), an AuthenticationError, or the error of a seat-map refetch. */
  error: TiketiError;
  message: RealtimeMessage;
}

const OPEN = 1;

/** Seat topics are public; queue topics need a signed-in user. */
const isPublic = (topic: string) => topic.startsWith('event.');

export class RealtimeClient {
  #socket: WebSocketLike | undefined;
  #connecting: Promise<void> | undefined;
  #closedByUser = false;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  // Per topic: data handlers, the first ack, and listeners for every ack (again after each reconnect).
  readonly #topics = new Map<string, { handlers: Set<Listener<RealtimeMessage>>; ready: Deferred; acks: Set<() => void> }>();
  readonly #pendingAcks: string[] = [];
  readonly #pongs: Deferred[] = [];
  readonly #listeners: { [K in keyof Events]: Set<Listener<Events[K]>> } = {
    open: new Set(),
    close: new Set(),
    error: new Set(),
    message: new Set(),
  };
  readonly #reconnectHooks = new Set<() => void>();
  // Set once the API refused the token: from then on the socket opens without a credential.
  #anonymous = false;
  // Set when the server has no ticket route: the token goes in the URL as older servers expect.
  #legacyToken = false;

  constructor(readonly options: RealtimeOptions) {}

  /** `true` while the socket is open. */
  get connected(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  /** Opens the socket (subscribe does it for you); resolves once open. */
  connect(): Promise<void> {
    this.#closedByUser = false;
    if (this.connected) return Promise.resolve();
    return (this.#connecting ??= this.#open());
  }

  /** Closes for good: no reconnect; subscriptions are forgotten. */
  close(): void {
    this.#closedByUser = true;
    clearTimeout(this.#reconnectTimer);
    this.#topics.clear();
    this.#reconnectHooks.clear();
    this.#socket?.close(1000, 'client closed');
    this.#socket = undefined;
    this.#connecting = undefined;
  }

  /** Listens to `open`, `close`, `error` or every `message`; returns the function that stops it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Sends `ping` and resolves on the `pong`. */
  async ping(timeoutMs = 10_000): Promise<void> {
    await this.connect();
    const pong = deferred();
    this.#pongs.push(pong);
    const timer = setTimeout(() => pong.reject(new Error(`No pong within ${timeoutMs} ms`)), timeoutMs);
    this.#send({ op: 'ping' });
    try {
      await pong.promise;
    } finally {
      clearTimeout(timer);
      const i = this.#pongs.indexOf(pong);
      if (i >= 0) this.#pongs.splice(i, 1);
    }
  }

  /** Follows a topic (`event.{eventId}.seats`, `queue.{eventId}`); kept across reconnects. */
  subscribe(topic: string, handler: (message: RealtimeMessage) => void): Subscription {
    let entry = this.#topics.get(topic);
    if (!entry) {
      entry = { handlers: new Set(), ready: deferred(), acks: new Set() };
      this.#topics.set(topic, entry);
      if (this.#anonymous && !isPublic(topic)) {
        entry.ready.reject(
          this.#authError ?? new AuthenticationError({ message: 'The token was refused', code: 'INVALID_TOKEN', status: 401 }),
        );
        this.#topics.delete(topic);
      } else if (this.connected) this.#sendSubscribe(topic);
      else this.connect().catch(() => {}); // failures surface through `error` and `ready`
    }
    entry.handlers.add(handler);
    const current = entry;
    return {
      topic,
      ready: current.ready.promise,
      unsubscribe: () => {
        current.handlers.delete(handler);
        if (current.handlers.size > 0 || this.#topics.get(topic) !== current) return;
        this.#topics.delete(topic);
        if (this.connected) this.#send({ op: 'unsubscribe', topic });
      },
    };
  }

  /**
   * Follows an event's seats: `handler` gets each change once and in version order; older or
   * repeated versions are skipped, and a gap (or a reconnect) calls `options.refetch` first.
   */
  onSeats(eventId: string, handler: (change: SeatChange) => void, options: SeatTrackingOptions = {}): SeatSubscription {
    const tracker = new SeatTracker(handler, options, (err) =>
      this.#emit(
        'error',
        err instanceof TiketiError
          ? err
          : new RealtimeError({ message: `Seat map refetch failed: ${String(err)}`, code: 'SNAPSHOT_FAILED', cause: err }),
      ),
    );
    const topic = `event.${eventId}.seats`;
    const subscription = this.subscribe(topic, (message) => {
      if (message.type === 'seat.held' || message.type === 'seat.released' || message.type === 'seat.sold') tracker.receive(message);
    });
    const pause = () => tracker.pause();
    const confirmed = () => tracker.confirmed();
    this.#reconnectHooks.add(pause);
    this.#topics.get(topic)?.acks.add(confirmed);
    return {
      topic,
      ready: subscription.ready,
      get version() {
        return tracker.version;
      },
      resync: () => tracker.resync(),
      unsubscribe: () => {
        this.#reconnectHooks.delete(pause);
        this.#topics.get(topic)?.acks.delete(confirmed);
        subscription.unsubscribe();
      },
    };
  }

  /** Follows your own place in an event's waiting room (needs a token): positions, then the admission. */
  onQueue(eventId: string, handler: (message: QueuePosition | QueueAdmitted) => void): Subscription {
    return this.subscribe(`queue.${eventId}`, (message) => {
      if (message.type === 'queue.position' || message.type === 'queue.admitted') handler(message);
    });
  }

  #authError: AuthenticationError | undefined;

  async #open(): Promise<void> {
    const Impl = (this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket) as
      (new (url: string) => WebSocketLike) | undefined;
    if (!Impl) {
      const err = new RealtimeError({
        code: 'WEBSOCKET_UNAVAILABLE',
        message: 'No WebSocket implementation: pass the `WebSocket` option (under Node 20, the WebSocket class of the `ws` package)',
      });
      this.#fail(err);
      throw err;
    }
    let origin = this.options.url;
    let credential: ['ticket' | 'token', string] | undefined;
    const token = this.options.token;
    if (token && !this.#anonymous) {
      if (this.#legacyToken) credential = ['token', token];
      else {
        try {
          const issued = await (this.options.ticket ?? (() => this.#fetchTicket(token)))();
          credential = ['ticket', issued.ticket];
          if (issued.url && this.options.preferAdvertisedUrl) origin = issued.url;
        } catch (err) {
          if (err instanceof AuthenticationError) this.#refused(err);
          else if (err instanceof NotFoundError) {
            // A server from before tickets, or the realtime listener itself when only its URL was
            // given. (Behind an ingress, /v1/realtime must be an Exact route so that the ticket
            // request reaches the API and the JWT stays out of URLs and access logs.)
            this.#legacyToken = true;
            credential = ['token', token];
          } else {
            const failure =
              err instanceof TiketiError
                ? err
                : new RealtimeError({ code: 'CONNECTION_FAILED', message: `Realtime ticket request failed: ${String(err)}`, cause: err });
            this.#emit('error', failure);
            this.#connecting = undefined;
            this.#scheduleReconnect();
            throw failure;
          }
        }
      }
    }
    if (this.#closedByUser) throw new RealtimeError({ code: 'CONNECTION_CLOSED', message: 'The realtime client was closed' });
    const url = new URL('/v1/realtime', origin.replace(/^http/, 'ws'));
    if (credential) url.searchParams.set(credential[0], credential[1]);
    return new Promise<void>((resolve, reject) => {
      const socket = new Impl(url.toString());
      this.#socket = socket;
      let opened = false;
      let status: number | undefined;
      socket.onopen = () => {
        opened = true;
        this.#connecting = undefined;
        const reconnected = this.#attempt > 0;
        this.#attempt = 0;
        for (const topic of this.#topics.keys()) this.#sendSubscribe(topic);
        if (reconnected) for (const hook of this.#reconnectHooks) hook();
        this.#emit('open', undefined);
        resolve();
      };
      socket.onmessage = (ev) => this.#receive(ev.data);
      socket.onerror = (ev) => {
        // Browsers hide why an upgrade failed; `ws` says "Unexpected server response: 401".
        const match = /Unexpected server response: (\d{3})/.exec(String((ev as { message?: unknown })?.message ?? ''));
        if (match) status = Number(match[1]);
        if (opened) this.#emit('error', new RealtimeError({ code: 'CONNECTION_FAILED', message: 'Realtime connection error', cause: ev }));
      };
      socket.onclose = (ev) => {
        if (this.#socket === socket) this.#socket = undefined;
        this.#connecting = undefined;
        const error = new RealtimeError({
          code: opened ? 'CONNECTION_CLOSED' : 'CONNECTION_FAILED',
          status,
          message: opened
            ? `Realtime connection closed${ev.code ? ` (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})` : ''}`
            : `Realtime connection failed${status ? `: HTTP ${status}` : ev.code ? ` (${ev.code})` : ''}`,
        });
        for (const pong of this.#pongs.splice(0)) pong.reject(error);
        this.#pendingAcks.length = 0;
        this.#emit('close', { code: ev.code, reason: ev.reason });
        if (!opened) {
          if (status === 401 && credential?.[0] === 'token') {
            // The token itself was refused: no retry can fix it. Public topics go on without it.
            this.#refused(new AuthenticationError({ message: 'The realtime channel refused the token', code: 'INVALID_TOKEN', status }));
            reject(this.#authError);
            if (!this.#closedByUser && this.options.reconnect !== false && this.#topics.size > 0) this.connect().catch(() => {});
            return;
          }
          this.#emit('error', error);
          reject(error);
        }
        this.#scheduleReconnect();
      };
    });
  }

  /** POST /v1/realtime/tickets with the token, on the API origin. */
  async #fetchTicket(token: string): Promise<{ ticket: string; url?: string }> {
    const api = new URL('/v1/realtime/tickets', (this.options.apiUrl ?? this.options.url).replace(/^ws/, 'http'));
    let response: Response;
    try {
      response = await fetch(api, { method: 'POST', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    } catch (err) {
      throw new RealtimeError({ code: 'CONNECTION_FAILED', message: `Realtime ticket request failed: ${String(err)}`, cause: err });
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw errorFromResponse(response.status, body, response.headers);
    return body as { ticket: string; url?: string };
  }

  /** The API refused the token: say so once, fail private topics, keep public ones anonymously. */
  #refused(err: AuthenticationError): void {
    this.#anonymous = true;
    this.#authError = err;
    this.#emit('error', err);
    for (const [topic, entry] of this.#topics) {
      if (isPublic(topic)) continue;
      this.#topics.delete(topic);
      entry.ready.reject(err);
    }
  }

  /** A failure no retry can fix: every waiting subscription fails with it, and `error` says it. */
  #fail(err: RealtimeError): void {
    this.#connecting = undefined;
    this.#emit('error', err);
    for (const [topic, entry] of this.#topics) {
      this.#topics.delete(topic);
      entry.ready.reject(err);
    }
  }

  #scheduleReconnect(): void {
    if (this.#closedByUser || this.options.reconnect === false) return;
    const initial = this.options.reconnectDelayMs?.initial ?? 500;
    const max = this.options.reconnectDelayMs?.max ?? 10_000;
    const delay = Math.min(max, initial * 2 ** this.#attempt++) * (0.5 + Math.random() * 0.5);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (!this.#closedByUser && !this.#socket) this.connect().catch(() => {});
    }, delay);
  }

  #sendSubscribe(topic: string): void {
    this.#pendingAcks.push(topic);
    this.#send({ op: 'subscribe', topic });
  }

  #send(message: object): void {
    this.#socket?.send(JSON.stringify(message));
  }

  #receive(data: unknown): void {
    let message: RealtimeMessage;
    try {
      message = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer)) as RealtimeMessage;
    } catch (err) {
      this.#emit(
        'error',
        new RealtimeError({ code: 'MALFORMED_MESSAGE', message: 'The server sent a message that is not JSON', cause: err }),
      );
      return;
    }
    this.#emit('message', message);
    switch (message.type) {
      case 'pong':
        this.#pongs.shift()?.resolve();
        return;
      case 'subscribed': {
        const i = this.#pendingAcks.indexOf(message.topic);
        if (i >= 0) this.#pendingAcks.splice(i, 1);
        const entry = this.#topics.get(message.topic);
        entry?.ready.resolve();
        for (const ack of entry?.acks ?? []) ack();
        return;
      }
      case 'unsubscribed':
        return;
      case 'error': {
        // Refusals name their topic; older servers do not, but answer in order, so a refusal without
        // one belongs to the oldest pending subscribe.
        const err = new RealtimeError({ code: message.code, message: `${message.code}: ${message.message}`, topic: message.topic });
        const i = message.topic === undefined ? (this.#pendingAcks.length > 0 ? 0 : -1) : this.#pendingAcks.indexOf(message.topic);
        const topic = i >= 0 ? this.#pendingAcks.splice(i, 1)[0] : undefined;
        const entry = topic === undefined ? undefined : this.#topics.get(topic);
        if (entry && topic !== undefined) {
          this.#topics.delete(topic);
          entry.ready.reject(err);
        } else {
          this.#emit('error', err);
        }
        return;
      }
      default: {
        const seatTopic = message.type.startsWith('seat.') || message.type === 'availability';
        const topic = seatTopic ? `event.${message.eventId}.seats` : `queue.${message.eventId}`;
        for (const handler of this.#topics.get(topic)?.handlers ?? []) handler(message);
      }
    }
  }

  #emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of this.#listeners[event]) listener(value);
  }
}

/**
 * Orders one event's seat changes by version. While it waits for a snapshot (before the first
 * subscription ack when no version was given, after a reconnect, during a refetch) it buffers, then
 * applies only what is newer than the snapshot.
 */
class SeatTracker {
  version: number | undefined;
  #buffering: boolean;
  #running = false;
  #buffer: SeatChange[] = [];

  constructor(
    private readonly handler: (change: SeatChange) => void,
    private readonly options: SeatTrackingOptions,
    private readonly onError: (err: unknown) => void,
  ) {
    this.version = options.version;
    this.#buffering = options.version === undefined && options.refetch !== undefined;
  }

  receive(change: SeatChange): void {
    if (this.#buffering) {
      this.#buffer.push(change);
      return;
    }
    if (this.version !== undefined && change.version <= this.version) return;
    if (this.version !== undefined && change.version > this.version + 1 && this.options.refetch) {
      this.#buffer.push(change);
      this.resync();
      return;
    }
    this.version = change.version;
    this.handler(change);
  }

  /** The connection dropped: hold changes until the resubscription is confirmed and a snapshot taken. */
  pause(): void {
    if (this.options.refetch) this.#buffering = true;
  }

  /** The server confirmed the subscription: from now on no change is missed, so take the snapshot. */
  confirmed(): void {
    if (this.#buffering && !this.#running) this.resync();
  }

  /** Reloads the seat map, then applies the changes that arrived meanwhile and are newer than it. */
  resync(): void {
    const refetch = this.options.refetch;
    if (!refetch || this.#running) return;
    this.#buffering = true;
    this.#running = true;
    refetch().then(
      (snapshot) => {
        this.version = typeof snapshot === 'number' ? snapshot : snapshot.version;
        this.#drain(false);
      },
      (err) => {
        this.onError(err);
        // Without a snapshot the best we can do is apply what came, in order (no new refetch loop).
        this.#drain(true);
      },
    );
  }

  #drain(lenient: boolean): void {
    this.#running = false;
    this.#buffering = false;
    const pending = this.#buffer.sort((a, b) => a.version - b.version);
    this.#buffer = [];
    for (const change of pending) {
      if (!lenient) this.receive(change);
      else if (this.version === undefined || change.version > this.version) {
        this.version = change.version;
        this.handler(change);
      }
    }
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a subscription nobody awaits must not crash the process
  return { promise, resolve, reject };
}

/** A realtime client on its own (the Tiketi client's `realtime` is one of these). */
export function createRealtimeClient(options: RealtimeOptions): RealtimeClient {
  return new RealtimeClient(options);
}
