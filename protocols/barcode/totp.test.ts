import { describe, expect, it } from 'vitest';
import { hotp, totp } from './totp';

const secret = new TextEncoder().encode('12345678901234567890');

describe('TOTP (RFC 6238 appendix B, SHA-1)', () => {
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('at T=%i gives %s', (t, expected) => {
    expect(totp(secret, t, { step_s: 30, digits: 8 })).toBe(expected);
  });
  it('HOTP matches RFC 4226 appendix D', () => {
    expect(['755224', '287082', '359152'].map((_, i) => hotp(secret, i, 6))).toEqual(['755224', '287082', '359152']);
  });
  it('uses an injected HMAC when given one', () => {
    const calls: number[] = [];
    const fake = (_k: Uint8Array, m: Uint8Array) => {
      calls.push(m.length);
      return new Uint8Array(20);
    };
    expect(hotp(secret, 1, 6, fake)).toBe('000000');
    expect(calls).toEqual([8]);
  });
});
