import { chainPointsIssuedAccountId, memberPointsAccountId, storeBankCardAccountId, storeCashAccountId, storePointsTenderAccountId, storeSalesAccountId } from './accounts';
import { DomainError, invariant } from './errors';
import { POINTS_LEDGER, type Transfer } from './ledger';
import { prorate } from './money';
import type { SaleDocument, SaleTender } from './sale';

/**
 * Refunds (退货): a sale's lines come back, whole or in part, over one or more refunds.
 * Each refund returns its share of every tender — stored value to principal and bonus in the
 * ratio they were spent, points earned taken back — exactly: the last refund of a sale returns
 * precisely what is left, so refunding everything restores every balance.
 */

export interface RefundLineRequest {
  lineNo: number;
  quantity: number;
}

export interface RefundLine {
  lineNo: number;
  quantity: number;
  amountMinor: number;
  eligibleForMemberBenefits: boolean;
}

/** What one refund gives back through one tender of the original sale. */
export interface RefundTender {
  /** Index of the tender in the sale's `tenders`. */
  tenderIndex: number;
  kind: SaleTender['kind'];
  amountMinor: number;
  /** For stored value: per part, credited back to the same accounts it was spent from. */
  legs: Array<{ accountId: string; part: 'principal' | 'bonus'; amount: number }>;
  /** For points: the points given back to the member. */
  points: number;
}

export interface RefundDocument {
  id: string;
  saleId: string;
  storeId: string;
  terminalId: string;
  currency: string;
  memberId: string | null;
  lines: RefundLine[];
  totalMinor: number;
  tenders: RefundTender[];
  pointsReversed: number;
  completedAt: number;
  /** The original receipt was presented (a refund without it may need a supervisor). */
  withReceipt: boolean;
  /** The operator signed in at the till when the refund completed; absent on refunds that record none. */
  cashierId?: string;
}

/** Share of `total` carried by the first `k` of `of` units: exact at k = of, never decreasing in k. */
function unitShare(total: number, k: number, of: number): number {
  if (k >= of) return total;
  return Math.floor((total * k) / of);
}

/** Splits `amount` over what is left of each part, closing them exactly when it takes all that is left. */
function splitOverRemaining(amount: number, remaining: readonly number[]): number[] {
  const left = remaining.reduce((a, b) => a + b, 0);
  invariant(amount <= left, `refund ${amount} exceeds what is left (${left})`);
  if (amount === left) return [...remaining];
  if (amount === 0) return remaining.map(() => 0);
  return prorate(amount, remaining);
}

/**
 * Works out a refund of `request` against `sale`, given the refunds already made of it.
 * Refuses lines the sale does not have and quantities beyond what is left to return.
 */
export function planRefund(
  sale: SaleDocument,
  earlier: readonly RefundDocument[],
  request: readonly RefundLineRequest[],
  ids: { refundId: string; terminalId: string; storeId: string; completedAt: number; withReceipt: boolean },
): RefundDocument {
  if (request.length === 0) throw new DomainError('VALIDATION_FAILED', 'choose at least one line to return');
  const returnedBefore = new Map<number, number>();
  for (const r of earlier) for (const l of r.lines) returnedBefore.set(l.lineNo, (returnedBefore.get(l.lineNo) ?? 0) + l.quantity);

  const seen = new Set<number>();
  const lines: RefundLine[] = request.map((req) => {
    if (seen.has(req.lineNo)) throw new DomainError('VALIDATION_FAILED', `line ${req.lineNo} is listed twice`);
    seen.add(req.lineNo);
    const line = sale.lines.find((l) => l.lineNo === req.lineNo);
    if (!line) throw new DomainError('VALIDATION_FAILED', `sale ${sale.id} has no line ${req.lineNo}`);
    if (!Number.isSafeInteger(req.quantity) || req.quantity <= 0) {
      throw new DomainError('VALIDATION_FAILED', `quantity to return must be a whole number above zero, got ${req.quantity}`);
    }
    const before = returnedBefore.get(line.lineNo) ?? 0;
    if (before + req.quantity > line.quantity) {
      // A weighed line is one unit: it goes back whole (a part of its weight is not returned).
      const whole = line.measure ? ' (a weighed line is returned whole, not part of its weight)' : '';
      throw new DomainError('REFUND_EXCEEDS_SALE', `line ${line.lineNo} (${line.name}): ${line.quantity - before} of ${line.quantity} left to return, asked for ${req.quantity}${whole}`, {
        lineNo: line.lineNo,
        left: line.quantity - before,
      });
    }
    const amountMinor = unitShare(line.amountMinor, before + req.quantity, line.quantity) - unitShare(line.amountMinor, before, line.quantity);
    return { lineNo: line.lineNo, quantity: req.quantity, amountMinor, eligibleForMemberBenefits: line.eligibleForMemberBenefits };
  });
  const totalMinor = lines.reduce((s, l) => s + l.amountMinor, 0);

  // Tenders: each gives back its share of what it has not yet given back.
  const tenderLeft = sale.tenders.map((t, i) => t.amountMinor - sumOf(earlier, (r) => r.tenders.filter((x) => x.tenderIndex === i).reduce((s, x) => s + x.amountMinor, 0)));
  const tenderParts = splitOverRemaining(totalMinor, tenderLeft);
  const tenders: RefundTender[] = [];
  sale.tenders.forEach((tender, i) => {
    const amountMinor = tenderParts[i]!;
    if (amountMinor === 0) return;
    let legs: RefundTender['legs'] = [];
    let points = 0;
    if (tender.kind === 'points') {
      const given = (r: RefundDocument) => r.tenders.filter((x) => x.tenderIndex === i).reduce((s, x) => s + x.points, 0);
      const pointsLeft = tender.points - sumOf(earlier, given);
      // The points come back in the share of the tender's money value returned now.
      points = amountMinor === tenderLeft[i] ? pointsLeft : prorate(pointsLeft, [amountMinor, tenderLeft[i]! - amountMinor])[0]!;
    }
    if (tender.kind === 'stored_value') {
      const legLeft = tender.legs.map((leg) => leg.amount - sumOf(earlier, (r) => r.tenders.filter((x) => x.tenderIndex === i).flatMap((x) => x.legs).filter((x) => x.accountId === leg.accountId).reduce((s, x) => s + x.amount, 0)));
      const legParts = splitOverRemaining(amountMinor, legLeft);
      legs = tender.legs.map((leg, j) => ({ accountId: leg.accountId, part: leg.part, amount: legParts[j]! })).filter((l) => l.amount > 0);
    }
    tenders.push({ tenderIndex: i, kind: tender.kind, amountMinor, legs, points });
  });

  // Points earned come back in proportion to the eligible spend returned.
  const eligibleSale = sale.lines.filter((l) => l.eligibleForMemberBenefits).reduce((s, l) => s + l.amountMinor, 0);
  const eligibleBefore = sumOf(earlier, (r) => r.lines.filter((l) => l.eligibleForMemberBenefits).reduce((s, l) => s + l.amountMinor, 0));
  const eligibleNow = lines.filter((l) => l.eligibleForMemberBenefits).reduce((s, l) => s + l.amountMinor, 0);
  const pointsLeft = sale.pointsEarned - sumOf(earlier, (r) => r.pointsReversed);
  const eligibleLeft = eligibleSale - eligibleBefore;
  const pointsReversed =
    eligibleNow === 0 ? 0 : eligibleNow === eligibleLeft ? pointsLeft : prorate(pointsLeft, [eligibleNow, eligibleLeft - eligibleNow])[0]!;

  return {
    id: ids.refundId,
    saleId: sale.id,
    storeId: ids.storeId,
    terminalId: ids.terminalId,
    currency: sale.currency,
    memberId: sale.memberId,
    lines,
    totalMinor,
    tenders,
    pointsReversed,
    completedAt: ids.completedAt,
    withReceipt: ids.withReceipt,
  };
}

function sumOf<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((s, t) => s + f(t), 0);
}

/** The transfers a refund makes: each tender's share out of the store's sales, points taken back. */
export function postRefund(refund: RefundDocument, newId: () => string): Transfer[] {
  const base = { kind: 'single' as const, ledger: refund.currency, pendingId: null, timestamp: refund.completedAt, originTerminalId: refund.terminalId, documentId: refund.id };
  const sales = storeSalesAccountId(refund.storeId);
  const transfers: Transfer[] = [];
  for (const t of refund.tenders) {
    if (t.kind === 'cash') transfers.push({ ...base, id: newId(), code: 'REFUND_CASH', debitAccountId: sales, creditAccountId: storeCashAccountId(refund.storeId), amount: t.amountMinor });
    else if (t.kind === 'bank_card') transfers.push({ ...base, id: newId(), code: 'REFUND_BANK_CARD', debitAccountId: sales, creditAccountId: storeBankCardAccountId(refund.storeId), amount: t.amountMinor });
    else if (t.kind === 'points') {
      invariant(refund.memberId !== null, 'points refunded without a member');
      transfers.push({ ...base, id: newId(), code: 'REFUND_POINTS_VALUE', debitAccountId: sales, creditAccountId: storePointsTenderAccountId(refund.storeId), amount: t.amountMinor });
      if (t.points > 0) transfers.push({ ...base, id: newId(), ledger: POINTS_LEDGER, code: 'POINTS_RESTORED', debitAccountId: chainPointsIssuedAccountId(), creditAccountId: memberPointsAccountId(refund.memberId), amount: t.points });
    }
    else for (const leg of t.legs) transfers.push({ ...base, id: newId(), code: 'REFUND_STORED_VALUE', debitAccountId: sales, creditAccountId: leg.accountId, amount: leg.amount });
  }
  if (refund.pointsReversed > 0) {
    invariant(refund.memberId !== null, 'points reversed without a member');
    transfers.push({ ...base, id: newId(), ledger: POINTS_LEDGER, code: 'POINTS_REVERSED', debitAccountId: memberPointsAccountId(refund.memberId), creditAccountId: chainPointsIssuedAccountId(), amount: refund.pointsReversed });
  }
  return transfers;
}
