import type { JournalEntry, PaymentJournal } from '../drivers';
import { stmt, type TerminalDb } from './db';

interface Row {
  ecr_ref: string;
  kind: JournalEntry['kind'];
  document_id: string;
  amount_minor: number;
  state: JournalEntry['state'];
  terminal_ref: string | null;
  auth_code: string | null;
  original_ecr_ref: string | null;
  note: string | null;
  updated_at: string;
}

function toEntry(r: Row): JournalEntry {
  return {
    ecrRef: r.ecr_ref,
    kind: r.kind,
    documentId: r.document_id,
    amount_minor: r.amount_minor,
    state: r.state,
    updatedAt: r.updated_at,
    ...(r.terminal_ref !== null ? { terminalRef: r.terminal_ref } : {}),
    ...(r.auth_code !== null ? { authCode: r.auth_code } : {}),
    ...(r.original_ecr_ref !== null ? { originalEcrRef: r.original_ecr_ref } : {}),
    ...(r.note !== null ? { note: r.note } : {}),
  };
}

/**
 * The bank-card payment journal in the terminal's SQLite (synchronous=FULL): a pending attempt
 * is on disk before the payment terminal hears of it, so a crash mid-payment is resolved at the
 * next start (JournaledPayments.recover) instead of charging again.
 */
export class SqlitePaymentJournal implements PaymentJournal {
  private changes = 0;

  constructor(private readonly db: TerminalDb) {
    const r = stmt(db, 'SELECT COALESCE(MAX(changed), 0) AS n FROM payment_journal').get() as { n: number };
    this.changes = r.n;
  }

  nextRef(): string {
    const n = Number(stmt(this.db, 'INSERT INTO payment_journal_refs DEFAULT VALUES').run().lastInsertRowid);
    return n.toString(36).toUpperCase().padStart(6, '0');
  }

  put(e: JournalEntry): void {
    this.changes++;
    stmt(
      this.db,
      `INSERT INTO payment_journal (ecr_ref, seq, kind, document_id, amount_minor, state, terminal_ref, auth_code, original_ecr_ref, note, updated_at, changed)
         VALUES (@ecrRef, @seq, @kind, @documentId, @amount, @state, @terminalRef, @authCode, @originalEcrRef, @note, @updatedAt, @changed)
       ON CONFLICT (ecr_ref) DO UPDATE SET state = excluded.state, terminal_ref = excluded.terminal_ref, auth_code = excluded.auth_code,
         note = excluded.note, updated_at = excluded.updated_at, changed = excluded.changed`,
    ).run({
      ecrRef: e.ecrRef,
      seq: parseInt(e.ecrRef, 36),
      kind: e.kind,
      documentId: e.documentId,
      amount: e.amount_minor,
      state: e.state,
      terminalRef: e.terminalRef ?? null,
      authCode: e.authCode ?? null,
      originalEcrRef: e.originalEcrRef ?? null,
      note: e.note ?? null,
      updatedAt: e.updatedAt,
      changed: this.changes,
    });
  }

  get(ecrRef: string): JournalEntry | undefined {
    const r = stmt(this.db, 'SELECT * FROM payment_journal WHERE ecr_ref = ?').get(ecrRef) as Row | undefined;
    return r && toEntry(r);
  }

  byDocument(documentId: string): JournalEntry[] {
    return (stmt(this.db, 'SELECT * FROM payment_journal WHERE document_id = ? ORDER BY seq').all(documentId) as Row[]).map(toEntry);
  }

  unresolved(): JournalEntry[] {
    return (stmt(this.db, "SELECT * FROM payment_journal WHERE state IN ('pending', 'unknown') ORDER BY seq").all() as Row[]).map(toEntry);
  }
}
