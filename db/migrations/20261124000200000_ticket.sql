-- Up Migration
-- Ticket domain: catalog (layouts, events, ticket types, news, keyword mappings) and inventory
-- (seats, holds, reservations). The rule "a seat is sold at most once" is enforced here.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA IF NOT EXISTS ticket;

CREATE TABLE ticket.seat_layouts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  description   text,
  total_seats   integer NOT NULL CHECK (total_seats > 0),
  layout_config jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER seat_layouts_touch BEFORE UPDATE ON ticket.seat_layouts
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

CREATE TABLE ticket.events (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description      text,
  venue            text NOT NULL,
  address          text,
  artist_name      text,
  event_date       timestamptz NOT NULL,
  sale_start_date  timestamptz,
  sale_end_date    timestamptz,
  poster_image_url text,
  status           text NOT NULL DEFAULT 'upcoming'
                   CHECK (status IN ('upcoming', 'on_sale', 'sold_out', 'ended', 'cancelled')),
  seat_layout_id   uuid REFERENCES ticket.seat_layouts (id),
  currency         text NOT NULL DEFAULT 'KRW' CHECK (currency ~ '^[A-Z]{3}$'),
  -- Grows by one with every seat change; the realtime channel and seat map carry it.
  seat_version     bigint NOT NULL DEFAULT 0,
  created_by       uuid REFERENCES auth.users (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (sale_end_date IS NULL OR sale_start_date IS NULL OR sale_end_date >= sale_start_date)
);
CREATE INDEX events_event_date_idx ON ticket.events (event_date, id);
CREATE INDEX events_status_idx ON ticket.events (status);
CREATE INDEX events_artist_idx ON ticket.events (artist_name);
CREATE INDEX events_title_trgm ON ticket.events USING gin (lower(title) gin_trgm_ops);
CREATE INDEX events_artist_trgm ON ticket.events USING gin (lower(coalesce(artist_name, '')) gin_trgm_ops);
CREATE INDEX events_venue_trgm ON ticket.events USING gin (lower(venue) gin_trgm_ops);
CREATE TRIGGER events_touch BEFORE UPDATE ON ticket.events
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- Price categories. Seated types count their seats; general-admission types keep a counter that
-- the CHECK stops from going below zero or above the total.
CREATE TABLE ticket.ticket_types (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id           uuid NOT NULL REFERENCES ticket.events (id) ON DELETE CASCADE,
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  kind               text NOT NULL CHECK (kind IN ('seated', 'general')),
  price              integer NOT NULL CHECK (price >= 0),
  total_quantity     integer NOT NULL CHECK (total_quantity >= 0),
  available_quantity integer NOT NULL,
  description        text,
  sort_order         integer NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, name),
  CONSTRAINT ticket_types_available_in_range CHECK (available_quantity >= 0 AND available_quantity <= total_quantity)
);
CREATE INDEX ticket_types_event_idx ON ticket.ticket_types (event_id, sort_order);
CREATE TRIGGER ticket_types_touch BEFORE UPDATE ON ticket.ticket_types
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

CREATE TABLE ticket.holds (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id    uuid NOT NULL REFERENCES ticket.events (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES auth.users (id),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'converted', 'released', 'expired')),
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz
);
CREATE INDEX holds_active_expiry_idx ON ticket.holds (expires_at) WHERE status = 'active';
CREATE INDEX holds_user_event_idx ON ticket.holds (user_id, event_id) WHERE status = 'active';

-- General-admission quantities inside a hold.
CREATE TABLE ticket.hold_items (
  hold_id        uuid NOT NULL REFERENCES ticket.holds (id) ON DELETE CASCADE,
  ticket_type_id uuid NOT NULL REFERENCES ticket.ticket_types (id) ON DELETE CASCADE,
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (hold_id, ticket_type_id)
);

CREATE TABLE ticket.reservations (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number       text NOT NULL UNIQUE,
  user_id      uuid NOT NULL REFERENCES auth.users (id),
  event_id     uuid NOT NULL REFERENCES ticket.events (id),
  hold_id      uuid UNIQUE REFERENCES ticket.holds (id),
  total_amount integer NOT NULL CHECK (total_amount >= 0),
  currency     text NOT NULL,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
  expires_at   timestamptz NOT NULL,
  confirmed_at timestamptz,
  ended_at     timestamptz,
  cancel_reason text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  -- Target of the items' (reservation_id, reservation_status) foreign key.
  UNIQUE (id, status)
);
CREATE INDEX reservations_user_idx ON ticket.reservations (user_id, created_at DESC);
CREATE INDEX reservations_event_idx ON ticket.reservations (event_id, status);
CREATE INDEX reservations_status_idx ON ticket.reservations (status, created_at DESC);
CREATE INDEX reservations_pending_expiry_idx ON ticket.reservations (expires_at) WHERE status = 'pending';
CREATE TRIGGER reservations_touch BEFORE UPDATE ON ticket.reservations
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

CREATE TABLE ticket.seats (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id        uuid NOT NULL REFERENCES ticket.events (id) ON DELETE CASCADE,
  ticket_type_id  uuid REFERENCES ticket.ticket_types (id),
  section         text NOT NULL,
  row_label       text NOT NULL,
  row_number      integer NOT NULL CHECK (row_number > 0),
  seat_number     integer NOT NULL CHECK (seat_number > 0),
  label           text NOT NULL,
  price           integer NOT NULL CHECK (price >= 0),
  status          text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'reserved', 'sold')),
  -- One hold at a time per seat, by construction: the seat row names its hold.
  hold_id         uuid REFERENCES ticket.holds (id),
  hold_expires_at timestamptz,
  reservation_id  uuid REFERENCES ticket.reservations (id),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, section, row_number, seat_number),
  CONSTRAINT seats_held_has_hold CHECK ((status = 'held') = (hold_id IS NOT NULL AND hold_expires_at IS NOT NULL)),
  CONSTRAINT seats_taken_has_reservation CHECK ((status IN ('reserved', 'sold')) = (reservation_id IS NOT NULL))
);
CREATE INDEX seats_event_status_idx ON ticket.seats (event_id, status);
CREATE INDEX seats_hold_idx ON ticket.seats (hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX seats_reservation_idx ON ticket.seats (reservation_id) WHERE reservation_id IS NOT NULL;

CREATE TABLE ticket.reservation_items (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reservation_id     uuid NOT NULL,
  -- Kept equal to the reservation's status by the cascading foreign key below.
  reservation_status text NOT NULL,
  ticket_type_id     uuid NOT NULL REFERENCES ticket.ticket_types (id),
  seat_id            uuid REFERENCES ticket.seats (id),
  quantity           integer NOT NULL CHECK (quantity > 0),
  unit_price         integer NOT NULL CHECK (unit_price >= 0),
  subtotal           integer NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (reservation_id, reservation_status)
    REFERENCES ticket.reservations (id, status) ON UPDATE CASCADE ON DELETE CASCADE,
  CHECK (seat_id IS NULL OR quantity = 1),
  CHECK (subtotal = unit_price * quantity)
);
CREATE INDEX reservation_items_reservation_idx ON ticket.reservation_items (reservation_id);
-- The invariant: a seat is in at most one pending or confirmed reservation.
CREATE UNIQUE INDEX reservation_items_one_live_reservation_per_seat
  ON ticket.reservation_items (seat_id)
  WHERE seat_id IS NOT NULL AND reservation_status IN ('pending', 'confirmed');

CREATE TABLE ticket.keyword_mappings (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  korean      text NOT NULL CHECK (length(korean) BETWEEN 1 AND 100),
  english     text NOT NULL CHECK (length(english) BETWEEN 1 AND 100),
  entity_type text NOT NULL DEFAULT 'artist' CHECK (entity_type IN ('artist', 'venue', 'event', 'other')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (korean, english)
);
CREATE INDEX keyword_mappings_korean_idx ON ticket.keyword_mappings (lower(korean));
CREATE INDEX keyword_mappings_english_idx ON ticket.keyword_mappings (lower(english));

CREATE TABLE ticket.news (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  content    text NOT NULL,
  author     text NOT NULL,
  author_id  uuid REFERENCES auth.users (id),
  views      integer NOT NULL DEFAULT 0,
  is_pinned  boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX news_listing_idx ON ticket.news (is_pinned DESC, created_at DESC, id DESC);
CREATE TRIGGER news_touch BEFORE UPDATE ON ticket.news
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- Down Migration
DROP SCHEMA ticket CASCADE;
