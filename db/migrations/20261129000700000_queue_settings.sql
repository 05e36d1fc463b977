-- Up Migration
-- The waiting room's per-event settings. The queue itself (who waits, who is admitted) lives in
-- Redis (or in process memory without REDIS_URL): it changes thousands of times a second on a sale
-- day and is worthless after it. What an admin decided about the queue must survive restarts.
CREATE TABLE ticket.queue_settings (
  event_id              uuid PRIMARY KEY REFERENCES ticket.events (id) ON DELETE CASCADE,
  enabled               boolean NOT NULL DEFAULT false,
  paused                boolean NOT NULL DEFAULT false,
  admit_per_second      integer NOT NULL DEFAULT 10 CHECK (admit_per_second BETWEEN 1 AND 100000),
  admission_ttl_seconds integer NOT NULL DEFAULT 600 CHECK (admission_ttl_seconds BETWEEN 1 AND 86400),
  max_active            integer NOT NULL DEFAULT 1000 CHECK (max_active BETWEEN 1 AND 10000000),
  admission_order       text NOT NULL DEFAULT 'fifo' CHECK (admission_order IN ('fifo', 'randomized-at-open')),
  -- When the line opens for the randomized order: who joined before gets a random place. NULL = the
  -- event's sale_start_date.
  opens_at              timestamptz,
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER queue_settings_touch BEFORE UPDATE ON ticket.queue_settings
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();
-- The admitter of every instance lists the enabled queues every second or so.
CREATE INDEX queue_settings_enabled_idx ON ticket.queue_settings (event_id) WHERE enabled;

-- The version of the realtime `availability` messages (general-admission quantities) per event. Its
-- own counter, not the seat version: a seat client would take every quantity change for a gap in
-- its seat versions and refetch the seat map. Bumped after a quantity change commits, never inside
-- the hold transaction, so the hold path is unchanged.
CREATE TABLE ticket.availability_versions (
  event_id uuid PRIMARY KEY REFERENCES ticket.events (id) ON DELETE CASCADE,
  version  bigint NOT NULL
);

-- Down Migration
DROP TABLE ticket.availability_versions;
DROP TABLE ticket.queue_settings;
