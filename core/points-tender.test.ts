import { describe, expect, it } from 'vitest';
import { DomainError } from './errors';
import { assertOfflineDebitAllowed } from './offline-limits';
import { redeemPoints } from './points-tender';

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as DomainError).code;
  }
}

describe('points as a tender (积分抵现): 100 points = ¥1.00, at most half the sale', () => {
  it('takes whole units only and pays their value', () => {
    expect(redeemPoints(1_250, 5_000, { totalMinor: 10_000, leftToPayMinor: 10_000 })).toEqual({ points: 1_200, valueMinor: 1_200 });
  });
  it('stops at half the sale and at what is left to pay', () => {
    expect(redeemPoints(9_000, 9_000, { totalMinor: 10_000, leftToPayMinor: 10_000 })).toEqual({ points: 5_000, valueMinor: 5_000 });
    expect(redeemPoints(9_000, 9_000, { totalMinor: 10_000, leftToPayMinor: 300 })).toEqual({ points: 300, valueMinor: 300 });
  });
  it('refuses less than a unit, more than the member has, and a sale with no room', () => {
    expect(codeOf(() => redeemPoints(99, 5_000, { totalMinor: 10_000, leftToPayMinor: 10_000 }))).toBe('POINTS_BELOW_REDEMPTION_UNIT');
    expect(codeOf(() => redeemPoints(600, 500, { totalMinor: 10_000, leftToPayMinor: 10_000 }))).toBe('INSUFFICIENT_POINTS');
    expect(codeOf(() => redeemPoints(100, 500, { totalMinor: 150, leftToPayMinor: 150 }))).toBe('POINTS_BELOW_REDEMPTION_UNIT');
    expect(codeOf(() => redeemPoints(-100, 500, { totalMinor: 150, leftToPayMinor: 150 }))).toBe('VALIDATION_FAILED');
  });
});

describe('offline stored-value limits', () => {
  const limits = { perCardDailyMinor: 20_000, perTransactionMinor: 15_000, perTerminalUnsyncedTotalMinor: 100_000, perTerminalUnsyncedCount: 50 };
  const usage = { cardOfflineTodayMinor: 0, terminalUnsyncedTotalMinor: 0, terminalUnsyncedCount: 0, knownBalanceMinor: 50_000 };
  it('allows a payment within every limit', () => {
    expect(codeOf(() => assertOfflineDebitAllowed(15_000, limits, usage))).toBe('ok');
  });
  it('names the limit a payment would pass', () => {
    expect(codeOf(() => assertOfflineDebitAllowed(15_001, limits, usage))).toBe('OFFLINE_LIMIT_EXCEEDED');
    expect(codeOf(() => assertOfflineDebitAllowed(6_000, limits, { ...usage, cardOfflineTodayMinor: 15_000 }))).toBe('OFFLINE_LIMIT_EXCEEDED');
    expect(codeOf(() => assertOfflineDebitAllowed(1_000, limits, { ...usage, terminalUnsyncedTotalMinor: 99_500 }))).toBe('OFFLINE_LIMIT_EXCEEDED');
    expect(codeOf(() => assertOfflineDebitAllowed(1_000, limits, { ...usage, terminalUnsyncedCount: 50 }))).toBe('OFFLINE_LIMIT_EXCEEDED');
    expect(codeOf(() => assertOfflineDebitAllowed(1_000, limits, { ...usage, knownBalanceMinor: 999 }))).toBe('INSUFFICIENT_BALANCE');
  });
});
