-- Reconciliation and settlement (issue 9): terminals' day closes as HQ received them, and
-- settlement statements that are immutable once confirmed.

-- A terminal's day close (日结), stored when its event is applied. A terminal may close a date
-- again (a corrected close): reconciliation reads the latest by event seq.
create table day_closes (
  id text primary key,
  terminal_id text not null references terminals (id),
  event_seq bigint not null,
  store_id text not null references org_nodes (id),
  business_date text not null check (business_date ~ '^\d{4}-\d{2}-\d{2}$'),
  first_seq bigint not null check (first_seq >= 0),
  last_seq bigint not null check (last_seq >= first_seq),
  events_chain text not null check (events_chain ~ '^[0-9a-f]{64}$'),
  sale_count bigint not null,
  refund_count bigint not null,
  top_up_total_minor bigint not null,
  tenders jsonb not null,
  closed_at bigint not null,
  received_at timestamptz not null default now(),
  unique (terminal_id, event_seq)
);
create index day_closes_date on day_closes (business_date, terminal_id);

-- One statement per settlement party (a franchisee, or a company store) and period. Lines are
-- per store; adjustment lines carry corrections found after an earlier period was confirmed.
create table settlement_statements (
  id text primary key,
  period_start text not null check (period_start ~ '^\d{4}-\d{2}-\d{2}$'),
  period_end text not null check (period_end ~ '^\d{4}-\d{2}-\d{2}$'),
  party text not null,
  franchisee text,
  currency text not null,
  rules jsonb not null,
  net_minor bigint not null,
  state text not null check (state in ('draft', 'confirmed')),
  created_at timestamptz not null default now(),
  confirmed_at timestamptz,
  confirmed_by text references operators (id),
  unique (period_start, period_end, party)
);

create table settlement_lines (
  statement_id text not null references settlement_statements (id),
  line_no integer not null,
  kind text not null check (kind in ('store', 'adjustment')),
  store_id text not null references org_nodes (id),
  description text not null,
  issued_principal_minor bigint not null,
  issued_bonus_minor bigint not null,
  redeemed_principal_minor bigint not null,
  redeemed_bonus_minor bigint not null,
  bonus_funded_minor bigint not null,
  bonus_reimbursed_minor bigint not null,
  service_fee_minor bigint not null,
  net_minor bigint not null,
  primary key (statement_id, line_no)
);

-- A confirmed statement and its lines never change; a draft may be recomputed (deleted and rewritten).
create function settlement_immutable() returns trigger language plpgsql as $$
declare st text;
begin
  if tg_table_name = 'settlement_statements' then
    if old.state = 'confirmed' then
      raise exception 'settlement statement % is confirmed and cannot change', old.id using errcode = 'check_violation';
    end if;
  else
    select state into st from settlement_statements where id = old.statement_id;
    if st = 'confirmed' then
      raise exception 'settlement statement % is confirmed and cannot change', old.statement_id using errcode = 'check_violation';
    end if;
  end if;
  if tg_op = 'DELETE' then return old; end if;
  return new;
end $$;

create trigger settlement_statements_immutable before update or delete on settlement_statements
  for each row execute function settlement_immutable();
create trigger settlement_lines_immutable before update or delete on settlement_lines
  for each row execute function settlement_immutable();

-- Lines added to a confirmed statement are refused too.
create function settlement_lines_insert_check() returns trigger language plpgsql as $$
declare st text;
begin
  select state into st from settlement_statements where id = new.statement_id;
  if st = 'confirmed' then
    raise exception 'settlement statement % is confirmed and cannot change', new.statement_id using errcode = 'check_violation';
  end if;
  return new;
end $$;
create trigger settlement_lines_insert before insert on settlement_lines
  for each row execute function settlement_lines_insert_check();
