import { describe, expect, it } from 'vitest';
import { settleStores } from './settlement';

/**
 * Worked example: a member tops up ¥1,000 (+¥150 bonus) at Shanghai (company-owned) and
 * spends ¥575 at Guangzhou (a franchise): ¥500 principal and ¥75 bonus.
 */
const movements = [
  { storeId: 'store-sh-01', kind: 'issued_principal' as const, amountMinor: 100_000 },
  { storeId: 'store-sh-01', kind: 'issued_bonus' as const, amountMinor: 15_000 },
  { storeId: 'store-gz-01', kind: 'redeemed_principal' as const, amountMinor: 50_000 },
  { storeId: 'store-gz-01', kind: 'redeemed_bonus' as const, amountMinor: 7_500, bonusIssuedAtStoreId: 'store-sh-01' },
];
const franchiseeOf = (s: string) => (s === 'store-gz-01' ? '广州鲜达商贸有限公司' : null);

describe('settlement between stores (worked example)', () => {
  it('chain-funded bonus: Guangzhou is paid ¥575 less a 0.6% fee of ¥3.45; Shanghai owes the ¥1,000 it took in', () => {
    const [gz, sh] = settleStores(movements, franchiseeOf, { bonusFundedBy: 'chain', franchiseServiceFeeRate: '0.006' });
    expect(gz).toMatchObject({ storeId: 'store-gz-01', redeemedPrincipalMinor: 50_000, redeemedBonusMinor: 7_500, serviceFeeMinor: 345, netMinor: 57_155 });
    expect(sh).toMatchObject({ storeId: 'store-sh-01', issuedPrincipalMinor: 100_000, serviceFeeMinor: 0, netMinor: -100_000 });
  });

  it('issuing-store-funded bonus: Shanghai also pays for the ¥75 of its bonus spent in Guangzhou', () => {
    const [, sh] = settleStores(movements, franchiseeOf, { bonusFundedBy: 'issuing_store', franchiseServiceFeeRate: '0.006' });
    expect(sh).toMatchObject({ bonusFundedMinor: 7_500, netMinor: -107_500 });
  });

  it('a refund of stored value at the redeeming store reverses its redemption', () => {
    const withRefund = [...movements, { storeId: 'store-gz-01', kind: 'redeemed_principal' as const, amountMinor: -50_000 }, { storeId: 'store-gz-01', kind: 'redeemed_bonus' as const, amountMinor: -7_500, bonusIssuedAtStoreId: 'store-sh-01' }];
    const [gz] = settleStores(withRefund, franchiseeOf, { bonusFundedBy: 'chain', franchiseServiceFeeRate: '0.006' });
    expect(gz).toMatchObject({ redeemedPrincipalMinor: 0, serviceFeeMinor: 0, netMinor: 0 });
  });
});
