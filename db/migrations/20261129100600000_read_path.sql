-- Up Migration
-- The on-sale read path (issue 11).
--
-- 1. Seated ticket types keep their seat counts in the row, in the transaction that changes the
--    seats: total_quantity (seats of the type) and available_quantity (seats whose status is
--    'available'). A statement-level trigger with transition tables does it, so every path that
--    writes seats (hold batch, release, reserve, sweep, a payment selling seats, event creation)
--    keeps them right without knowing, at one aggregate per statement rather than one per seat.
--    Reads no longer count an event's seats per request. General-admission types keep the counter
--    the hold path already maintains.
-- 2. Seats carry optional x/y coordinates for drawing the map (given in the layout or generated).

ALTER TABLE ticket.seats ADD COLUMN x real, ADD COLUMN y real;

-- The triggers append deltas rather than update the ticket type row: an UPDATE there would lock the
-- type's row from the seat statement to COMMIT, serialising every hold, release and reservation of
-- the type behind each other (and, taken mid-transaction in another order than the general-admission
-- counters, deadlocking a hold batch against a release: inventory-race timed out on it). Appends
-- never wait. The sweeper folds the deltas into the row (ticket.fold_seat_counts) every second;
-- readers add what is not folded yet.
CREATE TABLE ticket.seat_counts (
  ticket_type_id uuid NOT NULL REFERENCES ticket.ticket_types (id) ON DELETE CASCADE,
  total          integer NOT NULL,
  available      integer NOT NULL
);
CREATE INDEX seat_counts_type_idx ON ticket.seat_counts (ticket_type_id);

CREATE FUNCTION ticket.seats_count_by_type() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticket.seat_counts (ticket_type_id, total, available)
  SELECT ticket_type_id, sum(total)::int, sum(available)::int
    FROM (SELECT ticket_type_id, 1 AS total, (status = 'available')::int AS available FROM new_rows
          UNION ALL
          SELECT ticket_type_id, -1, -(status = 'available')::int FROM old_rows) x
   WHERE ticket_type_id IS NOT NULL
   GROUP BY ticket_type_id
  HAVING sum(total) <> 0 OR sum(available) <> 0;
  RETURN NULL;
END $$;

-- Transition tables exist only for the events a trigger has, hence one function per event.
CREATE FUNCTION ticket.seats_count_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticket.seat_counts (ticket_type_id, total, available)
  SELECT ticket_type_id, count(*)::int, count(*) FILTER (WHERE status = 'available')::int
    FROM new_rows WHERE ticket_type_id IS NOT NULL GROUP BY 1;
  RETURN NULL;
END $$;

CREATE FUNCTION ticket.seats_count_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Deleting seats comes with deleting their event (cascade); the type may be gone already.
  INSERT INTO ticket.seat_counts (ticket_type_id, total, available)
  SELECT o.ticket_type_id, -count(*)::int, -count(*) FILTER (WHERE o.status = 'available')::int
    FROM old_rows o WHERE o.ticket_type_id IS NOT NULL
     AND EXISTS (SELECT 1 FROM ticket.ticket_types t WHERE t.id = o.ticket_type_id)
   GROUP BY 1;
  RETURN NULL;
END $$;

-- Folds the appended deltas into the ticket types' counters; returns the types changed. One fold at
-- a time across instances (the others skip), so two folds never lock type rows in opposite orders;
-- a delta is deleted by exactly the fold that adds it.
CREATE FUNCTION ticket.fold_seat_counts() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('tiketi:fold_seat_counts')) THEN
    RETURN 0;
  END IF;
  WITH d AS (DELETE FROM ticket.seat_counts RETURNING ticket_type_id, total, available),
  s AS (SELECT ticket_type_id, sum(total)::int AS total, sum(available)::int AS available FROM d GROUP BY 1),
  u AS (
    UPDATE ticket.ticket_types t
       SET total_quantity = t.total_quantity + s.total, available_quantity = t.available_quantity + s.available
      FROM s WHERE t.id = s.ticket_type_id AND t.kind = 'seated'
    RETURNING 1)
  SELECT count(*)::int INTO n FROM u;
  RETURN n;
END $$;

CREATE TRIGGER seats_count_update AFTER UPDATE ON ticket.seats
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ticket.seats_count_by_type();
CREATE TRIGGER seats_count_insert AFTER INSERT ON ticket.seats
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ticket.seats_count_inserted();
CREATE TRIGGER seats_count_delete AFTER DELETE ON ticket.seats
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ticket.seats_count_deleted();

-- A seated type starts with no seats, whatever its INSERT says: its seats come after it (they name
-- it) and count themselves in.
CREATE FUNCTION ticket.ticket_types_seated_start() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.total_quantity := 0;
  NEW.available_quantity := 0;
  RETURN NEW;
END $$;
CREATE TRIGGER ticket_types_seated_start BEFORE INSERT ON ticket.ticket_types
  FOR EACH ROW WHEN (NEW.kind = 'seated') EXECUTE FUNCTION ticket.ticket_types_seated_start();

-- The counters are bookkeeping, not an edit of the ticket type: they do not move its updated_at
-- (nor run the touch function on the hold path's rows). A general-admission resize moves the total
-- and so still touches it.
DROP TRIGGER ticket_types_touch ON ticket.ticket_types;
CREATE TRIGGER ticket_types_touch BEFORE UPDATE ON ticket.ticket_types
  FOR EACH ROW WHEN ((OLD.name, OLD.price, OLD.description, OLD.sort_order, OLD.kind)
                     IS DISTINCT FROM (NEW.name, NEW.price, NEW.description, NEW.sort_order, NEW.kind)
                     OR (NEW.kind = 'general' AND NEW.total_quantity <> OLD.total_quantity))
  EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- Seated types of existing events start from their seats.
UPDATE ticket.ticket_types t
   SET total_quantity = c.total, available_quantity = c.available
  FROM (SELECT t2.id, count(s.id)::int AS total, count(s.id) FILTER (WHERE s.status = 'available')::int AS available
          FROM ticket.ticket_types t2 LEFT JOIN ticket.seats s ON s.ticket_type_id = t2.id
         WHERE t2.kind = 'seated' GROUP BY t2.id) c
 WHERE t.id = c.id;

-- Down Migration
DROP TRIGGER ticket_types_touch ON ticket.ticket_types;
CREATE TRIGGER ticket_types_touch BEFORE UPDATE ON ticket.ticket_types
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();
DROP TRIGGER ticket_types_seated_start ON ticket.ticket_types;
DROP FUNCTION ticket.ticket_types_seated_start();
DROP TRIGGER seats_count_update ON ticket.seats;
DROP TRIGGER seats_count_insert ON ticket.seats;
DROP TRIGGER seats_count_delete ON ticket.seats;
DROP FUNCTION ticket.seats_count_by_type();
DROP FUNCTION ticket.seats_count_inserted();
DROP FUNCTION ticket.seats_count_deleted();
DROP FUNCTION ticket.fold_seat_counts();
DROP TABLE ticket.seat_counts;
ALTER TABLE ticket.seats DROP COLUMN x, DROP COLUMN y;
