-- Operators at the till (issue 6): the operator cache synced from HQ (hashes only), PIN lock-out
-- at this terminal, who is signed in, shifts, supervisor overrides and a local audit trail.

CREATE TABLE operators (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  login TEXT NOT NULL,
  pin_hash TEXT,
  card_no TEXT,
  -- JSON array of the permissions the operator's grants give at this store
  permissions TEXT NOT NULL,
  -- locked at HQ (wrong passwords there); a lock here is in operator_pin_failures
  locked_at_hq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX operators_login ON operators (login);
CREATE INDEX operators_card ON operators (card_no);

-- Consecutive wrong PINs per operator at this terminal; the 20th locks them here.
CREATE TABLE operator_pin_failures (
  operator_id TEXT PRIMARY KEY,
  failures INTEGER NOT NULL CHECK (failures >= 0),
  locked_at INTEGER
);

-- Who is signed in at this till now (one at a time); ended sessions stay as history.
CREATE TABLE operator_sessions (
  id TEXT PRIMARY KEY,
  operator_id TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('pin', 'card')),
  signed_in_at INTEGER NOT NULL,
  signed_out_at INTEGER
);
CREATE UNIQUE INDEX operator_sessions_one_open ON operator_sessions ((1)) WHERE signed_out_at IS NULL;

-- A cashier's shift on this till: float in, counted cash out, X/Z totals from the journal.
CREATE TABLE shifts (
  id TEXT PRIMARY KEY,
  operator_id TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  float_minor INTEGER NOT NULL CHECK (float_minor >= 0),
  closed_at INTEGER,
  counted_cash_minor INTEGER,
  expected_cash_minor INTEGER,
  -- the Z report as JSON
  z_report TEXT
);
CREATE UNIQUE INDEX shifts_one_open ON shifts ((1)) WHERE closed_at IS NULL;

-- Append-only local audit: sign-ins, PIN locks, shifts, overrides (locks, overrides and shifts also go
-- to HQ as operator_audit events in the outbox).
CREATE TABLE terminal_audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  operator_id TEXT,
  action TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER terminal_audit_no_update BEFORE UPDATE ON terminal_audit BEGIN SELECT RAISE(ABORT, 'terminal_audit is append-only'); END;
CREATE TRIGGER terminal_audit_no_delete BEFORE DELETE ON terminal_audit BEGIN SELECT RAISE(ABORT, 'terminal_audit is append-only'); END;

-- Every supervisor override: who was signed in, who approved, for what, how, when.
CREATE TABLE overrides (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  cashier_id TEXT,
  supervisor_id TEXT NOT NULL,
  permission TEXT NOT NULL,
  action TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('pin', 'card', 'own')),
  details TEXT NOT NULL DEFAULT '{}',
  used_at INTEGER
);
