import { randomInt, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../../config.js';
import { withTransaction, type Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import { HoldBatcher } from './hold-batcher.js';
import {
  inventoryRepository as repo,
  type HoldRow,
  type LockedSeatRow,
  type ReleasedSeat,
  type ReservationRow,
  type SeatRow,
  type TicketTypeRow,
} from './repository.js';
import { publishSeatChanges, recordSeatChange, recordSeatChanges, type SeatChange, type VersionedSeatChange } from './seat-changes.js';

/**
 * How holds take seats. `batched` (the default and the only production strategy) groups concurrent
 * holds per event into one transaction with set-based statements. `naive-baseline` exists for the
 * benchmark only: one transaction per hold and one UPDATE per seat, to measure against.
 */
export type HoldStrategy = 'batched' | 'naive-baseline';

export interface HoldRequest {
  userId: string;
  eventId: string;
  seatIds?: string[];
  items?: Array<{ ticketTypeId: string; quantity: number }>;
}

export interface SeatView {
  id: string;
  section: string;
  row: string;
  number: number;
  label: string;
  price: number;
  ticketTypeId: string | null;
}

export interface HoldView {
  id: string;
  eventId: string;
  status: 'active' | 'converted' | 'released' | 'expired';
  seats: SeatView[];
  items: Array<{ ticketTypeId: string; name: string; quantity: number; unitPrice: number }>;
  totalAmount: number;
  currency: string;
  expiresAt: string;
  createdAt: string;
}

const toSeatView = (s: SeatRow): SeatView => ({
  id: s.id,
  section: s.section,
  row: s.row_label,
  number: s.seat_number,
  label: s.label,
  price: s.price,
  ticketTypeId: s.ticket_type_id,
});

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

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

// Deadlocks should not happen given the lock order, serialization failures cannot at READ
// COMMITTED; both are retried anyway, because a retry is always the right answer to them.
const RETRYABLE = new Set(['40P01', '40001']);
const isRetryable = (err: unknown) => RETRYABLE.has((err as { code?: string }).code ?? '');

const HOLD_BATCH_MAX = 64;
// One batch in flight per event: measured against 2 and 3 lanes (bench:holds, quiet machine), one
// lane gave the most holds/s and the least PostgreSQL CPU per attempt (0.24 ms against 0.30 and
// 0.39): twice the holds per batch, and no second batch waiting on the first one's seat locks.
const HOLD_LANES_PER_EVENT = 1;
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

  // ---------------------------------------------------------------- holds, batched

  /**
   * One transaction for a batch of holds on one event, in three round trips (open and lock; write;
   * bump and commit); each request gets its own outcome.
   */
  async function holdBatchOnce(eventId: string, reqs: HoldRequest[]): Promise<Array<HoldView | AppError>> {
    const client = await db.connect();
    let inTransaction = false;
    let outcomes: Array<HoldView | AppError | undefined>;
    let changes: VersionedSeatChange[];
    try {
      const users = [...new Set(reqs.map((r) => r.userId))];
      const seatIds = [...new Set(reqs.flatMap((r) => r.seatIds ?? []))];
      const typeIds = [...new Set(reqs.flatMap((r) => (r.items ?? []).map((i) => i.ticketTypeId)))];
      inTransaction = true;
      const opened = await repo.openHoldBatch(client, { eventId, userIds: users, seatIds, ticketTypeIds: typeIds });
      const event = opened.event;
      if (!event || event.status !== 'on_sale') {
        await repo.rollback(client);
        inTransaction = false;
        return reqs.map(() =>
          event
            ? new AppError('EVENT_NOT_ON_SALE', `The event is ${event.status.replace('_', ' ')}`)
            : new AppError('EVENT_NOT_FOUND', `No event ${eventId}`),
        );
      }
      const tickets = opened.tickets;
      const seats = new Map<string, LockedSeatRow>(opened.seats.map((s) => [s.id, s]));
      const types = new Map<string, TicketTypeRow>(opened.ticketTypes.map((t) => [t.id, t]));
      const left = new Map([...types.values()].map((t) => [t.id, t.available_quantity]));
      const takenHere = new Set<string>();

      // Decide in arrival order on the locked rows; earlier requests in the batch win a shared seat.
      const granted: Array<{ index: number; id: string; req: HoldRequest }> = [];
      outcomes = reqs.map((req, index) => {
        const have = tickets.get(req.userId) ?? 0;
        if (req.seatIds) {
          const unknown = req.seatIds.filter((id) => !seats.has(id) || seats.get(id)!.ticket_type_id === null);
          if (unknown.length) return new AppError('SEAT_NOT_FOUND', 'These seats are not on sale for this event', { seatIds: unknown });
          if (have + req.seatIds.length > config.MAX_TICKETS_PER_USER) return limitExceeded(have);
          const taken = req.seatIds.filter((id) => !seats.get(id)!.free || takenHere.has(id));
          if (taken.length) return new AppError('SEAT_UNAVAILABLE', 'Some seats are taken; nothing was held', { seatIds: taken });
          req.seatIds.forEach((id) => takenHere.add(id));
        } else {
          const items = req.items!;
          const bad = items.find((i) => types.get(i.ticketTypeId)?.kind !== 'general');
          if (bad) {
            return types.has(bad.ticketTypeId)
              ? new AppError('VALIDATION_FAILED', 'Seated ticket types are held by seatIds', {
                  errors: [{ path: '/body/items', message: `${bad.ticketTypeId} is a seated ticket type` }],
                })
              : new AppError('TICKET_TYPE_NOT_FOUND', `No ticket type ${bad.ticketTypeId} for this event`);
          }
          const want = sum(items.map((i) => i.quantity));
          if (have + want > config.MAX_TICKETS_PER_USER) return limitExceeded(have);
          const short = items.find((i) => left.get(i.ticketTypeId)! < i.quantity);
          if (short) return new AppError('SOLD_OUT', `Only ${left.get(short.ticketTypeId)} left of ${types.get(short.ticketTypeId)!.name}`);
          items.forEach((i) => left.set(i.ticketTypeId, left.get(i.ticketTypeId)! - i.quantity));
        }
        tickets.set(req.userId, have + (req.seatIds?.length ?? sum(req.items!.map((i) => i.quantity))));
        granted.push({ index, id: randomUUID(), req });
        return undefined;
      });

      if (granted.length > 0) {
        const seatPairs = granted.flatMap((g) => (g.req.seatIds ?? []).map((seatId) => ({ seatId, holdId: g.id })));
        const items = granted.flatMap((g) => (g.req.items ?? []).map((i) => ({ holdId: g.id, ...i })));
        const written = await repo.insertHolds(client, {
          eventId,
          ttlSeconds: config.HOLD_TTL_SECONDS,
          holds: granted.map((g) => ({ id: g.id, userId: g.req.userId })),
          seats: seatPairs,
          items,
        });
        // All or none: every seat and counter was locked and checked above; a mismatch means a bug.
        if (written.seats !== seatPairs.length || written.ticketTypes !== new Set(items.map((i) => i.ticketTypeId)).size) {
          throw new Error(`hold batch wrote ${written.seats}/${seatPairs.length} seats and ${written.ticketTypes} ticket types`);
        }
        for (const g of granted) {
          const heldSeats = (g.req.seatIds ?? []).map((id) => toSeatView(seats.get(id)!)).sort((a, b) => a.label.localeCompare(b.label));
          const heldItems = (g.req.items ?? []).map((i) => {
            const t = types.get(i.ticketTypeId)!;
            return { ticketTypeId: t.id, name: t.name, quantity: i.quantity, unitPrice: t.price };
          });
          outcomes[g.index] = {
            id: g.id,
            eventId,
            status: 'active',
            seats: heldSeats,
            items: heldItems,
            totalAmount: sum(heldSeats.map((s) => s.price)) + sum(heldItems.map((i) => i.quantity * i.unitPrice)),
            currency: event.currency,
            expiresAt: written.expires_at.toISOString(),
            createdAt: written.created_at.toISOString(),
          };
        }
      }
      const seatChanges: SeatChange[] = granted.filter((g) => g.req.seatIds).map((g) => ({ type: 'seat.held', seatIds: g.req.seatIds! }));
      changes = await recordSeatChanges(client, eventId, seatChanges, { andCommit: client });
      inTransaction = false;
    } catch (err) {
      if (inTransaction) await repo.rollback(client).catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    publish(changes);
    return outcomes as Array<HoldView | AppError>;
  }

  function limitExceeded(have: number) {
    return new AppError(
      'TICKET_LIMIT_EXCEEDED',
      `At most ${config.MAX_TICKETS_PER_USER} tickets per customer for this event; you already have ${have} held or reserved`,
    );
  }

  async function runHoldBatch(eventId: string, reqs: HoldRequest[]): Promise<Array<HoldView | Error>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await holdBatchOnce(eventId, reqs);
      } catch (err) {
        if (isRetryable(err) && attempt < 4) continue;
        // One bad request must not fail its neighbours: run each on its own.
        if (reqs.length > 1) return Promise.all(reqs.map(async (r) => (await runHoldBatch(eventId, [r]))[0]!));
        return [err instanceof Error ? err : new Error(String(err))];
      }
    }
  }

  const batcher = new HoldBatcher<HoldRequest, HoldView>(runHoldBatch, { maxBatch: HOLD_BATCH_MAX, parallelPerKey: HOLD_LANES_PER_EVENT });

  // ---------------------------------------------------------------- holds, naive baseline (bench only)

  /** One transaction per hold, one UPDATE per seat: what the benchmark compares against. */
  async function holdNaive(req: HoldRequest & { seatIds: string[] }): Promise<HoldView> {
    const { view, changes } = await repo.withHoldTransaction(db, async (client) => {
      const event = await repo.lockBuyersForEvent(client, req.eventId, [req.userId]);
      if (!event) throw new AppError('EVENT_NOT_FOUND');
      if (event.status !== 'on_sale') throw new AppError('EVENT_NOT_ON_SALE');
      const have = (await repo.countTicketsByUser(client, req.eventId, [req.userId])).get(req.userId) ?? 0;
      if (have + req.seatIds.length > config.MAX_TICKETS_PER_USER) throw limitExceeded(have);
      const id = randomUUID();
      const row = await repo.insertHoldRow(client, {
        id,
        eventId: req.eventId,
        userId: req.userId,
        ttlSeconds: config.HOLD_TTL_SECONDS,
        seatIds: req.seatIds,
      });
      const held: SeatRow[] = [];
      for (const seatId of req.seatIds) {
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
    async seatMap(eventId: string) {
      const rows = await repo.seatMap(db, eventId);
      if (rows.length === 0) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
      return {
        eventId,
        version: rows[0]!.seat_version,
        seats: rows.filter((r) => r.id !== null).map((r) => ({ ...toSeatView(r), status: r.map_status })),
      };
    },

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
      return batcher.submit(req.eventId, req);
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
      return { holds, reservations };
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
