// All SQL of the inventory module: seats, holds, reservations and the seat version.
//
// Lock order, kept by every write path so that concurrent transactions cannot deadlock:
// advisory locks (the event's hold lane) →
// hold / reservation rows → seats by id → ticket types by id → event rows by id (the seat-version
// bump, always last).
import pg from 'pg';

const { escapeLiteral } = pg;
import { withTransaction, type Db, type Queryable } from '../../infra/db.js';
import { keyset } from '../../pagination.js';

/** How long a cancelled event's refund that failed for a temporary reason waits before the job tries it again. */
const REFUND_RETRY_AFTER = "interval '1 minute'";

/** Where a sweep of expired reservations stopped: the last row it locked. */
export interface ExpiredCursor {
  expiresAt: string;
  id: string;
}

export const RESERVATION_PAGES = keyset('DESC', ['r.created_at', 'timestamptz'], ['r.id', 'uuid']);
export const HOLD_PAGES = keyset('DESC', ['h.created_at', 'timestamptz'], ['h.id', 'uuid']);
const CANCELLATION_TURNS = keyset('ASC', ['requested_at', 'timestamptz'], ['event_id', 'uuid']);

export interface EventForSale {
  status: string;
  currency: string;
}

export interface SeatRow {
  id: string;
  ticket_type_id: string | null;
  section: string;
  row_label: string;
  seat_number: number;
  label: string;
  price: number;
}

export interface SeatForHold extends SeatRow {
  /** Available, or held by a hold that has expired (lazy expiry). */
  free: boolean;
}

/**
 * An event's seats for the versioned seat view, as PostgreSQL aggregates them (one row): ids and
 * ticket type ids comma separated, statuses one digit per seat (0 available, 1 held, 2 sold), and
 * each seat's seat-map JSON up to its status, newline separated; all in map order.
 */
export interface SeatViewSnapshot {
  version: number;
  count: number;
  ids: string;
  typeIds: string;
  statuses: string;
  fragments: string;
}
export type SeatViewRow = [number, string, string | null, string, string, number, string, number, number | null, number | null, 0 | 1 | 2];

export interface TicketTypeRow {
  id: string;
  name: string;
  kind: 'seated' | 'general';
  price: number;
  available_quantity: number;
}

export interface HoldRow {
  id: string;
  event_id: string;
  user_id: string;
  status: 'active' | 'converted' | 'released' | 'expired';
  expires_at: Date;
  created_at: Date;
  expired: boolean;
  seat_ids: string[];
  currency: string;
  seats: SeatRow[];
  items: Array<{ ticket_type_id: string; name: string; quantity: number; price: number }>;
}

export interface ReservationRow {
  id: string;
  number: string;
  user_id: string;
  event_id: string;
  hold_id: string | null;
  total_amount: number;
  currency: string;
  status: 'pending' | 'confirmed' | 'cancelled' | 'expired';
  expires_at: Date;
  confirmed_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
  event_title: string;
  buyer_email: string;
  issued_by: string | null;
  note: string | null;
  items: Array<{
    ticket_type_id: string;
    seat_id: string | null;
    label: string | null;
    quantity: number;
    unit_price: number;
    subtotal: number;
  }>;
}

export interface ReleasedSeat {
  id: string;
  event_id: string;
  /** The hold or reservation the seat was released from. */
  owner_id: string;
}

const SEAT_COLUMNS = 's.id, s.ticket_type_id, s.section, s.row_label, s.seat_number, s.label, s.price';
// A seat can be taken when it is available or its hold has expired; the one definition of "free".
const SEAT_IS_FREE = `(s.status = 'available' OR (s.status = 'held' AND s.hold_expires_at < now()))`;

const UUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID = new RegExp(`^${UUID_PATTERN}$`, 'i');
// A whole comma-separated list in one match (one regex call per list, not per id: the hold batch
// formats hundreds of ids per round trip).
const UUID_LIST = new RegExp(`^(?:${UUID_PATTERN}(?:,${UUID_PATTERN})*)?$`, 'i');
/** Literals for the few statements sent by the simple-query protocol (no parameters there). */
const literal = {
  uuid(id: string): string {
    if (!UUID.test(id)) throw new Error(`not a UUID: ${JSON.stringify(id)}`);
    return `${escapeLiteral(id)}::uuid`;
  },
  uuids(ids: string[]): string {
    const list = ids.join(',');
    if (!UUID_LIST.test(list)) throw new Error(`not a list of UUIDs: ${JSON.stringify(ids)}`);
    // Hex digits, dashes and commas only: nothing to escape.
    return `'{${list}}'::uuid[]`;
  },
  int(n: number): string {
    if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
    return String(n);
  },
  ints(ns: number[]): string {
    for (const n of ns) if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
    return `'{${ns.join(',')}}'::int[]`;
  },
};

const sql = {
  /** THE statement that moves an event's seat version (see seat-changes.ts). */
  bumpSeatVersion: (eventId: string, count: string) =>
    `UPDATE ticket.events SET seat_version = seat_version + ${count} WHERE id = ${eventId} RETURNING seat_version`,
  /**
   * The event's sale status and currency, after taking the event's hold lane lock: every hold
   * transaction of the event runs under it (see openHoldBatch).
   */
  lockHoldLane: (eventId: string) => `
    SELECT e.status, e.currency, pg_advisory_xact_lock(ticket.hold_lane_key(e.id)) IS NULL AS locked
    FROM ticket.events e WHERE e.id = ${eventId}`,
  countTicketsByUser: (eventId: string, userIds: string) => `
    SELECT u.id AS user_id,
      (SELECT coalesce(sum(cardinality(h.seat_ids)
                + coalesce((SELECT sum(hi.quantity) FROM ticket.hold_items hi WHERE hi.hold_id = h.id), 0)), 0)
         FROM ticket.holds h
        WHERE h.user_id = u.id AND h.event_id = ${eventId} AND h.status = 'active' AND h.expires_at >= now())
    + (SELECT coalesce(sum(ri.quantity), 0)
         FROM ticket.reservations r JOIN ticket.reservation_items ri ON ri.reservation_id = r.id
        WHERE r.user_id = u.id AND r.event_id = ${eventId}
          AND (r.status = 'confirmed' OR (r.status = 'pending' AND r.expires_at >= now())))::int AS tickets
    FROM unnest(${userIds}) AS u(id)`,
};

// The write of a hold batch ($1 event, $2 TTL seconds, $3 hold ids, $4/$5 seat ids and their hold
// ids, $6 buyers, $7/$8/$9 general-admission items, $10/$11 seats and ticket types it must change).
const WRITE_HOLDS = `-- A hold starts when it is written (not at BEGIN, which may be long before under
       -- contention), so its full TTL and its lifetime in the table are real.
       WITH at AS MATERIALIZED (SELECT clock_timestamp() AS created, clock_timestamp() + make_interval(secs => $2) AS expires),
       pairs AS (SELECT * FROM unnest($4::uuid[], $5::uuid[]) AS p(seat_id, hold_id)),
       h AS (
         INSERT INTO ticket.holds (id, event_id, user_id, expires_at, created_at, seat_ids)
         SELECT x.id, $1, x.user_id, at.expires, at.created,
                ARRAY(SELECT p.seat_id FROM pairs p WHERE p.hold_id = x.id ORDER BY p.seat_id)
         FROM unnest($3::uuid[], $6::uuid[]) AS x(id, user_id), at
         RETURNING 1
       ),
       s AS (
         UPDATE ticket.seats s
            SET status = 'held', hold_id = p.hold_id, hold_expires_at = (SELECT expires FROM at), updated_at = now()
           FROM pairs p
          WHERE s.id = p.seat_id AND s.event_id = $1 AND ${SEAT_IS_FREE}
         RETURNING 1
       ),
       i AS (
         INSERT INTO ticket.hold_items (hold_id, ticket_type_id, quantity)
         SELECT * FROM unnest($7::uuid[], $8::uuid[], $9::int[])
         RETURNING 1
       ),
       t AS (
         UPDATE ticket.ticket_types t SET available_quantity = t.available_quantity - d.quantity
           FROM (SELECT ticket_type_id, sum(quantity)::int AS quantity
                   FROM unnest($8::uuid[], $9::int[]) AS u(ticket_type_id, quantity) GROUP BY 1) d
          WHERE t.id = d.ticket_type_id AND t.event_id = $1 AND t.available_quantity >= d.quantity
         RETURNING 1
       )
       SELECT ticket.assert_hold_batch(
                (SELECT count(*) FROM s) = $10 AND (SELECT count(*) FROM t) = $11,
                format('wrote %s of %s seats and %s of %s ticket types', (SELECT count(*) FROM s), $10, (SELECT count(*) FROM t), $11)),
              (SELECT expires FROM at) AS expires_at, (SELECT created FROM at) AS created_at`;

/**
 * The statements of `openHoldBatch` (all but the ticket count, see there) and `writeHoldsAndCommit`,
 * prepared once per connection (SQL PREPARE) and run by EXECUTE inside their simple-query round
 * trips: the plans are kept, where plain statements were parsed and planned again for every batch
 * (a third of PostgreSQL's time in a perf profile of bench:holds).
 */
const PREPARE_HOLD_BATCH = [
  `PREPARE inventory_lock_hold_lane(uuid) AS ${sql.lockHoldLane('$1')}`,
  `PREPARE inventory_read_seats(uuid, uuid[]) AS
     SELECT ${SEAT_COLUMNS}, ${SEAT_IS_FREE} AS free
       FROM ticket.seats s WHERE s.id = ANY($2) AND s.event_id = $1`,
  `PREPARE inventory_read_ticket_types(uuid, uuid[]) AS
     SELECT id, name, kind, price, available_quantity FROM ticket.ticket_types
      WHERE id = ANY($2) AND event_id = $1`,
  `PREPARE inventory_write_holds(uuid, int, uuid[], uuid[], uuid[], uuid[], uuid[], uuid[], int[], int, int) AS
     ${WRITE_HOLDS}`,
].join(';\n');
const preparedForHolds = new WeakSet<pg.PoolClient>();

const HOLD_COLUMNS = `h.id, h.event_id, h.user_id, h.status, h.expires_at, h.created_at, h.expires_at < now() AS expired, h.seat_ids,
  (SELECT currency FROM ticket.events WHERE id = h.event_id) AS currency,
  coalesce((SELECT json_agg(json_build_object('id', s.id, 'ticket_type_id', s.ticket_type_id, 'section', s.section,
      'row_label', s.row_label, 'seat_number', s.seat_number, 'label', s.label, 'price', s.price)
      ORDER BY s.section, s.row_number, s.seat_number)
    FROM ticket.seats s WHERE s.id = ANY(h.seat_ids)), '[]') AS seats,
  coalesce((SELECT json_agg(json_build_object('ticket_type_id', t.id, 'name', t.name, 'quantity', hi.quantity, 'price', t.price)
      ORDER BY t.sort_order, t.name)
    FROM ticket.hold_items hi JOIN ticket.ticket_types t ON t.id = hi.ticket_type_id WHERE hi.hold_id = h.id), '[]') AS items`;

const RESERVATION_COLUMNS = `r.id, r.number, r.user_id, r.event_id, r.hold_id, r.total_amount, r.currency, r.status,
  r.expires_at, r.confirmed_at, r.ended_at, r.created_at, r.issued_by, r.note,
  (SELECT e.title FROM ticket.events e WHERE e.id = r.event_id) AS event_title,
  (SELECT u.email FROM auth.users u WHERE u.id = r.user_id) AS buyer_email,
  coalesce((SELECT json_agg(json_build_object('ticket_type_id', ri.ticket_type_id, 'seat_id', ri.seat_id, 'label', st.label,
      'quantity', ri.quantity, 'unit_price', ri.unit_price, 'subtotal', ri.subtotal) ORDER BY st.label NULLS LAST, ri.id)
    FROM ticket.reservation_items ri LEFT JOIN ticket.seats st ON st.id = ri.seat_id
    WHERE ri.reservation_id = r.id), '[]') AS items`;

/** Frees the seats of these reservations that are still in `status` (reserved or sold) for them. */
async function releaseSeatsOf(db: Queryable, reservationIds: string[], status: 'reserved' | 'sold'): Promise<ReleasedSeat[]> {
  const { rows } = await db.query<ReleasedSeat>(
    `UPDATE ticket.seats s SET status = 'available', reservation_id = NULL, updated_at = now()
       FROM (SELECT id, reservation_id FROM ticket.seats
              WHERE id = ANY(ARRAY(SELECT ri.seat_id FROM ticket.reservation_items ri
                                    WHERE ri.reservation_id = ANY($1::uuid[]) AND ri.seat_id IS NOT NULL))
                AND reservation_id = ANY($1::uuid[]) AND status = $2
              ORDER BY id FOR UPDATE) old
      WHERE s.id = old.id
     RETURNING s.id, s.event_id, old.reservation_id AS owner_id`,
    [reservationIds, status],
  );
  return rows;
}

export const inventoryRepository = {
  /**
   * Opens a hold batch in ONE round trip: BEGIN, the event's hold lane lock,
   * then (each statement with a fresh snapshot, so after the lock) the buyers' ticket counts and the
   * requested seats and ticket types. The lane lock runs every hold transaction of the event one
   * after another (across API instances), so counts cannot race; seats and ticket types are read
   * without row locks, and the write takes a seat or a quantity only if it is still free, failing
   * the batch with 40001 (run again on fresh rows) otherwise. The simple-query protocol cannot
   * carry parameters, so values are inlined: every id is checked to be a UUID and escaped.
   *
   * Holds commit durably by default: a 201 means the hold survives a PostgreSQL crash (batching
   * already spreads one commit's flush over the whole batch). `asyncCommit` (HOLDS_SYNCHRONOUS_COMMIT
   * =off) sets synchronous_commit off for the batch: faster, but a crash may lose the holds
   * acknowledged in its last ~0.6 s (3 × wal_writer_delay); seat state stays consistent because the
   * WAL still orders commits.
   */
  async openHoldBatch(
    client: pg.PoolClient,
    input: { eventId: string; userIds: string[]; seatIds: string[]; ticketTypeIds: string[]; asyncCommit?: boolean },
  ): Promise<{ event: EventForSale | undefined; tickets: Map<string, number>; seats: SeatForHold[]; ticketTypes: TicketTypeRow[] }> {
    if (!preparedForHolds.has(client)) {
      // Once per connection, outside any transaction (prepared statements live as long as the session).
      await client.query(PREPARE_HOLD_BATCH);
      preparedForHolds.add(client);
    }
    const eventId = literal.uuid(input.eventId);
    const users = literal.uuids(input.userIds);
    const statements = [
      'BEGIN',
      ...(input.asyncCommit ? ['SET LOCAL synchronous_commit = off'] : []),
      `EXECUTE inventory_lock_hold_lane(${eventId})`,
      // Not prepared: planned for each batch, so the plan sees the holds table as it is now. A plan
      // cached while the table was empty (a new database) scanned every unexpired hold per buyer
      // (bench:holds: PostgreSQL CPU per attempt ×3); planning it costs ~2 % of a batch.
      sql.countTicketsByUser(eventId, users),
      `EXECUTE inventory_read_seats(${eventId}, ${literal.uuids(input.seatIds)})`,
      `EXECUTE inventory_read_ticket_types(${eventId}, ${literal.uuids(input.ticketTypeIds)})`,
    ];
    const results = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult[];
    const [event, tickets, seats, ticketTypes] = results.slice(input.asyncCommit ? 2 : 1);
    return {
      event: event!.rows[0] as EventForSale | undefined,
      tickets: new Map((tickets!.rows as Array<{ user_id: string; tickets: number }>).map((r) => [r.user_id, Number(r.tickets)])),
      seats: seats!.rows as SeatForHold[],
      ticketTypes: ticketTypes!.rows as TicketTypeRow[],
    };
  },

  async commit(client: pg.PoolClient): Promise<void> {
    await client.query('COMMIT');
  },

  async rollback(client: pg.PoolClient): Promise<void> {
    await client.query('ROLLBACK');
  },

  /**
   * Writes a batch of granted holds, bumps the seat version and commits, in ONE round trip (a
   * simple query of EXECUTE, the bump and COMMIT). The write is one statement: the hold rows, ONE
   * set-based UPDATE that takes all their seats (guarded again by the free condition), the
   * general-admission items and the counters; it raises 40001 unless it changed exactly the expected
   * seats and ticket types (all or none: a seat taken by another path since the read fails the batch,
   * which is then run again), and an error there skips the bump and COMMIT (the caller rolls back).
   * Seats are taken in id order, the lock order of every other seat write.
   */
  async writeHoldsAndCommit(
    client: pg.PoolClient,
    input: {
      eventId: string;
      ttlSeconds: number;
      holds: Array<{ id: string; userId: string }>;
      seats: Array<{ seatId: string; holdId: string }>;
      items: Array<{ holdId: string; ticketTypeId: string; quantity: number }>;
      /** Seat changes to version (one per hold with seats). */
      seatChanges: number;
    },
  ): Promise<{ expires_at: Date; created_at: Date; seatVersion: number | undefined }> {
    const eventId = literal.uuid(input.eventId);
    const typeIds = input.items.map((i) => i.ticketTypeId);
    const seats = [...input.seats].sort((a, b) => (a.seatId.toLowerCase() < b.seatId.toLowerCase() ? -1 : 1));
    const args = [
      eventId,
      literal.int(input.ttlSeconds),
      literal.uuids(input.holds.map((h) => h.id)),
      literal.uuids(seats.map((x) => x.seatId)),
      literal.uuids(seats.map((x) => x.holdId)),
      literal.uuids(input.holds.map((h) => h.userId)),
      literal.uuids(input.items.map((i) => i.holdId)),
      literal.uuids(typeIds),
      literal.ints(input.items.map((i) => i.quantity)),
      literal.int(input.seats.length),
      literal.int(new Set(typeIds).size),
    ];
    const statements = [`EXECUTE inventory_write_holds(${args.join(', ')})`];
    if (input.seatChanges > 0) statements.push(sql.bumpSeatVersion(eventId, literal.int(input.seatChanges)));
    statements.push('COMMIT');
    const results = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult[];
    const written = results[0]!.rows[0] as { expires_at: Date; created_at: Date };
    const bumped = input.seatChanges > 0 ? (results[1]!.rows[0] as { seat_version: number }).seat_version : undefined;
    return { expires_at: written.expires_at, created_at: written.created_at, seatVersion: bumped };
  },

  /**
   * The one statement that moves the event's seat version: +count, returning the new version
   * (`seat_version`). Complete SQL, to be sent with the COMMIT (deferToCommit): it locks the event row
   * until then.
   */
  bumpSeatVersionStatement(eventId: string, count: number): string {
    return sql.bumpSeatVersion(literal.uuid(eventId), literal.int(count));
  },

  /**
   * The versioned seat view (seat-views.ts): the version and every seat with its stored status, in
   * one statement (one snapshot), in map order. Stored status, not lazy expiry: a seat of an expired
   * hold stays held until the sweeper releases it, which moves the version; so the state is a
   * function of the version, which the live channel's messages continue exactly.
   *
   * PostgreSQL writes the seats' JSON and aggregates everything into five strings: a 50,000-seat
   * stadium is one row of ~12 MB instead of 50,000 rows of 11 fields for pg to parse and for us to
   * serialise one by one (that took 1.1-1.4 s of query and 1.7-2.7 s of building at load 20; this
   * takes ~0.3 s together). The aggregates share one ORDER BY, which PostgreSQL 16+ serves from the
   * (event_id, section, row_number, seat_number) index in one pass.
   */
  async seatViewSnapshot(db: Queryable, eventId: string): Promise<SeatViewSnapshot | undefined> {
    const { rows } = await db.query<SeatViewSnapshot>({
      text: `SELECT e.seat_version AS version, coalesce(a.count, 0)::int AS count,
                    coalesce(a.ids, '') AS ids, coalesce(a.type_ids, '') AS "typeIds",
                    coalesce(a.statuses, '') AS statuses, coalesce(a.fragments, '') AS fragments
             FROM ticket.events e
             LEFT JOIN LATERAL (
               SELECT count(*) AS count,
                      string_agg(s.id::text, ',' ORDER BY s.section, s.row_number, s.seat_number) AS ids,
                      string_agg(coalesce(s.ticket_type_id::text, ''), ',' ORDER BY s.section, s.row_number, s.seat_number) AS type_ids,
                      string_agg(CASE s.status WHEN 'available' THEN '0' WHEN 'sold' THEN '2' ELSE '1' END, ''
                                 ORDER BY s.section, s.row_number, s.seat_number) AS statuses,
                      string_agg('{"id":"' || s.id || '","section":' || to_json(s.section) || ',"row":' || to_json(s.row_label)
                                 || ',"number":' || s.seat_number || ',"label":' || to_json(s.label) || ',"price":' || s.price
                                 || ',"ticketTypeId":' || coalesce('"' || s.ticket_type_id || '"', 'null')
                                 || coalesce(',"x":' || s.x || ',"y":' || s.y, '') || ',"status":"', E'\n'
                                 ORDER BY s.section, s.row_number, s.seat_number) AS fragments
               FROM ticket.seats s WHERE s.event_id = e.id) a ON true
             WHERE e.id = $1`,
      values: [eventId],
    });
    return rows[0];
  },

  /** A hold with its seats and items; scoped to its owner in the query (`userId` null: any owner, for admins). */
  async findHold(db: Queryable, holdId: string, userId: string | null, lock = false): Promise<HoldRow | undefined> {
    const { rows } = await db.query<HoldRow>(
      `SELECT ${HOLD_COLUMNS}
       FROM ticket.holds h WHERE h.id = $1 AND ($2::uuid IS NULL OR h.user_id = $2)
       ${lock ? 'FOR UPDATE OF h' : ''}`,
      [holdId, userId],
    );
    return rows[0];
  },

  /** Holds newest first, for admins; `status` as the API shows it (an active hold past its time is expired). */
  async listHolds(
    db: Queryable,
    filter: { eventId?: string; userId?: string; status?: string },
    limit: number,
    after: string[] | null,
  ): Promise<Array<HoldRow & { page_key: string[] }>> {
    const { rows } = await db.query<HoldRow & { page_key: string[] }>(
      `SELECT ${HOLD_COLUMNS}, ${HOLD_PAGES.select} FROM ticket.holds h
       WHERE ($2::uuid IS NULL OR h.event_id = $2) AND ($3::uuid IS NULL OR h.user_id = $3)
         AND (CASE $4::text
                WHEN 'active' THEN h.status = 'active' AND h.expires_at >= now()
                WHEN 'expired' THEN h.status = 'expired' OR (h.status = 'active' AND h.expires_at < now())
                WHEN 'converted' THEN h.status = 'converted'
                WHEN 'released' THEN h.status = 'released'
                ELSE true END)
         AND ${HOLD_PAGES.after(5)}
       ORDER BY ${HOLD_PAGES.orderBy} LIMIT $1`,
      [limit, filter.eventId ?? null, filter.userId ?? null, filter.status ?? null, after],
    );
    return rows;
  },

  /** Folds the seat count deltas the seat triggers append into the ticket types' counters. */
  async foldSeatCounts(db: Queryable): Promise<void> {
    await db.query('SELECT ticket.fold_seat_counts()');
  },

  /** Active holds past their expiry, locked; SKIP LOCKED lets several instances sweep at once. */
  async lockExpiredHolds(db: Queryable, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM ticket.holds WHERE status = 'active' AND expires_at < now()
       ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => r.id);
  },

  async endHolds(db: Queryable, holdIds: string[], status: 'released' | 'expired' | 'converted'): Promise<void> {
    await db.query(`UPDATE ticket.holds SET status = $2, ended_at = now() WHERE id = ANY($1::uuid[]) AND status = 'active'`, [
      holdIds,
      status,
    ]);
  },

  /**
   * Frees the seats these holds still hold (a seat taken over after expiry is left alone). The
   * seats are looked up by id from the holds' seat lists (ARRAY(...), so the plan is primary-key
   * lookups: seats have no index on hold_id, see the hold_path migration).
   */
  async releaseHeldSeats(db: Queryable, holdIds: string[]): Promise<ReleasedSeat[]> {
    const { rows } = await db.query<ReleasedSeat>(
      `UPDATE ticket.seats s SET status = 'available', hold_id = NULL, hold_expires_at = NULL, updated_at = now()
         FROM (SELECT id, hold_id FROM ticket.seats
                WHERE id = ANY(ARRAY(SELECT unnest(h.seat_ids) FROM ticket.holds h WHERE h.id = ANY($1::uuid[])))
                  AND hold_id = ANY($1::uuid[])
                ORDER BY id FOR UPDATE) old
        WHERE s.id = old.id
       RETURNING s.id, s.event_id, old.hold_id AS owner_id`,
      [holdIds],
    );
    return rows;
  },

  /** Gives the holds' general-admission quantities back; returns the events whose quantities changed. */
  async restoreHeldQuantities(db: Queryable, holdIds: string[]): Promise<string[]> {
    const { rows } = await db.query<{ event_id: string }>(
      `UPDATE ticket.ticket_types t SET available_quantity = t.available_quantity + d.quantity
         FROM (SELECT ticket_type_id, sum(quantity)::int AS quantity FROM ticket.hold_items
                WHERE hold_id = ANY($1::uuid[]) GROUP BY 1) d
        WHERE t.id = d.ticket_type_id
       RETURNING t.event_id`,
      [holdIds],
    );
    return rows.map((r) => r.event_id);
  },

  /** Inserts a pending reservation for the hold, unless the number is taken (then undefined: retry). */
  async insertReservation(
    db: Queryable,
    input: { number: string; userId: string; eventId: string; holdId: string; ttlSeconds: number },
  ): Promise<{ id: string } | undefined> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO ticket.reservations (number, user_id, event_id, hold_id, total_amount, currency, expires_at)
       SELECT $1, $2, $3, h.id,
              (SELECT coalesce(sum(s.price), 0) FROM ticket.seats s WHERE s.id = ANY(h.seat_ids))
            + (SELECT coalesce(sum(hi.quantity * t.price), 0) FROM ticket.hold_items hi
                 JOIN ticket.ticket_types t ON t.id = hi.ticket_type_id WHERE hi.hold_id = h.id),
              e.currency, now() + make_interval(secs => $5)
         FROM ticket.holds h JOIN ticket.events e ON e.id = h.event_id
        WHERE h.id = $4
       ON CONFLICT (number) DO NOTHING
       RETURNING id`,
      [input.number, input.userId, input.eventId, input.holdId, input.ttlSeconds],
    );
    return rows[0];
  },

  /**
   * Moves the hold's seats to the reservation and writes its items (one per seat, one per
   * general-admission type). Returns the seats moved; fewer than the hold had means it lost them.
   */
  async reserveHeldSeats(db: Queryable, input: { holdId: string; reservationId: string }): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `WITH moved AS (
         UPDATE ticket.seats s SET status = 'reserved', reservation_id = $2, hold_id = NULL, hold_expires_at = NULL, updated_at = now()
           FROM (SELECT id FROM ticket.seats
                  WHERE id = ANY((SELECT h.seat_ids FROM ticket.holds h WHERE h.id = $1)::uuid[])
                    AND hold_id = $1 AND status = 'held'
                  ORDER BY id FOR UPDATE) old
          WHERE s.id = old.id
         RETURNING s.id, s.ticket_type_id, s.price
       ),
       seat_items AS (
         INSERT INTO ticket.reservation_items (reservation_id, reservation_status, ticket_type_id, seat_id, quantity, unit_price, subtotal)
         SELECT $2, 'pending', m.ticket_type_id, m.id, 1, m.price, m.price FROM moved m
         RETURNING 1
       ),
       ga_items AS (
         INSERT INTO ticket.reservation_items (reservation_id, reservation_status, ticket_type_id, seat_id, quantity, unit_price, subtotal)
         SELECT $2, 'pending', t.id, NULL, hi.quantity, t.price, hi.quantity * t.price
           FROM ticket.hold_items hi JOIN ticket.ticket_types t ON t.id = hi.ticket_type_id WHERE hi.hold_id = $1
         RETURNING 1
       )
       -- Data-modifying CTEs always run to completion, read or not.
       SELECT id FROM moved`,
      [input.holdId, input.reservationId],
    );
    return rows.map((r) => r.id);
  },

  async findReservation(db: Queryable, reservationId: string, ownerId: string | null, lock = false): Promise<ReservationRow | undefined> {
    const { rows } = await db.query<ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM ticket.reservations r
       WHERE r.id = $1 AND ($2::uuid IS NULL OR r.user_id = $2) ${lock ? 'FOR UPDATE OF r' : ''}`,
      [reservationId, ownerId],
    );
    return rows[0];
  },

  async listReservations(
    db: Queryable,
    filter: { userId?: string; eventId?: string; status?: string; email?: string },
    limit: number,
    after: string[] | null,
  ): Promise<Array<ReservationRow & { page_key: string[] }>> {
    const { rows } = await db.query<ReservationRow & { page_key: string[] }>(
      `SELECT ${RESERVATION_COLUMNS}, ${RESERVATION_PAGES.select} FROM ticket.reservations r
       WHERE ($2::uuid IS NULL OR r.user_id = $2) AND ($3::uuid IS NULL OR r.event_id = $3) AND ($4::text IS NULL OR r.status = $4)
         AND ($6::text IS NULL OR r.user_id = (SELECT u.id FROM auth.users u WHERE u.email = $6::citext))
         AND ${RESERVATION_PAGES.after(5)}
       ORDER BY ${RESERVATION_PAGES.orderBy} LIMIT $1`,
      [limit, filter.userId ?? null, filter.eventId ?? null, filter.status ?? null, after, filter.email ?? null],
    );
    return rows;
  },

  /**
   * Pending reservations past their expiry, locked, in (expires_at, id) order after `after`; SKIP
   * LOCKED lets several instances sweep at once. The cursor lets a sweep move past reservations it
   * may not end yet (a payment being confirmed), so those never stall the ones behind them.
   */
  async lockExpiredReservations(
    db: Queryable,
    limit: number,
    after: ExpiredCursor | null,
  ): Promise<{ ids: string[]; last: ExpiredCursor | null }> {
    const { rows } = await db.query<{ id: string; expires_at: string }>(
      `SELECT id, expires_at::text FROM ticket.reservations
       WHERE status = 'pending' AND expires_at < now()
         AND ($2::timestamptz IS NULL OR (expires_at, id) > ($2::timestamptz, $3::uuid))
       ORDER BY expires_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit, after?.expiresAt ?? null, after?.id ?? null],
    );
    const tail = rows.at(-1);
    return { ids: rows.map((r) => r.id), last: tail ? { expiresAt: tail.expires_at, id: tail.id } : null };
  },

  /**
   * Ends pending reservations (cancelled or expired): the status change cascades to the items, which
   * takes their seats out of the one-live-reservation index.
   */
  async endReservations(db: Queryable, reservationIds: string[], status: 'cancelled' | 'expired', reason: string | null): Promise<void> {
    await db.query(
      `UPDATE ticket.reservations SET status = $2, ended_at = now(), cancel_reason = $3
       WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
      [reservationIds, status, reason],
    );
  },

  releaseReservedSeats: (db: Queryable, reservationIds: string[]) => releaseSeatsOf(db, reservationIds, 'reserved'),

  /** Gives the reservations' general-admission quantities back; returns the events whose quantities changed. */
  async restoreReservedQuantities(db: Queryable, reservationIds: string[]): Promise<string[]> {
    const { rows } = await db.query<{ event_id: string }>(
      `UPDATE ticket.ticket_types t SET available_quantity = t.available_quantity + d.quantity
         FROM (SELECT ticket_type_id, sum(quantity)::int AS quantity FROM ticket.reservation_items
                WHERE reservation_id = ANY($1::uuid[]) AND seat_id IS NULL GROUP BY 1) d
        WHERE t.id = d.ticket_type_id
       RETURNING t.event_id`,
      [reservationIds],
    );
    return rows.map((r) => r.event_id);
  },

  /**
   * The event's general-admission quantities under a new availability version, for the realtime
   * `availability` message. The version row's lock orders the readers: a later version never
   * carries an older read (the SELECT runs after the lock, in READ COMMITTED a fresh snapshot).
   */
  async nextAvailability(db: Db, eventId: string): Promise<{ version: number; ticketTypes: Array<{ id: string; available: number }> }> {
    return withTransaction(db, async (client) => {
      const { rows } = await client.query<{ version: number }>(
        `INSERT INTO ticket.availability_versions AS v (event_id, version) VALUES ($1, 1)
         ON CONFLICT (event_id) DO UPDATE SET version = v.version + 1 RETURNING version`,
        [eventId],
      );
      const types = await client.query<{ id: string; available: number }>(
        `SELECT id, available_quantity AS available FROM ticket.ticket_types
          WHERE event_id = $1 AND kind = 'general' ORDER BY sort_order, id`,
        [eventId],
      );
      return { version: rows[0]!.version, ticketTypes: types.rows };
    });
  },

  // ---------------------------------------------------------------- complimentary reservations

  /** Takes the event's hold lane lock (every hold transaction of the event runs under it) and reads its status. */
  async lockEventForSale(db: Queryable, eventId: string): Promise<EventForSale | undefined> {
    const { rows } = await db.query<EventForSale>(sql.lockHoldLane('$1'), [eventId]);
    return rows[0];
  },

  async userExists(db: Queryable, userId: string): Promise<boolean> {
    const { rows } = await db.query(`SELECT 1 FROM auth.users WHERE id = $1`, [userId]);
    return rows.length > 0;
  },

  /** The seats, locked in id order (the lock order of every seat write), with whether each is free. */
  async lockSeats(db: Queryable, seatIds: string[]): Promise<Array<SeatForHold & { event_id: string }>> {
    const { rows } = await db.query<SeatForHold & { event_id: string }>(
      `SELECT ${SEAT_COLUMNS}, s.event_id, ${SEAT_IS_FREE} AS free FROM ticket.seats s
       WHERE s.id = ANY($1::uuid[]) ORDER BY s.id FOR UPDATE`,
      [seatIds],
    );
    return rows;
  },

  async readTicketTypes(db: Queryable, eventId: string, ids: string[]): Promise<TicketTypeRow[]> {
    const { rows } = await db.query<TicketTypeRow>(
      `SELECT id, name, kind, price, available_quantity FROM ticket.ticket_types WHERE event_id = $1 AND id = ANY($2::uuid[])`,
      [eventId, ids],
    );
    return rows;
  },

  /** Takes general-admission quantities; false (nothing taken) when one has too few left. */
  async takeQuantities(db: Queryable, items: Array<{ ticketTypeId: string; quantity: number }>): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE ticket.ticket_types t SET available_quantity = t.available_quantity - d.quantity
         FROM unnest($1::uuid[], $2::int[]) AS d(ticket_type_id, quantity)
        WHERE t.id = d.ticket_type_id AND t.available_quantity >= d.quantity`,
      [items.map((i) => i.ticketTypeId), items.map((i) => i.quantity)],
    );
    return rowCount === items.length;
  },

  /** A confirmed reservation at price 0 (no payment), unless the number is taken (then undefined: retry). */
  async insertComplimentary(
    db: Queryable,
    input: { number: string; userId: string; eventId: string; currency: string; issuedBy: string; note: string },
  ): Promise<{ id: string } | undefined> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO ticket.reservations (number, user_id, event_id, total_amount, currency, status, expires_at, confirmed_at, issued_by, note)
       VALUES ($1, $2, $3, 0, $4, 'confirmed', now(), now(), $5, $6)
       ON CONFLICT (number) DO NOTHING RETURNING id`,
      [input.number, input.userId, input.eventId, input.currency, input.issuedBy, input.note],
    );
    return rows[0];
  },

  /**
   * Sells free seats to the reservation and writes its items at price 0. The items' partial unique
   * index refuses a seat already in a live reservation whatever the seat row says.
   */
  async sellSeatsFree(db: Queryable, reservationId: string, seatIds: string[]): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `WITH sold AS (
         UPDATE ticket.seats s SET status = 'sold', reservation_id = $1, hold_id = NULL, hold_expires_at = NULL, updated_at = now()
          WHERE s.id = ANY($2::uuid[]) AND ${SEAT_IS_FREE}
         RETURNING s.id, s.ticket_type_id
       ),
       items AS (
         INSERT INTO ticket.reservation_items (reservation_id, reservation_status, ticket_type_id, seat_id, quantity, unit_price, subtotal)
         SELECT $1, 'confirmed', sold.ticket_type_id, sold.id, 1, 0, 0 FROM sold
         RETURNING 1
       )
       SELECT id FROM sold`,
      [reservationId, seatIds],
    );
    return rows.map((r) => r.id);
  },

  async insertFreeItems(db: Queryable, reservationId: string, items: Array<{ ticketTypeId: string; quantity: number }>): Promise<void> {
    await db.query(
      `INSERT INTO ticket.reservation_items (reservation_id, reservation_status, ticket_type_id, seat_id, quantity, unit_price, subtotal)
       SELECT $1, 'confirmed', d.ticket_type_id, NULL, d.quantity, 0, 0 FROM unnest($2::uuid[], $3::int[]) AS d(ticket_type_id, quantity)`,
      [reservationId, items.map((i) => i.ticketTypeId), items.map((i) => i.quantity)],
    );
  },

  /** Whether the reservation has a payment that took money and was not refunded in full. */
  async hasPaidPayment(db: Queryable, reservationId: string): Promise<boolean> {
    const { rows } = await db.query(
      `SELECT 1 FROM payment.payments WHERE reservation_id = $1 AND status IN ('confirmed', 'partially_refunded', 'in_progress')`,
      [reservationId],
    );
    return rows.length > 0;
  },

  /**
   * Cancels confirmed reservations that no payment paid for (complimentary ones): their seats are
   * released and quantities come back through the usual release statements.
   */
  async cancelUnpaidConfirmed(db: Queryable, reservationIds: string[], reason: string): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `UPDATE ticket.reservations r SET status = 'cancelled', ended_at = now(), cancel_reason = $2
        WHERE r.id = ANY($1::uuid[]) AND r.status = 'confirmed'
          AND NOT EXISTS (SELECT 1 FROM payment.payments p WHERE p.reservation_id = r.id
                           AND p.status IN ('confirmed', 'partially_refunded', 'in_progress'))
       RETURNING r.id`,
      [reservationIds, reason],
    );
    return rows.map((r) => r.id);
  },

  /** Frees the sold seats of cancelled reservations. */
  releaseSoldSeats: (db: Queryable, reservationIds: string[]) => releaseSeatsOf(db, reservationIds, 'sold'),

  // ---------------------------------------------------------------- event cancellation

  /**
   * The event's status, with a KEY SHARE lock: a cancellation (FOR UPDATE) waits for this
   * transaction, and this one sees a committed cancellation. Holds' row locks do not conflict with it.
   */
  async eventStatusForSale(db: Queryable, eventId: string): Promise<string | undefined> {
    const { rows } = await db.query<{ status: string }>(`SELECT status FROM ticket.events WHERE id = $1 FOR KEY SHARE`, [eventId]);
    return rows[0]?.status;
  },

  /** The event's status, its row locked FOR UPDATE (a cancellation). */
  async lockEvent(db: Queryable, eventId: string): Promise<{ status: string } | undefined> {
    const { rows } = await db.query<{ status: string }>(`SELECT status FROM ticket.events WHERE id = $1 FOR UPDATE`, [eventId]);
    return rows[0];
  },

  /** Marks the event cancelled (locked row) and records or renews the cancellation request. */
  async markEventCancelled(db: Queryable, eventId: string, reason: string, requestedBy: string): Promise<void> {
    await db.query(`UPDATE ticket.events SET status = 'cancelled' WHERE id = $1 AND status <> 'cancelled'`, [eventId]);
    await db.query(
      `INSERT INTO ticket.event_cancellations (event_id, reason, requested_by) VALUES ($1, $2, $3)
       ON CONFLICT (event_id) DO UPDATE SET retry_requested_at = now(), finished_at = NULL`,
      [eventId, reason, requestedBy],
    );
  },

  async findCancellation(db: Queryable, eventId: string) {
    const { rows } = await db.query<{
      event_id: string;
      reason: string;
      requested_by: string | null;
      requested_at: Date;
      retry_requested_at: Date;
      finished_at: Date | null;
      total: number;
      pending: number;
      confirmed: number;
      cancelled: number;
      expired: number;
      refunded: number;
      active_holds: number;
    }>(
      `SELECT c.event_id, c.reason, c.requested_by, c.requested_at, c.retry_requested_at, c.finished_at,
              count(r.id)::int AS total,
              count(r.id) FILTER (WHERE r.status = 'pending')::int AS pending,
              count(r.id) FILTER (WHERE r.status = 'confirmed')::int AS confirmed,
              count(r.id) FILTER (WHERE r.status = 'cancelled')::int AS cancelled,
              count(r.id) FILTER (WHERE r.status = 'expired')::int AS expired,
              count(r.id) FILTER (WHERE r.status = 'cancelled' AND EXISTS (
                SELECT 1 FROM payment.payments p WHERE p.reservation_id = r.id AND p.status = 'refunded'))::int AS refunded,
              (SELECT count(*) FROM ticket.holds h WHERE h.event_id = c.event_id AND h.status = 'active')::int AS active_holds
       FROM ticket.event_cancellations c LEFT JOIN ticket.reservations r ON r.event_id = c.event_id
       WHERE c.event_id = $1
       GROUP BY c.event_id`,
      [eventId],
    );
    return rows[0];
  },

  /** Confirmed reservations of the event whose refund failed (they stay confirmed and paid). */
  async refundFailures(db: Queryable, eventId: string) {
    const { rows } = await db.query<{
      reservation_id: string;
      order_id: string;
      code: string;
      message: string;
      failed_at: Date;
    }>(
      `SELECT r.id AS reservation_id, p.order_id, p.refund_failure_code AS code, coalesce(p.refund_failure_message, '') AS message,
              p.refund_failed_at AS failed_at
       FROM ticket.reservations r JOIN payment.payments p ON p.reservation_id = r.id
       WHERE r.event_id = $1 AND r.status = 'confirmed' AND p.status IN ('confirmed', 'partially_refunded')
         AND p.refund_failed_at IS NOT NULL AND p.refund_failure_code IS NOT NULL
       ORDER BY p.refund_failed_at, r.id`,
      [eventId],
    );
    return rows;
  },

  /** Unfinished cancellations in request order, after the `page_key` of a page's last one. */
  async openCancellations(db: Queryable, limit: number, after: string[] | null) {
    const { rows } = await db.query<{ event_id: string; page_key: string[] }>(
      `SELECT event_id, ${CANCELLATION_TURNS.select} FROM ticket.event_cancellations
        WHERE finished_at IS NULL AND ${CANCELLATION_TURNS.after(2)}
        ORDER BY ${CANCELLATION_TURNS.orderBy} LIMIT $1`,
      [limit, after],
    );
    return rows;
  },

  async lockActiveHoldsOfEvent(db: Queryable, eventId: string, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM ticket.holds WHERE event_id = $1 AND status = 'active' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [eventId, limit],
    );
    return rows.map((r) => r.id);
  },

  async lockPendingReservationsOfEvent(db: Queryable, eventId: string, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM ticket.reservations WHERE event_id = $1 AND status = 'pending' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [eventId, limit],
    );
    return rows.map((r) => r.id);
  },

  /**
   * Confirmed reservations of the event still to end: paid ones whose refund has not failed since
   * the last request to cancel, or failed for a temporary reason over REFUND_RETRY_AFTER ago
   * (`paid`), and unpaid (complimentary) ones.
   */
  async confirmedToEnd(db: Queryable, eventId: string, retryRequestedAt: Date, limit: number) {
    const { rows } = await db.query<{ id: string; paid: boolean }>(
      `SELECT r.id, p.id IS NOT NULL AS paid
       FROM ticket.reservations r
       LEFT JOIN payment.payments p ON p.reservation_id = r.id AND p.status IN ('confirmed', 'partially_refunded', 'in_progress')
       WHERE r.event_id = $1 AND r.status = 'confirmed'
         AND (p.id IS NULL OR p.status <> 'in_progress')
         AND (p.refund_failed_at IS NULL OR p.refund_failed_at < $2
              OR (p.refund_failure_temporary AND p.refund_failed_at < now() - ${REFUND_RETRY_AFTER}))
       ORDER BY r.id LIMIT $3`,
      [eventId, retryRequestedAt, limit],
    );
    return rows;
  },

  async finishCancellation(db: Queryable, eventId: string): Promise<void> {
    await db.query(
      `UPDATE ticket.event_cancellations c SET finished_at = now()
        WHERE c.event_id = $1 AND c.finished_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM ticket.reservations r WHERE r.event_id = c.event_id AND r.status IN ('pending', 'confirmed'))
          AND NOT EXISTS (SELECT 1 FROM ticket.holds h WHERE h.event_id = c.event_id AND h.status = 'active')`,
      [eventId],
    );
  },
};

export type InventoryRepository = typeof inventoryRepository;
export type { Db };
