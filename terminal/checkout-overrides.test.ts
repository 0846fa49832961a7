import { afterEach, describe, expect, it } from 'vitest';
import { promotion } from '../core/pricing';
import { demoChain } from '../fixtures/data/demo-chain';
import { eventFromWire, eventToWire, type SyncEvent, type TerminalOperator } from '../protocols/sync/v1/codec';
import { stmt } from './db';
import { applyChange } from './master-data';
import { allEvents } from './outbox';
import { saleReceipt } from './receipt';
import { Staff } from './shift';
import { openTestTerminal, type TestTerminal } from './testing';

/**
 * Price overrides (改价) and manual discounts (手工折扣) at the till, worked in yuan: each needs
 * price.override / discount.manual — the cashier's own or a supervisor's card — and a reason,
 * is recorded as an override with before and after, and travels to HQ in the sale document.
 */

const ctx = { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 };
const CASHIER = ['sale.create', 'sale.refund', 'member.read'];
const operators: TerminalOperator[] = [
  { id: 'op-gu', name: '收银员 顾小燕', login: 'sh01.cashier1', pinHash: null, cardNo: 'CASHCARD01', permissions: CASHIER, locked: false },
  { id: 'op-lu', name: '店长 陆海', login: 'sh01.manager', pinHash: null, cardNo: 'SUPCARD01', permissions: [...CASHIER, 'discount.manual', 'price.override', 'sale.void'], locked: false },
];
const DETERGENT = '6902865001182'; // 洗衣液 2kg ¥39.90
const NOODLES = '6901472003176'; // 红烧牛肉面 五连包 ¥13.50
const COLA_BOTTLE = '6901028001182'; // ¥3.50
const BISCUITS = '6903582002162'; // ¥6.90
const MILK = '6907028100122'; // 纯牛奶 250ml×12 ¥59.90
const BUTTER = '9415123000218'; // ¥32.90
const noodlesSecondHalf = promotion('noodles-2nd', { type: 'secondItem', rate: '0.5', scope: { skus: ['SKU-0027'] } }, { orgNodeId: 'region-east', name: 'Second pack half price', nameZh: '第二件半价' });

let t: TestTerminal | null = null;
afterEach(() => {
  t?.db.close();
  t = null;
});

async function till(signedIn: 'CASHCARD01' | 'SUPCARD01' = 'CASHCARD01') {
  t = openTestTerminal(demoChain);
  const tt = t;
  let seq = 10_000;
  tt.db.transaction(() => {
    for (const operator of operators) applyChange(tt.db, { seq: ++seq, deleted: false, body: { type: 'operator', operator } }, ctx);
    applyChange(tt.db, { seq: ++seq, deleted: false, body: { type: 'promotion', promotion: noodlesSecondHalf } }, ctx);
  })();
  const staff = new Staff(tt.db, tt.clock, () => `session-${++seq}`);
  await staff.signIn({ cardNo: signedIn });
  const saleDocument = () => {
    const e = allEvents(tt.db).filter((x) => x.body.type === 'sale').at(-1)!;
    return { event: e, sale: (e.body as Extract<SyncEvent['body'], { type: 'sale' }>).sale };
  };
  const overrides = () => stmt(tt.db, 'SELECT cashier_id, supervisor_id, permission, action, method, details, used_at FROM overrides ORDER BY at, rowid').all() as Array<{ cashier_id: string; supervisor_id: string; permission: string; action: string; method: string; details: string; used_at: number | null }>;
  return { t: tt, staff, saleDocument, overrides };
}

describe('price override', () => {
  it('¥39.90 detergent overridden to ¥30.00 needs a supervisor for a cashier; recorded with before and after; sent to HQ with its list price', async () => {
    const { t, saleDocument, overrides } = await till();
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, DETERGENT);
    await expect(t.checkout.overridePrice(sale.id, 1, { unitPriceMinor: 3000, reason: '包装破损' })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { permission: 'price.override', needsSupervisor: true } });
    await expect(t.checkout.overridePrice(sale.id, 1, { unitPriceMinor: 3000, reason: '  ', supervisor: { cardNo: 'SUPCARD01' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

    const priced = await t.checkout.overridePrice(sale.id, 1, { unitPriceMinor: 3000, reason: '包装破损', supervisor: { cardNo: 'SUPCARD01' } });
    expect(priced.lines[0]).toMatchObject({ unitPriceMinor: 3000, amountMinor: 3000, priceOverride: { listUnitPriceMinor: 3990, reason: '包装破损', approvedBy: 'op-lu' } });
    expect(priced.totalMinor).toBe(3000);
    // The same item scanned again is a line of its own at the list price.
    expect(t.checkout.addItem(sale.id, DETERGENT).lines.map((l) => l.amountMinor)).toEqual([3000, 3990]);

    const [o] = overrides();
    expect(o).toMatchObject({ cashier_id: 'op-gu', supervisor_id: 'op-lu', permission: 'price.override', action: 'price_override', method: 'card', used_at: expect.any(Number) });
    expect(JSON.parse(o!.details)).toMatchObject({ lineNo: 1, listUnitPriceMinor: 3990, beforeUnitPriceMinor: 3990, afterUnitPriceMinor: 3000, reason: '包装破损' });

    t.checkout.addCashTender(sale.id, 6990);
    t.checkout.complete(sale.id);
    const { event, sale: doc } = saleDocument();
    expect(doc.lines[0]!.priceOverride).toEqual({ listUnitPriceMinor: 3990, reason: '包装破损', overrideId: expect.any(String), approvedBy: 'op-lu' });
    expect(doc.lines[1]).not.toHaveProperty('priceOverride');
    expect(eventFromWire(JSON.parse(JSON.stringify(eventToWire(event))), 't-test-1').body).toEqual(event.body);
  });

  it('a manager overrides on their own permission (method own); a negative price is refused', async () => {
    const { t, overrides } = await till('SUPCARD01');
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, DETERGENT);
    await expect(t.checkout.overridePrice(sale.id, 1, { unitPriceMinor: -1, reason: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await t.checkout.overridePrice(sale.id, 1, { unitPriceMinor: 3500, reason: '会员价' });
    expect(overrides()[0]).toMatchObject({ supervisor_id: 'op-lu', method: 'own' });
  });
});

describe('manual discount', () => {
  it('10% off a ¥123.45 basket with a promotion takes ¥12.35; each line keeps its share; the refund of the noodles returns exactly what they cost', async () => {
    const { t, saleDocument, overrides } = await till();
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, NOODLES, 2); // ¥27.00, second pack half price: ¥20.25
    for (const code of [COLA_BOTTLE, BISCUITS, MILK, BUTTER]) t.checkout.addItem(sale.id, code);
    const before = t.checkout.getSale(sale.id);
    expect(before.lines[0]).toMatchObject({ amountMinor: 2025, promotions: [{ promotionId: 'noodles-2nd', discountMinor: 675 }] });
    expect(before.totalMinor).toBe(12345);

    await expect(t.checkout.addManualDiscount(sale.id, { percent: '10', reason: '老顾客' })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { permission: 'discount.manual' } });
    const after = await t.checkout.addManualDiscount(sale.id, { percent: '10', rounding: 'HALF_UP', reason: '老顾客', supervisor: { cardNo: 'SUPCARD01' } });
    // 10% of ¥123.45 = ¥12.345, half up ¥12.35, shared by what each line costs (largest remainder).
    expect(after.totalMinor).toBe(12345 - 1235);
    expect(after.manualDiscounts).toEqual([{ id: expect.any(String), lineNo: null, kind: 'percent', percent: '10', rounding: 'HALF_UP', discountMinor: 1235, reason: '老顾客', overrideId: expect.any(String), approvedBy: 'op-lu' }]);
    expect(after.lines.map((l) => l.manualDiscounts?.[0]?.discountMinor)).toEqual([203, 35, 69, 599, 329]);
    expect(after.lines.map((l) => l.amountMinor)).toEqual([1822, 315, 621, 5391, 2961]);
    // The promotion's share is untouched: the manual discount comes after it.
    expect(after.lines[0]!.promotions).toEqual([{ promotionId: 'noodles-2nd', discountMinor: 675 }]);
    expect(JSON.parse(overrides()[0]!.details)).toMatchObject({ lineNo: null, kind: 'percent', percent: '10', beforeMinor: 12345, afterMinor: 11110, discountMinor: 1235 });

    // Split over two tenders; the sale completes and its document carries the discount.
    t.checkout.addBankCardTender(sale.id, 10_000, 'AUTH-1');
    t.checkout.addCashTender(sale.id, 1110);
    t.checkout.complete(sale.id);
    const { sale: doc } = saleDocument();
    expect(doc.totalMinor).toBe(11110);
    expect(doc.manualDiscounts).toHaveLength(1);
    expect(doc.lines[0]!.manualDiscounts).toEqual([{ discountId: doc.manualDiscounts![0]!.id, discountMinor: 203 }]);

    // The receipt shows each line's share, so its lines add up to the total paid.
    const receipt = saleReceipt(t.checkout.getSale(sale.id), { storeName: '上海南京路店', chainName: 'OneCard', terminalId: 't-test-1', timeZone: 'Asia/Shanghai', language: 'zh-CN' }).lines.map((l) => l.text);
    expect(receipt.filter((l) => l.includes('手工折扣')).map((l) => l.replace(/^.* -/, '-'))).toEqual(['-¥2.03', '-¥0.35', '-¥0.69', '-¥5.99', '-¥3.29']);
    expect(receipt.find((l) => l.startsWith('优惠'))).toMatch(/-¥19\.10$/); // ¥6.75 promotion + ¥12.35 manual discount

    const refund = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 2 }], withReceipt: true });
    expect(refund.refund.totalMinor).toBe(1822);
    expect(refund.refund.tenders.reduce((s, x) => s + x.amountMinor, 0)).toBe(1822);
  });

  it('an amount on one line: never more than the line costs; removing the line removes its discount', async () => {
    const { t } = await till('SUPCARD01');
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, DETERGENT);
    t.checkout.addItem(sale.id, BUTTER);
    await expect(t.checkout.addManualDiscount(sale.id, { lineNo: 2, amountMinor: 3291, reason: '临期' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { baseMinor: 3290 } });
    await expect(t.checkout.addManualDiscount(sale.id, { lineNo: 2, amountMinor: 500, percent: '10', reason: '临期' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(t.checkout.addManualDiscount(sale.id, { percent: '100.5', reason: '临期' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const d = await t.checkout.addManualDiscount(sale.id, { lineNo: 2, amountMinor: 1000, reason: '临期' }); // ¥32.90 → ¥22.90
    expect(d.lines.map((l) => l.amountMinor)).toEqual([3990, 2290]);
    expect(d.totalMinor).toBe(6280);
    const removed = t.checkout.removeLine(sale.id, 2);
    expect(removed.manualDiscounts).toBeUndefined();
    expect(removed.totalMinor).toBe(3990);
    // A basket discount taken off again restores the price (nothing to approve).
    const basket = await t.checkout.addManualDiscount(sale.id, { amountMinor: 990, reason: '凑整' });
    expect(basket.totalMinor).toBe(3000);
    expect(t.checkout.removeManualDiscount(sale.id, basket.manualDiscounts![0]!.id).totalMinor).toBe(3990);
  });
});
