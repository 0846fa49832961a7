import { ProtocolError, toHex } from '../errors';

/**
 * MIFARE Classic value block: value (int32 LE), its bitwise inverse, value again, then the
 * address byte, its inverse, address, inverse (NXP MF1S50 §8.6.2.1). The copies let the card
 * and the reader detect a torn or forged write.
 */
export function encodeValueBlock(value: number, address: number): Uint8Array {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new ProtocolError('BAD_FORMAT', `value ${value} is not a 32-bit signed integer`);
  if (!Number.isInteger(address) || address < 0 || address > 0xff) throw new ProtocolError('BAD_FORMAT', `address ${address} is not a byte`);
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setInt32(0, value, true);
  v.setInt32(4, ~value, true);
  v.setInt32(8, value, true);
  out.set([address, ~address & 0xff, address, ~address & 0xff], 12);
  return out;
}

/** Reads a value block, checking every inverted copy. */
export function decodeValueBlock(block: Uint8Array): { value: number; address: number } {
  if (block.length !== 16) throw new ProtocolError('BAD_LENGTH', `a MIFARE block is 16 bytes, got ${block.length}`);
  const v = new DataView(block.buffer, block.byteOffset, 16);
  const value = v.getInt32(0, true);
  const ok =
    v.getInt32(4, true) === ~value &&
    v.getInt32(8, true) === value &&
    block[13] === (~block[12]! & 0xff) &&
    block[14] === block[12] &&
    block[15] === (~block[12]! & 0xff);
  if (!ok) throw new ProtocolError('BAD_FORMAT', `not a valid value block (copies disagree): ${toHex(block)}`);
  return { value, address: block[12]! };
}
