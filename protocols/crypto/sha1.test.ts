import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../errors';
import { hmacSha1, sha1 } from './sha1';

const text = (s: string) => new TextEncoder().encode(s);

describe('sha1', () => {
  it('matches the FIPS 180 "abc" vector', () => {
    expect(toHex(sha1(text('abc'))).replace(/ /g, '')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
  it('agrees with node:crypto for any input, including block-boundary lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(Buffer.from(sha1(bytes)).toString('hex')).toBe(createHash('sha1').update(bytes).digest('hex'));
      }),
    );
  });
  it('hmacSha1 agrees with node:crypto, also for keys longer than a block', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (key, msg) => {
        expect(Buffer.from(hmacSha1(key, msg)).toString('hex')).toBe(createHmac('sha1', key).update(msg).digest('hex'));
      }),
    );
  });
});
