-- Bank-card payment journal (drivers/payment JournaledPayments): each attempt is written as
-- pending with a fresh ECR reference before the payment terminal hears of it, in the same
-- database as the ledger, so a crash or a lost answer is resolved by a status query and never
-- by charging the card twice. One row per ECR reference; the last state wins.
CREATE TABLE payment_journal (
  ecr_ref TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'refund')),
  document_id TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'not-charged', 'voided', 'unknown')),
  terminal_ref TEXT,
  auth_code TEXT,
  original_ecr_ref TEXT,
  note TEXT,
  updated_at TEXT NOT NULL,
  changed INTEGER NOT NULL
);
CREATE INDEX payment_journal_document ON payment_journal (document_id);

-- References handed out, so that a reference is never reused even if its attempt was never written.
CREATE TABLE payment_journal_refs (
  n INTEGER PRIMARY KEY AUTOINCREMENT
);
