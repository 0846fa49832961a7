import { verify } from '@node-rs/argon2';
import { DomainError } from '../core/errors';
import { systemClock, uuidv7, type Clock } from '../core/ids';
import type { TerminalOperator } from '../protocols/sync/v1/codec';
import { stmt, type TerminalDb } from './db';
import { recordEvent } from './outbox';

/**
 * Operators at the till (DESIGN §6): HQ's feed brings those who may sign in at this store with
 * the permissions their grants give here, their argon2id PIN hash, operator card number and
 * HQ's lock flag — never a PIN. Sign-in and supervisor checks run against this cache, offline.
 * The 20th wrong PIN in a row locks the operator at this terminal (recorded in terminal_audit and
 * reported to HQ's audit log as an operator_audit event) until the card or PIN of someone with
 * operator.manage unlocks them (`unlockOperator`).
 */

export const OPERATOR_PIN_MAX_WRONG = 20;

export interface CachedOperator {
  id: string;
  name: string;
  login: string;
  pinHash: string | null;
  cardNo: string | null;
  permissions: string[];
  lockedAtHq: boolean;
  /** Locked at this terminal after too many wrong PINs. */
  lockedHere: boolean;
}

/** Applies one operator change of the pull feed (inside the caller's transaction). */
export function applyOperatorChange(db: TerminalDb, operator: TerminalOperator, deleted: boolean): void {
  if (deleted) {
    stmt(db, 'DELETE FROM operators WHERE id = ?').run(operator.id);
    return;
  }
  stmt(
    db,
    `INSERT INTO operators (id, name, login, pin_hash, card_no, permissions, locked_at_hq) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, login = excluded.login, pin_hash = excluded.pin_hash, card_no = excluded.card_no,
       permissions = excluded.permissions, locked_at_hq = excluded.locked_at_hq`,
  ).run(operator.id, operator.name, operator.login, operator.pinHash, operator.cardNo, JSON.stringify([...operator.permissions].sort()), operator.locked ? 1 : 0);
  // An unlock at HQ newer than the last one seen here lifts this till's PIN lock too.
  const unlockedAt = operator.unlockedAt ?? 0;
  const seen = stmt(db, 'SELECT hq_unlocked_at FROM operators WHERE id = ?').get(operator.id) as { hq_unlocked_at: number };
  if (unlockedAt > seen.hq_unlocked_at) {
    stmt(db, 'UPDATE operators SET hq_unlocked_at = ? WHERE id = ?').run(unlockedAt, operator.id);
    const lifted = stmt(db, 'DELETE FROM operator_pin_failures WHERE operator_id = ?').run(operator.id);
    // HQ's audit log already holds the unlock; this till's trail says where its lock went.
    if (lifted.changes > 0) terminalAudit(db, systemClock, null, 'operator.unlocked_at_hq', { operatorId: operator.id, unlockedAt });
  }
}

interface OperatorRow {
  id: string;
  name: string;
  login: string;
  pin_hash: string | null;
  card_no: string | null;
  permissions: string;
  locked_at_hq: number;
  locked_at: number | null;
}

const SELECT = `SELECT o.*, f.locked_at FROM operators o LEFT JOIN operator_pin_failures f ON f.operator_id = o.id`;

function fromRow(r: OperatorRow): CachedOperator {
  return { id: r.id, name: r.name, login: r.login, pinHash: r.pin_hash, cardNo: r.card_no, permissions: JSON.parse(r.permissions) as string[], lockedAtHq: r.locked_at_hq === 1, lockedHere: r.locked_at !== null };
}

export function operatorById(db: TerminalDb, id: string): CachedOperator | null {
  const r = stmt(db, `${SELECT} WHERE o.id = ?`).get(id) as OperatorRow | undefined;
  return r ? fromRow(r) : null;
}

export function listOperators(db: TerminalDb): CachedOperator[] {
  return (stmt(db, `${SELECT} ORDER BY o.login`).all() as OperatorRow[]).map(fromRow);
}

/** What goes on to HQ's audit log as well (an operator_audit event in the outbox). */
const REPORTED_TO_HQ = new Set(['operator.locked', 'operator.unlocked', 'override.granted', 'shift.opened', 'shift.closed']);

/**
 * Appends to the local audit trail (append-only by trigger); locks, unlocks, overrides and
 * shifts also go to the outbox as operator_audit events, so HQ's audit log holds them. Call it
 * inside the transaction that makes the change.
 */
export function terminalAudit(db: TerminalDb, clock: Clock, operatorId: string | null, action: string, details: Record<string, unknown> = {}): void {
  const at = clock.now();
  stmt(db, 'INSERT INTO terminal_audit (at, operator_id, action, details) VALUES (?, ?, ?, ?)').run(at, operatorId, action, JSON.stringify(details));
  if (!REPORTED_TO_HQ.has(action)) return;
  const { supervisorId, permission, method, ...rest } = details;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  recordEvent(db, {
    id: uuidv7(clock),
    occurredAt: at,
    body: { type: 'operator_audit', audit: { id: uuidv7(clock), action, operatorId, supervisorId: text(supervisorId), permission: text(permission), method: text(method), details: rest, at } },
    transfers: [],
  });
}

/** How an operator proves who they are at the till: login + PIN, or their operator card. */
export type Credential = { login: string; pin: string } | { cardNo: string };

export const credentialMethod = (c: Credential): 'pin' | 'card' => ('cardNo' in c ? 'card' : 'pin');

function assertNotLocked(o: CachedOperator): void {
  if (o.lockedAtHq) throw new DomainError('PIN_LOCKED', `${o.name} is locked at HQ; an administrator must unlock the account`, { operatorId: o.id, where: 'hq' });
  if (o.lockedHere) throw new DomainError('PIN_LOCKED', `${o.name} is locked at this till after ${OPERATOR_PIN_MAX_WRONG} wrong PINs; a manager must unlock`, { operatorId: o.id, where: 'terminal' });
}

/**
 * Who the credential belongs to, checked offline against the cache: the card number as the
 * reader gives it, or the login and the PIN (argon2 verify). Wrong PINs are counted per operator;
 * the 20th in a row locks them here and is audited. Unknown login or card → UNAUTHENTICATED.
 */
export async function verifyCredential(db: TerminalDb, clock: Clock, credential: Credential): Promise<CachedOperator> {
  if ('cardNo' in credential) {
    const r = stmt(db, `${SELECT} WHERE upper(o.card_no) = upper(?)`).get(credential.cardNo.trim()) as OperatorRow | undefined;
    if (!r) throw new DomainError('UNAUTHENTICATED', 'this operator card is not known at this store');
    const o = fromRow(r);
    assertNotLocked(o);
    return o;
  }
  const r = stmt(db, `${SELECT} WHERE o.login = ?`).get(credential.login.trim()) as OperatorRow | undefined;
  if (!r || !r.pin_hash) throw new DomainError('UNAUTHENTICATED', 'no operator with this login may sign in at this store');
  const o = fromRow(r);
  assertNotLocked(o);
  const ok = await verify(r.pin_hash, credential.pin).catch(() => false);
  if (ok) {
    stmt(db, 'DELETE FROM operator_pin_failures WHERE operator_id = ? AND locked_at IS NULL').run(o.id);
    return o;
  }
  const locked = db.transaction(() => {
    const row = stmt(db, 'SELECT failures, locked_at FROM operator_pin_failures WHERE operator_id = ?').get(o.id) as { failures: number; locked_at: number | null } | undefined;
    const failures = (row?.failures ?? 0) + 1;
    const lockNow = failures >= OPERATOR_PIN_MAX_WRONG;
    stmt(db, 'INSERT INTO operator_pin_failures (operator_id, failures, locked_at) VALUES (?, ?, ?) ON CONFLICT (operator_id) DO UPDATE SET failures = excluded.failures, locked_at = excluded.locked_at')
      .run(o.id, failures, lockNow ? clock.now() : null);
    terminalAudit(db, clock, o.id, 'operator.wrong_pin', { failures });
    if (lockNow) terminalAudit(db, clock, o.id, 'operator.locked', { failures, reason: `${OPERATOR_PIN_MAX_WRONG} wrong PINs in a row` });
    return { failures, lockNow };
  })();
  if (locked.lockNow) throw new DomainError('PIN_LOCKED', `${o.name} is now locked at this till after ${OPERATOR_PIN_MAX_WRONG} wrong PINs`, { operatorId: o.id, where: 'terminal' });
  throw new DomainError('WRONG_PIN', `wrong PIN for ${o.login}`, { triesLeft: OPERATOR_PIN_MAX_WRONG - locked.failures });
}

/** Lifts a lock at this terminal; the caller checked operator.manage of whoever unlocks. */
export function unlockOperator(db: TerminalDb, clock: Clock, operatorId: string, by: string): void {
  db.transaction(() => {
    const gone = stmt(db, 'DELETE FROM operator_pin_failures WHERE operator_id = ?').run(operatorId);
    if (gone.changes > 0) terminalAudit(db, clock, by, 'operator.unlocked', { operatorId });
  })();
}
