import Decimal from 'decimal.js';
import { DomainError } from './errors';
import { assertMinor, toMinor } from './money';

/** 积分抵现: points as a tender — `pointsPerUnit` points are worth `unitValueMinor`, capped per sale. */
export interface PointsTenderRule {
  pointsPerUnit: number;
  unitValueMinor: number;
  /** Most of a sale points may pay, as a decimal fraction ("0.5" = half); "1" = no cap. */
  maxShareOfSale: string;
}

export const DEFAULT_POINTS_TENDER_RULE: PointsTenderRule = { pointsPerUnit: 100, unitValueMinor: 100, maxShareOfSale: '0.5' };

/**
 * How many of the offered points a sale takes and what they pay: whole redemption units
 * only, no more than the member has, no more than the sale's cap or what is left to pay.
 */
export function redeemPoints(
  offered: number,
  available: number,
  sale: { totalMinor: number; leftToPayMinor: number },
  rule: PointsTenderRule = DEFAULT_POINTS_TENDER_RULE,
): { points: number; valueMinor: number } {
  if (!Number.isSafeInteger(offered) || offered <= 0) throw new DomainError('VALIDATION_FAILED', 'points offered must be a whole number above zero');
  assertMinor(sale.totalMinor);
  assertMinor(sale.leftToPayMinor);
  if (offered < rule.pointsPerUnit) {
    throw new DomainError('POINTS_BELOW_REDEMPTION_UNIT', `points are redeemed in units of ${rule.pointsPerUnit}`, { unit: rule.pointsPerUnit });
  }
  if (offered > available) throw new DomainError('INSUFFICIENT_POINTS', `the member has ${available} points, not ${offered}`, { available });
  const cap = Math.min(sale.leftToPayMinor, toMinor(new Decimal(sale.totalMinor).times(rule.maxShareOfSale), 'DOWN'));
  const units = Math.min(Math.floor(offered / rule.pointsPerUnit), Math.floor(cap / rule.unitValueMinor));
  if (units <= 0) throw new DomainError('POINTS_BELOW_REDEMPTION_UNIT', 'this sale leaves no room for a points payment', { capMinor: cap });
  return { points: units * rule.pointsPerUnit, valueMinor: units * rule.unitValueMinor };
}
