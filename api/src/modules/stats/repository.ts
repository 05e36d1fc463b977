import type { Queryable } from '../../infra/db.js';

/**
 * All SQL of the statistics views. Every figure is counted from the tables the other modules write
 * (reservations, payments, holds, users, seats); the stats schema only caches some of them.
 *
 * Definitions used throughout, so that the views agree with each other:
 * - A day is `(timestamp AT TIME ZONE tz)::date`; a range is [lo, hi) in UTC, cut by the caller.
 * - Sales are flows, counted when they happen: a reservation is "confirmed in the range" by its
 *   confirmed_at, whatever became of it later; tickets sold are the quantities of those.
 * - gross revenue: payments approved in the range (approved_at), whatever refunds came later;
 *   refunded: refunds made in the range (refunded_at, the payment's latest refund); net = gross - refunded.
 * - Money is never summed across currencies: sales views take one currency.
 * - Complimentary reservations (issued by an admin, price 0, no payment) count as reservations and
 *   tickets, not as revenue.
 */
export interface Range {
  tz: string;
  lo: Date;
  hi: Date;
}

const int = (v: unknown) => Number(v ?? 0);

/** Paid payments: a charge was taken (whether or not refunded since). */
const PAID = `p.status IN ('confirmed', 'partially_refunded', 'refunded') AND p.approved_at IS NOT NULL`;

export const statsRepository = {
  /** The UTC bounds of [from, to] in the time zone; PostgreSQL refuses a zone it does not know (22023). */
  async bounds(db: Queryable, tz: string, from: string, to: string): Promise<{ lo: Date; hi: Date }> {
    const { rows } = await db.query<{ lo: Date; hi: Date }>(
      `SELECT ($2::date)::timestamp AT TIME ZONE $1 AS lo, ($3::date + 1)::timestamp AT TIME ZONE $1 AS hi`,
      [tz, from, to],
    );
    return rows[0]!;
  },

  async overview(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query(
      `SELECT
         (SELECT json_build_object(
            'total', count(*), 'upcoming', count(*) FILTER (WHERE status = 'upcoming'),
            'onSale', count(*) FILTER (WHERE status = 'on_sale'), 'soldOut', count(*) FILTER (WHERE status = 'sold_out'),
            'ended', count(*) FILTER (WHERE status = 'ended'), 'cancelled', count(*) FILTER (WHERE status = 'cancelled'))
          FROM ticket.events WHERE currency = $3) AS events,
         (SELECT json_build_object('total', count(*), 'admins', count(*) FILTER (WHERE role = 'admin'),
            'newInRange', count(*) FILTER (WHERE created_at >= $1 AND created_at < $2))
          FROM auth.users) AS users,
         (SELECT json_build_object(
            'created', count(*), 'pending', count(*) FILTER (WHERE status = 'pending'),
            'confirmed', count(*) FILTER (WHERE status = 'confirmed'), 'cancelled', count(*) FILTER (WHERE status = 'cancelled'),
            'expired', count(*) FILTER (WHERE status = 'expired'), 'complimentary', count(*) FILTER (WHERE issued_by IS NOT NULL))
          FROM ticket.reservations WHERE created_at >= $1 AND created_at < $2 AND currency = $3) AS reservations,
         (SELECT coalesce(sum(i.quantity), 0) FROM ticket.reservations r JOIN ticket.reservation_items i ON i.reservation_id = r.id
          WHERE r.confirmed_at >= $1 AND r.confirmed_at < $2 AND r.currency = $3) AS tickets_sold,
         (SELECT json_build_object('approved', count(*), 'gross', coalesce(sum(p.amount), 0))
          FROM payment.payments p WHERE ${PAID} AND p.approved_at >= $1 AND p.approved_at < $2 AND p.currency = $3) AS paid,
         (SELECT json_build_object('refunds', count(*), 'refunded', coalesce(sum(p.refunded_amount), 0))
          FROM payment.payments p WHERE p.refunded_amount > 0 AND p.refunded_at >= $1 AND p.refunded_at < $2 AND p.currency = $3) AS refunds`,
      [r.lo, r.hi, currency],
    );
    return rows[0] as {
      events: Record<string, number>;
      users: Record<string, number>;
      reservations: Record<string, number>;
      tickets_sold: string;
      paid: { approved: number; gross: number };
      refunds: { refunds: number; refunded: number };
    };
  },

  /** One row per day of the range (days without activity included). */
  async daily(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query<DailyFigures>(
      `WITH days AS (
         SELECT d::date AS day FROM generate_series(($1::timestamptz AT TIME ZONE $3)::date,
                                                    ($2::timestamptz AT TIME ZONE $3)::date - 1, interval '1 day') d
       ),
       created AS (
         SELECT (created_at AT TIME ZONE $3)::date AS day, count(*) AS n FROM ticket.reservations
         WHERE created_at >= $1 AND created_at < $2 AND currency = $4 GROUP BY 1
       ),
       confirmed AS (
         SELECT (r.confirmed_at AT TIME ZONE $3)::date AS day, count(DISTINCT r.id) AS n, coalesce(sum(i.quantity), 0) AS tickets
         FROM ticket.reservations r JOIN ticket.reservation_items i ON i.reservation_id = r.id
         WHERE r.confirmed_at >= $1 AND r.confirmed_at < $2 AND r.currency = $4 GROUP BY 1
       ),
       ended AS (
         SELECT (ended_at AT TIME ZONE $3)::date AS day, count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                count(*) FILTER (WHERE status = 'expired') AS expired
         FROM ticket.reservations WHERE ended_at >= $1 AND ended_at < $2 AND currency = $4 GROUP BY 1
       ),
       paid AS (
         SELECT (p.approved_at AT TIME ZONE $3)::date AS day, sum(p.amount) AS gross FROM payment.payments p
         WHERE ${PAID} AND p.approved_at >= $1 AND p.approved_at < $2 AND p.currency = $4 GROUP BY 1
       ),
       refunds AS (
         SELECT (p.refunded_at AT TIME ZONE $3)::date AS day, sum(p.refunded_amount) AS refunded FROM payment.payments p
         WHERE p.refunded_amount > 0 AND p.refunded_at >= $1 AND p.refunded_at < $2 AND p.currency = $4 GROUP BY 1
       ),
       signups AS (
         SELECT (created_at AT TIME ZONE $3)::date AS day, count(*) AS n FROM auth.users
         WHERE created_at >= $1 AND created_at < $2 GROUP BY 1
       )
       SELECT to_char(days.day, 'YYYY-MM-DD') AS date,
              coalesce(created.n, 0)::int AS reservations_created,
              coalesce(confirmed.n, 0)::int AS reservations_confirmed,
              coalesce(ended.cancelled, 0)::int AS reservations_cancelled,
              coalesce(ended.expired, 0)::int AS reservations_expired,
              coalesce(confirmed.tickets, 0)::int AS tickets_sold,
              coalesce(paid.gross, 0)::bigint AS revenue,
              coalesce(refunds.refunded, 0)::bigint AS refunded,
              coalesce(signups.n, 0)::int AS new_users
       FROM days LEFT JOIN created USING (day) LEFT JOIN confirmed USING (day) LEFT JOIN ended USING (day)
         LEFT JOIN paid USING (day) LEFT JOIN refunds USING (day) LEFT JOIN signups USING (day)
       ORDER BY days.day`,
      [r.lo, r.hi, r.tz, currency],
    );
    return rows.map((row) => ({ ...row, revenue: int(row.revenue), refunded: int(row.refunded) }));
  },

  /** Per-event figures; without a range, all time (what the event cache keeps). */
  async events(db: Queryable, r: Range | null, filter: { currency?: string; status?: string; eventIds?: string[]; limit: number }) {
    const { rows } = await db.query<EventFigures>(
      `WITH ev AS (
         SELECT e.id, e.title, e.status, e.event_date, e.currency FROM ticket.events e
         WHERE ($3::text IS NULL OR e.currency = $3) AND ($4::text IS NULL OR e.status = $4) AND ($5::uuid[] IS NULL OR e.id = ANY ($5::uuid[]))
       ),
       res AS (
         SELECT r.event_id, count(*) AS created,
                count(*) FILTER (WHERE r.status = 'pending') AS pending, count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed,
                count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled, count(*) FILTER (WHERE r.status = 'expired') AS expired
         FROM ticket.reservations r JOIN ev ON ev.id = r.event_id
         WHERE $1::timestamptz IS NULL OR (r.created_at >= $1 AND r.created_at < $2)
         GROUP BY r.event_id
       ),
       sold AS (
         SELECT r.event_id, sum(i.quantity) AS tickets FROM ticket.reservations r JOIN ev ON ev.id = r.event_id
           JOIN ticket.reservation_items i ON i.reservation_id = r.id
         WHERE r.confirmed_at IS NOT NULL AND ($1::timestamptz IS NULL OR (r.confirmed_at >= $1 AND r.confirmed_at < $2))
         GROUP BY r.event_id
       ),
       sold_now AS (
         SELECT r.event_id, sum(i.quantity) AS tickets FROM ticket.reservations r JOIN ev ON ev.id = r.event_id
           JOIN ticket.reservation_items i ON i.reservation_id = r.id
         WHERE r.status = 'confirmed' GROUP BY r.event_id
       ),
       capacity AS (
         SELECT t.event_id, sum(CASE WHEN t.kind = 'general' THEN t.total_quantity ELSE 0 END)
                + (SELECT count(*) FROM ticket.seats s WHERE s.event_id = t.event_id) AS total
         FROM ticket.ticket_types t JOIN ev ON ev.id = t.event_id GROUP BY t.event_id
       ),
       paid AS (
         SELECT p.event_id, sum(p.amount) AS gross FROM payment.payments p JOIN ev ON ev.id = p.event_id
         WHERE ${PAID} AND ($1::timestamptz IS NULL OR (p.approved_at >= $1 AND p.approved_at < $2)) GROUP BY p.event_id
       ),
       refunds AS (
         SELECT p.event_id, sum(p.refunded_amount) AS refunded FROM payment.payments p JOIN ev ON ev.id = p.event_id
         WHERE p.refunded_amount > 0 AND ($1::timestamptz IS NULL OR (p.refunded_at >= $1 AND p.refunded_at < $2)) GROUP BY p.event_id
       ),
       holds AS (
         SELECT h.event_id, count(*) AS created, count(*) FILTER (WHERE h.status = 'converted') AS converted
         FROM ticket.holds h JOIN ev ON ev.id = h.event_id
         WHERE $1::timestamptz IS NULL OR (h.created_at >= $1 AND h.created_at < $2) GROUP BY h.event_id
       ),
       funnel AS (
         SELECT h.event_id, count(*) AS confirmed FROM ticket.holds h JOIN ev ON ev.id = h.event_id
           JOIN ticket.reservations r ON r.hold_id = h.id
         WHERE r.status = 'confirmed' AND ($1::timestamptz IS NULL OR (h.created_at >= $1 AND h.created_at < $2)) GROUP BY h.event_id
       )
       SELECT ev.id AS event_id, ev.title, ev.status, ev.event_date, ev.currency,
              coalesce(res.created, 0)::int AS created, coalesce(res.pending, 0)::int AS pending,
              coalesce(res.confirmed, 0)::int AS confirmed, coalesce(res.cancelled, 0)::int AS cancelled,
              coalesce(res.expired, 0)::int AS expired,
              coalesce(sold.tickets, 0)::int AS tickets_sold, coalesce(sold_now.tickets, 0)::int AS sold_now,
              coalesce(capacity.total, 0)::int AS capacity,
              coalesce(paid.gross, 0)::bigint AS gross, coalesce(refunds.refunded, 0)::bigint AS refunded,
              coalesce(holds.created, 0)::int AS holds_created, coalesce(holds.converted, 0)::int AS holds_converted,
              coalesce(funnel.confirmed, 0)::int AS holds_confirmed
       FROM ev LEFT JOIN res ON res.event_id = ev.id LEFT JOIN sold ON sold.event_id = ev.id
         LEFT JOIN sold_now ON sold_now.event_id = ev.id LEFT JOIN capacity ON capacity.event_id = ev.id
         LEFT JOIN paid ON paid.event_id = ev.id LEFT JOIN refunds ON refunds.event_id = ev.id
         LEFT JOIN holds ON holds.event_id = ev.id LEFT JOIN funnel ON funnel.event_id = ev.id
       ORDER BY coalesce(paid.gross, 0) - coalesce(refunds.refunded, 0) DESC, coalesce(sold.tickets, 0) DESC, ev.event_date, ev.id
       LIMIT $6`,
      [r?.lo ?? null, r?.hi ?? null, filter.currency ?? null, filter.status ?? null, filter.eventIds ?? null, filter.limit],
    );
    return rows.map((row) => ({ ...row, gross: int(row.gross), refunded: int(row.refunded) }));
  },

  async eventTicketTypes(db: Queryable, eventId: string) {
    const { rows } = await db.query<{
      ticket_type_id: string;
      name: string;
      kind: string;
      price: number;
      capacity: number;
      sold: number;
      held: number;
      revenue: string;
    }>(
      `SELECT t.id AS ticket_type_id, t.name, t.kind, t.price,
              (CASE WHEN t.kind = 'general' THEN t.total_quantity
                    ELSE (SELECT count(*) FROM ticket.seats s WHERE s.ticket_type_id = t.id) END)::int AS capacity,
              coalesce((SELECT sum(i.quantity) FROM ticket.reservation_items i
                        WHERE i.ticket_type_id = t.id AND i.reservation_status = 'confirmed'), 0)::int AS sold,
              (coalesce((SELECT sum(i.quantity) FROM ticket.reservation_items i
                         WHERE i.ticket_type_id = t.id AND i.reservation_status = 'pending'), 0)
               + coalesce((SELECT sum(hi.quantity) FROM ticket.hold_items hi JOIN ticket.holds h ON h.id = hi.hold_id
                           WHERE hi.ticket_type_id = t.id AND h.status = 'active' AND h.expires_at >= now()), 0)
               + (SELECT count(*) FROM ticket.seats s WHERE s.ticket_type_id = t.id AND s.status = 'held' AND s.hold_expires_at >= now())
              )::int AS held,
              coalesce((SELECT sum(i.subtotal) FROM ticket.reservation_items i
                        WHERE i.ticket_type_id = t.id AND i.reservation_status = 'confirmed'), 0)::bigint AS revenue
       FROM ticket.ticket_types t WHERE t.event_id = $1 ORDER BY t.sort_order, t.name`,
      [eventId],
    );
    return rows.map((row) => ({ ...row, revenue: int(row.revenue) }));
  },

  async eventActiveHolds(db: Queryable, eventId: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ticket.holds WHERE event_id = $1 AND status = 'active' AND expires_at >= now()`,
      [eventId],
    );
    return rows[0]!.n;
  },

  async eventDays(db: Queryable, r: Range, eventId: string) {
    const { rows } = await db.query<{ date: string; reservations_confirmed: number; tickets_sold: number; revenue: string }>(
      `WITH days AS (
         SELECT d::date AS day FROM generate_series(($1::timestamptz AT TIME ZONE $3)::date,
                                                    ($2::timestamptz AT TIME ZONE $3)::date - 1, interval '1 day') d
       ),
       confirmed AS (
         SELECT (r.confirmed_at AT TIME ZONE $3)::date AS day, count(DISTINCT r.id) AS n, sum(i.quantity) AS tickets
         FROM ticket.reservations r JOIN ticket.reservation_items i ON i.reservation_id = r.id
         WHERE r.event_id = $4 AND r.confirmed_at >= $1 AND r.confirmed_at < $2 GROUP BY 1
       ),
       paid AS (
         SELECT (p.approved_at AT TIME ZONE $3)::date AS day, sum(p.amount) AS gross FROM payment.payments p
         WHERE p.event_id = $4 AND ${PAID} AND p.approved_at >= $1 AND p.approved_at < $2 GROUP BY 1
       )
       SELECT to_char(days.day, 'YYYY-MM-DD') AS date, coalesce(confirmed.n, 0)::int AS reservations_confirmed,
              coalesce(confirmed.tickets, 0)::int AS tickets_sold, coalesce(paid.gross, 0)::bigint AS revenue
       FROM days LEFT JOIN confirmed USING (day) LEFT JOIN paid USING (day) ORDER BY days.day`,
      [r.lo, r.hi, r.tz, eventId],
    );
    return rows.map((row) => ({ ...row, revenue: int(row.revenue) }));
  },

  async paymentMethods(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query<{ method: string; payments: number; amount: string; refunded: string }>(
      `SELECT coalesce(p.method, 'unknown') AS method, count(*)::int AS payments, sum(p.amount)::bigint AS amount,
              sum(p.refunded_amount)::bigint AS refunded
       FROM payment.payments p WHERE ${PAID} AND p.approved_at >= $1 AND p.approved_at < $2 AND p.currency = $3
       GROUP BY 1 ORDER BY sum(p.amount) DESC, 1`,
      [r.lo, r.hi, currency],
    );
    return rows.map((row) => ({ ...row, amount: int(row.amount), refunded: int(row.refunded) }));
  },

  async paymentStatuses(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query<{ status: string; payments: number }>(
      `SELECT status, count(*)::int AS payments FROM payment.payments
       WHERE created_at >= $1 AND created_at < $2 AND currency = $3 GROUP BY 1 ORDER BY 2 DESC, 1`,
      [r.lo, r.hi, currency],
    );
    return rows;
  },

  async revenuePeriods(db: Queryable, r: Range, currency: string, groupBy: 'day' | 'week' | 'month') {
    // date_trunc on the local timestamp: weeks start on Monday (ISO), months on the 1st.
    const { rows } = await db.query<{ period: string; payments: number; gross: string; refunded: string }>(
      `WITH periods AS (
         SELECT DISTINCT date_trunc($5, d)::date AS period
         FROM generate_series(($1::timestamptz AT TIME ZONE $3)::date, ($2::timestamptz AT TIME ZONE $3)::date - 1, interval '1 day') d
       ),
       paid AS (
         SELECT date_trunc($5, p.approved_at AT TIME ZONE $3)::date AS period, count(*) AS payments, sum(p.amount) AS gross
         FROM payment.payments p WHERE ${PAID} AND p.approved_at >= $1 AND p.approved_at < $2 AND p.currency = $4 GROUP BY 1
       ),
       refunds AS (
         SELECT date_trunc($5, p.refunded_at AT TIME ZONE $3)::date AS period, sum(p.refunded_amount) AS refunded
         FROM payment.payments p WHERE p.refunded_amount > 0 AND p.refunded_at >= $1 AND p.refunded_at < $2 AND p.currency = $4 GROUP BY 1
       )
       SELECT to_char(periods.period, 'YYYY-MM-DD') AS period, coalesce(paid.payments, 0)::int AS payments,
              coalesce(paid.gross, 0)::bigint AS gross, coalesce(refunds.refunded, 0)::bigint AS refunded
       FROM periods LEFT JOIN paid USING (period) LEFT JOIN refunds USING (period) ORDER BY periods.period`,
      [r.lo, r.hi, r.tz, currency, groupBy],
    );
    return rows.map((row) => ({ ...row, gross: int(row.gross), refunded: int(row.refunded) }));
  },

  async topEvents(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query<{ event_id: string; title: string; gross: string; refunded: string }>(
      `WITH paid AS (
         SELECT p.event_id, sum(p.amount) AS gross FROM payment.payments p
         WHERE ${PAID} AND p.approved_at >= $1 AND p.approved_at < $2 AND p.currency = $3 GROUP BY 1
       ),
       refunds AS (
         SELECT p.event_id, sum(p.refunded_amount) AS refunded FROM payment.payments p
         WHERE p.refunded_amount > 0 AND p.refunded_at >= $1 AND p.refunded_at < $2 AND p.currency = $3 GROUP BY 1
       )
       SELECT e.id AS event_id, e.title, coalesce(paid.gross, 0)::bigint AS gross, coalesce(refunds.refunded, 0)::bigint AS refunded
       FROM ticket.events e LEFT JOIN paid ON paid.event_id = e.id LEFT JOIN refunds ON refunds.event_id = e.id
       WHERE paid.event_id IS NOT NULL OR refunds.event_id IS NOT NULL
       ORDER BY coalesce(paid.gross, 0) - coalesce(refunds.refunded, 0) DESC, e.id LIMIT 10`,
      [r.lo, r.hi, currency],
    );
    return rows.map((row) => ({ ...row, gross: int(row.gross), refunded: int(row.refunded) }));
  },

  async users(db: Queryable, r: Range) {
    const { rows } = await db.query<{
      total: number;
      admins: number;
      new_in_range: number;
      buyers: number;
      repeat_buyers: number;
    }>(
      `WITH buyers AS (
         SELECT user_id, count(*) AS n FROM ticket.reservations
         WHERE confirmed_at >= $1 AND confirmed_at < $2 GROUP BY user_id
       )
       SELECT (SELECT count(*) FROM auth.users)::int AS total,
              (SELECT count(*) FROM auth.users WHERE role = 'admin')::int AS admins,
              (SELECT count(*) FROM auth.users WHERE created_at >= $1 AND created_at < $2)::int AS new_in_range,
              (SELECT count(*) FROM buyers)::int AS buyers,
              (SELECT count(*) FROM buyers WHERE n >= 2)::int AS repeat_buyers`,
      [r.lo, r.hi],
    );
    const signups = await db.query<{ date: string; users: number }>(
      `WITH days AS (
         SELECT d::date AS day FROM generate_series(($1::timestamptz AT TIME ZONE $3)::date,
                                                    ($2::timestamptz AT TIME ZONE $3)::date - 1, interval '1 day') d
       ),
       signups AS (
         SELECT (created_at AT TIME ZONE $3)::date AS day, count(*) AS n FROM auth.users
         WHERE created_at >= $1 AND created_at < $2 GROUP BY 1
       )
       SELECT to_char(day, 'YYYY-MM-DD') AS date, coalesce(n, 0)::int AS users FROM days LEFT JOIN signups USING (day) ORDER BY day`,
      [r.lo, r.hi, r.tz],
    );
    return { ...rows[0]!, signups: signups.rows };
  },

  async hourly(db: Queryable, r: Range) {
    const { rows } = await db.query<{ hour: number; holds: number; reservations: number; payments: number; signups: number }>(
      `WITH hours AS (SELECT generate_series(0, 23) AS hour),
       h AS (SELECT extract(hour FROM created_at AT TIME ZONE $3)::int AS hour, count(*) AS n FROM ticket.holds
             WHERE created_at >= $1 AND created_at < $2 GROUP BY 1),
       r AS (SELECT extract(hour FROM created_at AT TIME ZONE $3)::int AS hour, count(*) AS n FROM ticket.reservations
             WHERE created_at >= $1 AND created_at < $2 GROUP BY 1),
       p AS (SELECT extract(hour FROM p.approved_at AT TIME ZONE $3)::int AS hour, count(*) AS n FROM payment.payments p
             WHERE ${PAID} AND p.approved_at >= $1 AND p.approved_at < $2 GROUP BY 1),
       u AS (SELECT extract(hour FROM created_at AT TIME ZONE $3)::int AS hour, count(*) AS n FROM auth.users
             WHERE created_at >= $1 AND created_at < $2 GROUP BY 1)
       SELECT hours.hour, coalesce(h.n, 0)::int AS holds, coalesce(r.n, 0)::int AS reservations,
              coalesce(p.n, 0)::int AS payments, coalesce(u.n, 0)::int AS signups
       FROM hours LEFT JOIN h USING (hour) LEFT JOIN r USING (hour) LEFT JOIN p USING (hour) LEFT JOIN u USING (hour)
       ORDER BY hours.hour`,
      [r.lo, r.hi, r.tz],
    );
    return rows;
  },

  /** The funnel of holds created in the range: how many became reservations, and how many of those are confirmed. */
  async funnel(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query<{ event_id: string; title: string; holds: number; reservations: number; confirmed: number }>(
      `SELECT e.id AS event_id, e.title, count(h.id)::int AS holds, count(res.id)::int AS reservations,
              count(res.id) FILTER (WHERE res.status = 'confirmed')::int AS confirmed
       FROM ticket.holds h JOIN ticket.events e ON e.id = h.event_id
         LEFT JOIN ticket.reservations res ON res.hold_id = h.id
       WHERE h.created_at >= $1 AND h.created_at < $2 AND e.currency = $3
       GROUP BY e.id, e.title ORDER BY count(h.id) DESC, e.id`,
      [r.lo, r.hi, currency],
    );
    return rows;
  },

  async cancellations(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query<{
      cancelled: number;
      cancelled_after_payment: number;
      expired: number;
      confirmed_in_range: number;
      refund_payments: number;
      refund_amount: string;
      refund_full: number;
      refund_partial: number;
      refund_failed: number;
    }>(
      `SELECT
         (SELECT count(*) FROM ticket.reservations WHERE status = 'cancelled' AND ended_at >= $1 AND ended_at < $2 AND currency = $3)::int
           AS cancelled,
         (SELECT count(*) FROM ticket.reservations WHERE status = 'cancelled' AND confirmed_at IS NOT NULL
            AND ended_at >= $1 AND ended_at < $2 AND currency = $3)::int AS cancelled_after_payment,
         (SELECT count(*) FROM ticket.reservations WHERE status = 'expired' AND ended_at >= $1 AND ended_at < $2 AND currency = $3)::int
           AS expired,
         (SELECT count(*) FROM ticket.reservations WHERE confirmed_at >= $1 AND confirmed_at < $2 AND currency = $3)::int
           AS confirmed_in_range,
         (SELECT count(*) FROM payment.payments WHERE refunded_amount > 0 AND refunded_at >= $1 AND refunded_at < $2 AND currency = $3)::int
           AS refund_payments,
         (SELECT coalesce(sum(refunded_amount), 0) FROM payment.payments
          WHERE refunded_amount > 0 AND refunded_at >= $1 AND refunded_at < $2 AND currency = $3)::bigint AS refund_amount,
         (SELECT count(*) FROM payment.payments WHERE status = 'refunded' AND refunded_at >= $1 AND refunded_at < $2 AND currency = $3)::int
           AS refund_full,
         (SELECT count(*) FROM payment.payments
          WHERE status = 'partially_refunded' AND refunded_at >= $1 AND refunded_at < $2 AND currency = $3)::int AS refund_partial,
         (SELECT count(*) FROM payment.payments
          WHERE refund_failed_at >= $1 AND refund_failed_at < $2 AND currency = $3)::int AS refund_failed`,
      [r.lo, r.hi, currency],
    );
    const reasons = await db.query<{ reason: string; reservations: number }>(
      `SELECT coalesce(cancel_reason, '(none)') AS reason, count(*)::int AS reservations FROM ticket.reservations
       WHERE status = 'cancelled' AND ended_at >= $1 AND ended_at < $2 AND currency = $3
       GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
      [r.lo, r.hi, currency],
    );
    return { ...rows[0]!, refund_amount: int(rows[0]!.refund_amount), reasons: reasons.rows };
  },

  async realtime(db: Queryable, currency: string, since: Date) {
    const { rows } = await db.query<{
      holds: number;
      held_seats: number;
      held_quantity: number;
      pending: number;
      confirmed: number;
      tickets: number;
      revenue: string;
      recent_holds: number;
    }>(
      `SELECT
         (SELECT count(*) FROM ticket.holds WHERE status = 'active' AND expires_at >= now())::int AS holds,
         (SELECT coalesce(sum(cardinality(seat_ids)), 0) FROM ticket.holds WHERE status = 'active' AND expires_at >= now())::int AS held_seats,
         (SELECT coalesce(sum(hi.quantity), 0) FROM ticket.hold_items hi JOIN ticket.holds h ON h.id = hi.hold_id
          WHERE h.status = 'active' AND h.expires_at >= now())::int AS held_quantity,
         (SELECT count(*) FROM ticket.reservations WHERE status = 'pending')::int AS pending,
         (SELECT count(*) FROM ticket.reservations WHERE confirmed_at >= $2 AND currency = $1)::int AS confirmed,
         (SELECT coalesce(sum(i.quantity), 0) FROM ticket.reservations r JOIN ticket.reservation_items i ON i.reservation_id = r.id
          WHERE r.confirmed_at >= $2 AND r.currency = $1)::int AS tickets,
         (SELECT coalesce(sum(p.amount), 0) FROM payment.payments p WHERE ${PAID} AND p.approved_at >= $2 AND p.currency = $1)::bigint
           AS revenue,
         (SELECT count(*) FROM ticket.holds WHERE created_at >= $2)::int AS recent_holds`,
      [currency, since],
    );
    return { ...rows[0]!, revenue: int(rows[0]!.revenue) };
  },

  async seatPreferences(db: Queryable, r: Range, currency: string, eventId: string | undefined) {
    const params = [r.lo, r.hi, currency, eventId ?? null];
    const sections = await db.query<SeatPreferenceRow & { section: string }>(
      `WITH seats AS (
         SELECT s.* FROM ticket.seats s JOIN ticket.events e ON e.id = s.event_id
         WHERE e.currency = $3 AND ($4::uuid IS NULL OR s.event_id = $4)
       ),
       sold_in_range AS (
         SELECT s.section, count(*) AS n FROM seats s
           JOIN ticket.reservation_items i ON i.seat_id = s.id JOIN ticket.reservations r ON r.id = i.reservation_id
         WHERE r.confirmed_at >= $1 AND r.confirmed_at < $2 GROUP BY s.section
       )
       SELECT s.section, count(*)::int AS capacity,
              count(*) FILTER (WHERE s.status = 'sold')::int AS sold,
              count(*) FILTER (WHERE (s.status = 'held' AND s.hold_expires_at >= now()) OR s.status = 'reserved')::int AS held,
              round(avg(s.price))::int AS average_price,
              coalesce(max(sold_in_range.n), 0)::int AS sold_in_range
       FROM seats s LEFT JOIN sold_in_range USING (section)
       GROUP BY s.section ORDER BY s.section`,
      params,
    );
    const types = await db.query<SeatPreferenceRow & { name: string; kind: string }>(
      `WITH t AS (
         SELECT t.* FROM ticket.ticket_types t JOIN ticket.events e ON e.id = t.event_id
         WHERE e.currency = $3 AND ($4::uuid IS NULL OR t.event_id = $4)
       )
       SELECT t.name, t.kind,
              sum(CASE WHEN t.kind = 'general' THEN t.total_quantity
                       ELSE (SELECT count(*) FROM ticket.seats s WHERE s.ticket_type_id = t.id) END)::int AS capacity,
              coalesce(sum((SELECT sum(i.quantity) FROM ticket.reservation_items i
                            WHERE i.ticket_type_id = t.id AND i.reservation_status = 'confirmed')), 0)::int AS sold,
              coalesce(sum((SELECT sum(i.quantity) FROM ticket.reservation_items i
                            WHERE i.ticket_type_id = t.id AND i.reservation_status = 'pending'))
                     + sum((SELECT sum(hi.quantity) FROM ticket.hold_items hi JOIN ticket.holds h ON h.id = hi.hold_id
                            WHERE hi.ticket_type_id = t.id AND h.status = 'active' AND h.expires_at >= now()))
                     + sum((SELECT count(*) FROM ticket.seats s WHERE s.ticket_type_id = t.id AND s.status = 'held'
                              AND s.hold_expires_at >= now())), 0)::int AS held,
              round(avg(t.price))::int AS average_price,
              coalesce(sum((SELECT sum(i.quantity) FROM ticket.reservation_items i JOIN ticket.reservations res ON res.id = i.reservation_id
                            WHERE i.ticket_type_id = t.id AND res.confirmed_at >= $1 AND res.confirmed_at < $2)), 0)::int AS sold_in_range
       FROM t GROUP BY t.name, t.kind ORDER BY t.name, t.kind`,
      params,
    );
    return { sections: sections.rows, ticketTypes: types.rows };
  },

  async userBehavior(db: Queryable, r: Range, currency: string) {
    const { rows } = await db.query<{
      orders: number;
      avg_tickets: number | null;
      avg_value: number | null;
      one: number;
      two: number;
      three: number;
      four_plus: number;
      median_hold_seconds: number | null;
      median_payment_seconds: number | null;
      median_days_before: number | null;
      buyers: number;
      repeat_buyers: number;
      abandoned: number;
    }>(
      `WITH orders AS (
         SELECT r.id, r.user_id, r.total_amount, r.created_at, r.confirmed_at, h.created_at AS hold_created_at, e.event_date,
                (SELECT sum(i.quantity) FROM ticket.reservation_items i WHERE i.reservation_id = r.id) AS tickets
         FROM ticket.reservations r JOIN ticket.events e ON e.id = r.event_id LEFT JOIN ticket.holds h ON h.id = r.hold_id
         WHERE r.confirmed_at >= $1 AND r.confirmed_at < $2 AND r.currency = $3
       ),
       per_user AS (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id)
       SELECT count(*)::int AS orders,
              avg(tickets)::float8 AS avg_tickets,
              round(avg(total_amount))::int AS avg_value,
              count(*) FILTER (WHERE tickets = 1)::int AS one,
              count(*) FILTER (WHERE tickets = 2)::int AS two,
              count(*) FILTER (WHERE tickets = 3)::int AS three,
              count(*) FILTER (WHERE tickets >= 4)::int AS four_plus,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - hold_created_at))::float8 AS median_hold_seconds,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM confirmed_at - created_at))::float8 AS median_payment_seconds,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM event_date - confirmed_at) / 86400)::float8 AS median_days_before,
              (SELECT count(*) FROM per_user)::int AS buyers,
              (SELECT count(*) FROM per_user WHERE n >= 2)::int AS repeat_buyers,
              (SELECT count(*) FROM ticket.reservations
               WHERE created_at >= $1 AND created_at < $2 AND status = 'expired' AND currency = $3)::int AS abandoned
       FROM orders`,
      [r.lo, r.hi, currency],
    );
    return rows[0]!;
  },
};

export interface DailyFigures {
  date: string;
  reservations_created: number;
  reservations_confirmed: number;
  reservations_cancelled: number;
  reservations_expired: number;
  tickets_sold: number;
  revenue: string | number;
  refunded: string | number;
  new_users: number;
}

export interface EventFigures {
  event_id: string;
  title: string;
  status: string;
  event_date: Date;
  currency: string;
  created: number;
  pending: number;
  confirmed: number;
  cancelled: number;
  expired: number;
  tickets_sold: number;
  sold_now: number;
  capacity: number;
  gross: string | number;
  refunded: string | number;
  holds_created: number;
  holds_converted: number;
  holds_confirmed: number;
}

interface SeatPreferenceRow {
  capacity: number;
  sold: number;
  held: number;
  average_price: number | null;
  sold_in_range: number;
}

/**
 * The stats job's caches. A daily row is final once it was computed after its day ended plus
 * FINAL_AFTER (late writes: a confirm settled by reconciliation keeps the provider's approval time);
 * earlier rows are provisional, recomputed by the job and never served.
 */
const FINAL_AFTER = "interval '1 hour'";

export const statsCacheRepository = {
  /** Final cached days of [from, to]. */
  async finalDays(db: Queryable, tz: string, currency: string, from: string, to: string) {
    const { rows } = await db.query<{ date: string; metrics: DailyFigures; updated_at: Date }>(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, metrics, updated_at FROM stats.daily_stats
       WHERE time_zone = $1 AND currency = $2 AND date BETWEEN $3::date AND $4::date
         AND updated_at >= ((date + 1)::timestamp AT TIME ZONE $1) + ${FINAL_AFTER}`,
      [tz, currency, from, to],
    );
    return rows.map((r) => ({ date: r.date, figures: { ...r.metrics, date: r.date }, updatedAt: r.updated_at }));
  },

  /** Days of the last `days` that ended over FINAL_AFTER ago and have no final row: what the job computes next. */
  async daysToRefresh(db: Queryable, tz: string, currency: string, days: number, limit: number) {
    const { rows } = await db.query<{ date: string }>(
      `SELECT to_char(d::date, 'YYYY-MM-DD') AS date
       FROM generate_series((now() AT TIME ZONE $1)::date - $3::int, (now() AT TIME ZONE $1)::date - 1, interval '1 day') d
       LEFT JOIN stats.daily_stats s ON s.time_zone = $1 AND s.currency = $2 AND s.date = d::date
       WHERE ((d::date + 1)::timestamp AT TIME ZONE $1) + ${FINAL_AFTER} <= now()
         AND (s.date IS NULL OR s.updated_at < ((d::date + 1)::timestamp AT TIME ZONE $1) + ${FINAL_AFTER})
       ORDER BY d DESC LIMIT $4`,
      [tz, currency, days, limit],
    );
    return rows.map((r) => r.date);
  },

  async saveDays(db: Queryable, tz: string, currency: string, days: DailyFigures[]) {
    if (days.length === 0) return;
    await db.query(
      `INSERT INTO stats.daily_stats (time_zone, currency, date, total_reservations, total_revenue, total_users, metrics)
       SELECT $1, $2, (m->>'date')::date, (m->>'reservations_created')::int, (m->>'revenue')::bigint, (m->>'new_users')::int, m
       FROM jsonb_array_elements($3::jsonb) m
       ON CONFLICT (time_zone, currency, date) DO UPDATE SET
         total_reservations = EXCLUDED.total_reservations, total_revenue = EXCLUDED.total_revenue,
         total_users = EXCLUDED.total_users, metrics = EXCLUDED.metrics, updated_at = now()`,
      [tz, currency, JSON.stringify(days)],
    );
  },

  /** Currencies that events are sold in (the daily cache keeps one series each). */
  async currencies(db: Queryable): Promise<string[]> {
    const { rows } = await db.query<{ currency: string }>(`SELECT DISTINCT currency FROM ticket.events ORDER BY 1`);
    return rows.map((r) => r.currency);
  },

  async saveEvents(db: Queryable, events: EventFigures[]) {
    if (events.length === 0) return;
    await db.query(
      `INSERT INTO stats.event_stats (event_id, total_reservations, total_revenue, conversion_rate, metrics)
       SELECT (m->>'event_id')::uuid, (m->>'created')::int, (m->>'gross')::bigint - (m->>'refunded')::bigint,
              CASE WHEN (m->>'holds_created')::int > 0
                   THEN round((m->>'holds_confirmed')::numeric / (m->>'holds_created')::numeric, 4) ELSE 0 END, m
       FROM jsonb_array_elements($1::jsonb) m
       WHERE EXISTS (SELECT 1 FROM ticket.events e WHERE e.id = (m->>'event_id')::uuid)
       ON CONFLICT (event_id) DO UPDATE SET
         total_reservations = EXCLUDED.total_reservations, total_revenue = EXCLUDED.total_revenue,
         conversion_rate = EXCLUDED.conversion_rate, metrics = EXCLUDED.metrics, updated_at = now()`,
      [JSON.stringify(events)],
    );
  },

  /**
   * Cached all-time figures of the matching events, and the matching events the cache cannot answer
   * for: no cache row yet, or a sale, refund or reservation since the row was written (those are
   * computed live, so a purchase shows at once; holds alone move only the conversion figures, which
   * the next refresh catches up).
   */
  async events(db: Queryable, filter: { currency: string; status?: string; limit: number }) {
    const { rows } = await db.query<{ id: string; metrics: EventFigures | null; updated_at: Date | null; stale: boolean }>(
      `SELECT e.id, s.metrics, s.updated_at,
              s.metrics IS NULL
              OR EXISTS (SELECT 1 FROM payment.payments p WHERE p.event_id = e.id AND p.updated_at > s.updated_at)
              OR EXISTS (SELECT 1 FROM ticket.reservations r WHERE r.event_id = e.id AND r.updated_at > s.updated_at) AS stale
       FROM ticket.events e LEFT JOIN stats.event_stats s ON s.event_id = e.id
       WHERE e.currency = $1 AND ($2::text IS NULL OR e.status = $2)
       ORDER BY coalesce(s.total_revenue, 0) DESC, coalesce((s.metrics->>'tickets_sold')::int, 0) DESC, e.event_date, e.id`,
      [filter.currency, filter.status ?? null],
    );
    const cached = rows.filter((r) => !r.stale).slice(0, filter.limit);
    return {
      // The event's own row wins over the cached copy for what the catalog owns (title, status).
      rows: await withCurrentEvents(
        db,
        cached.map((r) => ({ figures: r.metrics!, updatedAt: r.updated_at! })),
      ),
      missing: rows.filter((r) => r.stale).map((r) => r.id),
    };
  },
};

async function withCurrentEvents(db: Queryable, rows: Array<{ figures: EventFigures; updatedAt: Date }>) {
  if (rows.length === 0) return rows;
  const { rows: events } = await db.query<{ id: string; title: string; status: string; event_date: Date }>(
    `SELECT id, title, status, event_date FROM ticket.events WHERE id = ANY ($1::uuid[])`,
    [rows.map((r) => r.figures.event_id)],
  );
  const byId = new Map(events.map((e) => [e.id, e]));
  return rows.map((r) => {
    const e = byId.get(r.figures.event_id);
    return e ? { ...r, figures: { ...r.figures, title: e.title, status: e.status, event_date: e.event_date } } : r;
  });
}
