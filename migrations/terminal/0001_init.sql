-- OneCard store terminal: identity, cached master data, the terminal's own ledger journal,
-- sales and top-ups, and the outbox of events for HQ. Amounts are INTEGER minor units.

CREATE TABLE terminal_identity (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  terminal_id TEXT NOT NULL,
  store_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  credential TEXT NOT NULL,
  chain_name TEXT NOT NULL,
  store_name TEXT NOT NULL,
  hq_address TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL
);

-- Master data cached from HQ (PullChanges).
CREATE TABLE member_levels (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  rank INTEGER NOT NULL,
  discount_rate TEXT NOT NULL,
  points_multiplier TEXT NOT NULL,
  offline_limit_minor INTEGER NOT NULL
);

CREATE TABLE products (
  sku TEXT PRIMARY KEY,
  barcode TEXT NOT NULL,
  name TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  category TEXT NOT NULL,
  price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
  excluded_from_member_benefits INTEGER NOT NULL,
  active INTEGER NOT NULL
);
CREATE INDEX products_barcode ON products (barcode);

CREATE TABLE members (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  phone TEXT NOT NULL,
  birthday TEXT,
  level_code TEXT NOT NULL,
  home_store_id TEXT NOT NULL
);

CREATE TABLE cards (
  id TEXT PRIMARY KEY,
  member_id TEXT NOT NULL,
  card_no TEXT NOT NULL,
  medium TEXT NOT NULL,
  status TEXT NOT NULL,
  expires_on TEXT
);
CREATE INDEX cards_card_no ON cards (card_no);

-- HQ's view of member accounts, as of the highest seq of this terminal's events HQ had
-- applied (as_of_applied_seq) and the pull that brought it (snapshot_gen, see balances.ts).
CREATE TABLE hq_balances (
  account_id TEXT PRIMARY KEY,
  ledger TEXT NOT NULL,
  posted INTEGER NOT NULL,
  held INTEGER NOT NULL,
  as_of_applied_seq INTEGER NOT NULL,
  snapshot_gen INTEGER NOT NULL
);

CREATE TABLE sync_state (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  pull_cursor INTEGER NOT NULL DEFAULT 0,
  pulls_started INTEGER NOT NULL DEFAULT 0,
  last_acked_seq INTEGER NOT NULL DEFAULT 0,
  last_contact_at INTEGER
);
INSERT INTO sync_state (singleton) VALUES (1);

-- The terminal's own double-entry journal. Totals are of this journal only.
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  ledger TEXT NOT NULL,
  code TEXT NOT NULL,
  debits_must_not_exceed_credits INTEGER NOT NULL,
  debits_posted INTEGER NOT NULL DEFAULT 0,
  credits_posted INTEGER NOT NULL DEFAULT 0,
  debits_pending INTEGER NOT NULL DEFAULT 0,
  credits_pending INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('single', 'pending', 'post_pending', 'void_pending')),
  debit_account_id TEXT NOT NULL REFERENCES accounts (id),
  credit_account_id TEXT NOT NULL REFERENCES accounts (id),
  ledger TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  code TEXT NOT NULL,
  pending_id TEXT REFERENCES transfers (id),
  timestamp INTEGER NOT NULL,
  origin_terminal_id TEXT,
  document_id TEXT,
  -- The outbox event that carries it; NULL for holds HQ made (mirrored here).
  event_seq INTEGER
);
CREATE INDEX transfers_document ON transfers (document_id);

-- Transfers are immutable: a correction is a new transfer.
CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;

CREATE TABLE pending_transfers (
  transfer_id TEXT PRIMARY KEY REFERENCES transfers (id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'voided'))
);

-- What each transfer did to each account, so balances can be summed over later events.
CREATE TABLE transfer_effects (
  transfer_id TEXT NOT NULL REFERENCES transfers (id),
  account_id TEXT NOT NULL REFERENCES accounts (id),
  debits_posted INTEGER NOT NULL,
  credits_posted INTEGER NOT NULL,
  debits_pending INTEGER NOT NULL,
  credits_pending INTEGER NOT NULL,
  event_seq INTEGER,
  PRIMARY KEY (transfer_id, account_id)
);
CREATE INDEX transfer_effects_account ON transfer_effects (account_id, event_seq);

CREATE TABLE sales (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('open', 'completed', 'cancelled')),
  opened_at INTEGER NOT NULL,
  member_id TEXT,
  card_id TEXT,
  total_minor INTEGER NOT NULL DEFAULT 0,
  points_earned INTEGER NOT NULL DEFAULT 0,
  completed_at INTEGER,
  cancelled_at INTEGER,
  event_seq INTEGER
);

CREATE TABLE sale_lines (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  line_no INTEGER NOT NULL,
  sku TEXT NOT NULL,
  barcode TEXT NOT NULL,
  name TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_minor INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  eligible_for_member_benefits INTEGER NOT NULL,
  PRIMARY KEY (sale_id, line_no)
);

CREATE TABLE sale_tenders (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  tender_no INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('cash', 'bank_card', 'stored_value')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  tendered_minor INTEGER NOT NULL DEFAULT 0,
  change_minor INTEGER NOT NULL DEFAULT 0,
  reference TEXT NOT NULL DEFAULT '',
  card_id TEXT,
  hold_id TEXT,
  PRIMARY KEY (sale_id, tender_no)
);

-- Stored-value holds asked of HQ. The row is written before Authorize is sent, so a hold
-- whose answer was lost is still known and can be released.
CREATE TABLE holds (
  hold_id TEXT PRIMARY KEY,
  sale_id TEXT NOT NULL REFERENCES sales (id),
  card_id TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('authorizing', 'authorized', 'refused', 'unknown', 'captured', 'released')),
  authorized_gen INTEGER,
  expires_at INTEGER,
  created_at INTEGER NOT NULL
);

CREATE TABLE hold_legs (
  transfer_id TEXT PRIMARY KEY REFERENCES transfers (id),
  hold_id TEXT NOT NULL REFERENCES holds (hold_id),
  account_id TEXT NOT NULL,
  part TEXT NOT NULL CHECK (part IN ('principal', 'bonus')),
  amount INTEGER NOT NULL CHECK (amount > 0)
);
CREATE INDEX hold_legs_account ON hold_legs (account_id);

CREATE TABLE top_ups (
  id TEXT PRIMARY KEY,
  member_id TEXT NOT NULL,
  card_id TEXT NOT NULL,
  tender TEXT NOT NULL CHECK (tender IN ('cash', 'bank_card')),
  principal_minor INTEGER NOT NULL CHECK (principal_minor > 0),
  bonus_minor INTEGER NOT NULL CHECK (bonus_minor >= 0),
  completed_at INTEGER NOT NULL,
  event_seq INTEGER NOT NULL
);

-- Events for HQ, written in the same transaction as their documents and transfers.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  acked_at INTEGER
);
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox rows are kept'); END;
