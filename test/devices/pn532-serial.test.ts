import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pn532Reader } from '../../drivers/card-reader/pn532-reader';
import { SerialTransport } from '../../drivers/transports/serial';
import { Pn532Simulator, blankClassic1k } from '../../fixtures/simulators/pn532';
import { PtyPair, SerialPeer } from '../../fixtures/simulators/pty';
import { encodeValueBlock } from '../../protocols/mifare/value-block';

const keyA = Uint8Array.of(1, 2, 3, 4, 5, 6);
const dir = mkdtempSync(join(tmpdir(), 'onecard-pn532-'));
const pty = new PtyPair(dir, 'pn532');
let peer: SerialPeer | undefined;
let sim: Pn532Simulator;

/** (Re)connects a simulator to the device end of the pty; the card stays the same object. */
async function attachSimulator(): Promise<void> {
  let target: Pn532Simulator | undefined;
  peer = await SerialPeer.open(pty.devicePath, (c) => target?.receive(c));
  const card = sim?.cardInField;
  target = new Pn532Simulator(peer);
  if (card) target.present(card);
  sim = target;
}

beforeAll(async () => {
  await pty.start();
  await attachSimulator();
});

afterAll(async () => {
  await peer?.close();
  await pty.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('PN532 reader over a real serial port (socat pty)', () => {
  it('reads a card, survives an unplug mid-read, and comes back', async () => {
    const reader = new Pn532Reader('reader', new SerialTransport({ path: pty.hostPath, baudRate: 115200 }), {
      poll_ms: 20,
      ackTimeout_ms: 2000,
      responseTimeout_ms: 30_000,
      reopen: { firstDelay_ms: 20, maxDelay_ms: 200 },
    });
    await reader.start();
    expect(reader.firmware?.ic).toBe(0x32);

    const card = blankClassic1k(Uint8Array.of(0xca, 0xfe, 0x00, 0x01), keyA);
    card.blocks[8] = encodeValueBlock(5000, 8);
    const presented = reader.once('data');
    sim.present(card);
    expect((await presented).uid).toBe('CAFE0001');
    expect(await reader.readValue(8, keyA)).toBe(5000);

    // Unplug while a read is waiting for its answer.
    sim.hangNext(1);
    const read = reader.readBlock(8, keyA).then(
      () => 'answered',
      (e: unknown) => e,
    );
    const offline = reader.once('status', (s) => s.code === 'offline');
    await peer!.close();
    await pty.stop();
    expect(await read).toMatchObject({ code: 'OFFLINE' });
    await offline;
    expect(reader.health.health).toBe('offline');

    // Plug back in: same path, new pty; the reader reopens by itself.
    const online = reader.once('status', (s) => s.code === 'online');
    await pty.start();
    await attachSimulator();
    await online;
    const again = await reader.once('data');
    expect(again.uid).toBe('CAFE0001');
    await reader.decrement(8, 1250, keyA);
    expect(await reader.readValue(8, keyA)).toBe(3750);
    await reader.close();
  });
});
