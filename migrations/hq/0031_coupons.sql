-- Coupon codes of coupon promotions (issue 5): issued in batches, into a member's wallet or as
-- bearer codes; each is used once, by the sale whose document says it consumed it.
create table coupons (
  code text primary key,
  promotion_id text not null references promotions (id),
  member_id text references members (id),
  valid_to date,
  issued_by text not null references operators (id),
  issued_at timestamptz not null default now(),
  used_sale_id text,
  used_at timestamptz,
  -- A second sale presenting a used code (two tills offline at once): kept for people to see.
  reused_by_sale_ids text[] not null default '{}'
);
create index coupons_promotion on coupons (promotion_id);
create index coupons_member on coupons (member_id) where member_id is not null;

do $$
declare def text;
begin
  select pg_get_constraintdef(oid) into def from pg_constraint where conname = 'change_log_kind_check' and conrelid = 'change_log'::regclass;
  if def is not null and position('''coupon''' in def) = 0 then
    execute 'alter table change_log drop constraint change_log_kind_check';
    execute 'alter table change_log add constraint change_log_kind_check ' || replace(def, 'ARRAY[', 'ARRAY[''coupon''::text, ');
  end if;
end $$;
