import { assertMinor } from './money';
import { invariant } from './errors';

/**
 * Double-entry ledger after TigerBeetle's model: accounts carry debit/credit totals,
 * transfers are immutable and identified by an idempotency id made where the movement
 * starts. A correction is a new transfer. Balances are derived from transfers.
 * This module is the single definition of the rules; SQLite at the terminal and
 * PostgreSQL at HQ apply the effects it computes (or, at HQ, the same rules in SQL).
 */

/** Ledger of points; currency ledgers are named by their ISO code. */
export const POINTS_LEDGER = 'POINTS';

export const ACCOUNT_CODES = [
  'CARD_PRINCIPAL', // stored value paid in by the member: owed to them, refundable
  'CARD_BONUS', // stored value given by a top-up promotion: spendable, not refundable as cash
  'MEMBER_POINTS',
  'STORE_CASH', // cash in a store's drawers
  'STORE_BANK_CARD', // bank-card takings of a store awaiting acquirer settlement
  'STORE_SALES', // a store's sales revenue
  'CHAIN_POINTS_ISSUED', // points the chain has given out (debit-normal)
  'CHAIN_TOPUP_BONUS', // bonus stored value the chain has funded (debit-normal)
  'CHAIN_OPENING', // balances brought over when the chain moved onto OneCard
  'STORE_POINTS_TENDER', // value of points a store accepted as payment, funded by the chain
  'CHAIN_REBATE', // rebates (返利) the chain has credited to members' bonus (debit-normal)
  'CHAIN_ADJUSTMENTS', // manual corrections made at HQ with a reason and a second approver
  'STORE_OFFLINE_EXPOSURE', // stored value a store let a card spend offline beyond its balance: owed by the store
] as const;
export type AccountCode = (typeof ACCOUNT_CODES)[number];

export const TRANSFER_CODES = [
  'SALE_CASH',
  'SALE_BANK_CARD',
  'SALE_STORED_VALUE',
  'POINTS_EARNED',
  'TOPUP',
  'TOPUP_BONUS',
  'OPENING_BALANCE',
  'OPENING_POINTS',
  'REFUND_CASH',
  'REFUND_BANK_CARD',
  'REFUND_STORED_VALUE',
  'POINTS_REVERSED',
  'CARD_REPLACEMENT', // balance moved from a lost card to its replacement
  'POINTS_REDEEMED', // points spent as a tender (积分抵现)
  'REBATE', // a rebate held pending for its waiting days, then posted to the card's bonus
  'SALE_POINTS', // the money value of points a sale took as payment, into the store's sales
  'REFUND_POINTS_VALUE', // that value back out of the store's sales on a refund
  'POINTS_RESTORED', // the points themselves back to the member on a refund
  'POINTS_EXPIRED',
  'POINTS_ADJUSTED',
  'STORED_VALUE_ADJUSTED',
  'BALANCE_TRANSFER', // stored value moved between two cards of one member
  'GIFT_REDEMPTION', // points exchanged for a gift
  'OFFLINE_OVERDRAFT', // the part of an offline stored-value debit the card could not cover
  'TOPUP_REFUND', // a top-up's principal paid back to the member
  'TOPUP_BONUS_CLAWBACK', // the bonus a refunded top-up brought, taken back
] as const;
export type TransferCode = (typeof TRANSFER_CODES)[number];

export interface Account {
  id: string;
  ledger: string;
  code: AccountCode;
  /** Member accounts: the owner may never spend more than was put in. */
  debitsMustNotExceedCredits: boolean;
}

export type TransferKind = 'single' | 'pending' | 'post_pending' | 'void_pending';

export interface Transfer {
  /** Idempotency key (UUIDv7) made where the movement starts. */
  id: string;
  kind: TransferKind;
  debitAccountId: string;
  creditAccountId: string;
  ledger: string;
  /** Integer minor units (or points). For post_pending: the amount to post, at most the hold. */
  amount: number;
  code: TransferCode;
  /** The pending transfer a post_pending or void_pending settles. */
  pendingId: string | null;
  /** Unix milliseconds at the origin. */
  timestamp: number;
  /** Terminal that made it (null for HQ) and its outbox sequence. */
  originTerminalId: string | null;
  /** The business document (sale, top-up…) that made it. */
  documentId: string | null;
}

export interface Balances {
  debitsPosted: number;
  creditsPosted: number;
  debitsPending: number;
  creditsPending: number;
}

export const ZERO_BALANCES: Readonly<Balances> = Object.freeze({
  debitsPosted: 0,
  creditsPosted: 0,
  debitsPending: 0,
  creditsPending: 0,
});

/** What a credit-normal account (a member's) holds and may still spend. */
export function creditBalance(b: Balances): number {
  return b.creditsPosted - b.debitsPosted;
}

export function availableCreditBalance(b: Balances): number {
  return b.creditsPosted - b.debitsPosted - b.debitsPending;
}

export type PendingStatus = 'pending' | 'posted' | 'voided';

/** Why a transfer was refused; `exists` means it was applied before and changes nothing now. */
export type TransferStatus =
  | 'created'
  | 'exists'
  | 'exists_with_different_fields'
  | 'amount_must_be_positive'
  | 'accounts_must_be_different'
  | 'debit_account_not_found'
  | 'credit_account_not_found'
  | 'ledger_mismatch'
  | 'exceeds_credits'
  | 'pending_id_required'
  | 'pending_id_must_be_null'
  | 'pending_transfer_not_found'
  | 'pending_transfer_not_pending'
  | 'pending_transfer_already_posted'
  | 'pending_transfer_already_voided'
  | 'pending_transfer_has_different_accounts'
  | 'exceeds_pending_transfer_amount';

/** Read access to ledger state, as the rules need it. */
export interface LedgerView {
  account(id: string): Account | undefined;
  balances(accountId: string): Balances;
  transfer(id: string): Transfer | undefined;
  pendingStatus(pendingId: string): PendingStatus | undefined;
}

export interface BalanceDelta {
  accountId: string;
  debitsPosted: number;
  creditsPosted: number;
  debitsPending: number;
  creditsPending: number;
}

export type Evaluation =
  | { status: 'created'; deltas: BalanceDelta[]; settles: { pendingId: string; becomes: PendingStatus } | null }
  | { status: Exclude<TransferStatus, 'created'> };

const SAME_FIELDS: Array<keyof Transfer> = [
  'kind',
  'debitAccountId',
  'creditAccountId',
  'ledger',
  'amount',
  'code',
  'pendingId',
];

function delta(accountId: string, d: Partial<Omit<BalanceDelta, 'accountId'>>): BalanceDelta {
  return { accountId, debitsPosted: 0, creditsPosted: 0, debitsPending: 0, creditsPending: 0, ...d };
}

/** Decides whether `t` may be applied to `view`, and if so the balance changes it makes. */
export function evaluateTransfer(view: LedgerView, t: Transfer): Evaluation {
  const existing = view.transfer(t.id);
  if (existing) {
    return SAME_FIELDS.every((f) => existing[f] === t[f]) ? { status: 'exists' } : { status: 'exists_with_different_fields' };
  }
  assertMinor(t.amount, 'transfer amount');
  if (t.amount <= 0) return { status: 'amount_must_be_positive' };
  if (t.debitAccountId === t.creditAccountId) return { status: 'accounts_must_be_different' };
  const debit = view.account(t.debitAccountId);
  if (!debit) return { status: 'debit_account_not_found' };
  const credit = view.account(t.creditAccountId);
  if (!credit) return { status: 'credit_account_not_found' };
  if (debit.ledger !== t.ledger || credit.ledger !== t.ledger) return { status: 'ledger_mismatch' };

  if (t.kind === 'single' || t.kind === 'pending') {
    if (t.pendingId !== null) return { status: 'pending_id_must_be_null' };
    const b = view.balances(debit.id);
    if (debit.debitsMustNotExceedCredits && b.debitsPosted + b.debitsPending + t.amount > b.creditsPosted) {
      return { status: 'exceeds_credits' };
    }
    const posted = t.kind === 'single';
    return {
      status: 'created',
      deltas: [
        delta(debit.id, posted ? { debitsPosted: t.amount } : { debitsPending: t.amount }),
        delta(credit.id, posted ? { creditsPosted: t.amount } : { creditsPending: t.amount }),
      ],
      settles: null,
    };
  }

  if (t.pendingId === null) return { status: 'pending_id_required' };
  const pending = view.transfer(t.pendingId);
  if (!pending) return { status: 'pending_transfer_not_found' };
  if (pending.kind !== 'pending') return { status: 'pending_transfer_not_pending' };
  const state = view.pendingStatus(pending.id);
  if (state === 'posted') return { status: 'pending_transfer_already_posted' };
  if (state === 'voided') return { status: 'pending_transfer_already_voided' };
  if (pending.debitAccountId !== t.debitAccountId || pending.creditAccountId !== t.creditAccountId) {
    return { status: 'pending_transfer_has_different_accounts' };
  }
  if (t.kind === 'void_pending') {
    if (t.amount !== pending.amount) return { status: 'exceeds_pending_transfer_amount' };
    return {
      status: 'created',
      deltas: [delta(debit.id, { debitsPending: -pending.amount }), delta(credit.id, { creditsPending: -pending.amount })],
      settles: { pendingId: pending.id, becomes: 'voided' },
    };
  }
  if (t.amount > pending.amount) return { status: 'exceeds_pending_transfer_amount' };
  // Posting less than the hold releases the rest, as a partial capture does.
  return {
    status: 'created',
    deltas: [
      delta(debit.id, { debitsPending: -pending.amount, debitsPosted: t.amount }),
      delta(credit.id, { creditsPending: -pending.amount, creditsPosted: t.amount }),
    ],
    settles: { pendingId: pending.id, becomes: 'posted' },
  };
}

/** Every transfer moves the same amount out of one account and into another. */
export function assertDeltasBalance(deltas: readonly BalanceDelta[]): void {
  const debits = deltas.reduce((s, d) => s + d.debitsPosted + d.debitsPending, 0);
  const credits = deltas.reduce((s, d) => s + d.creditsPosted + d.creditsPending, 0);
  invariant(debits === credits, `transfer deltas do not balance: debits ${debits} ≠ credits ${credits}`);
}

export function addBalances(b: Balances, d: BalanceDelta): Balances {
  return {
    debitsPosted: b.debitsPosted + d.debitsPosted,
    creditsPosted: b.creditsPosted + d.creditsPosted,
    debitsPending: b.debitsPending + d.debitsPending,
    creditsPending: b.creditsPending + d.creditsPending,
  };
}

/**
 * The ledger held in memory: the reference model of the rules, used by property tests
 * and simulations, and by anything that needs a scratch ledger.
 */
export class LedgerBook implements LedgerView {
  private readonly accounts = new Map<string, Account>();
  private readonly balanceMap = new Map<string, Balances>();
  private readonly transfers = new Map<string, Transfer>();
  private readonly pending = new Map<string, PendingStatus>();

  createAccount(account: Account): 'created' | 'exists' {
    if (this.accounts.has(account.id)) return 'exists';
    this.accounts.set(account.id, { ...account });
    this.balanceMap.set(account.id, { ...ZERO_BALANCES });
    return 'created';
  }

  account(id: string): Account | undefined {
    return this.accounts.get(id);
  }

  balances(accountId: string): Balances {
    return this.balanceMap.get(accountId) ?? ZERO_BALANCES;
  }

  transfer(id: string): Transfer | undefined {
    return this.transfers.get(id);
  }

  pendingStatus(pendingId: string): PendingStatus | undefined {
    return this.pending.get(pendingId);
  }

  allTransfers(): Transfer[] {
    return [...this.transfers.values()];
  }

  allAccounts(): Account[] {
    return [...this.accounts.values()];
  }

  /** Applies each transfer independently, in order; returns one status per transfer. */
  createTransfers(batch: readonly Transfer[]): TransferStatus[] {
    return batch.map((t) => {
      const result = evaluateTransfer(this, t);
      if (result.status !== 'created') return result.status;
      assertDeltasBalance(result.deltas);
      for (const d of result.deltas) this.balanceMap.set(d.accountId, addBalances(this.balances(d.accountId), d));
      this.transfers.set(t.id, { ...t });
      if (t.kind === 'pending') this.pending.set(t.id, 'pending');
      if (result.settles) this.pending.set(result.settles.pendingId, result.settles.becomes);
      return 'created';
    });
  }
}
