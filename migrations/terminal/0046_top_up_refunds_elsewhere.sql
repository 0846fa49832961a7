-- Top-ups given back here that were made at another terminal or store (fetched from HQ with
-- GetTopUp): a top-up refund's top-up is no longer always in this terminal's top_ups, so
-- top_up_refunds.top_up_id loses its foreign key (SQLite cannot drop one: the table is rebuilt),
-- and each refund keeps its own tender, which the shift's drawer count reads instead of the top-up's.
CREATE TABLE top_up_refunds_rebuilt (
  id TEXT PRIMARY KEY,
  top_up_id TEXT NOT NULL UNIQUE,
  card_id TEXT NOT NULL,
  tender TEXT NOT NULL CHECK (tender IN ('cash', 'bank_card')),
  principal_minor INTEGER NOT NULL,
  bonus_clawed_back_minor INTEGER NOT NULL,
  completed_at INTEGER NOT NULL,
  event_seq INTEGER NOT NULL,
  cashier_id TEXT
);
INSERT INTO top_up_refunds_rebuilt (id, top_up_id, card_id, tender, principal_minor, bonus_clawed_back_minor, completed_at, event_seq, cashier_id)
  SELECT r.id, r.top_up_id, r.card_id, u.tender, r.principal_minor, r.bonus_clawed_back_minor, r.completed_at, r.event_seq, r.cashier_id
  FROM top_up_refunds r JOIN top_ups u ON u.id = r.top_up_id;
DROP TABLE top_up_refunds;
ALTER TABLE top_up_refunds_rebuilt RENAME TO top_up_refunds;
