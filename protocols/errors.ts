/** Stable codes for bytes that do not decode; callers branch on `code`, never on the message. */
export type ProtocolErrorCode =
  | 'TRUNCATED'
  | 'BAD_CHECKSUM'
  | 'BAD_FRAME'
  | 'BAD_LENGTH'
  | 'BAD_FORMAT'
  | 'BAD_CHECK_DIGIT'
  | 'UNKNOWN_COMMAND'
  | 'UNSUPPORTED';

/** A device sent (or we were asked to encode) bytes that break the protocol. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Hex dump `01 02 ff` for error messages and test fixtures. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Parses a hex dump such as `00 00 FF 02` (spaces optional). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new TypeError(`not a hex string: "${hex}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** ASCII/latin1 string to bytes (each char code must be < 256). */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new ProtocolError('BAD_FORMAT', `character U+${c.toString(16)} is not a single byte`);
    out[i] = c;
  }
  return out;
}

/** Bytes to a latin1 string (one char per byte). */
export function fromLatin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
