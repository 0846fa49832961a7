import { addMonths } from './time';

/**
 * Points expiry (积分过期). Points are earned in lots; spending, reversals and earlier
 * expiries use the oldest lots first; what is left of a lot past its expiry date expires.
 */

export type PointsExpiryRule =
  | { kind: 'rolling'; months: number }
  /** Points earned in year Y expire at the end of `month`-`day` of year Y + `yearsLater`. */
  | { kind: 'yearly'; month: number; day: number; yearsLater: number }
  | { kind: 'never' };

export interface PointsLot {
  /** Store-local date the points were earned, YYYY-MM-DD. */
  earnedOn: string;
  points: number;
}

/** The last day on which points earned on `earnedOn` may still be used. */
export function lastValidDay(earnedOn: string, rule: PointsExpiryRule): string | null {
  if (rule.kind === 'never') return null;
  if (rule.kind === 'rolling') return addMonths(earnedOn, rule.months);
  const year = Number(earnedOn.slice(0, 4)) + rule.yearsLater;
  return `${year}-${String(rule.month).padStart(2, '0')}-${String(rule.day).padStart(2, '0')}`;
}

/**
 * Points that expire when the store-local date is `today`: the unconsumed remainder of every
 * lot whose last valid day is before today. `consumed` is everything already taken out of
 * the member's points (spent, reversed, expired before), applied to the oldest lots first.
 */
export function pointsExpiring(lots: readonly PointsLot[], consumed: number, today: string, rule: PointsExpiryRule): number {
  let left = Math.max(0, consumed);
  let expiring = 0;
  for (const lot of [...lots].sort((a, b) => (a.earnedOn < b.earnedOn ? -1 : a.earnedOn > b.earnedOn ? 1 : 0))) {
    const used = Math.min(left, lot.points);
    left -= used;
    const remainder = lot.points - used;
    const last = lastValidDay(lot.earnedOn, rule);
    if (remainder > 0 && last !== null && last < today) expiring += remainder;
  }
  return expiring;
}
