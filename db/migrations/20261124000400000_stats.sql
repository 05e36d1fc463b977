-- Up Migration
-- Stats domain: precomputed aggregates, refreshed from the other domains' tables.
CREATE SCHEMA IF NOT EXISTS stats;

CREATE TABLE stats.daily_stats (
  date               date PRIMARY KEY,
  total_reservations integer NOT NULL DEFAULT 0,
  total_revenue      bigint NOT NULL DEFAULT 0,
  total_users        integer NOT NULL DEFAULT 0,
  metrics            jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER daily_stats_touch BEFORE UPDATE ON stats.daily_stats
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

CREATE TABLE stats.event_stats (
  event_id           uuid PRIMARY KEY REFERENCES ticket.events (id) ON DELETE CASCADE,
  total_reservations integer NOT NULL DEFAULT 0,
  total_revenue      bigint NOT NULL DEFAULT 0,
  conversion_rate    numeric(6, 4) NOT NULL DEFAULT 0,
  metrics            jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER event_stats_touch BEFORE UPDATE ON stats.event_stats
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- Down Migration
DROP SCHEMA stats CASCADE;
