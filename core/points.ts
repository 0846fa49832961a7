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

/**
 * The chain's whole points-earning policy: the base rule times multipliers by member level,
 * store, product category, day, and birthday. A multiplier of "0" excludes; excluded products
 * (and lines not eligible for member benefits) earn nothing. Points are rounded once, on the
 * sale's total, with the base rule's rounding.
 */
export interface PointsEarnPolicy {
  base: PointsEarnRule;
  storeMultipliers: Record<string, string>;
  categoryMultipliers: Record<string, string>;
  excludedSkus: string[];
  /** Days that multiply points: a weekday (1 = Monday … 7 = Sunday) or a date (YYYY-MM-DD). */
  multiplierDays: Array<{ weekday?: number; date?: string; multiplier: string }>;
  /** Multiplier on the member's birthday: that day, its week (Monday–Sunday) or its month. */
  birthday: { multiplier: string; scope: 'day' | 'week' | 'month' } | null;
}

export const DEFAULT_POINTS_EARN_POLICY: PointsEarnPolicy = {
  base: DEFAULT_POINTS_EARN_RULE,
  storeMultipliers: {},
  categoryMultipliers: {},
  excludedSkus: [],
  multiplierDays: [],
  birthday: null,
};

export interface PointsEarnLine {
  sku: string;
  category: string;
  amountMinor: number;
  eligibleForMemberBenefits: boolean;
}

export interface PointsEarnContext {
  currency: string;
  storeId: string;
  levelMultiplier: string;
  /** Store-local date YYYY-MM-DD and weekday 1–7 of the sale. */
  localDate: string;
  weekday: number;
  /** Member's birthday YYYY-MM-DD, or null. */
  birthday: string | null;
}

/** Whether `localDate` falls in the member's birthday day, week or month. */
export function isBirthdayPeriod(birthday: string | null, localDate: string, weekday: number, scope: 'day' | 'week' | 'month'): boolean {
  if (!birthday) return false;
  const monthDay = birthday.slice(5);
  if (scope === 'month') return birthday.slice(5, 7) === localDate.slice(5, 7);
  if (scope === 'day') return monthDay === localDate.slice(5);
  // This year's birthday within the Monday–Sunday week of localDate.
  const today = Date.UTC(Number(localDate.slice(0, 4)), Number(localDate.slice(5, 7)) - 1, Number(localDate.slice(8, 10)));
  const monday = today - (weekday - 1) * 86_400_000;
  const year = localDate.slice(0, 4);
  const bday = Date.UTC(Number(year), Number(monthDay.slice(0, 2)) - 1, Number(monthDay.slice(3, 5)));
  return bday >= monday && bday < monday + 7 * 86_400_000;
}

/** Points a sale earns under `policy`: per-line decimals summed, rounded once. */
export function pointsForSale(lines: readonly PointsEarnLine[], ctx: PointsEarnContext, policy: PointsEarnPolicy = DEFAULT_POINTS_EARN_POLICY): number {
  const unit = new Decimal(10).pow(minorDigits(ctx.currency));
  let saleFactor = new Decimal(policy.base.pointsPerMajorUnit).times(ctx.levelMultiplier).times(policy.storeMultipliers[ctx.storeId] ?? '1');
  for (const day of policy.multiplierDays) {
    if ((day.weekday !== undefined && day.weekday === ctx.weekday) || (day.date !== undefined && day.date === ctx.localDate)) saleFactor = saleFactor.times(day.multiplier);
  }
  if (policy.birthday && isBirthdayPeriod(ctx.birthday, ctx.localDate, ctx.weekday, policy.birthday.scope)) saleFactor = saleFactor.times(policy.birthday.multiplier);
  let total = new Decimal(0);
  for (const line of lines) {
    assertMinor(line.amountMinor, 'line amount');
    if (!line.eligibleForMemberBenefits || line.amountMinor <= 0 || policy.excludedSkus.includes(line.sku)) continue;
    const category = new Decimal(policy.categoryMultipliers[line.category] ?? '1');
    total = total.plus(new Decimal(line.amountMinor).dividedBy(unit).times(category));
  }
  return toMinor(total.times(saleFactor), policy.base.rounding);
}
