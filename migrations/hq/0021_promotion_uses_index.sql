-- Sale documents are stored as they came (some rows hold the document as a JSON string, some as
-- an object), so promotion usage is read through one expression that yields the object either
-- way; index that expression instead of the plain path 0014 indexed.
drop index if exists sales_promotion_uses;
create index sales_promotion_uses on sales using gin (
  ((case when jsonb_typeof(body) = 'string' then (body #>> '{}')::jsonb else body end) -> 'promotionUses') jsonb_path_ops
);
