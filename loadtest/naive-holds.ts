// The benchmark's naive baseline for holds: one transaction per hold and one UPDATE per seat, no
// batching. bench-holds.ts measures the production (batched) holds against it in the same run. It
// lives here, not in the inventory module, because nothing but the benchmark may use it; the bench
// server registers it as its own route, POST /bench/naive/events/:eventId/holds.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../api/src/config.js';
import { AppError } from '../api/src/errors.js';
import { withTransaction, type Db } from '../api/src/infra/db.js';
import { limitExceeded } from '../api/src/modules/inventory/hold-batches.js';
import type { SeatRow } from '../api/src/modules/inventory/repository.js';
import { publishSeatChanges, recordSeatChanges } from '../api/src/modules/inventory/seat-changes.js';
import { sum, toSeatView } from '../api/src/modules/inventory/views.js';
import { createRealtimePublisher } from '../api/src/realtime/bus.js';
import type { SharedState } from '../api/src/infra/shared-state.js';

const SEAT_COLUMNS = 's.id, s.ticket_type_id, s.section, s.row_label, s.seat_number, s.label, s.price';
const SEAT_IS_FREE = `(s.status = 'available' OR (s.status = 'held' AND s.hold_expires_at < now()))`;

/** The event's status after taking the per-(user, event) advisory lock, so two holds of one user cannot both pass the limit. */
async function lockBuyer(client: pg.PoolClient, eventId: string, userId: string) {
  const { rows } = await client.query<{ status: string; currency: string }>(
    `SELECT e.status, e.currency, pg_advisory_xact_lock(hashtextextended($2::text || '/' || e.id::text, 0)) IS NULL AS locked
       FROM ticket.events e WHERE e.id = $1`,
    [eventId, userId],
  );
  return rows[0];
}

async function ticketsOf(client: pg.PoolClient, eventId: string, userId: string): Promise<number> {
  const { rows } = await client.query<{ tickets: number }>(
    `SELECT (SELECT coalesce(sum(cardinality(h.seat_ids)
                 + coalesce((SELECT sum(hi.quantity) FROM ticket.hold_items hi WHERE hi.hold_id = h.id), 0)), 0)
               FROM ticket.holds h
              WHERE h.user_id = $2 AND h.event_id = $1 AND h.status = 'active' AND h.expires_at >= now())
          + (SELECT coalesce(sum(ri.quantity), 0)
               FROM ticket.reservations r JOIN ticket.reservation_items ri ON ri.reservation_id = r.id
              WHERE r.user_id = $2 AND r.event_id = $1
                AND (r.status = 'confirmed' OR (r.status = 'pending' AND r.expires_at >= now())))::int AS tickets`,
    [eventId, userId],
  );
  return rows[0]!.tickets;
}

export async function naiveHoldsRoute(app: FastifyInstance, opts: { config: Config; db: Db; shared: SharedState }) {
  const { config, db } = opts;
  const publisher = createRealtimePublisher(opts.shared);

  async function holdNaive(userId: string, eventId: string, seatIds: string[]) {
    const { view, changes } = await withTransaction(
      db,
      async (client) => {
        const event = await lockBuyer(client, eventId, userId);
        if (!event) throw new AppError('EVENT_NOT_FOUND');
        if (event.status !== 'on_sale') throw new AppError('EVENT_NOT_ON_SALE');
        const have = await ticketsOf(client, eventId, userId);
        if (have + seatIds.length > config.MAX_TICKETS_PER_USER) throw limitExceeded(config.MAX_TICKETS_PER_USER, have);
        const id = randomUUID();
        const { rows } = await client.query<{ expires_at: Date; created_at: Date }>(
          `INSERT INTO ticket.holds (id, event_id, user_id, expires_at, created_at, seat_ids)
           SELECT $1, $2, $3, at.t + make_interval(secs => $4), at.t, $5 FROM (SELECT clock_timestamp() AS t) at
           RETURNING expires_at, created_at`,
          [id, eventId, userId, config.HOLD_TTL_SECONDS, seatIds],
        );
        const held: SeatRow[] = [];
        // Seats in id order, the lock order of every seat write (the sweeper's too).
        for (const seatId of [...seatIds].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))) {
          const taken = await client.query<SeatRow>(
            `UPDATE ticket.seats s SET status = 'held', hold_id = $3,
                    hold_expires_at = (SELECT expires_at FROM ticket.holds WHERE id = $3), updated_at = now()
             WHERE s.id = $1 AND s.event_id = $2 AND ${SEAT_IS_FREE}
             RETURNING ${SEAT_COLUMNS}`,
            [seatId, eventId, id],
          );
          if (!taken.rows[0]) {
            const exists = await client.query('SELECT 1 FROM ticket.seats WHERE id = $1 AND event_id = $2', [seatId, eventId]);
            throw new AppError(exists.rowCount ? 'SEAT_UNAVAILABLE' : 'SEAT_NOT_FOUND', undefined, { seatIds: [seatId] });
          }
          held.push(taken.rows[0]);
        }
        const versioned = await recordSeatChanges(client, eventId, [{ type: 'seat.held', seatIds }]);
        const seats = held.map(toSeatView);
        return {
          view: {
            id,
            eventId,
            status: 'active' as const,
            seats,
            items: [],
            totalAmount: sum(seats.map((s) => s.price)),
            currency: event.currency,
            expiresAt: rows[0]!.expires_at.toISOString(),
            createdAt: rows[0]!.created_at.toISOString(),
          },
          changes: versioned,
        };
      },
      config.HOLDS_SYNCHRONOUS_COMMIT === 'off' ? { synchronousCommit: 'off' } : {},
    );
    publishSeatChanges(publisher, changes, (err) => app.log.error({ err }, 'seat change publish failed'));
    return view;
  }

  app.post<{ Params: { eventId: string }; Body: { seatIds: string[] } }>(
    '/bench/naive/events/:eventId/holds',
    {
      onRequest: app.auth.user,
      schema: {
        hide: true,
        params: { type: 'object', properties: { eventId: { type: 'string', format: 'uuid' } }, required: ['eventId'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['seatIds'],
          properties: { seatIds: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'string', format: 'uuid' } } },
        },
      },
    },
    async (request, reply) => {
      const view = await holdNaive(request.principal!.userId, request.params.eventId, request.body.seatIds);
      return reply.status(201).send(view);
    },
  );
}
