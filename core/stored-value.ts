import { cardBonusAccountId, cardPrincipalAccountId } from './accounts';
import { DomainError } from './errors';
import { assertMinor } from './money';

/** Which part of a card's stored value a payment spends first (a chain setting). */
export type SpendingOrder = 'principal_first' | 'bonus_first';

export interface StoredValueLeg {
  accountId: string;
  part: 'principal' | 'bonus';
  amount: number;
}

/**
 * Splits a stored-value payment over a card's principal and bonus by the spending
 * order, refusing with INSUFFICIENT_BALANCE when both together fall short.
 */
export function splitStoredValuePayment(
  cardId: string,
  amount: number,
  available: { principal: number; bonus: number },
  order: SpendingOrder = 'principal_first',
): StoredValueLeg[] {
  assertMinor(amount);
  if (amount <= 0) throw new DomainError('VALIDATION_FAILED', 'a stored-value payment must be more than zero');
  const total = available.principal + available.bonus;
  if (amount > total) {
    throw new DomainError('INSUFFICIENT_BALANCE', `stored value ${total} is short of the ${amount} asked for`, {
      available: total,
      requested: amount,
    });
  }
  const parts: Array<StoredValueLeg['part']> = order === 'principal_first' ? ['principal', 'bonus'] : ['bonus', 'principal'];
  const legs: StoredValueLeg[] = [];
  let left = amount;
  for (const part of parts) {
    const take = Math.min(left, Math.max(0, available[part]));
    if (take > 0) {
      legs.push({ part, amount: take, accountId: part === 'principal' ? cardPrincipalAccountId(cardId) : cardBonusAccountId(cardId) });
      left -= take;
    }
  }
  return legs;
}

/** A top-up bonus tier: top up at least `minPrincipalMinor`, get `bonusMinor` ("充1000送150"). */
export interface TopUpBonusTier {
  minPrincipalMinor: number;
  bonusMinor: number;
}

/** The bonus of the highest tier the top-up reaches; tiers do not add up. */
export function topUpBonus(principalMinor: number, tiers: readonly TopUpBonusTier[]): number {
  assertMinor(principalMinor);
  let best = 0;
  for (const tier of tiers) if (principalMinor >= tier.minPrincipalMinor && tier.bonusMinor > best) best = tier.bonusMinor;
  return best;
}
