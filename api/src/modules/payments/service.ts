// The payment flow: prepare an order, confirm it with the provider and sell the seats in one
// transaction, refund (fully or partly), settle what a crash or a timeout left open from the
// provider's own record, and apply the provider's webhooks after re-fetching the payment.
//
// The rule everything here serves: no charge without a ticket and no ticket without a charge. A
// provider answer we did not get is never guessed: the payment stays `in_progress` (the sweeper
// leaves its reservation alone) until the provider's GET tells us what happened.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../../config.js';
import { withTransaction, type Db, type Queryable } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { takingTurns } from '../../pagination.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import { createAvailabilityAnnouncer, type AvailabilityAnnouncer } from '../inventory/availability.js';
import { publishSeatChanges, recordSeatChanges, type VersionedSeatChange } from '../inventory/seat-changes.js';
import type { PaymentMetrics } from './metrics.js';
import { ProviderError, type PaymentProvider, type ProviderPayment } from './provider.js';
import { paymentsRepository as repo, type PaymentRow } from './repository.js';

export interface Principal {
  userId: string;
  role: string;
}

export function toPaymentView(p: PaymentRow) {
  return {
    id: p.id,
    orderId: p.order_id,
    orderName: p.order_name,
    paymentKey: p.payment_key,
    reservationId: p.reservation_id,
    reservationNumber: p.reservation_number,
    eventId: p.event_id,
    userId: p.user_id,
    provider: p.provider,
    status: p.status,
    amount: p.amount,
    refundedAmount: p.refunded_amount,
    balanceAmount: p.status === 'confirmed' || p.status === 'partially_refunded' ? p.amount - p.refunded_amount : 0,
    currency: p.currency,
    method: p.method,
    providerStatus: p.provider_status,
    approvedAt: p.approved_at?.toISOString() ?? null,
    receiptUrl: p.receipt_url,
    failure: p.failure_code ? { code: p.failure_code, message: p.failure_message ?? '' } : null,
    refundFailure: p.refund_failure_code
      ? { code: p.refund_failure_code, message: p.refund_failure_message ?? '', at: p.refund_failed_at!.toISOString() }
      : null,
    refundedAt: p.refunded_at?.toISOString() ?? null,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
  };
}
export type PaymentView = ReturnType<typeof toPaymentView>;

// Order ids: the reservation number plus a random attempt tag, within Toss's 6–64 [A-Za-z0-9_-].
const TAG_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
function orderIdFor(reservationNumber: string): string {
  let tag = '';
  for (const b of randomBytes(8)) tag += TAG_ALPHABET[b % TAG_ALPHABET.length];
  return `${reservationNumber}-${tag}`;
}

/** The order name shown in the payment window (Toss: at most 100 characters). */
function orderNameFor(title: string, tickets: number): string {
  const suffix = tickets > 1 ? ` (${tickets} tickets)` : '';
  return `${title.slice(0, 100 - suffix.length)}${suffix}`;
}

// Toss statuses after which a payment holds money, and after which it never will.
const CHARGED = new Set(['DONE', 'PARTIAL_CANCELED', 'CANCELED']);
const NEVER_CHARGED = new Set(['ABORTED', 'EXPIRED']);
// A confirm claimed longer ago than the provider's confirm window can no longer succeed.
const CONFIRM_WINDOW_MS = 10 * 60_000;
const RETRY_AFTER_SECONDS = 5;

/**
 * The provider Idempotency-Key of the payment's next refund: the same for every retry of one refund
 * whose outcome we do not know (the provider applies it once), a new one after a refusal (the
 * provider would replay the refusal) and after each refund made.
 */
const refundKey = (row: PaymentRow) =>
  `cancel:${row.order_id}:${row.refund_count + 1}${row.refund_attempt ? `:${row.refund_attempt}` : ''}`;

const unavailable = (detail: string) => new AppError('PAYMENT_PROVIDER_UNAVAILABLE', detail, { retryAfterSeconds: RETRY_AFTER_SECONDS });

export function createPaymentsService(deps: {
  config: Config;
  db: Db;
  publisher: RealtimePublisher;
  /** Announces general-admission quantities after a change commits (a refund returns tickets). */
  availability?: AvailabilityAnnouncer;
  provider: PaymentProvider | undefined;
  metrics: PaymentMetrics;
  log: (err: unknown, msg: string) => void;
  /** Told of each completed purchase (app.ts ends the buyer's waiting-room admission, so the line moves). */
  onPurchased?: (eventId: string, userId: string) => Promise<void>;
}) {
  const { config, db, publisher, metrics, log } = deps;
  const publish = (changes: VersionedSeatChange[]) =>
    publishSeatChanges(publisher, changes, (err) => log(err, 'seat change publish failed'));
  const availability = deps.availability ?? createAvailabilityAnnouncer(db, publisher, log);
  // Confirms and refunds in flight in this process, by order id / payment id: concurrent identical
  // requests share one provider call. Across instances the payment row's claim does the same.
  const confirmFlights = new Map<string, Promise<PaymentRow>>();
  // How long a live confirm can hold its claim: three attempts at the provider's timeout, and margin.
  const claimLifetimeMs = config.TOSS_TIMEOUT_MS * 3 + 2_000;
  const refundFlights = new Map<string, Promise<PaymentRow>>();
  /** Reconciliation's next turn (this process's own place in the backlog). */
  const nextStaleClaims = takingTurns((limit, after) => repo.staleClaims(db, config.PAYMENT_RECONCILE_AFTER_MS, limit, after));

  const providerOrFail = (): PaymentProvider => {
    if (!deps.provider) throw unavailable('Payments are not configured on this server (TOSS_SECRET_KEY and TOSS_CLIENT_KEY)');
    return deps.provider;
  };

  const mustFind = async (db: Queryable, orderId: string, principal: Principal) => {
    const row = await repo.findByOrderId(db, orderId, principal.role === 'admin' ? null : principal.userId);
    if (!row) throw new AppError('PAYMENT_NOT_FOUND', `No payment for order ${orderId} of yours`);
    return row;
  };

  // ------------------------------------------------------------------ settling with the provider's record

  /**
   * The provider charged this payment: sell the reservation's seats in the same transaction that
   * confirms the payment. If the reservation is no longer ours to sell (it ended meanwhile), the
   * charge goes back to the buyer at once, and the answer says so.
   */
  async function settleCharged(paymentId: string, p: ProviderPayment): Promise<PaymentRow> {
    const { row, changes, refund, purchased } = await withTransaction(db, async (client) => {
      const payment = (await repo.findById(client, paymentId, true))!;
      if (payment.status === 'confirmed' || payment.status === 'partially_refunded' || payment.status === 'refunded')
        return { row: payment, changes: [] as VersionedSeatChange[], refund: false, purchased: false };
      const reservation = await repo.lockReservationState(client, payment.reservation_id);
      // A pending reservation is still ours even past its expiry: the sweeper skipped it because of this claim.
      const sold = reservation?.status === 'pending' ? await repo.sellReservation(client, payment.reservation_id) : undefined;
      if (!sold) return { row: payment, changes: [], refund: true, purchased: false };
      await repo.markConfirmed(client, paymentId, p);
      const changes = await recordSeatChanges(client, sold.eventId, [{ type: 'seat.sold', seatIds: sold.seatIds }]);
      return { row: (await repo.findById(client, paymentId))!, changes, refund: false, purchased: true };
    });
    publish(changes);
    if (!refund) {
      metrics.confirms.inc({ outcome: 'confirmed' });
      if (purchased) await deps.onPurchased?.(row.event_id, row.user_id).catch((err: unknown) => log(err, 'purchase hook failed'));
      return row;
    }
    // Charged for a reservation that ended (expired, cancelled): refund in full, never keep the money.
    const refunded = await refundCharge(row, p, 'The reservation ended before the payment completed');
    metrics.confirms.inc({ outcome: 'refunded_reservation_ended' });
    return refunded;
  }

  /** Full refund of a charge that bought nothing; the payment ends `refunded`. Leaves it in_progress if the provider fails. */
  async function refundCharge(row: PaymentRow, p: ProviderPayment, reason: string): Promise<PaymentRow> {
    let after = p;
    if (p.balanceAmount > 0) {
      try {
        after = await providerOrFail().cancel({
          paymentKey: p.paymentKey,
          orderId: row.order_id,
          reason,
          idempotencyKey: refundKey(row),
        });
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        metrics.failures.inc({ operation: 'refund', code: err.code });
        await repo.recordRefundFailure(db, row.id, err.code, err.message, err.outcome === 'rejected');
        // Left (or put back) in_progress: the reconciliation job finds the charge again and retries.
        await repo.reopenForReconciliation(db, row.id).catch((e) => log(e, `order ${row.order_id}: charge to refund needs a human`));
        throw unavailable('You were charged for a reservation that has ended; the refund is pending and will be retried');
      }
    }
    return withTransaction(db, async (client) => {
      await repo.findById(client, row.id, true);
      await repo.applyRefunds(client, row.id, after, { code: 'RESERVATION_ENDED', message: reason });
      return (await repo.findById(client, row.id))!;
    });
  }

  /** The provider said it never charged (declined, aborted, expired): the reservation stays payable. */
  async function settleUnpaid(paymentId: string, code: string, message: string, providerStatus: string | null) {
    await repo.markUnpaid(db, paymentId, 'failed', { code, message }, providerStatus);
    return (await repo.findById(db, paymentId))!;
  }

  /** Brings a payment in line with the provider's record of it. */
  async function settleFromProvider(row: PaymentRow, p: ProviderPayment): Promise<PaymentRow> {
    if (p.orderId !== row.order_id || p.totalAmount !== row.amount) {
      // Not the payment we asked for: never sell on it. Logged for a human; the claim stays for the job.
      log(new Error(`provider payment ${p.paymentKey} does not match order ${row.order_id}`), 'payment mismatch');
      throw new AppError('PAYMENT_NOT_CONFIRMABLE', 'The provider reports another order or amount for this payment');
    }
    if (CHARGED.has(p.status)) {
      if (row.status !== 'confirmed' && row.status !== 'partially_refunded' && row.status !== 'refunded') {
        // Money taken for a payment we hold as open (or gave up on): sell the seats, or refund.
        if (p.status === 'DONE') return settleCharged(row.id, p);
        // Charged and (partly) refunded at the provider before we sold anything: return the rest too.
        return refundCharge(row, p, 'Refunded at the provider before the order completed');
      }
      if ((row.status === 'confirmed' || row.status === 'partially_refunded') && p.balanceAmount < row.amount - row.refunded_amount)
        return applyRefunded(row.id, p, 'Refunded at the payment provider');
      return row;
    }
    if (NEVER_CHARGED.has(p.status) && (row.status === 'pending' || row.status === 'in_progress'))
      return settleUnpaid(
        row.id,
        p.failure?.code ?? `PROVIDER_${p.status}`,
        p.failure?.message ?? `The provider reports ${p.status}`,
        p.status,
      );
    return row;
  }

  // ------------------------------------------------------------------ confirm

  /** Calls the provider for a claimed payment and settles the answer. Shared by confirm and the reconciliation job. */
  async function driveConfirm(row: PaymentRow, paymentKey: string): Promise<PaymentRow> {
    const provider = providerOrFail();
    let charged: ProviderPayment;
    try {
      charged = await provider.confirm({
        paymentKey,
        orderId: row.order_id,
        amount: row.amount,
        idempotencyKey: `confirm:${row.order_id}`,
      });
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      metrics.failures.inc({ operation: 'confirm', code: err.code });
      if (err.outcome === 'not_sent') {
        await repo.releaseClaim(db, row.id);
        throw unavailable(`The payment provider could not be reached (${err.code}); nothing was charged, try again`);
      }
      if (err.outcome === 'rejected' && err.code !== 'ALREADY_PROCESSED_PAYMENT') {
        await settleUnpaid(row.id, err.code, err.message, 'ABORTED');
        metrics.confirms.inc({ outcome: 'declined' });
        throw new AppError('PAYMENT_DECLINED', err.message, { providerCode: err.code });
      }
      // Unknown outcome (timeout, 5xx) or "already processed": ask the provider what happened.
      try {
        charged = await provider.getByPaymentKey(paymentKey, row.order_id);
      } catch {
        throw unavailable('The payment provider did not answer; the payment will be settled from its record shortly');
      }
      if (!CHARGED.has(charged.status)) {
        if (NEVER_CHARGED.has(charged.status)) {
          await settleUnpaid(row.id, charged.failure?.code ?? err.code, charged.failure?.message ?? err.message, charged.status);
          throw new AppError('PAYMENT_DECLINED', err.message, { providerCode: charged.failure?.code ?? err.code });
        }
        throw unavailable('The payment provider has not finished this payment; it will be settled from its record shortly');
      }
    }
    if (config.TIKETI_FAULT === 'exit-after-provider-confirm') {
      // TEST ONLY (refused in production by loadConfig): die between the provider's charge and our commit.
      process.exit(86);
    }
    return settleFromProvider(row, charged);
  }

  /** Claims the payment (or finds it settled) and drives one confirm; concurrent callers share it. */
  async function confirmOnce(paymentId: string, paymentKey: string): Promise<PaymentRow> {
    const claimed = await withTransaction(db, async (client) => {
      const row = (await repo.findById(client, paymentId, true))!;
      if (row.status !== 'pending') return { row, claimed: false };
      const reservation = await repo.lockReservationState(client, row.reservation_id);
      if (!reservation || reservation.status !== 'pending' || reservation.expired) {
        // The buyer approved in the payment window, but the reservation ended first: do not confirm,
        // so nothing is charged (the provider's session lapses unconfirmed).
        await repo.markUnpaid(client, row.id, 'cancelled', {
          code: reservation?.status === 'cancelled' ? 'RESERVATION_CANCELLED' : 'RESERVATION_EXPIRED',
          message: 'The reservation ended before the payment was confirmed; nothing was charged',
        });
        return { row: (await repo.findById(client, row.id))!, claimed: false };
      }
      try {
        await repo.claimConfirm(client, row.id, paymentKey);
      } catch (err) {
        if ((err as { code?: string }).code !== '23505') throw err;
        throw new AppError('PAYMENT_NOT_CONFIRMABLE', 'This payment key belongs to another order');
      }
      return { row: (await repo.findById(client, row.id))!, claimed: true };
    });
    if (claimed.claimed) return driveConfirm(claimed.row, paymentKey);
    const row = claimed.row;
    if (row.status === 'in_progress') {
      if (row.payment_key !== paymentKey)
        throw new AppError('PAYMENT_IN_PROGRESS', 'This order is being confirmed with another payment key');
      // Claimed by another instance: wait for its answer (one provider call per order), as long as
      // its own attempts can take. A claim older than that belongs to a process that died:
      // re-driving under the same Idempotency-Key is safe (the provider applies a confirm once).
      for (;;) {
        const now = (await repo.findById(db, row.id))!;
        if (now.status !== 'in_progress') return now;
        if (Date.now() - now.confirm_started_at!.getTime() > claimLifetimeMs) return driveConfirm(now, paymentKey);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return row;
  }

  /** What a confirm answers for a payment in its final state. */
  function confirmAnswer(row: PaymentRow, paymentKey: string): PaymentRow {
    if (row.status === 'confirmed' || row.status === 'partially_refunded' || row.status === 'refunded') {
      if (row.payment_key !== paymentKey) throw new AppError('PAYMENT_NOT_CONFIRMABLE', 'This order was paid with another payment key');
      if (row.failure_code === 'RESERVATION_ENDED')
        throw new AppError('RESERVATION_EXPIRED', 'The reservation ended while you were paying; the charge was refunded in full');
      return row;
    }
    if (row.status === 'cancelled')
      throw new AppError(
        'RESERVATION_EXPIRED',
        row.failure_message ?? 'The reservation ended before the payment was confirmed; nothing was charged',
      );
    if (row.status === 'failed')
      throw new AppError('PAYMENT_DECLINED', row.failure_message ?? 'The payment failed; prepare a new one', {
        providerCode: row.failure_code ?? 'UNKNOWN',
      });
    return row;
  }

  // ------------------------------------------------------------------ refunds

  /** Applies the provider's record after a refund; a full one cancels the reservation and frees its seats. */
  async function applyRefunded(paymentId: string, p: ProviderPayment, reason: string): Promise<PaymentRow> {
    const { row, changes, generalEventId } = await withTransaction(db, async (client) => {
      const before = (await repo.findById(client, paymentId, true))!;
      const row = await repo.applyRefunds(client, paymentId, p);
      let changes: VersionedSeatChange[] = [];
      let generalEventId: string | undefined;
      if (row.status === 'refunded' && before.status !== 'refunded') {
        const freed = await repo.cancelPaidReservation(client, row.reservation_id, reason);
        if (freed) changes = await recordSeatChanges(client, freed.eventId, [{ type: 'seat.released', seatIds: freed.seatIds }]);
        if (freed?.quantitiesReturned) generalEventId = freed.eventId;
      }
      return { row, changes, generalEventId };
    });
    publish(changes);
    if (generalEventId) availability.changed([generalEventId]);
    return row;
  }

  async function refund(principal: Principal, row: PaymentRow, input: { reason: string; amount?: number }): Promise<PaymentRow> {
    if (row.status !== 'confirmed' && row.status !== 'partially_refunded')
      throw new AppError('PAYMENT_NOT_REFUNDABLE', `A ${row.status} payment has nothing to refund`);
    if (principal.role !== 'admin') {
      const closesAt = row.event_date.getTime() - config.PAYMENT_REFUND_WINDOW_HOURS * 3600_000;
      if (Date.now() >= closesAt)
        throw new AppError('REFUND_WINDOW_CLOSED', `Refunds closed ${config.PAYMENT_REFUND_WINDOW_HOURS} h before the event`);
    }
    const balance = row.amount - row.refunded_amount;
    if (input.amount !== undefined && input.amount > balance)
      throw new AppError('INVALID_REFUND_AMOUNT', `At most ${balance} ${row.currency} is left to refund`);
    const inFlight = refundFlights.get(row.id);
    if (inFlight) return inFlight;
    const flight = (async () => {
      const provider = providerOrFail();
      let after: ProviderPayment;
      try {
        after = await provider.cancel({
          paymentKey: row.payment_key!,
          orderId: row.order_id,
          reason: input.reason.slice(0, 200),
          amount: input.amount === undefined || input.amount === balance ? undefined : input.amount,
          idempotencyKey: refundKey(row),
        });
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        metrics.failures.inc({ operation: 'refund', code: err.code });
        // The reservation stays confirmed; the failure is kept on the payment for the admin.
        await repo.recordRefundFailure(db, row.id, err.code, err.message, err.outcome === 'rejected');
        log(err, `refund of order ${row.order_id} failed at the provider`);
        if (err.outcome === 'rejected') throw new AppError('REFUND_REJECTED', err.message, { providerCode: err.code });
        if (err.outcome === 'unknown') {
          // It may have happened: settle from the provider's record when it answers.
          const now = await provider.getByPaymentKey(row.payment_key!, row.order_id).catch(() => undefined);
          if (now && now.balanceAmount < balance) return applyRefunded(row.id, now, input.reason);
        }
        throw unavailable('The payment provider could not refund now; nothing changed, try again');
      }
      metrics.refunds.inc({ kind: after.balanceAmount === 0 ? 'full' : 'partial' });
      return applyRefunded(row.id, after, input.reason);
    })();
    refundFlights.set(row.id, flight);
    try {
      return await flight;
    } finally {
      refundFlights.delete(row.id);
    }
  }

  // ------------------------------------------------------------------ public operations

  return {
    async prepare(principal: Principal, reservationId: string) {
      const provider = providerOrFail();
      const row = await withTransaction(db, async (client) => {
        const reservation = await repo.findReservation(client, reservationId, principal.userId, true);
        if (!reservation) throw new AppError('RESERVATION_NOT_FOUND', `No reservation ${reservationId} of yours`);
        if (reservation.status === 'expired' || (reservation.status === 'pending' && reservation.expired))
          throw new AppError('RESERVATION_EXPIRED', 'The reservation expired; hold the seats again');
        if (reservation.status !== 'pending') throw new AppError('RESERVATION_NOT_PAYABLE', `The reservation is ${reservation.status}`);
        if (reservation.event_status === 'cancelled') throw new AppError('RESERVATION_NOT_PAYABLE', 'The event was cancelled');
        if (reservation.total_amount <= 0)
          throw new AppError('RESERVATION_NOT_PAYABLE', 'The reservation is free; there is nothing to pay');
        const open = await repo.findOpenPayment(client, reservationId);
        if (open?.status === 'in_progress') throw new AppError('PAYMENT_IN_PROGRESS', 'A payment of this reservation is being confirmed');
        if (open) return open;
        return repo.insertPayment(client, {
          reservationId,
          userId: principal.userId,
          eventId: reservation.event_id,
          orderId: orderIdFor(reservation.number),
          orderName: orderNameFor(reservation.event_title, reservation.tickets),
          amount: reservation.total_amount,
          currency: reservation.currency,
        });
      });
      return {
        paymentId: row.id,
        orderId: row.order_id,
        orderName: row.order_name,
        amount: row.amount,
        currency: row.currency,
        provider: provider.name,
        clientKey: provider.clientKey,
      };
    },

    async confirm(principal: Principal, input: { paymentKey: string; orderId: string; amount: number }): Promise<PaymentView> {
      const row = await repo.findByOrderId(db, input.orderId, principal.userId);
      if (!row) throw new AppError('PAYMENT_NOT_FOUND', `No payment for order ${input.orderId} of yours`);
      // Only our database knows the price: the browser's amount must match it.
      if (input.amount !== row.amount) {
        metrics.failures.inc({ operation: 'confirm', code: 'AMOUNT_MISMATCH' });
        throw new AppError('AMOUNT_MISMATCH', `The order's amount is ${row.amount} ${row.currency}`);
      }
      if (row.status !== 'pending' && row.status !== 'in_progress') return toPaymentView(confirmAnswer(row, input.paymentKey));
      let flight = confirmFlights.get(row.order_id);
      if (!flight) {
        flight = confirmOnce(row.id, input.paymentKey).finally(() => confirmFlights.delete(row.order_id));
        confirmFlights.set(row.order_id, flight);
      }
      const settled = await flight;
      return toPaymentView(confirmAnswer(settled, input.paymentKey));
    },

    async get(principal: Principal, orderId: string): Promise<PaymentView> {
      return toPaymentView(await mustFind(db, orderId, principal));
    },

    async refundByPaymentKey(principal: Principal, paymentKey: string, input: { reason: string; amount?: number }): Promise<PaymentView> {
      const row = await repo.findByPaymentKey(db, paymentKey, principal.role === 'admin' ? null : principal.userId);
      if (!row) throw new AppError('PAYMENT_NOT_FOUND', `No payment ${paymentKey} of yours`);
      return toPaymentView(await refund(principal, row, input));
    },

    /**
     * POST /v1/reservations/{id}/cancel on a confirmed reservation: refunds its payment in full,
     * which cancels it and frees its seats. False when the reservation is not confirmed (the
     * inventory module cancels pending ones itself).
     */
    async cancelPaidReservation(principal: Principal, reservationId: string, reason: string | undefined): Promise<boolean> {
      const row = await repo.findPaidPayment(db, reservationId);
      if (!row || (principal.role !== 'admin' && row.user_id !== principal.userId)) return false;
      await refund(principal, row, {
        reason: reason ?? (principal.role === 'admin' ? 'cancelled by an admin' : 'cancelled by the customer'),
      });
      return true;
    },

    async list(
      filter: { userId?: string; eventId?: string; status?: string; method?: string; from?: string; to?: string },
      limit: number,
      after: string[] | null,
    ) {
      return repo.list(db, filter, limit + 1, after);
    },

    /** The sweeper's filter: expired reservations it may end (none with a confirm in flight). */
    expirableReservations: (client: pg.PoolClient, ids: string[]) => repo.expirableReservations(client, ids),

    /**
     * Settles confirms that were claimed long ago and never finished (a crash, a timeout) from the
     * provider's record, `limit` per run, taking turns: claims the provider has not seen stay open
     * until its confirm window ends (10 minutes), and taking the oldest each time would let a page
     * of them hold back later ones that were charged, buyers paying without a ticket meanwhile.
     */
    async reconcileOnce(limit = 50): Promise<{ settled: number }> {
      if (!deps.provider) return { settled: 0 };
      const stale = await nextStaleClaims(limit);
      let settled = 0;
      for (const row of stale) {
        if (confirmFlights.has(row.order_id)) continue;
        try {
          let p: ProviderPayment | undefined;
          try {
            p = await deps.provider.getByOrderId(row.order_id);
          } catch (err) {
            if (!(err instanceof ProviderError) || err.code !== 'NOT_FOUND_PAYMENT') throw err;
          }
          if (!p || p.paymentKey !== row.payment_key) {
            // The provider never saw a confirm for this key.
            if (Date.now() - row.confirm_started_at!.getTime() > CONFIRM_WINDOW_MS) {
              await settleUnpaid(row.id, 'CONFIRM_NOT_COMPLETED', 'The confirm never reached the provider', p?.status ?? null);
              settled++;
            }
            continue;
          }
          if (p.status === 'IN_PROGRESS' || p.status === 'READY') {
            // Authenticated but never confirmed (we died before sending): finish what the buyer asked for,
            // under the same Idempotency-Key; past the provider's window it can only fail.
            const age = Date.now() - row.confirm_started_at!.getTime();
            if (age > CONFIRM_WINDOW_MS) {
              await settleUnpaid(row.id, 'CONFIRM_NOT_COMPLETED', 'The confirm did not complete within the provider window', p.status);
            } else if (age > claimLifetimeMs) {
              await driveConfirm(row, row.payment_key!).catch(() => undefined);
            }
            settled++;
            continue;
          }
          await settleFromProvider(row, p).catch((err) => {
            if (!(err instanceof AppError)) throw err;
          });
          settled++;
        } catch (err) {
          log(err, `reconciling order ${row.order_id} failed; retrying on the next round`);
        }
      }
      if (settled > 0) metrics.reconciled.inc(settled);
      return { settled };
    },

    /**
     * A provider webhook. The body is only a hint (webhooks are unsigned): the payment is re-fetched
     * from the provider and our record follows that. Deliveries are deduplicated by transmission id.
     */
    async handleWebhook(input: {
      transmissionId: string | undefined;
      eventType: string;
      orderId: string | null;
      paymentKey: string | null;
    }): Promise<{ status: 'processed' | 'duplicate' | 'ignored' }> {
      const transmissionId = input.transmissionId ?? `${input.eventType}:${input.paymentKey ?? input.orderId ?? 'none'}:${Date.now()}`;
      const fresh = await repo.recordWebhook(db, { ...input, transmissionId });
      if (!fresh) return { status: 'duplicate' };
      try {
        const row = input.orderId ? await repo.findByOrderId(db, input.orderId, null) : undefined;
        const byKey = !row && input.paymentKey ? await repo.findByPaymentKey(db, input.paymentKey, null) : undefined;
        const payment = row ?? byKey;
        if (!payment || input.eventType !== 'PAYMENT_STATUS_CHANGED') {
          await repo.finishWebhook(db, transmissionId, 'ignored');
          return { status: 'ignored' };
        }
        const provider = providerOrFail();
        const p = payment.payment_key
          ? await provider.getByPaymentKey(payment.payment_key, payment.order_id)
          : await provider.getByOrderId(payment.order_id);
        if (payment.payment_key && p.paymentKey !== payment.payment_key) {
          await repo.finishWebhook(db, transmissionId, 'ignored');
          return { status: 'ignored' };
        }
        await settleFromProvider(payment, p).catch((err) => {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
        });
        await repo.finishWebhook(db, transmissionId, `settled:${p.status}`);
        return { status: 'processed' };
      } catch (err) {
        // Not processed: forget the delivery so the provider's retry is.
        await repo.forgetWebhook(db, transmissionId);
        if (err instanceof ProviderError) throw unavailable('The payment provider could not be asked; retry the delivery');
        throw err;
      }
    },
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
