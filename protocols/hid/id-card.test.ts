import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import { formatIdCard, parseIdCard } from './id-card';

describe('125 kHz ID card numbers', () => {
  it('the same card reads the same uid in 10-digit decimal and 10-hex output', () => {
    expect(parseIdCard('0012345678', 'decimal10')).toEqual({ uid: '00BC614E', customer: undefined });
    expect(parseIdCard('1A00BC614E', 'hex10')).toEqual({ uid: '00BC614E', customer: '1A' });
  });
  it('rejects a line that is not a card number', () => {
    expect(() => parseIdCard('12345', 'decimal10')).toThrow(ProtocolError);
    expect(() => parseIdCard('9999999999', 'decimal10')).toThrow(/32 bits/);
  });
  it('round-trips any 32-bit id in both formats', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom('decimal10' as const, 'hex10' as const), (id, f) => {
        expect(parseIdCard(formatIdCard(id, f), f).uid).toBe(id.toString(16).toUpperCase().padStart(8, '0'));
      }),
    );
  });
});
