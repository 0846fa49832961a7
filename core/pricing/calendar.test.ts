import { describe, expect, it } from 'vitest';
import { promotion } from './builders';
import { inBirthdayWindow, inTimeWindow } from './calendar';

const anyRule = { type: 'specialPrice' as const, items: [] };

describe('birthday windows', () => {
  it.each([
    ['on the day', '2026-11-22', '1990-11-22', 'day', true],
    ['the day before is not the day', '2026-11-21', '1990-11-22', 'day', false],
    ['29 February is celebrated on 28 February in a common year', '2027-02-28', '2000-02-29', 'day', true],
    ['29 February is itself in a leap year', '2028-02-29', '2000-02-29', 'day', true],
    ['same Monday–Sunday week', '2026-11-16', '1990-11-22', 'week', true],
    ['the Monday after is the next week', '2026-11-23', '1990-11-22', 'week', false],
    ['a week across New Year: born 1 January, Tuesday 30 December 2025 is that week', '2025-12-30', '1980-01-01', 'week', true],
    ['a week across New Year: born 31 December, Thursday 1 January 2026 is that week', '2026-01-01', '1980-12-31', 'week', true],
    ['same month', '2026-11-01', '1990-11-30', 'month', true],
    ['other month', '2026-12-01', '1990-11-30', 'month', false],
  ] as const)('%s', (_, today, birthday, window, expected) => {
    expect(inBirthdayWindow(today, birthday, window)).toBe(expected);
  });
});

describe('time windows (store-local)', () => {
  const at = (localDate: string, weekday: number, minuteOfDay: number) => ({ localDate, weekday, minuteOfDay });

  it('dates are inclusive at both ends', () => {
    const p = promotion('p', anyRule, { validFrom: '2026-11-01', validTo: '2026-11-30' });
    expect(inTimeWindow(p, at('2026-11-01', 7, 0))).toBe(true);
    expect(inTimeWindow(p, at('2026-11-30', 1, 1439))).toBe(true);
    expect(inTimeWindow(p, at('2026-10-31', 6, 1439))).toBe(false);
    expect(inTimeWindow(p, at('2026-12-01', 2, 0))).toBe(false);
  });

  it('hours are [from, to): a 10:00–14:00 special starts at 10:00 and is over at 14:00', () => {
    const p = promotion('p', anyRule, { hours: { fromMinute: 600, toMinute: 840 } });
    expect(inTimeWindow(p, at('2026-11-22', 7, 599))).toBe(false);
    expect(inTimeWindow(p, at('2026-11-22', 7, 600))).toBe(true);
    expect(inTimeWindow(p, at('2026-11-22', 7, 839))).toBe(true);
    expect(inTimeWindow(p, at('2026-11-22', 7, 840))).toBe(false);
  });

  it('a night window 22:00–02:00 wraps past midnight', () => {
    const p = promotion('p', anyRule, { hours: { fromMinute: 22 * 60, toMinute: 2 * 60 } });
    expect(inTimeWindow(p, at('2026-11-22', 7, 23 * 60))).toBe(true);
    expect(inTimeWindow(p, at('2026-11-22', 7, 60))).toBe(true);
    expect(inTimeWindow(p, at('2026-11-22', 7, 12 * 60))).toBe(false);
  });

  it('days of week use ISO numbering, 1 = Monday', () => {
    const weekdays = promotion('p', anyRule, { daysOfWeek: [1, 2, 3, 4, 5] });
    expect(inTimeWindow(weekdays, at('2026-11-23', 1, 600))).toBe(true);
    expect(inTimeWindow(weekdays, at('2026-11-22', 7, 600))).toBe(false);
  });
});
