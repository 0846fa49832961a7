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
import type { PaymentProgress } from '../../protocols/ecr/progress';

const dir = mkdtempSync(join(tmpdir(), 'onecard-ecr-'));
const pipePty = new PtyPair(dir, 'pipe');
const concertPty = new PtyPair(dir, 'concert');
const progressPty = new PtyPair(dir, 'progress');
const peers: SerialPeer[] = [];

beforeAll(async () => {
  await Promise.all([pipePty.start(), concertPty.start(), progressPty.start()]);
});

afterAll(async () => {
  for (const p of peers) await p.close();
  await Promise.all([pipePty.stop(), concertPty.stop(), progressPty.stop()]);
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
    const concertProgress: string[] = [];
    expect(await payments.sale('C-1', 1999, (p) => concertProgress.push(p.code))).toMatchObject({ status: 'approved', amount_minor: 1999 });
    // Concert sends nothing between request and answer: the register says no more than that the terminal has it.
    expect(concertProgress).toEqual(['REQUEST_SENT']);
    sim.next('lose-answer');
    expect(await payments.sale('C-2', 500)).toMatchObject({ status: 'unknown' });
    expect(await payments.sale('C-2', 500)).toMatchObject({ status: 'unknown' });
    expect(sim.transactions.filter((t) => t.ecrRef !== '' && t.kind === 'sale')).toHaveLength(2);
    await terminal.close();
  });

  it('pipe ECR: the terminal\'s 0900 messages arrive as progress in order, then the answer; a lost answer after them is resolved and charged once', async () => {
    let sim: PipeEcrTerminalSimulator | undefined;
    const peer = await SerialPeer.open(progressPty.devicePath, (c) => sim?.receive(c));
    peers.push(peer);
    sim = new PipeEcrTerminalSimulator(peer);
    const terminal = new PipeEcrTerminal('bank-pos', new SerialTransport({ path: progressPty.hostPath, baudRate: 9600 }), { ack_ms: 2000, response_ms: 2500 });
    await terminal.start();
    const payments = new JournaledPayments(terminal, new InMemoryPaymentJournal());
    const seen: Array<PaymentProgress | { result: string }> = [];
    sim.progress('78', '83', '81', '82');
    const approved = await payments.sale('G-1', 1200, (p) => seen.push(p));
    seen.push({ result: approved.status });
    expect(seen).toEqual([
      { code: 'REQUEST_SENT' },
      { code: 'INSERT_CARD', terminalCode: '78' },
      { code: 'SELECT_ACCOUNT', terminalCode: '83' },
      { code: 'ENTER_PIN', terminalCode: '81' },
      { code: 'AUTHORIZING', terminalCode: '82' },
      { result: 'approved' },
    ]);
    expect(sim.statusSent).toEqual(['0900|78', '0900|83', '0900|81', '0900|82']);

    // The customer finished at the PIN pad and the bank charged, but the answer never came back.
    seen.length = 0;
    sim.progress('78', '81', '82');
    sim.next('lose-answer');
    const resolved = await payments.sale('G-2', 3300, (p) => seen.push(p));
    expect(seen.map((p) => ('code' in p ? p.code : p.result))).toEqual(['REQUEST_SENT', 'INSERT_CARD', 'ENTER_PIN', 'AUTHORIZING', 'RESOLVING']);
    expect(resolved).toMatchObject({ status: 'approved', amount_minor: 3300 });
    // Pressed again: the journal answers, the terminal is not asked to charge a second time.
    expect(await payments.sale('G-2', 3300)).toMatchObject({ status: 'approved' });
    expect(sim.transactions.filter((t) => t.kind === 'sale')).toHaveLength(2);
    expect(sim.charged_minor).toBe(1200 + 3300);
    await terminal.close();
  });
});
