-- The hash chain over a terminal's events (protocols/sync/v1/day-close.ts) up to a seq, kept once
-- every event 1..seq is stored: stored events never change, so the link never does. Reconciliation
-- starts from the latest checkpoint instead of hashing the terminal's whole history every day.
create table event_chain_checkpoints (
  terminal_id text not null references terminals (id),
  seq bigint not null check (seq >= 1),
  chain text not null check (chain ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  primary key (terminal_id, seq)
);
