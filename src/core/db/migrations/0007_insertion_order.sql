-- Rows created in one transaction (a deal with several payments, its activity entries) keep the
-- order they were written in: their timestamps come from the clock, not the transaction start.
ALTER TABLE payments ALTER COLUMN created_at SET DEFAULT clock_timestamp();
ALTER TABLE activity_logs ALTER COLUMN created_at SET DEFAULT clock_timestamp();
ALTER TABLE payment_approvals ALTER COLUMN created_at SET DEFAULT clock_timestamp();
