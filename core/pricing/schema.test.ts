import { describe, expect, it } from 'vitest';
import { promotion } from './builders';
import { promotionSchema } from './schema';
import type { Promotion } from './types';

const spend200 = promotion('spend200', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 20000, offMinor: 3000 }], repeat: false, capMinor: null });

describe('promotion schema', () => {
  it('accepts a promotion as the engine takes it', () => {
    expect(promotionSchema.parse(spend200)).toEqual(spend200);
    const gift: Promotion = promotion('tote', {
      type: 'spendThresholdGift',
      thresholdMinor: 10000,
      gift: { sku: 'BAG', name: 'Tote bag', nameZh: '环保袋', quantity: 1, unitValueMinor: 500 },
      repeat: false,
      maxGifts: null,
    });
    expect(promotionSchema.safeParse(gift).success).toBe(true);
  });

  it.each([
    ['a rate with seven decimals', { ...spend200, rule: { type: 'secondItem', rate: '0.5555555', scope: {} } }],
    ['a rate above 1', { ...spend200, rule: { type: 'memberLevelDiscount', levels: null, scope: undefined, rate: '1.2' }, group: 'x' }],
    ['a negative amount off', { ...spend200, rule: { ...spend200.rule, tiers: [{ thresholdMinor: 100, offMinor: -1 }] } }],
    ['a fractional amount', { ...spend200, rule: { ...spend200.rule, tiers: [{ thresholdMinor: 100.5, offMinor: 1 }] } }],
    ['an end before the start', { ...spend200, validFrom: '2026-12-01', validTo: '2026-11-01' }],
    ['weekday 0', { ...spend200, daysOfWeek: [0] }],
    ['an unknown rule type', { ...spend200, rule: { type: 'lottery' } }],
  ])('refuses %s', (_, value) => {
    expect(promotionSchema.safeParse(value).success).toBe(false);
  });
});
