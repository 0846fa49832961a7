/**
 * Refund of part of a priced sale: each adjustment a line took is given back in proportion to
 * the units returned, by the same largest-remainder `prorate`, counted cumulatively so that
 * returning a line in several goes gives back exactly what it took, to the fen.
 */
import { DomainError } from '../errors';
import { prorate } from '../money';
import type { PricedLine, PricedLineAdjustment } from './types';

export interface LineRefund {
  lineNo: number;
  quantity: number;
  /** Units × unit price. */
  grossMinor: number;
  /** The discounts these units took, by promotion: reversed, not refunded in cash. */
  adjustments: PricedLineAdjustment[];
  discountMinor: number;
  /** What the customer gets back for these units. */
  amountMinor: number;
}

/** Share of `total` that the first `units` of `quantity` carry (largest remainder, so monotone and exact at the end). */
function shareOf(total: number, units: number, quantity: number): number {
  return prorate(total, [units, quantity - units])[0]!;
}

/** What returning `quantity` units of a priced line gives back, after `alreadyReturned` units were returned before. */
export function refundLine(line: PricedLine, quantity: number, alreadyReturned = 0): LineRefund {
  if (!Number.isSafeInteger(quantity) || !Number.isSafeInteger(alreadyReturned) || quantity < 1 || alreadyReturned < 0) {
    throw new DomainError('VALIDATION_FAILED', 'refund quantity must be a whole number of at least 1', { lineNo: line.lineNo });
  }
  if (alreadyReturned + quantity > line.quantity) {
    throw new DomainError('VALIDATION_FAILED', `line ${line.lineNo}: cannot return more than the ${line.quantity} sold`, {
      lineNo: line.lineNo,
      quantity,
      alreadyReturned,
    });
  }
  const after = alreadyReturned + quantity;
  const adjustments = line.adjustments
    .map((a) => ({
      promotionId: a.promotionId,
      amountMinor: shareOf(a.amountMinor, after, line.quantity) - shareOf(a.amountMinor, alreadyReturned, line.quantity),
    }))
    .filter((a) => a.amountMinor !== 0);
  const grossMinor = line.unitPriceMinor * quantity;
  const discountMinor = adjustments.reduce((s, a) => s + a.amountMinor, 0);
  return { lineNo: line.lineNo, quantity, grossMinor, adjustments, discountMinor, amountMinor: grossMinor - discountMinor };
}
