// All SQL of the catalog module: seat layouts, events, ticket types, seat generation, news,
// keyword mappings and search.
import type { Queryable } from '../../infra/db.js';
import { keyset } from '../../pagination.js';
import type { EventStatus } from './schemas.js';

export interface SeatLayoutRow {
  id: string;
  name: string;
  description: string | null;
  total_seats: number;
  layout_config: { sections: unknown[] };
  created_at: Date;
  updated_at: Date;
}

export interface EventRow {
  id: string;
  title: string;
  description: string | null;
  venue: string;
  address: string | null;
  artist_name: string | null;
  event_date: Date;
  sale_start_date: Date | null;
  sale_end_date: Date | null;
  poster_image_url: string | null;
  status: EventStatus;
  seat_layout_id: string | null;
  currency: string;
  seat_version: number;
  created_at: Date;
  updated_at: Date;
  min_price: number | null;
  max_price: number | null;
}

export interface TicketTypeRow {
  id: string;
  event_id: string;
  name: string;
  kind: 'seated' | 'general';
  price: number;
  total_quantity: number;
  available_quantity: number;
  description: string | null;
  sort_order: number;
  created_at: Date;
  updated_at: Date;
  currency: string;
}

export interface NewsRow {
  id: string;
  title: string;
  content: string;
  author: string;
  author_id: string | null;
  views: number;
  is_pinned: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface KeywordMappingRow {
  id: string;
  korean: string;
  english: string;
  entity_type: string;
  created_at: Date;
}

/** One generated seat, as the layout expands it. */
export interface SeatSpec {
  ticketTypeId: string;
  section: string;
  rowLabel: string;
  rowNumber: number;
  seatNumber: number;
  label: string;
  price: number;
  x: number;
  y: number;
}

/** Columns an event update may set (camelCase input → column). */
export const EVENT_COLUMNS = {
  title: 'title',
  description: 'description',
  venue: 'venue',
  address: 'address',
  artistName: 'artist_name',
  eventDate: 'event_date',
  saleStartDate: 'sale_start_date',
  saleEndDate: 'sale_end_date',
  posterImageUrl: 'poster_image_url',
  status: 'status',
} as const;
export type EventField = keyof typeof EVENT_COLUMNS;

const TICKET_TYPE_COLUMNS = { name: 'name', price: 'price', description: 'description', sortOrder: 'sort_order' } as const;
const NEWS_COLUMNS = { title: 'title', content: 'content', author: 'author', isPinned: 'is_pinned' } as const;

/** `SET a = $2, b = $3` from the given fields, in a fixed column order; values follow `offset`. */
function setClause(columns: Record<string, string>, fields: Record<string, unknown>, offset: number) {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [field, column] of Object.entries(columns)) {
    if (fields[field] === undefined) continue;
    values.push(fields[field]);
    sets.push(`${column} = $${offset + values.length}`);
  }
  return { sql: sets.join(', '), values };
}

// Events with the price range of their ticket types.
const EVENT_SELECT = `
  SELECT e.id, e.title, e.description, e.venue, e.address, e.artist_name, e.event_date, e.sale_start_date,
         e.sale_end_date, e.poster_image_url, e.status, e.seat_layout_id, e.currency, e.seat_version,
         e.created_at, e.updated_at, p.min_price, p.max_price
  FROM ticket.events e
  LEFT JOIN LATERAL (SELECT min(t.price)::int AS min_price, max(t.price)::int AS max_price
                     FROM ticket.ticket_types t WHERE t.event_id = e.id) p ON true`;

const EVENT_FILTER = `($1::text IS NULL OR e.status = $1) AND ($2::timestamptz IS NULL OR e.event_date >= $2)
  AND ($3::timestamptz IS NULL OR e.event_date < $3)`;

// Seated types read the counters the seat triggers keep (migration 20261129100600000_read_path.sql),
// plus the deltas not folded yet:
// no count over the event's seats per read. A seat stays counted as taken until its expired hold is
// swept (SWEEP_INTERVAL_MS), as the versioned seat map shows it. General-admission tickets of an
// expired, unswept hold count as available, so listings are right before the sweeper runs.
const TICKET_TYPE_SELECT = `
  SELECT t.id, t.event_id, t.name, t.kind, t.price, t.description, t.sort_order, t.created_at, t.updated_at, e.currency,
         (t.total_quantity + coalesce(c.total, 0))::int AS total_quantity,
         CASE WHEN t.kind = 'seated' THEN t.available_quantity + coalesce(c.available, 0)
              ELSE least(t.total_quantity, t.available_quantity + coalesce(g.expired_held, 0)) END::int AS available_quantity
  FROM ticket.ticket_types t
  JOIN ticket.events e ON e.id = t.event_id
  -- Seat count deltas not folded into the row yet (see the migration).
  LEFT JOIN LATERAL (
    SELECT sum(sc.total) AS total, sum(sc.available) AS available
    FROM ticket.seat_counts sc WHERE sc.ticket_type_id = t.id) c ON t.kind = 'seated'
  LEFT JOIN LATERAL (
    SELECT sum(hi.quantity) AS expired_held
    FROM ticket.hold_items hi JOIN ticket.holds h ON h.id = hi.hold_id
    WHERE hi.ticket_type_id = t.id AND h.status = 'active' AND h.expires_at <= now()) g ON t.kind = 'general'`;

const NEWS_COLUMNS_SQL = 'id, title, content, author, author_id, views, is_pinned, created_at, updated_at';
const LAYOUT_COLUMNS = 'id, name, description, total_seats, layout_config, created_at, updated_at';
const MAPPING_COLUMNS = 'id, korean, english, entity_type, created_at';

async function insertSeatChunk(db: Queryable, eventId: string, seats: SeatSpec[]): Promise<number> {
  if (seats.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO ticket.seats (event_id, ticket_type_id, section, row_label, row_number, seat_number, label, price, x, y)
     SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::int[], $9::real[], $10::real[])`,
    [
      eventId,
      seats.map((s) => s.ticketTypeId),
      seats.map((s) => s.section),
      seats.map((s) => s.rowLabel),
      seats.map((s) => s.rowNumber),
      seats.map((s) => s.seatNumber),
      seats.map((s) => s.label),
      seats.map((s) => s.price),
      seats.map((s) => s.x),
      seats.map((s) => s.y),
    ],
  );
  return rowCount ?? 0;
}

// Sort keys of the lists (pagination.ts).
export const LAYOUT_PAGES = keyset('DESC', ['created_at', 'timestamptz'], ['id', 'uuid']);
export const EVENT_PAGES = keyset('ASC', ['e.event_date', 'timestamptz'], ['e.id', 'uuid']);
export const NEWS_PAGES = keyset('DESC', ['is_pinned', 'boolean'], ['created_at', 'timestamptz'], ['id', 'uuid']);
export const MAPPING_PAGES = keyset('DESC', ['created_at', 'timestamptz'], ['id', 'uuid']);

export const catalogRepository = {
  // ---- seat layouts ----

  async insertSeatLayout(
    db: Queryable,
    layout: { name: string; description: string | null; totalSeats: number; config: unknown },
  ): Promise<SeatLayoutRow | undefined> {
    const { rows } = await db.query<SeatLayoutRow>(
      `INSERT INTO ticket.seat_layouts (name, description, total_seats, layout_config) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING RETURNING ${LAYOUT_COLUMNS}`,
      [layout.name, layout.description, layout.totalSeats, JSON.stringify(layout.config)],
    );
    return rows[0];
  },

  async findSeatLayout(db: Queryable, id: string): Promise<SeatLayoutRow | undefined> {
    const { rows } = await db.query<SeatLayoutRow>(`SELECT ${LAYOUT_COLUMNS} FROM ticket.seat_layouts WHERE id = $1`, [id]);
    return rows[0];
  },

  async findSeatLayoutByName(db: Queryable, name: string): Promise<SeatLayoutRow | undefined> {
    const { rows } = await db.query<SeatLayoutRow>(`SELECT ${LAYOUT_COLUMNS} FROM ticket.seat_layouts WHERE name = $1`, [name]);
    return rows[0];
  },

  async listSeatLayouts(db: Queryable, limit: number, after: string[] | null): Promise<Array<SeatLayoutRow & { page_key: string[] }>> {
    const { rows } = await db.query<SeatLayoutRow & { page_key: string[] }>(
      `SELECT ${LAYOUT_COLUMNS}, ${LAYOUT_PAGES.select} FROM ticket.seat_layouts
       WHERE ${LAYOUT_PAGES.after(2)}
       ORDER BY ${LAYOUT_PAGES.orderBy} LIMIT $1`,
      [limit, after],
    );
    return rows;
  },

  // ---- events ----

  async insertEvent(
    db: Queryable,
    e: {
      title: string;
      description: string | null;
      venue: string;
      address: string | null;
      artistName: string | null;
      eventDate: string;
      saleStartDate: string | null;
      saleEndDate: string | null;
      posterImageUrl: string | null;
      status: EventStatus;
      seatLayoutId: string | null;
      currency: string;
      createdBy: string | null;
    },
  ): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO ticket.events (title, description, venue, address, artist_name, event_date, sale_start_date, sale_end_date,
                                  poster_image_url, status, seat_layout_id, currency, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [
        e.title,
        e.description,
        e.venue,
        e.address,
        e.artistName,
        e.eventDate,
        e.saleStartDate,
        e.saleEndDate,
        e.posterImageUrl,
        e.status,
        e.seatLayoutId,
        e.currency,
        e.createdBy,
      ],
    );
    return rows[0]!.id;
  },

  async findEvent(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<EventRow | undefined> {
    // FOR UPDATE cannot sit on the outer join's nullable side, so lock the event row first.
    if (options.forUpdate) await db.query('SELECT 1 FROM ticket.events WHERE id = $1 FOR UPDATE', [id]);
    const { rows } = await db.query<EventRow>(`${EVENT_SELECT} WHERE e.id = $1`, [id]);
    return rows[0];
  },

  async listEvents(
    db: Queryable,
    filter: { status?: string; from?: string; to?: string },
    limit: number,
    after: string[] | null,
  ): Promise<Array<EventRow & { page_key: string[] }>> {
    const { rows } = await db.query<EventRow & { page_key: string[] }>(
      `${EVENT_SELECT.replace('SELECT e.id,', `SELECT ${EVENT_PAGES.select}, e.id,`)}
       WHERE ${EVENT_FILTER} AND ${EVENT_PAGES.after(4)}
       ORDER BY ${EVENT_PAGES.orderBy} LIMIT $5`,
      [filter.status ?? null, filter.from ?? null, filter.to ?? null, after, limit],
    );
    return rows;
  },

  /** Word similarity the `<%` index operator accepts, for the rest of the transaction. */
  async setSearchThreshold(db: Queryable, minRank: number): Promise<void> {
    await db.query(`SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)`, [String(minRank)]);
  },

  /**
   * Events matching any of the search terms, best match first. A term scores its best trigram word
   * similarity against title, artist and venue (forgives typos, Hangul included: embedded
   * PostgreSQL runs the builtin C.UTF-8 locale, so pg_trgm makes trigrams of Hangul); a plain
   * substring match scores 1, which also covers databases whose locale makes no Hangul trigrams.
   * Candidates come from the trigram indexes (`<%`, LIKE), so only they are scored.
   */
  async searchEvents(
    db: Queryable,
    terms: { term: string; substring: boolean }[],
    filter: { status?: string; from?: string; to?: string },
    minRank: number,
    limit: number,
    offset: number,
  ): Promise<Array<EventRow & { rank: number }>> {
    const values: unknown[] = [
      filter.status ?? null,
      filter.from ?? null,
      filter.to ?? null,
      terms.map((t) => t.term.normalize('NFD')),
      terms.map((t) => t.substring),
      minRank,
      limit,
      offset,
    ];
    // The same expressions as the NFD trigram indexes (migration 20261124000600000_search_nfd.sql).
    const columns = [
      'normalize(lower(e.title), NFD)',
      `normalize(lower(coalesce(e.artist_name, '')), NFD)`,
      'normalize(lower(e.venue), NFD)',
    ];
    // Conditions the trigram indexes can answer, and the rest (substrings too short for a trigram),
    // kept apart so the second kind does not turn the first into a sequential scan.
    const indexed: string[] = [];
    const scanned: string[] = [];
    for (const t of terms) {
      const term = t.term.normalize('NFD');
      values.push(term);
      indexed.push(...columns.map((c) => `$${values.length} <% ${c}`));
      if (t.substring) {
        values.push(`%${term.replace(/[\\%_]/g, '\\$&')}%`);
        (term.replace(/\s/g, '').length >= 3 ? indexed : scanned).push(...columns.map((c) => `${c} LIKE $${values.length}`));
      }
    }
    const candidateQueries = [indexed, scanned]
      .filter((conditions) => conditions.length > 0)
      .map(
        (conditions) => `SELECT e.id, e.event_date, ${columns[0]} AS title, ${columns[1]} AS artist, ${columns[2]} AS venue
         FROM ticket.events e WHERE ${EVENT_FILTER} AND (${conditions.join(' OR ')})`,
      );
    if (candidateQueries.length === 0) return [];
    const { rows } = await db.query<EventRow & { rank: number }>(
      `WITH terms AS (SELECT * FROM unnest($4::text[], $5::boolean[]) AS x(term, substring_ok)),
       candidates AS (${candidateQueries.join(' UNION ')}),
       ranked AS (
         SELECT c.id, c.event_date, max(greatest(
                  word_similarity(x.term, c.title), word_similarity(x.term, c.artist), word_similarity(x.term, c.venue),
                  CASE WHEN x.substring_ok AND (strpos(c.title, x.term) > 0 OR strpos(c.artist, x.term) > 0 OR strpos(c.venue, x.term) > 0)
                       THEN 1 ELSE 0 END)) AS rank
         FROM candidates c CROSS JOIN terms x
         GROUP BY c.id, c.event_date),
       page AS (
         SELECT id, event_date, rank FROM ranked WHERE rank >= $6
         ORDER BY rank DESC, event_date, id LIMIT $7 OFFSET $8)
       SELECT ev.*, pg.rank FROM page pg CROSS JOIN LATERAL (${EVENT_SELECT} WHERE e.id = pg.id) ev
       ORDER BY pg.rank DESC, pg.event_date, pg.id`,
      values,
    );
    return rows;
  },

  async updateEvent(db: Queryable, id: string, fields: Partial<Record<EventField, unknown>>): Promise<void> {
    const set = setClause(EVENT_COLUMNS, fields, 1);
    if (!set.sql) return;
    await db.query(`UPDATE ticket.events SET ${set.sql} WHERE id = $1`, [id, ...set.values]);
  },

  async countLiveReservations(db: Queryable, eventId: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ticket.reservations WHERE event_id = $1 AND status IN ('pending', 'confirmed')`,
      [eventId],
    );
    return rows[0]!.n;
  },

  /** Deletes the event with its seats, ticket types and holds (cascade), after its ended reservations. */
  async deleteEvent(db: Queryable, eventId: string): Promise<void> {
    await db.query(`DELETE FROM ticket.reservations WHERE event_id = $1 AND status IN ('cancelled', 'expired')`, [eventId]);
    await db.query('DELETE FROM ticket.events WHERE id = $1', [eventId]);
  },

  async countSeats(db: Queryable, eventId: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket.seats WHERE event_id = $1', [eventId]);
    return rows[0]!.n;
  },

  /**
   * Bulk insert of an event's seats: one statement of unnest arrays per 25,000 seats (a 100,000-seat
   * stadium is four round trips; each array is sent as one text value, not one parameter per seat).
   */
  async insertSeats(db: Queryable, eventId: string, seats: SeatSpec[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < seats.length; i += 25_000) inserted += await insertSeatChunk(db, eventId, seats.slice(i, i + 25_000));
    return inserted;
  },

  // ---- ticket types ----

  async insertTicketTypes(
    db: Queryable,
    eventId: string,
    types: { name: string; kind: 'seated' | 'general'; price: number; total: number; description: string | null; sortOrder: number }[],
  ): Promise<{ id: string; name: string }[]> {
    const { rows } = await db.query<{ id: string; name: string }>(
      `INSERT INTO ticket.ticket_types (event_id, name, kind, price, total_quantity, available_quantity, description, sort_order)
       SELECT $1, x.name, x.kind, x.price, x.total, x.total, x.description, x.sort_order
       FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::int[]) AS x(name, kind, price, total, description, sort_order)
       ON CONFLICT (event_id, name) DO NOTHING
       RETURNING id, name`,
      [
        eventId,
        types.map((t) => t.name),
        types.map((t) => t.kind),
        types.map((t) => t.price),
        types.map((t) => t.total),
        types.map((t) => t.description),
        types.map((t) => t.sortOrder),
      ],
    );
    return rows;
  },

  async findTicketType(db: Queryable, id: string): Promise<TicketTypeRow | undefined> {
    const { rows } = await db.query<TicketTypeRow>(`${TICKET_TYPE_SELECT} WHERE t.id = $1`, [id]);
    return rows[0];
  },

  async lockTicketType(db: Queryable, id: string): Promise<{ id: string; kind: 'seated' | 'general'; event_id: string } | undefined> {
    const { rows } = await db.query('SELECT id, kind, event_id FROM ticket.ticket_types WHERE id = $1 FOR UPDATE', [id]);
    return rows[0];
  },

  async listTicketTypes(db: Queryable, eventId: string): Promise<TicketTypeRow[]> {
    const { rows } = await db.query<TicketTypeRow>(
      `${TICKET_TYPE_SELECT} WHERE t.event_id = $1 ORDER BY t.sort_order, t.price DESC, t.name`,
      [eventId],
    );
    return rows;
  },

  async updateTicketType(
    db: Queryable,
    id: string,
    fields: { name?: string; price?: number; description?: string | null; sortOrder?: number },
  ): Promise<void> {
    const set = setClause(TICKET_TYPE_COLUMNS, fields, 1);
    if (!set.sql) return;
    await db.query(`UPDATE ticket.ticket_types SET ${set.sql} WHERE id = $1`, [id, ...set.values]);
  },

  /**
   * Moves a general-admission total and its availability by the same delta in one statement, so a
   * concurrent hold cannot slip between reading and writing. False when held/sold tickets exceed it.
   */
  async resizeGeneralTicketType(db: Queryable, id: string, total: number): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE ticket.ticket_types
       SET total_quantity = $2, available_quantity = available_quantity + ($2 - total_quantity)
       WHERE id = $1 AND kind = 'general' AND available_quantity + ($2 - total_quantity) >= 0`,
      [id, total],
    );
    return rowCount === 1;
  },

  /** Reprices every seat of a seated type; returns how many of them are not available (held or sold). */
  async repriceSeats(db: Queryable, eventId: string, ticketTypeId: string, price: number): Promise<number> {
    // The UPDATE locks every seat of the type, so the count below cannot change before commit.
    await db.query('UPDATE ticket.seats SET price = $3 WHERE event_id = $1 AND ticket_type_id = $2', [eventId, ticketTypeId, price]);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ticket.seats WHERE event_id = $1 AND ticket_type_id = $2 AND status <> 'available'`,
      [eventId, ticketTypeId],
    );
    return rows[0]!.n;
  },

  // ---- admin deletes and layout updates ----

  /**
   * Takes the hold lane lock of the ticket type's event (no hold of the event runs until this
   * transaction ends); false when there is no such type.
   */
  async lockHoldLaneOfTicketType(db: Queryable, ticketTypeId: string): Promise<boolean> {
    const { rowCount } = await db.query(
      'SELECT pg_advisory_xact_lock(ticket.hold_lane_key(event_id)) FROM ticket.ticket_types WHERE id = $1',
      [ticketTypeId],
    );
    return rowCount === 1;
  },

  /** What stops a ticket type from being deleted: live holds, reservations of any status, seats taken. */
  async ticketTypeUsage(db: Queryable, id: string): Promise<{ held: number; reserved: number; taken_seats: number }> {
    const { rows } = await db.query<{ held: number; reserved: number; taken_seats: number }>(
      `SELECT (SELECT count(*) FROM ticket.hold_items hi JOIN ticket.holds h ON h.id = hi.hold_id
                WHERE hi.ticket_type_id = $1 AND h.status = 'active' AND h.expires_at >= now())::int AS held,
              (SELECT count(*) FROM ticket.reservation_items WHERE ticket_type_id = $1)::int AS reserved,
              (SELECT count(*) FROM ticket.seats WHERE ticket_type_id = $1
                AND (status IN ('reserved', 'sold') OR (status = 'held' AND hold_expires_at >= now())))::int AS taken_seats`,
      [id],
    );
    return rows[0]!;
  },

  /** Deletes the type with its seats; the seat version moves so seat maps are fetched again. */
  async deleteTicketType(db: Queryable, id: string, eventId: string): Promise<void> {
    const { rowCount } = await db.query('DELETE FROM ticket.seats WHERE ticket_type_id = $1', [id]);
    await db.query('DELETE FROM ticket.ticket_types WHERE id = $1', [id]);
    if (rowCount) await db.query('UPDATE ticket.events SET seat_version = seat_version + 1 WHERE id = $1', [eventId]);
  },

  async lockSeatLayout(db: Queryable, id: string): Promise<SeatLayoutRow | undefined> {
    const { rows } = await db.query<SeatLayoutRow>(`SELECT ${LAYOUT_COLUMNS} FROM ticket.seat_layouts WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  },

  async countEventsUsingLayout(db: Queryable, id: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket.events WHERE seat_layout_id = $1', [id]);
    return rows[0]!.n;
  },

  async updateSeatLayout(
    db: Queryable,
    id: string,
    layout: { name: string; description: string | null; totalSeats: number; config: unknown },
  ): Promise<SeatLayoutRow> {
    const { rows } = await db.query<SeatLayoutRow>(
      `UPDATE ticket.seat_layouts SET name = $2, description = $3, total_seats = $4, layout_config = $5
       WHERE id = $1 RETURNING ${LAYOUT_COLUMNS}`,
      [id, layout.name, layout.description, layout.totalSeats, JSON.stringify(layout.config)],
    );
    return rows[0]!;
  },

  async deleteSeatLayout(db: Queryable, id: string): Promise<void> {
    await db.query('DELETE FROM ticket.seat_layouts WHERE id = $1', [id]);
  },

  // ---- keyword mappings ----

  /** Mappings whose Korean or English side the query names (exactly, inside it, or with a typo). */
  async findMappingsForQuery(db: Queryable, query: string, tokens: string[]): Promise<KeywordMappingRow[]> {
    const { rows } = await db.query<KeywordMappingRow>(
      `SELECT ${MAPPING_COLUMNS} FROM ticket.keyword_mappings
       WHERE lower(korean) = ANY($2) OR lower(english) = ANY($2)
          OR (char_length(korean) >= 2 AND strpos($1, lower(korean)) > 0)
          OR (char_length(english) >= 4 AND strpos($1, lower(english)) > 0)
          OR (char_length(english) >= 4 AND similarity(lower(english), $1) >= 0.5)
       LIMIT 20`,
      [query, tokens],
    );
    return rows;
  },

  async insertKeywordMapping(
    db: Queryable,
    m: { korean: string; english: string; entityType: string },
  ): Promise<KeywordMappingRow | undefined> {
    // Case-insensitive duplicate check too: "IU" and "iu" are the same search term.
    const { rows } = await db.query<KeywordMappingRow>(
      `INSERT INTO ticket.keyword_mappings (korean, english, entity_type)
       SELECT $1, $2, $3
       WHERE NOT EXISTS (SELECT 1 FROM ticket.keyword_mappings WHERE lower(korean) = lower($1) AND lower(english) = lower($2))
       ON CONFLICT (korean, english) DO NOTHING
       RETURNING ${MAPPING_COLUMNS}`,
      [m.korean, m.english, m.entityType],
    );
    return rows[0];
  },

  async listKeywordMappings(
    db: Queryable,
    limit: number,
    after: string[] | null,
  ): Promise<Array<KeywordMappingRow & { page_key: string[] }>> {
    const { rows } = await db.query<KeywordMappingRow & { page_key: string[] }>(
      `SELECT ${MAPPING_COLUMNS}, ${MAPPING_PAGES.select} FROM ticket.keyword_mappings
       WHERE ${MAPPING_PAGES.after(2)}
       ORDER BY ${MAPPING_PAGES.orderBy} LIMIT $1`,
      [limit, after],
    );
    return rows;
  },

  async deleteKeywordMapping(db: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await db.query('DELETE FROM ticket.keyword_mappings WHERE id = $1', [id]);
    return rowCount === 1;
  },

  // ---- news ----

  async insertNews(
    db: Queryable,
    n: { title: string; content: string; author: string | null; authorId: string | null; isPinned: boolean },
  ): Promise<NewsRow> {
    const { rows } = await db.query<NewsRow>(
      `INSERT INTO ticket.news (title, content, author, author_id, is_pinned)
       VALUES ($1, $2, coalesce($3, (SELECT name FROM auth.users WHERE id = $4), 'TIKETI'), $4, $5)
       RETURNING ${NEWS_COLUMNS_SQL}`,
      [n.title, n.content, n.author, n.authorId, n.isPinned],
    );
    return rows[0]!;
  },

  async listNews(db: Queryable, limit: number, after: string[] | null): Promise<Array<NewsRow & { page_key: string[] }>> {
    const { rows } = await db.query<NewsRow & { page_key: string[] }>(
      `SELECT ${NEWS_COLUMNS_SQL}, ${NEWS_PAGES.select} FROM ticket.news
       WHERE ${NEWS_PAGES.after(2)}
       ORDER BY ${NEWS_PAGES.orderBy} LIMIT $1`,
      [limit, after],
    );
    return rows;
  },

  /** Reads a news item and counts the view in the same statement (no lost updates). */
  async viewNews(db: Queryable, id: string): Promise<NewsRow | undefined> {
    const { rows } = await db.query<NewsRow>(`UPDATE ticket.news SET views = views + 1 WHERE id = $1 RETURNING ${NEWS_COLUMNS_SQL}`, [id]);
    return rows[0];
  },

  async updateNews(
    db: Queryable,
    id: string,
    fields: { title?: string; content?: string; author?: string; isPinned?: boolean },
  ): Promise<NewsRow | undefined> {
    const set = setClause(NEWS_COLUMNS, fields, 1);
    const { rows } = await db.query<NewsRow>(
      set.sql
        ? `UPDATE ticket.news SET ${set.sql} WHERE id = $1 RETURNING ${NEWS_COLUMNS_SQL}`
        : `SELECT ${NEWS_COLUMNS_SQL} FROM ticket.news WHERE id = $1`,
      [id, ...set.values],
    );
    return rows[0];
  },

  async deleteNews(db: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await db.query('DELETE FROM ticket.news WHERE id = $1', [id]);
    return rowCount === 1;
  },

  // ---- seed ----

  /** Serialises sample loading across instances until the transaction ends. */
  async lockSampleSeed(db: Queryable): Promise<void> {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('tiketi:seed:sample'))`);
  },

  async hasAnyEvent(db: Queryable): Promise<boolean> {
    const { rows } = await db.query('SELECT EXISTS (SELECT 1 FROM ticket.events) AS any');
    return rows[0].any as boolean;
  },
};
