import { describe, expect, it } from 'vitest';
import { promotion, refundLine, type Promotion, type PricedLine } from '../core/pricing';
import { demoChain } from '../fixtures/data/demo-chain';
import { eventFromWire, eventToWire, type SyncEvent } from '../protocols/sync/v1/codec';
import { applyChange } from './master-data';
import { allEvents } from './outbox';
import { openTestTerminal, type TestTerminal } from './testing';

const COLA = '6901028001014'; // SKU-0001 ¥3.00, drinks
const COLA_BOTTLE = '6901028001182'; // SKU-0002 ¥3.50, drinks
const CIGARETTES = '6901050000177'; // ¥45.00, no member benefits
const GOLD_CARD = '5B7E0D92'; // gold: 9.5折

const ctx = { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 };
let seq = 1000;
function receive(t: TestTerminal, p: Promotion, o: { deleted?: boolean; allotment?: number } = {}) {
  seq += 1;
  t.db.transaction(() => applyChange(t.db, { seq, deleted: o.deleted ?? false, body: { type: 'promotion', promotion: p, ...(o.allotment ? { allotment: o.allotment } : {}) } }, ctx))();
}

const goldDiscount = promotion('east-gold', { type: 'memberLevelDiscount', levels: null }, { orgNodeId: 'region-east', name: 'Member discount', nameZh: '会员折扣' });
const spend20 = promotion('east-20-3', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 2000, offMinor: 300 }], repeat: false, capMinor: null, scope: { categories: ['drinks'] } }, {
  orgNodeId: 'region-east',
  group: 'stackable',
});

function lastSaleDocument(t: TestTerminal) {
  const events = allEvents(t.db).filter((e) => e.body.type === 'sale');
  const e = events[events.length - 1]!;
  return (e.body as Extract<SyncEvent['body'], { type: 'sale' }>).sale;
}

describe('promotions at the till', () => {
  it("a member's level discount prices the lines, is explained on the sale, and travels to HQ in the sale document", () => {
    const t = openTestTerminal(demoChain);
    receive(t, goldDiscount);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA, 2);
    t.checkout.addItem(sale.id, CIGARETTES);
    expect(t.checkout.getSale(sale.id).totalMinor).toBe(600 + 4500); // no member yet
    const priced = t.checkout.attachMember(sale.id, GOLD_CARD);
    // Cigarettes take no member benefits.
    expect(priced.lines.map((l) => [l.amountMinor, l.promotions ?? []])).toEqual([
      [570, [{ promotionId: 'east-gold', discountMinor: 30 }]],
      [4500, []],
    ]);
    expect(priced.totalMinor).toBe(570 + 4500);
    expect(priced.adjustments).toEqual([
      { promotionId: 'east-gold', label: { en: expect.stringContaining('9.5'), zh: expect.stringContaining('9.5折') }, amountMinor: 30, allocations: [{ lineNo: 1, amountMinor: 30 }], actions: [] },
    ]);

    t.checkout.addCashTender(sale.id, 5070);
    t.checkout.complete(sale.id);
    const doc = lastSaleDocument(t);
    expect(doc.lines[0]!.promotions).toEqual([{ promotionId: 'east-gold', discountMinor: 30 }]);
    expect(doc.lines[1]!.promotions).toBeUndefined();
    expect(doc.promotionUses).toEqual([{ promotionId: 'east-gold', memberUses: 1, budgetKind: null, budgetDrawn: 0, discountMinor: 30 }]);
    // The document survives the wire with its promotions.
    const event = allEvents(t.db).find((e) => e.body.type === 'sale')!;
    expect(eventFromWire(JSON.parse(JSON.stringify(eventToWire(event))), 't-test-1').body).toEqual(event.body);
  });

  it('a sale without promotions is priced as before, with no promotion fields in its document', () => {
    const t = openTestTerminal(demoChain);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA, 2);
    t.checkout.addCashTender(sale.id, 600);
    const done = t.checkout.complete(sale.id);
    expect(done.adjustments).toEqual([]);
    const doc = lastSaleDocument(t);
    expect(doc.promotionUses).toBeUndefined();
    expect(doc.lines[0]).not.toHaveProperty('promotions');
  });

  it('promotions are prepared once per change from HQ, not per basket; an ended one stops applying', () => {
    const t = openTestTerminal(demoChain);
    receive(t, spend20);
    for (let i = 0; i < 3; i += 1) {
      const sale = t.checkout.openSale();
      t.checkout.addItem(sale.id, COLA, 7); // 21.00
      expect(t.checkout.getSale(sale.id).totalMinor).toBe(2100 - 300);
    }
    expect(t.checkout.pricer.prepareCount).toBe(1);
    receive(t, { ...spend20, status: 'ended' }, { deleted: true });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA, 7);
    expect(t.checkout.getSale(sale.id).totalMinor).toBe(2100);
    expect(t.checkout.pricer.prepareCount).toBe(2);
  });

  it('a budgeted special draws only on the allotment HQ gave this terminal; open sales reserve, cancelled ones give back', async () => {
    const t = openTestTerminal(demoChain); // offline: the allotment is all there is
    const special = promotion('east-cola-1', { type: 'limitedQuantitySpecial', items: [{ sku: 'SKU-0001', priceMinor: 100 }] }, { orgNodeId: 'region-east', budget: { kind: 'quantity', total: 1000 } });
    receive(t, special); // no allotment yet: nothing to draw
    const a = t.checkout.openSale();
    expect(t.checkout.addItem(a.id, COLA, 2).totalMinor).toBe(600);
    receive(t, special, { allotment: 3 });
    expect(t.checkout.addItem(a.id, COLA, 3).totalMinor).toBe(3 * 100 + 2 * 300); // 5 colas, 3 at the special price

    const b = t.checkout.openSale();
    expect(t.checkout.addItem(b.id, COLA, 1).totalMinor).toBe(300); // a holds all 3
    await t.checkout.cancel(a.id);
    expect(t.checkout.addItem(b.id, COLA, 1).totalMinor).toBe(200); // 2 colas, both special now
    t.checkout.addCashTender(b.id, 200);
    t.checkout.complete(b.id);
    expect(lastSaleDocument(t).promotionUses).toEqual([{ promotionId: 'east-cola-1', memberUses: 0, budgetKind: 'quantity', budgetDrawn: 2, discountMinor: 400 }]);

    const c = t.checkout.openSale();
    expect(t.checkout.addItem(c.id, COLA, 4).totalMinor).toBe(100 + 3 * 300); // 1 left of 3
    receive(t, special, { allotment: 5 }); // HQ topped up (cumulative)
    expect(t.checkout.addItem(c.id, COLA_BOTTLE).totalMinor).toBe(3 * 100 + 300 + 350);
  });

  it('refund of one line of a discounted basket gives back that line less its share of the discount, exactly', () => {
    const t = openTestTerminal(demoChain);
    receive(t, spend20);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA, 4); // 12.00
    t.checkout.addItem(sale.id, COLA_BOTTLE, 3); // 10.50
    const priced = t.checkout.getSale(sale.id);
    // 满20减3 over 22.50, split by what each line contributed: 1.60 and 1.40.
    expect(priced.lines.map((l) => [l.amountMinor, l.promotions])).toEqual([
      [1040, [{ promotionId: 'east-20-3', discountMinor: 160 }]],
      [910, [{ promotionId: 'east-20-3', discountMinor: 140 }]],
    ]);
    t.checkout.addCashTender(sale.id, priced.totalMinor);
    t.checkout.complete(sale.id);

    const first = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 4 }], withReceipt: true });
    expect(first.refund.totalMinor).toBe(1040);
    // The engine's own reversal of that line agrees: gross 12.00 less the 1.60 it took.
    const line: PricedLine = { lineNo: 1, sku: 'SKU-0001', quantity: 4, unitPriceMinor: 300, grossMinor: 1200, discountMinor: 160, amountMinor: 1040, adjustments: [{ promotionId: 'east-20-3', amountMinor: 160 }] };
    expect(refundLine(line, 4)).toMatchObject({ grossMinor: 1200, discountMinor: 160, amountMinor: 1040, adjustments: [{ promotionId: 'east-20-3', amountMinor: 160 }] });

    // Line 2 in two goes: the parts add up to the line's net amount to the fen.
    const r2a = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 2, quantity: 1 }], withReceipt: true });
    const r2b = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 2, quantity: 2 }], withReceipt: true });
    expect(r2a.refund.totalMinor + r2b.refund.totalMinor).toBe(910);
  });

  it('a double-points promotion doubles what its lines earn, and only theirs', () => {
    const t = openTestTerminal(demoChain);
    const plain = t.checkout.openSale();
    t.checkout.addItem(plain.id, COLA, 10);
    t.checkout.addItem(plain.id, COLA_BOTTLE, 10);
    t.checkout.attachMember(plain.id, GOLD_CARD);
    t.checkout.addCashTender(plain.id, 6500);
    const base = t.checkout.complete(plain.id).pointsEarned;

    receive(t, promotion('east-2x-cola', { type: 'pointsMultiplier', multiplier: '2', minSpendMinor: 0, scope: { skus: ['SKU-0001'] } }, { orgNodeId: 'region-east', group: 'stackable' }));
    const doubled = t.checkout.openSale();
    t.checkout.addItem(doubled.id, COLA, 10);
    t.checkout.addItem(doubled.id, COLA_BOTTLE, 10);
    const priced = t.checkout.attachMember(doubled.id, GOLD_CARD);
    expect(priced.totalMinor).toBe(6500); // the price is unchanged
    t.checkout.addCashTender(doubled.id, 6500);
    const done = t.checkout.complete(doubled.id);
    // Gold earns ×1.5 on ¥65.00: the cola lines (¥30.00) earn it twice.
    expect(base).toBe(97);
    expect(done.pointsEarned).toBe(97 + 45);
  });

  it('满赠: spend 20 on drinks, a free water is a line of its own at amount 0, replaced (not doubled) as the basket changes', () => {
    const t = openTestTerminal(demoChain);
    receive(t, promotion('east-gift', { type: 'spendThresholdGift', thresholdMinor: 2000, gift: { sku: 'SKU-0007', name: 'Mineral water 550ml', nameZh: '矿泉水 550ml', quantity: 1, unitValueMinor: 200 }, repeat: false, maxGifts: null, scope: { categories: ['drinks'] } }, { orgNodeId: 'region-east' }));
    const sale = t.checkout.openSale();
    expect(t.checkout.addItem(sale.id, COLA, 6).lines).toHaveLength(1); // 18.00: no gift yet
    t.checkout.addItem(sale.id, COLA, 1); // 21.00
    const v = t.checkout.addItem(sale.id, COLA_BOTTLE, 1); // 24.50
    expect(v.lines.map((l) => [l.sku, l.quantity, l.unitPriceMinor, l.amountMinor, l.promotions ?? []])).toEqual([
      ['SKU-0001', 7, 300, 2100, []],
      ['SKU-0002', 1, 350, 350, []],
      ['SKU-0007', 1, 200, 0, [{ promotionId: 'east-gift', discountMinor: 200 }]],
    ]);
    expect(v.totalMinor).toBe(2450);
    // Scanning the gift's own barcode sells one; it does not merge into the free line.
    const more = t.checkout.addItem(sale.id, '6920202002173');
    expect(more.lines.filter((l) => l.sku === 'SKU-0007').map((l) => l.amountMinor).sort()).toEqual([0, 200]);
    // Below the threshold again: the gift goes.
    const less = t.checkout.removeLine(sale.id, 1);
    expect(less.lines.some((l) => l.amountMinor === 0)).toBe(false);
  });

  it('coupons: a wallet code needs its member, applies with minimum spend, is used once, and travels to HQ in the sale', async () => {
    const t = openTestTerminal(demoChain);
    const voucher = promotion('east-5-off', { type: 'coupon', benefit: { kind: 'amount', amountMinor: 500 }, minSpendMinor: 2000, maxPerBasket: 1 }, { orgNodeId: 'region-east', group: 'stackable' });
    receive(t, voucher);
    const coupon = (code: string, memberId: string | null) => {
      seq += 1;
      t.db.transaction(() => applyChange(t.db, { seq, deleted: false, body: { type: 'coupon', coupon: { code, promotionId: 'east-5-off', memberId, validTo: null } } }, ctx))();
    };
    coupon('GOLDWALLET01', 'm-0002');
    coupon('BEARER000001', null);
    const codeOf = async (f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        return (e as { code: string }).code;
      }
      return 'none';
    };

    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA, 5); // 15.00: under the minimum spend
    expect(await codeOf(() => t.checkout.presentCoupon(sale.id, 'NOSUCHCODE99'))).toBe('NOT_FOUND');
    expect(await codeOf(() => t.checkout.presentCoupon(sale.id, 'goldwallet01'))).toBe('NO_MEMBER');
    const under = t.checkout.presentCoupon(sale.id, 'bearer-0000-01');
    expect(under.coupons).toEqual([{ code: 'BEARER000001', status: 'MIN_SPEND_NOT_MET' }]);
    expect(under.totalMinor).toBe(1500);
    const over = t.checkout.addItem(sale.id, COLA, 2); // 21.00
    expect(over.coupons).toEqual([{ code: 'BEARER000001', status: 'applied' }]);
    expect(over.totalMinor).toBe(2100 - 500);
    // The same code on a second open sale is refused.
    const other = t.checkout.openSale();
    expect(await codeOf(() => t.checkout.presentCoupon(other.id, 'BEARER000001'))).toBe('CONFLICT');

    t.checkout.addCashTender(sale.id, 1600);
    t.checkout.complete(sale.id);
    expect(lastSaleDocument(t).couponsUsed).toEqual(['BEARER000001']);
    expect(await codeOf(() => t.checkout.presentCoupon(other.id, 'BEARER000001'))).toBe('CONFLICT'); // used

    // A wallet code: only on its member's sale.
    t.checkout.addItem(other.id, COLA, 7);
    t.checkout.attachMember(other.id, GOLD_CARD);
    const withWallet = t.checkout.presentCoupon(other.id, 'GOLDWALLET01');
    expect(withWallet.coupons).toEqual([{ code: 'GOLDWALLET01', status: 'applied' }]);
    // HQ withdraws a used code: it goes from this till.
    seq += 1;
    t.db.transaction(() => applyChange(t.db, { seq, deleted: true, body: { type: 'coupon', coupon: { code: 'GOLDWALLET01', promotionId: '-', memberId: null, validTo: null } } }, ctx))();
    expect(t.checkout.addItem(other.id, COLA).coupons).toEqual([{ code: 'GOLDWALLET01', status: 'NOT_APPLICABLE' }]);
  });
});
