-- Refunds of sales made at another terminal or store (fetched from HQ with GetSale): a refund's
-- sale is no longer always in this terminal's sales, so refunds.sale_id loses its foreign key
-- (SQLite cannot drop one: the table is rebuilt), and the sales refunded here that were made
-- elsewhere are kept as HQ sent them, so the refund's receipt and its sale summary read them back.
CREATE TABLE refunds_rebuilt (
  id TEXT PRIMARY KEY,
  sale_id TEXT NOT NULL,
  member_id TEXT,
  total_minor INTEGER NOT NULL,
  points_reversed INTEGER NOT NULL,
  with_receipt INTEGER NOT NULL,
  completed_at INTEGER NOT NULL,
  event_seq INTEGER NOT NULL,
  document TEXT NOT NULL
);
INSERT INTO refunds_rebuilt (id, sale_id, member_id, total_minor, points_reversed, with_receipt, completed_at, event_seq, document)
  SELECT id, sale_id, member_id, total_minor, points_reversed, with_receipt, completed_at, event_seq, document FROM refunds;
DROP TABLE refunds;
ALTER TABLE refunds_rebuilt RENAME TO refunds;
CREATE INDEX refunds_sale ON refunds (sale_id, completed_at);

CREATE TABLE sales_elsewhere (
  id TEXT PRIMARY KEY,
  terminal_id TEXT NOT NULL,
  store_id TEXT NOT NULL,
  member_id TEXT,
  document TEXT NOT NULL,
  fetched_at INTEGER NOT NULL
);
