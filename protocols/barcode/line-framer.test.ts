import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from './line-framer';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LineFramer (serial scanners)', () => {
  it('splits on CR, LF and CR LF, across chunk boundaries', () => {
    const f = new LineFramer();
    expect(f.push(bytes('69012345')).lines).toEqual([]);
    expect(f.push(bytes('67892\r')).lines).toEqual(['6901234567892']);
    expect(f.push(bytes('\nABC\nDEF\r\n')).lines).toEqual(['ABC', 'DEF']);
  });
  it('drops an overlong code with an error and recovers at the next terminator', () => {
    const f = new LineFramer(8);
    const r = f.push(bytes('0123456789ABCDEF\r\nOK\r'));
    expect(r.errors.map((e) => e.code)).toEqual(['BAD_LENGTH']);
    expect(r.lines).toEqual(['OK']);
  });
  it('any chunking of a stream yields the same codes', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[0-9A-Z]{1,20}$/), { maxLength: 8 }), fc.array(fc.nat(40), { maxLength: 10 }), (codes, cuts) => {
        const stream = bytes(codes.map((c) => c + '\r\n').join(''));
        const f = new LineFramer();
        const got: string[] = [];
        let pos = 0;
        for (const c of cuts) {
          got.push(...f.push(stream.subarray(pos, Math.min(stream.length, pos + c))).lines);
          pos = Math.min(stream.length, pos + c);
        }
        got.push(...f.push(stream.subarray(pos)).lines);
        expect(got).toEqual(codes);
      }),
    );
  });
});
