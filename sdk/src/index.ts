// @tiketi/sdk: the typed client for the TIKETI API.
export { Tiketi } from './client.js';
export type { TiketiConfig, RequestOptions, FetchLike } from './config.js';
export {
  TiketiError,
  ValidationError,
  AuthenticationError,
  PermissionError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ConnectionError,
  RealtimeError,
  ApiError,
  errorFromResponse,
} from './errors.js';
export type { Problem, ProblemCode, ConnectionErrorCode, RealtimeErrorCode } from './errors.js';
export { PagePromise, type Page, type CallInit, type Credentials } from './transport.js';
export {
  RealtimeClient,
  createRealtimeClient,
  type RealtimeOptions,
  type RealtimeMessage,
  type SeatChange,
  type AvailabilityChange,
  type SeatChangeType,
  type SeatSubscription,
  type SeatTrackingOptions,
  type Subscription,
  type QueuePosition,
  type QueueAdmitted,
  type WebSocketConstructor,
} from './realtime.js';
export type * from './types.js';
export type { HoldRequestOptions } from './resources/holds.js';
export type { SeatWatchHandlers } from './resources/seats.js';
export type { WaitForAdmissionOptions } from './resources/queue.js';
export type { paths, components, operations } from './generated/openapi.js';
