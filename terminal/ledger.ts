import { DomainError, invariant } from '../core/errors';
import {
  addBalances,
  assertDeltasBalance,
  evaluateTransfer,
  type Account,
  type AccountCode,
  type BalanceDelta,
  type Balances,
  type LedgerView,
  type PendingStatus,
  type Transfer,
  type TransferKind,
  type TransferCode,
} from '../core/ledger';
import { HQ_HELD_CODES, hqHeldBalances } from './balances';
import { stmt, type TerminalDb } from './db';

/**
 * The terminal's journal: core transfers applied with core `evaluateTransfer` against a
 * LedgerView backed by SQLite. Always inside the caller's transaction, so a document, its
 * transfers and its outbox event commit together or not at all.
 */

interface AccountRow {
  id: string;
  ledger: string;
  code: AccountCode;
  debits_must_not_exceed_credits: number;
  debits_posted: number;
  credits_posted: number;
  debits_pending: number;
  credits_pending: number;
}

interface TransferRow {
  id: string;
  kind: TransferKind;
  debit_account_id: string;
  credit_account_id: string;
  ledger: string;
  amount: number;
  code: TransferCode;
  pending_id: string | null;
  timestamp: number;
  origin_terminal_id: string | null;
  document_id: string | null;
}

function toTransfer(r: TransferRow): Transfer {
  return {
    id: r.id,
    kind: r.kind,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    ledger: r.ledger,
    amount: r.amount,
    code: r.code,
    pendingId: r.pending_id,
    timestamp: r.timestamp,
    originTerminalId: r.origin_terminal_id,
    documentId: r.document_id,
  };
}

/**
 * Ledger state in SQLite. Member accounts (card principal/bonus, points) read as HQ's
 * balance plus this terminal's later work (balances.ts); store and chain accounts read as
 * this journal's totals.
 */
export class SqliteLedgerView implements LedgerView {
  /** Account rows as read during one evaluation; a fresh view sees fresh rows. */
  private readonly rows = new Map<string, AccountRow | undefined>();

  constructor(private readonly db: TerminalDb) {}

  row(id: string): AccountRow | undefined {
    if (!this.rows.has(id)) this.rows.set(id, stmt(this.db, 'SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined);
    return this.rows.get(id);
  }

  account(id: string): Account | undefined {
    const r = this.row(id);
    return r && { id: r.id, ledger: r.ledger, code: r.code, debitsMustNotExceedCredits: r.debits_must_not_exceed_credits === 1 };
  }

  balances(accountId: string): Balances {
    const r = this.row(accountId);
    if (r && HQ_HELD_CODES.has(r.code)) return hqHeldBalances(this.db, accountId);
    return totalsOf(r);
  }

  transfer(id: string): Transfer | undefined {
    const r = stmt(this.db, 'SELECT * FROM transfers WHERE id = ?').get(id) as TransferRow | undefined;
    return r && toTransfer(r);
  }

  pendingStatus(pendingId: string): PendingStatus | undefined {
    const r = stmt(this.db, 'SELECT status FROM pending_transfers WHERE transfer_id = ?').get(pendingId) as { status: PendingStatus } | undefined;
    return r?.status;
  }
}

function totalsOf(r: Pick<AccountRow, 'debits_posted' | 'credits_posted' | 'debits_pending' | 'credits_pending'> | undefined): Balances {
  return {
    debitsPosted: r?.debits_posted ?? 0,
    creditsPosted: r?.credits_posted ?? 0,
    debitsPending: r?.debits_pending ?? 0,
    creditsPending: r?.credits_pending ?? 0,
  };
}

/** This journal's own totals of an account (zero when unknown). */
export function journalTotals(db: TerminalDb, accountId: string): Balances {
  return totalsOf(stmt(db, 'SELECT * FROM accounts WHERE id = ?').get(accountId) as AccountRow | undefined);
}

/** Creates accounts that do not exist yet; existing ones are left as they are. */
export function ensureAccounts(db: TerminalDb, accounts: readonly Account[]): void {
  const insert = stmt(
    db,
    'INSERT INTO accounts (id, ledger, code, debits_must_not_exceed_credits) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  for (const a of accounts) insert.run(a.id, a.ledger, a.code, a.debitsMustNotExceedCredits ? 1 : 0);
}

export interface ApplyOptions {
  /** The outbox event carrying these transfers; null for holds HQ made that we mirror. */
  eventSeq: number | null;
  /**
   * HQ already granted these (Authorize): our view of the card may be a pull behind, so the
   * debits-must-not-exceed-credits rule is HQ's to apply, not ours.
   */
  grantedByHq?: boolean;
}

/** A view that leaves the overdraft rule to HQ, for holds HQ has already granted. */
class GrantedByHqView implements LedgerView {
  constructor(private readonly inner: LedgerView) {}
  account(id: string): Account | undefined {
    const a = this.inner.account(id);
    return a && { ...a, debitsMustNotExceedCredits: false };
  }
  balances(accountId: string): Balances {
    return this.inner.balances(accountId);
  }
  transfer(id: string): Transfer | undefined {
    return this.inner.transfer(id);
  }
  pendingStatus(pendingId: string): PendingStatus | undefined {
    return this.inner.pendingStatus(pendingId);
  }
}

/**
 * Applies `transfers` in order inside the caller's transaction. A transfer already in the
 * journal with the same fields is skipped ("exists"); a refusal throws and, with it, rolls
 * back the caller's transaction: INSUFFICIENT_BALANCE when a member account would go below
 * zero, an invariant error for anything else (that is a bug, not a business outcome).
 * Returns one status per transfer.
 */
export function applyTransfers(db: TerminalDb, transfers: readonly Transfer[], options: ApplyOptions): Array<'created' | 'exists'> {
  invariant(db.inTransaction, 'applyTransfers must run inside a transaction');
  const insertTransfer = stmt(
    db,
    `INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, ledger, amount, code, pending_id, timestamp,
       origin_terminal_id, document_id, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertEffect = stmt(
    db,
    `INSERT INTO transfer_effects (transfer_id, account_id, debits_posted, credits_posted, debits_pending, credits_pending, event_seq)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateTotals = stmt(
    db,
    `UPDATE accounts SET debits_posted = debits_posted + ?, credits_posted = credits_posted + ?,
       debits_pending = debits_pending + ?, credits_pending = credits_pending + ? WHERE id = ?
     RETURNING debits_posted, credits_posted, debits_pending, credits_pending`,
  );
  const setPending = stmt(
    db,
    'INSERT INTO pending_transfers (transfer_id, status) VALUES (?, ?) ON CONFLICT (transfer_id) DO UPDATE SET status = excluded.status',
  );
  return transfers.map((t) => {
    const base = new SqliteLedgerView(db);
    const view: LedgerView = options.grantedByHq ? new GrantedByHqView(base) : base;
    const result = evaluateTransfer(view, t);
    if (result.status === 'exists') return 'exists';
    if (result.status === 'exceeds_credits') {
      throw new DomainError('INSUFFICIENT_BALANCE', `account ${t.debitAccountId} cannot cover ${t.amount}`, { accountId: t.debitAccountId, amount: t.amount });
    }
    invariant(result.status === 'created', `transfer ${t.id} (${t.code}) refused by the ledger: ${result.status}`);
    assertDeltasBalance(result.deltas);
    insertTransfer.run(t.id, t.kind, t.debitAccountId, t.creditAccountId, t.ledger, t.amount, t.code, t.pendingId, t.timestamp, t.originTerminalId, t.documentId, options.eventSeq);
    for (const d of result.deltas) {
      insertEffect.run(t.id, d.accountId, d.debitsPosted, d.creditsPosted, d.debitsPending, d.creditsPending, options.eventSeq);
      const after = updateTotals.get(d.debitsPosted, d.creditsPosted, d.debitsPending, d.creditsPending, d.accountId) as AccountRow | undefined;
      // Pair assertion: what we read back is what we meant to write.
      assertReadBack(d, totalsOf(base.row(d.accountId)), totalsOf(after));
    }
    if (t.kind === 'pending') setPending.run(t.id, 'pending');
    if (result.settles) setPending.run(result.settles.pendingId, result.settles.becomes);
    return 'created';
  });
}

function assertReadBack(d: BalanceDelta, before: Balances, actual: Balances): void {
  const expected = addBalances(before, d);
  invariant(
    expected.debitsPosted === actual.debitsPosted &&
      expected.creditsPosted === actual.creditsPosted &&
      expected.debitsPending === actual.debitsPending &&
      expected.creditsPending === actual.creditsPending,
    `account ${d.accountId} did not read back as written`,
  );
}

/** Sum of debits and sum of credits over the whole journal: equal when it is balanced. */
export function journalTrialBalance(db: TerminalDb): { debits: number; credits: number } {
  return stmt(
    db,
    `SELECT COALESCE(SUM(debits_posted + debits_pending), 0) AS debits,
            COALESCE(SUM(credits_posted + credits_pending), 0) AS credits FROM accounts`,
  ).get() as { debits: number; credits: number };
}
