import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../../config.js';
import { withTransaction, type Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { pageOf } from '../../pagination.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import type { Counters } from '../../infra/counters.js';
import { createBatchedHolds, isRetryable } from './hold-batches.js';
import { createHoldLimits } from './hold-limits.js';
import { RESERVATION_PAGES, inventoryRepository as repo, type HoldRow, type ReleasedSeat, type ReservationRow } from './repository.js';
import { publishSeatChanges, recordSeatChanges, type VersionedSeatChange } from './seat-changes.js';
import { createAvailabilityAnnouncer } from './availability.js';

import { sum, toSeatView, type HoldRequest, type HoldView } from './views.js';

export type { HoldRequest, HoldView, SeatView } from './views.js';

function toHoldView(h: HoldRow): HoldView {
  const seats = h.seats.map(toSeatView);
  const items = h.items.map((i) => ({ ticketTypeId: i.ticket_type_id, name: i.name, quantity: i.quantity, unitPrice: i.price }));
  return {
    id: h.id,
    eventId: h.event_id,
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
    userId: r.user_id,
    holdId: r.hold_id,
    status: r.status,
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
  /** Counters for the anti-hoarding limits; without them those limits are off. */
  counters?: Counters;
  log?: (err: unknown, msg: string) => void;
  /** The payments module's side of cancel and expiry (refund a paid reservation; keep one being paid). */
  payments?: PaymentHooks;
}) {
  const { config, db, publisher } = deps;
  const log = deps.log ?? (() => {});
  const publish = (changes: VersionedSeatChange[]) =>
    publishSeatChanges(publisher, changes, (err) => log(err, 'seat change publish failed'));

  // General-admission quantities are announced (realtime `availability`) after each change commits.
  const availability = createAvailabilityAnnouncer(db, publisher, log);
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

    async getHold(userId: string, holdId: string): Promise<HoldView> {
      const hold = await repo.findHold(db, holdId, userId);
      if (!hold) throw new AppError('HOLD_NOT_FOUND', `No hold ${holdId} of yours`);
      return toHoldView(hold);
    },

    /** Early release: frees the seats and quantities now. Releasing an ended hold changes nothing. */
    async releaseHold(userId: string, holdId: string): Promise<HoldView> {
      const gaEvents: string[] = [];
      const view = await changeSeats(async (client) => {
        const hold = await repo.findHold(client, holdId, userId, true);
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

    async listReservations(filter: { userId?: string; eventId?: string; status?: string }, limit: number, cursor: string | undefined) {
      const rows = await repo.listReservations(db, filter, limit + 1, RESERVATION_PAGES.decode(cursor));
      return pageOf(rows, limit, toReservationView);
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
      for (;;) {
        const n = await changeSeats(async (client) => {
          const locked = await repo.lockExpiredReservations(client, SWEEP_BATCH);
          const ids = deps.payments && locked.length ? await deps.payments.expirableReservations(client, locked) : locked;
          return {
            result: ids.length,
            changes: ids.length ? await endReservationsIn(client, ids, 'expired', 'not paid in time', gaEvents) : [],
          };
        });
        availability.changed(gaEvents.splice(0));
        reservations += n;
        if (n < SWEEP_BATCH) break;
      }
      // Compaction of the seated availability counters (read-path migration); readers add what is left.
      await repo.foldSeatCounts(db);
      return { holds, reservations };
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
