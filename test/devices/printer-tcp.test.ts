import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiptPrinter } from '../../drivers/printer/receipt-printer';
import { TcpTransport } from '../../drivers/transports/tcp';
import { TcpPrinterSimulator } from '../../fixtures/simulators/escpos-printer';

const sim = new TcpPrinterSimulator();
let printer: ReceiptPrinter;

beforeAll(async () => {
  const port = await sim.start();
  printer = new ReceiptPrinter('printer', new TcpTransport({ host: '127.0.0.1', port }), {
    statusPoll_ms: 50,
    completionTimeout_ms: 2000,
    reopen: { firstDelay_ms: 20, maxDelay_ms: 100 },
  });
  await printer.start();
});

afterAll(async () => {
  await printer.close();
  await sim.stop();
});

describe('receipt printer over TCP 9100 (simulator on 127.0.0.1)', () => {
  it('prints a bilingual receipt that decodes back line by line', async () => {
    const out = await printer.print({
      id: 'T-1',
      lines: [
        { text: '会员消费凭证 Member Receipt', align: 'center', size: 2 },
        { text: '储值余额 Balance  ¥88.00' },
      ],
      qr: 'OC1-88001234',
    });
    expect(out.status).toBe('printed');
    const r = sim.printer.receipts().at(-1)!;
    expect(r.lines.slice(0, 2)).toEqual(['会员消费凭证 Member Receipt', '储值余额 Balance  ￥88.00']);
    expect(r.qrCodes).toEqual(['OC1-88001234']);
  });

  it('runs out of paper during a receipt and prints it in full after the roll is changed', async () => {
    sim.printer.runOutAfter(30);
    const out = await printer.print({ id: 'T-2', lines: [{ text: '第二张 Second receipt with a long line of text' }] });
    expect(out).toMatchObject({ status: 'queued', reason: 'PAPER_EMPTY' });
    const done = printer.once('data', (d) => d.id === 'T-2');
    sim.printer.loadPaper();
    expect(await done).toEqual({ id: 'T-2', reprint: true });
    expect(sim.printer.receipts().at(-1)!.lines).toContain('第二张 Second receipt with a long line of text');
  });

  it('reconnects after the network connection drops and prints again', async () => {
    const offline = printer.once('status', (s) => s.code === 'offline');
    const online = printer.once('status', (s) => s.code === 'online');
    sim.dropConnection();
    await offline;
    await online;
    expect(await printer.print({ id: 'T-3', lines: [{ text: 'after reconnect' }] })).toEqual({ status: 'printed', id: 'T-3' });
  });

  it('a receipt printed while the connection is down is queued and comes out after the reconnect', async () => {
    const offline = printer.once('status', (s) => s.code === 'offline');
    sim.dropConnection();
    await offline;
    const out = await printer.print({ id: 'T-4', lines: [{ text: '断线时的小票 queued while offline' }] });
    expect(out).toMatchObject({ status: 'queued', reason: 'OFFLINE' });
    await printer.once('data', (d) => d.id === 'T-4');
    expect(sim.printer.receipts().at(-1)!.lines).toContain('断线时的小票 queued while offline');
  });
});
