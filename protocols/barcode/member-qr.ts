import { type HmacFn, hmacSha1 } from '../crypto/sha1';
import { type TotpParams, hotp, totpStep } from './totp';

/**
 * Dynamic member QR code shown by the member's app: "OC1-<card number>-<8-digit TOTP>".
 * The letters and dashes keep it apart from WeChat Pay (18 digits, 10..15…), Alipay
 * (16..24 digits, 25..30…) and UnionPay (19 digits, 62…) payment codes, which are all digits.
 */
export const MEMBER_QR_PARAMS: TotpParams = { step_s: 30, digits: 8 };

export interface MemberQr {
  readonly cardNo: string;
  readonly otp: string;
}

const PATTERN = /^OC1-(\d{6,20})-(\d{8})$/;

/** Parses a member QR payload; undefined when the text is not one. */
export function parseMemberQr(text: string): MemberQr | undefined {
  const m = PATTERN.exec(text);
  return m ? { cardNo: m[1]!, otp: m[2]! } : undefined;
}

/** The payload the member app shows at `unix_s`. */
export function encodeMemberQr(cardNo: string, secret: Uint8Array, unix_s: number, hmac: HmacFn = hmacSha1): string {
  if (!/^\d{6,20}$/.test(cardNo)) throw new RangeError(`card number must be 6..20 digits, got "${cardNo}"`);
  return `OC1-${cardNo}-${hotp(secret, totpStep(unix_s, MEMBER_QR_PARAMS), MEMBER_QR_PARAMS.digits, hmac)}`;
}

/** Remembers the last step accepted per card so a code is used once. */
export interface ReplayGuard {
  lastAcceptedStep(cardNo: string): number | undefined;
  accept(cardNo: string, step: number): void;
}

/** Replay guard in memory (one terminal); HQ-wide single use needs a shared store. */
export class InMemoryReplayGuard implements ReplayGuard {
  private readonly steps = new Map<string, number>();
  lastAcceptedStep(cardNo: string): number | undefined {
    return this.steps.get(cardNo);
  }
  accept(cardNo: string, step: number): void {
    this.steps.set(cardNo, step);
  }
}

export type MemberQrVerdict =
  | { readonly ok: true; readonly cardNo: string; readonly step: number }
  | { readonly ok: false; readonly code: 'QR_EXPIRED' | 'QR_ALREADY_USED' };

/**
 * Checks a member QR against the card's secret at `now_s`, allowing one step of clock skew
 * either way, and accepts each step at most once per card.
 */
export function verifyMemberQr(
  qr: MemberQr,
  secret: Uint8Array,
  now_s: number,
  guard: ReplayGuard,
  hmac: HmacFn = hmacSha1,
): MemberQrVerdict {
  const now = totpStep(now_s, MEMBER_QR_PARAMS);
  for (const step of [now, now - 1, now + 1]) {
    if (step < 0) continue;
    if (!timingSafeEqual(hotp(secret, step, MEMBER_QR_PARAMS.digits, hmac), qr.otp)) continue;
    const last = guard.lastAcceptedStep(qr.cardNo);
    if (last !== undefined && step <= last) return { ok: false, code: 'QR_ALREADY_USED' };
    guard.accept(qr.cardNo, step);
    return { ok: true, cardNo: qr.cardNo, step };
  }
  return { ok: false, code: 'QR_EXPIRED' };
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
