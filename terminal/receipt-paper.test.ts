import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceFactory, parseDevicesConfig, type DevicesConfig } from '../drivers';
import type { PrintedReceipt } from '../protocols/escpos/decode';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { StoreLane } from './devices';
import { EventsStream } from './events-stream';
import { CashierLane } from './lane-api';
import { SlipPrinter } from './slips-api';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { markAcked } from './outbox';
import type { TillStaff } from './staff-api';
import { openTestTerminal, type TestTerminal } from './testing';
import { jsonCaller } from './testing-http';
import { bytesWide, offPaper } from './testing-printer';
import { pinOf, seedTillOperators, testStaff, TILL_CASHIER } from './testing-staff';

const MILK = '6907028100122'; // 纯牛奶 250ml×12 ¥59.90
const LATTE = '6906430001232'; // 瓶装拿铁咖啡 268ml ¥8.00
const PEACH = '6954767001128'; // 白桃味气泡水 480ml ¥5.50
const GOLD_CARD = '5B7E0D92';
const chainKey = new TextEncoder().encode('receipt-paper-test-key');
const store = { terminalId: 't-test-1', storeName: '测试店', chainName: 'OneCard', currency: 'CNY', timeZone: 'Asia/Shanghai' };

/** The simulated lane's devices.json, its printer set to `widthChars` columns (as a 58 mm printer is configured). */
function withPrinterWidth(config: DevicesConfig, widthChars: number): DevicesConfig {
  return parseDevicesConfig({ ...config, devices: config.devices.map((d) => (d.class === 'receipt-printer' ? { ...d, widthChars } : d)) });
}

interface Lane {
  t: TestTerminal;
  sim: VirtualDevices;
  lane: StoreLane;
  cashier: CashierLane;
  slips: SlipPrinter;
  staff: TillStaff;
}

async function openLane(widthChars?: number): Promise<Lane> {
  const t = openTestTerminal(demoChain);
  await seedTillOperators(t.db);
  const staff = testStaff(t);
  const sim = new VirtualDevices(chainKey, { paymentResponse_ms: 1000 });
  const config = widthChars === undefined ? sim.config : withPrinterWidth(sim.config, widthChars);
  const lane = new StoreLane({ config, factory: createDeviceFactory({ simulators: sim.transports, chainKey }), panel: sim }, t.db);
  const cashier = new CashierLane({
    checkout: t.checkout,
    db: t.db,
    lane,
    events: new EventsStream('x'.repeat(64)),
    store,
    language: 'zh-CN',
    link: () => ({ hq: 'offline', lastContactAt: null }),
    log: () => {},
    staff,
  });
  const slips = new SlipPrinter({ db: t.db, lane, store, language: 'zh-CN', clock: () => t.clock.now() });
  cashier.start();
  await lane.start();
  return { t, sim, lane, cashier, slips, staff };
}

async function closeLane(l: Lane): Promise<void> {
  l.cashier.stop();
  await l.lane.stop();
  l.t.db.close();
}

/** A member's sale of three lines (one of three units), part stored value, the rest cash with change. */
async function memberSale(l: Lane): Promise<string> {
  const { checkout } = l.t;
  const sale = checkout.openSale();
  checkout.addItem(sale.id, MILK);
  checkout.addItem(sale.id, LATTE, 3);
  checkout.addItem(sale.id, PEACH);
  checkout.attachMember(sale.id, GOLD_CARD);
  await checkout.addStoredValueTender(sale.id, 2000);
  checkout.addCashTender(sale.id, checkout.getSale(sale.id).dueMinor, 10000);
  await l.cashier.finish(sale.id);
  return sale.id;
}

/** The first receipt printed from `from` on that `match` finds. */
async function printedFrom(l: Lane, from: number, match: (r: PrintedReceipt) => boolean): Promise<PrintedReceipt> {
  await expect.poll(() => l.sim.printer.receipts().slice(from).some(match), { timeout: 10_000 }).toBe(true);
  return l.sim.printer.receipts().slice(from).find(match)!;
}

const amounts = (lines: readonly string[]) => lines.filter((line) => /￥\d+\.\d\d$/.test(line));

describe('receipts at the lane printer’s paper width', () => {
  describe('a 58 mm printer (widthChars 32 in devices.json)', () => {
    let l: Lane;
    let saleId: string;
    let receipt: PrintedReceipt;

    beforeAll(async () => {
      l = await openLane(32);
    });
    afterAll(() => closeLane(l));

    it('the lane knows its paper from the printer’s configuration', () => {
      expect(l.lane.receiptWidth).toBe(32);
    });

    it('the sale receipt, decoded from the printer’s bytes, fits 32 columns with each amount in the last one', async () => {
      const from = l.sim.printer.receipts().length;
      saleId = await memberSale(l);
      receipt = await printedFrom(l, from, (r) => r.qrCodes.includes(saleId));
      expect(offPaper(receipt.lines, 32)).toEqual([]);
      expect(receipt.lines.some((line) => /^纯牛奶 250ml×12 +￥59\.90$/.test(line))).toBe(true);
      expect(receipt.lines.some((line) => /^ +3 x ￥8\.00 +￥24\.00$/.test(line))).toBe(true);
      expect(receipt.lines.some((line) => /^找零 +￥\d+\.\d\d$/.test(line))).toBe(true);
      // Every item, the total, both tenders and the change: all end in column 32.
      expect(amounts(receipt.lines).length).toBeGreaterThanOrEqual(7);
      expect(new Set(amounts(receipt.lines).map(bytesWide))).toEqual(new Set([32]));
      expect(receipt.lines.filter((line) => /^-+$/.test(line)).map(bytesWide)).toContain(32);
    });

    it('a reprinted copy of the sale is laid out the same, under its COPY mark', async () => {
      const from = l.sim.printer.receipts().length;
      expect(await l.cashier.reprint(saleId)).toEqual({ status: 'printed' });
      const copy = await printedFrom(l, from, (r) => r.qrCodes.includes(saleId));
      expect(copy.lines[0]).toBe('*** 补打 COPY ***');
      // HQ has not acknowledged the sale yet, so the copy still says it awaits upload.
      expect(copy.lines.slice(1)).toEqual(receipt.lines);
      expect(copy.lines).toContain('离线交易（联网后上传）');
      expect(offPaper(copy.lines, 32)).toEqual([]);
      // Once HQ has it, a copy no longer says so.
      markAcked(l.t.db, l.t.checkout.getSale(saleId).eventSeq!, Date.now());
      const fromAcked = l.sim.printer.receipts().length;
      expect(await l.cashier.reprint(saleId)).toEqual({ status: 'printed' });
      const acked = await printedFrom(l, fromAcked, (r) => r.qrCodes.includes(saleId));
      expect(acked.lines.slice(1)).toEqual(receipt.lines.filter((line) => line !== '离线交易（联网后上传）'));
    });

    it('the refund slip fits 32 columns, its amounts in the last one and the signature line to the edge', async () => {
      const { refund } = l.t.services.refunds.refund({ saleId, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
      const from = l.sim.printer.receipts().length;
      expect(await l.slips.print(l.slips.refundSlip(refund.id))).toEqual({ status: 'printed' });
      const slip = await printedFrom(l, from, (r) => r.lines.includes('退货单'));
      expect(offPaper(slip.lines, 32)).toEqual([]);
      expect(slip.lines.some((line) => /^退回现金 +￥\d+\.\d\d$/.test(line))).toBe(true);
      expect(amounts(slip.lines).length).toBeGreaterThanOrEqual(3);
      expect(new Set(amounts(slip.lines).map(bytesWide))).toEqual(new Set([32]));
      expect(slip.lines.filter((line) => line.includes('____')).map(bytesWide)).toEqual([32]);
    });

    it('a slip cut short by the end of the roll comes out again whole at 32 columns, marked as a reprint', async () => {
      const { refund } = l.t.services.refunds.refund({ saleId, lines: [{ lineNo: 2, quantity: 1 }], withReceipt: true });
      const from = l.sim.printer.receipts().length;
      l.sim.printer.runOutAfter(120);
      expect(await l.slips.print(l.slips.refundSlip(refund.id))).toMatchObject({ status: 'queued' });
      l.sim.loadPaper();
      const again = await printedFrom(l, from, (r) => r.lines.includes('*** 重印 REPRINT ***') && r.cuts > 0);
      const whole = again.lines.slice(again.lines.indexOf('*** 重印 REPRINT ***'));
      expect(whole).toContain('退货单');
      expect(offPaper(whole, 32)).toEqual([]);
      expect(new Set(amounts(whole).map(bytesWide))).toEqual(new Set([32]));
    });

    it('the top-up slip and the Z report, printed through the lane’s routes, fit 32 columns too', async () => {
      const token = 't'.repeat(64);
      const { t, staff, cashier } = l;
      const api = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token, link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {}, cashierApp: cashier, staff });
      const { server, url } = await listenLocalApi(api, '127.0.0.1', 0);
      try {
        const call = jsonCaller(() => url, () => token);
        expect((await call('POST', '/api/session', pinOf(TILL_CASHIER))).status).toBe(201);
        expect((await call('POST', '/api/shift/open', { floatMinor: 20_000 })).status).toBe(201);
        let from = l.sim.printer.receipts().length;
        const topUp = await call('POST', '/api/lane/top-ups', { cardNo: GOLD_CARD, principalMinor: 50_000, tender: 'cash' });
        expect(topUp.status).toBe(201);
        const slip = await printedFrom(l, from, (r) => r.qrCodes.includes(topUp.json.id));
        expect(offPaper(slip.lines, 32)).toEqual([]);
        expect(slip.lines.some((line) => /^充值金额 +￥500\.00$/.test(line))).toBe(true);
        expect(new Set(amounts(slip.lines).map(bytesWide))).toEqual(new Set([32]));

        const closed = await call('POST', '/api/shift/close', { countedCashMinor: 70_000 });
        expect(closed.status).toBe(200);
        from = l.sim.printer.receipts().length;
        expect((await call('POST', `/api/lane/shifts/${closed.json.shiftId}/print-z`)).json).toEqual({ status: 'printed' });
        const z = await printedFrom(l, from, (r) => r.lines.includes('Z 报表（交班）'));
        expect(offPaper(z.lines, 32)).toEqual([]);
        expect(amounts(z.lines).length).toBeGreaterThanOrEqual(3);
        expect(new Set(amounts(z.lines).map(bytesWide))).toEqual(new Set([32]));
      } finally {
        await closeServer(server);
      }
    });
  });

  describe('without a width in devices.json', () => {
    let l: Lane;
    beforeAll(async () => {
      l = await openLane();
    });
    afterAll(() => closeLane(l));

    it('the sale receipt stays 48 columns wide (80 mm), each amount in column 48', async () => {
      expect(l.lane.receiptWidth).toBe(48);
      const from = l.sim.printer.receipts().length;
      const saleId = await memberSale(l);
      const receipt = await printedFrom(l, from, (r) => r.qrCodes.includes(saleId));
      expect(offPaper(receipt.lines, 48)).toEqual([]);
      expect(receipt.lines).toContain(`纯牛奶 250ml×12${' '.repeat(48 - 16 - 7)}￥59.90`);
      expect(new Set(amounts(receipt.lines).map(bytesWide))).toEqual(new Set([48]));
    });

    it('a lane with no receipt printer configured lays out for 48 columns', () => {
      const bare = new StoreLane({ config: parseDevicesConfig({ version: 1, devices: [] }), factory: createDeviceFactory() }, l.t.db);
      expect(bare.receiptWidth).toBe(48);
    });
  });
});
