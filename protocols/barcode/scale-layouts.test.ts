import { describe, expect, it } from 'vitest';
import { classifyScan } from './classify';
import { gtinCheckDigit } from './gtin';
import { encodeVariableMeasure, type VariableMeasureLayout } from './variable-measure';

// A store with two scale-label layouts, as the demo lane's scanner (fixtures/simulators/virtual-devices.ts):
// weight labels 28 + PLU(5) + verifier + grams(4), price labels 2 + PLU(6) + fen(5), tried in that order.
const WEIGHT: VariableMeasureLayout = { prefixes: ['28'], itemDigits: 5, value: 'weight', valueDigits: 4, valueCheckDigit: true };
const PRICE: VariableMeasureLayout = { prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false };
const LAYOUTS = [WEIGHT, PRICE];

describe('scale labels with a weight layout and a price layout', () => {
  it('a weight label: PLU 10001, 1.234 kg', () => {
    const code = encodeVariableMeasure(WEIGHT, '28', '10001', 1234);
    expect(code).toBe('2810001912343');
    expect(classifyScan(code, LAYOUTS)).toEqual({ kind: 'variable-measure', item: { prefix: '28', itemCode: '10001', value: 'weight', amount: 1234 } });
  });

  it('a price label: PLU 020001, ¥23.45', () => {
    const code = encodeVariableMeasure(PRICE, '2', '020001', 2345);
    expect(classifyScan(code, LAYOUTS)).toEqual({ kind: 'variable-measure', item: { prefix: '2', itemCode: '020001', value: 'price', amount: 2345 } });
  });

  it('a weight label whose weight does not match its verifier is invalid (BAD_CHECK_DIGIT), never read as a price label', () => {
    const body = '28100010' + '1234'; // verifier 0 where 9 belongs
    const code = body + String(gtinCheckDigit(body));
    expect(classifyScan(code, LAYOUTS)).toMatchObject({ kind: 'invalid', code: 'BAD_CHECK_DIGIT' });
  });

  it('a label with a wrong EAN check digit is invalid (BAD_CHECK_DIGIT)', () => {
    expect(classifyScan('2810001912340', LAYOUTS)).toMatchObject({ kind: 'invalid', code: 'BAD_CHECK_DIGIT' });
    expect(classifyScan('2002000123457', LAYOUTS)).toMatchObject({ kind: 'invalid', code: 'BAD_CHECK_DIGIT' });
  });
});
