import { describe, expect, it } from 'vitest';
import { ConcertTerminal } from '../../../drivers/payment/concert-terminal';
import { InMemoryPaymentJournal } from '../../../drivers/payment/journal';
import { JournaledPayments } from '../../../drivers/payment/journaled-payments';
import type { PaymentTerminal } from '../../../drivers/payment/payment-terminal';
import { PipeEcrTerminal } from '../../../drivers/payment/pipe-ecr-terminal';
import type { Device } from '../../../drivers/device';
import { createInProcessLink } from '../../../drivers/transports/in-process';
import { ConcertTerminalSimulator, PipeEcrTerminalSimulator } from '../../../fixtures/simulators/payment-terminal';
import { REAL_TIMEOUT_MS, ask, realDeviceName, startRealDevice } from './real-device';

interface TerminalUnderTest {
  terminal: PaymentTerminal & Device<unknown>;
  /** What the customer does: the simulator approves; on a real terminal a technician pays with a test card. */
  pay(amount_minor: number): void;
  close(): Promise<void>;
}

const AMOUNT = Number(process.env.ONECARD_TEST_PAYMENT_AMOUNT_MINOR ?? 1);

const targets: [string, () => Promise<TerminalUnderTest>][] = [
  [
    'simulated pipe-ECR terminal',
    async () => {
      const { transport, peer } = createInProcessLink('sim pipe');
      const sim = new PipeEcrTerminalSimulator(peer);
      peer.onHostWrite((c) => sim.receive(c));
      const terminal = new PipeEcrTerminal('bank-pos', transport, { response_ms: 2000 });
      await terminal.start();
      return { terminal, pay: () => undefined, close: () => terminal.close() };
    },
  ],
  [
    'simulated Concert terminal',
    async () => {
      const { transport, peer } = createInProcessLink('sim concert');
      const sim = new ConcertTerminalSimulator(peer);
      peer.onHostWrite((c) => sim.receive(c));
      const terminal = new ConcertTerminal('ingenico', transport, { response_ms: 2000 });
      await terminal.start();
      return { terminal, pay: () => undefined, close: () => terminal.close() };
    },
  ],
];
const real = realDeviceName('ONECARD_TEST_PAYMENT');
if (real) {
  targets.push([
    `real payment terminal "${real}"`,
    async () => {
      const { device, manager } = await startRealDevice<PaymentTerminal & Device<unknown>>(real);
      return {
        terminal: device,
        pay: (a) => ask(`Pay ${a} (minor units) on "${real}" with a TEST card now; the contract voids it afterwards`),
        close: () => manager.stopAll(),
      };
    },
  ]);
}

describe.each(targets)('payment terminal contract: %s', (_label, setup) => {
  it('a sale is approved with the amount asked, is the last transaction, and can be voided', { timeout: REAL_TIMEOUT_MS * 2 }, async () => {
    const t = await setup();
    const payments = new JournaledPayments(t.terminal, new InMemoryPaymentJournal());
    const documentId = `contract-${Date.now()}`;
    t.pay(AMOUNT);
    const sale = await payments.sale(documentId, AMOUNT);
    expect(sale).toMatchObject({ status: 'approved', amount_minor: AMOUNT });
    if (t.terminal.capabilities.lastTransactionQuery) {
      expect(await t.terminal.lastTransaction()).toMatchObject({ ecrRef: sale.ecrRef, approved: true, amount_minor: AMOUNT });
    }
    expect(await payments.void(documentId)).toMatchObject({ status: 'approved' });
    await t.close();
  });
});
