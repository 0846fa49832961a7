import { type HmacFn, hmacSha1 } from '../crypto/sha1';
import { ProtocolError, concatBytes } from '../errors';

/**
 * The identity block written on a OneCard MIFARE card at issue time:
 *   "OC" | version 1 | card serial (uint32 BE) | HMAC-SHA1(chain key, UID ‖ serial)[0..8] | 0x00
 * A cloned card can copy a UID onto a blank "magic" card but cannot make the MAC for it
 * without the chain key, so the terminal rejects UID-only clones.
 */
const MAGIC = [0x4f, 0x43];
const VERSION = 1;

function mac(chainKey: Uint8Array, uid: Uint8Array, serial: number, hmac: HmacFn): Uint8Array {
  const s = new Uint8Array(4);
  new DataView(s.buffer).setUint32(0, serial);
  return hmac(chainKey, concatBytes(uid, s)).slice(0, 8);
}

/** Builds the 16-byte identity block for a card. */
export function encodeIdentityBlock(uid: Uint8Array, serial: number, chainKey: Uint8Array, hmac: HmacFn = hmacSha1): Uint8Array {
  if (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff) throw new ProtocolError('BAD_FORMAT', `card serial ${serial} is not a uint32`);
  const out = new Uint8Array(16);
  out.set(MAGIC, 0);
  out[2] = VERSION;
  new DataView(out.buffer).setUint32(3, serial);
  out.set(mac(chainKey, uid, serial, hmac), 7);
  return out;
}

export type IdentityVerdict =
  | { readonly ok: true; readonly serial: number }
  | { readonly ok: false; readonly code: 'CARD_NOT_ISSUED' | 'CARD_CLONED' };

/** Checks an identity block read from the card with this UID. */
export function verifyIdentityBlock(block: Uint8Array, uid: Uint8Array, chainKey: Uint8Array, hmac: HmacFn = hmacSha1): IdentityVerdict {
  if (block.length !== 16 || block[0] !== MAGIC[0] || block[1] !== MAGIC[1] || block[2] !== VERSION) return { ok: false, code: 'CARD_NOT_ISSUED' };
  const serial = new DataView(block.buffer, block.byteOffset, 16).getUint32(3);
  const expected = mac(chainKey, uid, serial, hmac);
  let diff = 0;
  for (let i = 0; i < 8; i++) diff |= expected[i]! ^ block[7 + i]!;
  return diff === 0 ? { ok: true, serial } : { ok: false, code: 'CARD_CLONED' };
}
