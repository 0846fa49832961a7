import { describe, expect, it } from 'vitest';
import type { MemberLevel } from './chain';
import { reviewLevel } from './member-level';
import { lastValidDay, pointsExpiring } from './points-expiry';
import { addMonths, localTime } from './time';

describe('store-local time', () => {
  it('a moment late on 31 Dec UTC is already 1 Jan in Shanghai', () => {
    const ms = Date.UTC(2026, 11, 31, 16, 30);
    expect(localTime(ms, 'Asia/Shanghai')).toEqual({ date: '2027-01-01', weekday: 5, minuteOfDay: 30 });
    expect(localTime(ms, 'UTC').date).toBe('2026-12-31');
  });
  it('adds months, clamping to the end of a short month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2026-11-22', 12)).toBe('2027-11-22');
    expect(addMonths('2026-11-22', 14)).toBe('2028-01-22');
  });
});

describe('points expiry', () => {
  const lots = [
    { earnedOn: '2025-03-10', points: 500 },
    { earnedOn: '2025-11-22', points: 300 },
    { earnedOn: '2026-06-01', points: 200 },
  ];
  it('rolling 12 months: a lot is usable through the same date a year later, gone the day after', () => {
    expect(lastValidDay('2025-11-22', { kind: 'rolling', months: 12 })).toBe('2026-11-22');
    // 400 points were spent: they came out of the oldest lot, leaving 100 of it.
    expect(pointsExpiring(lots, 400, '2026-11-22', { kind: 'rolling', months: 12 })).toBe(100);
    expect(pointsExpiring(lots, 400, '2026-11-23', { kind: 'rolling', months: 12 })).toBe(400);
  });
  it('yearly: points of 2025 expire after 31 Dec 2026', () => {
    const rule = { kind: 'yearly' as const, month: 12, day: 31, yearsLater: 1 };
    expect(pointsExpiring(lots, 0, '2026-12-31', rule)).toBe(0);
    expect(pointsExpiring(lots, 0, '2027-01-01', rule)).toBe(800);
    expect(pointsExpiring(lots, 900, '2027-01-01', rule)).toBe(0);
  });
});

describe('member levels', () => {
  const levels: MemberLevel[] = [
    { code: 'regular', name: 'Regular', rank: 0, discountRate: '1', pointsMultiplier: '1', offlineLimitMinor: 20_000 },
    { code: 'silver', name: 'Silver', rank: 1, discountRate: '0.98', pointsMultiplier: '1.2', offlineLimitMinor: 50_000 },
    { code: 'gold', name: 'Gold', rank: 2, discountRate: '0.95', pointsMultiplier: '1.5', offlineLimitMinor: 100_000 },
  ];
  const thresholds = [
    { code: 'regular', minRollingSpendMinor: 0 },
    { code: 'silver', minRollingSpendMinor: 200_000 },
    { code: 'gold', minRollingSpendMinor: 1_000_000 },
  ];
  it('upgrades as soon as spend reaches the next threshold', () => {
    expect(reviewLevel('regular', 200_000, levels, thresholds, false).code).toBe('silver');
    expect(reviewLevel('silver', 1_500_000, levels, thresholds, false).code).toBe('gold');
  });
  it('downgrades only at the yearly review', () => {
    expect(reviewLevel('gold', 100, levels, thresholds, false).code).toBe('gold');
    expect(reviewLevel('gold', 250_000, levels, thresholds, true).code).toBe('silver');
  });
});
