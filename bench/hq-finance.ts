/**
 * HQ finance benchmark over a seeded month of the demo chain (4 terminals × 30 days), pushed
 * through PushEvents: reconciling one business day (median of the month's days) against reading
 * the same day's stored events raw; the month's sales detail as a streamed .xlsx against the same
 * rows as CSV; generating the month's settlement statements. Figures and ratios from one run.
 */
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { demoChain } from '../fixtures/data/demo-chain';
import { DEFAULT_DEMO_MONTH, enrollDemoTerminals, generateDemoMonth, pushDemoMonth } from '../fixtures/data/demo-month';
import { writeCsv, writeXlsx } from '../hq-server/exports';
import { reconcileDate } from '../hq-server/reconciliation';
import { reportByName, reportContext } from '../hq-server/reports';
import { generateStatements } from '../hq-server/settlement';
import { startTestHq } from '../hq-server/testing/hq';
import { createTestSyncClient } from '../hq-server/testing/sync-client';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length;
    done();
  }
}

export async function benchHqFinance(): Promise<void> {
  const hq = await startTestHq(demoChain, { jobs: false });
  const client = createTestSyncClient(hq.grpcAddress);
  try {
    const month = generateDemoMonth(demoChain, { ...DEFAULT_DEMO_MONTH, salesPerTerminalPerDay: 40 });
    const events = month.terminals.reduce((s, t) => s + t.events.length, 0);
    let t0 = performance.now();
    const notApplied = await pushDemoMonth(client, await enrollDemoTerminals(client, demoChain, (t) => hq.enrollmentCode(t)), month);
    const pushMs = performance.now() - t0;
    if (notApplied.length > 0) throw new Error(`${notApplied.length} events not applied`);
    console.log(`seeded month: ${events} events (${month.totals.saleCount} sales) pushed in ${pushMs.toFixed(0)} ms`);

    const stores = ['store-gz-01', 'store-hz-01', 'store-sh-01'];
    const reconcileMs: number[] = [];
    const rawMs: number[] = [];
    for (const date of month.dates) {
      t0 = performance.now();
      const r = await reconcileDate(hq.sql, date, stores, true);
      reconcileMs.push(performance.now() - t0);
      if (r.differences.length > 0) throw new Error(`${date}: ${r.differences.length} differences`);
      t0 = performance.now();
      for (const t of r.terminals) await hq.sql`select seq, event_id, status, body from events where terminal_id = ${t.terminalId} and seq <= ${t.dayClose!.lastSeq} order by seq`;
      rawMs.push(performance.now() - t0);
    }
    console.log(`reconcile one day (4 terminals + chain-wide liability): median ${median(reconcileMs).toFixed(1)} ms; reading those terminals' events raw: ${median(rawMs).toFixed(1)} ms; ratio ${(median(reconcileMs) / median(rawMs)).toFixed(1)}×`);

    const def = reportByName('sales-detail')!;
    const ctx = await reportContext(hq.sql, { from: month.dates[0]!, to: month.dates.at(-1)!, storeIds: stores, chainWide: true });
    const xlsxSink = new CountingSink();
    t0 = performance.now();
    const rows = await writeXlsx(xlsxSink, [{ title: def.title, columns: def.columns, rows: def.rows(hq.sql, ctx) }]);
    const xlsxMs = performance.now() - t0;
    const csvSink = new CountingSink();
    t0 = performance.now();
    await writeCsv(csvSink, { title: def.title, columns: def.columns, rows: def.rows(hq.sql, ctx) });
    const csvMs = performance.now() - t0;
    console.log(`sales detail export, ${rows} rows: .xlsx ${xlsxMs.toFixed(0)} ms (${(rows / (xlsxMs / 1000)).toFixed(0)} rows/s, ${(xlsxSink.bytes / 1024).toFixed(0)} KiB); CSV ${csvMs.toFixed(0)} ms (${(csvSink.bytes / 1024).toFixed(0)} KiB); ratio xlsx/CSV ${(xlsxMs / csvMs).toFixed(1)}×`);

    t0 = performance.now();
    const statements = await generateStatements(hq.sql, { start: month.dates[0]!, end: month.dates.at(-1)! });
    console.log(`settlement statements for the month: ${statements.length} in ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    client.close();
    await hq.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchHqFinance();
