import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type {
  ConfirmPaymentBody,
  ListMyPaymentsQuery,
  ListPaymentsQuery,
  Payment,
  PreparedPayment,
  PreparePaymentBody,
  RefundPaymentBody,
} from '../types.js';
import { Resource } from './resource.js';

/** Payments (TossPayments): prepare an order, confirm it after the payment window, read, refund, list. */
export class PaymentsResource extends Resource {
  /** `{ reservationId }` → the order (`orderId`, `orderName`, `amount`) and the `clientKey` for the payment window. */
  prepare(body: PreparePaymentBody, options?: RequestOptions): Promise<PreparedPayment> {
    return this.transport.call(options, (init) => this.http.POST('/v1/payments/prepare', { body, ...init }));
  }

  /**
   * Confirms after the success redirect: charges, confirms the reservation and sells its seats.
   * AMOUNT_MISMATCH → ValidationError; PAYMENT_DECLINED (402, with `providerCode`) → ApiError; a
   * reservation that ended first → RESERVATION_EXPIRED. Safe to retry: the same payment comes back.
   */
  confirm(body: ConfirmPaymentBody, options?: RequestOptions): Promise<Payment> {
    return this.transport.call(options, (init) => this.http.POST('/v1/payments/confirm', { body, ...init }));
  }

  /** A payment by its order id (yours, or any for an admin). PAYMENT_NOT_FOUND → NotFoundError. */
  get(orderId: string, options?: RequestOptions): Promise<Payment> {
    return this.transport.call(options, (init) =>
      this.http.GET('/v1/payments/orders/{orderId}', { params: { path: { orderId } }, ...init }),
    );
  }

  /** Refunds fully (no `amount`) or partly; a full refund cancels the reservation and frees its seats. */
  refund(paymentKey: string, body: RefundPaymentBody, options?: RequestOptions): Promise<Payment> {
    return this.transport.call(options, (init) =>
      this.http.POST('/v1/payments/{paymentKey}/cancel', { params: { path: { paymentKey } }, body, ...init }),
    );
  }

  /** The signed-in user's payments, newest first. */
  listMine(query: ListMyPaymentsQuery = {}, options?: RequestOptions): PagePromise<Payment> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/me/payments', { params: { query: q }, ...init }));
  }

  /** Every payment (admin), filtered by `eventId`, `status`, `method`, `from`, `to`. */
  list(query: ListPaymentsQuery = {}, options?: RequestOptions): PagePromise<Payment> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/payments', { params: { query: q }, ...init }));
  }
}
