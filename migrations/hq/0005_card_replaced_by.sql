-- The card that replaced this one: value that comes back to a replaced card (a refund) goes there.
alter table cards add column replaced_by text references cards (id);
