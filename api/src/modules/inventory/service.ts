import { randomInt, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../../config.js';
import { withTransaction, type Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import { createBatchedHolds, isRetryable, limitExceeded } from './hold-batches.js';
import { inventoryRepository as repo, type HoldRow, type ReleasedSeat, type ReservationRow, type SeatRow } from './repository.js';
import { publishSeatChanges, recordSeatChange, recordSeatChanges, type VersionedSeatChange } from './seat-changes.js';

/**
 * How holds take seats. `batched` (the default and the only production strategy) groups concurrent
 * holds per event into one transaction with set-based statements. `naive-baseline` exists for the
 * benchmark only: one transaction per hold and one UPDATE per seat, to measure against.
 */
export type HoldStrategy = 'batched' | 'naive-baseline';

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

export function createInventoryService(deps: {
  config: Config;
  db: Db;
  publisher: RealtimePublisher;
  holdStrategy?: HoldStrategy;
  log?: (err: unknown, msg: string) => void;
}) {
  const { config, db, publisher } = deps;
  const log = deps.log ?? (() => {});
  const publish = (changes: VersionedSeatChange[]) =>
    publishSeatChanges(publisher, changes, (err) => log(err, 'seat change publish failed'));

  const batchedHolds = createBatchedHolds({ config, db, publish, log });

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

  // ---------------------------------------------------------------- holds, naive baseline (bench only)

  /** One transaction per hold, one UPDATE per seat: what the benchmark compares against. */
  async function holdNaive(req: HoldRequest & { seatIds: string[] }): Promise<HoldView> {
    const { view, changes } = await repo.withHoldTransaction(db, async (client) => {
      const event = await repo.lockBuyersForEvent(client, req.eventId, [req.userId]);
      if (!event) throw new AppError('EVENT_NOT_FOUND');
      if (event.status !== 'on_sale') throw new AppError('EVENT_NOT_ON_SALE');
      const have = (await repo.countTicketsByUser(client, req.eventId, [req.userId])).get(req.userId) ?? 0;
      if (have + req.seatIds.length > config.MAX_TICKETS_PER_USER) throw limitExceeded(config.MAX_TICKETS_PER_USER, have);
      const id = randomUUID();
      const row = await repo.insertHoldRow(client, {
        id,
        eventId: req.eventId,
        userId: req.userId,
        ttlSeconds: config.HOLD_TTL_SECONDS,
        seatIds: req.seatIds,
      });
      const held: SeatRow[] = [];
      // Seats in id order, the lock order of every seat write (the sweeper's too): in request order
      // a naive hold and a sweep could deadlock (bench:holds: 1-2 answers 500 per naive run).
      for (const seatId of [...req.seatIds].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))) {
        const seat = await repo.holdOneSeat(client, { eventId: req.eventId, seatId, holdId: id });
        if (!seat) {
          if (!(await repo.seatExists(client, req.eventId, seatId))) throw new AppError('SEAT_NOT_FOUND', undefined, { seatIds: [seatId] });
          throw new AppError('SEAT_UNAVAILABLE', undefined, { seatIds: [seatId] });
        }
        held.push(seat);
      }
      const version = await recordSeatChange(client, req.eventId, 'seat.held', req.seatIds);
      const seats = held.map(toSeatView);
      return {
        view: {
          id,
          eventId: req.eventId,
          status: 'active' as const,
          seats,
          items: [],
          totalAmount: sum(seats.map((s) => s.price)),
          currency: event.currency,
          expiresAt: row.expires_at.toISOString(),
          createdAt: row.created_at.toISOString(),
        },
        changes: [{ eventId: req.eventId, type: 'seat.held' as const, seatIds: req.seatIds, version: version! }],
      };
    });
    publish(changes);
    return view;
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

  async function endHoldsIn(client: pg.PoolClient, holdIds: string[], status: 'released' | 'expired') {
    await repo.endHolds(client, holdIds, status);
    const released = await repo.releaseHeldSeats(client, holdIds);
    await repo.restoreHeldQuantities(client, holdIds);
    return recordReleases(client, released);
  }

  async function endReservationsIn(client: pg.PoolClient, ids: string[], status: 'cancelled' | 'expired', reason: string | null) {
    await repo.endReservations(client, ids, status, reason);
    const released = await repo.releaseReservedSeats(client, ids);
    await repo.restoreReservedQuantities(client, ids);
    return recordReleases(client, released);
  }

  const mustFindReservation = async (client: pg.PoolClient | Db, id: string, ownerId: string | null, lock = false) => {
    const row = await repo.findReservation(client, id, ownerId, lock);
    if (!row) throw new AppError('RESERVATION_NOT_FOUND', `No reservation ${id} of yours`);
    return row;
  };

  // ---------------------------------------------------------------- public operations

  return {
    async createHold(req: HoldRequest): Promise<HoldView> {
      if (req.items) {
        const ids = req.items.map((i) => i.ticketTypeId);
        if (new Set(ids).size !== ids.length) {
          throw new AppError('VALIDATION_FAILED', 'List each ticket type once', {
            errors: [{ path: '/body/items', message: 'has a ticket type twice' }],
          });
        }
      }
      if (deps.holdStrategy === 'naive-baseline' && req.seatIds) return holdNaive(req as HoldRequest & { seatIds: string[] });
      return batchedHolds.submit(req);
    },

    async getHold(userId: string, holdId: string): Promise<HoldView> {
      const hold = await repo.findHold(db, holdId, userId);
      if (!hold) throw new AppError('HOLD_NOT_FOUND', `No hold ${holdId} of yours`);
      return toHoldView(hold);
    },

    /** Early release: frees the seats and quantities now. Releasing an ended hold changes nothing. */
    async releaseHold(userId: string, holdId: string): Promise<HoldView> {
      return changeSeats(async (client) => {
        const hold = await repo.findHold(client, holdId, userId, true);
        if (!hold) throw new AppError('HOLD_NOT_FOUND', `No hold ${holdId} of yours`);
        if (hold.status === 'converted')
          throw new AppError('HOLD_ALREADY_USED', 'The hold became a reservation; cancel the reservation instead');
        if (hold.status !== 'active') return { result: toHoldView(hold), changes: [] };
        const changes = await endHoldsIn(client, [holdId], 'released');
        return { result: toHoldView({ ...hold, status: 'released', expired: false }), changes };
      });
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
      return changeSeats(async (client) => {
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
        );
        return { result: toReservationView(await mustFindReservation(client, id, null)), changes };
      });
    },

    async listReservations(filter: { userId?: string; eventId?: string; status?: string }, limit: number, after?: [string, string]) {
      const rows = await repo.listReservations(db, filter, limit + 1, after);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        data: page.map(toReservationView),
        nextCursor: rows.length > limit && last ? [last.created_at.toISOString(), last.id] : null,
      };
    },

    /** Expires holds and pending reservations past their time, in batches; returns how many. */
    async sweepOnce(): Promise<{ holds: number; reservations: number }> {
      let holds = 0;
      let reservations = 0;
      for (;;) {
        const n = await changeSeats(async (client) => {
          const ids = await repo.lockExpiredHolds(client, SWEEP_BATCH);
          return { result: ids.length, changes: ids.length ? await endHoldsIn(client, ids, 'expired') : [] };
        });
        holds += n;
        if (n < SWEEP_BATCH) break;
      }
      for (;;) {
        const n = await changeSeats(async (client) => {
          const ids = await repo.lockExpiredReservations(client, SWEEP_BATCH);
          return { result: ids.length, changes: ids.length ? await endReservationsIn(client, ids, 'expired', 'not paid in time') : [] };
        });
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
