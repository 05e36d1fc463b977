import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../../config.js';
import { withTransaction, type Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { pageOf, takingTurns } from '../../pagination.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import type { Counters } from '../../infra/counters.js';
import { createBatchedHolds, isRetryable } from './hold-batches.js';
import { createHoldLimits } from './hold-limits.js';
import {
  HOLD_PAGES,
  RESERVATION_PAGES,
  inventoryRepository as repo,
  type ExpiredCursor,
  type HoldRow,
  type ReleasedSeat,
  type ReservationRow,
} from './repository.js';
import { publishSeatChanges, recordSeatChanges, type VersionedSeatChange } from './seat-changes.js';
import { createAvailabilityAnnouncer, type AvailabilityAnnouncer } from './availability.js';

import { sum, toSeatView, type HoldRequest, type HoldView } from './views.js';

export type { HoldRequest, HoldView, SeatView } from './views.js';

function toHoldView(h: HoldRow): HoldView {
  const seats = h.seats.map(toSeatView);
  const items = h.items.map((i) => ({ ticketTypeId: i.ticket_type_id, name: i.name, quantity: i.quantity, unitPrice: i.price }));
  return {
    id: h.id,
    eventId: h.event_id,
    userId: h.user_id,
    // Lazy expiry: an active hold past its time is expired, whether or not the sweeper came by.
    status: h.status === 'active' && h.expired ? 'expired' : h.status,
    seats,
    items,
    totalAmount: sum(seats.map((s) => s.price)) + sum(items.map((i) => i.quantity * i.unitPrice)),
    currency: h.currency,
    expiresAt: new Date(h.expires_at).toISOString(),
    createdAt: new Date(h.created_at).toISOString(),
  };
}

export function toReservationView(r: ReservationRow) {
  return {
    id: r.id,
    number: r.number,
    eventId: r.event_id,
    eventTitle: r.event_title,
    userId: r.user_id,
    buyerEmail: r.buyer_email,
    holdId: r.hold_id,
    status: r.status,
    complimentary: r.issued_by !== null,
    note: r.note,
    items: r.items.map((i) => ({
      ticketTypeId: i.ticket_type_id,
      seatId: i.seat_id,
      label: i.label,
      quantity: i.quantity,
      unitPrice: i.unit_price,
      subtotal: i.subtotal,
    })),
    totalAmount: r.total_amount,
    currency: r.currency,
    expiresAt: r.expires_at.toISOString(),
    confirmedAt: r.confirmed_at?.toISOString() ?? null,
    endedAt: r.ended_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}

// Reservation numbers: TK-YYYYMMDD-XXXXXX, random; no I or O so they read back unambiguously.
const NUMBER_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
function reservationNumber(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  let tail = '';
  for (let i = 0; i < 6; i++) tail += NUMBER_ALPHABET[randomInt(NUMBER_ALPHABET.length)];
  return `TK-${day}-${tail}`;
}

const SWEEP_BATCH = 500;
/** How long POST /events/{id}/cancel works before answering with the progress (the job does the rest). */
const CANCEL_FIRST_PASS_MS = 5000;

type Principal = { userId: string; role: string };
/** Whose rows a principal may see: its own, or anyone's (null) for an admin. */
const ownerScope = (p: Principal) => (p.role === 'admin' ? null : p.userId);

/** What the inventory module asks of the payments module. */
export interface PaymentHooks {
  /** Refunds a confirmed reservation's payment in full (which cancels it and frees its seats); false if it is not a paid reservation of this principal. */
  cancelPaidReservation(principal: { userId: string; role: string }, reservationId: string, reason: string | undefined): Promise<boolean>;
  /** Of these locked, expired reservations, those that may expire: not while a payment confirm holds them. */
  expirableReservations(client: pg.PoolClient, reservationIds: string[]): Promise<string[]>;
}

export function createInventoryService(deps: {
  config: Config;
  db: Db;
  publisher: RealtimePublisher;
  /** Announces general-admission quantities (one per process, so changes from every module coalesce). */
  availability?: AvailabilityAnnouncer;
  /** Counters for the anti-hoarding limits; without them those limits are off. */
  counters?: Counters;
  log?: (err: unknown, msg: string) => void;
  /** The payments module's side of cancel and expiry (refund a paid reservation; keep one being paid). */
  payments?: PaymentHooks;
  /** An event's own row changed here (its status, by a cancellation): cached reads of it are dropped. */
  onEventChanged?: (eventId: string) => void;
}) {
  const { config, db, publisher } = deps;
  const log = deps.log ?? (() => {});
  const publish = (changes: VersionedSeatChange[]) =>
    publishSeatChanges(publisher, changes, (err) => log(err, 'seat change publish failed'));

  // General-admission quantities are announced (realtime `availability`) after each change commits.
  const availability = deps.availability ?? createAvailabilityAnnouncer(db, publisher, log);
  const batchedHolds = createBatchedHolds({ config, db, publish, log, quantitiesChanged: (eventId) => availability.changed([eventId]) });
  const holdLimits = deps.counters ? createHoldLimits(config, deps.counters) : undefined;

  /** A transaction whose result is published after COMMIT; deadlocks are retried. */
  async function changeSeats<T>(work: (client: pg.PoolClient) => Promise<{ result: T; changes: VersionedSeatChange[] }>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { result, changes } = await withTransaction(db, work);
        publish(changes);
        return result;
      } catch (err) {
        if (!isRetryable(err) || attempt >= 4) throw err;
      }
    }
  }

  // ---------------------------------------------------------------- releases (shared by cancel, release, sweeper)

  /** Groups released seats into one change per (event, hold or reservation) and records them, events in id order. */
  async function recordReleases(client: pg.PoolClient, released: ReleasedSeat[]): Promise<VersionedSeatChange[]> {
    const byEvent = new Map<string, Map<string, string[]>>();
    for (const s of released) {
      const owners = byEvent.get(s.event_id) ?? new Map<string, string[]>();
      byEvent.set(s.event_id, owners);
      owners.set(s.owner_id, [...(owners.get(s.owner_id) ?? []), s.id]);
    }
    const out: VersionedSeatChange[] = [];
    for (const eventId of [...byEvent.keys()].sort()) {
      const changes = [...byEvent.get(eventId)!.values()].map((seatIds) => ({ type: 'seat.released' as const, seatIds }));
      out.push(...(await recordSeatChanges(client, eventId, changes)));
    }
    return out;
  }

  /** `gaEvents` collects the events whose general-admission quantities came back (to announce after COMMIT). */
  async function endHoldsIn(client: pg.PoolClient, holdIds: string[], status: 'released' | 'expired', gaEvents: string[]) {
    await repo.endHolds(client, holdIds, status);
    const released = await repo.releaseHeldSeats(client, holdIds);
    gaEvents.push(...(await repo.restoreHeldQuantities(client, holdIds)));
    return recordReleases(client, released);
  }

  async function endReservationsIn(
    client: pg.PoolClient,
    ids: string[],
    status: 'cancelled' | 'expired',
    reason: string | null,
    gaEvents: string[],
  ) {
    await repo.endReservations(client, ids, status, reason);
    const released = await repo.releaseReservedSeats(client, ids);
    gaEvents.push(...(await repo.restoreReservedQuantities(client, ids)));
    return recordReleases(client, released);
  }

  /** Cancels confirmed reservations that no payment paid for (complimentary), releasing what they took. */
  async function endUnpaidConfirmedIn(client: pg.PoolClient, ids: string[], reason: string, gaEvents: string[]) {
    const ended = await repo.cancelUnpaidConfirmed(client, ids, reason);
    if (ended.length === 0) return [];
    const released = await repo.releaseSoldSeats(client, ended);
    gaEvents.push(...(await repo.restoreReservedQuantities(client, ended)));
    return recordReleases(client, released);
  }

  /** The cancellation job's next turn (this process's own place in the backlog). */
  const nextCancellations = takingTurns((limit, after) => repo.openCancellations(db, limit, after));

  /**
   * One pass over a cancelled event: releases its active holds, ends its pending reservations (not
   * one a payment confirm holds), cancels its unpaid confirmed ones and refunds the paid ones, one
   * by one through the payments module, skipping refunds that failed since the last request (they
   * stay confirmed and paid, listed as failures). Returns when done or past `budgetMs`.
   */
  async function cancellationPass(eventId: string, budgetMs: number): Promise<void> {
    const deadline = Date.now() + budgetMs;
    const cancellation = await repo.findCancellation(db, eventId);
    if (!cancellation || cancellation.finished_at) return;
    const reason = `event cancelled: ${cancellation.reason}`;
    const gaEvents: string[] = [];
    for (;;) {
      const n = await changeSeats(async (client) => {
        const ids = await repo.lockActiveHoldsOfEvent(client, eventId, SWEEP_BATCH);
        return { result: ids.length, changes: ids.length ? await endHoldsIn(client, ids, 'released', gaEvents) : [] };
      });
      if (n < SWEEP_BATCH || Date.now() > deadline) break;
    }
    for (;;) {
      const n = await changeSeats(async (client) => {
        const locked = await repo.lockPendingReservationsOfEvent(client, eventId, SWEEP_BATCH);
        const ids = deps.payments && locked.length ? await deps.payments.expirableReservations(client, locked) : locked;
        return { result: locked.length, changes: ids.length ? await endReservationsIn(client, ids, 'cancelled', reason, gaEvents) : [] };
      });
      if (n < SWEEP_BATCH || Date.now() > deadline) break;
    }
    availability.changed(gaEvents.splice(0));
    // Refunds are made as the admin who cancelled (the payments module checks the role, not the owner).
    const admin = { userId: cancellation.requested_by ?? '00000000-0000-0000-0000-000000000000', role: 'admin' };
    const tried = new Set<string>();
    while (Date.now() <= deadline) {
      const batch = (await repo.confirmedToEnd(db, eventId, cancellation.retry_requested_at, 50)).filter((r) => !tried.has(r.id));
      if (batch.length === 0) break;
      for (const r of batch) {
        tried.add(r.id);
        if (!r.paid) {
          await changeSeats(async (client) => ({ result: null, changes: await endUnpaidConfirmedIn(client, [r.id], reason, gaEvents) }));
          continue;
        }
        try {
          await deps.payments?.cancelPaidReservation(admin, r.id, reason);
        } catch (err) {
          // The payments module kept the failure on the payment; the reservation stays confirmed.
          if (!(err instanceof AppError)) log(err, `refund of reservation ${r.id} for a cancelled event failed`);
        }
        if (Date.now() > deadline) break;
      }
      availability.changed(gaEvents.splice(0));
    }
    availability.changed(gaEvents.splice(0));
    await repo.finishCancellation(db, eventId);
  }

  async function cancellationView(eventId: string) {
    const c = await repo.findCancellation(db, eventId);
    if (!c) throw new AppError('CANCELLATION_NOT_FOUND', `Event ${eventId} has not been cancelled`);
    const failures = await repo.refundFailures(db, eventId);
    const left = c.pending + c.confirmed + c.active_holds;
    return {
      eventId,
      status: (left === 0
        ? 'done'
        : c.pending === 0 && c.active_holds === 0 && c.confirmed <= failures.length
          ? 'needs_attention'
          : 'in_progress') as 'done' | 'needs_attention' | 'in_progress',
      reason: c.reason,
      requestedAt: c.requested_at.toISOString(),
      finishedAt: c.finished_at?.toISOString() ?? null,
      reservations: {
        total: c.total,
        pending: c.pending,
        confirmed: c.confirmed,
        cancelled: c.cancelled,
        expired: c.expired,
        refunded: c.refunded,
      },
      refundFailures: failures.map((f) => ({
        reservationId: f.reservation_id,
        orderId: f.order_id,
        code: f.code,
        message: f.message,
        failedAt: f.failed_at.toISOString(),
      })),
    };
  }

  const mustFindReservation = async (client: pg.PoolClient | Db, id: string, ownerId: string | null, lock = false) => {
    const row = await repo.findReservation(client, id, ownerId, lock);
    if (!row) throw new AppError('RESERVATION_NOT_FOUND', `No reservation ${id} of yours`);
    return row;
  };

  // ---------------------------------------------------------------- public operations

  return {
    /** `clientIp` (the caller's address) feeds the anti-hoarding limits. */
    async createHold(req: HoldRequest, clientIp?: string): Promise<HoldView> {
      if (req.items) {
        const ids = req.items.map((i) => i.ticketTypeId);
        if (new Set(ids).size !== ids.length) {
          throw new AppError('VALIDATION_FAILED', 'List each ticket type once', {
            errors: [{ path: '/body/items', message: 'has a ticket type twice' }],
          });
        }
      }
      const client = holdLimits && clientIp !== undefined ? { userId: req.userId, eventId: req.eventId, ip: clientIp } : undefined;
      if (client) await holdLimits!.check(client);
      const hold = await batchedHolds.submit(req);
      if (client) await holdLimits!.record(client);
      return hold;
    },

    async getHold(principal: Principal, holdId: string): Promise<HoldView> {
      const hold = await repo.findHold(db, holdId, ownerScope(principal));
      if (!hold) throw new AppError('HOLD_NOT_FOUND', `No hold ${holdId} of yours`);
      return toHoldView(hold);
    },

    /** Holds for admins, newest first. */
    async listHolds(filter: { eventId?: string; userId?: string; status?: string }, limit: number, cursor: string | undefined) {
      const rows = await repo.listHolds(db, filter, limit + 1, HOLD_PAGES.decode(cursor));
      return pageOf(rows, limit, toHoldView);
    },

    /** Early release (the owner's, or any hold for an admin): frees the seats and quantities now. Releasing an ended hold changes nothing. */
    async releaseHold(principal: Principal, holdId: string): Promise<HoldView> {
      const gaEvents: string[] = [];
      const view = await changeSeats(async (client) => {
        const hold = await repo.findHold(client, holdId, ownerScope(principal), true);
        if (!hold) throw new AppError('HOLD_NOT_FOUND', `No hold ${holdId} of yours`);
        if (hold.status === 'converted')
          throw new AppError('HOLD_ALREADY_USED', 'The hold became a reservation; cancel the reservation instead');
        if (hold.status !== 'active') return { result: toHoldView(hold), changes: [] };
        const changes = await endHoldsIn(client, [holdId], 'released', gaEvents);
        return { result: toHoldView({ ...hold, status: 'released', expired: false }), changes };
      });
      availability.changed(gaEvents);
      return view;
    },

    async createReservation(userId: string, holdId: string) {
      return changeSeats(async (client) => {
        const hold = await repo.findHold(client, holdId, userId, true);
        if (!hold) throw new AppError('HOLD_NOT_FOUND', `No hold ${holdId} of yours`);
        if (hold.status === 'converted') throw new AppError('HOLD_ALREADY_USED', 'This hold already became a reservation');
        if (hold.status !== 'active' || hold.expired) throw new AppError('HOLD_EXPIRED', 'The hold ended; hold the seats again');
        // A cancellation committed meanwhile (its pass may not have released this hold yet).
        if ((await repo.eventStatusForSale(client, hold.event_id)) === 'cancelled') {
          throw new AppError('EVENT_NOT_ON_SALE', 'The event was cancelled');
        }
        let created: { id: string } | undefined;
        // Numbers are random; a collision (rare) just draws again.
        for (let i = 0; i < 8 && !created; i++) {
          created = await repo.insertReservation(client, {
            number: reservationNumber(),
            userId,
            eventId: hold.event_id,
            holdId,
            ttlSeconds: config.RESERVATION_TTL_SECONDS,
          });
        }
        if (!created) throw new Error('could not draw a free reservation number');
        const moved = await repo.reserveHeldSeats(client, { holdId, reservationId: created.id });
        // The hold was unexpired at our start, but another buyer may have taken an expiring seat since.
        if (moved.length !== hold.seat_ids.length) throw new AppError('HOLD_EXPIRED', 'The hold expired and some seats were taken');
        await repo.endHolds(client, [holdId], 'converted');
        const row = await mustFindReservation(client, created.id, null);
        const changes = await recordSeatChanges(client, hold.event_id, [{ type: 'seat.held', seatIds: moved }]);
        return { result: toReservationView(row), changes };
      });
    },

    async getReservation(principal: { userId: string; role: string }, id: string) {
      return toReservationView(await mustFindReservation(db, id, principal.role === 'admin' ? null : principal.userId));
    },

    async cancelReservation(principal: { userId: string; role: string }, id: string, reason?: string) {
      // A confirmed reservation is refunded through its payment first, which then releases it.
      if (await deps.payments?.cancelPaidReservation(principal, id, reason))
        return toReservationView(await mustFindReservation(db, id, null));
      const gaEvents: string[] = [];
      const view = await changeSeats(async (client) => {
        const row = await mustFindReservation(client, id, principal.role === 'admin' ? null : principal.userId, true);
        if (row.status === 'cancelled') return { result: toReservationView(row), changes: [] };
        // A complimentary reservation has no payment to refund: an admin cancels it directly.
        if (row.status === 'confirmed' && row.issued_by !== null && principal.role === 'admin') {
          const changes = await endUnpaidConfirmedIn(client, [id], reason ?? 'cancelled by an admin', gaEvents);
          return { result: toReservationView(await mustFindReservation(client, id, null)), changes };
        }
        if (row.status === 'confirmed') {
          throw new AppError(
            'RESERVATION_NOT_CANCELLABLE',
            'A confirmed reservation is cancelled through its payment (POST /v1/payments/{paymentKey}/cancel), which refunds it first',
          );
        }
        if (row.status === 'expired')
          throw new AppError('RESERVATION_NOT_CANCELLABLE', 'The reservation expired; its seats are already released');
        const changes = await endReservationsIn(
          client,
          [id],
          'cancelled',
          reason ?? (principal.role === 'admin' ? 'cancelled by an admin' : 'cancelled by the customer'),
          gaEvents,
        );
        return { result: toReservationView(await mustFindReservation(client, id, null)), changes };
      });
      availability.changed(gaEvents);
      return view;
    },

    async listReservations(
      filter: { userId?: string; eventId?: string; status?: string; email?: string },
      limit: number,
      cursor: string | undefined,
    ) {
      const rows = await repo.listReservations(db, filter, limit + 1, RESERVATION_PAGES.decode(cursor));
      return pageOf(rows, limit, toReservationView);
    },

    /**
     * An admin's complimentary tickets: a confirmed reservation at price 0 without a payment. Runs
     * under the event's hold lane lock with the seats locked, takes only free seats, all or none;
     * the items' unique index is the last word on double sales.
     */
    async issueComplimentary(
      adminId: string,
      input: {
        eventId: string;
        userId: string;
        seatIds?: string[];
        items?: Array<{ ticketTypeId: string; quantity: number }>;
        note: string;
      },
    ) {
      if ((input.seatIds ? 1 : 0) + (input.items ? 1 : 0) !== 1) {
        throw new AppError('VALIDATION_FAILED', 'Give exactly one of seatIds or items', {
          errors: [{ path: '/body', message: 'needs exactly one of seatIds or items' }],
        });
      }
      const items = input.items ?? [];
      if (new Set(items.map((i) => i.ticketTypeId)).size !== items.length) {
        throw new AppError('VALIDATION_FAILED', 'List each ticket type once', {
          errors: [{ path: '/body/items', message: 'has a ticket type twice' }],
        });
      }
      const gaEvents: string[] = [];
      const view = await changeSeats(async (client) => {
        const event = await repo.lockEventForSale(client, input.eventId);
        if (!event) throw new AppError('EVENT_NOT_FOUND', `No event ${input.eventId}`);
        if (event.status === 'cancelled' || event.status === 'ended')
          throw new AppError('EVENT_NOT_ON_SALE', `The event is ${event.status}; no tickets can be issued`);
        if (!(await repo.userExists(client, input.userId))) throw new AppError('USER_NOT_FOUND', `No user ${input.userId}`);
        const seatIds = [...(input.seatIds ?? [])].sort();
        if (seatIds.length) {
          const seats = await repo.lockSeats(client, seatIds);
          const foreign = seatIds.filter((id) => !seats.some((s) => s.id === id && s.event_id === input.eventId));
          if (foreign.length) throw new AppError('SEAT_NOT_FOUND', 'A seat is not part of this event', { seatIds: foreign });
          const taken = seats.filter((s) => !s.free).map((s) => s.id);
          if (taken.length) throw new AppError('SEAT_UNAVAILABLE', 'A seat is held or sold', { seatIds: taken });
        }
        if (items.length) {
          const types = await repo.readTicketTypes(
            client,
            input.eventId,
            items.map((i) => i.ticketTypeId),
          );
          if (types.length !== items.length) throw new AppError('TICKET_TYPE_NOT_FOUND', 'A ticket type is not part of this event');
          if (types.some((t) => t.kind !== 'general')) {
            throw new AppError('VALIDATION_FAILED', 'Seated ticket types are issued by seatIds', {
              errors: [{ path: '/body/items', message: 'names a seated ticket type' }],
            });
          }
          if (!(await repo.takeQuantities(client, items))) throw new AppError('SOLD_OUT', 'Not enough tickets left');
          gaEvents.push(input.eventId);
        }
        let created: { id: string } | undefined;
        for (let i = 0; i < 8 && !created; i++) {
          created = await repo.insertComplimentary(client, {
            number: reservationNumber(),
            userId: input.userId,
            eventId: input.eventId,
            currency: event.currency,
            issuedBy: adminId,
            note: input.note,
          });
        }
        if (!created) throw new Error('could not draw a free reservation number');
        let sold: string[] = [];
        if (seatIds.length) {
          try {
            sold = await repo.sellSeatsFree(client, created.id, seatIds);
          } catch (err) {
            // The one-live-reservation index: the seat is in another live reservation.
            if ((err as { code?: string }).code === '23505') throw new AppError('SEAT_UNAVAILABLE', 'A seat is already sold');
            throw err;
          }
          if (sold.length !== seatIds.length) throw new AppError('SEAT_UNAVAILABLE', 'A seat was taken meanwhile');
        }
        if (items.length) await repo.insertFreeItems(client, created.id, items);
        const changes = await recordSeatChanges(client, input.eventId, [{ type: 'seat.sold', seatIds: sold }]);
        return { result: toReservationView(await mustFindReservation(client, created.id, null)), changes };
      });
      availability.changed(gaEvents);
      return view;
    },

    /**
     * Cancels an event (idempotent): the event becomes cancelled at once, then a first pass of the
     * work runs for up to a few seconds; the background job finishes it. A repeated request also
     * retries the refunds that failed before it.
     */
    async cancelEvent(adminId: string, eventId: string, reason?: string) {
      await withTransaction(db, async (client) => {
        // The hold lane first (the order hold batches take their locks in): batches in flight finish,
        // later ones see the event cancelled.
        await repo.lockEventForSale(client, eventId);
        const event = await repo.lockEvent(client, eventId);
        if (!event) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
        if (event.status === 'ended') throw new AppError('INVALID_STATUS_TRANSITION', 'An ended event cannot be cancelled');
        await repo.markEventCancelled(client, eventId, reason ?? 'cancelled by the organiser', adminId);
      });
      deps.onEventChanged?.(eventId);
      await cancellationPass(eventId, CANCEL_FIRST_PASS_MS);
      return cancellationView(eventId);
    },

    eventCancellation: (eventId: string) => cancellationView(eventId),

    /**
     * The background job: continues up to `limit` unfinished cancellations per run, taking turns.
     * Cancellations waiting on a human (a refund the provider refused) stay unfinished; always
     * taking the oldest would let a page of them starve every later one.
     */
    async continueCancellations(limit = 20): Promise<void> {
      for (const { event_id } of await nextCancellations(limit)) await cancellationPass(event_id, 30_000);
    },

    /** Expires holds and pending reservations past their time, in batches; returns how many. */
    async sweepOnce(): Promise<{ holds: number; reservations: number }> {
      let holds = 0;
      let reservations = 0;
      const gaEvents: string[] = [];
      for (;;) {
        const n = await changeSeats(async (client) => {
          const ids = await repo.lockExpiredHolds(client, SWEEP_BATCH);
          return { result: ids.length, changes: ids.length ? await endHoldsIn(client, ids, 'expired', gaEvents) : [] };
        });
        availability.changed(gaEvents.splice(0));
        holds += n;
        if (n < SWEEP_BATCH) break;
      }
      // By cursor, not "until a batch comes back short": reservations whose payment is being
      // confirmed stay pending and would otherwise fill every batch, stalling the sweep behind them.
      let after: ExpiredCursor | null = null;
      for (;;) {
        const { ended, locked, last } = await changeSeats(async (client) => {
          const batch = await repo.lockExpiredReservations(client, SWEEP_BATCH, after);
          const ids = deps.payments && batch.ids.length ? await deps.payments.expirableReservations(client, batch.ids) : batch.ids;
          return {
            result: { ended: ids.length, locked: batch.ids.length, last: batch.last },
            changes: ids.length ? await endReservationsIn(client, ids, 'expired', 'not paid in time', gaEvents) : [],
          };
        });
        availability.changed(gaEvents.splice(0));
        reservations += ended;
        if (locked < SWEEP_BATCH || !last) break;
        after = last;
      }
      // Compaction of the seated availability counters (read-path migration); readers add what is left.
      await repo.foldSeatCounts(db);
      return { holds, reservations };
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
