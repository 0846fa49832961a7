import { describe, expect, it } from 'vitest';
import { ReceiptPrinter } from '../../drivers/printer/receipt-printer';
import { Scanner } from '../../drivers/scanner/scanner';
import { HidTransport } from '../../drivers/transports/hid';
import { UsbTransport } from '../../drivers/transports/usb';
import { EscPosPrinterSimulator } from '../../fixtures/simulators/escpos-printer';
import { FakeHidBus, FakeUsbBus } from '../../fixtures/simulators/native-fakes';
import { ScannerSimulator } from '../../fixtures/simulators/scanner';

const reopen = { firstDelay_ms: 10, maxDelay_ms: 50 };

describe('HID transport (node-hid API, fed with real report bytes)', () => {
  it('a HID POS scanner scans, is unplugged, comes back and scans again', async () => {
    const bus = new FakeHidBus();
    const scanner = new Scanner('scanner', new HidTransport({ vendorId: 0x0c2e, productId: 0x0b61 }, () => Promise.resolve(bus.module)), 'hid-pos', [], { reopen });
    await scanner.start();
    const sim = new ScannerSimulator(bus.side, 'hid-pos');
    const first = scanner.once('data');
    sim.scan('6901234567892');
    expect(await first).toMatchObject({ aim: ']E0', meaning: { kind: 'gtin' } });

    const offline = scanner.once('status', (s) => s.code === 'offline');
    bus.unplug();
    await offline;
    expect(scanner.health.health).toBe('offline');
    const online = scanner.once('status', (s) => s.code === 'online');
    bus.plugIn();
    await online;
    const second = scanner.once('data');
    sim.scan('OC1-88001234-12345678', ']Q1');
    expect((await second).meaning.kind).toBe('member-qr');
    await scanner.close();
  });
});

describe('USB transport (usb WebUSB API, bulk endpoints)', () => {
  it('a USB receipt printer prints, is detached, queues the next receipt and prints it when attached again', async () => {
    const sim = new EscPosPrinterSimulator();
    const bus = new FakeUsbBus(0x04b8, 0x0202, (out) => sim.receive(out));
    sim.attach(bus.side);
    const printer = new ReceiptPrinter('printer', new UsbTransport({ vendorId: 0x04b8, productId: 0x0202, endpointOut: 1, endpointIn: 2 }, () => Promise.resolve(bus.module)), {
      reopen,
      statusPoll_ms: 20,
    });
    await printer.start();
    expect(await printer.print({ id: 'U-1', lines: [{ text: 'USB 打印 print' }] })).toEqual({ status: 'printed', id: 'U-1' });
    expect(sim.receipts().at(-1)!.lines[0]).toBe('USB 打印 print');

    const offline = printer.once('status', (s) => s.code === 'offline');
    bus.unplug();
    await offline;
    expect(await printer.print({ id: 'U-2', lines: [{ text: '拔线时 while detached' }] })).toMatchObject({ status: 'queued', reason: 'OFFLINE' });
    const printed = printer.once('data', (d) => d.id === 'U-2');
    bus.plugIn();
    await printed;
    expect(sim.receipts().at(-1)!.lines[0]).toBe('拔线时 while detached');
    await printer.close();
  });
});
