import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cardAccounts, cardBonusAccountId, cardPrincipalAccountId, chainAccounts, memberAccounts, memberPointsAccountId, storeAccounts, storeCashAccountId } from './accounts';
import { DomainError } from './errors';
import { creditBalance, LedgerBook } from './ledger';
import { planRefund, postRefund, type RefundDocument } from './refund';
import { postSale, type SaleDocument, type SaleLine } from './sale';
import { postTopUp } from './top-up';

function counter(prefix: string) {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

const ids = (refundId: string) => ({ refundId, terminalId: 't1', storeId: 's1', completedAt: 10, withReceipt: true });

/** ¥100.00 of tea (eligible) and ¥30.00 of cigarettes (not), paid ¥80 stored value (¥60 principal + ¥20 bonus) and ¥50 cash; 100 points earned. */
function workedSale(): SaleDocument {
  return {
    id: 'sale-1', storeId: 's1', terminalId: 't1', currency: 'CNY', memberId: 'm1', cardId: 'c1',
    lines: [
      { lineNo: 1, sku: 'TEA', barcode: '6901234567892', name: 'Tea', quantity: 3, unitPriceMinor: 3_334, amountMinor: 10_000, eligibleForMemberBenefits: true },
      { lineNo: 2, sku: 'CIG', barcode: '6901028075831', name: 'Cigarettes', quantity: 1, unitPriceMinor: 3_000, amountMinor: 3_000, eligibleForMemberBenefits: false },
    ],
    totalMinor: 13_000,
    tenders: [
      { kind: 'stored_value', cardId: 'c1', amountMinor: 8_000, legs: [
        { accountId: cardPrincipalAccountId('c1'), part: 'principal', amount: 6_000, holdId: null },
        { accountId: cardBonusAccountId('c1'), part: 'bonus', amount: 2_000, holdId: null },
      ] },
      { kind: 'cash', amountMinor: 5_000, tenderedMinor: 5_000, changeMinor: 0 },
    ],
    pointsEarned: 100,
    completedAt: 5,
  };
}

describe('refunds — worked example in CNY', () => {
  it('returning one of three teas gives back ¥33.33, split over stored value and cash as paid', () => {
    const refund = planRefund(workedSale(), [], [{ lineNo: 1, quantity: 1 }], ids('r1'));
    expect(refund.lines).toEqual([{ lineNo: 1, quantity: 1, amountMinor: 3_333, eligibleForMemberBenefits: true }]);
    // 80/130 of ¥33.33 = ¥20.51 back to stored value, the rest ¥12.82 cash.
    expect(refund.tenders.map((t) => [t.kind, t.amountMinor])).toEqual([['stored_value', 2_051], ['cash', 1_282]]);
    // Stored value back in the ratio it was spent: 3:1 principal to bonus.
    expect(refund.tenders[0]!.legs.map((l) => [l.part, l.amount])).toEqual([['principal', 1_538], ['bonus', 513]]);
    expect(refund.pointsReversed).toBe(33);
  });

  it('returning the rest afterwards gives back exactly what is left, to the fen and the point', () => {
    const sale = workedSale();
    const first = planRefund(sale, [], [{ lineNo: 1, quantity: 1 }], ids('r1'));
    const second = planRefund(sale, [first], [{ lineNo: 1, quantity: 2 }, { lineNo: 2, quantity: 1 }], ids('r2'));
    expect(first.totalMinor + second.totalMinor).toBe(13_000);
    expect(second.lines.map((l) => l.amountMinor)).toEqual([6_667, 3_000]);
    const svBack = [first, second].flatMap((r) => r.tenders).filter((t) => t.kind === 'stored_value').flatMap((t) => t.legs);
    expect(svBack.filter((l) => l.part === 'principal').reduce((s, l) => s + l.amount, 0)).toBe(6_000);
    expect(svBack.filter((l) => l.part === 'bonus').reduce((s, l) => s + l.amount, 0)).toBe(2_000);
    expect(first.pointsReversed + second.pointsReversed).toBe(100);
  });

  it('refuses a line the sale lacks and more than is left to return, with stable codes', () => {
    const sale = workedSale();
    const first = planRefund(sale, [], [{ lineNo: 2, quantity: 1 }], ids('r1'));
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as DomainError).code;
      }
      return 'no error';
    };
    expect(code(() => planRefund(sale, [first], [{ lineNo: 2, quantity: 1 }], ids('r2')))).toBe('REFUND_EXCEEDS_SALE');
    expect(code(() => planRefund(sale, [], [{ lineNo: 9, quantity: 1 }], ids('r2')))).toBe('VALIDATION_FAILED');
    expect(code(() => planRefund(sale, [], [{ lineNo: 1, quantity: 0 }], ids('r2')))).toBe('VALIDATION_FAILED');
    expect(code(() => planRefund(sale, [], [], ids('r2')))).toBe('VALIDATION_FAILED');
  });
});

describe('refunds — properties', () => {
  const saleArb = fc
    .record({
      lines: fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 6 }), amount: fc.integer({ min: 0, max: 50_000 }), eligible: fc.boolean() }), { minLength: 1, maxLength: 8 }),
      svShare: fc.integer({ min: 0, max: 100 }),
      bonusShare: fc.integer({ min: 0, max: 100 }),
      pointsPer: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ lines, svShare, bonusShare, pointsPer }) => {
      const saleLines: SaleLine[] = lines.map((l, i) => ({ lineNo: i + 1, sku: `S${i}`, barcode: '', name: `item ${i}`, quantity: l.quantity, unitPriceMinor: Math.ceil(l.amount / l.quantity), amountMinor: l.amount, eligibleForMemberBenefits: l.eligible }));
      const total = saleLines.reduce((s, l) => s + l.amountMinor, 0);
      const sv = Math.floor((total * svShare) / 100);
      const bonus = Math.floor((sv * bonusShare) / 100);
      const eligible = saleLines.filter((l) => l.eligibleForMemberBenefits).reduce((s, l) => s + l.amountMinor, 0);
      const sale: SaleDocument = {
        id: 'sale', storeId: 's1', terminalId: 't1', currency: 'CNY', memberId: 'm1', cardId: 'c1', lines: saleLines, totalMinor: total,
        tenders: [
          { kind: 'stored_value', cardId: 'c1', amountMinor: sv, legs: [
            { accountId: cardPrincipalAccountId('c1'), part: 'principal' as const, amount: sv - bonus, holdId: null },
            { accountId: cardBonusAccountId('c1'), part: 'bonus' as const, amount: bonus, holdId: null },
          ].filter((l) => l.amount > 0) },
          { kind: 'cash', amountMinor: total - sv, tenderedMinor: total - sv, changeMinor: 0 },
        ],
        pointsEarned: Math.floor(eligible / 100) * pointsPer,
        completedAt: 1,
      };
      return sale;
    });

  it('refunding everything in random pieces restores every balance exactly, and every refund balances', () => {
    fc.assert(
      fc.property(saleArb, fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (sale, picks) => {
        const book = new LedgerBook();
        for (const a of [...cardAccounts('c1', 'CNY'), ...memberAccounts('m1'), ...storeAccounts('s1', 'CNY'), ...chainAccounts('CNY')]) book.createAccount(a);
        const newId = counter('x');
        book.createTransfers(postTopUp({ id: 'tu', storeId: 's1', terminalId: 't1', currency: 'CNY', memberId: 'm1', cardId: 'c1', tender: 'cash', principalMinor: 10_000_000, bonusMinor: 1_000_000, completedAt: 0 }, newId));
        const before = book.allAccounts().map((a) => [a.id, creditBalance(book.balances(a.id))]);
        expect(book.createTransfers(postSale(sale, newId)).every((s) => s === 'created')).toBe(true);

        const refunds: RefundDocument[] = [];
        const left = new Map(sale.lines.map((l) => [l.lineNo, l.quantity]));
        let pick = 0;
        while ([...left.values()].some((q) => q > 0)) {
          const open = [...left.entries()].filter(([, q]) => q > 0);
          const [lineNo, q] = open[(picks[pick++ % picks.length] ?? 0) % open.length]!;
          const quantity = 1 + ((picks[pick++ % picks.length] ?? 0) % q);
          const refund = planRefund(sale, refunds, [{ lineNo, quantity }], ids(`r${refunds.length}`));
          expect(refund.tenders.every((t) => t.amountMinor >= 0 && t.legs.every((l) => l.amount >= 0))).toBe(true);
          expect(refund.tenders.reduce((s, t) => s + t.amountMinor, 0)).toBe(refund.totalMinor);
          expect(book.createTransfers(postRefund(refund, newId)).every((s) => s === 'created')).toBe(true);
          refunds.push(refund);
          left.set(lineNo, q - quantity);
        }
        const after = book.allAccounts().map((a) => [a.id, creditBalance(book.balances(a.id))]);
        expect(after).toEqual(before);
        expect(creditBalance(book.balances(memberPointsAccountId('m1')))).toBe(0);
        expect(book.balances(storeCashAccountId('s1')).debitsPosted - book.balances(storeCashAccountId('s1')).creditsPosted).toBe(10_000_000);
      }),
      { numRuns: 200 },
    );
  });
});
