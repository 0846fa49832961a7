import { chainPointsIssuedAccountId, memberPointsAccountId } from './accounts';
import { DomainError } from './errors';
import { POINTS_LEDGER, type Transfer } from './ledger';

/** Points exchanged for a gift (积分兑换) at the member desk. */
export interface GiftRedemptionDocument {
  id: string;
  memberId: string;
  storeId: string;
  terminalId: string;
  giftSku: string;
  quantity: number;
  points: number;
  completedAt: number;
}

/** The transfer a gift redemption makes: the points leave the member for the chain. */
export function postGiftRedemption(g: GiftRedemptionDocument, newId: () => string): Transfer[] {
  if (!Number.isSafeInteger(g.points) || g.points <= 0) throw new DomainError('VALIDATION_FAILED', 'a gift costs a whole number of points above zero');
  if (!Number.isSafeInteger(g.quantity) || g.quantity <= 0) throw new DomainError('VALIDATION_FAILED', 'gift quantity must be a whole number above zero');
  return [
    {
      id: newId(),
      kind: 'single',
      debitAccountId: memberPointsAccountId(g.memberId),
      creditAccountId: chainPointsIssuedAccountId(),
      ledger: POINTS_LEDGER,
      amount: g.points,
      code: 'GIFT_REDEMPTION',
      pendingId: null,
      timestamp: g.completedAt,
      originTerminalId: g.terminalId,
      documentId: g.id,
    },
  ];
}
