import { cardBonusAccountId, cardPrincipalAccountId } from './accounts';
import type { Card, CardStatus } from './chain';
import { DomainError } from './errors';
import type { Transfer } from './ledger';

/**
 * Card lifecycle (会员卡): which states a card may move between, and whether a card may
 * pay today. Terminal and HQ both ask these questions; this is the one answer.
 */

/** Refuses a card that cannot pay or be used today (`today` as YYYY-MM-DD in the store's zone). */
export function assertCardUsable(card: Pick<Card, 'cardNo' | 'status' | 'expiresOn'>, today: string): void {
  switch (card.status) {
    case 'frozen':
      throw new DomainError('CARD_FROZEN', `card ${card.cardNo} is frozen; the member or HQ must unfreeze it first`);
    case 'lost':
      throw new DomainError('CARD_LOST', `card ${card.cardNo} was reported lost; issue a replacement card`);
    case 'expired':
      throw new DomainError('CARD_EXPIRED', `card ${card.cardNo} has expired`);
    case 'replaced':
      throw new DomainError('CARD_INACTIVE', `card ${card.cardNo} was replaced by a new card; use the new one`);
    case 'active':
      break;
  }
  if (card.expiresOn !== null && card.expiresOn < today) {
    throw new DomainError('CARD_EXPIRED', `card ${card.cardNo} expired on ${card.expiresOn}`);
  }
}

export type CardAction = 'freeze' | 'unfreeze' | 'report_lost' | 'replace' | 'expire';

const TRANSITIONS: Record<CardAction, { from: CardStatus[]; to: CardStatus }> = {
  freeze: { from: ['active'], to: 'frozen' },
  unfreeze: { from: ['frozen'], to: 'active' },
  report_lost: { from: ['active', 'frozen'], to: 'lost' },
  // A card is replaced after it is lost, or when it is worn out and still in hand.
  replace: { from: ['lost', 'active', 'frozen'], to: 'replaced' },
  expire: { from: ['active', 'frozen'], to: 'expired' },
};

/** The status `action` moves a card to, or CARD_STATUS_CHANGE_NOT_ALLOWED. */
export function nextCardStatus(current: CardStatus, action: CardAction): CardStatus {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(current)) {
    throw new DomainError('CARD_STATUS_CHANGE_NOT_ALLOWED', `a ${current} card cannot be ${action.replace('_', ' ')}`, { current, action });
  }
  return rule.to;
}

/**
 * The transfers that move a replaced card's stored value to its replacement, part by part,
 * so principal stays principal and bonus stays bonus.
 */
export function postCardReplacement(
  r: { documentId: string; currency: string; oldCardId: string; newCardId: string; principalMinor: number; bonusMinor: number; at: number; terminalId: string | null },
  newId: () => string,
): Transfer[] {
  const base = { kind: 'single' as const, ledger: r.currency, code: 'CARD_REPLACEMENT' as const, pendingId: null, timestamp: r.at, originTerminalId: r.terminalId, documentId: r.documentId };
  const out: Transfer[] = [];
  if (r.principalMinor > 0) out.push({ ...base, id: newId(), debitAccountId: cardPrincipalAccountId(r.oldCardId), creditAccountId: cardPrincipalAccountId(r.newCardId), amount: r.principalMinor });
  if (r.bonusMinor > 0) out.push({ ...base, id: newId(), debitAccountId: cardBonusAccountId(r.oldCardId), creditAccountId: cardBonusAccountId(r.newCardId), amount: r.bonusMinor });
  return out;
}
