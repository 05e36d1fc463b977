import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type {
  CancelReservationBody,
  CreateReservationBody,
  ListMyReservationsQuery,
  ListReservationsQuery,
  Reservation,
} from '../types.js';
import { Resource } from './resource.js';

/** Reservations: a hold turned into a `pending` order, then `confirmed` by payment. */
export class ReservationsResource extends Resource {
  /** `{ holdId }` → a pending reservation with `expiresAt`, items and `totalAmount`. */
  create(body: CreateReservationBody, options?: RequestOptions): Promise<Reservation> {
    return this.transport.call(options, (init) => this.http.POST('/v1/reservations', { body, ...init }));
  }

  /** One reservation (yours, or any for an admin). RESERVATION_NOT_FOUND → NotFoundError. */
  get(reservationId: string, options?: RequestOptions): Promise<Reservation> {
    return this.transport.call(options, (init) =>
      this.http.GET('/v1/reservations/{reservationId}', { params: { path: { reservationId } }, ...init }),
    );
  }

  /** Cancels a pending reservation and releases its seats. RESERVATION_NOT_CANCELLABLE → ConflictError. */
  cancel(reservationId: string, body: CancelReservationBody = {}, options?: RequestOptions): Promise<Reservation> {
    return this.transport.call(options, (init) =>
      this.http.POST('/v1/reservations/{reservationId}/cancel', { params: { path: { reservationId } }, body, ...init }),
    );
  }

  /** The signed-in user's reservations, newest first. */
  listMine(query: ListMyReservationsQuery = {}, options?: RequestOptions): PagePromise<Reservation> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/me/reservations', { params: { query: q }, ...init }));
  }

  /** Every reservation (admin), filtered by `eventId`, `status`, `userId`. */
  list(query: ListReservationsQuery = {}, options?: RequestOptions): PagePromise<Reservation> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/reservations', { params: { query: q }, ...init }));
  }
}
