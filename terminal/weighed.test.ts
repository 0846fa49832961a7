import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../core/errors';
import { promotion, type Promotion } from '../core/pricing';
import { createDeviceFactory, type ScanData } from '../drivers';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { gtinCheckDigit } from '../protocols/barcode/gtin';
import { encodeVariableMeasure, type VariableMeasureLayout } from '../protocols/barcode/variable-measure';
import { StoreLane } from './devices';
import { applyChange } from './master-data';
import { allEvents } from './outbox';
import { saleReceipt } from './receipt';
import { openTestTerminal, type TestTerminal } from './testing';

// The demo lane's scanner layouts (fixtures/simulators/virtual-devices.ts).
const WEIGHT: VariableMeasureLayout = { prefixes: ['28'], itemDigits: 5, value: 'weight', valueDigits: 4, valueCheckDigit: true };
const PRICE: VariableMeasureLayout = { prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false };
const APPLES_1234G = encodeVariableMeasure(WEIGHT, '28', '10001', 1234); // 苹果 ¥12.80/kg
const DUCK_2345 = encodeVariableMeasure(PRICE, '2', '020001', 2345); // 卤鸭 ¥46.90/kg, the scale printed ¥23.45
const APPLES_BARCODE = '6999991000011';
const COLA = '6901028001014';
const chainKey = new TextEncoder().encode('weighed-test-key');

/** The same label with its price/weight verifier digit changed (and the EAN check digit made right again). */
function wrongVerifier(label: string): string {
  const body = label.slice(0, 7) + String((Number(label[7]) + 1) % 10) + label.slice(8, 12);
  return body + String(gtinCheckDigit(body));
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('items sold by weight at the terminal', () => {
  let t: TestTerminal;
  let sim: VirtualDevices;
  let lane: StoreLane;
  const scans: ScanData[] = [];

  beforeAll(async () => {
    t = openTestTerminal(demoChain);
    sim = new VirtualDevices(chainKey);
    lane = new StoreLane({ config: sim.config, factory: createDeviceFactory({ simulators: sim.transports, chainKey }), panel: sim }, t.db);
    lane.on((e) => void (e.type === 'scan' && scans.push(e.scan)));
    await lane.start();
  });
  afterAll(async () => {
    await lane.stop();
    t.db.close();
  });

  /** What the simulated scanner delivers for `code` (HID keyboard reports → text → meaning). */
  const scan = async (code: string): Promise<ScanData> => {
    const from = scans.length;
    sim.scan(code);
    await expect.poll(() => scans.length > from, { timeout: 10_000 }).toBe(true);
    return scans[from]!;
  };

  it('a weight label scanned on the lane is the PLU at its weight: 1.234 kg × ¥12.80/kg = ¥15.80', async () => {
    const s = await scan(APPLES_1234G);
    expect(s.meaning).toEqual({ kind: 'variable-measure', item: { prefix: '28', itemCode: '10001', value: 'weight', amount: 1234 } });
    const sale = t.checkout.openSale();
    if (s.meaning.kind !== 'variable-measure') throw new Error('not a scale label');
    const v = t.checkout.addScaleLabel(sale.id, s.meaning.item, s.text);
    expect(v.lines).toEqual([expect.objectContaining({ sku: 'SKU-0067', barcode: APPLES_1234G, quantity: 1, unitPriceMinor: 1580, amountMinor: 1580, measure: { grams: 1234, pricePerKgMinor: 1280 } })]);
    expect(v.totalMinor).toBe(1580);
  });

  it('a price label is the printed price, with the weight worked back; two labels of one item stay two lines', async () => {
    const s = await scan(DUCK_2345);
    if (s.meaning.kind !== 'variable-measure') throw new Error('not a scale label');
    expect(s.meaning.item).toEqual({ prefix: '2', itemCode: '020001', value: 'price', amount: 2345 });
    const sale = t.checkout.openSale();
    t.checkout.addScaleLabel(sale.id, s.meaning.item, s.text);
    const v = t.checkout.addScaleLabel(sale.id, s.meaning.item, s.text);
    expect(v.lines.map((l) => [l.amountMinor, l.measure])).toEqual([
      [2345, { grams: 500, pricePerKgMinor: 4690, weightDerived: true }],
      [2345, { grams: 500, pricePerKgMinor: 4690, weightDerived: true }],
    ]);
    expect(v.totalMinor).toBe(4690);
  });

  it('a label with a wrong weight verifier digit, and an unknown PLU, are refused with stable codes and nothing changes', async () => {
    const bad = await scan(wrongVerifier(APPLES_1234G));
    expect(bad.meaning).toMatchObject({ kind: 'invalid', code: 'BAD_CHECK_DIGIT' });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    const unknown = await scan(encodeVariableMeasure(WEIGHT, '28', '99999', 500));
    if (unknown.meaning.kind !== 'variable-measure') throw new Error('not a scale label');
    const item = unknown.meaning.item;
    expect(codeOf(() => t.checkout.addScaleLabel(sale.id, item, unknown.text))).toMatchObject({ code: 'UNKNOWN_PLU', details: { plu: '99999' } });
    expect(t.checkout.getSale(sale.id).lines.map((l) => l.sku)).toEqual(['SKU-0001']);
    expect(t.checkout.getSale(sale.id).totalMinor).toBe(300);
  });

  it('a PLU keyed with a weight is weighed; the item by its barcode alone asks for its weight', () => {
    const sale = t.checkout.openSale();
    const v = t.checkout.addItem(sale.id, '10001', 1, { grams: 2000 });
    expect(v.lines[0]).toMatchObject({ sku: 'SKU-0067', amountMinor: 2560, measure: { grams: 2000, pricePerKgMinor: 1280 } });
    expect(codeOf(() => t.checkout.addItem(sale.id, APPLES_BARCODE))).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'WEIGHT_REQUIRED' } });
    expect(codeOf(() => t.checkout.addItem(sale.id, '10001'))).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'WEIGHT_REQUIRED' } });
    expect(codeOf(() => t.checkout.addItem(sale.id, COLA, 1, { grams: 500 }))).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(codeOf(() => t.checkout.addItem(sale.id, '10001', 2, { grams: 500 }))).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(t.checkout.getSale(sale.id).lines).toHaveLength(1);
  });

  it('a completed sale carries the weight in its event and prints "1.234 kg × ¥12.80/kg  ¥15.80" (zh and en)', async () => {
    const sale = t.checkout.openSale();
    t.checkout.addScaleLabel(sale.id, { itemCode: '10001', value: 'weight', amount: 1234 }, APPLES_1234G);
    t.checkout.addItem(sale.id, COLA);
    t.checkout.addCashTender(sale.id, 1880, 2000);
    const done = t.checkout.complete(sale.id);
    const event = allEvents(t.db).find((e) => e.body.type === 'sale' && e.body.sale.id === sale.id)!;
    if (event.body.type !== 'sale') throw new Error('not a sale');
    expect(event.body.sale.lines[0]).toMatchObject({ sku: 'SKU-0067', quantity: 1, amountMinor: 1580, measure: { grams: 1234, pricePerKgMinor: 1280 } });
    expect(event.body.sale.lines[1]!.measure).toBeUndefined();
    for (const language of ['zh-CN', 'en'] as const) {
      const text = saleReceipt(done, { storeName: 'S', chainName: 'C', terminalId: 't', timeZone: 'Asia/Shanghai', language }).lines.map((l) => l.text);
      const i = text.findIndex((l) => l.includes('1.234 kg'));
      expect(text[i - 1]).toBe('苹果 (散称)');
      expect(text[i]).toMatch(/^ {2}1\.234 kg × ¥12\.80\/kg +¥15\.80$/);
    }
  });

  it('promotions take their share of a weighed line: a special price per kg, then the gold member 9.5折', () => {
    const t2 = openTestTerminal(demoChain);
    const ctx = { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 };
    const receive = (seq: number, p: Promotion) => t2.db.transaction(() => applyChange(t2.db, { seq, deleted: false, body: { type: 'promotion', promotion: p } }, ctx))();
    receive(1, promotion('apples-990', { type: 'specialPrice', items: [{ sku: 'SKU-0067', priceMinor: 990 }] }, { orgNodeId: 'region-east' }));
    receive(2, promotion('east-gold', { type: 'memberLevelDiscount', levels: null }, { orgNodeId: 'region-east', group: 'stackable' }));
    const sale = t2.checkout.openSale();
    let v = t2.checkout.addScaleLabel(sale.id, { itemCode: '10001', value: 'weight', amount: 1234 }, APPLES_1234G);
    // ¥9.90/kg × 1.234 kg = 12.2166 → ¥12.22 instead of ¥15.80
    expect(v.lines[0]).toMatchObject({ unitPriceMinor: 1580, amountMinor: 1222, measure: { grams: 1234, pricePerKgMinor: 1280 } });
    v = t2.checkout.attachMember(sale.id, '5B7E0D92'); // gold: 9.5折 on what is left, 12.22 × 0.95 = 11.609 → ¥11.61
    expect(v.lines[0]!.amountMinor).toBe(1161);
    expect(v.lines[0]!.promotions?.map((p) => p.promotionId).sort()).toEqual(['apples-990', 'east-gold']);
    expect(v.totalMinor).toBe(1161);
    t2.db.close();
  });

  it('a weighed line is refunded whole: its amount back; more than the line is refused', async () => {
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, '10003', 1, { grams: 5000 }); // 5 kg of rice at ¥5.98/kg = ¥29.90
    t.checkout.addCashTender(sale.id, 2990);
    t.checkout.complete(sale.id);
    await expect(t.services.refunds.refundSale({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 2 }], withReceipt: true })).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_SALE', message: expect.stringContaining('returned whole') });
    const r = await t.services.refunds.refundSale({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect(r.refund.totalMinor).toBe(2990);
  });
});
