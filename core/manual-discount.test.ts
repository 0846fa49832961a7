import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyManualDiscounts, manualDiscountOf, manualDiscountProblem, type SaleManualDiscount } from './manual-discount';
import { planRefund } from './refund';
import type { SaleDocument, SaleLine } from './sale';

/**
 * Worked examples a store manager can check with a calculator (amounts in fen: 12345 = ¥123.45).
 */

const approval = { reason: '老顾客', overrideId: 'ovr-1', approvedBy: 'op-sh-01-manager' };

describe('manual discounts, worked in yuan', () => {
  it('10% off a ¥123.45 basket after promotions: ¥12.35 (half up), shared ¥8.00 / ¥4.35 over the lines', () => {
    // Line 1: ¥85.00 with ¥5.00 off by a promotion = ¥80.00; line 2: ¥43.45. Basket ¥123.45.
    const r = applyManualDiscounts([{ lineNo: 1, amountMinor: 8000 }, { lineNo: 2, amountMinor: 4345 }], [{ id: 'd1', lineNo: null, kind: 'percent', percent: '10', rounding: 'HALF_UP' }]);
    expect(r.discounts).toEqual([{ id: 'd1', discountMinor: 1235 }]); // 1234.5 → 1235
    expect(r.shares.get(1)).toEqual([{ discountId: 'd1', discountMinor: 800 }]);
    expect(r.shares.get(2)).toEqual([{ discountId: 'd1', discountMinor: 435 }]);
    expect([r.amounts.get(1), r.amounts.get(2)]).toEqual([7200, 3910]); // ¥72.00 + ¥39.10 = ¥111.10
  });

  it('the rounding step is named: 10% of ¥123.45 is ¥12.35 half up, ¥12.34 half even or down', () => {
    expect(manualDiscountOf({ kind: 'percent', percent: '10', rounding: 'HALF_UP' }, 12345)).toBe(1235);
    expect(manualDiscountOf({ kind: 'percent', percent: '10', rounding: 'HALF_EVEN' }, 12345)).toBe(1234);
    expect(manualDiscountOf({ kind: 'percent', percent: '10', rounding: 'DOWN' }, 12345)).toBe(1234);
    expect(manualDiscountOf({ kind: 'percent', percent: '12.5', rounding: 'UP' }, 999)).toBe(125); // 124.875 → 125
  });

  it('a line discount comes first on its line, a later basket discount on what is left; never below zero', () => {
    const r = applyManualDiscounts(
      [{ lineNo: 1, amountMinor: 3000 }, { lineNo: 2, amountMinor: 1000 }],
      [
        { id: 'line', lineNo: 1, kind: 'amount', amountMinor: 500 }, // ¥30.00 → ¥25.00
        { id: 'basket', lineNo: null, kind: 'amount', amountMinor: 7000 }, // more than the ¥35.00 left: takes ¥35.00
      ],
    );
    expect(r.discounts).toEqual([{ id: 'line', discountMinor: 500 }, { id: 'basket', discountMinor: 3500 }]);
    expect([r.amounts.get(1), r.amounts.get(2)]).toEqual([0, 0]);
  });

  it('refuses a percentage above 100 or a discount on a line the sale does not have', () => {
    expect(() => applyManualDiscounts([{ lineNo: 1, amountMinor: 100 }], [{ id: 'x', lineNo: null, kind: 'percent', percent: '101', rounding: 'HALF_UP' }])).toThrow(/at most 100/);
    expect(() => applyManualDiscounts([{ lineNo: 1, amountMinor: 100 }], [{ id: 'x', lineNo: 2, kind: 'amount', amountMinor: 1 }])).toThrow(/no line 2/);
  });

  it('every line keeps its share: the amounts after add up to the basket less the discounts, none below zero', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 2_000_000 }).map((a) => ({ kind: 'amount' as const, amountMinor: a })), fc.integer({ min: 1, max: 100 }).map((p) => ({ kind: 'percent' as const, percent: String(p), rounding: 'HALF_UP' as const }))), { maxLength: 4 }),
        (amounts, values) => {
          const lines = amounts.map((a, i) => ({ lineNo: i + 1, amountMinor: a }));
          const r = applyManualDiscounts(lines, values.map((v, i) => ({ ...v, id: `d${i}`, lineNo: i % 2 === 0 ? null : 1 })));
          const after = [...r.amounts.values()];
          expect(after.every((a) => a >= 0)).toBe(true);
          const taken = r.discounts.reduce((s, d) => s + d.discountMinor, 0);
          expect(after.reduce((s, a) => s + a, 0)).toBe(amounts.reduce((s, a) => s + a, 0) - taken);
          for (const l of lines) expect((r.shares.get(l.lineNo) ?? []).reduce((s, x) => s + x.discountMinor, 0)).toBe(l.amountMinor - r.amounts.get(l.lineNo)!);
        },
      ),
    );
  });
});

/** A sale of a ¥38.00 line overridden to ¥30.00 and a ¥43.45 line, 10% off the basket. */
function overriddenSale(): SaleDocument {
  const lines: SaleLine[] = [
    { lineNo: 1, sku: 'SKU-W', barcode: '1', name: '红酒', quantity: 1, unitPriceMinor: 3000, amountMinor: 3000, eligibleForMemberBenefits: true, priceOverride: { listUnitPriceMinor: 3800, ...approval } },
    { lineNo: 2, sku: 'SKU-T', barcode: '2', name: '茶叶', quantity: 1, unitPriceMinor: 4345, amountMinor: 4345, eligibleForMemberBenefits: true },
  ];
  const discounts: SaleManualDiscount[] = [{ id: 'd1', lineNo: null, kind: 'percent', percent: '10', rounding: 'HALF_UP', discountMinor: 0, ...approval }];
  const r = applyManualDiscounts(lines, discounts);
  discounts[0]!.discountMinor = r.discounts[0]!.discountMinor;
  for (const l of lines) {
    l.manualDiscounts = r.shares.get(l.lineNo);
    l.amountMinor = r.amounts.get(l.lineNo)!;
  }
  const total = lines.reduce((s, l) => s + l.amountMinor, 0);
  return { id: 's1', storeId: 'store-sh-01', terminalId: 't1', currency: 'CNY', memberId: null, cardId: null, lines, totalMinor: total, tenders: [{ kind: 'cash', amountMinor: total, tenderedMinor: total, changeMinor: 0 }], pointsEarned: 0, completedAt: 1, manualDiscounts: discounts };
}

describe('HQ recomputes a sale’s manual discounts', () => {
  it('accepts the ¥38.00 → ¥30.00 override with 10% off the basket (¥7.35 of ¥73.45), and the refund of the ¥30.00 line returns exactly its ¥27.00', () => {
    const sale = overriddenSale();
    expect(sale.manualDiscounts![0]!.discountMinor).toBe(735); // 734.5 → 735
    expect(sale.lines.map((l) => l.amountMinor)).toEqual([2700, 3910]);
    expect(manualDiscountProblem(sale)).toBeNull();
    const refund = planRefund(sale, [], [{ lineNo: 1, quantity: 1 }], { refundId: 'r1', terminalId: 't1', storeId: 'store-sh-01', completedAt: 2, withReceipt: true });
    expect(refund.totalMinor).toBe(2700);
  });

  it('refuses shares or amounts that do not add up, and approvals with no reason', () => {
    const moved = overriddenSale();
    moved.lines[0]!.manualDiscounts = [{ discountId: 'd1', discountMinor: 301 }];
    moved.lines[0]!.amountMinor = 2699;
    expect(manualDiscountProblem(moved)).toMatch(/line 1/);
    const bigger = overriddenSale();
    bigger.manualDiscounts![0]!.discountMinor = 800;
    expect(manualDiscountProblem(bigger)).toMatch(/takes 735, not 800/);
    const unexplained = overriddenSale();
    unexplained.lines[0]!.priceOverride = { ...unexplained.lines[0]!.priceOverride!, reason: ' ' };
    expect(manualDiscountProblem(unexplained)).toMatch(/reason/);
    const orphan = overriddenSale();
    delete orphan.manualDiscounts;
    expect(manualDiscountProblem(orphan)).toMatch(/lists no manual discount/);
  });
});
