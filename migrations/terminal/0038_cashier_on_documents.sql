-- Each document records the operator signed in at the till when it completed, so a shift's X/Z
-- counts its own cashier's sales and HQ attributes sales to cashiers. Rows made before this
-- migration have none and fall back to the time window of the shift open then.
ALTER TABLE sales ADD COLUMN cashier_id TEXT;
ALTER TABLE refunds ADD COLUMN cashier_id TEXT;
ALTER TABLE top_ups ADD COLUMN cashier_id TEXT;
ALTER TABLE top_up_refunds ADD COLUMN cashier_id TEXT;
CREATE INDEX sales_completed ON sales (completed_at);

-- A shift per cashier: several cashiers may each have their shift open on one till.
DROP INDEX shifts_one_open;
CREATE UNIQUE INDEX shifts_one_open_per_cashier ON shifts (operator_id) WHERE closed_at IS NULL;
