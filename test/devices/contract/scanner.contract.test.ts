import { describe, expect, it } from 'vitest';
import { Scanner } from '../../../drivers/scanner/scanner';
import { createInProcessLink } from '../../../drivers/transports/in-process';
import { ScannerSimulator } from '../../../fixtures/simulators/scanner';
import { REAL_TIMEOUT_MS, ask, realDeviceName, startRealDevice } from './real-device';

interface ScannerUnderTest {
  scanner: Scanner;
  /** Makes the code get scanned: the simulator does it, a technician does it on a real one. */
  scan(code: string): void;
  close(): Promise<void>;
}

const TEST_EAN13 = '6901234567892';

const targets: [string, () => Promise<ScannerUnderTest>][] = (['hid-keyboard', 'hid-pos', 'serial-lines'] as const).map((p) => [
  `simulated ${p} scanner`,
  async () => {
    const { transport, peer } = createInProcessLink(`sim ${p}`);
    const scanner = new Scanner('scanner', transport, p);
    await scanner.start();
    const sim = new ScannerSimulator(peer, p);
    return { scanner, scan: (c) => sim.scan(c), close: () => scanner.close() };
  },
]);
const real = realDeviceName('ONECARD_TEST_SCANNER');
if (real) {
  targets.push([
    `real scanner "${real}"`,
    async () => {
      const { device, manager } = await startRealDevice<Scanner>(real);
      return { scanner: device, scan: (c) => ask(`Scan the EAN-13 barcode ${c} with "${real}" now`), close: () => manager.stopAll() };
    },
  ]);
}

describe.each(targets)('scanner contract: %s', (_label, setup) => {
  it('is enabled and healthy after start, and closed after close', { timeout: REAL_TIMEOUT_MS }, async () => {
    const t = await setup();
    expect(t.scanner.state).toBe('enabled');
    expect(t.scanner.health.health).toBe('ok');
    await t.close();
    expect(t.scanner.state).toBe('closed');
  });

  it('delivers a scanned EAN-13 as a GTIN with a valid check digit', { timeout: REAL_TIMEOUT_MS }, async () => {
    const t = await setup();
    const data = t.scanner.once('data');
    t.scan(TEST_EAN13);
    expect(await data).toMatchObject({ text: TEST_EAN13, meaning: { kind: 'gtin', gtin: `0${TEST_EAN13}` } });
    await t.close();
  });
});
