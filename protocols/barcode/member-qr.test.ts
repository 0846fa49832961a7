import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyScan } from './classify';
import { InMemoryReplayGuard, encodeMemberQr, parseMemberQr, verifyMemberQr } from './member-qr';

const secret = new TextEncoder().encode('member-secret-0001');
const t = 1_790_000_000;

describe('dynamic member QR codes', () => {
  it('a freshly shown code verifies once, and the same code is refused the second time', () => {
    const guard = new InMemoryReplayGuard();
    const qr = parseMemberQr(encodeMemberQr('88001234', secret, t))!;
    expect(verifyMemberQr(qr, secret, t + 5, guard)).toMatchObject({ ok: true, cardNo: '88001234' });
    expect(verifyMemberQr(qr, secret, t + 6, guard)).toEqual({ ok: false, code: 'QR_ALREADY_USED' });
  });
  it('a code from an earlier step is refused after a later one was used', () => {
    const guard = new InMemoryReplayGuard();
    const old = parseMemberQr(encodeMemberQr('88001234', secret, t))!;
    const fresh = parseMemberQr(encodeMemberQr('88001234', secret, t + 30))!;
    expect(verifyMemberQr(fresh, secret, t + 31, guard).ok).toBe(true);
    expect(verifyMemberQr(old, secret, t + 31, guard)).toEqual({ ok: false, code: 'QR_ALREADY_USED' });
  });
  it('a screenshot from two minutes ago is expired', () => {
    const qr = parseMemberQr(encodeMemberQr('88001234', secret, t))!;
    expect(verifyMemberQr(qr, secret, t + 120, new InMemoryReplayGuard())).toEqual({ ok: false, code: 'QR_EXPIRED' });
  });
  it('a code made with another card secret is refused', () => {
    const qr = parseMemberQr(encodeMemberQr('88001234', new TextEncoder().encode('other'), t))!;
    expect(verifyMemberQr(qr, secret, t, new InMemoryReplayGuard())).toEqual({ ok: false, code: 'QR_EXPIRED' });
  });
  it('any card and time round-trips through encode, parse and verify', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{6,20}$/), fc.integer({ min: 30, max: 4_000_000_000 }), fc.uint8Array({ minLength: 1, maxLength: 32 }), (card, now, key) => {
        const qr = parseMemberQr(encodeMemberQr(card, key, now));
        expect(qr?.cardNo).toBe(card);
        expect(verifyMemberQr(qr!, key, now, new InMemoryReplayGuard())).toMatchObject({ ok: true, cardNo: card });
      }),
      { numRuns: 50 },
    );
  });
  it('is never confused with WeChat, Alipay or UnionPay payment codes', () => {
    expect(classifyScan(encodeMemberQr('88001234', secret, t)).kind).toBe('member-qr');
    expect(classifyScan('134567890123456789')).toEqual({ kind: 'payment-code', wallet: 'wechat', code: '134567890123456789' });
    expect(classifyScan('281234567890123456')).toMatchObject({ kind: 'payment-code', wallet: 'alipay' });
    expect(classifyScan('6212345678901234567')).toMatchObject({ kind: 'payment-code', wallet: 'unionpay' });
    expect(parseMemberQr('134567890123456789')).toBeUndefined();
  });
});
