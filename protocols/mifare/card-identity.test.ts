import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeIdentityBlock, verifyIdentityBlock } from './card-identity';

const key = new TextEncoder().encode('chain-key-for-tests');
const uid = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);

describe('card identity block', () => {
  it('verifies on the card it was written for', () => {
    expect(verifyIdentityBlock(encodeIdentityBlock(uid, 42, key), uid, key)).toEqual({ ok: true, serial: 42 });
  });
  it('a block copied onto a card with another UID is a clone', () => {
    const block = encodeIdentityBlock(uid, 42, key);
    expect(verifyIdentityBlock(block, Uint8Array.of(1, 2, 3, 4), key)).toEqual({ ok: false, code: 'CARD_CLONED' });
  });
  it('a blank block is a card OneCard did not issue', () => {
    expect(verifyIdentityBlock(new Uint8Array(16), uid, key)).toEqual({ ok: false, code: 'CARD_NOT_ISSUED' });
  });
  it('round-trips any serial; any single-byte change is detected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 3, max: 14 }), fc.integer({ min: 1, max: 255 }), (serial, pos, x) => {
        const b = encodeIdentityBlock(uid, serial, key);
        expect(verifyIdentityBlock(b, uid, key)).toEqual({ ok: true, serial });
        b[pos] = b[pos]! ^ x;
        expect(verifyIdentityBlock(b, uid, key).ok).toBe(false);
      }),
    );
  });
});
