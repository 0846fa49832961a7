-- Price overrides and manual discounts at checkout (core/manual-discount.ts). A line whose unit
-- price the cashier replaced keeps the list price, the reason and its approval (JSON); manual
-- discounts are applied after the promotions in discount_no order, each line's share kept so a
-- refund of the line returns what was paid for it.
ALTER TABLE sale_lines ADD COLUMN price_override TEXT;

CREATE TABLE sale_manual_discounts (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  discount_no INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  -- NULL: the whole basket
  line_no INTEGER,
  kind TEXT NOT NULL CHECK (kind IN ('amount', 'percent')),
  amount_minor INTEGER CHECK (amount_minor > 0),
  percent TEXT,
  rounding TEXT,
  reason TEXT NOT NULL,
  override_id TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  -- what it takes off the sale as priced now
  discount_minor INTEGER NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
  PRIMARY KEY (sale_id, discount_no)
);

CREATE TABLE sale_line_manual_discounts (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  line_no INTEGER NOT NULL,
  discount_id TEXT NOT NULL,
  discount_minor INTEGER NOT NULL CHECK (discount_minor > 0),
  PRIMARY KEY (sale_id, line_no, discount_id)
);
