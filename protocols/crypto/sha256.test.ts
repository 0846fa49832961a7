import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainLink, chainOver, CHAIN_START } from '../sync/v1/day-close';
import { sha256, toHex } from './sha256';

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(toHex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  it('agrees with node:crypto on any input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(toHex(sha256(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
    }));
  });
  it('chains events by seq and id, so a missing or swapped event changes the end', () => {
    const events = [{ seq: 1, id: 'a' }, { seq: 2, id: 'b' }, { seq: 3, id: 'c' }];
    const full = chainOver(events);
    expect(full).toBe(chainLink(chainLink(chainLink(CHAIN_START, 1, 'a'), 2, 'b'), 3, 'c'));
    expect(chainOver([events[0]!, events[2]!])).not.toBe(full);
    expect(chainOver([{ seq: 1, id: 'a' }, { seq: 2, id: 'x' }, { seq: 3, id: 'c' }])).not.toBe(full);
  });
});
