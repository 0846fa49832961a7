import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardPresented } from '../../drivers/card-reader/card';
import { createDeviceFactory } from '../../drivers/factory';
import { DeviceManager } from '../../drivers/manager';
import { InMemoryPaymentJournal } from '../../drivers/payment/journal';
import { JournaledPayments } from '../../drivers/payment/journaled-payments';
import type { PipeEcrTerminal } from '../../drivers/payment/pipe-ecr-terminal';
import type { CashDrawer } from '../../drivers/printer/cash-drawer';
import type { ReceiptPrinter } from '../../drivers/printer/receipt-printer';
import type { ScanData } from '../../drivers/scanner/scanner';
import { VirtualDevices } from '../../fixtures/simulators/virtual-devices';

const chainKey = new TextEncoder().encode('demo-chain-key');
const lane = new VirtualDevices(chainKey, { paymentResponse_ms: 1000 });
const manager = new DeviceManager(lane.config, createDeviceFactory({ simulators: lane.transports, chainKey, reopen: { firstDelay_ms: 10, maxDelay_ms: 50 } }), {
  reopen: { firstDelay_ms: 10, maxDelay_ms: 50 },
});

beforeAll(async () => {
  await manager.startAll();
});
afterAll(async () => {
  await manager.stopAll();
});

describe('a store lane on simulated devices (what npm start runs)', () => {
  it('starts every configured device healthy', () => {
    expect(manager.health().map((h) => [h.name, h.health, h.state])).toEqual([
      ['scanner', 'ok', 'enabled'],
      ['card-reader', 'ok', 'enabled'],
      ['id-reader', 'ok', 'enabled'],
      ['printer', 'ok', 'enabled'],
      ['drawer', 'ok', 'enabled'],
      ['bank-pos', 'ok', 'enabled'],
    ]);
  });

  it('a scan, an issued member card and a cloned one arrive as data events', async () => {
    const scan = manager.once('data', (e) => e.device === 'scanner');
    lane.scan('2100001012502');
    expect(((await scan).data as ScanData).meaning).toMatchObject({ kind: 'variable-measure', item: { amount: 1250 } });

    const card = manager.once('data', (e) => e.device === 'card-reader');
    lane.presentCard('04A1B2C3', 5001);
    expect((await card).data as CardPresented).toMatchObject({ uid: '04A1B2C3', identity: { ok: true, serial: 5001 } });
    const removed = manager.once('status', (e) => e.device === 'card-reader' && e.status.code === 'card-removed');
    lane.removeCard();
    await removed;
    const clone = manager.once('data', (e) => e.device === 'card-reader');
    lane.presentClonedCard('04A1B2C3');
    expect(((await clone).data as CardPresented).identity).toEqual({ ok: false, code: 'CARD_NOT_ISSUED' });
    lane.removeCard();
  });

  it('a cash sale: card payment, receipt through an empty roll, drawer kick', async () => {
    const payments = new JournaledPayments(manager.get<PipeEcrTerminal>('bank-pos')!, new InMemoryPaymentJournal());
    lane.nextPayment('lose-answer');
    expect(await payments.sale('LANE-1', 3650)).toMatchObject({ status: 'approved' });
    expect(lane.snapshot().bankCharged_minor).toBe(3650);

    const printer = manager.get<ReceiptPrinter>('printer')!;
    lane.paperOut();
    const out = await printer.print({ id: 'LANE-1', lines: [{ text: '谢谢惠顾 Thank you' }, { text: '合计 ¥36.50' }] });
    expect(out).toMatchObject({ status: 'queued', reason: 'PAPER_EMPTY' });
    expect(manager.health().find((h) => h.name === 'printer')).toMatchObject({ health: 'warning' });
    const printed = printer.once('data');
    lane.loadPaper();
    await printed;
    expect(lane.snapshot().printer.lastReceipt).toContain('合计 ￥36.50');

    await manager.get<CashDrawer>('drawer')!.openDrawer();
    expect(lane.printer.ops.some((o) => o.op === 'drawer-kick')).toBe(true);
  });

  it('an unplugged device shows offline and comes back', async () => {
    const offline = manager.once('health', (h) => h.name === 'scanner' && h.health === 'offline');
    lane.unplug('scanner');
    await offline;
    expect(lane.snapshot().unplugged).toEqual(['scanner']);
    const back = manager.once('health', (h) => h.name === 'scanner' && h.health === 'ok');
    lane.plugIn('scanner');
    await back;
    const scan = manager.once('data', (e) => e.device === 'scanner');
    lane.scan('6901234567892');
    expect(((await scan).data as ScanData).text).toBe('6901234567892');
  });
});
