import { invariant } from '../core/errors';
import type { Transfer } from '../core/ledger';
import type { EventBody, SyncEvent } from '../protocols/sync/v1/codec';
import { stmt, type TerminalDb } from './db';
import { applyTransfers } from './ledger';

/**
 * The outbox: one event per business document, written in the same SQLite transaction as
 * the document and its transfers, with the next seq (strictly increasing from 1).
 * Nothing leaves the terminal before that transaction commits.
 */

/** Seq the next event will get. Rows are never deleted, so max + 1 never reuses a seq. */
function nextSeq(db: TerminalDb): number {
  const r = stmt(db, 'SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox').get() as { seq: number };
  return r.seq + 1;
}

/**
 * Applies `transfers` to the journal and appends the event carrying them, inside the
 * caller's transaction. Returns the event as written. `overdraftAllowed`: debits already
 * accepted within the offline limits, which HQ applies even when they overdraw (it books the
 * overdraft as the store's exposure), so the terminal must not refuse them either.
 */
export function recordEvent(
  db: TerminalDb,
  input: { id: string; occurredAt: number; body: EventBody; transfers: Transfer[]; overdraftAllowed?: boolean },
): SyncEvent {
  invariant(db.inTransaction, 'recordEvent must run inside a transaction');
  const seq = nextSeq(db);
  applyTransfers(db, input.transfers, { eventSeq: seq, grantedByHq: input.overdraftAllowed === true });
  const event: SyncEvent = { seq, id: input.id, occurredAt: input.occurredAt, body: input.body, transfers: input.transfers };
  stmt(db, 'INSERT INTO outbox (seq, event_id, body, created_at) VALUES (?, ?, ?, ?)').run(seq, input.id, JSON.stringify(event), input.occurredAt);
  return event;
}

/** Unacknowledged events in seq order, at most `limit`. */
export function unackedEvents(db: TerminalDb, limit: number): SyncEvent[] {
  const rows = stmt(db, 'SELECT body FROM outbox WHERE acked_at IS NULL ORDER BY seq LIMIT ?').all(limit) as Array<{ body: string }>;
  return rows.map((r) => JSON.parse(r.body) as SyncEvent);
}

/** Marks every event up to `ackedSeq` acknowledged by HQ. */
export function markAcked(db: TerminalDb, ackedSeq: number, at: number): void {
  db.transaction(() => {
    stmt(db, 'UPDATE outbox SET acked_at = ? WHERE seq <= ? AND acked_at IS NULL').run(at, ackedSeq);
    stmt(db, 'UPDATE sync_state SET last_acked_seq = MAX(last_acked_seq, ?)').run(ackedSeq);
  })();
}

/** Whether HQ has acknowledged the event with this seq (false for one still in the outbox). */
export function isAcked(db: TerminalDb, seq: number): boolean {
  return (stmt(db, 'SELECT acked_at FROM outbox WHERE seq = ?').get(seq) as { acked_at: number | null } | undefined)?.acked_at != null;
}

/** Events HQ has not acknowledged yet. */
export function outboxDepth(db: TerminalDb): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM outbox WHERE acked_at IS NULL').get() as { n: number }).n;
}

export function allEvents(db: TerminalDb): SyncEvent[] {
  return (stmt(db, 'SELECT body FROM outbox ORDER BY seq').all() as Array<{ body: string }>).map((r) => JSON.parse(r.body) as SyncEvent);
}
