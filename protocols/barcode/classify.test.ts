import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyScan } from './classify';
import { GS } from './gs1';
import { gtinCheckDigit } from './gtin';

describe('classifyScan', () => {
  it('EAN-13 690123456789 + check digit 2 is a GTIN', () => {
    expect(gtinCheckDigit('690123456789')).toBe(2);
    expect(classifyScan('6901234567892')).toEqual({ kind: 'gtin', gtin: '06901234567892' });
  });
  it('UPC-A 03600029145 + 2 is a GTIN, with or without the AIM id', () => {
    expect(gtinCheckDigit('03600029145')).toBe(2);
    expect(classifyScan(']E0036000291452')).toEqual({ kind: 'gtin', gtin: '00036000291452' });
  });
  it('EAN-8 is a GTIN', () => {
    const body = '9638507';
    expect(classifyScan(body + gtinCheckDigit(body))).toMatchObject({ kind: 'gtin' });
  });
  it('a wrong check digit is invalid with a message for the cashier', () => {
    expect(classifyScan('6901234567891')).toMatchObject({ kind: 'invalid', code: 'BAD_CHECK_DIGIT' });
  });
  it('a scale label is variable-measure when a layout matches', () => {
    const layout = { prefixes: ['2'], itemDigits: 6, value: 'price' as const, valueDigits: 5 as const, valueCheckDigit: false };
    expect(classifyScan('2100001012502', [layout])).toMatchObject({ kind: 'variable-measure', item: { itemCode: '100001', amount: 1250 } });
  });
  it('a GS1-128 scan with ]C1 is parsed into elements', () => {
    expect(classifyScan(`]C10106901234567892${'10'}LOT7${GS}17270101`)).toMatchObject({ kind: 'gs1', elements: [{ ai: '01' }, { ai: '10' }, { ai: '17' }] });
  });
  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => void classifyScan(s)));
  });
});
