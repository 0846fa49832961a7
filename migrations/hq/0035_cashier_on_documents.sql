-- The operator signed in at the till when a sale or refund completed (from the event); null on
-- documents from terminals that did not record it, which reports attribute by the shift open then.
alter table sales add column cashier_id text;
alter table refunds add column cashier_id text;
