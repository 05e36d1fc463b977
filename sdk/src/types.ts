// Public names for the generated schemas, so callers never spell `components['schemas'][...]`.
import type { components, operations } from './generated/openapi.js';

type Schemas = components['schemas'];

/** The JSON request body of an operation (by operationId). */
export type BodyOf<Op extends keyof operations> = operations[Op] extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : operations[Op] extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B
    : never;
/** The query parameters of an operation (by operationId). */
export type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

export type User = Schemas['User'];
/** `{ user, token }` from register and the logins. */
export type Session = Schemas['Session'];
export type ApiKey = Schemas['ApiKey'];
/** An API key as created: the only time `secret` is shown. */
export type CreatedApiKey = Schemas['CreatedApiKey'];

export type RegisterBody = BodyOf<'register'>;
export type LoginBody = BodyOf<'login'>;
export type GoogleLoginBody = BodyOf<'loginWithGoogle'>;
export type VerifyResult = operations['verifyToken']['responses'][200]['content']['application/json'];
export type CreateApiKeyBody = BodyOf<'createApiKey'>;
export type ListApiKeysQuery = QueryOf<'listApiKeys'>;
/** `read-only` (admin reads), `catalog` (catalog writes), `operations` (holds, reservations, users ...). */
export type ApiKeyScope = ApiKey['scopes'][number];
export type Role = User['role'];
export type ListUsersQuery = QueryOf<'listUsers'>;
export type UpdateUserBody = BodyOf<'updateUser'>;

/** `?limit=&cursor=` of every plain list. */
export type ListQuery = { limit?: number; cursor?: string };

// ---- catalog ----
export type Event = Schemas['Event'];
/** An event with its ticket types and seat counts (get, create, update). */
export type EventDetail = Schemas['EventDetail'];
export type EventStatus = Event['status'];
export type ListEventsQuery = QueryOf<'listEvents'>;
export type CreateEventBody = BodyOf<'createEvent'>;
export type UpdateEventBody = BodyOf<'updateEvent'>;
export type SeatLayout = Schemas['SeatLayout'];
export type CreateSeatLayoutBody = BodyOf<'createSeatLayout'>;
export type TicketType = Schemas['TicketType'];
export type CreateTicketTypeBody = BodyOf<'createTicketType'>;
export type UpdateTicketTypeBody = BodyOf<'updateTicketType'>;
export type News = Schemas['News'];
export type CreateNewsBody = BodyOf<'createNews'>;
export type UpdateNewsBody = BodyOf<'updateNews'>;
export type KeywordMapping = Schemas['KeywordMapping'];
export type CreateKeywordMappingBody = BodyOf<'createKeywordMapping'>;

// ---- inventory ----
/** `{ eventId, version, seats }`: realtime changes continue from `version`. */
export type SeatMap = Schemas['SeatMap'];
export type MapSeat = Schemas['MapSeat'];
export type SeatStatus = MapSeat['status'];
/** Where every seat is (GET .../seats/geometry), in the order of `SeatStatuses.statuses`. */
export type SeatGeometry = Schemas['SeatGeometry'];
/** Seat statuses by version (GET .../seats/status): full, or the changes since a version. */
export type SeatStatuses = Schemas['SeatStatuses'];
export type Hold = Schemas['Hold'];
/** Exactly one of `seatIds` (seated) or `items` (general admission). */
export type CreateHoldBody = BodyOf<'createHold'>;
export type Reservation = Schemas['Reservation'];
export type ReservationStatus = Reservation['status'];
export type CreateReservationBody = BodyOf<'createReservation'>;
export type CancelReservationBody = NonNullable<BodyOf<'cancelReservation'>>;
export type ListMyReservationsQuery = QueryOf<'listMyReservations'>;
export type ListReservationsQuery = QueryOf<'listReservations'>;

// ---- payments ----
/** A payment: `pending` → `in_progress` → `confirmed` | `failed` | `cancelled`, then `partially_refunded` | `refunded`. */
export type Payment = Schemas['Payment'];
export type PaymentStatus = Payment['status'];
/** What prepare returns: the order to open the provider's payment window with, and the client key. */
export type PreparedPayment = Schemas['PreparedPayment'];
export type PreparePaymentBody = BodyOf<'preparePayment'>;
/** `{ paymentKey, orderId, amount }` as the success redirect carried them. */
export type ConfirmPaymentBody = BodyOf<'confirmPayment'>;
/** `{ reason, amount? }`: without `amount`, everything left is refunded. */
export type RefundPaymentBody = BodyOf<'refundPayment'>;
export type ListMyPaymentsQuery = QueryOf<'listMyPayments'>;
export type ListPaymentsQuery = QueryOf<'listPayments'>;

// Waiting room
/** An event's waiting room: settings and the line now. */
export type QueueSettings = Schemas['QueueSettings'];
export type QueueOrder = QueueSettings['order'];
export type UpdateQueueBody = BodyOf<'updateQueue'>;
/** Your place in line (`status: 'waiting'`) or your admission (`status: 'admitted'`). */
export type QueuePlace = Schemas['QueuePlace'];
/** Goes in `X-Queue-Token` when holding (the SDK sends it for you once it knows it). */
export type Admission = Schemas['Admission'];
export type AdmitResult = Schemas['AdmitResult'];
