import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcertTerminal } from '../../drivers/payment/concert-terminal';
import { InMemoryPaymentJournal } from '../../drivers/payment/journal';
import { JournaledPayments } from '../../drivers/payment/journaled-payments';
import { PipeEcrTerminal } from '../../drivers/payment/pipe-ecr-terminal';
import { SerialTransport } from '../../drivers/transports/serial';
import { ConcertTerminalSimulator, PipeEcrTerminalSimulator } from '../../fixtures/simulators/payment-terminal';
import { PtyPair, SerialPeer } from '../../fixtures/simulators/pty';

const dir = mkdtempSync(join(tmpdir(), 'onecard-ecr-'));
const pipePty = new PtyPair(dir, 'pipe');
const concertPty = new PtyPair(dir, 'concert');
const peers: SerialPeer[] = [];

beforeAll(async () => {
  await Promise.all([pipePty.start(), concertPty.start()]);
});

afterAll(async () => {
  for (const p of peers) await p.close();
  await Promise.all([pipePty.stop(), concertPty.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('bank-card terminals over real serial ports (socat pty)', () => {
  it('pipe ECR: a response lost mid-sale is resolved by the last-sale query and charged once', async () => {
    let sim: PipeEcrTerminalSimulator | undefined;
    const peer = await SerialPeer.open(pipePty.devicePath, (c) => sim?.receive(c));
    peers.push(peer);
    sim = new PipeEcrTerminalSimulator(peer);
    const terminal = new PipeEcrTerminal('bank-pos', new SerialTransport({ path: pipePty.hostPath, baudRate: 9600 }), { ack_ms: 2000, response_ms: 2500 });
    await terminal.start();
    const payments = new JournaledPayments(terminal, new InMemoryPaymentJournal());
    expect(await payments.sale('P-1', 1000)).toMatchObject({ status: 'approved' });
    sim.next('lose-answer');
    expect(await payments.sale('P-2', 2500)).toMatchObject({ status: 'approved', amount_minor: 2500 });
    sim.next('no-answer');
    expect(await payments.sale('P-3', 700)).toMatchObject({ status: 'not-charged' });
    expect(await payments.sale('P-3', 700)).toMatchObject({ status: 'approved' });
    expect(sim.charged_minor).toBe(1000 + 2500 + 700);
    await terminal.close();
  });

  it('Concert: a sale, and a response lost mid-sale left unknown rather than charged twice', async () => {
    let sim: ConcertTerminalSimulator | undefined;
    const peer = await SerialPeer.open(concertPty.devicePath, (c) => sim?.receive(c));
    peers.push(peer);
    sim = new ConcertTerminalSimulator(peer);
    const terminal = new ConcertTerminal('ingenico', new SerialTransport({ path: concertPty.hostPath, baudRate: 9600 }), { ack_ms: 2000, response_ms: 2500 });
    await terminal.start();
    const payments = new JournaledPayments(terminal, new InMemoryPaymentJournal());
    expect(await payments.sale('C-1', 1999)).toMatchObject({ status: 'approved', amount_minor: 1999 });
    sim.next('lose-answer');
    expect(await payments.sale('C-2', 500)).toMatchObject({ status: 'unknown' });
    expect(await payments.sale('C-2', 500)).toMatchObject({ status: 'unknown' });
    expect(sim.transactions.filter((t) => t.ecrRef !== '' && t.kind === 'sale')).toHaveLength(2);
    await terminal.close();
  });
});
