-- Overdrafts offline debits caused, per member account, and how much of each refunds have paid back
-- (a refund of such a sale first reduces the store's exposure, then credits the member).
create table offline_overdrafts (
  transfer_id text primary key,
  sale_id text not null references sales (id),
  account_id text not null,
  exposure_account_id text not null,
  ledger text not null,
  amount bigint not null check (amount > 0),
  refunded bigint not null default 0,
  check (refunded >= 0 and refunded <= amount)
);
create index offline_overdrafts_sale on offline_overdrafts (sale_id);
