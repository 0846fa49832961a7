import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scanner } from '../../drivers/scanner/scanner';
import { SerialTransport } from '../../drivers/transports/serial';
import { PtyPair, SerialPeer } from '../../fixtures/simulators/pty';
import { ScannerSimulator } from '../../fixtures/simulators/scanner';
import { GS } from '../../protocols/barcode/gs1';

const dir = mkdtempSync(join(tmpdir(), 'onecard-scanner-'));
const pty = new PtyPair(dir, 'scanner');
let peer: SerialPeer;

beforeAll(async () => {
  await pty.start();
  peer = await SerialPeer.open(pty.devicePath, () => undefined);
});

afterAll(async () => {
  await peer.close();
  await pty.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('serial scanner over a real serial port (socat pty)', () => {
  it('reads CR/LF-terminated codes, including a GS1-128 with FNC1 as GS', async () => {
    const scanner = new Scanner('scanner', new SerialTransport({ path: pty.hostPath, baudRate: 9600 }), 'serial-lines');
    await scanner.start();
    const sim = new ScannerSimulator(peer, 'serial-lines');
    const got: string[] = [];
    const two = new Promise<void>((resolve) =>
      scanner.on('data', (d) => {
        got.push(d.meaning.kind);
        if (got.length === 2) resolve();
      }),
    );
    sim.scan('6901234567892');
    sim.scan(`0106901234567892${'10'}LOT42${GS}17271231`, ']C1');
    await two;
    expect(got).toEqual(['gtin', 'gs1']);
    await scanner.close();
  });
});
