import Decimal from 'decimal.js';
import { cardBonusAccountId, chainRebateAccountId } from './accounts';
import type { Transfer } from './ledger';
import { assertMinor, prorate, toMinor } from './money';

/**
 * Rebates (返利): a share of what a member paid comes back to the card as bonus stored value.
 * It is held pending for `waitingDays` so that a refund inside that time takes it back; a job
 * posts it when the wait is over.
 */
export interface RebateRule {
  /** Decimal fraction of the paid amount: "0.02" = 2%. */
  rate: string;
  waitingDays: number;
}

/** The rebate on `paidMinor`, rounded down to the fen (the chain never over-pays a rebate). */
export function rebateAmount(paidMinor: number, rule: RebateRule): number {
  assertMinor(paidMinor);
  if (paidMinor <= 0) return 0;
  return toMinor(new Decimal(paidMinor).times(rule.rate), 'DOWN');
}

/** The pending transfer that holds a sale's rebate until it matures. */
export function holdRebate(
  r: { saleId: string; cardId: string; currency: string; amountMinor: number; at: number; terminalId: string | null },
  newId: () => string,
): Transfer {
  return {
    id: newId(),
    kind: 'pending',
    debitAccountId: chainRebateAccountId(r.currency),
    creditAccountId: cardBonusAccountId(r.cardId),
    ledger: r.currency,
    amount: r.amountMinor,
    code: 'REBATE',
    pendingId: null,
    timestamp: r.at,
    originTerminalId: r.terminalId,
    documentId: r.saleId,
  };
}

/**
 * What is left of a held rebate once `refundedMinor` of the `paidMinor` it was earned on came
 * back: the share of the rebate on what the member kept.
 */
export function rebateLeftAfterRefund(heldMinor: number, paidMinor: number, refundedMinor: number): number {
  assertMinor(heldMinor);
  if (refundedMinor >= paidMinor) return 0;
  return prorate(heldMinor, [paidMinor - refundedMinor, refundedMinor])[0]!;
}

/** When a rebate held at `heldAt` (Unix ms) may be posted. */
export function rebateMaturesAt(heldAt: number, rule: RebateRule): number {
  return heldAt + rule.waitingDays * 86_400_000;
}
