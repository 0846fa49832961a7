import type { DayCloseDocument } from './day-close';
import type { RefundDocument } from './refund';
import type { SaleDocument } from './sale';
import type { TopUpDocument, TopUpRefundDocument } from './top-up';

/**
 * What a terminal's day close (日结) adds up, computed the same way by the terminal (from its
 * journal) and by HQ (from the documents it applied), so the two can be compared field by field.
 *
 * - a tender's `salesMinor`: what sales took in by that tender, plus top-up principal paid in by it;
 * - a tender's `refundsMinor`: what refunds paid back by it, plus top-up refund principal paid out by it;
 * - `topUpTotalMinor`: principal topped up (bonus is the chain's, not money taken in);
 * - gift redemptions move points only and are not counted.
 */
export type DayCloseEntry =
  | { type: 'sale'; sale: SaleDocument }
  | { type: 'refund'; refund: RefundDocument }
  | { type: 'top_up'; topUp: TopUpDocument }
  | { type: 'top_up_refund'; topUpRefund: TopUpRefundDocument };

export type DayCloseTenderKind = DayCloseDocument['tenders'][number]['kind'];
export const DAY_CLOSE_TENDER_KINDS: readonly DayCloseTenderKind[] = ['cash', 'bank_card', 'stored_value', 'points'];

export type DayCloseTotals = Pick<DayCloseDocument, 'tenders' | 'saleCount' | 'refundCount' | 'topUpTotalMinor'>;

/** The totals of a day close over `entries`; every tender kind is listed, in a fixed order. */
export function dayCloseTotals(entries: Iterable<DayCloseEntry>): DayCloseTotals {
  const sales = new Map<DayCloseTenderKind, number>(DAY_CLOSE_TENDER_KINDS.map((k) => [k, 0]));
  const refunds = new Map<DayCloseTenderKind, number>(DAY_CLOSE_TENDER_KINDS.map((k) => [k, 0]));
  const add = (m: Map<DayCloseTenderKind, number>, k: DayCloseTenderKind, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  let saleCount = 0;
  let refundCount = 0;
  let topUpTotalMinor = 0;
  for (const e of entries) {
    switch (e.type) {
      case 'sale':
        saleCount += 1;
        for (const t of e.sale.tenders) add(sales, t.kind, t.amountMinor);
        break;
      case 'refund':
        refundCount += 1;
        for (const t of e.refund.tenders) add(refunds, t.kind, t.amountMinor);
        break;
      case 'top_up':
        topUpTotalMinor += e.topUp.principalMinor;
        add(sales, e.topUp.tender, e.topUp.principalMinor);
        break;
      case 'top_up_refund':
        add(refunds, e.topUpRefund.tender, e.topUpRefund.principalMinor);
        break;
    }
  }
  return {
    tenders: DAY_CLOSE_TENDER_KINDS.map((kind) => ({ kind, salesMinor: sales.get(kind) ?? 0, refundsMinor: refunds.get(kind) ?? 0 })),
    saleCount,
    refundCount,
    topUpTotalMinor,
  };
}

/** One field where a terminal's day close and HQ's own totals disagree. */
export interface DayCloseMismatch {
  field: 'tender_sales' | 'tender_refunds' | 'sale_count' | 'refund_count' | 'top_up_total';
  tender: DayCloseTenderKind | null;
  terminalSays: number;
  hqHas: number;
}

/** Field-by-field differences between what a terminal reported and what HQ computed (empty when they agree). */
export function compareDayCloseTotals(reported: DayCloseTotals, computed: DayCloseTotals): DayCloseMismatch[] {
  const out: DayCloseMismatch[] = [];
  for (const kind of DAY_CLOSE_TENDER_KINDS) {
    const r = reported.tenders.filter((t) => t.kind === kind);
    const c = computed.tenders.find((t) => t.kind === kind);
    const rs = r.reduce((s, t) => s + t.salesMinor, 0);
    const rr = r.reduce((s, t) => s + t.refundsMinor, 0);
    if (rs !== (c?.salesMinor ?? 0)) out.push({ field: 'tender_sales', tender: kind, terminalSays: rs, hqHas: c?.salesMinor ?? 0 });
    if (rr !== (c?.refundsMinor ?? 0)) out.push({ field: 'tender_refunds', tender: kind, terminalSays: rr, hqHas: c?.refundsMinor ?? 0 });
  }
  if (reported.saleCount !== computed.saleCount) out.push({ field: 'sale_count', tender: null, terminalSays: reported.saleCount, hqHas: computed.saleCount });
  if (reported.refundCount !== computed.refundCount) out.push({ field: 'refund_count', tender: null, terminalSays: reported.refundCount, hqHas: computed.refundCount });
  if (reported.topUpTotalMinor !== computed.topUpTotalMinor) out.push({ field: 'top_up_total', tender: null, terminalSays: reported.topUpTotalMinor, hqHas: computed.topUpTotalMinor });
  return out;
}
