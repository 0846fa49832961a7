import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, fromHex, toHex } from '../errors';
import { decodeValueBlock, encodeValueBlock } from './value-block';

describe('MIFARE value blocks', () => {
  it('1234567 at block 17 is 87 D6 12 00 78 29 ED FF 87 D6 12 00 11 EE 11 EE', () => {
    expect(toHex(encodeValueBlock(1234567, 17))).toBe('87 d6 12 00 78 29 ed ff 87 d6 12 00 11 ee 11 ee');
    expect(decodeValueBlock(fromHex('87 D6 12 00 78 29 ED FF 87 D6 12 00 11 EE 11 EE'))).toEqual({ value: 1234567, address: 17 });
  });
  it('rejects a block whose inverted copy disagrees (a torn write)', () => {
    const b = encodeValueBlock(500, 4);
    b[5] = b[5]! ^ 1;
    expect(() => decodeValueBlock(b)).toThrow(expect.objectContaining({ code: 'BAD_FORMAT' }));
  });
  it('round-trips any 32-bit value and address', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: 0, max: 255 }), (v, a) => {
        expect(decodeValueBlock(encodeValueBlock(v, a))).toEqual({ value: v, address: a });
      }),
    );
  });
  it('random 16 bytes decode or throw ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 20 }), (b) => {
        try {
          decodeValueBlock(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
