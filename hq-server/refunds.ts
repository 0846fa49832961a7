import { isDomainError } from '../core/errors';
import { postGiftRedemption, type GiftRedemptionDocument } from '../core/gift';
import type { Transfer } from '../core/ledger';
import { planRefund, postRefund, type RefundDocument } from '../core/refund';
import type { SaleDocument } from '../core/sale';
import { postTopUpRefund, type TopUpDocument, type TopUpRefundDocument } from '../core/top-up';
import type { Db } from './database';
import { Quarantine, requireSameTransfers } from './quarantine';
import type { TerminalIdentity } from './terminals';

/**
 * Checks of refunds, top-up refunds and gift redemptions pushed by terminals, against what HQ
 * holds: the stored sale and its earlier refunds, the stored top-up, and core's posting rules.
 * Each throws Quarantine with the reason; the event is then kept, not applied.
 */

/** Reason prefix of a refund kept until its sale arrives (re-applied then, see push-events). */
export const AWAITING_SALE = 'awaiting sale';

/** What a refund returns, in a form that compares field by field. */
function refundShape(r: RefundDocument) {
  return {
    saleId: r.saleId,
    currency: r.currency,
    memberId: r.memberId,
    lines: r.lines.map((l) => [l.lineNo, l.quantity, l.amountMinor, l.eligibleForMemberBenefits]),
    totalMinor: r.totalMinor,
    tenders: r.tenders.map((t) => [t.tenderIndex, t.kind, t.amountMinor, t.points, t.legs.map((l) => [l.accountId, l.part, l.amount])]),
    pointsReversed: r.pointsReversed,
  };
}

/**
 * A refund must be what core's planRefund makes of the stored sale and the refunds of it HQ
 * already applied, and carry exactly postRefund's transfers.
 */
export function checkRefund(refund: RefundDocument, transfers: readonly Transfer[], terminal: TerminalIdentity, sale: SaleDocument | undefined, earlier: readonly RefundDocument[]): void {
  if (refund.storeId !== terminal.storeId) throw new Quarantine(`refund store ${refund.storeId} is not this terminal's store ${terminal.storeId}`);
  if (!sale) {
    throw new Quarantine(`${AWAITING_SALE} ${refund.saleId}: the sale is not at HQ yet (it may still be in another terminal's outbox); the refund is kept and applied when the sale arrives`);
  }
  let plan: RefundDocument;
  try {
    plan = planRefund(sale, earlier, refund.lines.map((l) => ({ lineNo: l.lineNo, quantity: l.quantity })), {
      refundId: refund.id,
      terminalId: terminal.terminalId,
      storeId: refund.storeId,
      completedAt: refund.completedAt,
      withReceipt: refund.withReceipt,
    });
  } catch (e) {
    if (isDomainError(e)) throw new Quarantine(`${e.code}: ${e.message}`);
    throw e;
  }
  const want = JSON.stringify(refundShape(plan));
  const got = JSON.stringify(refundShape(refund));
  if (want !== got) throw new Quarantine(`refund does not match what HQ computes from sale ${sale.id} and ${earlier.length} earlier refund(s): expected ${want}, got ${got}`);
  let i = 0;
  requireSameTransfers(postRefund(plan, () => `expected-${i++}`), transfers, refund.id, 'refund');
}

/**
 * A top-up refund gives back the stored top-up once: the bonus clawed back is at most the bonus
 * it brought, and the bonus not clawed back (already spent) is kept out of the principal paid.
 */
export function checkTopUpRefund(r: TopUpRefundDocument, transfers: readonly Transfer[], terminal: TerminalIdentity, topUp: TopUpDocument | undefined, alreadyRefunded: boolean): void {
  if (r.storeId !== terminal.storeId) throw new Quarantine(`top-up refund store ${r.storeId} is not this terminal's store ${terminal.storeId}`);
  if (!topUp) throw new Quarantine(`top-up ${r.topUpId} is not known at HQ`);
  if (alreadyRefunded) throw new Quarantine(`top-up ${r.topUpId} was already refunded`);
  for (const [field, want, got] of [
    ['card', topUp.cardId, r.cardId],
    ['member', topUp.memberId, r.memberId],
    ['currency', topUp.currency, r.currency],
    ['tender', topUp.tender, r.tender],
  ] as const) {
    if (want !== got) throw new Quarantine(`top-up refund ${field} ${got} is not the top-up's ${want}`);
  }
  if (r.bonusClawedBackMinor > topUp.bonusMinor) throw new Quarantine(`bonus clawed back ${r.bonusClawedBackMinor} exceeds the ${topUp.bonusMinor} the top-up brought`);
  const principal = topUp.principalMinor - (topUp.bonusMinor - r.bonusClawedBackMinor);
  if (r.principalMinor !== principal) {
    throw new Quarantine(`principal paid back ${r.principalMinor} should be ${principal}: the top-up's ${topUp.principalMinor} less the ${topUp.bonusMinor - r.bonusClawedBackMinor} of its bonus not clawed back`);
  }
  let i = 0;
  requireSameTransfers(postTopUpRefund(r, () => `expected-${i++}`), transfers, r.id, 'top-up refund');
}

/**
 * The holds a top-up refund captures must be this terminal's, made for this refund, each on the
 * part it pays: its principal hold on the principal, its bonus hold on the bonus. (The ledger
 * then checks that each capture matches its hold's accounts — card → the store's sales — and
 * does not exceed it.)
 */
export async function checkTopUpRefundHolds(db: Db, r: TopUpRefundDocument, terminal: TerminalIdentity): Promise<void> {
  const legs = [
    { legId: r.principalHoldId, part: 'principal' as const },
    { legId: r.bonusHoldId, part: 'bonus' as const },
  ].filter((l): l is { legId: string; part: 'principal' | 'bonus' } => l.legId !== null);
  if (legs.length === 0) return;
  for (const l of legs) if (!l.legId.endsWith(`/${l.part}`)) throw new Quarantine(`top-up refund captures ${l.legId} for its ${l.part}, which is not the ${l.part} leg of a hold`);
  const holdIds = legs.map((l) => l.legId.slice(0, -`/${l.part}`.length));
  const rows = await db`select hold_id, terminal_id, sale_id, asset from holds where hold_id = any(${holdIds}::text[])`;
  for (const holdId of holdIds) {
    const h = rows.find((x) => x.hold_id === holdId);
    if (!h) throw new Quarantine(`hold ${holdId} is not known at HQ`);
    if (h.terminal_id !== terminal.terminalId) throw new Quarantine(`hold ${holdId} belongs to another terminal`);
    if (h.sale_id !== r.id || h.asset !== 'stored_value') throw new Quarantine(`hold ${holdId} was not made for top-up refund ${r.id}`);
  }
}

/**
 * A gift redemption carries postGiftRedemption's transfer, either as it is (a direct debit the
 * member's points must cover) or capturing a points hold HQ made (post_pending of `${hold}/points`).
 */
export function checkGiftRedemption(g: GiftRedemptionDocument, transfers: readonly Transfer[], terminal: TerminalIdentity): void {
  if (g.storeId !== terminal.storeId) throw new Quarantine(`gift redemption store ${g.storeId} is not this terminal's store ${terminal.storeId}`);
  let expected: Transfer[];
  try {
    let i = 0;
    expected = postGiftRedemption(g, () => `expected-${i++}`);
  } catch (e) {
    if (isDomainError(e)) throw new Quarantine(`${e.code}: ${e.message}`);
    throw e;
  }
  const asCarried = transfers.map((t) => (t.kind === 'post_pending' && t.pendingId?.endsWith('/points') ? { ...t, kind: 'single' as const, pendingId: null } : t));
  requireSameTransfers(expected, asCarried, g.id, 'gift redemption');
}
