import {
  addBalances,
  assertDeltasBalance,
  evaluateTransfer,
  ZERO_BALANCES,
  type Account,
  type AccountCode,
  type Balances,
  type LedgerView,
  type PendingStatus,
  type Transfer,
  type TransferCode,
  type TransferKind,
  type TransferStatus,
} from '../core/ledger';
import { invariant } from '../core/errors';
import type { Db } from './database';

/**
 * The chain ledger in PostgreSQL. The rules are core/ledger.ts's evaluateTransfer, run over
 * a view of rows this transaction has locked (accounts FOR UPDATE, in id order, so concurrent
 * batches cannot deadlock); the effects are then written as increments and read back
 * (pair assertion), with the accounts' CHECK constraints as a last line of defence.
 */

/** Statuses that mean "this transfer is in the ledger": made now, or before with the same fields. */
export function isApplied(status: TransferStatus): boolean {
  return status === 'created' || status === 'exists';
}

/**
 * Pending totals are cached only on accounts with a limit, the only ones whose check reads them.
 * A limit-free house account (a store's sales, the chain's points) is the other side of every
 * hold of its store or chain: a cached pending total there would make all of them queue on its
 * row. Its pending total is the sum of its pending transfers.
 */
export const cachesPending = (account: Pick<Account, 'debitsMustNotExceedCredits'>): boolean => account.debitsMustNotExceedCredits;

export const MEMBER_ACCOUNT_CODES: ReadonlySet<AccountCode> = new Set(['CARD_PRINCIPAL', 'CARD_BONUS', 'MEMBER_POINTS']);

interface TransferRow {
  id: string;
  kind: string;
  debit_account_id: string;
  credit_account_id: string;
  ledger: string;
  amount: number;
  code: string;
  pending_id: string | null;
  pending_state: string | null;
  timestamp: number;
  origin_terminal_id: string | null;
  document_id: string | null;
}

export function transferFromRow(r: TransferRow): Transfer {
  return {
    id: r.id,
    kind: r.kind as TransferKind,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    ledger: r.ledger,
    amount: r.amount,
    code: r.code as TransferCode,
    pendingId: r.pending_id,
    timestamp: r.timestamp,
    originTerminalId: r.origin_terminal_id,
    documentId: r.document_id,
  };
}

export interface ApplyResult {
  statuses: TransferStatus[];
  /** Every transfer is created or exists (in atomic mode nothing was written unless this holds). */
  ok: boolean;
  created: Transfer[];
  /** Accounts whose balances changed. */
  touched: string[];
}

/** Pending changes of one apply() call, over the transaction's view. */
class Overlay implements LedgerView {
  readonly balanceChanges = new Map<string, Balances>();
  readonly created = new Map<string, Transfer>();
  readonly settles = new Map<string, PendingStatus>();
  constructor(private readonly base: LedgerTx) {}
  account(id: string) {
    return this.base.account(id);
  }
  balances(id: string) {
    return this.balanceChanges.get(id) ?? this.base.balances(id);
  }
  transfer(id: string) {
    return this.created.get(id) ?? this.base.transfer(id);
  }
  pendingStatus(id: string) {
    return this.settles.get(id) ?? this.base.pendingStatus(id);
  }
}

/** The ledger as one PostgreSQL transaction sees it. Use one per transaction. */
export class LedgerTx implements LedgerView {
  private readonly accounts = new Map<string, Account>();
  private readonly balanceMap = new Map<string, Balances>();
  private readonly transfers = new Map<string, Transfer>();
  private readonly pending = new Map<string, PendingStatus>();
  private readonly lockedAccountIds = new Set<string>();
  /** Limit-free accounts read without a lock (lockHoldAccounts): their cached totals may not change. */
  private readonly unlockedAccountIds = new Set<string>();
  /** Limit-free accounts read without a lock and locked when their increments are written (lockAccountsLimitFreeAtWrite). */
  private readonly lockedAtWriteIds = new Set<string>();
  private readonly lookedUpTransferIds = new Set<string>();

  constructor(private readonly tx: Db) {}

  account(id: string): Account | undefined {
    invariant(this.lockedAccountIds.has(id) || this.unlockedAccountIds.has(id) || this.lockedAtWriteIds.has(id), `account ${id} read before it was locked`);
    return this.accounts.get(id);
  }
  balances(id: string): Balances {
    return this.balanceMap.get(id) ?? ZERO_BALANCES;
  }
  transfer(id: string): Transfer | undefined {
    invariant(this.lookedUpTransferIds.has(id), `transfer ${id} read before it was loaded`);
    return this.transfers.get(id);
  }
  pendingStatus(id: string): PendingStatus | undefined {
    return this.pending.get(id);
  }

  /** Codes of accounts this transaction has locked (undefined when unknown). */
  accountCode(id: string): AccountCode | undefined {
    return this.accounts.get(id)?.code;
  }

  /**
   * Locks the accounts `transfers` (and `extraAccountIds`) touch, in id order, then loads the
   * transfers they name (their own ids and pending ids). Lock everything a transaction needs in
   * one call: accounts locked by a later call are not in global order with the first.
   */
  async load(transfers: readonly Transfer[], extraAccountIds: readonly string[] = []): Promise<void> {
    const accountIds = new Set<string>(extraAccountIds);
    const transferIds = new Set<string>();
    for (const t of transfers) {
      accountIds.add(t.debitAccountId);
      accountIds.add(t.creditAccountId);
      transferIds.add(t.id);
      if (t.pendingId) transferIds.add(t.pendingId);
    }
    await this.lockAccounts([...accountIds]);
    await this.loadTransfers([...transferIds]);
  }

  async lockAccounts(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.lockedAccountIds.has(id)).sort();
    if (missing.length === 0) return;
    // NO KEY UPDATE excludes other lockers alike, yet lets other transactions insert transfers
    // that name the account (their foreign-key check takes KEY SHARE).
    const rows = await this.tx`
      select id, ledger, code, debits_must_not_exceed_credits, debits_posted, credits_posted, debits_pending, credits_pending
      from accounts where id = any(${missing}::text[]) order by id for no key update`;
    for (const id of missing) this.lockedAccountIds.add(id);
    this.remember(rows);
  }

  /**
   * For making and releasing holds, which change no cached total of a limit-free account
   * (cachesPending): locks the accounts of `ids` that have a limit, in id order, and reads the
   * limit-free ones without a lock, in one statement. So holds of different members at one store
   * do not queue on the store's row. The statement is handed to the connection at the call, so
   * queries made after it (pipelined) run after the lock is taken.
   */
  async lockHoldAccounts(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.lockedAccountIds.has(id) && !this.unlockedAccountIds.has(id)).sort();
    if (missing.length === 0) return;
    const rows = await this.tx`
      with locked as (
        select id, ledger, code, debits_must_not_exceed_credits, debits_posted, credits_posted, debits_pending, credits_pending
        from accounts where id = any(${missing}::text[]) and debits_must_not_exceed_credits order by id for no key update)
      select * from locked
      union all
      select id, ledger, code, debits_must_not_exceed_credits, debits_posted, credits_posted, debits_pending, credits_pending
      from accounts where id = any(${missing}::text[]) and not debits_must_not_exceed_credits`.execute();
    const limitFree = new Set(rows.filter((r) => !r.debits_must_not_exceed_credits).map((r) => r.id as string));
    for (const id of missing) (limitFree.has(id) ? this.unlockedAccountIds : this.lockedAccountIds).add(id);
    this.remember(rows);
  }

  /**
   * For checks that read no limit-free balance (core's rules read only the balances of accounts
   * with a limit): locks, in id order, the accounts of `ids` with a limit and the limit-free ones
   * that sort before one of them; the limit-free accounts sorting after the last of them (a
   * store's cash and sales, the other side of every sale there) are read without a lock and
   * locked, in id order, when their increments are written (persist). So the tills of one store
   * check their batches side by side and queue only for the write and the commit, and every
   * transaction still takes its account locks in increasing id order. Lock everything in one call.
   */
  async lockAccountsLimitFreeAtWrite(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.lockedAccountIds.has(id) && !this.lockedAtWriteIds.has(id)).sort();
    if (missing.length === 0) return;
    const rows = await this.tx`
      with last_limited as (select max(id) as id from accounts where id = any(${missing}::text[]) and debits_must_not_exceed_credits),
      locked as (
        select id, ledger, code, debits_must_not_exceed_credits, debits_posted, credits_posted, debits_pending, credits_pending
        from accounts where id = any(${missing}::text[]) and (debits_must_not_exceed_credits or id < (select id from last_limited))
        order by id for no key update)
      select *, true as locked from locked
      union all
      select id, ledger, code, debits_must_not_exceed_credits, debits_posted, credits_posted, debits_pending, credits_pending, false as locked
      from accounts where id = any(${missing}::text[]) and not debits_must_not_exceed_credits
        and (id > (select id from last_limited) or (select id from last_limited) is null)`.execute();
    const atWrite = new Set(rows.filter((r) => !r.locked).map((r) => r.id as string));
    for (const id of missing) (atWrite.has(id) ? this.lockedAtWriteIds : this.lockedAccountIds).add(id);
    this.remember(rows);
  }

  private remember(rows: readonly Record<string, any>[]): void {
    for (const r of rows) {
      this.accounts.set(r.id, { id: r.id, ledger: r.ledger, code: r.code, debitsMustNotExceedCredits: r.debits_must_not_exceed_credits });
      const b = { debitsPosted: r.debits_posted, creditsPosted: r.credits_posted, debitsPending: r.debits_pending, creditsPending: r.credits_pending };
      this.balanceMap.set(r.id, b);
      this.persisted.set(r.id, b);
    }
  }

  /** Loads transfers by id; read after the accounts they move are locked, so they are current. */
  async loadTransfers(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.lookedUpTransferIds.has(id));
    if (missing.length === 0) return;
    const rows = await this.tx<TransferRow[]>`
      select id, kind, debit_account_id, credit_account_id, ledger, amount, code, pending_id, pending_state,
             "timestamp", origin_terminal_id, document_id
      from transfers where id = any(${missing}::text[])`;
    for (const id of missing) this.lookedUpTransferIds.add(id);
    for (const r of rows) {
      this.transfers.set(r.id, transferFromRow(r));
      if (r.pending_state) this.pending.set(r.id, r.pending_state as PendingStatus);
    }
  }

  /**
   * Evaluates `transfers` in order with core's rules and writes the ones created. Atomic: all
   * must be created or exist, else nothing is written. Not atomic: each stands alone, as
   * LedgerBook.createTransfers does. Everything named must have been load()ed first.
   * With `defer`, the effects join this transaction's view at once and reach PostgreSQL at
   * flush(): one bulk write for a whole batch.
   */
  async apply(transfers: readonly Transfer[], options: { atomic: boolean; defer?: boolean }): Promise<ApplyResult> {
    const overlay = new Overlay(this);
    const statuses: TransferStatus[] = [];
    for (const t of transfers) {
      const evaluation = evaluateTransfer(overlay, t);
      statuses.push(evaluation.status);
      if (evaluation.status !== 'created') continue;
      assertDeltasBalance(evaluation.deltas);
      for (const d of evaluation.deltas) {
        const cached = cachesPending(overlay.account(d.accountId)!) ? d : { ...d, debitsPending: 0, creditsPending: 0 };
        if (cached.debitsPosted === 0 && cached.creditsPosted === 0 && cached.debitsPending === 0 && cached.creditsPending === 0) continue;
        overlay.balanceChanges.set(d.accountId, addBalances(overlay.balances(d.accountId), cached));
      }
      overlay.created.set(t.id, { ...t });
      if (t.kind === 'pending') overlay.settles.set(t.id, 'pending');
      if (evaluation.settles) overlay.settles.set(evaluation.settles.pendingId, evaluation.settles.becomes);
    }
    const ok = statuses.every(isApplied);
    if (options.atomic && !ok) return { statuses, ok, created: [], touched: [] };
    const created = [...overlay.created.values()];
    const touched = [...overlay.balanceChanges.keys()].sort();
    if (options.defer) {
      this.merge(overlay);
      for (const t of created) this.unwritten.push(t);
      for (const [id, state] of overlay.settles) if (!overlay.created.has(id)) this.unwrittenSettles.set(id, state);
      for (const id of touched) this.dirty.add(id);
    } else if (created.length > 0) {
      await this.persist(created, overlay.settles, overlay.balanceChanges);
      // Only now that PostgreSQL holds them do the changes become this transaction's view.
      this.merge(overlay);
    }
    return { statuses, ok, created, touched };
  }

  /**
   * Sends, without waiting, the insert of the transfers deferred apply() calls made so far that
   * no later one can change: all but pending ones (a later transfer may settle them) and those
   * naming a pending one not yet written (their foreign key needs it). So a batch's transfers
   * reach PostgreSQL while the rest of it is evaluated. Await the returned write with flush();
   * a refused insert aborts the transaction, so flush() fails too.
   */
  sendFinalTransfers(): Promise<unknown> | null {
    const waiting = new Set(this.unwritten.filter((t) => t.kind === 'pending').map((t) => t.id));
    const held = (t: Transfer) => waiting.has(t.id) || (t.pendingId !== null && waiting.has(t.pendingId));
    const final = this.unwritten.filter((t) => !held(t));
    if (final.length === 0) return null;
    this.unwritten = this.unwritten.filter(held);
    return this.insertTransfers(final.map((t) => transferRow(t, null)));
  }

  /** Sent at once; at most 2000 rows a statement (12 parameters each, under PostgreSQL's 65,535). */
  private insertTransfers(rows: ReadonlyArray<ReturnType<typeof transferRow>>): Promise<unknown> {
    const writes = [];
    for (let i = 0; i < rows.length; i += 2000) writes.push(this.tx`insert into transfers ${this.tx(rows.slice(i, i + 2000))}`.execute());
    return Promise.all(writes);
  }

  /** Writes what deferred apply() calls made. */
  async flush(): Promise<void> {
    if (this.unwritten.length === 0 && this.unwrittenSettles.size === 0 && this.dirty.size === 0) return;
    const balances = new Map([...this.dirty].map((id) => [id, this.balances(id)] as const));
    await this.persist(this.unwritten, this.unwrittenSettles, balances);
    this.unwritten = [];
    this.unwrittenSettles = new Map();
    this.dirty.clear();
  }

  private unwritten: Transfer[] = [];
  private unwrittenSettles = new Map<string, PendingStatus>();
  private readonly dirty = new Set<string>();
  /** Balances as PostgreSQL holds them (what increments are computed against). */
  private readonly persisted = new Map<string, Balances>();

  private merge(overlay: Overlay): void {
    for (const [id, b] of overlay.balanceChanges) this.balanceMap.set(id, b);
    for (const t of overlay.created.values()) {
      this.transfers.set(t.id, t);
      this.lookedUpTransferIds.add(t.id);
    }
    for (const [id, state] of overlay.settles) this.pending.set(id, state);
  }

  /**
   * Inserts `created` (pending ones already in their final state), settles pre-existing pending
   * transfers, and moves account balances to `balances` by increments, reading them back.
   */
  private async persist(created: readonly Transfer[], settles: ReadonlyMap<string, PendingStatus>, balances: ReadonlyMap<string, Balances>): Promise<void> {
    // A pending transfer made in this write goes in as it ends up (pending, or settled alongside).
    const finalState = (t: Transfer) => (t.kind === 'pending' ? (settles.get(t.id) ?? this.pending.get(t.id) ?? 'pending') : null);
    const rows = created.map((t) => transferRow(t, finalState(t)));
    const createdIds = new Set(created.map((t) => t.id));
    const settled = [...settles].filter(([id, state]) => state !== 'pending' && !createdIds.has(id));
    const ids = [...balances.keys()].sort();
    for (const id of ids) invariant(this.lockedAccountIds.has(id) || this.lockedAtWriteIds.has(id), `account ${id} changes but was read without a lock`);
    const atWrite = ids.filter((id) => this.lockedAtWriteIds.has(id));
    const diff = ids.map((id) => {
      const before = this.persisted.get(id) ?? ZERO_BALANCES;
      const after = balances.get(id)!;
      return {
        dp: after.debitsPosted - before.debitsPosted,
        cp: after.creditsPosted - before.creditsPosted,
        dq: after.debitsPending - before.debitsPending,
        cq: after.creditsPending - before.creditsPending,
      };
    });
    // The statements go out together, pipelined in this order on the transaction's connection:
    // one round trip for the whole write. The first failure is the one thrown.
    const inserting = rows.length === 0 ? null : this.insertTransfers(rows);
    const settling = settled.length === 0 ? null : this.tx`
        update transfers t set pending_state = v.state
        from (select unnest(${settled.map(([id]) => id)}::text[]) as id, unnest(${settled.map(([, s]) => s)}::text[]) as state) v
        where t.id = v.id and t.pending_state = 'pending' returning t.id`.execute();
    // Locked in id order before the update, which would take them in its own order.
    const lockingAtWrite = atWrite.length === 0 ? null : this.tx`select id from accounts where id = any(${atWrite}::text[]) order by id for no key update`.execute();
    const updating = ids.length === 0 ? null : this.tx`
      update accounts a set
        debits_posted = a.debits_posted + d.dp, credits_posted = a.credits_posted + d.cp,
        debits_pending = a.debits_pending + d.dq, credits_pending = a.credits_pending + d.cq
      from (select unnest(${ids}::text[]) as id,
                   unnest(${diff.map((d) => String(d.dp))}::bigint[]) as dp,
                   unnest(${diff.map((d) => String(d.cp))}::bigint[]) as cp,
                   unnest(${diff.map((d) => String(d.dq))}::bigint[]) as dq,
                   unnest(${diff.map((d) => String(d.cq))}::bigint[]) as cq) d
      where a.id = d.id
      returning a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending`.execute();
    const [, updated, , readBack] = await Promise.all([inserting, settling, lockingAtWrite, updating]);
    if (updated) invariant(updated.length === settled.length, 'every settled transfer was pending when settled');
    if (!readBack) return;
    invariant(readBack.length === ids.length, 'every touched account is updated');
    for (const r of readBack) {
      const expected = balances.get(r.id)!;
      // An account locked only now may also hold the increments of batches that wrote it meanwhile.
      // What this transaction remembers stays its own view: later increments are computed from it.
      if (!this.lockedAtWriteIds.has(r.id)) invariant(
        r.debits_posted === expected.debitsPosted &&
          r.credits_posted === expected.creditsPosted &&
          r.debits_pending === expected.debitsPending &&
          r.credits_pending === expected.creditsPending,
        `account ${r.id} read back other balances than the ledger computed`,
      );
      this.persisted.set(r.id, expected);
    }
  }
}

/** A transfer as its row; `pendingState` only for a pending transfer. */
function transferRow(t: Transfer, pendingState: PendingStatus | null) {
  return {
    id: t.id,
    kind: t.kind,
    debit_account_id: t.debitAccountId,
    credit_account_id: t.creditAccountId,
    ledger: t.ledger,
    amount: t.amount,
    code: t.code,
    pending_id: t.pendingId,
    pending_state: pendingState,
    timestamp: t.timestamp,
    origin_terminal_id: t.originTerminalId,
    document_id: t.documentId,
  };
}

/** Locks, evaluates and writes `transfers` inside transaction `tx`. */
export async function applyTransfers(tx: Db, transfers: readonly Transfer[], options: { atomic: boolean }): Promise<ApplyResult & { ledger: LedgerTx }> {
  const ledger = new LedgerTx(tx);
  await ledger.load(transfers);
  return { ...(await ledger.apply(transfers, options)), ledger };
}

/** Creates accounts that do not exist yet; returns the ids created. */
export async function createAccounts(tx: Db, accounts: readonly (Account & { owner?: string | null })[]): Promise<string[]> {
  if (accounts.length === 0) return [];
  const rows = accounts.map((a) => ({
    id: a.id,
    ledger: a.ledger,
    code: a.code,
    owner: a.owner ?? null,
    debits_must_not_exceed_credits: a.debitsMustNotExceedCredits,
  }));
  const created = await tx`insert into accounts ${tx(rows)} on conflict (id) do nothing returning id`;
  return created.map((r) => r.id as string);
}

/** An account's balance as terminals see it: posted credits − posted debits, and what holds reserve. */
export interface AccountBalance {
  accountId: string;
  ledger: string;
  code: AccountCode;
  posted: number;
  held: number;
}

export async function readBalances(db: Db, accountIds: readonly string[]): Promise<AccountBalance[]> {
  if (accountIds.length === 0) return [];
  const rows = await db`
    select id, ledger, code, credits_posted - debits_posted as posted, debits_pending as held
    from accounts where id = any(${[...accountIds]}::text[]) order by id`;
  return rows.map((r) => ({ accountId: r.id, ledger: r.ledger, code: r.code, posted: r.posted, held: r.held }));
}
