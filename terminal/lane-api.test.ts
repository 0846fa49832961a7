import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceFactory } from '../drivers';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { StoreLane } from './devices';
import { EventsStream, type PushEvent } from './events-stream';
import { CashierLane } from './lane-api';
import { applyOperatorChange } from './operators';
import { openTestTerminal, type TestTerminal } from './testing';
import { pinOf, seedTillOperators, testStaff, TILL_CASHIER } from './testing-staff';
import type { TillStaff } from './staff-api';

const COLA = '6901028001014'; // ¥3.00
const chainKey = new TextEncoder().encode('lane-test-key');

/** The lane without a browser: simulated devices, a terminal on SQLite, HQ offline. */
describe('cashier lane: devices and the current sale', () => {
  let t: TestTerminal;
  let sim: VirtualDevices;
  let lane: StoreLane;
  let cashier: CashierLane;
  let staff: TillStaff;
  const events: PushEvent[] = [];

  beforeAll(async () => {
    t = openTestTerminal(demoChain);
    await seedTillOperators(t.db);
    staff = testStaff(t);
    sim = new VirtualDevices(chainKey, { paymentResponse_ms: 1000 });
    lane = new StoreLane({ config: sim.config, factory: createDeviceFactory({ simulators: sim.transports, chainKey }), panel: sim }, t.db);
    const stream = new EventsStream('x'.repeat(64));
    stream.publish = (e) => void events.push(e);
    cashier = new CashierLane({
      checkout: t.checkout,
      db: t.db,
      lane,
      events: stream,
      store: { terminalId: 't-test-1', storeName: '测试店', chainName: 'OneCard', currency: 'CNY', timeZone: 'Asia/Shanghai' },
      language: 'zh-CN',
      link: () => ({ hq: 'offline', lastContactAt: null }),
      log: () => {},
      staff,
    });
    cashier.start();
    await lane.start();
  });
  afterAll(async () => {
    cashier.stop();
    await lane.stop();
    t.db.close();
  });

  const next = async (type: string, from: number) => {
    await expect.poll(() => events.slice(from).some((e) => e.type === type), { timeout: 10_000 }).toBe(true);
    return events.slice(from).find((e) => e.type === type)!.data as any;
  };

  it('a scan while nobody is signed in is refused and opens no sale', async () => {
    const from = events.length;
    sim.scan(COLA);
    expect((await next('lane-error', from)).code).toBe('NOT_SIGNED_IN');
    expect(cashier.current()).toBeNull();
    expect(t.db.prepare('SELECT count(*) AS n FROM sales').get()).toEqual({ n: 0 });
  });

  it('a scan with no sale open opens one and adds the item; the UI hears the sale', async () => {
    await staff.staff.signIn(pinOf(TILL_CASHIER));
    const from = events.length;
    sim.scan(COLA);
    const sale = await next('sale', from);
    expect(sale.lines).toMatchObject([{ barcode: COLA, quantity: 1 }]);
    expect(cashier.current()?.id).toBe(sale.id);
  });

  it('a scale label of a PLU the store does not sell is refused and the sale is unchanged; a known one is sold by its weight', async () => {
    const from = events.length;
    sim.scan('2100001012502');
    const err = await next('lane-error', from);
    expect(err.code).toBe('UNKNOWN_PLU');
    expect(err.message).toContain('PLU 100001');
    expect(cashier.current()?.lines).toHaveLength(1);
    const weighed = events.length;
    sim.scan('2810001912343'); // 苹果 PLU 10001, 1.234 kg at ¥12.80/kg
    const sale = await next('sale', weighed);
    expect(sale.lines[1]).toMatchObject({ sku: 'SKU-0067', amountMinor: 1580, measure: { grams: 1234, pricePerKgMinor: 1280 } });
    t.checkout.removeLine(sale.id, 2);
  });

  it('a cancelled sale gives back its approved bank-card payment on the terminal', async () => {
    const sale = cashier.current()!;
    const before = sim.snapshot().bankCharged_minor;
    const paid = await cashier.payByCard(sale.id, 100);
    expect(paid.outcome.status).toBe('approved');
    expect(sim.snapshot().bankCharged_minor).toBe(before + 100);
    const r = await cashier.cancel(sale.id);
    expect(r.voids).toEqual([{ tender: `${sale.id}#card1`, status: 'approved' }]);
    expect(r.sale.status).toBe('cancelled');
    expect(sim.snapshot().bankCharged_minor).toBe(before);
    expect(cashier.current()).toBeNull();
  });

  it('a sale is cancelled even when the bank terminal is unplugged, and the cashier is told to void by hand', async () => {
    const sale = t.checkout.openSale();
    cashier.setCurrent(sale.id);
    t.checkout.addItem(sale.id, COLA, 1);
    const paid = await cashier.payByCard(sale.id, 300);
    expect(paid.outcome.status).toBe('approved');
    sim.unplug('bank-pos');
    const r = await cashier.cancel(sale.id);
    sim.plugIn('bank-pos');
    expect(r.sale.status).toBe('cancelled');
    expect(r.voids[0]!.status).toMatch(/manual-void-needed|unknown/);
  });

  it("an operator's card on the reader is told to the UI to sign in or approve, and never attaches a member; a copy of it is refused", async () => {
    applyOperatorChange(t.db, { id: 'op-card', name: '值班主管', login: 'sh01.supervisor', pinHash: null, cardNo: 'A1B2C3D4', permissions: ['sale.void'], locked: false }, false);
    const from = events.length;
    sim.presentCard('A1B2C3D4', 77);
    expect(await next('operator-card', from)).toEqual({ cardNo: 'A1B2C3D4' });
    expect(events.slice(from).some((e) => e.type === 'member')).toBe(false);
    sim.removeCard();
    await new Promise((resolve) => setTimeout(resolve, 700)); // the reader sees the card gone (polls every 300 ms)
    const again = events.length;
    sim.presentClonedCard('A1B2C3D4');
    const err = await next('lane-error', again);
    expect(err.message).toContain('anti-clone');
    sim.removeCard();
  });

  it('a scanned coupon code is presented on the current sale', async () => {
    t.db.prepare('INSERT INTO coupons (code, promotion_id, member_id, valid_to, used_sale_id) VALUES (?, ?, NULL, NULL, NULL)').run('CPN12345', 'no-such-promotion');
    t.db.prepare('INSERT INTO coupons (code, promotion_id, member_id, valid_to, used_sale_id) VALUES (?, ?, ?, NULL, NULL)').run('WALLET01', 'no-such-promotion', 'm-0001');
    expect(cashier.memberPanel('8F3A21C4').coupons).toEqual([{ code: 'WALLET01', name: 'no-such-promotion', validTo: null }]);
    const sale = t.checkout.openSale();
    cashier.setCurrent(sale.id);
    t.checkout.addItem(sale.id, COLA, 1);
    const from = events.length;
    sim.scan('CPN12345');
    await expect.poll(() => events.slice(from).some((e) => e.type === 'sale' || e.type === 'lane-error'), { timeout: 10_000 }).toBe(true);
    const seen = events.slice(from).find((e) => e.type === 'sale' || e.type === 'lane-error')!;
    expect(seen.type).toBe('sale');
    // Presented on the sale; the engine says whether it applies (this one's promotion is unknown here).
    expect((seen.data as { coupons: Array<{ code: string }> }).coupons.map((c) => c.code)).toEqual(['CPN12345']);
    await cashier.cancel(sale.id);
  });

  it('a cash sale kicks the drawer and prints the receipt in the store language', async () => {
    const from = events.length;
    const kicks = sim.printer.ops.filter((o) => o.op === 'drawer-kick').length;
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA, 2);
    t.checkout.addCashTender(sale.id, 600, 1000);
    const r = await cashier.finish(sale.id);
    expect(r.drawerOpened).toBe(true);
    await next('receipt', from);
    expect(sim.printer.ops.filter((o) => o.op === 'drawer-kick').length).toBe(kicks + 1);
    const printed = sim.printer.receipts().at(-1)!;
    expect(printed.qrCodes).toEqual([sale.id]);
    expect(printed.lines.some((l) => /^找零 +￥4\.00$/.test(l))).toBe(true);
    expect(printed.lines).toContain('离线交易（联网后上传）');
  });
});
