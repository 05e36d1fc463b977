-- Up Migration
-- A refund that failed for a temporary reason (the provider down, a timeout) is tried again by the
-- event cancellation job after a pause; one the provider refused waits until an admin asks again.
ALTER TABLE payment.payments ADD COLUMN refund_failure_temporary boolean NOT NULL DEFAULT false;

-- Down Migration
ALTER TABLE payment.payments DROP COLUMN refund_failure_temporary;
