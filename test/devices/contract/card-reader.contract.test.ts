import { describe, expect, it } from 'vitest';
import type { CardPresented } from '../../../drivers/card-reader/card';
import { IdWedgeReader } from '../../../drivers/card-reader/id-wedge-reader';
import { Pn532Reader } from '../../../drivers/card-reader/pn532-reader';
import type { Device } from '../../../drivers/device';
import { createInProcessLink } from '../../../drivers/transports/in-process';
import { IdWedgeSimulator } from '../../../fixtures/simulators/id-wedge';
import { Pn532Simulator, blankClassic1k } from '../../../fixtures/simulators/pn532';
import { REAL_TIMEOUT_MS, ask, realDeviceName, startRealDevice } from './real-device';

interface ReaderUnderTest {
  reader: Device<CardPresented>;
  /** Whether taking the card away is reported (the PN532 polls; a wedge reader cannot know). */
  reportsRemoval: boolean;
  present(): void;
  remove(): void;
  close(): Promise<void>;
}

const targets: [string, () => Promise<ReaderUnderTest>][] = [
  [
    'simulated PN532 MIFARE reader',
    async () => {
      const { transport, peer } = createInProcessLink('sim pn532');
      const sim = new Pn532Simulator(peer);
      peer.onHostWrite((c) => sim.receive(c));
      const reader = new Pn532Reader('reader', transport, { poll_ms: 10 });
      await reader.start();
      return {
        reader,
        reportsRemoval: true,
        present: () => sim.present(blankClassic1k(Uint8Array.of(0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66))),
        remove: () => sim.remove(),
        close: () => reader.close(),
      };
    },
  ],
  [
    'simulated 125 kHz wedge reader',
    async () => {
      const { transport, peer } = createInProcessLink('sim id reader');
      const reader = new IdWedgeReader('id-reader', transport, 'hex10');
      await reader.start();
      const sim = new IdWedgeSimulator(peer, 'hex10');
      return { reader, reportsRemoval: false, present: () => sim.swipe(0x00bc614e, 0x1a), remove: () => undefined, close: () => reader.close() };
    },
  ],
];
const real = realDeviceName('ONECARD_TEST_CARD_READER');
if (real) {
  targets.push([
    `real card reader "${real}"`,
    async () => {
      const { device, manager, entry } = await startRealDevice<Device<CardPresented>>(real);
      const pn532 = entry.class === 'member-card-reader' && entry.protocol === 'pn532';
      return {
        reader: device,
        reportsRemoval: pn532,
        present: () => ask(`Put a member card on "${real}" now`),
        remove: () => ask(`Take the card away from "${real}" now`),
        close: () => manager.stopAll(),
      };
    },
  ]);
}

describe.each(targets)('member card reader contract: %s', (_label, setup) => {
  it('reports a presented card once, by UID in hex', { timeout: REAL_TIMEOUT_MS }, async () => {
    const t = await setup();
    expect(t.reader.health.health).toBe('ok');
    const uids: string[] = [];
    t.reader.on('data', (c) => uids.push(c.uid));
    const card = t.reader.once('data');
    t.present();
    expect((await card).uid).toMatch(/^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/);
    if (t.reportsRemoval) {
      const removed = t.reader.once('status', (s) => s.code === 'card-removed');
      t.remove();
      await removed;
    }
    expect(uids).toHaveLength(1);
    await t.close();
  });
});
