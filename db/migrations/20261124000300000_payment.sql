-- Up Migration
-- Payment domain: one payment per checkout attempt of a reservation, and every provider call logged.
CREATE SCHEMA IF NOT EXISTS payment;

CREATE TABLE payment.payments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reservation_id  uuid NOT NULL REFERENCES ticket.reservations (id),
  user_id         uuid NOT NULL REFERENCES auth.users (id),
  event_id        uuid NOT NULL REFERENCES ticket.events (id),
  provider        text NOT NULL DEFAULT 'tosspayments',
  order_id        text NOT NULL UNIQUE CHECK (order_id ~ '^[A-Za-z0-9_-]{6,64}$'),
  order_name      text NOT NULL CHECK (length(order_name) <= 100),
  payment_key     text UNIQUE CHECK (length(payment_key) <= 200),
  amount          integer NOT NULL CHECK (amount > 0),
  currency        text NOT NULL DEFAULT 'KRW',
  method          text,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'confirmed', 'failed', 'cancelled', 'partially_refunded', 'refunded')),
  provider_status text,
  approved_at     timestamptz,
  receipt_url     text,
  provider_secret text,               -- Toss's per-payment secret, to authenticate its webhooks
  provider_response jsonb,
  refunded_amount integer NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  failure_code    text,
  failure_message text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (refunded_amount <= amount)
);
CREATE INDEX payments_reservation_idx ON payment.payments (reservation_id);
CREATE INDEX payments_user_idx ON payment.payments (user_id, created_at DESC);
CREATE INDEX payments_status_idx ON payment.payments (status, created_at DESC);
CREATE INDEX payments_event_idx ON payment.payments (event_id);
-- At most one confirmed (money-taking) payment per reservation.
CREATE UNIQUE INDEX payments_one_confirmed_per_reservation ON payment.payments (reservation_id)
  WHERE status IN ('confirmed', 'partially_refunded');
CREATE TRIGGER payments_touch BEFORE UPDATE ON payment.payments
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

CREATE TABLE payment.payment_logs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  payment_id      uuid REFERENCES payment.payments (id) ON DELETE CASCADE,
  action          text NOT NULL,       -- confirm, cancel, lookup, webhook
  endpoint        text NOT NULL,
  method          text NOT NULL,
  request_body    jsonb,               -- never headers: they carry the secret key
  response_status integer,
  response_body   jsonb,
  error_code      text,
  error_message   text,
  duration_ms     integer,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_logs_payment_idx ON payment.payment_logs (payment_id, created_at);
CREATE INDEX payment_logs_action_idx ON payment.payment_logs (action, created_at);

-- Down Migration
DROP SCHEMA payment CASCADE;
