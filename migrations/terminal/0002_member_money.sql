-- Member money model at the terminal (issue 3): chain settings, the store's time zone, card
-- PINs, points as a tender, holds for any document and asset, offline debits, refunds,
-- top-up refunds and gift redemptions.

-- Chain settings synced from HQ (one row per ChainSettings key, JSON as HQ sent it); a key
-- without a row takes its default (core/settings.ts).
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- IANA zone of the store, from enrollment (HQ fills it; Asia/Shanghai when it did not).
ALTER TABLE terminal_identity ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai';

-- argon2id hash of the card PIN; NULL when the card has none.
ALTER TABLE cards ADD COLUMN pin_hash TEXT;

-- Wrong PINs in a row per card at this terminal; locked_until > now locks the card here.
CREATE TABLE pin_attempts (
  card_id TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until INTEGER
);

-- Holds now reserve stored value or points, for a sale, a top-up refund or a gift redemption.
-- sale_id is the document the hold is for (any of those), so it no longer references sales.
-- Rebuilt by renaming the old tables first, so SQLite carries the foreign keys across.
ALTER TABLE hold_legs RENAME TO hold_legs_0001;
ALTER TABLE holds RENAME TO holds_0001;
CREATE TABLE holds (
  hold_id TEXT PRIMARY KEY,
  sale_id TEXT NOT NULL,
  purpose TEXT NOT NULL DEFAULT 'sale' CHECK (purpose IN ('sale', 'top_up_refund', 'gift_redemption')),
  asset TEXT NOT NULL DEFAULT 'stored_value' CHECK (asset IN ('stored_value', 'points')),
  -- stored value only: the one part asked for (principal | bonus); NULL = by spending order
  part TEXT CHECK (part IS NULL OR part IN ('principal', 'bonus')),
  card_id TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('authorizing', 'authorized', 'refused', 'unknown', 'captured', 'released')),
  authorized_gen INTEGER,
  expires_at INTEGER,
  created_at INTEGER NOT NULL
);
INSERT INTO holds (hold_id, sale_id, card_id, amount_minor, status, authorized_gen, expires_at, created_at)
  SELECT hold_id, sale_id, card_id, amount_minor, status, authorized_gen, expires_at, created_at FROM holds_0001;
CREATE INDEX holds_sale ON holds (sale_id);
CREATE INDEX holds_status ON holds (status);

CREATE TABLE hold_legs (
  transfer_id TEXT PRIMARY KEY REFERENCES transfers (id),
  hold_id TEXT NOT NULL REFERENCES holds (hold_id),
  account_id TEXT NOT NULL,
  part TEXT NOT NULL CHECK (part IN ('principal', 'bonus', 'points')),
  amount INTEGER NOT NULL CHECK (amount > 0)
);
INSERT INTO hold_legs (transfer_id, hold_id, account_id, part, amount) SELECT transfer_id, hold_id, account_id, part, amount FROM hold_legs_0001;
DROP TABLE hold_legs_0001;
DROP TABLE holds_0001;
CREATE INDEX hold_legs_account ON hold_legs (account_id);
CREATE INDEX hold_legs_hold ON hold_legs (hold_id);

-- Tenders may now be points (积分抵现): `points` paid `amount_minor`, hold_id as for stored value.
ALTER TABLE sale_tenders RENAME TO sale_tenders_0001;
CREATE TABLE sale_tenders (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  tender_no INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('cash', 'bank_card', 'stored_value', 'points')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  tendered_minor INTEGER NOT NULL DEFAULT 0,
  change_minor INTEGER NOT NULL DEFAULT 0,
  reference TEXT NOT NULL DEFAULT '',
  card_id TEXT,
  hold_id TEXT,
  points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
  -- taken while HQ was unreachable (no hold; the legs are in offline_debits)
  offline INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (sale_id, tender_no)
);
INSERT INTO sale_tenders (sale_id, tender_no, kind, amount_minor, tendered_minor, change_minor, reference, card_id, hold_id)
  SELECT sale_id, tender_no, kind, amount_minor, tendered_minor, change_minor, reference, card_id, hold_id FROM sale_tenders_0001;
DROP TABLE sale_tenders_0001;

CREATE INDEX sales_member ON sales (member_id, completed_at);
CREATE INDEX sales_card ON sales (card_id, completed_at);

-- Stored value and points taken while HQ was unreachable, one row per tender, written with the
-- tender. Counted against the offline limits while its sale is open, and until HQ acknowledges
-- the sale's event (outbox.acked_at); a cancelled sale's rows no longer count.
CREATE TABLE offline_debits (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  tender_no INTEGER NOT NULL,
  card_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  asset TEXT NOT NULL CHECK (asset IN ('stored_value', 'points')),
  -- the money value debited (stored value, or what the points paid)
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  principal_minor INTEGER NOT NULL DEFAULT 0,
  bonus_minor INTEGER NOT NULL DEFAULT 0,
  points INTEGER NOT NULL DEFAULT 0,
  -- store-local date (YYYY-MM-DD) for the card's daily limit
  local_date TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (sale_id, tender_no)
);
CREATE INDEX offline_debits_card ON offline_debits (card_id, local_date);
CREATE INDEX offline_debits_member ON offline_debits (member_id);

-- Refunds (退货) of this terminal's sales; `document` is the RefundDocument as sent to HQ.
CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  sale_id TEXT NOT NULL REFERENCES sales (id),
  member_id TEXT,
  total_minor INTEGER NOT NULL,
  points_reversed INTEGER NOT NULL,
  with_receipt INTEGER NOT NULL,
  completed_at INTEGER NOT NULL,
  event_seq INTEGER NOT NULL,
  document TEXT NOT NULL
);
CREATE INDEX refunds_sale ON refunds (sale_id, completed_at);

CREATE TABLE top_up_refunds (
  id TEXT PRIMARY KEY,
  top_up_id TEXT NOT NULL UNIQUE REFERENCES top_ups (id),
  card_id TEXT NOT NULL,
  principal_minor INTEGER NOT NULL,
  bonus_clawed_back_minor INTEGER NOT NULL,
  completed_at INTEGER NOT NULL,
  event_seq INTEGER NOT NULL
);

CREATE TABLE gift_redemptions (
  id TEXT PRIMARY KEY,
  member_id TEXT NOT NULL,
  card_id TEXT NOT NULL,
  gift_sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  points INTEGER NOT NULL CHECK (points > 0),
  completed_at INTEGER NOT NULL,
  event_seq INTEGER NOT NULL
);
