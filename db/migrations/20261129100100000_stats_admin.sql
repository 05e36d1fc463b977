-- Up Migration
-- Complimentary reservations: issued by an admin for a user, confirmed at price 0 with no payment.
-- `issued_by` names the admin (and marks the reservation as complimentary); `note` says why.
ALTER TABLE ticket.reservations
  ADD COLUMN issued_by uuid REFERENCES auth.users (id),
  ADD COLUMN note text CHECK (note IS NULL OR length(note) <= 500);

-- Event cancellations in progress and done. Cancelling an event ends its pending reservations and
-- refunds its confirmed ones, one payment at a time through the provider; this row is the job's
-- state, so a crash or a refused refund loses nothing: the job (sweeper role) resumes any
-- cancellation with live reservations left, and an admin's repeated request tries the refunds that
-- failed before it once more.
CREATE TABLE ticket.event_cancellations (
  event_id           uuid PRIMARY KEY REFERENCES ticket.events (id) ON DELETE CASCADE,
  reason             text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  requested_by       uuid REFERENCES auth.users (id),
  requested_at       timestamptz NOT NULL DEFAULT now(),
  -- Refunds that failed before this are tried again; set by every request to cancel.
  retry_requested_at timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_cancellations_open_idx ON ticket.event_cancellations (requested_at) WHERE finished_at IS NULL;
CREATE TRIGGER event_cancellations_touch BEFORE UPDATE ON ticket.event_cancellations
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- The admin hold list pages newest first and the stats views count holds by creation time. One
-- index only: every hold written pays for each index on the table, and holds are the hot path.
CREATE INDEX holds_created_idx ON ticket.holds (created_at DESC, id DESC);

-- Statistics by day depend on where the day is cut and on the currency money is counted in: the
-- daily cache keeps one row per (time zone, currency, day).
ALTER TABLE stats.daily_stats
  ADD COLUMN time_zone text NOT NULL DEFAULT 'Asia/Seoul',
  ADD COLUMN currency text NOT NULL DEFAULT 'KRW' CHECK (currency ~ '^[A-Z]{3}$');
ALTER TABLE stats.daily_stats DROP CONSTRAINT daily_stats_pkey;
ALTER TABLE stats.daily_stats ADD PRIMARY KEY (time_zone, currency, date);
ALTER TABLE stats.daily_stats ALTER COLUMN time_zone DROP DEFAULT, ALTER COLUMN currency DROP DEFAULT;
-- The stats views count by these times; without them every range scans the whole table.
CREATE INDEX reservations_confirmed_at_idx ON ticket.reservations (confirmed_at) WHERE confirmed_at IS NOT NULL;
CREATE INDEX reservations_created_at_idx ON ticket.reservations (created_at);
CREATE INDEX reservations_ended_at_idx ON ticket.reservations (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX payments_approved_at_idx ON payment.payments (approved_at) WHERE approved_at IS NOT NULL;
CREATE INDEX payments_refunded_at_idx ON payment.payments (refunded_at) WHERE refunded_at IS NOT NULL;

-- Down Migration
DROP INDEX payment.payments_refunded_at_idx;
DROP INDEX payment.payments_approved_at_idx;
DROP INDEX ticket.reservations_ended_at_idx;
DROP INDEX ticket.reservations_created_at_idx;
DROP INDEX ticket.reservations_confirmed_at_idx;
DELETE FROM stats.daily_stats WHERE (time_zone, currency) <> ('Asia/Seoul', 'KRW');
ALTER TABLE stats.daily_stats DROP CONSTRAINT daily_stats_pkey;
ALTER TABLE stats.daily_stats DROP COLUMN time_zone, DROP COLUMN currency;
ALTER TABLE stats.daily_stats ADD PRIMARY KEY (date);
DROP INDEX ticket.holds_created_idx;
DROP TABLE ticket.event_cancellations;
ALTER TABLE ticket.reservations DROP COLUMN note, DROP COLUMN issued_by;
