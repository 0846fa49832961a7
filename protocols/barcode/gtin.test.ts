import { describe, expect, it } from 'vitest';
import { gtinCheckDigit, isValidGtin } from './gtin';

describe('GTIN check digits', () => {
  it('computes the check digit of real EAN-13 and UPC-A codes', () => {
    expect(gtinCheckDigit('690123456789')).toBe(2); // 6901234567892
    expect(gtinCheckDigit('400638133393')).toBe(1); // 4006381333931
    expect(gtinCheckDigit('03600029145')).toBe(2); // UPC-A 036000291452
  });
  it('accepts valid codes and rejects a changed digit or a wrong length', () => {
    expect(isValidGtin('4006381333931')).toBe(true);
    expect(isValidGtin('4006381333932')).toBe(false);
    expect(isValidGtin('96385074')).toBe(true); // EAN-8
    expect(isValidGtin('12345')).toBe(false);
    expect(isValidGtin('40063813339A1')).toBe(false);
  });
});
