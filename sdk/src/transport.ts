// The lower layer: openapi-fetch typed over the generated `paths`, with one fetch wrapper (the
// request sender) that owns credentials, Idempotency-Key, timeouts, retries and error mapping.
// Nothing here is Node-only, so the same code runs in browsers.
import createClient, { type Client } from 'openapi-fetch';
import { DEFAULTS, type FetchLike, type RequestOptions, type TiketiConfig } from './config.js';
import { ConnectionError, errorFromResponse, parseRetryAfter, TiketiError } from './errors.js';
import type { paths } from './generated/openapi.js';
import type { Session } from './types.js';

/** One page of a list: `{ data, nextCursor }`, `nextCursor` null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** What every typed call hands to openapi-fetch: the per-call sender. */
export type CallInit = { fetch: FetchLike }; // a type alias (not an interface) so it fits openapi-fetch's init

type FetchResult = { data?: unknown; error?: unknown; response: Response };

/** A random Idempotency-Key; `randomUUID` needs a secure context in browsers, hence the fallback. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const aborted = (cause?: unknown) => new ConnectionError({ message: 'Request aborted', code: 'ABORTED', cause });

// Statuses whose Response may not carry a body.
const NULL_BODY = new Set([101, 204, 205, 304]);

/** The credentials a client holds now: they change when a session is refreshed. */
export interface Credentials {
  token: string | undefined;
  refreshToken: string | undefined;
}

export class Transport {
  /** The typed openapi-fetch client; namespaces call `this.http.GET('/v1/...', { ...init })`. */
  readonly http: Client<paths>;
  /** Current access and refresh token (a refresh replaces both). */
  readonly credentials: Credentials;
  #refreshing: Promise<void> | undefined;

  constructor(readonly config: Readonly<TiketiConfig>) {
    this.http = createClient<paths>({ baseUrl: config.baseUrl.replace(/\/+$/, '') });
    this.credentials = { token: config.token, refreshToken: config.refreshToken };
  }

  /**
   * Renews the session with the refresh token, once for all calls that need it at the same time
   * (a refresh token works once, so two refreshes would revoke the session). The refresh runs to
   * its end whatever the callers do: a caller's signal stops that caller waiting, not the request,
   * whose answer carries the only copy of the rotated refresh token.
   */
  private refreshSession(fetchImpl: FetchLike, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const refreshing = (this.#refreshing ??= (async () => {
      const refreshToken = this.credentials.refreshToken!;
      const url = `${this.config.baseUrl.replace(/\/+$/, '')}/v1/auth/refresh`;
      const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, application/problem+json' });
      if (this.config.userAgent) headers.set('user-agent', this.config.userAgent);
      const response = await sendOnce(
        fetchImpl,
        url,
        { method: 'POST', headers, body: JSON.stringify({ refreshToken }) },
        timeoutMs,
        undefined,
      );
      if (!response.ok) {
        // Dead for good (used, revoked, expired): forget it rather than try it on every call.
        if (response.status === 401) this.credentials.refreshToken = undefined;
        throw errorFromResponse(response.status, await parseBody(response), response.headers);
      }
      const session = (await response.json()) as Session;
      this.credentials.token = session.token;
      this.credentials.refreshToken = session.refreshToken;
      await this.config.onSessionRefreshed?.(session);
    })().finally(() => {
      this.#refreshing = undefined;
    }));
    if (!signal) return refreshing;
    if (signal.aborted) return Promise.reject(aborted(signal.reason));
    refreshing.catch(() => {}); // its outcome still reaches the other callers and the next call
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(aborted(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      refreshing.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Runs one typed call through the sender and returns its data; failures throw TiketiError subclasses. */
  async call<R extends FetchResult>(
    options: RequestOptions | undefined,
    send: (init: CallInit) => Promise<R>,
  ): Promise<Exclude<R['data'], undefined>> {
    const result = await send({ fetch: this.sender(options ?? {}) });
    // The sender throws on every non-2xx; this guards the contract, not a path we expect.
    if (!result.response.ok) throw errorFromResponse(result.response.status, result.error, result.response.headers);
    return result.data as Exclude<R['data'], undefined>;
  }

  /** A call whose answer has no body (204), such as a delete. */
  async send(options: RequestOptions | undefined, send: (init: CallInit) => Promise<FetchResult>): Promise<void> {
    await this.call(options, send);
  }

  /** A list call: awaitable for the first page, async-iterable over every item of every page. */
  list<T, Q extends { cursor?: string }>(
    query: Q,
    options: RequestOptions | undefined,
    send: (query: Q, init: CallInit) => Promise<{ data?: Page<T>; error?: unknown; response: Response }>,
  ): PagePromise<T> {
    return new PagePromise<T>((cursor) => this.call(options, (init) => send(cursor === undefined ? query : { ...query, cursor }, init)));
  }

  /** The fetch handed to openapi-fetch for one call: retries keep the same Idempotency-Key. */
  private sender(options: RequestOptions): FetchLike {
    const config = this.config;
    const fetchImpl: FetchLike = config.fetch ?? ((request) => globalThis.fetch(request));
    const maxRetries = options.maxRetries ?? config.maxRetries ?? DEFAULTS.maxRetries;
    const timeoutMs = options.timeoutMs ?? config.timeoutMs ?? DEFAULTS.timeoutMs;
    const initialDelay = config.retryDelayMs?.initial ?? DEFAULTS.initialRetryDelayMs;
    const maxDelay = config.retryDelayMs?.max ?? DEFAULTS.maxRetryDelayMs;
    const signal = options.signal;
    const credentials = this.credentials;

    return async (request) => {
      const headers = new Headers(request.headers);
      // A per-call token is used as given; the client's own is read per attempt (a refresh changes it).
      const token = () => options.token ?? credentials.token;
      if (token()) headers.set('authorization', `Bearer ${token()}`);
      if (config.userAgent) headers.set('user-agent', config.userAgent);
      headers.set('accept', 'application/json, application/problem+json');
      if (request.method === 'POST') headers.set('idempotency-key', options.idempotencyKey ?? newIdempotencyKey());
      // Read once so each attempt can send the same bytes.
      const body = request.body === null ? undefined : await request.arrayBuffer();
      const init: RequestInit = { method: request.method, headers, body };
      let refreshed = false;

      for (let attempt = 0; ; attempt++) {
        let failure: TiketiError;
        let waitMs = Math.min(maxDelay, initialDelay * 2 ** attempt) * (0.5 + Math.random() * 0.5);
        try {
          const sentWith = token();
          const response = await sendOnce(fetchImpl, request.url, init, timeoutMs, signal);
          if (response.ok) return response;
          failure = errorFromResponse(response.status, await parseBody(response), response.headers);
          // An expired or revoked access token: renew the session once and send the call again.
          if (failure.code === 'INVALID_TOKEN' && !refreshed && options.token === undefined && credentials.refreshToken) {
            refreshed = true;
            // Another call may have refreshed while this one was out: then just use the new token.
            if (credentials.token === sentWith) await this.refreshSession(fetchImpl, timeoutMs, signal);
            headers.set('authorization', `Bearer ${token()}`);
            attempt--; // not a retry of a failure
            continue;
          }
          if (response.status === 429) {
            const retryAfterMs = (parseRetryAfter(response.headers.get('retry-after')) ?? 0) * 1000;
            if (retryAfterMs > DEFAULTS.maxRetryAfterMs) throw failure;
            waitMs = Math.max(waitMs, retryAfterMs);
          } else if (response.status < 500 && failure.code !== 'IDEMPOTENCY_KEY_IN_USE') {
            throw failure; // 4xx (409 included) would fail the same way again
          }
          // IDEMPOTENCY_KEY_IN_USE is the one 409 we retry: it only means our own earlier attempt (one
          // that timed out) is still running, and the same key can never run the request twice.
        } catch (err) {
          if (!(err instanceof ConnectionError) || err.code === 'ABORTED') throw err;
          failure = err;
        }
        if (attempt >= maxRetries) throw failure;
        await sleep(waitMs, signal);
      }
    };
  }
}

/** One attempt: the timeout covers the headers and the body, and wins even over a fetch that ignores signals. */
async function sendOnce(
  fetchImpl: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Response> {
  if (signal?.aborted) throw aborted(signal.reason);
  const controller = new AbortController();
  let timedOut = false;
  let rejectStop: (err: unknown) => void = () => {};
  const stop = new Promise<never>((_, reject) => (rejectStop = reject));
  stop.catch(() => {});
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
    rejectStop(new ConnectionError({ message: `Request timed out after ${timeoutMs} ms`, code: 'TIMEOUT' }));
  }, timeoutMs);
  const onAbort = () => {
    controller.abort();
    rejectStop(aborted(signal?.reason));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const read = async () => {
      const response = await fetchImpl(new Request(url, { ...init, signal: controller.signal }));
      const bytes = await response.arrayBuffer();
      const body = NULL_BODY.has(response.status) || bytes.byteLength === 0 ? null : bytes;
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
    return await Promise.race([read(), stop]);
  } catch (err) {
    if (err instanceof TiketiError) throw err;
    if (signal?.aborted) throw aborted(signal.reason);
    if (timedOut) throw new ConnectionError({ message: `Request timed out after ${timeoutMs} ms`, code: 'TIMEOUT', cause: err });
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConnectionError({ message: `Could not reach ${new URL(url).origin}: ${reason}`, code: 'CONNECTION_FAILED', cause: err });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

async function parseBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * What list methods return: `await` it for the first page, or `for await` over every item across
 * all pages (the next page is fetched when the previous one is used up).
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  #first: Promise<Page<T>> | undefined;

  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {}

  // Lazy: nothing is sent until the page is awaited or iterated.
  private first(): Promise<Page<T>> {
    return (this.#first ??= this.fetchPage(undefined));
  }

  then<A = Page<T>, B = never>(
    onfulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.first().then(onfulfilled, onrejected);
  }

  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<Page<T> | B> {
    return this.first().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<Page<T>> {
    return this.first().finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let page = await this.first();
    for (;;) {
      yield* page.data;
      if (!page.nextCursor) return;
      page = await this.fetchPage(page.nextCursor);
    }
  }

  /** Every item across all pages (up to `max`), in order. */
  async toArray(max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    if (max <= 0) return items;
    for await (const item of this) {
      items.push(item);
      if (items.length >= max) break;
    }
    return items;
  }
}
