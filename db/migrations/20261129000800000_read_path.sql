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

CREATE FUNCTION ticket.seats_count_by_type() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  -- Ticket types in id order: the lock order of every ticket-type write (no deadlock between two
  -- statements touching the same types).
  FOR d IN
    SELECT ticket_type_id, sum(total)::int AS total, sum(available)::int AS available
      FROM (SELECT ticket_type_id, 1 AS total, (status = 'available')::int AS available FROM new_rows
            UNION ALL
            SELECT ticket_type_id, -1, -(status = 'available')::int FROM old_rows) x
     WHERE ticket_type_id IS NOT NULL
     GROUP BY ticket_type_id
    HAVING sum(total) <> 0 OR sum(available) <> 0
     ORDER BY ticket_type_id
  LOOP
    UPDATE ticket.ticket_types
       SET total_quantity = total_quantity + d.total, available_quantity = available_quantity + d.available
     WHERE id = d.ticket_type_id AND kind = 'seated';
  END LOOP;
  RETURN NULL;
END $$;

-- One function, three triggers: a transition table exists only for the events that have it, so
-- each trigger names an empty stand-in for the other side.
CREATE FUNCTION ticket.seats_count_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  FOR d IN
    SELECT ticket_type_id, count(*)::int AS total, count(*) FILTER (WHERE status = 'available')::int AS available
      FROM new_rows WHERE ticket_type_id IS NOT NULL GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE ticket.ticket_types
       SET total_quantity = total_quantity + d.total, available_quantity = available_quantity + d.available
     WHERE id = d.ticket_type_id AND kind = 'seated';
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION ticket.seats_count_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  FOR d IN
    SELECT ticket_type_id, count(*)::int AS total, count(*) FILTER (WHERE status = 'available')::int AS available
      FROM old_rows WHERE ticket_type_id IS NOT NULL GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE ticket.ticket_types
       SET total_quantity = total_quantity - d.total, available_quantity = available_quantity - d.available
     WHERE id = d.ticket_type_id AND kind = 'seated';
  END LOOP;
  RETURN NULL;
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
ALTER TABLE ticket.seats DROP COLUMN x, DROP COLUMN y;
