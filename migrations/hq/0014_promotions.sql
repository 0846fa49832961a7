-- Promotions managed at HQ (issue 5): the definition as data (core/pricing Promotion, JSON),
-- its lifecycle, who wrote and approved it, and each terminal's allotment of a chain-wide budget.
-- Usage and reports are read from the sale documents (sales.body), never from counters.

create table promotions (
  id text primary key,
  org_node_id text not null references org_nodes (id),
  status text not null check (status in ('draft', 'pending_approval', 'scheduled', 'active', 'ended')),
  -- The Promotion as core/pricing's promotionSchema accepts it; its "status" mirrors the column.
  definition jsonb not null,
  version integer not null default 1 check (version >= 1),
  created_by text not null references operators (id),
  updated_by text not null references operators (id),
  submitted_by text references operators (id),
  approved_by text references operators (id),
  approved_at timestamptz,
  ended_by text references operators (id),
  ended_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index promotions_node on promotions (org_node_id);
create index promotions_live on promotions (status) where status in ('scheduled', 'active');

-- What HQ has handed a terminal of a promotion's budget so far (cumulative). The sum over a
-- promotion's terminals never exceeds its budget total (checked under a row lock on the promotion).
create table promotion_allotments (
  promotion_id text not null references promotions (id),
  terminal_id text not null references terminals (id),
  allotted bigint not null check (allotted >= 0),
  updated_at timestamptz not null default now(),
  primary key (promotion_id, terminal_id)
);

-- Sales that used promotions, found by their documents (a GIN index over the promotion ids).
create index sales_promotion_uses on sales using gin ((body -> 'promotionUses') jsonb_path_ops);

-- Promotions travel in the change feed: add 'promotion' to the kinds, keeping whatever others
-- added before this migration ran (the constraint is rebuilt from its current definition).
do $$
declare def text;
begin
  select pg_get_constraintdef(oid) into def from pg_constraint where conname = 'change_log_kind_check' and conrelid = 'change_log'::regclass;
  if def is not null and position('''promotion''' in def) = 0 then
    execute 'alter table change_log drop constraint change_log_kind_check';
    execute 'alter table change_log add constraint change_log_kind_check ' || replace(def, 'ARRAY[', 'ARRAY[''promotion''::text, ');
  end if;
end $$;
