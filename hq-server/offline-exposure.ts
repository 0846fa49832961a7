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
export function coverOfflineDebits(view: LedgerView, transfers: readonly Transfer[], storeId: string): { transfers: Transfer[]; shortfall: Map<string, number> } {
  const out: Transfer[] = [];
  const shortfall = new Map<string, number>();
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
    out.push({
      ...t,
      id: overdraftId(t.id),
      code: 'OFFLINE_OVERDRAFT',
      debitAccountId: exposureAccountFor(t, storeId),
      creditAccountId: t.code === 'POINTS_REDEEMED' ? chainPointsIssuedAccountId() : t.creditAccountId,
      amount: short,
    });
    shortfall.set(t.ledger, (shortfall.get(t.ledger) ?? 0) + short);
  }
  return { transfers: out, shortfall };
}

export interface ExposureRow {
  storeId: string;
  storeName: string;
  memberId: string | null;
  memberName: string | null;
  ledger: string;
  /** Total overdraft booked, in minor units (or points when ledger is POINTS). */
  amount: number;
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

/** Overdrafts offline debits caused, by store and member, limited to `storeIds`. */
export async function exposureReport(db: Db, storeIds: readonly string[], filter: { storeId?: string; memberId?: string } = {}): Promise<ExposureReport> {
  const rows = await db`
    select s.store_id, o.name as store_name, s.member_id, m.name as member_name, t.ledger,
      sum(t.amount)::bigint as amount, count(*)::int as n, max(t."timestamp")::bigint as last_at
    from transfers t
    join sales s on s.id = t.document_id
    join org_nodes o on o.id = s.store_id
    left join members m on m.id = s.member_id
    where t.code = 'OFFLINE_OVERDRAFT' and s.store_id = any(${[...storeIds]}::text[])
      and (${filter.storeId ?? null}::text is null or s.store_id = ${filter.storeId ?? null})
      and (${filter.memberId ?? null}::text is null or s.member_id = ${filter.memberId ?? null})
    group by s.store_id, o.name, s.member_id, m.name, t.ledger
    order by s.store_id, t.ledger, s.member_id`;
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
