import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import { type VariableMeasureLayout, encodeVariableMeasure, parseVariableMeasure, priceCheckDigit } from './variable-measure';

const priceWithVerifier: VariableMeasureLayout = { prefixes: ['20', '21', '22'], itemDigits: 5, value: 'price', valueDigits: 4, valueCheckDigit: true };
const chinaScale: VariableMeasureLayout = { prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false };
const weight: VariableMeasureLayout = { prefixes: ['28'], itemDigits: 4, value: 'weight', valueDigits: 5, valueCheckDigit: true };

describe('price verifier digit (GS1 General Specifications 7.9.3)', () => {
  it('4-digit price 2875 has verifier 9', () => expect(priceCheckDigit('2875')).toBe(9));
  it('5-digit price 14685 has verifier 6', () => expect(priceCheckDigit('14685')).toBe(6));
  it('rejects fields that are not 4 or 5 digits', () => expect(() => priceCheckDigit('123')).toThrow(ProtocolError));
});

describe('in-store variable-measure codes', () => {
  it('reads item and price from a label with a price verifier', () => {
    const code = encodeVariableMeasure(priceWithVerifier, '21', '01234', 2875);
    expect(code).toBe('2101234928752');
    expect(parseVariableMeasure(code, priceWithVerifier)).toEqual({ prefix: '21', itemCode: '01234', value: 'price', amount: 2875 });
  });
  it('reads a Chinese scale label "2 + 6-digit item + 5-digit price in fen"', () => {
    expect(parseVariableMeasure('2100001012502', chinaScale)).toEqual({ prefix: '2', itemCode: '100001', value: 'price', amount: 1250 });
  });
  it('rejects a label whose price was misread even when the EAN check digit still fits', () => {
    const good = encodeVariableMeasure(priceWithVerifier, '20', '00042', 1999);
    // change the price and recompute only the final EAN check digit: the verifier must catch it
    const body = good.slice(0, 8) + '1998';
    let sum = 0;
    for (let i = body.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += Number(body[i]) * w;
    const forged = body + String((10 - (sum % 10)) % 10);
    expect(() => parseVariableMeasure(forged, priceWithVerifier)).toThrow(expect.objectContaining({ code: 'BAD_CHECK_DIGIT' }));
  });
  it('ignores codes outside the layout prefixes', () => {
    expect(parseVariableMeasure('6901234567892', priceWithVerifier)).toBeUndefined();
  });
  it('rejects a layout that does not add up to 13 digits', () => {
    expect(() => parseVariableMeasure('2000000000000', { ...priceWithVerifier, itemDigits: 6 })).toThrow(/13/);
  });
  it('round-trips any item and amount through encode and parse', () => {
    for (const layout of [priceWithVerifier, chinaScale, weight]) {
      fc.assert(
        fc.property(
          fc.constantFrom(...layout.prefixes),
          fc.stringMatching(new RegExp(`^\\d{${layout.itemDigits}}$`)),
          fc.integer({ min: 0, max: 10 ** layout.valueDigits - 1 }),
          (prefix, item, amount) => {
            const parsed = parseVariableMeasure(encodeVariableMeasure(layout, prefix, item, amount), layout);
            expect(parsed).toEqual({ prefix, itemCode: item, value: layout.value, amount });
          },
        ),
      );
    }
  });
  it('never crashes on random 13-digit input: a result, undefined or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{13}$/), (s) => {
        try {
          parseVariableMeasure(s, priceWithVerifier);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
