import { afterEach, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import type { SyncEvent, TerminalOperator } from '../protocols/sync/v1/codec';
import { stmt } from './db';
import { applyChange } from './master-data';
import { Staff } from './shift';
import { openTestTerminal, type TestTerminal } from './testing';

/**
 * A shift per cashier: two cashiers take turns on one till, each with their own shift open, and
 * each X/Z counts only the sales and refunds that cashier completed (recorded on the document).
 */

const PERMISSIONS = ['sale.create', 'sale.refund', 'member.read'];
const operators: TerminalOperator[] = [
  { id: 'op-gu', name: '收银员 顾小燕', login: 'sh01.cashier1', pinHash: null, cardNo: 'CASHCARD01', permissions: PERMISSIONS, locked: false },
  { id: 'op-shi', name: '收银员 施晨', login: 'sh01.cashier2', pinHash: null, cardNo: 'CASHCARD02', permissions: PERMISSIONS, locked: false },
  { id: 'op-lu', name: '店长 陆海', login: 'sh01.manager', pinHash: null, cardNo: 'SUPCARD01', permissions: [...PERMISSIONS, 'operator.manage'], locked: false },
];
const [apple, pear] = demoChain.products;
let t: TestTerminal | null = null;

afterEach(() => {
  t?.db.close();
  t = null;
});

function till() {
  t = openTestTerminal(demoChain);
  let seq = 10_000;
  for (const operator of operators) applyChange(t.db, { seq: ++seq, deleted: false, body: { type: 'operator', operator } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 });
  let n = 0;
  const staff = new Staff(t.db, t.clock, () => `staff-${++n}`);
  const tt = t;
  const cashSale = (barcode: string, cash: number) => {
    const s = tt.checkout.openSale();
    tt.checkout.addItem(s.id, barcode);
    tt.checkout.addCashTender(s.id, cash);
    return tt.checkout.complete(s.id);
  };
  return { t: tt, staff, cashSale };
}

describe('shift per cashier', () => {
  it('two cashiers on one till: each X and Z counts that cashier’s own sales and refunds only', async () => {
    const { t, staff, cashSale } = till();
    const applePrice = apple!.priceMinor;
    const pearPrice = pear!.priceMinor;

    await staff.signIn({ cardNo: 'CASHCARD01' });
    const gu = staff.openShift(20_000); // ¥200.00 float
    t.clock.advance(60_000);
    const guSale = cashSale(apple!.barcode, applePrice);

    // 施晨 takes the till: 顾小燕's shift stays open, and 施晨 opens one of her own.
    await staff.signIn({ cardNo: 'CASHCARD02' });
    const shi = staff.openShift(10_000); // ¥100.00 float
    expect(staff.openShifts().map((s) => s.operatorId)).toEqual(['op-gu', 'op-shi']);
    t.clock.advance(60_000);
    cashSale(pear!.barcode, pearPrice);
    const s2 = t.checkout.openSale();
    t.checkout.addItem(s2.id, apple!.barcode, 2);
    t.checkout.addBankCardTender(s2.id, 2 * applePrice, 'AUTH-77');
    t.checkout.complete(s2.id);
    // She also takes back 顾小燕's apple: the refund is hers.
    t.services.refunds.refund({ saleId: guSale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });

    const xShi = staff.xReport();
    expect(xShi).toMatchObject({ kind: 'X', shiftId: shi.id, operatorId: 'op-shi', floatMinor: 10_000 });
    expect(xShi.totals).toMatchObject({ salesCount: 2, refundsCount: 1, sales: { cash: pearPrice, bank_card: 2 * applePrice }, refunds: { cash: applePrice } });
    expect(xShi.expectedCashMinor).toBe(10_000 + pearPrice - applePrice);

    await staff.signIn({ cardNo: 'CASHCARD01' });
    const xGu = staff.xReport();
    expect(xGu).toMatchObject({ shiftId: gu.id, operatorId: 'op-gu' });
    expect(xGu.totals).toMatchObject({ salesCount: 1, refundsCount: 0, sales: { cash: applePrice }, refunds: {} });
    const zGu = staff.closeShift(20_000 + applePrice);
    expect(zGu).toMatchObject({ kind: 'Z', expectedCashMinor: 20_000 + applePrice, differenceMinor: 0 });

    // A manager closes 施晨's shift for her; with only hers open, it is the one.
    await staff.signIn({ cardNo: 'SUPCARD01' });
    const zShi = staff.closeShift(10_000 + pearPrice - applePrice);
    expect(zShi).toMatchObject({ shiftId: shi.id, totals: { salesCount: 2, net: { cash: pearPrice - applePrice, bank_card: 2 * applePrice } }, differenceMinor: 0 });
    expect(staff.openShifts()).toEqual([]);
  });

  it('each sale and refund records the cashier signed in when it completed, on its row and in its event', async () => {
    const { t, staff, cashSale } = till();
    await staff.signIn({ cardNo: 'CASHCARD02' });
    const sale = cashSale(apple!.barcode, apple!.priceMinor);
    const refund = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect(stmt(t.db, 'SELECT cashier_id FROM sales WHERE id = ?').get(sale.id)).toEqual({ cashier_id: 'op-shi' });
    expect(stmt(t.db, 'SELECT cashier_id FROM refunds WHERE id = ?').get(refund.refund.id)).toEqual({ cashier_id: 'op-shi' });
    const events = (stmt(t.db, 'SELECT body FROM outbox ORDER BY seq').all() as Array<{ body: string }>).map((r) => JSON.parse(r.body) as SyncEvent);
    const saleEvent = events.find((e) => e.body.type === 'sale');
    const refundEvent = events.find((e) => e.body.type === 'refund');
    expect(saleEvent?.body.type === 'sale' && saleEvent.body.sale.cashierId).toBe('op-shi');
    expect(refundEvent?.body.type === 'refund' && refundEvent.body.refund.cashierId).toBe('op-shi');
  });

  it('a manager with several shifts open on the till says which one to close', async () => {
    const { staff } = till();
    await staff.signIn({ cardNo: 'CASHCARD01' });
    const gu = staff.openShift(0);
    await staff.signIn({ cardNo: 'CASHCARD02' });
    staff.openShift(0);
    await staff.signIn({ cardNo: 'SUPCARD01' });
    expect(() => staff.closeShift(0)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(staff.closeShift(0, gu.id)).toMatchObject({ kind: 'Z', shiftId: gu.id, operatorId: 'op-gu' });
    // A cashier cannot close a colleague's shift.
    await staff.signIn({ cardNo: 'CASHCARD01' });
    expect(() => staff.closeShift(0, staff.openShifts()[0]!.id)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});
