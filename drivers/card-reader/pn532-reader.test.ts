import { describe, expect, it, vi } from 'vitest';
import { Pn532Simulator, blankClassic1k } from '../../fixtures/simulators/pn532';
import { encodeIdentityBlock } from '../../protocols/mifare/card-identity';
import { encodeValueBlock } from '../../protocols/mifare/value-block';
import { createInProcessLink } from '../transports/in-process';
import { Pn532Reader, type Pn532ReaderOptions } from './pn532-reader';

const keyA = Uint8Array.of(0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5);
const chainKey = new TextEncoder().encode('chain-secret');
const uid = Uint8Array.of(0x04, 0x1a, 0x2b, 0x3c);

async function setup(options: Pn532ReaderOptions = {}) {
  const { transport, peer } = createInProcessLink('sim pn532');
  const sim = new Pn532Simulator(peer);
  peer.onHostWrite((c) => sim.receive(c));
  const reader = new Pn532Reader('reader', transport, { poll_ms: 5, ackTimeout_ms: 2000, responseTimeout_ms: 2000, ...options });
  await reader.start();
  return { reader, sim, peer };
}

function issuedCard(serial: number) {
  const card = blankClassic1k(uid, keyA);
  card.blocks[4] = encodeIdentityBlock(uid, serial, chainKey);
  card.blocks[5] = encodeValueBlock(1000, 5);
  return card;
}

describe('PN532 MIFARE reader (in-process simulator)', () => {
  it('wakes the chip and reads its firmware version', async () => {
    const { reader } = await setup();
    expect(reader.firmware).toEqual({ ic: 0x32, version: 1, revision: 6, support: 7 });
    await reader.close();
  });

  it('reports a card once when it is put down, and its removal', async () => {
    const { reader, sim } = await setup();
    const cards: string[] = [];
    reader.on('data', (c) => cards.push(c.uid));
    const first = reader.once('data');
    sim.present(blankClassic1k(uid));
    expect(await first).toMatchObject({ uid: '041A2B3C', technology: 'mifare-classic' });
    const removed = reader.once('status', (s) => s.code === 'card-removed');
    sim.remove();
    await removed;
    expect(cards).toEqual(['041A2B3C']);
    await reader.close();
  });

  it('accepts an issued card and rejects a UID-only clone', async () => {
    const { reader, sim } = await setup({ identity: { block: 4, keyA, chainKey } });
    const a = reader.once('data');
    sim.present(issuedCard(77));
    expect((await a).identity).toEqual({ ok: true, serial: 77 });
    const removed = reader.once('status', (s) => s.code === 'card-removed');
    sim.remove();
    await removed;
    // a "magic" card with the same block copied but another UID
    const clone = blankClassic1k(Uint8Array.of(9, 9, 9, 9), keyA);
    clone.blocks[4] = issuedCard(77).blocks[4]!;
    const b = reader.once('data');
    sim.present(clone);
    expect((await b).identity).toEqual({ ok: false, code: 'CARD_CLONED' });
    await reader.close();
  });

  it('issues a blank card by writing its identity block, which then verifies', async () => {
    const { reader, sim } = await setup({ identity: { block: 4, keyA, chainKey } });
    const blank = reader.once('data');
    sim.present(blankClassic1k(uid, keyA));
    expect((await blank).identity).toEqual({ ok: false, code: 'CARD_NOT_ISSUED' });
    await reader.writeIdentity(9001, 4, keyA, chainKey);
    const removed = reader.once('status', (s) => s.code === 'card-removed');
    const card = sim.cardInField!;
    sim.remove();
    await removed;
    const again = reader.once('data');
    sim.present(card);
    expect((await again).identity).toEqual({ ok: true, serial: 9001 });
    await expect(reader.writeBlock(7, new Uint8Array(16), keyA)).rejects.toMatchObject({ code: 'ILLEGAL' });
    await reader.close();
  });

  it('a card with another key is reported as not issued by this chain', async () => {
    const { reader, sim } = await setup({ identity: { block: 4, keyA, chainKey } });
    const a = reader.once('data');
    sim.present(blankClassic1k(uid));
    expect((await a).identity).toEqual({ ok: false, code: 'CARD_NOT_ISSUED' });
    await reader.close();
  });

  it('increments and decrements a value block with transfer, keeping the inverted copies valid', async () => {
    const { reader, sim } = await setup();
    const a = reader.once('data');
    const card = issuedCard(1);
    sim.present(card);
    await a;
    expect(await reader.readValue(5, keyA)).toBe(1000);
    await reader.increment(5, 250, keyA);
    await reader.decrement(5, 50, keyA);
    expect(await reader.readValue(5, keyA)).toBe(1200);
    expect(card.blocks[5]).toEqual(encodeValueBlock(1200, 5));
    await reader.close();
  });

  it('recovers from a corrupted answer by sending NACK', async () => {
    const { reader, sim } = await setup();
    const a = reader.once('data');
    sim.present(issuedCard(1));
    await a;
    sim.corruptNext(1);
    expect(await reader.readValue(5, keyA)).toBe(1000);
    await reader.close();
  });

  it('a wrong key fails with the chip\'s reason, not a crash', async () => {
    const { reader, sim } = await setup();
    const a = reader.once('data');
    sim.present(issuedCard(1));
    await a;
    await expect(reader.readBlock(4, new Uint8Array(6))).rejects.toMatchObject({ code: 'FAILURE', message: expect.stringMatching(/authentication/) });
    await reader.close();
  });

  it('a reader that stops answering mid-read gives TIMEOUT', async () => {
    const { reader, sim } = await setup({ responseTimeout_ms: 200 });
    const a = reader.once('data');
    sim.present(issuedCard(1));
    await a;
    sim.hangNext(5);
    await expect(reader.readBlock(5, keyA)).rejects.toMatchObject({ code: 'TIMEOUT' });
    await reader.close();
  });

  it('unplugged mid-read: the read fails OFFLINE and the reader comes back when plugged in', async () => {
    const { reader, sim, peer } = await setup({ reopen: { firstDelay_ms: 5, maxDelay_ms: 20 }, responseTimeout_ms: 60_000 });
    const a = reader.once('data');
    sim.present(issuedCard(1));
    await a;
    sim.hangNext(1);
    const read = reader.readBlock(5, keyA).then(
      () => 'answered',
      (e: unknown) => e,
    );
    const before = sim.received.length;
    await vi.waitFor(() => expect(sim.received.length).toBeGreaterThan(before), { timeout: 10_000 });
    peer.unplug();
    expect(await read).toMatchObject({ code: 'OFFLINE' });
    const online = reader.once('status', (s) => s.code === 'online');
    peer.plugIn();
    await online;
    const again = reader.once('data');
    await again; // the card still on the reader is reported again after the reopen
    expect(await reader.readValue(5, keyA)).toBe(1000);
    await reader.close();
  });
});
