import { chainPointsIssuedAccountId, storeOfflineExposureAccountId } from '../core/accounts';
import { availableCreditBalance, POINTS_LEDGER, type Account, type LedgerView, type Transfer } from '../core/ledger';
import type { Db } from './database';

/**
 * Offline exposure (DESIGN §4, issue 3 §7). A terminal that could not reach HQ debits a card's
 * stored value or a member's points without a hold. HQ applies such a debit even when the
 * balance no longer covers it: the card gives what it holds, and the rest is an overdraft the
 * accepting store owes, booked from the store's exposure account. A member account never goes
 * below zero.
 *
 * - Stored value: `${id}/overdraft`, OFFLINE_OVERDRAFT, store:{store}:offline_exposure → store sales.
 * - Points (a points tender taken offline): `${id}/overdraft`, OFFLINE_OVERDRAFT,
 *   store:{store}:offline_exposure:points → chain:points_issued. Core has no points exposure
 *   account yet, so HQ names it here (code STORE_OFFLINE_EXPOSURE, ledger POINTS).
 *
 * The overdraft id derives from the terminal's transfer id, and an event is applied once, so a
 * replay changes nothing.
 */

export const storeOfflinePointsExposureAccountId = (storeId: string) => `${storeOfflineExposureAccountId(storeId)}:points`;

export function storeOfflinePointsExposureAccount(storeId: string): Account {
  return { id: storeOfflinePointsExposureAccountId(storeId), ledger: POINTS_LEDGER, code: 'STORE_OFFLINE_EXPOSURE', debitsMustNotExceedCredits: false };
}

export const overdraftId = (transferId: string) => `${transferId}/overdraft`;

/** Offline debits of a sale (no hold) that may overdraw: stored value and points tendered. */
export function isOfflineMemberDebit(t: Transfer): boolean {
  return t.kind === 'single' && t.pendingId === null && (t.code === 'SALE_STORED_VALUE' || t.code === 'POINTS_REDEEMED');
}

/** The exposure account an offline debit's shortfall comes from. */
export function exposureAccountFor(t: Transfer, storeId: string): string {
  return t.code === 'POINTS_REDEEMED' ? storeOfflinePointsExposureAccountId(storeId) : storeOfflineExposureAccountId(storeId);
}

/**
 * Rewrites a sale's transfers so that each offline member debit takes at most what the account
 * still has (after holds other terminals made), the rest as an overdraft from the store's
 * exposure. Returns the transfers to apply and the total shortfall per ledger.
 */
export function coverOfflineDebits(view: LedgerView, transfers: readonly Transfer[], storeId: string): { transfers: Transfer[]; shortfall: Map<string, number>; overdrafts: Overdraft[] } {
  const out: Transfer[] = [];
  const shortfall = new Map<string, number>();
  const overdrafts: Overdraft[] = [];
  // Two legs of one event on one account share its balance.
  const used = new Map<string, number>();
  for (const t of transfers) {
    if (!isOfflineMemberDebit(t) || !view.account(t.debitAccountId)) {
      out.push(t);
      continue;
    }
    const available = Math.max(0, availableCreditBalance(view.balances(t.debitAccountId)) - (used.get(t.debitAccountId) ?? 0));
    if (t.amount <= available) {
      used.set(t.debitAccountId, (used.get(t.debitAccountId) ?? 0) + t.amount);
      out.push(t);
      continue;
    }
    const covered = available;
    const short = t.amount - covered;
    used.set(t.debitAccountId, (used.get(t.debitAccountId) ?? 0) + covered);
    if (covered > 0) out.push({ ...t, amount: covered });
    const overdraft: Transfer = {
      ...t,
      id: overdraftId(t.id),
      code: 'OFFLINE_OVERDRAFT',
      debitAccountId: exposureAccountFor(t, storeId),
      creditAccountId: t.code === 'POINTS_REDEEMED' ? chainPointsIssuedAccountId() : t.creditAccountId,
      amount: short,
    };
    out.push(overdraft);
    overdrafts.push({ transferId: overdraft.id, saleId: t.documentId ?? '', accountId: t.debitAccountId, exposureAccountId: overdraft.debitAccountId, ledger: t.ledger, amount: short, refunded: 0 });
    shortfall.set(t.ledger, (shortfall.get(t.ledger) ?? 0) + short);
  }
  return { transfers: out, shortfall, overdrafts };
}

/** An overdraft an offline debit caused on a member account, and how much refunds paid back. */
export interface Overdraft {
  transferId: string;
  saleId: string;
  /** The member account (card principal/bonus, member points) the debit could not be taken from. */
  accountId: string;
  exposureAccountId: string;
  ledger: string;
  amount: number;
  refunded: number;
}

export const overdraftRow = (o: Overdraft) => ({
  transfer_id: o.transferId,
  sale_id: o.saleId,
  account_id: o.accountId,
  exposure_account_id: o.exposureAccountId,
  ledger: o.ledger,
  amount: o.amount,
  refunded: o.refunded,
});

export function overdraftFromRow(r: Record<string, any>): Overdraft {
  return { transferId: r.transfer_id, saleId: r.sale_id, accountId: r.account_id, exposureAccountId: r.exposure_account_id, ledger: r.ledger, amount: r.amount, refunded: r.refunded };
}

/**
 * A refund of a sale an offline debit overdrew pays the store's exposure back first: each
 * transfer that returns value to a member account the sale overdrew (REFUND_STORED_VALUE,
 * POINTS_RESTORED) gives the outstanding overdraft back to the exposure account
 * (`${id}/overdraft`, OFFLINE_OVERDRAFT) and only the rest to the member. Returns the transfers
 * and the overdrafts with what they now have paid back.
 */
export function repayOverdrafts(transfers: readonly Transfer[], overdrafts: readonly Overdraft[]): { transfers: Transfer[]; overdrafts: Overdraft[]; repaid: number } {
  const left = overdrafts.map((o) => ({ ...o }));
  const out: Transfer[] = [];
  let repaid = 0;
  for (const t of transfers) {
    if (t.code !== 'REFUND_STORED_VALUE' && t.code !== 'POINTS_RESTORED') {
      out.push(t);
      continue;
    }
    let rest = t.amount;
    let back = 0;
    let exposure: string | null = null;
    for (const o of left) {
      if (o.accountId !== t.creditAccountId || o.refunded >= o.amount || rest === 0) continue;
      if (exposure !== null && o.exposureAccountId !== exposure) continue;
      const take = Math.min(rest, o.amount - o.refunded);
      o.refunded += take;
      rest -= take;
      back += take;
      exposure = o.exposureAccountId;
    }
    if (rest > 0) out.push({ ...t, amount: rest });
    if (back > 0) out.push({ ...t, id: overdraftId(t.id), code: 'OFFLINE_OVERDRAFT', creditAccountId: exposure!, amount: back });
    repaid += back;
  }
  return { transfers: out, overdrafts: left, repaid };
}

export interface ExposureRow {
  storeId: string;
  storeName: string;
  memberId: string | null;
  memberName: string | null;
  ledger: string;
  /** Overdraft outstanding (booked less paid back by refunds), in minor units (or points when ledger is POINTS). */
  amount: number;
  /** Offline debits that overdrew. */
  count: number;
  lastAt: number;
}

export interface ExposureReport {
  rows: ExposureRow[];
  /** Per store and ledger. */
  byStore: Array<{ storeId: string; ledger: string; amount: number; count: number }>;
  /** Per ledger over everything shown. */
  totals: Array<{ ledger: string; amount: number; count: number }>;
}

/** Overdrafts offline debits caused and refunds have not paid back, by store and member, limited to `storeIds`. */
export async function exposureReport(db: Db, storeIds: readonly string[], filter: { storeId?: string; memberId?: string } = {}): Promise<ExposureReport> {
  // Overdrafts (on the sale) less what refunds of those sales paid back (on the refund).
  const rows = await db`
    with moves as (
      select s.store_id, s.member_id, t.ledger, t.amount as amount, t."timestamp" as at
      from transfers t join sales s on s.id = t.document_id where t.code = 'OFFLINE_OVERDRAFT'
      union all
      select s.store_id, s.member_id, t.ledger, -t.amount, t."timestamp"
      from transfers t join refunds r on r.id = t.document_id join sales s on s.id = r.sale_id where t.code = 'OFFLINE_OVERDRAFT'
    )
    select x.store_id, o.name as store_name, x.member_id, m.name as member_name, x.ledger,
      sum(x.amount)::bigint as amount, (count(*) filter (where x.amount > 0))::int as n, max(x.at)::bigint as last_at
    from moves x
    join org_nodes o on o.id = x.store_id
    left join members m on m.id = x.member_id
    where x.store_id = any(${[...storeIds]}::text[])
      and (${filter.storeId ?? null}::text is null or x.store_id = ${filter.storeId ?? null})
      and (${filter.memberId ?? null}::text is null or x.member_id = ${filter.memberId ?? null})
    group by x.store_id, o.name, x.member_id, m.name, x.ledger
    having sum(x.amount) <> 0
    order by x.store_id, x.ledger, x.member_id`;
  const list: ExposureRow[] = rows.map((r) => ({
    storeId: r.store_id,
    storeName: r.store_name,
    memberId: r.member_id,
    memberName: r.member_name,
    ledger: r.ledger,
    amount: r.amount,
    count: r.n,
    lastAt: r.last_at,
  }));
  const byStore = new Map<string, { storeId: string; ledger: string; amount: number; count: number }>();
  const totals = new Map<string, { ledger: string; amount: number; count: number }>();
  for (const r of list) {
    const k = `${r.storeId}\u0000${r.ledger}`;
    const s = byStore.get(k) ?? { storeId: r.storeId, ledger: r.ledger, amount: 0, count: 0 };
    s.amount += r.amount;
    s.count += r.count;
    byStore.set(k, s);
    const t = totals.get(r.ledger) ?? { ledger: r.ledger, amount: 0, count: 0 };
    t.amount += r.amount;
    t.count += r.count;
    totals.set(r.ledger, t);
  }
  return { rows: list, byStore: [...byStore.values()], totals: [...totals.values()] };
}
