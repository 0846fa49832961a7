import Decimal from 'decimal.js';
import { assertMinor, minorDigits, toMinor, type Rounding } from './money';

/** How a sale earns points: so many points per major currency unit, times the level's multiplier. */
export interface PointsEarnRule {
  /** Decimal string: "1" earns one point per ¥1. */
  pointsPerMajorUnit: string;
  /** Rounding of fractional points; chains almost always round down. */
  rounding: Rounding;
}

export const DEFAULT_POINTS_EARN_RULE: PointsEarnRule = { pointsPerMajorUnit: '1', rounding: 'DOWN' };

/** Points earned on `eligibleMinor` of spend in `currency` for a member with `levelMultiplier`. */
export function pointsEarned(
  eligibleMinor: number,
  currency: string,
  levelMultiplier: string,
  rule: PointsEarnRule = DEFAULT_POINTS_EARN_RULE,
): number {
  assertMinor(eligibleMinor, 'eligible spend');
  if (eligibleMinor <= 0) return 0;
  const major = new Decimal(eligibleMinor).dividedBy(new Decimal(10).pow(minorDigits(currency)));
  return toMinor(major.times(rule.pointsPerMajorUnit).times(levelMultiplier), rule.rounding);
}
