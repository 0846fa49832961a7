import { cardBonusAccountId, cardPrincipalAccountId, chainTopUpBonusAccountId, storeBankCardAccountId, storeCashAccountId } from './accounts';
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
