import { describe, expect, it } from 'vitest';
import { cardAccounts, cardBonusAccountId, cardPrincipalAccountId, chainAccounts, memberAccounts, memberPointsAccountId, storeAccounts, storeCashAccountId } from './accounts';
import { DomainError } from './errors';
import { availableCreditBalance, creditBalance, LedgerBook } from './ledger';
import { pointsEarned } from './points';
import { eligibleAmount, postSale, type SaleDocument } from './sale';
import { splitStoredValuePayment, topUpBonus } from './stored-value';
import { planTopUpRefund, postTopUp } from './top-up';

function ids() {
  let n = 0;
  return () => `id-${++n}`;
}

function book() {
  const b = new LedgerBook();
  for (const a of [...cardAccounts('c1', 'CNY'), ...memberAccounts('m1'), ...storeAccounts('s1', 'CNY'), ...chainAccounts('CNY')]) b.createAccount(a);
  return b;
}

describe('posting rules', () => {
  it('a top-up of 1,000 with a 150 bonus credits principal and bonus apart', () => {
    const b = book();
    const bonus = topUpBonus(100_000, [{ minPrincipalMinor: 50_000, bonusMinor: 5_000 }, { minPrincipalMinor: 100_000, bonusMinor: 15_000 }]);
    expect(bonus).toBe(15_000);
    const transfers = postTopUp({ id: 'tu1', storeId: 's1', terminalId: 't1', currency: 'CNY', memberId: 'm1', cardId: 'c1', tender: 'cash', principalMinor: 100_000, bonusMinor: bonus, completedAt: 1 }, ids());
    expect(b.createTransfers(transfers)).toEqual(['created', 'created']);
    expect(creditBalance(b.balances(cardPrincipalAccountId('c1')))).toBe(100_000);
    expect(creditBalance(b.balances(cardBonusAccountId('c1')))).toBe(15_000);
    expect(b.balances(storeCashAccountId('s1')).debitsPosted).toBe(100_000);
  });

  it('a sale paid partly by stored value captures its holds and credits points once', () => {
    const b = book();
    const newId = ids();
    b.createTransfers(postTopUp({ id: 'tu1', storeId: 's1', terminalId: 't1', currency: 'CNY', memberId: 'm1', cardId: 'c1', tender: 'cash', principalMinor: 3_000, bonusMinor: 1_000, completedAt: 1 }, newId));
    const legs = splitStoredValuePayment('c1', 3_500, { principal: 3_000, bonus: 1_000 });
    expect(legs.map((l) => [l.part, l.amount])).toEqual([['principal', 3_000], ['bonus', 500]]);
    // HQ's holds for each leg.
    const holdStatuses = b.createTransfers(
      legs.map((l, i) => ({ id: `hold-${i}`, kind: 'pending' as const, debitAccountId: l.accountId, creditAccountId: 'store:s1:sales', ledger: 'CNY', amount: l.amount, code: 'SALE_STORED_VALUE' as const, pendingId: null, timestamp: 2, originTerminalId: 't1', documentId: 's-1' })),
    );
    expect(holdStatuses).toEqual(['created', 'created']);
    const lines = [
      { lineNo: 1, sku: 'A', barcode: '6901234567892', name: 'Tea', quantity: 2, unitPriceMinor: 1_999, amountMinor: 3_998, eligibleForMemberBenefits: true },
      { lineNo: 2, sku: 'B', barcode: '4006381333931', name: 'Cigarettes', quantity: 1, unitPriceMinor: 2_000, amountMinor: 2_000, eligibleForMemberBenefits: false },
    ];
    const sale: SaleDocument = {
      id: 's-1', storeId: 's1', terminalId: 't1', currency: 'CNY', memberId: 'm1', cardId: 'c1', lines, totalMinor: 5_998,
      tenders: [
        { kind: 'stored_value', cardId: 'c1', amountMinor: 3_500, legs: legs.map((l, i) => ({ ...l, holdId: `hold-${i}` })) },
        { kind: 'cash', amountMinor: 2_498, tenderedMinor: 3_000, changeMinor: 502 },
      ],
      pointsEarned: pointsEarned(eligibleAmount(lines), 'CNY', '1.5'),
      completedAt: 3,
    };
    expect(sale.pointsEarned).toBe(59); // 39.98 × 1.5 = 59.97, rounded down
    const transfers = postSale(sale, newId);
    expect(b.createTransfers(transfers).every((s) => s === 'created')).toBe(true);
    expect(b.createTransfers(transfers).every((s) => s === 'exists')).toBe(true);
    expect(availableCreditBalance(b.balances(cardPrincipalAccountId('c1')))).toBe(0);
    expect(availableCreditBalance(b.balances(cardBonusAccountId('c1')))).toBe(500);
    expect(creditBalance(b.balances(memberPointsAccountId('m1')))).toBe(59);
    expect(b.balances('store:s1:sales').creditsPosted).toBe(5_998);
  });

  it('refuses a stored-value payment larger than the card holds', () => {
    expect(() => splitStoredValuePayment('c1', 4_001, { principal: 3_000, bonus: 1_000 })).toThrow(DomainError);
    try {
      splitStoredValuePayment('c1', 4_001, { principal: 3_000, bonus: 1_000 });
    } catch (e) {
      expect((e as DomainError).code).toBe('INSUFFICIENT_BALANCE');
    }
    expect(splitStoredValuePayment('c1', 1_200, { principal: 3_000, bonus: 1_000 }, 'bonus_first').map((l) => l.amount)).toEqual([1_000, 200]);
  });

  it('refunding a top-up of ¥1,000 + ¥150 bonus after ¥100 of bonus was spent pays back ¥900 and claws back ¥50', () => {
    expect(planTopUpRefund({ principalMinor: 100_000, bonusMinor: 15_000 }, { principal: 100_000, bonus: 5_000 })).toEqual({ principalMinor: 90_000, bonusClawedBackMinor: 5_000 });
    expect(planTopUpRefund({ principalMinor: 100_000, bonusMinor: 15_000 }, { principal: 120_000, bonus: 30_000 })).toEqual({ principalMinor: 100_000, bonusClawedBackMinor: 15_000 });
    expect(() => planTopUpRefund({ principalMinor: 100_000, bonusMinor: 15_000 }, { principal: 50_000, bonus: 15_000 })).toThrow(DomainError);
  });
});
