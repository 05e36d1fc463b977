import type { components } from './generated/openapi.js';

/** The application/problem+json body every TIKETI error carries (RFC 9457 plus a stable `code`). */
export type Problem = components['schemas']['Problem'];
/** Every stable problem code the API can answer with. */
export type ProblemCode = Problem['code'];

/** Codes the SDK itself gives to failures that never reached an HTTP answer. */
export type ConnectionErrorCode = 'CONNECTION_FAILED' | 'TIMEOUT' | 'ABORTED';

export interface TiketiErrorInit {
  message: string;
  status?: number;
  code: string;
  problem?: Problem;
  requestId?: string;
  headers?: Headers;
  cause?: unknown;
}

/** Base class of every error the SDK throws; `instanceof TiketiError` catches them all. */
export class TiketiError extends Error {
  /** HTTP status, or undefined when no answer arrived (ConnectionError). */
  readonly status: number | undefined;
  /** The problem `code` (e.g. `SEAT_UNAVAILABLE`), `HTTP_<status>` for a non-problem body, or a ConnectionErrorCode. */
  readonly code: string;
  /** The problem+json body as the server sent it, when it sent one. */
  readonly problem: Problem | undefined;
  /** The request id (problem `requestId` or the `X-Request-Id` header), to quote in a support request. */
  readonly requestId: string | undefined;
  /** Response headers, when there was a response. */
  readonly headers: Headers | undefined;

  constructor(init: TiketiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.problem = init.problem;
    this.requestId = init.requestId;
    this.headers = init.headers;
  }
}

/** 400 or 422: the request was malformed or failed validation; `errors` names the fields. */
export class ValidationError extends TiketiError {
  /** Field-level details from `VALIDATION_FAILED` (`path` is a JSON pointer). */
  get errors(): { path: string; message: string }[] {
    return this.problem?.errors ?? [];
  }
}
/** 401: no credential, or an invalid, expired or revoked token or API key. */
export class AuthenticationError extends TiketiError {}
/** 403: signed in, but not allowed (e.g. an admin route with a user token). */
export class PermissionError extends TiketiError {}
/** 404: the resource does not exist (or is not yours). */
export class NotFoundError extends TiketiError {}
/** 409: the state forbids it (a seat already taken); never retried, except IDEMPOTENCY_KEY_IN_USE (our own earlier attempt still running). */
export class ConflictError extends TiketiError {}
/** 429: too many requests; `retryAfter` says how many seconds to wait. */
export class RateLimitError extends TiketiError {
  /** Seconds to wait before trying again (from `Retry-After`), when the server said. */
  readonly retryAfter: number | undefined;
  constructor(init: TiketiErrorInit & { retryAfter?: number }) {
    super(init);
    this.retryAfter = init.retryAfter;
  }
}
/** The request got no HTTP answer: network failure, timeout (`code: 'TIMEOUT'`) or abort (`'ABORTED'`). */
export class ConnectionError extends TiketiError {
  declare readonly code: ConnectionErrorCode;
}
/** Any other answer: 5xx, or a status the SDK has no class for. */
export class ApiError extends TiketiError {}

/**
 * A failure of the realtime channel. `code` is one of RealtimeErrorCode for failures of the
 * connection itself, or the server's code for a refused message (`EVENT_NOT_FOUND`,
 * `TOO_MANY_TOPICS`, `RATE_LIMITED`, …); `status` is the HTTP status of a refused upgrade, when the
 * WebSocket implementation tells it; `topic` the topic a refusal concerns.
 */
export class RealtimeError extends TiketiError {
  readonly topic: string | undefined;
  constructor(init: TiketiErrorInit & { topic?: string }) {
    super(init);
    this.topic = init.topic;
  }
}
/** Codes the realtime client gives to failures of the connection itself. */
export type RealtimeErrorCode =
  'WEBSOCKET_UNAVAILABLE' | 'CONNECTION_FAILED' | 'CONNECTION_CLOSED' | 'MALFORMED_MESSAGE' | 'SNAPSHOT_FAILED';

/** Parses `Retry-After` (seconds or an HTTP date) into seconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

const isProblem = (body: unknown): body is Problem =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as { code?: unknown }).code === 'string' &&
  typeof (body as { status?: unknown }).status === 'number';

/**
 * The one factory from an HTTP answer to an error class: the status picks the class, the problem
 * `code` travels with it so callers can branch on `SEAT_UNAVAILABLE` and the like.
 */
export function errorFromResponse(status: number, body: unknown, headers: Headers): TiketiError {
  const problem = isProblem(body) ? body : undefined;
  const code = problem?.code ?? `HTTP_${status}`;
  const requestId = problem?.requestId ?? headers.get('x-request-id') ?? undefined;
  const message = problem ? (problem.detail ? `${problem.title}: ${problem.detail}` : problem.title) : `HTTP ${status}`;
  const init: TiketiErrorInit = { message, status, code, problem, requestId, headers };
  if (status === 400 || status === 422) return new ValidationError(init);
  if (status === 401) return new AuthenticationError(init);
  if (status === 403) return new PermissionError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 409) return new ConflictError(init);
  if (status === 429) {
    const retryAfter = parseRetryAfter(headers.get('retry-after')) ?? problem?.retryAfterSeconds;
    return new RateLimitError({ ...init, retryAfter });
  }
  return new ApiError(init);
}
