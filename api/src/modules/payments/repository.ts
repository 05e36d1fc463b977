// All SQL of the payments module: payments, provider call logs, webhook deliveries, and the
// payment's side of the reservation lifecycle (selling a paid reservation's seats, and cancelling a
// refunded one), which must commit in the same transaction as the payment row.
//
// Lock order (the inventory module's, with the payment row first): payment row → reservation row →
// seats by id → ticket types by id → the event row (the seat-version bump, last, in seat-changes.ts).
// The reservation sweeper locks reservation rows and only reads payments, so the orders agree.
import type { Queryable } from '../../infra/db.js';
import { keyset } from '../../pagination.js';
import type { ProviderCallLog, ProviderPayment } from './provider.js';

const CLAIM_TURNS = keyset('ASC', ['p.confirm_started_at', 'timestamptz'], ['p.id', 'uuid']);
export const PAYMENT_PAGES = keyset('DESC', ['p.created_at', 'timestamptz'], ['p.id', 'uuid']);

export type PaymentStatus = 'pending' | 'in_progress' | 'confirmed' | 'failed' | 'cancelled' | 'partially_refunded' | 'refunded';

export interface PaymentRow {
  id: string;
  reservation_id: string;
  user_id: string;
  event_id: string;
  provider: string;
  order_id: string;
  order_name: string;
  payment_key: string | null;
  amount: number;
  currency: string;
  method: string | null;
  status: PaymentStatus;
  provider_status: string | null;
  approved_at: Date | null;
  receipt_url: string | null;
  refunded_amount: number;
  refund_count: number;
  refund_attempt: number;
  failure_code: string | null;
  failure_message: string | null;
  refund_failure_code: string | null;
  refund_failure_message: string | null;
  refund_failed_at: Date | null;
  refunded_at: Date | null;
  confirm_started_at: Date | null;
  created_at: Date;
  updated_at: Date;
  reservation_number: string;
  event_date: Date;
}

export interface ReservationForPayment {
  id: string;
  number: string;
  user_id: string;
  event_id: string;
  status: 'pending' | 'confirmed' | 'cancelled' | 'expired';
  total_amount: number;
  currency: string;
  expired: boolean;
  event_title: string;
  event_status: string;
  tickets: number;
}

const PAYMENT_COLUMNS = `p.id, p.reservation_id, p.user_id, p.event_id, p.provider, p.order_id, p.order_name, p.payment_key, p.amount,
  p.currency, p.method, p.status, p.provider_status, p.approved_at, p.receipt_url, p.refunded_amount, p.refund_count, p.refund_attempt,
  p.failure_code, p.failure_message, p.refund_failure_code, p.refund_failure_message, p.refund_failed_at, p.refunded_at,
  p.confirm_started_at, p.created_at, p.updated_at,
  (SELECT r.number FROM ticket.reservations r WHERE r.id = p.reservation_id) AS reservation_number,
  (SELECT e.event_date FROM ticket.events e WHERE e.id = p.event_id) AS event_date`;

/** Fields copied from the provider's answer onto our payment row. */
const providerFields = (p: ProviderPayment) => [p.method, p.approvedAt, p.receiptUrl, p.status, p.secret, JSON.stringify(p.raw)];

export const paymentsRepository = {
  /** The reservation being paid, scoped to its owner; locked when `lock`. */
  async findReservation(db: Queryable, reservationId: string, userId: string, lock = false): Promise<ReservationForPayment | undefined> {
    const { rows } = await db.query<ReservationForPayment>(
      `SELECT r.id, r.number, r.user_id, r.event_id, r.status, r.total_amount, r.currency, r.expires_at < now() AS expired,
              e.title AS event_title, e.status AS event_status,
              (SELECT coalesce(sum(ri.quantity), 0)::int FROM ticket.reservation_items ri WHERE ri.reservation_id = r.id) AS tickets
         FROM ticket.reservations r JOIN ticket.events e ON e.id = r.event_id
        WHERE r.id = $1 AND r.user_id = $2 ${lock ? 'FOR UPDATE OF r' : ''}`,
      [reservationId, userId],
    );
    return rows[0];
  },

  /** Locks the reservation row and says whether it can still be sold (pending and unexpired). */
  async lockReservationState(db: Queryable, reservationId: string): Promise<{ status: string; expired: boolean } | undefined> {
    const { rows } = await db.query<{ status: string; expired: boolean }>(
      `SELECT status, expires_at < now() AS expired FROM ticket.reservations WHERE id = $1 FOR UPDATE`,
      [reservationId],
    );
    return rows[0];
  },

  /** The reservation's payment still being paid (pending or in progress), if any. */
  async findOpenPayment(db: Queryable, reservationId: string): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${PAYMENT_COLUMNS} FROM payment.payments p WHERE p.reservation_id = $1 AND p.status IN ('pending', 'in_progress')`,
      [reservationId],
    );
    return rows[0];
  },

  /** The reservation's money-holding payment (confirmed or partly refunded), if any. */
  async findPaidPayment(db: Queryable, reservationId: string): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${PAYMENT_COLUMNS} FROM payment.payments p
        WHERE p.reservation_id = $1 AND p.status IN ('confirmed', 'partially_refunded')`,
      [reservationId],
    );
    return rows[0];
  },

  async insertPayment(
    db: Queryable,
    input: { reservationId: string; userId: string; eventId: string; orderId: string; orderName: string; amount: number; currency: string },
  ): Promise<PaymentRow> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO payment.payments (reservation_id, user_id, event_id, order_id, order_name, amount, currency)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [input.reservationId, input.userId, input.eventId, input.orderId, input.orderName, input.amount, input.currency],
    );
    return (await paymentsRepository.findById(db, rows[0]!.id))!;
  },

  async findById(db: Queryable, id: string, lock = false): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${PAYMENT_COLUMNS} FROM payment.payments p WHERE p.id = $1 ${lock ? 'FOR UPDATE OF p' : ''}`,
      [id],
    );
    return rows[0];
  },

  /** By order id; scoped to its owner in the query unless `ownerId` is null (admins). */
  async findByOrderId(db: Queryable, orderId: string, ownerId: string | null): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${PAYMENT_COLUMNS} FROM payment.payments p WHERE p.order_id = $1 AND ($2::uuid IS NULL OR p.user_id = $2)`,
      [orderId, ownerId],
    );
    return rows[0];
  },

  async findByPaymentKey(db: Queryable, paymentKey: string, ownerId: string | null): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${PAYMENT_COLUMNS} FROM payment.payments p WHERE p.payment_key = $1 AND ($2::uuid IS NULL OR p.user_id = $2)`,
      [paymentKey, ownerId],
    );
    return rows[0];
  },

  /**
   * Claims a pending payment for one confirm: in_progress, with the provider's payment key. From
   * here the sweeper keeps the reservation and the reconciliation job owns the outcome if we die.
   */
  async claimConfirm(db: Queryable, id: string, paymentKey: string): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE payment.payments SET status = 'in_progress', payment_key = $2, confirm_started_at = now(),
              failure_code = NULL, failure_message = NULL
        WHERE id = $1 AND status = 'pending'`,
      [id, paymentKey],
    );
    return rowCount === 1;
  },

  /** Gives an unsent claim back (the provider certainly never saw the confirm). */
  async releaseClaim(db: Queryable, id: string): Promise<void> {
    await db.query(`UPDATE payment.payments SET status = 'pending', confirm_started_at = NULL WHERE id = $1 AND status = 'in_progress'`, [
      id,
    ]);
  },

  /** A charge we hold no ticket for and could not refund yet: back on the reconciliation job's list. */
  async reopenForReconciliation(db: Queryable, id: string): Promise<void> {
    await db.query(
      `UPDATE payment.payments SET status = 'in_progress', confirm_started_at = coalesce(confirm_started_at, now())
        WHERE id = $1 AND status IN ('pending', 'failed', 'cancelled')`,
      [id],
    );
  },

  /** The provider charged the payment: confirmed, with what the provider says about it. */
  async markConfirmed(db: Queryable, id: string, p: ProviderPayment): Promise<void> {
    await db.query(
      `UPDATE payment.payments SET status = 'confirmed', method = $2, approved_at = $3, receipt_url = $4, provider_status = $5,
              provider_secret = $6, provider_response = $7, failure_code = NULL, failure_message = NULL
        WHERE id = $1`,
      [id, ...providerFields(p)],
    );
  },

  /** A payment that will not take money: `failed` (declined, abandoned) or `cancelled` (its reservation ended first). */
  async markUnpaid(
    db: Queryable,
    id: string,
    status: 'failed' | 'cancelled',
    failure: { code: string; message: string },
    providerStatus: string | null = null,
  ): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE payment.payments SET status = $2, failure_code = $3, failure_message = $4, provider_status = coalesce($5, provider_status)
        WHERE id = $1 AND status IN ('pending', 'in_progress')`,
      [id, status, failure.code, failure.message.slice(0, 500), providerStatus],
    );
    return rowCount === 1;
  },

  /** Applies the provider's record after a refund: refunded amount, status, count; clears the last refund failure. */
  async applyRefunds(db: Queryable, id: string, p: ProviderPayment, failure?: { code: string; message: string }): Promise<PaymentRow> {
    const refunded = p.totalAmount - p.balanceAmount;
    await db.query(
      `UPDATE payment.payments SET refunded_amount = $2, status = $3, refund_count = greatest(refund_count, $4), refunded_at = now(),
              refund_failure_code = NULL, refund_failure_message = NULL, refund_failed_at = NULL,
              provider_status = $5, provider_response = $6,
              failure_code = coalesce($7, failure_code), failure_message = coalesce($8, failure_message)
        WHERE id = $1`,
      [
        id,
        refunded,
        p.balanceAmount === 0 ? 'refunded' : 'partially_refunded',
        p.cancelCount,
        p.status,
        JSON.stringify(p.raw),
        failure?.code ?? null,
        failure?.message ?? null,
      ],
    );
    return (await paymentsRepository.findById(db, id))!;
  },

  /** Keeps a failed refund on the payment for the admin; a refusal also moves the next refund to a new key. */
  async recordRefundFailure(db: Queryable, id: string, code: string, message: string, refused: boolean): Promise<void> {
    await db.query(
      `UPDATE payment.payments SET refund_failure_code = $2, refund_failure_message = $3, refund_failed_at = now(),
              refund_attempt = refund_attempt + CASE WHEN $4 THEN 1 ELSE 0 END, refund_failure_temporary = NOT $4
        WHERE id = $1`,
      [id, code, message.slice(0, 500), refused],
    );
  },

  /** Confirms a pending reservation and sells its seats; the seats sold (none if it was not pending). */
  async sellReservation(db: Queryable, reservationId: string): Promise<{ eventId: string; seatIds: string[] } | undefined> {
    const { rows } = await db.query<{ event_id: string }>(
      `UPDATE ticket.reservations SET status = 'confirmed', confirmed_at = now() WHERE id = $1 AND status = 'pending' RETURNING event_id`,
      [reservationId],
    );
    if (!rows[0]) return undefined;
    const sold = await db.query<{ id: string }>(
      `UPDATE ticket.seats s SET status = 'sold', updated_at = now()
         FROM (SELECT id FROM ticket.seats
                WHERE id = ANY(ARRAY(SELECT ri.seat_id FROM ticket.reservation_items ri
                                      WHERE ri.reservation_id = $1 AND ri.seat_id IS NOT NULL))
                  AND reservation_id = $1 AND status = 'reserved'
                ORDER BY id FOR UPDATE) old
        WHERE s.id = old.id
       RETURNING s.id`,
      [reservationId],
    );
    return { eventId: rows[0].event_id, seatIds: sold.rows.map((r) => r.id) };
  },

  /** Cancels a confirmed reservation whose money went back: seats free again, quantities restored. */
  async cancelPaidReservation(
    db: Queryable,
    reservationId: string,
    reason: string,
  ): Promise<{ eventId: string; seatIds: string[]; quantitiesReturned: boolean } | undefined> {
    const { rows } = await db.query<{ event_id: string }>(
      `UPDATE ticket.reservations SET status = 'cancelled', ended_at = now(), cancel_reason = $2
        WHERE id = $1 AND status = 'confirmed' RETURNING event_id`,
      [reservationId, reason],
    );
    if (!rows[0]) return undefined;
    const freed = await db.query<{ id: string }>(
      `UPDATE ticket.seats s SET status = 'available', reservation_id = NULL, updated_at = now()
         FROM (SELECT id FROM ticket.seats
                WHERE id = ANY(ARRAY(SELECT ri.seat_id FROM ticket.reservation_items ri
                                      WHERE ri.reservation_id = $1 AND ri.seat_id IS NOT NULL))
                  AND reservation_id = $1 AND status = 'sold'
                ORDER BY id FOR UPDATE) old
        WHERE s.id = old.id
       RETURNING s.id`,
      [reservationId],
    );
    const returned = await db.query(
      `UPDATE ticket.ticket_types t SET available_quantity = t.available_quantity + d.quantity
         FROM (SELECT ticket_type_id, sum(quantity)::int AS quantity FROM ticket.reservation_items
                WHERE reservation_id = $1 AND seat_id IS NULL GROUP BY 1 ORDER BY 1) d
        WHERE t.id = d.ticket_type_id`,
      [reservationId],
    );
    return { eventId: rows[0].event_id, seatIds: freed.rows.map((r) => r.id), quantitiesReturned: (returned.rowCount ?? 0) > 0 };
  },

  /**
   * Of these (locked) expired reservations, those the sweeper may expire: not while a confirm holds
   * them. Runs as its own statement after the sweeper's lock, so a claim that committed before is
   * seen, and one that commits later must first wait for the lock and then finds the reservation gone.
   */
  async expirableReservations(db: Queryable, reservationIds: string[]): Promise<string[]> {
    if (reservationIds.length === 0) return [];
    const { rows } = await db.query<{ id: string }>(
      `SELECT x.id FROM unnest($1::uuid[]) AS x(id)
        WHERE NOT EXISTS (SELECT 1 FROM payment.payments p WHERE p.reservation_id = x.id AND p.status = 'in_progress')`,
      [reservationIds],
    );
    return rows.map((r) => r.id);
  },

  /** Confirms claimed longer ago than `olderThanMs`: the reconciliation job's work. */
  /** Confirms claimed over `olderThanMs` ago and not finished, oldest first, after the `page_key` of a page's last one. */
  async staleClaims(db: Queryable, olderThanMs: number, limit: number, after: string[] | null) {
    const { rows } = await db.query<PaymentRow & { page_key: string[] }>(
      `SELECT ${PAYMENT_COLUMNS}, ${CLAIM_TURNS.select} FROM payment.payments p
        WHERE p.status = 'in_progress' AND p.confirm_started_at < now() - make_interval(secs => $1::double precision / 1000)
          AND ${CLAIM_TURNS.after(3)}
        ORDER BY ${CLAIM_TURNS.orderBy} LIMIT $2`,
      [olderThanMs, limit, after],
    );
    return rows;
  },

  async list(
    db: Queryable,
    filter: { userId?: string; eventId?: string; status?: string; method?: string; from?: string; to?: string },
    limit: number,
    after: string[] | null,
  ): Promise<Array<PaymentRow & { page_key: string[] }>> {
    const { rows } = await db.query<PaymentRow & { page_key: string[] }>(
      `SELECT ${PAYMENT_COLUMNS}, ${PAYMENT_PAGES.select} FROM payment.payments p
        WHERE ($2::uuid IS NULL OR p.user_id = $2) AND ($3::uuid IS NULL OR p.event_id = $3)
          AND ($4::text IS NULL OR p.status = $4) AND ($5::text IS NULL OR p.method = $5)
          AND ($6::timestamptz IS NULL OR p.created_at >= $6) AND ($7::timestamptz IS NULL OR p.created_at < $7)
          AND ${PAYMENT_PAGES.after(8)}
        ORDER BY ${PAYMENT_PAGES.orderBy} LIMIT $1`,
      [
        limit,
        filter.userId ?? null,
        filter.eventId ?? null,
        filter.status ?? null,
        filter.method ?? null,
        filter.from ?? null,
        filter.to ?? null,
        after,
      ],
    );
    return rows;
  },

  /** One provider call; tied to our payment by order id when we have one. Never headers (the secret key). */
  async insertLog(db: Queryable, entry: ProviderCallLog): Promise<void> {
    await db.query(
      `INSERT INTO payment.payment_logs (payment_id, order_id, action, endpoint, method, request_body, response_status, response_body,
                                         error_code, error_message, duration_ms, idempotency_key, attempt)
       VALUES ((SELECT id FROM payment.payments WHERE order_id = $1), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        entry.orderId,
        entry.action,
        entry.endpoint,
        entry.method,
        entry.requestBody === null ? null : JSON.stringify(entry.requestBody),
        entry.responseStatus,
        entry.responseBody === null ? null : JSON.stringify(entry.responseBody),
        entry.errorCode,
        entry.errorMessage,
        entry.durationMs,
        entry.idempotencyKey,
        entry.attempt,
      ],
    );
  },

  /** Records a webhook delivery; false when this transmission id was seen before. */
  async recordWebhook(
    db: Queryable,
    input: { transmissionId: string; eventType: string; orderId: string | null; paymentKey: string | null },
  ): Promise<boolean> {
    const { rowCount } = await db.query(
      `INSERT INTO payment.webhook_events (transmission_id, event_type, order_id, payment_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (transmission_id) DO NOTHING`,
      [input.transmissionId, input.eventType, input.orderId, input.paymentKey],
    );
    return rowCount === 1;
  },

  async finishWebhook(db: Queryable, transmissionId: string, outcome: string): Promise<void> {
    await db.query(`UPDATE payment.webhook_events SET processed_at = now(), outcome = $2 WHERE transmission_id = $1`, [
      transmissionId,
      outcome,
    ]);
  },

  /** Forgets a delivery we could not process, so the provider's retry is processed. */
  async forgetWebhook(db: Queryable, transmissionId: string): Promise<void> {
    await db.query(`DELETE FROM payment.webhook_events WHERE transmission_id = $1 AND processed_at IS NULL`, [transmissionId]);
  },
};
