import { cardBonusAccountId, cardPrincipalAccountId, chainTopUpBonusAccountId, storeBankCardAccountId, storeCashAccountId, storeSalesAccountId } from './accounts';
import { DomainError } from './errors';
import type { Transfer } from './ledger';
import { assertMinor } from './money';

/** A top-up (充值): the member pays principal in; a promotion may add bonus. */
export interface TopUpDocument {
  id: string;
  storeId: string;
  terminalId: string;
  currency: string;
  memberId: string;
  cardId: string;
  tender: 'cash' | 'bank_card';
  principalMinor: number;
  bonusMinor: number;
  completedAt: number;
}

/** The transfers a top-up makes: the tender into the card's principal, the chain's bonus into its bonus. */
export function postTopUp(topUp: TopUpDocument, newId: () => string): Transfer[] {
  assertMinor(topUp.principalMinor, 'top-up principal');
  assertMinor(topUp.bonusMinor, 'top-up bonus');
  if (topUp.principalMinor <= 0) throw new DomainError('VALIDATION_FAILED', 'a top-up must be more than zero');
  if (topUp.bonusMinor < 0) throw new DomainError('VALIDATION_FAILED', 'a top-up bonus cannot be negative');
  const base = {
    kind: 'single' as const,
    ledger: topUp.currency,
    pendingId: null,
    timestamp: topUp.completedAt,
    originTerminalId: topUp.terminalId,
    documentId: topUp.id,
  };
  const from = topUp.tender === 'cash' ? storeCashAccountId(topUp.storeId) : storeBankCardAccountId(topUp.storeId);
  const transfers: Transfer[] = [
    { ...base, id: newId(), code: 'TOPUP', debitAccountId: from, creditAccountId: cardPrincipalAccountId(topUp.cardId), amount: topUp.principalMinor },
  ];
  if (topUp.bonusMinor > 0) {
    transfers.push({
      ...base,
      id: newId(),
      code: 'TOPUP_BONUS',
      debitAccountId: chainTopUpBonusAccountId(topUp.currency),
      creditAccountId: cardBonusAccountId(topUp.cardId),
      amount: topUp.bonusMinor,
    });
  }
  return transfers;
}

/** A top-up given back: principal paid out by the top-up's tender, its bonus clawed back. */
export interface TopUpRefundDocument {
  id: string;
  topUpId: string;
  storeId: string;
  terminalId: string;
  currency: string;
  memberId: string;
  cardId: string;
  tender: 'cash' | 'bank_card';
  principalMinor: number;
  bonusClawedBackMinor: number;
  /** The pending transfers of HQ's holds on the card's principal and bonus (`${hold}/principal|bonus`; null when not held). */
  principalHoldId: string | null;
  bonusHoldId: string | null;
  completedAt: number;
}

/**
 * How much of a top-up can be given back: the bonus it brought is clawed back first from
 * what is left of the card's bonus, and whatever bonus was already spent is kept out of the
 * principal paid back, so the member never keeps bonus for money they took back.
 */
export function planTopUpRefund(
  topUp: { principalMinor: number; bonusMinor: number },
  available: { principal: number; bonus: number },
): { principalMinor: number; bonusClawedBackMinor: number } {
  const bonusClawedBackMinor = Math.min(topUp.bonusMinor, Math.max(0, available.bonus));
  const bonusAlreadySpent = topUp.bonusMinor - bonusClawedBackMinor;
  const principalMinor = topUp.principalMinor - bonusAlreadySpent;
  if (principalMinor <= 0) throw new DomainError('INSUFFICIENT_BALANCE', 'the bonus of this top-up was spent beyond its principal; nothing can be given back');
  if (principalMinor > available.principal) {
    throw new DomainError('INSUFFICIENT_BALANCE', `the card holds ${available.principal} of principal, less than the ${principalMinor} to give back`, { available: available.principal, requested: principalMinor });
  }
  return { principalMinor, bonusClawedBackMinor };
}

/**
 * The transfers of a top-up refund. Without holds, each part leaves the card directly: the
 * principal to the top-up's tender (cash or bank card), the bonus back to the chain's bonus
 * account. With HQ's holds — which reserve a part of the card into the store's sales, as for a
 * sale, so the money stays held until the refund posts — each hold is captured as it was made
 * (post_pending, card → store sales) and the amount then moves on from the store's sales with a
 * single transfer to the tender or the chain's bonus. The capture carries the document's code, so
 * the card's side reads the same either way; the onward transfer touches no card.
 */
export function postTopUpRefund(r: TopUpRefundDocument, newId: () => string): Transfer[] {
  assertMinor(r.principalMinor, 'refund principal');
  assertMinor(r.bonusClawedBackMinor, 'bonus clawed back');
  const base = { ledger: r.currency, timestamp: r.completedAt, originTerminalId: r.terminalId, documentId: r.id };
  const sales = storeSalesAccountId(r.storeId);
  const out: Transfer[] = [];
  const part = (code: 'TOPUP_REFUND' | 'TOPUP_BONUS_CLAWBACK', card: string, to: string, amount: number, holdId: string | null) => {
    if (amount <= 0) return;
    if (holdId === null) {
      out.push({ ...base, id: newId(), kind: 'single', pendingId: null, code, debitAccountId: card, creditAccountId: to, amount });
      return;
    }
    out.push({ ...base, id: newId(), kind: 'post_pending', pendingId: holdId, code, debitAccountId: card, creditAccountId: sales, amount });
    out.push({ ...base, id: newId(), kind: 'single', pendingId: null, code, debitAccountId: sales, creditAccountId: to, amount });
  };
  part('TOPUP_REFUND', cardPrincipalAccountId(r.cardId), r.tender === 'cash' ? storeCashAccountId(r.storeId) : storeBankCardAccountId(r.storeId), r.principalMinor, r.principalHoldId);
  part('TOPUP_BONUS_CLAWBACK', cardBonusAccountId(r.cardId), chainTopUpBonusAccountId(r.currency), r.bonusClawedBackMinor, r.bonusHoldId);
  return out;
}
