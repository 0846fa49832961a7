import { type HmacFn, hmacSha1 } from '../crypto/sha1';

export interface TotpParams {
  readonly step_s: number;
  readonly digits: number;
  readonly t0_s?: number;
}

/** The RFC 6238 time step that contains `unix_s`. */
export function totpStep(unix_s: number, params: Pick<TotpParams, 'step_s' | 't0_s'>): number {
  return Math.floor((unix_s - (params.t0_s ?? 0)) / params.step_s);
}

/** HOTP (RFC 4226) value for a counter, as a zero-padded decimal string. */
export function hotp(secret: Uint8Array, counter: number, digits: number, hmac: HmacFn = hmacSha1): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`HOTP counter must be a non-negative integer, got ${counter}`);
  if (digits < 6 || digits > 10) throw new RangeError(`HOTP digits must be 6..10, got ${digits}`);
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const mac = hmac(secret, msg);
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** TOTP (RFC 6238) for the step containing `unix_s`. */
export function totp(secret: Uint8Array, unix_s: number, params: TotpParams, hmac: HmacFn = hmacSha1): string {
  return hotp(secret, totpStep(unix_s, params), params.digits, hmac);
}
