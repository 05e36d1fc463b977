// Batched holds: concurrent hold requests for one event become one transaction of two round trips
// (see HoldBatcher and the repository's openHoldBatch / writeHoldsAndCommit).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Db } from '../../infra/db.js';
import { HoldBatcher } from './hold-batcher.js';
import { inventoryRepository as repo, type SeatForHold, type TicketTypeRow } from './repository.js';
import { versionSeatChanges, type SeatChange, type VersionedSeatChange } from './seat-changes.js';
import { sum, toSeatView, type HoldRequest, type HoldView } from './views.js';

// 40001: the write found a seat or quantity taken since the batch read it (see openHoldBatch);
// deadlocks should not happen given the lock order. Both mean: run the batch again on fresh rows.
const RETRYABLE = new Set(['40P01', '40001']);
export const isRetryable = (err: unknown) => RETRYABLE.has((err as { code?: string }).code ?? '');

const HOLD_BATCH_MAX = 64;

/** A hold lane's database connection, kept while the lane has work (see HoldBatcher). */
interface HoldSession {
  client: pg.PoolClient;
  broken: boolean;
  onError: (err: Error) => void;
}

export function limitExceeded(max: number, have: number) {
  return new AppError(
    'TICKET_LIMIT_EXCEEDED',
    `At most ${max} tickets per customer for this event; you already have ${have} held or reserved`,
  );
}

export function createBatchedHolds(deps: {
  config: Pick<Config, 'HOLD_TTL_SECONDS' | 'MAX_TICKETS_PER_USER' | 'HOLDS_SYNCHRONOUS_COMMIT'>;
  db: Db;
  /** Called after each COMMIT with the seat changes to announce. */
  publish: (changes: VersionedSeatChange[]) => void;
  /** Called after a COMMIT that took general-admission quantities of the event. */
  quantitiesChanged?: (eventId: string) => void;
  log: (err: unknown, msg: string) => void;
}) {
  const { config, db, publish, log } = deps;

  /**
   * One transaction for a batch of holds on one event, in two round trips (open: lock the lane and
   * read; write, bump and commit); each request gets its own outcome.
   */
  async function holdBatchOnce(session: HoldSession, eventId: string, reqs: HoldRequest[]): Promise<Array<HoldView | AppError>> {
    const { client } = session;
    let inTransaction = false;
    let outcomes: Array<HoldView | AppError | undefined>;
    let changes: VersionedSeatChange[];
    let tookQuantities = false;
    try {
      const users = [...new Set(reqs.map((r) => r.userId))];
      const seatIds = [...new Set(reqs.flatMap((r) => r.seatIds ?? []))];
      const typeIds = [...new Set(reqs.flatMap((r) => (r.items ?? []).map((i) => i.ticketTypeId)))];
      inTransaction = true;
      const opened = await repo.openHoldBatch(client, {
        eventId,
        userIds: users,
        seatIds,
        ticketTypeIds: typeIds,
        asyncCommit: config.HOLDS_SYNCHRONOUS_COMMIT === 'off',
      });
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
      const seats = new Map<string, SeatForHold>(opened.seats.map((s) => [s.id, s]));
      const types = new Map<string, TicketTypeRow>(opened.ticketTypes.map((t) => [t.id, t]));
      const left = new Map([...types.values()].map((t) => [t.id, t.available_quantity]));
      const takenHere = new Set<string>();

      // Decide in arrival order on the rows read under the lane lock; earlier requests in the batch win a shared seat.
      const granted: Array<{ index: number; id: string; req: HoldRequest }> = [];
      outcomes = reqs.map((req, index) => {
        const have = tickets.get(req.userId) ?? 0;
        if (req.seatIds) {
          const unknown = req.seatIds.filter((id) => !seats.has(id) || seats.get(id)!.ticket_type_id === null);
          if (unknown.length) return new AppError('SEAT_NOT_FOUND', 'These seats are not on sale for this event', { seatIds: unknown });
          if (have + req.seatIds.length > config.MAX_TICKETS_PER_USER) return limitExceeded(config.MAX_TICKETS_PER_USER, have);
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
          if (have + want > config.MAX_TICKETS_PER_USER) return limitExceeded(config.MAX_TICKETS_PER_USER, have);
          const short = items.find((i) => left.get(i.ticketTypeId)! < i.quantity);
          if (short) return new AppError('SOLD_OUT', `Only ${left.get(short.ticketTypeId)} left of ${types.get(short.ticketTypeId)!.name}`);
          items.forEach((i) => left.set(i.ticketTypeId, left.get(i.ticketTypeId)! - i.quantity));
        }
        tickets.set(req.userId, have + (req.seatIds?.length ?? sum(req.items!.map((i) => i.quantity))));
        granted.push({ index, id: randomUUID(), req });
        return undefined;
      });

      const seatChanges: SeatChange[] = granted.filter((g) => g.req.seatIds).map((g) => ({ type: 'seat.held', seatIds: g.req.seatIds! }));
      if (granted.length === 0) {
        await repo.commit(client); // nothing to write
        changes = [];
      } else {
        const written = await repo.writeHoldsAndCommit(client, {
          eventId,
          ttlSeconds: config.HOLD_TTL_SECONDS,
          holds: granted.map((g) => ({ id: g.id, userId: g.req.userId })),
          seats: granted.flatMap((g) => (g.req.seatIds ?? []).map((seatId) => ({ seatId, holdId: g.id }))),
          items: granted.flatMap((g) => (g.req.items ?? []).map((i) => ({ holdId: g.id, ...i }))),
          seatChanges: seatChanges.length,
        });
        changes = versionSeatChanges(eventId, seatChanges, written.seatVersion);
        tookQuantities = granted.some((g) => g.req.items);
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
      inTransaction = false;
    } catch (err) {
      if (inTransaction) {
        await repo.rollback(client).catch((rollbackErr: unknown) => {
          session.broken = true; // the connection is gone or stuck in the transaction: never reuse it
          log(rollbackErr, 'hold batch rollback failed');
        });
      }
      throw err;
    }
    publish(changes);
    if (tookQuantities) deps.quantitiesChanged?.(eventId);
    return outcomes as Array<HoldView | AppError>;
  }

  async function runHoldBatch(session: HoldSession, eventId: string, reqs: HoldRequest[]): Promise<Array<HoldView | Error>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await holdBatchOnce(session, eventId, reqs);
      } catch (err) {
        if (session.broken) throw err;
        if (isRetryable(err) && attempt < 4) continue;
        // One bad request must not fail its neighbours: run each on its own, one after the other
        // (they share the lane's connection).
        if (reqs.length > 1) {
          const outcomes: Array<HoldView | Error> = [];
          for (const r of reqs) outcomes.push((await runHoldBatch(session, eventId, [r]))[0]!);
          return outcomes;
        }
        return [err instanceof Error ? err : new Error(String(err))];
      }
    }
  }

  const batcher = new HoldBatcher<HoldRequest, HoldView, HoldSession>({
    run: (session, reqs) => runHoldBatch(session, reqs[0]!.eventId, reqs),
    openSession: async () => {
      const session: HoldSession = {
        client: await db.connect(),
        broken: false,
        // A checked-out client's connection error is ours to handle (unhandled, it would end the process).
        onError: (err) => {
          session.broken = true;
          log(err, 'hold lane connection failed');
        },
      };
      session.client.on('error', session.onError);
      return session;
    },
    closeSession: (session, broken) => {
      session.client.off('error', session.onError);
      session.client.release(broken || undefined);
    },
    healthy: (session) => !session.broken,
    maxBatch: HOLD_BATCH_MAX,
  });

  return {
    submit: (req: HoldRequest): Promise<HoldView> => batcher.submit(req.eventId, req),
  };
}
