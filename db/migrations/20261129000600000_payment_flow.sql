-- Up Migration
-- What the payment flow needs beyond the first payment tables.
--
-- `in_progress`: our confirm has claimed the payment and may have reached the provider. The
-- reservation sweeper leaves such a reservation alone (a buyer mid-confirm keeps their seats), and
-- the reconciliation job settles a claim that outlived its process from the provider's own record.
ALTER TABLE payment.payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payment.payments ADD CONSTRAINT payments_status_check
  CHECK (status IN ('pending', 'in_progress', 'confirmed', 'failed', 'cancelled', 'partially_refunded', 'refunded'));
ALTER TABLE payment.payments
  ADD COLUMN confirm_started_at timestamptz,
  -- Refunds made so far: the next one's provider Idempotency-Key is cancel:<orderId>:<n + 1>.
  ADD COLUMN refund_count integer NOT NULL DEFAULT 0 CHECK (refund_count >= 0),
  -- Refunds the provider refused so far: a refused request must not be repeated under its old key
  -- (the provider would replay the refusal), so the key then gains this number.
  ADD COLUMN refund_attempt integer NOT NULL DEFAULT 0 CHECK (refund_attempt >= 0),
  -- The last refund the provider refused or could not answer; cleared by the next successful one.
  ADD COLUMN refund_failure_code text,
  ADD COLUMN refund_failure_message text,
  ADD COLUMN refund_failed_at timestamptz,
  ADD COLUMN refunded_at timestamptz;
-- The reconciliation job's work list.
CREATE INDEX payments_in_progress_idx ON payment.payments (confirm_started_at) WHERE status = 'in_progress';
-- At most one payment being paid (pending or in progress) per reservation: prepare reuses it.
CREATE UNIQUE INDEX payments_one_open_per_reservation ON payment.payments (reservation_id)
  WHERE status IN ('pending', 'in_progress');
CREATE INDEX payments_created_idx ON payment.payments (created_at DESC, id DESC);

-- Provider calls are logged per logical operation and attempt, also when no payment row matches
-- (a webhook for an unknown order).
ALTER TABLE payment.payment_logs
  ADD COLUMN order_id text,
  ADD COLUMN idempotency_key text,
  ADD COLUMN attempt integer;
CREATE INDEX payment_logs_order_idx ON payment.payment_logs (order_id, created_at);

-- Webhook deliveries, deduplicated by the provider's transmission id.
CREATE TABLE payment.webhook_events (
  transmission_id text PRIMARY KEY CHECK (length(transmission_id) BETWEEN 1 AND 200),
  event_type      text NOT NULL,
  order_id        text,
  payment_key     text,
  received_at     timestamptz NOT NULL DEFAULT now(),
  processed_at    timestamptz,
  outcome         text
);

-- Down Migration
DROP TABLE payment.webhook_events;
DROP INDEX payment.payment_logs_order_idx;
ALTER TABLE payment.payment_logs DROP COLUMN order_id, DROP COLUMN idempotency_key, DROP COLUMN attempt;
DROP INDEX payment.payments_created_idx;
DROP INDEX payment.payments_one_open_per_reservation;
DROP INDEX payment.payments_in_progress_idx;
ALTER TABLE payment.payments
  DROP COLUMN confirm_started_at, DROP COLUMN refund_count, DROP COLUMN refund_attempt, DROP COLUMN refund_failure_code,
  DROP COLUMN refund_failure_message, DROP COLUMN refund_failed_at, DROP COLUMN refunded_at;
UPDATE payment.payments SET status = 'pending' WHERE status = 'in_progress';
ALTER TABLE payment.payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payment.payments ADD CONSTRAINT payments_status_check
  CHECK (status IN ('pending', 'confirmed', 'failed', 'cancelled', 'partially_refunded', 'refunded'));
