-- Items sold by weight: the catalog's PLU, sold-by and price per kilogram (as HQ sends them), and on
-- a weighed sale line its weight, the price per kilogram it was weighed at, and whether the weight
-- was worked back from a price the scale printed. A weighed line is one unit at its weighed amount.
ALTER TABLE products ADD COLUMN plu TEXT;
ALTER TABLE products ADD COLUMN sold_by TEXT NOT NULL DEFAULT 'unit' CHECK (sold_by IN ('unit', 'weight'));
ALTER TABLE products ADD COLUMN price_per_kg_minor INTEGER CHECK (price_per_kg_minor > 0);
CREATE INDEX products_plu ON products (plu);

ALTER TABLE sale_lines ADD COLUMN grams INTEGER CHECK (grams > 0);
ALTER TABLE sale_lines ADD COLUMN price_per_kg_minor INTEGER;
ALTER TABLE sale_lines ADD COLUMN weight_derived INTEGER NOT NULL DEFAULT 0;
