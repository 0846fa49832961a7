import { describe, expect, it } from 'vitest';
import { DEFAULT_POINTS_EARN_POLICY, isBirthdayPeriod, pointsEarned, pointsForSale, type PointsEarnPolicy } from './points';

const ctx = { currency: 'CNY', storeId: 'store-sh-01', levelMultiplier: '1', localDate: '2026-11-22', weekday: 7, birthday: null };
const lines = [
  { sku: 'TEA', category: 'drinks', amountMinor: 1_999, eligibleForMemberBenefits: true },
  { sku: 'MILK', category: 'dairy', amountMinor: 3_050, eligibleForMemberBenefits: true },
  { sku: 'CIG', category: 'tobacco', amountMinor: 2_500, eligibleForMemberBenefits: false },
];

describe('points earned — worked examples (1 point per ¥1, rounded down)', () => {
  it('¥50.49 of eligible goods earns 50 points; tobacco earns none', () => {
    expect(pointsForSale(lines, ctx)).toBe(50);
    expect(pointsEarned(5_049, 'CNY', '1')).toBe(50);
  });
  it('a gold member (×1.5) on a double-points Sunday earns ×3', () => {
    const policy: PointsEarnPolicy = { ...DEFAULT_POINTS_EARN_POLICY, multiplierDays: [{ weekday: 7, multiplier: '2' }] };
    expect(pointsForSale(lines, { ...ctx, levelMultiplier: '1.5' }, policy)).toBe(151); // 50.49 × 3 = 151.47
  });
  it('category and store multipliers, excluded products and a birthday month', () => {
    const policy: PointsEarnPolicy = {
      ...DEFAULT_POINTS_EARN_POLICY,
      categoryMultipliers: { dairy: '2' },
      storeMultipliers: { 'store-sh-01': '1.1' },
      excludedSkus: ['TEA'],
      birthday: { multiplier: '2', scope: 'month' },
    };
    expect(pointsForSale(lines, ctx, policy)).toBe(67); // 30.50 × 2 × 1.1 = 67.1
    expect(pointsForSale(lines, { ...ctx, birthday: '1990-11-03' }, policy)).toBe(134);
  });
  it('knows a birthday day, week and month', () => {
    expect(isBirthdayPeriod('1990-11-22', '2026-11-22', 7, 'day')).toBe(true);
    expect(isBirthdayPeriod('1990-11-17', '2026-11-22', 7, 'week')).toBe(true); // Tue of the same week
    expect(isBirthdayPeriod('1990-11-23', '2026-11-22', 7, 'week')).toBe(false); // next Monday
    expect(isBirthdayPeriod('1990-11-01', '2026-11-22', 7, 'month')).toBe(true);
    expect(isBirthdayPeriod(null, '2026-11-22', 7, 'month')).toBe(false);
  });
});
