import { describe, expect, it } from 'vitest';
import type { DayCloseDocument } from '../core/day-close';
import type { RefundDocument } from '../core/refund';
import type { TopUpRefundDocument } from '../core/top-up';
import type { Receipt } from '../drivers/printer/receipt';
import { balanceTransferReceipt, cardActionReceipt, dayCloseReceipt, refundReceipt, topUpRefundReceipt, twoColumns } from './receipt';
import { bytesWide, offPaper, printedLines } from './testing-printer';

/** The slip as the printer prints it: ESC/POS bytes from the receipt printer path, decoded back to lines. */
const printed = (r: Receipt, width = 48): string[] => printedLines(r, width);

// The printer prints ¥ as the full-width ￥ (GB18030), so amounts are compared as printed.
const yen = (s: string) => s.replaceAll('¥', '￥');
const store = { storeName: '上海南京路店', chainName: 'OneCard', terminalId: 't-sh-01-1', timeZone: 'Asia/Shanghai', currency: 'CNY' };
const at = Date.UTC(2026, 10, 22, 6, 30);

const refund: RefundDocument = {
  id: '0193a0b0-0000-7000-8000-0000000000r1',
  saleId: '0193a0b0-0000-7000-8000-000000000s01',
  storeId: 'store-sh-01',
  terminalId: 't-sh-01-1',
  currency: 'CNY',
  memberId: 'm-1',
  lines: [{ lineNo: 1, quantity: 1, amountMinor: 5990, eligibleForMemberBenefits: true }],
  totalMinor: 5990,
  tenders: [
    { tenderIndex: 0, kind: 'stored_value', amountMinor: 3990, legs: [{ accountId: 'a', part: 'principal', amount: 3000 }, { accountId: 'b', part: 'bonus', amount: 990 }], points: 0 },
    { tenderIndex: 1, kind: 'points', amountMinor: 1000, legs: [], points: 1000 },
    { tenderIndex: 2, kind: 'cash', amountMinor: 1000, legs: [], points: 0 },
  ],
  pointsReversed: 59,
  completedAt: at,
  withReceipt: true,
};

describe('slips of money actions, printed through the receipt printer path', () => {
  it('a refund slip in Chinese: lines back, each tender with principal and bonus, points, original sale, cashier, signature', () => {
    const slip = refundReceipt({ refund, lineNames: new Map([[1, '纯牛奶']]), member: { name: '张伟', cardNo: '8F3A21C4' } }, { cashierName: '李娜', at }, { ...store, language: 'zh-CN' });
    const lines = printed(slip);
    expect(lines).toContain('退货单');
    expect(lines).toContain(`退货单号: ${refund.id}`);
    expect(lines).toContain(`原销售单: ${refund.saleId}`);
    expect(lines).toContain('收银员: 李娜');
    expect(lines).toContain(yen(twoColumns('纯牛奶 x1', '-¥59.90', 48)));
    expect(lines).toContain(yen(twoColumns('退款合计', '¥59.90', 48)));
    expect(lines).toContain(yen(twoColumns('退回储值卡', '¥39.90', 48)));
    expect(lines).toContain(yen(twoColumns('  本金', '¥30.00', 48)));
    expect(lines).toContain(yen(twoColumns('  赠送', '¥9.90', 48)));
    expect(lines).toContain(yen(twoColumns('退回积分 (1000分)', '¥10.00', 48)));
    expect(lines).toContain(yen(twoColumns('退回现金', '¥10.00', 48)));
    expect(lines).toContain(twoColumns('扣回本单积分', '-59', 48));
    expect(lines).toContain('会员: 张伟 (****21C4)');
    expect(lines.some((l) => l.startsWith('会员签名: ____'))).toBe(true);
    expect(slip.id).toBe(refund.id);
  });

  it('a refund slip in English names the bank-card part to refund on the terminal', () => {
    const cardRefund: RefundDocument = { ...refund, memberId: null, tenders: [{ tenderIndex: 0, kind: 'bank_card', amountMinor: 5990, legs: [], points: 0 }], pointsReversed: 0 };
    const lines = printed(refundReceipt({ refund: cardRefund, lineNames: new Map() }, { at }, { ...store, language: 'en' }));
    expect(lines).toContain('Refund');
    // "Original sale: " and the id are wider than the paper: the id goes whole onto the next line.
    expect(lines.slice(lines.indexOf('Original sale:'), lines.indexOf('Original sale:') + 2)).toEqual(['Original sale:', refund.saleId]);
    expect(lines).toContain(yen(twoColumns('#1 x1', '-¥59.90', 48)));
    expect(lines).toContain(yen(twoColumns('Back to bank card', '¥59.90', 48)));
    expect(lines).toContain('  (refunded on the card terminal)');
    expect(lines.some((l) => l.startsWith('Member signature: ____'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/[退会]/);
  });

  it('a top-up refund slip: principal paid back through its tender, bonus taken back', () => {
    const doc: TopUpRefundDocument = { id: 'tur-1', topUpId: 'tu-1', storeId: 's', terminalId: 't', currency: 'CNY', memberId: 'm', cardId: 'c', tender: 'cash', principalMinor: 50000, bonusClawedBackMinor: 5000, principalHoldId: null, bonusHoldId: null, completedAt: at };
    const zh = printed(topUpRefundReceipt({ refund: doc, memberName: '张伟', cardNo: '8F3A21C4' }, { cashierName: '李娜', at }, { ...store, language: 'zh-CN' }));
    expect(zh).toContain('充值退款');
    expect(zh).toContain('原充值单: tu-1');
    expect(zh).toContain(yen(twoColumns('退回本金', '¥500.00', 48)));
    expect(zh).toContain(yen(twoColumns('扣回赠送', '-¥50.00', 48)));
    const en = printed(topUpRefundReceipt({ refund: doc, memberName: 'Zhang Wei', cardNo: '8F3A21C4' }, { at }, { ...store, language: 'en' }));
    expect(en).toContain(yen(twoColumns('  Cash', '¥500.00', 48)));
  });

  it('card issue, replace, freeze and report-lost slips say what became of which card, with its balance', () => {
    const base = { memberName: '张伟', cardNo: '8F3A21C4', balance: { principalMinor: 186000, bonusMinor: 2000 }, points: 4321 };
    const lost = printed(cardActionReceipt({ ...base, id: 'desk-1', action: 'report_lost' }, { cashierName: '李娜', at }, { ...store, language: 'zh-CN' }));
    expect(lost).toContain('会员卡挂失');
    expect(lost).toContain('卡号: ****21C4');
    expect(lost).toContain(yen(twoColumns('本金余额', '¥1860.00', 48)));
    expect(lost).toContain('此卡已停止消费，余额保留。');
    const replaced = printed(cardActionReceipt({ ...base, id: 'desk-2', action: 'replace', newCardNo: 'A1B2C3D4' }, { at }, { ...store, language: 'en' }));
    expect(replaced).toContain('Member card replaced');
    expect(replaced).toContain('Old card: ****21C4');
    expect(replaced).toContain('New card: ****C3D4');
    expect(replaced).toContain(yen(twoColumns('New card bonus', '¥20.00', 48)));
    const issued = printed(cardActionReceipt({ ...base, id: 'desk-3', action: 'issue' }, { at }, { ...store, language: 'en' }));
    expect(issued).toContain('Member card issued');
    const frozen = printed(cardActionReceipt({ ...base, id: 'desk-4', action: 'freeze' }, { at }, { ...store, language: 'zh-CN' }));
    expect(frozen).toContain('会员卡冻结');
  });

  it('a balance transfer slip: amount moved and both cards after', () => {
    const lines = printed(balanceTransferReceipt({ id: 'tr-1', memberName: '张伟', from: { cardNo: '8F3A21C4', principalMinor: 0, bonusMinor: 0 }, to: { cardNo: 'A1B2C3D4', principalMinor: 10000, bonusMinor: 500 }, amountMinor: 10500 }, { at }, { ...store, language: 'zh-CN' }));
    expect(lines).toContain('余额转移');
    expect(lines).toContain(yen(twoColumns('转移金额', '¥105.00', 48)));
    expect(lines).toContain(yen(twoColumns('转入卡余额', '¥105.00', 48)));
  });

  it('the day-close summary: totals by tender in and out, net, counts', () => {
    const d: DayCloseDocument = {
      id: 'dc-1', storeId: 's', terminalId: 't-sh-01-1', businessDate: '2026-11-22',
      tenders: [{ kind: 'cash', salesMinor: 12000, refundsMinor: 1000 }, { kind: 'bank_card', salesMinor: 5990, refundsMinor: 0 }],
      saleCount: 3, refundCount: 1, topUpTotalMinor: 10000, firstSeq: 1, lastSeq: 9, eventsChain: 'abcdef0123456789abcdef', closedAt: at,
    };
    const zh = printed(dayCloseReceipt(d, { cashierName: '李娜', at }, { ...store, language: 'zh-CN' }));
    expect(zh).toContain('日结单 2026-11-22');
    expect(zh).toContain('现金');
    expect(zh).toContain(yen(twoColumns('  ¥120.00 / -¥10.00', '¥110.00', 48)));
    expect(zh).toContain(yen(twoColumns('净额合计', '¥169.90', 48)));
    expect(zh).toContain(twoColumns('销售笔数', '3', 48));
    const en = printed(dayCloseReceipt(d, { at }, { ...store, language: 'en' }));
    expect(en).toContain('Day close 2026-11-22');
    expect(en).toContain('Bank card');
    expect(en).toContain(yen(twoColumns('Net total', '¥169.90', 48)));
  });

  it('every slip, decoded from the printer bytes, fits 32 and 48 columns with each amount in the last column (zh and en)', () => {
    const d: DayCloseDocument = {
      id: 'dc-0193a0b0-0000-7000-8000-000000000009', storeId: 's', terminalId: 't-sh-01-1', businessDate: '2026-11-22',
      tenders: [{ kind: 'cash', salesMinor: 1234500, refundsMinor: 59900 }, { kind: 'stored_value', salesMinor: 5990, refundsMinor: 0 }, { kind: 'bank_card', salesMinor: 88800, refundsMinor: 100 }],
      saleCount: 321, refundCount: 4, topUpTotalMinor: 100000, firstSeq: 1, lastSeq: 999, eventsChain: 'abcdef0123456789abcdef', closedAt: at,
    };
    const topUpRefund: TopUpRefundDocument = { id: 'tur-0193a0b0-0000-7000-8000-000000000003', topUpId: 'tu-0193a0b0-0000-7000-8000-000000000002', storeId: 's', terminalId: 't', currency: 'CNY', memberId: 'm', cardId: 'c', tender: 'bank_card', principalMinor: 100000, bonusClawedBackMinor: 15000, principalHoldId: null, bonusHoldId: null, completedAt: at };
    const balance = { principalMinor: 186000, bonusMinor: 28000 };
    for (const width of [32, 48]) {
      for (const language of ['zh-CN', 'en'] as const) {
        const where = { ...store, language };
        const c = { cashierName: '李娜', at };
        const dayClose = dayCloseReceipt(d, c, where, { widthChars: width });
        const slips = [
          refundReceipt({ refund, lineNames: new Map([[1, '纯牛奶 250ml×12 特价装 会员日 限购两件']]), member: { name: '张伟', cardNo: '8F3A21C4' } }, c, where, { widthChars: width }),
          topUpRefundReceipt({ refund: topUpRefund, memberName: '张伟', cardNo: '8F3A21C4' }, c, where, { widthChars: width }),
          cardActionReceipt({ id: 'desk-0193a0b0-0000-7000-8000-000000000004', action: 'replace', memberName: '张伟', cardNo: '8F3A21C4', newCardNo: 'A1B2C3D4', balance, points: 4321, reason: '卡片损坏 — 磁条无法读取 · 已核实身份' }, c, where, { widthChars: width }),
          balanceTransferReceipt({ id: 'tr-1', memberName: '张伟', from: { cardNo: '8F3A21C4', principalMinor: 0, bonusMinor: 0 }, to: { cardNo: 'A1B2C3D4', ...balance }, amountMinor: 214000 }, c, where, { widthChars: width }),
          dayClose,
        ];
        for (const slip of slips) {
          const lines = printed(slip, width);
          expect(offPaper(lines, width), `${slip.id} at ${width} (${language})`).toEqual([]);
          // The member signs on a line that runs to the paper's edge (the day close is not signed).
          const signHere = lines.filter((l) => l.includes('____'));
          expect(signHere.map(bytesWide)).toEqual(slip === dayClose ? [] : [width]);
        }
      }
    }
  });
});

