/**
 * `npm run bench`: every benchmark prints its figure and its ratio to a reference measured
 * in the same run, because these machines are noisy.
 */
import { benchHqFinance } from './hq-finance';
import { benchHqSync } from './hq-sync';
import { benchPricing } from './pricing';
import { benchTerminalLedger } from './terminal-ledger';

const benches: Array<[string, () => Promise<void>]> = [
  ['terminal ledger', benchTerminalLedger],
  ['pricing', benchPricing],
  ['HQ sync: ingest and Authorize', benchHqSync],
  ['HQ finance: reconciliation, exports, settlement', benchHqFinance],
];

for (const [name, run] of benches) {
  console.log(`\n== ${name}`);
  await run();
}
