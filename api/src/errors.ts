import { Type } from '@sinclair/typebox';

/**
 * Every problem code the API answers with, its HTTP status and title. The spec lists them all
 * (Problem.code is an enum of these keys), so SDKs and storefronts can switch on them.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be JSON' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  MALFORMED_URL: { status: 400, title: 'The URL is not validly encoded' },
  MALFORMED_REQUEST: { status: 400, title: 'The request is not valid HTTP' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The resource does not support this method' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request took too long to arrive' },
  URI_TOO_LONG: { status: 414, title: 'The URL is too long' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  CONFLICT: { status: 409, title: 'The request conflicts with existing data' },
  AUTHENTICATION_REQUIRED: { status: 401, title: 'Authentication is required' },
  INVALID_TOKEN: { status: 401, title: 'The token is invalid or expired' },
  INVALID_API_KEY: { status: 401, title: 'The API key is invalid or revoked' },
  INVALID_CREDENTIALS: { status: 401, title: 'Email or password is wrong' },
  INVALID_REFRESH_TOKEN: { status: 401, title: 'The refresh token is invalid, used or revoked' },
  // Not configured on this server: a client hides the button (not an outage to retry).
  GOOGLE_LOGIN_DISABLED: { status: 404, title: 'Google login is not configured' },
  INVALID_GOOGLE_TOKEN: { status: 401, title: 'The Google ID token is invalid' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  EMAIL_TAKEN: { status: 409, title: 'An account with this email exists' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used with another request' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'A request with this Idempotency-Key is in flight' },
  INVALID_IDEMPOTENCY_KEY: { status: 400, title: 'The Idempotency-Key header is not valid' },
  // Catalog
  EVENT_NOT_FOUND: { status: 404, title: 'Event not found' },
  EVENT_HAS_SALES: { status: 409, title: 'The event has sold tickets' },
  INVALID_STATUS_TRANSITION: { status: 409, title: 'The status cannot change that way' },
  LAYOUT_NOT_FOUND: { status: 404, title: 'Seat layout not found' },
  INVALID_LAYOUT: { status: 400, title: 'The seat layout is not valid' },
  LAYOUT_NAME_TAKEN: { status: 409, title: 'A seat layout with this name exists' },
  TICKET_TYPE_NOT_FOUND: { status: 404, title: 'Ticket type not found' },
  TICKET_TYPE_IN_USE: { status: 409, title: 'The ticket type has sales' },
  TICKET_TYPE_EXISTS: { status: 409, title: 'The event has a ticket type with this name' },
  NEWS_NOT_FOUND: { status: 404, title: 'News item not found' },
  KEYWORD_MAPPING_NOT_FOUND: { status: 404, title: 'Keyword mapping not found' },
  KEYWORD_MAPPING_EXISTS: { status: 409, title: 'This keyword mapping exists' },
  API_KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  USER_NOT_FOUND: { status: 404, title: 'User not found' },
  LAST_ADMIN: { status: 409, title: 'The last admin cannot be demoted' },
  // Inventory and orders
  EVENT_NOT_ON_SALE: { status: 409, title: 'The event is not on sale' },
  SEAT_NOT_FOUND: { status: 400, title: 'A seat is not part of this event' },
  SEAT_UNAVAILABLE: { status: 409, title: 'A seat is already taken' },
  SOLD_OUT: { status: 409, title: 'Not enough tickets left' },
  TICKET_LIMIT_EXCEEDED: { status: 409, title: 'Too many tickets for one customer' },
  HOLD_LIMIT_EXCEEDED: { status: 429, title: 'Too many holds from this client for now' },
  HOLD_NOT_FOUND: { status: 404, title: 'Hold not found' },
  HOLD_EXPIRED: { status: 410, title: 'The hold has expired' },
  HOLD_ALREADY_USED: { status: 409, title: 'The hold already became a reservation' },
  RESERVATION_NOT_FOUND: { status: 404, title: 'Reservation not found' },
  RESERVATION_NOT_CANCELLABLE: { status: 409, title: 'The reservation cannot be cancelled' },
  RESERVATION_EXPIRED: { status: 410, title: 'The reservation has expired' },
  QUEUE_ADMISSION_REQUIRED: { status: 403, title: 'Admission from the waiting room is required' },
  QUEUE_NOT_ENABLED: { status: 409, title: 'The event has no waiting room now' },
  QUEUE_NOT_JOINED: { status: 404, title: 'You are not in the waiting room' },
  AMOUNT_MISMATCH: { status: 400, title: 'The amount does not match the order' },
  // Realtime channel: refusals of the upgrade (HTTP status) and of socket messages (`{ type: 'error', code }`)
  INVALID_REALTIME_TICKET: { status: 401, title: 'The realtime ticket is unknown, used or expired' },
  REALTIME_CAPACITY_REACHED: { status: 503, title: 'The live channel is at its connection limit' },
  UNKNOWN_TOPIC: { status: 400, title: 'No such realtime topic' },
  UNKNOWN_OP: { status: 400, title: 'The realtime op is not subscribe, unsubscribe or ping' },
  MALFORMED_MESSAGE: { status: 400, title: 'The realtime message is not a JSON object' },
  TOO_MANY_TOPICS: { status: 400, title: 'The connection follows as many topics as allowed' },
  // Payments
  PAYMENT_NOT_FOUND: { status: 404, title: 'Payment not found' },
  RESERVATION_NOT_PAYABLE: { status: 409, title: 'The reservation cannot be paid' },
  PAYMENT_IN_PROGRESS: { status: 409, title: 'A confirm of this payment is in progress' },
  PAYMENT_NOT_CONFIRMABLE: { status: 409, title: 'The payment cannot be confirmed' },
  PAYMENT_DECLINED: { status: 402, title: 'The payment provider declined the payment' },
  PAYMENT_NOT_REFUNDABLE: { status: 409, title: 'The payment cannot be refunded' },
  REFUND_WINDOW_CLOSED: { status: 409, title: 'Refunds close before the event; ask the organiser' },
  INVALID_REFUND_AMOUNT: { status: 400, title: 'The refund amount is more than the payment has left' },
  REFUND_REJECTED: { status: 409, title: 'The payment provider refused the refund' },
  PAYMENT_PROVIDER_UNAVAILABLE: { status: 503, title: 'The payment provider is unavailable' },
  // Ops
  SERVICE_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  /** JSON pointer into the request, such as `/body/email`. */
  path: string;
  message: string;
}

/** A domain error that the error handler turns into problem+json with a stable code. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    // A refusal (4xx) is an answer, not a fault: no stack trace to capture. Capturing one cost
    // ~1 % of the API's CPU under contended holds, where one attempt in ten is a 409.
    const stackTraceLimit = Error.stackTraceLimit;
    if (ERROR_CODES[code].status < 500) Error.stackTraceLimit = 0;
    super(detail ?? ERROR_CODES[code].title);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI naming the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ERROR_CODES), description: 'Stable machine-readable code' }),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    // Extra context for some codes (e.g. the seats that were taken).
    seatIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }))),
    retryAfterSeconds: Type.Optional(Type.Integer()),
    // The payment provider's own code when it refused (e.g. REJECT_CARD_COMPANY).
    providerCode: Type.Optional(Type.String()),
  },
  { $id: 'Problem', title: 'Problem', additionalProperties: true },
);

export const problemType = (code: string) => `https://tiketi.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
