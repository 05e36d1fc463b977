-- Up Migration
-- Seats keep updated_at current like every other table.
CREATE TRIGGER seats_touch BEFORE UPDATE ON ticket.seats
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- Down Migration
DROP TRIGGER seats_touch ON ticket.seats;
