import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeviceFactory } from '../../drivers';
import { VirtualDevices } from '../../fixtures/simulators/virtual-devices';
import { startTerminal, type RunningTerminal } from '../../terminal';
import type { Browser, Page } from 'playwright-core';
import { demoChain } from '../../fixtures/data/demo-chain';
import { startTestHq } from '../../hq-server/testing/hq';
import { signInTillWhenFed, tillCredentials } from '../../terminal/testing-staff';
import { openCashierApp } from './cashier-browser';

type TestHq = Awaited<ReturnType<typeof startTestHq>>;

/** The chain key the simulated lanes of the tests sign their cards with. */
export const TEST_CHAIN_KEY = new TextEncoder().encode('test-chain-key');

/** What a simulated till needs of a test HQ: where it listens and a way to enroll it. */
interface EnrollingHq {
  grpcAddress: string;
  enrollmentCode(terminalId: string): Promise<string>;
}

export interface SimulatedTill {
  terminal: RunningTerminal;
  /** The lane's devices, simulated and speaking the real bytes (scanner, card reader, printer, bank terminal). */
  lane: VirtualDevices;
  /** Stops the till and removes its folder. */
  stop(): Promise<void>;
}

/**
 * A real till (SQLite, local API, sync client) on a simulated lane, enrolled at a test HQ as
 * `terminalId`, syncing every 250 ms, with `operator` signed in once HQ's feed brought it.
 */
export async function startSimulatedTill(
  hq: EnrollingHq,
  o: { terminalId: string; folderPrefix: string; paymentResponse_ms: number; operator: { login: string; pin: string } },
): Promise<SimulatedTill> {
  const dir = await mkdtemp(join(tmpdir(), o.folderPrefix));
  const lane = new VirtualDevices(TEST_CHAIN_KEY, { paymentResponse_ms: o.paymentResponse_ms });
  const chainKey = TEST_CHAIN_KEY;
  const terminal = await startTerminal({
    dataDir: dir,
    hqAddress: hq.grpcAddress,
    enrollmentCode: await hq.enrollmentCode(o.terminalId),
    syncIntervalMs: 250,
    devices: { config: lane.config, factory: createDeviceFactory({ simulators: lane.transports, chainKey, reopen: { firstDelay_ms: 20, maxDelay_ms: 100 } }), panel: lane, chainKey },
    log: () => {},
  });
  await signInTillWhenFed(terminal.uiUrl, terminal.token, o.operator);
  return {
    terminal,
    lane,
    stop: async () => {
      await terminal.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The cashier app of a simulated till in Chromium, against its own test HQ (demo chain, store-sh-01). */
export interface CashierAppOnLane extends SimulatedTill {
  hq: TestHq;
  browser: Browser;
  page: Page;
  /** Closes the browser, stops the till (removing its folder) and HQ. */
  stop(): Promise<void>;
}

/**
 * A test HQ, a simulated till 't-sh-01-1' with the store's cashier signed in, and its cashier app
 * open in Chromium: what each cashier-app e2e file starts from.
 */
export async function startCashierAppOnLane(o: { folderPrefix: string; paymentResponse_ms: number }): Promise<CashierAppOnLane> {
  const hq = await startTestHq(demoChain);
  const till = await startSimulatedTill(hq, { terminalId: 't-sh-01-1', ...o, operator: tillCredentials(demoChain, 'store-sh-01').cashier });
  const { browser, page } = await openCashierApp(till.terminal.appUrl);
  return {
    ...till,
    hq,
    browser,
    page,
    stop: async () => {
      await browser.close();
      await till.stop();
      await hq.stop();
    },
  };
}
