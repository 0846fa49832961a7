import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiptPrinter } from '../../drivers/printer/receipt-printer';
import { SerialTransport } from '../../drivers/transports/serial';
import { EscPosPrinterSimulator } from '../../fixtures/simulators/escpos-printer';
import { PtyPair, SerialPeer } from '../../fixtures/simulators/pty';

const dir = mkdtempSync(join(tmpdir(), 'onecard-printer-'));
const pty = new PtyPair(dir, 'printer');
const sim = new EscPosPrinterSimulator();
let peer: SerialPeer;

beforeAll(async () => {
  await pty.start();
  peer = await SerialPeer.open(pty.devicePath, (c) => sim.receive(c));
  sim.attach(peer);
});

afterAll(async () => {
  await peer.close();
  await pty.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('receipt printer over a real serial port (socat pty)', () => {
  it('prints, runs out of paper mid-receipt, and reprints after the roll is changed', async () => {
    const printer = new ReceiptPrinter('printer', new SerialTransport({ path: pty.hostPath, baudRate: 115200 }), { statusPoll_ms: 50 });
    await printer.start();
    expect(await printer.print({ id: 'S-1', lines: [{ text: '串口打印 Serial print' }] })).toEqual({ status: 'printed', id: 'S-1' });
    sim.runOutAfter(20);
    expect(await printer.print({ id: 'S-2', lines: [{ text: '第二张 Second receipt' }, { text: '合计 ¥1.00' }] })).toMatchObject({ status: 'queued', reason: 'PAPER_EMPTY' });
    const done = printer.once('data', (d) => d.id === 'S-2');
    sim.loadPaper();
    expect(await done).toEqual({ id: 'S-2', reprint: true });
    const last = sim.receipts().at(-1)!.lines;
    expect(last.slice(last.indexOf('*** 重印 REPRINT ***'))).toEqual(['*** 重印 REPRINT ***', '第二张 Second receipt', '合计 ￥1.00']);
    await printer.close();
  });
});
