import {
  chainPointsIssuedAccountId,
  memberPointsAccountId,
  storeBankCardAccountId,
  storeCashAccountId,
  storePointsTenderAccountId,
  storeSalesAccountId,
} from './accounts';
import { invariant } from './errors';
import type { SaleLineManualDiscount, SaleManualDiscount, SalePriceOverride } from './manual-discount';
import { POINTS_LEDGER, type Transfer } from './ledger';
import { assertMinor } from './money';
import type { StoredValueLeg } from './stored-value';
import type { LineMeasure } from './weighed';

export interface SaleLine {
  lineNo: number;
  sku: string;
  barcode: string;
  name: string;
  quantity: number;
  unitPriceMinor: number;
  /** quantity × unit price, less any line discount. */
  amountMinor: number;
  eligibleForMemberBenefits: boolean;
  /** Each promotion's share of the line's discount (core/pricing allocations); absent on sales priced without promotions. */
  promotions?: SaleLinePromotion[];
  /** A weighed line (core/weighed.ts): one unit whose unit price is the weighed amount; absent for items sold by unit. */
  measure?: LineMeasure;
  /** Each manual discount's share of the line (core/manual-discount.ts), taken after the promotions; absent when none. */
  manualDiscounts?: SaleLineManualDiscount[];
  /** Present when the cashier replaced the unit price (`unitPriceMinor` is the new one). */
  priceOverride?: SalePriceOverride;
}

/** A promotion's allocated share of one line's discount: a refund of the line gives it back pro rata. */
export interface SaleLinePromotion {
  promotionId: string;
  discountMinor: number;
}

/** What a sale drew on a promotion (core/pricing `UsageRequest` plus the discount it gave), for HQ's budgets and reports. */
export interface SalePromotionUse {
  promotionId: string;
  memberUses: number;
  /** The budget's unit; null when the promotion has no budget. */
  budgetKind: 'quantity' | 'amount' | null;
  /** Units or uses (quantity budget), minor units (amount budget); 0 without a budget. */
  budgetDrawn: number;
  /** The adjustment this promotion gave on the sale (0 for gifts and points multipliers). */
  discountMinor: number;
}

/** A stored-value leg; `holdId` is the pending transfer HQ authorized, null when taken offline. */
export type StoredValueTenderLeg = StoredValueLeg & { holdId: string | null };

export type SaleTender =
  | { kind: 'cash'; amountMinor: number; tenderedMinor: number; changeMinor: number }
  | { kind: 'bank_card'; amountMinor: number; reference: string }
  | { kind: 'stored_value'; amountMinor: number; cardId: string; legs: StoredValueTenderLeg[] }
  /** 积分抵现: `points` of the member's points pay `amountMinor`; `holdId` as for stored value. */
  | { kind: 'points'; amountMinor: number; points: number; holdId: string | null };

/** A completed sale as the terminal records it and HQ receives it. */
export interface SaleDocument {
  id: string;
  storeId: string;
  terminalId: string;
  currency: string;
  memberId: string | null;
  cardId: string | null;
  lines: SaleLine[];
  totalMinor: number;
  tenders: SaleTender[];
  pointsEarned: number;
  completedAt: number;
  /** Promotions the sale used; absent (or empty) when none. */
  promotionUses?: SalePromotionUse[];
  /** Coupon codes the sale consumed (each single use); absent when none. */
  couponsUsed?: string[];
  /** The operator signed in at the till when the sale completed; absent on sales that record none. */
  cashierId?: string;
  /** Manual discounts in the order they were applied (after the promotions); absent when none. */
  manualDiscounts?: SaleManualDiscount[];
}

/** Sum of the lines that earn points and take member benefits. */
export function eligibleAmount(lines: readonly SaleLine[]): number {
  return lines.filter((l) => l.eligibleForMemberBenefits).reduce((s, l) => s + l.amountMinor, 0);
}

/**
 * The transfers a completed sale makes: each tender into the store's sales, stored value
 * captured from its holds (or debited directly when taken offline), and points earned.
 */
export function postSale(sale: SaleDocument, newId: () => string): Transfer[] {
  const paid = sale.tenders.reduce((s, t) => s + t.amountMinor, 0);
  invariant(paid === sale.totalMinor, `sale ${sale.id} tenders ${paid} ≠ total ${sale.totalMinor}`);
  invariant(
    sale.lines.reduce((s, l) => s + l.amountMinor, 0) === sale.totalMinor,
    `sale ${sale.id} lines do not add up to its total`,
  );
  const base = {
    ledger: sale.currency,
    pendingId: null,
    timestamp: sale.completedAt,
    originTerminalId: sale.terminalId,
    documentId: sale.id,
  };
  const sales = storeSalesAccountId(sale.storeId);
  const transfers: Transfer[] = [];
  for (const tender of sale.tenders) {
    assertMinor(tender.amountMinor, 'tender amount');
    if (tender.amountMinor === 0) continue;
    if (tender.kind === 'cash') {
      transfers.push({ ...base, id: newId(), kind: 'single', code: 'SALE_CASH', debitAccountId: storeCashAccountId(sale.storeId), creditAccountId: sales, amount: tender.amountMinor });
    } else if (tender.kind === 'bank_card') {
      transfers.push({ ...base, id: newId(), kind: 'single', code: 'SALE_BANK_CARD', debitAccountId: storeBankCardAccountId(sale.storeId), creditAccountId: sales, amount: tender.amountMinor });
    } else if (tender.kind === 'points') {
      invariant(sale.memberId !== null, 'points paid without a member');
      // The points leave the member (capturing their hold when HQ made one); their value,
      // funded by the chain, pays the store.
      transfers.push({
        ...base,
        id: newId(),
        kind: tender.holdId ? 'post_pending' : 'single',
        pendingId: tender.holdId,
        ledger: POINTS_LEDGER,
        code: 'POINTS_REDEEMED',
        debitAccountId: memberPointsAccountId(sale.memberId),
        creditAccountId: chainPointsIssuedAccountId(),
        amount: tender.points,
      });
      transfers.push({ ...base, id: newId(), kind: 'single', code: 'SALE_POINTS', debitAccountId: storePointsTenderAccountId(sale.storeId), creditAccountId: sales, amount: tender.amountMinor });
    } else {
      invariant(tender.legs.reduce((s, l) => s + l.amount, 0) === tender.amountMinor, 'stored-value legs do not add up to the tender');
      for (const leg of tender.legs) {
        transfers.push({
          ...base,
          id: newId(),
          kind: leg.holdId ? 'post_pending' : 'single',
          pendingId: leg.holdId,
          code: 'SALE_STORED_VALUE',
          debitAccountId: leg.accountId,
          creditAccountId: sales,
          amount: leg.amount,
        });
      }
    }
  }
  if (sale.pointsEarned > 0) {
    invariant(sale.memberId !== null, 'points earned without a member');
    transfers.push({
      ...base,
      id: newId(),
      kind: 'single',
      ledger: POINTS_LEDGER,
      code: 'POINTS_EARNED',
      debitAccountId: chainPointsIssuedAccountId(),
      creditAccountId: memberPointsAccountId(sale.memberId),
      amount: sale.pointsEarned,
    });
  }
  return transfers;
}
