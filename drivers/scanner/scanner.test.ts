import { describe, expect, it } from 'vitest';
import { ScannerSimulator } from '../../fixtures/simulators/scanner';
import { encodeMemberQr } from '../../protocols/barcode/member-qr';
import { createInProcessLink } from '../transports/in-process';
import { type ScanData, Scanner, type ScannerProtocol } from './scanner';

async function setup(protocol: ScannerProtocol) {
  const { transport, peer } = createInProcessLink();
  const scanner = new Scanner('scanner', transport, protocol, [{ prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false }]);
  await scanner.start();
  return { scanner, sim: new ScannerSimulator(peer, protocol), peer };
}

describe.each(['hid-keyboard', 'hid-pos', 'serial-lines'] as const)('Scanner over %s', (protocol) => {
  it('turns a scanned EAN-13 into a GTIN', async () => {
    const { scanner, sim } = await setup(protocol);
    const data = scanner.once('data');
    sim.scan('6901234567892');
    expect(await data).toMatchObject({ text: '6901234567892', meaning: { kind: 'gtin', gtin: '06901234567892' } });
    await scanner.close();
  });
  it('recognises a scale label and a member QR code', async () => {
    const { scanner, sim } = await setup(protocol);
    const got: ScanData[] = [];
    const two = new Promise<void>((resolve) =>
      scanner.on('data', (d) => {
        got.push(d);
        if (got.length === 2) resolve();
      }),
    );
    sim.scan('2100001012502');
    sim.scan(encodeMemberQr('88001234', new Uint8Array([1, 2, 3]), 1_790_000_000), protocol === 'hid-pos' ? ']Q1' : undefined);
    await two;
    expect(got.map((d) => d.meaning.kind)).toEqual(['variable-measure', 'member-qr']);
    await scanner.close();
  });
});

describe('Scanner errors', () => {
  it('reports a malformed HID POS report as a PROTOCOL error and keeps working', async () => {
    const { scanner, sim, peer } = await setup('hid-pos');
    const err = scanner.once('error');
    peer.send(new Uint8Array(10));
    expect(await err).toMatchObject({ code: 'PROTOCOL' });
    const data = scanner.once('data');
    sim.scan('6901234567892');
    expect((await data).text).toBe('6901234567892');
    await scanner.close();
  });
});
