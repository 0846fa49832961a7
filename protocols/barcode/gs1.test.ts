import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import { GS, encodeGs1, netWeightGrams, parseGs1, priceMinor } from './gs1';
import { gtinCheckDigit } from './gtin';

describe('GS1-128 element strings', () => {
  it('reads GTIN, batch and best-before with FNC1 after the variable batch', () => {
    const els = parseGs1(`]C1010690123456789221${'ABC123'}${GS}1526123110XYZ`);
    expect(els.map((e) => [e.ai, e.value])).toEqual([
      ['01', '06901234567892'],
      ['21', 'ABC123'],
      ['15', '261231'],
      ['10', 'XYZ'],
    ]);
  });
  it('reads net weight and price as integers (grams, fen)', () => {
    const els = parseGs1(`0106901234567892310300125039221599`);
    expect(netWeightGrams(els)).toBe(1250);
    expect(priceMinor(els)).toBe(1599);
  });
  it('rejects a GTIN with a wrong check digit', () => {
    expect(() => parseGs1('0106901234567893')).toThrow(expect.objectContaining({ code: 'BAD_CHECK_DIGIT' }));
  });
  it('rejects a truncated fixed-length element', () => {
    expect(() => parseGs1('01069012345')).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
  });
  it('rejects an unknown application identifier', () => {
    expect(() => parseGs1('99123')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
  it('round-trips any list of elements through encode and parse', () => {
    const gtin = fc.stringMatching(/^\d{13}$/).map((b) => b + gtinCheckDigit(b));
    const el = fc.oneof(
      gtin.map((v) => ({ ai: '01', value: v })),
      fc.stringMatching(/^[A-Za-z0-9\-.]{1,20}$/).map((v) => ({ ai: '10', value: v })),
      fc.stringMatching(/^[A-Za-z0-9]{1,20}$/).map((v) => ({ ai: '21', value: v })),
      fc.stringMatching(/^\d{6}$/).map((v) => ({ ai: '17', value: v })),
      fc.stringMatching(/^\d{1,8}$/).map((v) => ({ ai: '30', value: v })),
      fc.stringMatching(/^\d{6}$/).map((v) => ({ ai: '3103', value: v })),
      fc.stringMatching(/^\d{1,15}$/).map((v) => ({ ai: '3922', value: v })),
    );
    fc.assert(
      fc.property(fc.array(el, { minLength: 1, maxLength: 6 }), (els) => {
        expect(parseGs1(encodeGs1(els)).map(({ ai, value }) => ({ ai, value }))).toEqual(els);
      }),
    );
  });
  it('random text gives elements or a ProtocolError, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseGs1(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
