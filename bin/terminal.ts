import { startTerminal } from '../terminal';
import { preferPort, say, untilStopSignal } from './lifecycle';
import { simulatedLane } from './simulated-lane';

export interface TerminalCommandOptions {
  hqAddress: string;
  hqCaFile: string | undefined;
  hqServerName: string | undefined;
  enrollmentCode: string | undefined;
  dataDir: string;
  httpPort: number;
  /** Real devices from a devices.json, the simulated lane, or none at all. */
  devices: { file: string } | 'simulated' | 'none';
}

export async function runTerminal(o: TerminalCommandOptions): Promise<void> {
  const terminal = await startTerminal({
    dataDir: o.dataDir,
    hqAddress: o.hqAddress,
    hqCaFile: o.hqCaFile,
    hqServerName: o.hqServerName,
    enrollmentCode: o.enrollmentCode,
    httpPort: await preferPort(o.httpPort),
    faults: faultsFromEnvironment(),
    // Without a devices.json the lane is simulated, and the cashier app says so.
    ...(o.devices === 'simulated' ? { devices: simulatedLane(o.dataDir) } : typeof o.devices === 'object' ? { devicesFile: o.devices.file } : {}),
    log: say,
  });
  say(`terminal ${terminal.terminalId} of store ${terminal.storeId}`);
  say(`cashier UI: ${terminal.uiUrl}`);
  say(`cashier app: ${terminal.appUrl}${o.devices === 'simulated' ? ' (simulated devices)' : o.devices === 'none' ? ' (no devices)' : ''}`);
  say(`local API token: ${terminal.token}`);
  say('Ctrl-C stops the terminal.');
  await untilStopSignal();
  await terminal.stop();
}

/**
 * Fault injection for crash tests: ONECARD_FAULT=kill-after-sale-commit makes the process
 * die the hardest way right after a sale is committed to SQLite and before it is pushed.
 */
function faultsFromEnvironment() {
  if (process.env.ONECARD_FAULT === 'kill-after-sale-commit') {
    return { afterSaleCommit: () => process.kill(process.pid, 'SIGKILL') };
  }
  return undefined;
}
