import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prorate } from '../money';
import { allocate } from './allocate';

describe('allocate', () => {
  it('is prorate: same shares for any amount and weights', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 0, max: 5_000_000 }), fc.boolean(), (weights, amount, exact) => {
        const total = exact ? weights.reduce((a, b) => a + b, 0) : amount;
        expect(allocate(total, weights)).toEqual(prorate(total, weights));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives one line the whole amount, and weights that add up to the amount back unchanged', () => {
    expect(allocate(299, [1500])).toEqual([299]);
    expect(allocate(450, [100, 350])).toEqual([100, 350]);
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
  });
});
