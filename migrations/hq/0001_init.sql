-- OneCard HQ: organisation, master data, the chain ledger, terminal sync and operators.
-- Money and points are BIGINT minor units. Forward-only: a change is a new file.

create table chain (
  singleton boolean primary key default true check (singleton),
  name text not null,
  currency text not null check (currency ~ '^[A-Z]{3}$')
);

create table org_nodes (
  id text primary key,
  parent_id text references org_nodes (id),
  kind text not null check (kind in ('hq', 'region', 'store')),
  name text not null,
  time_zone text not null,
  currency text not null,
  franchisee text
);

create table member_levels (
  code text primary key,
  name text not null,
  rank integer not null,
  discount_rate text not null check (discount_rate ~ '^\d+(\.\d+)?$'),
  points_multiplier text not null check (points_multiplier ~ '^\d+(\.\d+)?$'),
  offline_limit_minor bigint not null check (offline_limit_minor >= 0)
);

create table products (
  sku text primary key,
  barcode text not null unique,
  name text not null,
  name_zh text not null,
  category text not null,
  price_minor bigint not null check (price_minor >= 0),
  excluded_from_member_benefits boolean not null,
  active boolean not null default true
);

create table members (
  id text primary key,
  name text not null,
  phone text not null,
  birthday text check (birthday ~ '^\d{4}-\d{2}-\d{2}$'),
  level_code text not null references member_levels (code),
  home_store_id text not null references org_nodes (id),
  created_at timestamptz not null default now()
);
create index members_phone on members (phone);
create index members_name on members (name);

create table cards (
  id text primary key,
  member_id text not null references members (id),
  card_no text not null unique,
  medium text not null check (medium in ('mifare', 'em4100', 'magstripe', 'barcode', 'virtual')),
  status text not null check (status in ('active', 'frozen', 'lost', 'expired', 'replaced')),
  expires_on text check (expires_on ~ '^\d{4}-\d{2}-\d{2}$'),
  issued_at timestamptz not null default now()
);
create index cards_member on cards (member_id);

create table terminals (
  id text primary key,
  store_id text not null references org_nodes (id),
  name text not null,
  device_name text,
  credential_hash text unique,
  enrolled_at timestamptz,
  revoked_at timestamptz,
  last_contact_at timestamptz,
  -- highest seq such that every event 1..acked_seq is stored (applied or quarantined)
  acked_seq bigint not null default 0 check (acked_seq >= 0)
);

create table enrollment_codes (
  code_hash text primary key,
  terminal_id text not null references terminals (id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);

-- Balances are cached on the account, updated in the same transaction as the transfers
-- that move them; the CHECK is the last line of defence behind core's evaluateTransfer.
create table accounts (
  id text primary key,
  ledger text not null,
  code text not null,
  owner text,
  debits_must_not_exceed_credits boolean not null,
  debits_posted bigint not null default 0 check (debits_posted >= 0),
  credits_posted bigint not null default 0 check (credits_posted >= 0),
  debits_pending bigint not null default 0 check (debits_pending >= 0),
  credits_pending bigint not null default 0 check (credits_pending >= 0),
  created_at timestamptz not null default now(),
  constraint member_balance_never_negative
    check (not debits_must_not_exceed_credits or debits_posted + debits_pending <= credits_posted)
);

-- Immutable: a correction is a new transfer. pending_state is the one mutable column,
-- and only on pending transfers (pending → posted | voided).
create table transfers (
  id text primary key,
  kind text not null check (kind in ('single', 'pending', 'post_pending', 'void_pending')),
  debit_account_id text not null references accounts (id),
  credit_account_id text not null references accounts (id),
  ledger text not null,
  amount bigint not null check (amount > 0),
  code text not null,
  pending_id text references transfers (id),
  pending_state text check (pending_state in ('pending', 'posted', 'voided')),
  "timestamp" bigint not null,
  origin_terminal_id text,
  document_id text,
  recorded_at timestamptz not null default now(),
  check ((kind = 'pending') = (pending_state is not null)),
  check ((kind in ('post_pending', 'void_pending')) = (pending_id is not null)),
  check (debit_account_id <> credit_account_id)
);
create index transfers_debit on transfers (debit_account_id, recorded_at);
create index transfers_credit on transfers (credit_account_id, recorded_at);
create index transfers_document on transfers (document_id);
create unique index transfers_settles_once on transfers (pending_id) where pending_id is not null;

create table holds (
  hold_id text primary key,
  card_id text not null references cards (id),
  terminal_id text not null references terminals (id),
  sale_id text not null,
  amount bigint not null check (amount > 0),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  state text not null check (state in ('pending', 'captured', 'voided'))
);
create index holds_pending on holds (expires_at) where state = 'pending';

create table events (
  terminal_id text not null references terminals (id),
  seq bigint not null check (seq >= 1),
  event_id text not null,
  kind text,
  body jsonb not null,
  status text not null check (status in ('applied', 'quarantined')),
  reason text,
  received_at timestamptz not null default now(),
  primary key (terminal_id, seq)
);
create index events_quarantined on events (received_at) where status = 'quarantined';

create table sales (
  id text primary key,
  terminal_id text not null references terminals (id),
  event_seq bigint not null,
  store_id text not null references org_nodes (id),
  member_id text,
  card_id text,
  currency text not null,
  total_minor bigint not null,
  points_earned bigint not null,
  completed_at bigint not null,
  body jsonb not null,
  received_at timestamptz not null default now()
);
create index sales_member on sales (member_id);

create table top_ups (
  id text primary key,
  terminal_id text not null references terminals (id),
  event_seq bigint not null,
  store_id text not null references org_nodes (id),
  member_id text not null,
  card_id text not null,
  currency text not null,
  principal_minor bigint not null,
  bonus_minor bigint not null,
  completed_at bigint not null,
  body jsonb not null,
  received_at timestamptz not null default now()
);
create index top_ups_member on top_ups (member_id);

-- The pull feed. Rows must become visible in seq order, so every insert first takes a
-- transaction-scoped advisory lock (before its seq is drawn) and holds it to commit:
-- a puller can never see seq n+1 committed while n is still in flight.
create table change_log (
  seq bigserial primary key,
  kind text not null check (kind in ('member', 'card', 'balance', 'product', 'level')),
  key text not null,
  at timestamptz not null default now()
);
create index change_log_key on change_log (kind, key, seq);

create function change_log_serialize() returns trigger language plpgsql as $$
begin
  perform pg_advisory_xact_lock(7262847001);
  return null;
end $$;

create trigger change_log_serialize before insert on change_log
  for each statement execute function change_log_serialize();

create function change_log_notify() returns trigger language plpgsql as $$
declare latest bigint;
begin
  select max(seq) into latest from inserted;
  if latest is not null then
    perform pg_notify('onecard_changes', latest::text);
  end if;
  return null;
end $$;

create trigger change_log_notify after insert on change_log
  referencing new table as inserted
  for each statement execute function change_log_notify();

create table operators (
  id text primary key,
  node_id text not null references org_nodes (id),
  name text not null,
  login text not null unique,
  password_hash text not null,
  pin_hash text not null,
  roles text[] not null,
  disabled_at timestamptz,
  created_at timestamptz not null default now()
);

create table sessions (
  token_hash text primary key,
  operator_id text not null references operators (id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  operator_id text,
  terminal_id text,
  node_id text,
  action text not null,
  details jsonb not null default '{}'
);
