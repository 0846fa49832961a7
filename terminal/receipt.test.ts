import { describe, expect, it } from 'vitest';
import type { SaleView } from './checkout';
import type { ShiftReport } from './shift';
import { maskCardNo, printWidth, saleReceipt, shiftReportReceipt, topUpReceipt, twoColumns } from './receipt';
import { bytesWide, offPaper, printedLines } from './testing-printer';

const sale: SaleView = {
  id: '0193a0b0-0000-7000-8000-000000000001',
  status: 'completed',
  currency: 'CNY',
  lines: [
    { lineNo: 1, sku: 'A', barcode: '6901028001014', name: '农夫山泉 550ml', quantity: 2, unitPriceMinor: 200, amountMinor: 400, eligibleForMemberBenefits: true },
    { lineNo: 2, sku: 'B', barcode: '6902083001124', name: 'Tissue', quantity: 1, unitPriceMinor: 500, amountMinor: 500, eligibleForMemberBenefits: true },
  ],
  totalMinor: 900,
  paidMinor: 900,
  dueMinor: 0,
  changeMinor: 100,
  tenders: [{ tenderNo: 1, kind: 'cash', amountMinor: 900, tenderedMinor: 1000, changeMinor: 100 }],
  member: { memberId: 'm', cardId: 'c', cardNo: '8F3A21C4', name: '张伟', levelCode: 'gold', levelName: '金卡' },
  pointsEarned: 9,
  openedAt: Date.UTC(2026, 10, 22, 2, 0),
  completedAt: Date.UTC(2026, 10, 22, 2, 5),
  eventSeq: 1,
};
const store = { storeName: '上海南京路店', chainName: 'OneCard', terminalId: 't-1', timeZone: 'Asia/Shanghai' };

/** A basket with what sits a column off when × or ¥ is counted as one: a weighed line, the milk, long CJK names. */
const basket: SaleView = {
  ...sale,
  lines: [
    { lineNo: 1, sku: 'SKU-0067', barcode: '2810001012343', name: '苹果 (散称)', quantity: 1, unitPriceMinor: 1580, amountMinor: 1580, eligibleForMemberBenefits: true, measure: { grams: 1234, pricePerKgMinor: 1280 } },
    {
      lineNo: 2, sku: 'SKU-0001', barcode: '6907028100122', name: '纯牛奶 250ml×12', quantity: 1, unitPriceMinor: 5990, amountMinor: 5391, eligibleForMemberBenefits: true,
      promotions: [{ promotionId: 'p-milk', discountMinor: 599 }],
    },
    { lineNo: 3, sku: 'SKU-0002', barcode: '6901028001014', name: '农夫山泉饮用天然水 550ml×24 整箱装', quantity: 2, unitPriceMinor: 4800, amountMinor: 9600, eligibleForMemberBenefits: true },
    { lineNo: 4, sku: 'SKU-0003', barcode: '6920152400012', name: '康师傅红烧牛肉面五连包 经典口味 ×5 超值装', quantity: 1, unitPriceMinor: 1290, amountMinor: 1290, eligibleForMemberBenefits: true },
    { lineNo: 5, sku: 'SKU-0004', barcode: '6902083001124', name: 'Tissue', quantity: 1, unitPriceMinor: 500, amountMinor: 500, eligibleForMemberBenefits: true },
  ],
  adjustments: [{ promotionId: 'p-milk', label: { zh: '牛奶 9折 · 会员日', en: 'Milk 10% off · member day' }, amountMinor: 599, allocations: [{ lineNo: 2, amountMinor: 599 }], actions: [] }],
  totalMinor: 18361,
  paidMinor: 20000,
  changeMinor: 1639,
  tenders: [
    { tenderNo: 1, kind: 'stored_value', amountMinor: 5000, cardId: 'c', legs: [{ accountId: 'a', part: 'principal', amount: 5000, holdId: null }] },
    { tenderNo: 2, kind: 'cash', amountMinor: 13361, tenderedMinor: 15000, changeMinor: 1639 },
  ],
  pointsEarned: 183,
};

describe('sale receipt', () => {
  it('counts Chinese characters, ¥ and × as two columns (as the printer prints them) and right-aligns amounts', () => {
    expect(printWidth('合计 ¥9.00')).toBe(11);
    expect(printWidth('1.234 kg × ¥12.80/kg')).toBe(22);
    expect(printWidth(twoColumns('合计', '¥9.00', 32))).toBe(32);
    expect(maskCardNo('8F3A21C4')).toBe('****21C4');
  });

  it('is printed in the store language: Chinese', () => {
    const r = saleReceipt(sale, { ...store, language: 'zh-CN' }, { widthChars: 32 });
    const text = r.lines.map((l) => l.text);
    expect(text).toContain(twoColumns('  2 x ¥2.00', '¥4.00', 32));
    expect(text).toContain(twoColumns('合计', '¥9.00', 32));
    expect(text).toContain(twoColumns('找零', '¥1.00', 32));
    expect(text).toContain('会员: 张伟 (****21C4)');
    expect(r.qr).toBe(sale.id);
  });

  it('is printed in the store language: English', () => {
    const text = saleReceipt(sale, { ...store, language: 'en' }, { widthChars: 32 }).lines.map((l) => l.text);
    expect(text).toContain(twoColumns('TOTAL', '¥9.00', 32));
    expect(text).toContain(twoColumns('Change', '¥1.00', 32));
    expect(text.join('\n')).not.toMatch(/合计/);
  });

  // The paper's width is the printer's: in GB18030 two-byte mode × and ￥ are sent as two bytes and print two columns.
  for (const width of [32, 48]) {
    for (const language of ['zh-CN', 'en'] as const) {
      it(`decoded from the printer's bytes, every line fits ${width} columns and each amount ends in the last one (${language})`, () => {
        const lines = printedLines(saleReceipt(basket, { ...store, language }, { widthChars: width }), width);
        expect(offPaper(lines, width)).toEqual([]);
        // The store name is printed at double size.
        expect(bytesWide(lines[0]!) * 2).toBeLessThanOrEqual(width);
        // "  1.234 kg × ￥12.80/kg" takes 24 columns, the milk's name 16 and ￥15.80 seven: the gap is what is left, not one more.
        expect(lines).toContain(`  1.234 kg × ￥12.80/kg${' '.repeat(width - 24 - 7)}￥15.80`);
        expect(lines).toContain(`纯牛奶 250ml×12${' '.repeat(width - 16 - 7)}￥59.90`);
        const amounts = lines.filter((l) => /￥\d+\.\d\d$/.test(l));
        expect(amounts).toHaveLength(11);
        expect(new Set(amounts.map(bytesWide))).toEqual(new Set([width]));
        // A name too long for the paper is cut on a whole character, its amount kept.
        expect(lines.find((l) => l.startsWith('康师傅'))).toMatch(/^康师傅\S* .*￥12\.90$/);
      });
    }
  }

  it('top-up slips and X/Z reports fit the paper too', () => {
    for (const width of [32, 48]) {
      for (const language of ['zh-CN', 'en'] as const) {
        const where = { ...store, language, currency: 'CNY' };
        const topUp = topUpReceipt({ id: 'tu-0193a0b0-0000-7000-8000-000000000002', cardNo: '8F3A21C4', memberName: '张伟', principalMinor: 50000, bonusMinor: 5000, tender: 'cash', balance: { principalMinor: 236000, bonusMinor: 33000 }, at: sale.openedAt }, where, { widthChars: width });
        expect(offPaper(printedLines(topUp, width), width)).toEqual([]);
        const totals = { salesCount: 12, refundsCount: 1, sales: { cash: 12345, stored_value: 5990 }, refunds: { cash: 599 }, topUps: { cash: 50000 }, topUpRefunds: {}, net: { cash: 61746, stored_value: 5990 } };
        const report: ShiftReport = { kind: 'Z', shiftId: 'shift-zhang-wei', operatorId: 'op-1', openedAt: sale.openedAt, until: sale.completedAt!, totals, floatMinor: 20000, expectedCashMinor: 81746, countedCashMinor: 81700, differenceMinor: -46 };
        const z = shiftReportReceipt(report, where, { widthChars: width, operatorName: '李娜' });
        expect(offPaper(printedLines(z, width), width)).toEqual([]);
      }
    }
  });
});

