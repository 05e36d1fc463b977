// SQL fixtures for inventory tests and the benchmark: an on-sale event with seats in sections and
// general-admission types, and many users with tokens, without going through the catalog API.
import { randomUUID } from 'node:crypto';
import type { Config } from '../../api/src/config.js';
import type { Queryable } from '../../api/src/infra/db.js';
import { createAuthService } from '../../api/src/modules/auth/service.js';

export interface SectionSpec {
  name: string;
  rows: number;
  seatsPerRow: number;
  price: number;
}

export interface EventFixture {
  eventId: string;
  /** Seat ids per section, in row then seat order. */
  seats: Record<string, string[]>;
  /** Seated ticket type per section. */
  seatedTypes: Record<string, string>;
  /** General-admission ticket type ids by name. */
  gaTypes: Record<string, string>;
}

/** Creates an event (status `on_sale` unless told) with seated sections and general-admission types. */
export async function createEventFixture(
  db: Queryable,
  spec: {
    sections?: SectionSpec[];
    generalAdmission?: Array<{ name: string; quantity: number; price: number }>;
    status?: string;
    title?: string;
  } = {},
): Promise<EventFixture> {
  const sections = spec.sections ?? [{ name: 'A', rows: 4, seatsPerRow: 10, price: 100_000 }];
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ticket.events (title, venue, event_date, status, currency)
     VALUES ($1, 'Olympic Hall', now() + interval '30 days', $2, 'KRW') RETURNING id`,
    [spec.title ?? `Fixture ${randomUUID().slice(0, 8)}`, spec.status ?? 'on_sale'],
  );
  const eventId = rows[0]!.id;
  const fixture: EventFixture = { eventId, seats: {}, seatedTypes: {}, gaTypes: {} };
  let order = 0;
  for (const s of sections) {
    const total = s.rows * s.seatsPerRow;
    const type = await db.query<{ id: string }>(
      `INSERT INTO ticket.ticket_types (event_id, name, kind, price, total_quantity, available_quantity, sort_order)
       VALUES ($1, $2, 'seated', $3, $4, $4, $5) RETURNING id`,
      [eventId, `Section ${s.name}`, s.price, total, order++],
    );
    const typeId = type.rows[0]!.id;
    fixture.seatedTypes[s.name] = typeId;
    const seats = await db.query<{ id: string }>(
      `INSERT INTO ticket.seats (event_id, ticket_type_id, section, row_label, row_number, seat_number, label, price)
       SELECT $1, $2, $3, chr(64 + r), r, n, $3 || '-' || chr(64 + r) || '-' || n, $4
         FROM generate_series(1, $5::int) r, generate_series(1, $6::int) n
        ORDER BY r, n
       RETURNING id`,
      [eventId, typeId, s.name, s.price, s.rows, s.seatsPerRow],
    );
    fixture.seats[s.name] = seats.rows.map((r) => r.id);
  }
  for (const ga of spec.generalAdmission ?? []) {
    const type = await db.query<{ id: string }>(
      `INSERT INTO ticket.ticket_types (event_id, name, kind, price, total_quantity, available_quantity, sort_order)
       VALUES ($1, $2, 'general', $3, $4, $4, $5) RETURNING id`,
      [eventId, ga.name, ga.price, ga.quantity, order++],
    );
    fixture.gaTypes[ga.name] = type.rows[0]!.id;
  }
  return fixture;
}

/** Inserts `count` users straight into the database and signs a token for each (no password hashing). */
export async function createUsers(t: { db: Queryable; config: Config }, count: number): Promise<Array<{ userId: string; token: string }>> {
  const prefix = randomUUID().slice(0, 8);
  const { rows } = await t.db.query<{ id: string; email: string; role: 'user' }>(
    `INSERT INTO auth.users (email, name, role)
     SELECT 'buyer' || i || '-' || $2 || '@example.com', 'Buyer ' || i, 'user' FROM generate_series(1, $1::int) i
     RETURNING id, email, role`,
    [count, prefix],
  );
  const auth = createAuthService(t.config, t.db as never);
  return Promise.all(rows.map(async (u) => ({ userId: u.id, token: await auth.issueToken(u) })));
}
