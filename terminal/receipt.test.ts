import { describe, expect, it } from 'vitest';
import type { SaleView } from './checkout';
import { maskCardNo, printWidth, saleReceipt, twoColumns } from './receipt';

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

describe('sale receipt', () => {
  it('counts Chinese characters and ¥ as two columns and right-aligns amounts', () => {
    expect(printWidth('合计 ¥9.00')).toBe(11);
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
});
