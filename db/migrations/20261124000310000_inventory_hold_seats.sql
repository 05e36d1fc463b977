-- Up Migration
-- A hold remembers which seats it was given, so it can be read back (and counted against the
-- per-user limit) after its seats moved on to a reservation, were released or expired. The seat
-- rows stay the source of truth for who holds a seat now; this is the hold's own record.
ALTER TABLE ticket.holds ADD COLUMN seat_ids uuid[] NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE ticket.holds DROP COLUMN seat_ids;
