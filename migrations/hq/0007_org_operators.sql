-- Organisation, operators and permissions (issue 6): roles as sets of permissions, grants of a role
-- at a node, sign-in lock-out, operator cards, store moves, and an append-only audit log.

-- Sub-regions are regions under regions; the tree has any depth (hq → region → … → store).
create index org_nodes_parent on org_nodes (parent_id);

-- Where a node sat before each move. History (sales, events, terminals) stays keyed by the node's
-- own id; scope follows the current parent, so this table is the only record of the old place.
create table org_node_moves (
  id bigserial primary key,
  node_id text not null references org_nodes (id),
  from_parent_id text not null references org_nodes (id),
  to_parent_id text not null references org_nodes (id),
  moved_by text,
  moved_at timestamptz not null default now()
);

-- Custom roles (the built-in ones live in code, hq-server/roles.ts, and cannot be changed here).
create table roles (
  code text primary key check (code ~ '^[a-z][a-z0-9_]{1,47}$'),
  name text not null,
  permissions text[] not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- An operator holds a role AT a node: its permissions reach that node's subtree.
create table operator_grants (
  operator_id text not null references operators (id),
  node_id text not null references org_nodes (id),
  role_code text not null,
  granted_by text,
  granted_at timestamptz not null default now(),
  primary key (operator_id, node_id, role_code)
);
create index operator_grants_node on operator_grants (node_id);

-- Every operator's old roles become grants at their own node.
insert into operator_grants (operator_id, node_id, role_code)
  select o.id, o.node_id, r from operators o cross join lateral unnest(o.roles) as r
  on conflict do nothing;

alter table operators add column card_no text unique;
alter table operators add column failed_sign_ins integer not null default 0 check (failed_sign_ins >= 0);
alter table operators add column locked_at timestamptz;
alter table operators add column password_changed_at timestamptz;

-- Operators in the terminals' pull feed (per terminal: only those who may sign in at its store).
alter table change_log drop constraint change_log_kind_check;
alter table change_log add constraint change_log_kind_check
  check (kind in ('member', 'card', 'balance', 'product', 'level', 'setting', 'operator'));
insert into change_log (kind, key) select 'operator', id from operators order by id;

-- Audit: who (operator, their roles at the node), where (node, terminal), what (entity, before/after).
alter table audit_log add column role text;
alter table audit_log add column entity_kind text;
alter table audit_log add column entity_id text;
alter table audit_log add column before jsonb;
alter table audit_log add column after jsonb;
create index audit_log_at on audit_log (at);
create index audit_log_operator on audit_log (operator_id, at);
create index audit_log_node on audit_log (node_id, at);
create index audit_log_entity on audit_log (entity_kind, entity_id);

-- Append-only: no UPDATE, DELETE or TRUNCATE, whoever asks (the API has no route for it either).
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
