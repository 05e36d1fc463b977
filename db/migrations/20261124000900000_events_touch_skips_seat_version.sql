-- Up Migration
-- An event's updated_at says when the event (its title, dates, status...) last changed. The seat
-- version bump, which every hold, release and reservation makes, is not such a change: it no
-- longer moves updated_at (and skips the trigger function, on the hold path's hottest row).
DROP TRIGGER events_touch ON ticket.events;
CREATE TRIGGER events_touch BEFORE UPDATE ON ticket.events
  FOR EACH ROW WHEN (NEW.seat_version IS NOT DISTINCT FROM OLD.seat_version)
  EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- Down Migration
DROP TRIGGER events_touch ON ticket.events;
CREATE TRIGGER events_touch BEFORE UPDATE ON ticket.events
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();
