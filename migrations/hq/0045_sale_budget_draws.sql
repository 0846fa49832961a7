-- What each sale drew on each promotion's budget (sales.body.promotionUses[].budgetDrawn > 0), one
-- row per sale and promotion, written with the sale at push time (hq-server/push-events.ts). Budgets
-- are summed from here (promotion-budgets.ts budgetDrawn), so the GIN index 0021 built over every
-- sale's parsed body, paid on every sale insert, goes. Only sales that drew a budget have rows.
-- terminal_id is the sale's (sales.terminal_id); the key serves "per promotion" and "per promotion
-- and terminal" alike, and is unique per sale and promotion since a sale has one terminal.
create table sale_budget_draws (
  promotion_id text not null,
  terminal_id text not null,
  sale_id text not null references sales (id),
  drawn bigint not null check (drawn > 0),
  primary key (promotion_id, terminal_id, sale_id)
);

-- The sales recorded so far, read as budgetDrawn read them (a document is a JSON object or a JSON
-- string holding it); a promotion named twice in one sale counts both draws, as the old sum did.
insert into sale_budget_draws (promotion_id, terminal_id, sale_id, drawn)
select u ->> 'promotionId', s.terminal_id, s.id, sum((u ->> 'budgetDrawn')::bigint)
from sales s
  cross join lateral (select (case when jsonb_typeof(s.body) = 'string' then (s.body #>> '{}')::jsonb else s.body end) -> 'promotionUses' as uses) d
  cross join lateral jsonb_array_elements(case when jsonb_typeof(d.uses) = 'array' then d.uses else '[]'::jsonb end) u
where u ->> 'promotionId' is not null and (u ->> 'budgetDrawn')::bigint > 0
group by 1, 2, 3;

drop index if exists sales_promotion_uses;
