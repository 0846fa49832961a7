-- Items sold by weight (scale labels with GS1 variable-measure codes): the PLU a label carries
-- (digits, no leading zeros, one product per PLU), how the item is sold, and its price per kilogram.
alter table products add column plu text check (plu ~ '^(0|[1-9][0-9]{0,7})$');
alter table products add column sold_by text not null default 'unit' check (sold_by in ('unit', 'weight'));
alter table products add column price_per_kg_minor bigint check (price_per_kg_minor > 0);
alter table products add constraint products_weight_has_price_per_kg check ((sold_by = 'weight') = (price_per_kg_minor is not null));
create unique index products_plu on products (plu) where plu is not null;
