import type { WebSocketConstructor } from './realtime.js';
import type { Session } from './types.js';

/** The fetch the SDK calls; `globalThis.fetch` by default (undici with keep-alive under Node). */
export type FetchLike = (input: Request) => Promise<Response>;

/** How the client talks to TIKETI. Only `baseUrl` is required. */
export interface TiketiConfig {
  /** API origin, e.g. `http://localhost:3000` (the `/v1` prefix is added by the SDK). */
  baseUrl: string;
  /** Credential sent as `Authorization: Bearer`: a user access token (JWT) or an admin API key (`tk_...`). */
  token?: string;
  /**
   * Refresh token from a sign-in (`session.refreshToken`). With it, a call answered 401
   * `INVALID_TOKEN` (the access token expired or was revoked) renews the session once and is sent
   * again; refresh tokens are single use, so the client keeps the latest one.
   */
  refreshToken?: string;
  /** Called with the new session after every transparent refresh: persist `token` and `refreshToken` here. */
  onSessionRefreshed?: (session: Session) => void | Promise<void>;
  /** fetch implementation; inject one for tests, proxies or older runtimes. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** How many times a failed request is retried (connection errors, 5xx, 429). Default 2. */
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds, covering the answer's body too. Default 30000. */
  timeoutMs?: number;
  /** Backoff between retries: first delay and cap in milliseconds, jittered. Default 500 and 8000. */
  retryDelayMs?: { initial?: number; max?: number };
  /** Sent as `User-Agent` where the runtime allows it (browsers may ignore it). */
  userAgent?: string;
  /** Realtime WebSocket origin, e.g. `ws://localhost:3001`. Default: `baseUrl` with ws(s)://. */
  realtimeUrl?: string;
  /** WebSocket constructor for realtime; default `globalThis.WebSocket` (under Node 20 pass `ws`). */
  WebSocket?: WebSocketConstructor;
}

/** Per-call overrides; the last optional argument of every SDK method. */
export interface RequestOptions {
  /** Timeout of each attempt of this call, in milliseconds. */
  timeoutMs?: number;
  /** Retries for this call. */
  maxRetries?: number;
  /** Credential for this call only. */
  token?: string;
  /** Idempotency-Key for a POST; by default a fresh one is generated per call and kept across its retries. */
  idempotencyKey?: string;
  /** Aborts the call (and its retries); it then fails with ConnectionError code `ABORTED`. */
  signal?: AbortSignal;
}

export const DEFAULTS = {
  maxRetries: 2,
  timeoutMs: 30_000,
  initialRetryDelayMs: 500,
  maxRetryDelayMs: 8_000,
  /** A Retry-After longer than this is not waited for: the RateLimitError goes to the caller. */
  maxRetryAfterMs: 60_000,
} as const;
