import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMajor, multiplyMinor, parseMajor, prorate, toMinor } from './money';

describe('money', () => {
  it('rounds a 9.5折 discount of 3.33 half-up to the fen', () => {
    expect(multiplyMinor(333, '0.95', 'HALF_UP')).toBe(316); // 316.35
    expect(multiplyMinor(333, '0.95', 'DOWN')).toBe(316);
    expect(toMinor('2.5', 'HALF_EVEN')).toBe(2);
    expect(toMinor('2.5', 'HALF_UP')).toBe(3);
  });

  it('parses and formats major units exactly, refusing sub-fen amounts', () => {
    expect(parseMajor('12.30', 'CNY')).toBe(1230);
    expect(parseMajor('0.1', 'CNY')).toBe(10);
    expect(formatMajor(1230, 'CNY')).toBe('12.30');
    expect(formatMajor(-5, 'CNY')).toBe('-0.05');
    expect(() => parseMajor('1.001', 'CNY')).toThrow(/more than 2 decimals/);
    expect(() => parseMajor('abc', 'CNY')).toThrow(/not an amount/);
    expect(() => multiplyMinor(1.5, '1', 'DOWN')).toThrow(/integer/);
  });

  it('prorates a discount so the parts add up to the whole', () => {
    expect(prorate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(prorate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(prorate(10, [0, 0])).toEqual([5, 5]);
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 50 }),
        (total, weights) => {
          const parts = prorate(total, weights);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          expect(parts.every((p) => Number.isSafeInteger(p))).toBe(true);
          // No part strays more than one minor unit from its exact share.
          const sum = weights.every((w) => w === 0) ? weights.length : weights.reduce((a, b) => a + b, 0);
          parts.forEach((p, i) => {
            const w = weights.every((x) => x === 0) ? 1 : weights[i]!;
            expect(Math.abs(p - (total * w) / sum)).toBeLessThan(1.000001);
          });
        },
      ),
    );
  });
});
