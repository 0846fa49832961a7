import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EscPosPrinterSimulator } from '../../fixtures/simulators/escpos-printer';
import { createInProcessLink } from '../transports/in-process';
import { CashDrawer } from './cash-drawer';
import { FilePrintQueue } from './print-queue';
import type { Receipt } from './receipt';
import { ReceiptPrinter, type ReceiptPrinterOptions } from './receipt-printer';

function receipt(id: string, extra: Partial<Receipt> = {}): Receipt {
  return {
    id,
    lines: [
      { text: '一卡通会员店 OneCard Store', align: 'center', bold: true },
      { text: `单号 No. ${id}` },
      { text: '苹果 Apple x2        ¥12.50' },
      { text: '合计 Total           ¥12.50', bold: true },
    ],
    ...extra,
  };
}

async function setup(options: ReceiptPrinterOptions = {}) {
  const { transport, peer } = createInProcessLink('sim printer');
  const sim = new EscPosPrinterSimulator();
  sim.attach(peer);
  peer.onHostWrite((c) => sim.receive(c));
  const printer = new ReceiptPrinter('printer', transport, { statusPoll_ms: 20, completionTimeout_ms: 500, ...options });
  await printer.start();
  return { printer, sim, peer };
}

describe('receipt printer (in-process simulator)', () => {
  it('prints a Chinese and English receipt that decodes back line by line, with ￥ and a QR code', async () => {
    const { printer, sim } = await setup();
    const logo = { widthPx: 16, heightPx: 2, bits: [0xff, 0x00, 0x0f, 0xf0] };
    const out = await printer.print(receipt('S-1001', { qr: 'https://onecard.example/会员/S-1001', logo }));
    expect(out).toEqual({ status: 'printed', id: 'S-1001' });
    const [r] = sim.receipts();
    expect(r!.lines).toEqual(['一卡通会员店 OneCard Store', '单号 No. S-1001', '苹果 Apple x2        ￥12.50', '合计 Total           ￥12.50', '']);
    expect(r!.qrCodes).toEqual(['https://onecard.example/会员/S-1001']);
    expect(r!.cuts).toBe(1);
    expect(r!.images).toEqual([{ widthPx: 16, heightPx: 2 }]);
    expect(sim.errors).toEqual([]);
    await printer.close();
  });

  it('queues a receipt while out of paper, tells the cashier, and prints it when paper is loaded', async () => {
    const { printer, sim } = await setup();
    sim.paperOut();
    const told = printer.once('error');
    const out = await printer.print(receipt('S-2001'));
    expect(out).toMatchObject({ status: 'queued', reason: 'PAPER_EMPTY', message: expect.stringContaining('out of paper') });
    expect(printer.health).toMatchObject({ health: 'warning' });
    expect(printer.waiting.map((w) => w.receipt.id)).toEqual(['S-2001']);
    void told;
    const printed = printer.once('data');
    sim.loadPaper();
    expect(await printed).toEqual({ id: 'S-2001', reprint: false });
    expect(printer.waiting).toEqual([]);
    expect(sim.receipts().map((r) => r.lines[1])).toEqual(['单号 No. S-2001']);
    await printer.close();
  });

  it('paper running out in the middle of a receipt reprints it in full, marked as a reprint', async () => {
    const { printer, sim } = await setup();
    sim.runOutAfter(40);
    const err = printer.once('error');
    const out = await printer.print(receipt('S-3001'));
    expect(out).toMatchObject({ status: 'queued', reason: 'PAPER_EMPTY' });
    expect((await err).code).toBe('PAPER_EMPTY');
    expect(printer.waiting[0]).toMatchObject({ reprint: true });
    const printed = printer.once('data');
    sim.loadPaper();
    expect(await printed).toEqual({ id: 'S-3001', reprint: true });
    const receipts = sim.receipts();
    const last = receipts.at(-1)!;
    // What printed before the paper ended stays on the torn-off part; the reprint follows whole.
    const start = last.lines.indexOf('*** 重印 REPRINT ***');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(last.lines.slice(start, start + 5)).toEqual(['*** 重印 REPRINT ***', '一卡通会员店 OneCard Store', '单号 No. S-3001', '苹果 Apple x2        ￥12.50', '合计 Total           ￥12.50']);
    await printer.close();
  });

  it('keeps receipts in order: one queued while the cover is open prints before a later one', async () => {
    const { printer, sim } = await setup();
    sim.openCover();
    expect(await printer.print(receipt('A'))).toMatchObject({ status: 'queued', reason: 'COVER_OPEN' });
    sim.closeCover();
    await printer.once('data', (d) => d.id === 'A');
    expect(await printer.print(receipt('B'))).toEqual({ status: 'printed', id: 'B' });
    expect(sim.receipts().map((r) => r.lines[1])).toEqual(['单号 No. A', '单号 No. B']);
    await printer.close();
  });

  it('reports paper near end as a warning and still prints', async () => {
    const { printer, sim } = await setup();
    const near = printer.once('status', (s) => s.code === 'paper-near-end');
    sim.nearEnd();
    await near;
    expect(printer.health).toMatchObject({ health: 'warning', detail: expect.stringContaining('nearly used up') });
    expect(await printer.print(receipt('N-1'))).toEqual({ status: 'printed', id: 'N-1' });
    expect(await printer.thermalInterface.isPrinterConnected()).toBe(true);
    await printer.close();
  });

  it('kicks the cash drawer through the printer with the configured pulse', async () => {
    const { printer, sim } = await setup();
    const drawer = new CashDrawer('drawer', printer, { pin: 5, on_ms: 120, off_ms: 240 });
    await drawer.start();
    await drawer.openDrawer();
    expect(await drawer.isOpen()).toBe(true);
    expect(sim.ops.filter((o) => o.op === 'drawer-kick')).toEqual([{ op: 'drawer-kick', pin: 5, on_ms: 120, off_ms: 240 }]);
    await drawer.close();
    await printer.close();
  });

  it('a printer out of paper at start shows the warning from the start', async () => {
    const { transport, peer } = createInProcessLink('sim printer');
    const sim = new EscPosPrinterSimulator();
    sim.attach(peer);
    peer.onHostWrite((c) => sim.receive(c));
    sim.paperOut();
    const printer = new ReceiptPrinter('printer', transport);
    await printer.start();
    expect(printer.health).toMatchObject({ health: 'warning', detail: expect.stringContaining('out of paper') });
    await printer.close();
  });

  it('a printer that ignores status requests is a warning and still prints', async () => {
    const { transport, peer } = createInProcessLink('sim printer');
    const sim = new EscPosPrinterSimulator();
    sim.answersStatus = false;
    sim.attach(peer);
    peer.onHostWrite((c) => sim.receive(c));
    const printer = new ReceiptPrinter('printer', transport, { statusTimeout_ms: 100 });
    await printer.start();
    expect(printer.health).toMatchObject({ health: 'warning', detail: expect.stringContaining('does not answer status requests') });
    expect(await printer.print(receipt('NS-1'))).toEqual({ status: 'printed', id: 'NS-1' });
    expect(sim.receipts().at(-1)!.lines[1]).toBe('单号 No. NS-1');
    await printer.close();
  });

  it('keeps a receipt given before the printer started and prints it once it is enabled', async () => {
    const { transport, peer } = createInProcessLink('sim printer');
    const sim = new EscPosPrinterSimulator();
    sim.attach(peer);
    peer.onHostWrite((c) => sim.receive(c));
    const printer = new ReceiptPrinter('printer', transport);
    expect(await printer.print(receipt('EARLY'))).toMatchObject({ status: 'queued', reason: 'OFFLINE' });
    const printed = printer.once('data');
    await printer.start();
    expect(await printed).toEqual({ id: 'EARLY', reprint: false });
    await printer.close();
  });

  it('a queued receipt survives a restart of the terminal (file queue)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onecard-queue-'));
    const file = join(dir, 'queue.json');
    const first = await setup({ queue: new FilePrintQueue(file) });
    first.sim.paperOut();
    expect(await first.printer.print(receipt('KEEP-1'))).toMatchObject({ status: 'queued' });
    await first.printer.close();
    const queue = new FilePrintQueue(file);
    expect(queue.list().map((w) => w.receipt.id)).toEqual(['KEEP-1']);
    const { transport, peer } = createInProcessLink('sim printer');
    const sim = new EscPosPrinterSimulator();
    sim.attach(peer);
    peer.onHostWrite((c) => sim.receive(c));
    const second = { printer: new ReceiptPrinter('printer', transport, { queue }) };
    const printed = second.printer.once('data', (d) => d.id === 'KEEP-1');
    await second.printer.start();
    await printed;
    expect(new FilePrintQueue(file).list()).toEqual([]);
    expect(sim.receipts()).toHaveLength(1);
    await second.printer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cash drawer whose printer is not running cannot start and says which printer', async () => {
    const { transport } = createInProcessLink();
    const printer = new ReceiptPrinter('front-printer', transport);
    const drawer = new CashDrawer('drawer', printer, { pin: 2, on_ms: 100, off_ms: 200 });
    await expect(drawer.start()).rejects.toThrow(/front-printer/);
  });
});
