-- A top-up is given back once in the chain, and claimed at HQ before any till pays it out.
-- Authorize with a top_up_id takes the claim for its refund (holds.sale_id); the refund's other
-- holds (principal and bonus) share it. Another refund may take it over only once every hold of
-- the claiming refund is voided (released or expired). The primary key is what keeps two tills
-- asking at the same moment to one claim.
alter table holds add column top_up_id text references top_ups (id);
create index holds_top_up on holds (top_up_id, sale_id) where top_up_id is not null;

create table top_up_refund_claims (
  top_up_id text primary key references top_ups (id),
  refund_id text not null,
  claimed_at timestamptz not null default now()
);
