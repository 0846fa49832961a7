import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConcertTerminalSimulator, PipeEcrTerminalSimulator } from '../../fixtures/simulators/payment-terminal';
import { createInProcessLink } from '../transports/in-process';
import { ConcertTerminal } from './concert-terminal';
import { FilePaymentJournal, InMemoryPaymentJournal } from './journal';
import { JournaledPayments } from './journaled-payments';
import { PipeEcrTerminal } from './pipe-ecr-terminal';

// Generous for answers that come; the lost-answer cases wait this long by design.
const timing = { ack_ms: 1000, response_ms: 800 };

async function pipeSetup(journal = new InMemoryPaymentJournal()) {
  const { transport, peer } = createInProcessLink('sim bank pos');
  const sim = new PipeEcrTerminalSimulator(peer);
  peer.onHostWrite((c) => sim.receive(c));
  const terminal = new PipeEcrTerminal('bank-pos', transport, timing);
  await terminal.start();
  return { terminal, sim, journal, payments: new JournaledPayments(terminal, journal) };
}

async function concertSetup() {
  const { transport, peer } = createInProcessLink('sim ingenico');
  const sim = new ConcertTerminalSimulator(peer);
  peer.onHostWrite((c) => sim.receive(c));
  const terminal = new ConcertTerminal('ingenico', transport, { ...timing, currency: '156' });
  await terminal.start();
  const journal = new InMemoryPaymentJournal();
  return { terminal, sim, journal, payments: new JournaledPayments(terminal, journal) };
}

describe('pipe-separated ECR terminal with journaled payments', () => {
  it('an approved sale is charged once and journaled as approved', async () => {
    const { payments, sim, journal, terminal } = await pipeSetup();
    const out = await payments.sale('SALE-1', 1250);
    expect(out).toMatchObject({ status: 'approved', amount_minor: 1250 });
    expect(sim.charged_minor).toBe(1250);
    expect(journal.unresolved()).toEqual([]);
    // asking again for the same sale does not charge again
    expect(await payments.sale('SALE-1', 1250)).toMatchObject({ status: 'approved' });
    expect(sim.transactions).toHaveLength(1);
    await terminal.close();
  });

  it('a decline is reported with the terminal code and nothing is charged', async () => {
    const { payments, sim, terminal } = await pipeSetup();
    sim.next('decline');
    expect(await payments.sale('SALE-2', 990)).toMatchObject({ status: 'declined', code: '01' });
    expect(sim.charged_minor).toBe(0);
    await terminal.close();
  });

  it('a lost answer after the card was charged is completed by the last-sale query, not charged twice', async () => {
    const { payments, sim, terminal } = await pipeSetup();
    sim.next('lose-answer');
    expect(await payments.sale('SALE-3', 4200)).toMatchObject({ status: 'approved', amount_minor: 4200 });
    expect(sim.transactions).toHaveLength(1);
    expect(sim.charged_minor).toBe(4200);
    await terminal.close();
  });

  it('a request the terminal never processed is "not charged", and the retry charges once', async () => {
    const { payments, sim, terminal } = await pipeSetup();
    await payments.sale('SALE-0', 100); // an earlier sale is the terminal's "last sale"
    sim.next('no-answer');
    expect(await payments.sale('SALE-4', 3000)).toMatchObject({ status: 'not-charged' });
    expect(await payments.sale('SALE-4', 3000)).toMatchObject({ status: 'approved' });
    expect(sim.charged_minor).toBe(3100);
    await terminal.close();
  });

  it('when the terminal\'s last transaction is not one of ours, a lost request stays unknown', async () => {
    const { payments, sim, terminal } = await pipeSetup();
    await terminal.sale({ ecrRef: 'MANUAL', amount_minor: 50 }); // made without the journal, e.g. by hand
    sim.next('no-answer');
    expect(await payments.sale('SALE-X', 900)).toMatchObject({ status: 'unknown' });
    expect(sim.transactions).toHaveLength(1);
    await terminal.close();
  });

  it('a charge of the wrong amount is voided', async () => {
    const { payments, sim, terminal } = await pipeSetup();
    sim.next('charge-other-amount');
    expect(await payments.sale('SALE-5', 500)).toMatchObject({ status: 'voided' });
    expect(sim.charged_minor).toBe(0);
    await terminal.close();
  });

  it('a damaged answer is NAKed and resent', async () => {
    const { payments, sim, terminal } = await pipeSetup();
    sim.corruptNextAnswer(1);
    expect(await payments.sale('SALE-6', 777)).toMatchObject({ status: 'approved' });
    expect(sim.charged_minor).toBe(777);
    await terminal.close();
  });

  it('voids an approved sale and closes the day', async () => {
    const { payments, sim, terminal } = await pipeSetup();
    await payments.sale('SALE-7', 1800);
    expect(await payments.void('SALE-7')).toMatchObject({ status: 'approved' });
    expect(sim.charged_minor).toBe(0);
    expect(await terminal.dayClose()).toEqual({ ok: true, message: 'approved' });
    await terminal.close();
  });

  it('refunds a whole sale by its operation number, and refuses a partial refund', async () => {
    const { terminal, sim } = await pipeSetup();
    const sale = await terminal.sale({ ecrRef: 'R9', amount_minor: 2000 });
    const original = { ecrRef: 'R9', terminalRef: sale.approved ? sale.terminalRef : '', amount_minor: 2000 };
    await expect(terminal.refund({ ecrRef: 'RA', amount_minor: 500, original })).rejects.toMatchObject({ code: 'ILLEGAL' });
    expect(await terminal.refund({ ecrRef: 'RB', amount_minor: 2000, original })).toMatchObject({ approved: true });
    expect(sim.charged_minor).toBe(0);
    await terminal.close();
  });

  it('after a crash, recover() resolves the pending attempt from a file journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onecard-journal-'));
    const file = join(dir, 'payments.jsonl');
    const first = await pipeSetup(new FilePaymentJournal(file));
    // The register "crashes" after writing pending and sending, before the answer: simulate by a lost answer
    first.sim.next('lose-answer');
    const ref = first.journal.nextRef();
    first.journal.put({ ecrRef: ref, kind: 'sale', documentId: 'SALE-8', amount_minor: 6600, state: 'pending', updatedAt: new Date().toISOString() });
    await first.terminal.sale({ ecrRef: ref, amount_minor: 6600 }).catch(() => undefined);
    const reopened = new FilePaymentJournal(file);
    expect(reopened.unresolved().map((e) => e.ecrRef)).toEqual([ref]);
    const outcomes = await new JournaledPayments(first.terminal, reopened).recover();
    expect(outcomes).toMatchObject([{ status: 'approved', ecrRef: ref, amount_minor: 6600 }]);
    expect(new FilePaymentJournal(file).get(ref)?.state).toBe('approved');
    expect(first.sim.charged_minor).toBe(6600);
    await first.terminal.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('file payment journal', () => {
  it('never hands out a reference again, even one reserved just before a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onecard-journal-'));
    const file = join(dir, 'payments.jsonl');
    const a = new FilePaymentJournal(file);
    const used = a.nextRef();
    a.put({ ecrRef: used, kind: 'sale', documentId: 'D', amount_minor: 1, state: 'approved', updatedAt: '2026-11-22T00:00:00Z' });
    const reservedOnly = a.nextRef();
    const b = new FilePaymentJournal(file);
    const next = b.nextRef();
    expect(new Set([used, reservedOnly, next]).size).toBe(3);
    expect(b.get(used)?.state).toBe('approved');
    expect(b.unresolved()).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('Concert terminal with journaled payments', () => {
  it('approves a sale through the ENQ/ACK/STX/EOT sessions', async () => {
    const { payments, sim, terminal } = await concertSetup();
    expect(await payments.sale('C-1', 2599)).toMatchObject({ status: 'approved', amount_minor: 2599 });
    expect(sim.transactions[0]).toMatchObject({ kind: 'sale', amount_minor: 2599, approved: true });
    await terminal.close();
  });

  it('declines, refunds and voids', async () => {
    const { payments, terminal, sim } = await concertSetup();
    sim.next('decline');
    expect(await payments.sale('C-2', 100)).toMatchObject({ status: 'declined' });
    await payments.sale('C-3', 300);
    expect(await payments.void('C-3')).toMatchObject({ status: 'approved' });
    expect(sim.charged_minor).toBe(0);
    await terminal.close();
  });

  it('refunds part of a sale and reports what it cannot do', async () => {
    const { terminal, sim } = await concertSetup();
    const sale = await terminal.sale({ ecrRef: 'R1', amount_minor: 1000 });
    expect(sale.approved).toBe(true);
    const original = { ecrRef: 'R1', terminalRef: sale.approved ? sale.terminalRef : '', amount_minor: 1000 };
    expect(await terminal.refund({ ecrRef: 'R2', amount_minor: 400, original })).toMatchObject({ approved: true, amount_minor: 400 });
    expect(sim.charged_minor).toBe(600);
    await expect(terminal.lastTransaction()).rejects.toMatchObject({ code: 'ILLEGAL' });
    await expect(terminal.dayClose()).rejects.toMatchObject({ code: 'ILLEGAL' });
    await terminal.close();
  });

  it('a lost answer is unknown (Concert has no status query) and blocks a second charge of the same sale', async () => {
    const { payments, sim, terminal } = await concertSetup();
    sim.next('lose-answer');
    const out = await payments.sale('C-4', 4500);
    expect(out).toMatchObject({ status: 'unknown', message: expect.stringContaining('Do not charge again') });
    expect(await payments.sale('C-4', 4500)).toMatchObject({ status: 'unknown' });
    expect(sim.transactions).toHaveLength(1);
    await terminal.close();
  });

  it('a damaged answer is NAKed and the terminal resends it', async () => {
    const { payments, sim, terminal } = await concertSetup();
    sim.corruptNextAnswer(1);
    expect(await payments.sale('C-5', 120)).toMatchObject({ status: 'approved' });
    await terminal.close();
  });
});

