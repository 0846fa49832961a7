-- Promotions at the till (issue 5): the definitions HQ sent (validated with core/pricing's
-- promotionSchema when pulled), this terminal's allotment of each budget, and what each sale's
-- pricing gave — per line (for refunds by line) and per promotion (labels, member uses, budget drawn).

CREATE TABLE promotions (
  id TEXT PRIMARY KEY,
  org_node_id TEXT NOT NULL,
  definition TEXT NOT NULL,
  -- What HQ has handed this terminal of the budget so far (cumulative); 0 without a budget.
  allotment INTEGER NOT NULL DEFAULT 0 CHECK (allotment >= 0),
  applied_at INTEGER NOT NULL
);

-- Bumped by every promotion change, so checkout prepares the set again only after a change.
CREATE TABLE promotion_generation (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  generation INTEGER NOT NULL DEFAULT 0
);
INSERT INTO promotion_generation (singleton) VALUES (1);

CREATE TABLE sale_promotions (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  promotion_id TEXT NOT NULL,
  label_en TEXT NOT NULL,
  label_zh TEXT NOT NULL,
  -- The adjustment taken off the sale (0 for a gift or a points multiplier).
  amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
  member_uses INTEGER NOT NULL DEFAULT 0,
  budget_kind TEXT CHECK (budget_kind IN ('quantity', 'amount')),
  budget_drawn INTEGER NOT NULL DEFAULT 0 CHECK (budget_drawn >= 0),
  -- The engine's actions for this promotion (gifts, points), JSON, for the sale view and receipt.
  actions TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (sale_id, promotion_id)
);
CREATE INDEX sale_promotions_promotion ON sale_promotions (promotion_id);

CREATE TABLE sale_line_promotions (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  line_no INTEGER NOT NULL,
  promotion_id TEXT NOT NULL,
  discount_minor INTEGER NOT NULL CHECK (discount_minor > 0),
  PRIMARY KEY (sale_id, line_no, promotion_id)
);
