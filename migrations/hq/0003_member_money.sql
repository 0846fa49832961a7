-- The member money model (issue 3): refunds, top-up refunds, gift redemptions, offline exposure,
-- member desk requests, manual adjustments, rebates, chain settings, card PINs.

-- Accounts core added for existing stores and chains (a fresh seed makes them too).
insert into accounts (id, ledger, code, owner, debits_must_not_exceed_credits)
  select 'store:' || id || ':points_tender', currency, 'STORE_POINTS_TENDER', id, false from org_nodes where kind = 'store'
  on conflict (id) do nothing;
insert into accounts (id, ledger, code, owner, debits_must_not_exceed_credits)
  select 'store:' || id || ':offline_exposure', currency, 'STORE_OFFLINE_EXPOSURE', id, false from org_nodes where kind = 'store'
  on conflict (id) do nothing;
-- Points a store let a member spend offline beyond their balance (HQ's own account, in points).
insert into accounts (id, ledger, code, owner, debits_must_not_exceed_credits)
  select 'store:' || id || ':offline_exposure:points', 'POINTS', 'STORE_OFFLINE_EXPOSURE', id, false from org_nodes where kind = 'store'
  on conflict (id) do nothing;
insert into accounts (id, ledger, code, owner, debits_must_not_exceed_credits)
  select 'chain:rebate:' || currency, currency, 'CHAIN_REBATE', 'chain', false from chain
  on conflict (id) do nothing;
insert into accounts (id, ledger, code, owner, debits_must_not_exceed_credits)
  select 'chain:adjustments:' || currency, currency, 'CHAIN_ADJUSTMENTS', 'chain', false from chain
  on conflict (id) do nothing;
insert into accounts (id, ledger, code, owner, debits_must_not_exceed_credits)
  select 'chain:adjustments:POINTS', 'POINTS', 'CHAIN_ADJUSTMENTS', 'chain', false from chain
  on conflict (id) do nothing;

alter table cards add column pin_hash text;

-- A hold may reserve just one part of a card's stored value (top-up refunds).
alter table holds add column part text check (part in ('principal', 'bonus'));

alter table change_log drop constraint change_log_kind_check;
alter table change_log add constraint change_log_kind_check
  check (kind in ('member', 'card', 'balance', 'product', 'level', 'setting'));

create table settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now(),
  updated_by text
);

create table refunds (
  id text primary key,
  sale_id text not null references sales (id),
  terminal_id text not null references terminals (id),
  event_seq bigint not null,
  store_id text not null references org_nodes (id),
  member_id text,
  currency text not null,
  total_minor bigint not null,
  points_reversed bigint not null,
  completed_at bigint not null,
  body jsonb not null,
  received_at timestamptz not null default now()
);
create index refunds_sale on refunds (sale_id);

create table top_up_refunds (
  id text primary key,
  top_up_id text not null unique references top_ups (id),
  terminal_id text not null references terminals (id),
  event_seq bigint not null,
  store_id text not null references org_nodes (id),
  member_id text not null,
  card_id text not null,
  principal_minor bigint not null,
  bonus_clawed_back_minor bigint not null,
  completed_at bigint not null,
  body jsonb not null,
  received_at timestamptz not null default now()
);

create table gift_redemptions (
  id text primary key,
  terminal_id text not null references terminals (id),
  event_seq bigint not null,
  store_id text not null references org_nodes (id),
  member_id text not null,
  gift_sku text not null,
  quantity integer not null,
  points bigint not null,
  completed_at bigint not null,
  received_at timestamptz not null default now()
);

-- Member desk calls (terminal RPCs and REST), answered once per request id.
create table member_desk_requests (
  request_id text primary key,
  method text not null,
  caller text not null,
  request jsonb not null,
  response jsonb not null,
  created_at timestamptz not null default now()
);

-- Manual corrections at HQ: requested by one operator, posted when a second one approves.
create table adjustments (
  id text primary key,
  asset text not null check (asset in ('stored_value', 'points')),
  member_id text not null references members (id),
  card_id text references cards (id),
  part text check (part in ('principal', 'bonus')),
  amount bigint not null check (amount <> 0),
  reason text not null,
  requested_by text not null references operators (id),
  requested_at timestamptz not null default now(),
  approved_by text references operators (id),
  approved_at timestamptz,
  state text not null check (state in ('pending', 'approved')),
  check ((asset = 'stored_value') = (card_id is not null and part is not null))
);

-- Rebates held pending for their waiting days (the pending transfer is `rebate:${saleId}`).
create table rebates (
  sale_id text primary key references sales (id),
  member_id text not null,
  card_id text not null,
  currency text not null,
  paid_minor bigint not null,
  held_minor bigint not null check (held_minor > 0),
  left_minor bigint not null check (left_minor >= 0),
  refunded_minor bigint not null default 0,
  held_at bigint not null,
  matures_at bigint not null,
  state text not null check (state in ('pending', 'posted', 'voided'))
);
create index rebates_due on rebates (matures_at) where state = 'pending';

-- Runs of periodic jobs that must happen once per period (the yearly level review).
create table job_runs (
  job text not null,
  period text not null,
  ran_at timestamptz not null default now(),
  details jsonb not null default '{}',
  primary key (job, period)
);

create index transfers_code on transfers (code);
