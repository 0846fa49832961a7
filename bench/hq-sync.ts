import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { storeCashAccountId, storeSalesAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import { eventToWire, type SyncEvent } from '../protocols/sync/v1/codec';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq } from '../hq-server';
import { createTestSyncClient, type TestSyncClient } from '../hq-server/testing/sync-client';
import { PostgresServer } from '../test/support/postgres-server';
import type { AuthorizeLoad, AuthorizeLoadResult } from './authorize-load';

/**
 * HQ sync throughput and latency, each against a reference measured on the same server in the
 * same run:
 * - events pushed and applied per second (batches of 500), against pgbench's TPC-B-like
 *   transactions per second;
 * - online Authorize latency p50/p99 at a steady 200/s from 50 terminals, against a bare gRPC
 *   health check at the same rate, and the highest rate that keeps p99 under 50 ms. The load
 *   comes from a worker thread, open loop; latency counts from each call's scheduled send time.
 * `ONECARD_BENCH=ingest` or `=authorize` runs one part.
 * Needs pgbench (Debian: postgresql-client).
 */

const STORE = 'store-sh-01';
const product = demoChain.products[0]!;

function cashSale(seq: number): SyncEvent {
  const id = uuidv7();
  const now = Date.now();
  const sale = {
    id, storeId: STORE, terminalId: '', currency: 'CNY', memberId: null, cardId: null,
    lines: [{ lineNo: 1, sku: product.sku, barcode: product.barcode, name: product.name, quantity: 1, unitPriceMinor: product.priceMinor, amountMinor: product.priceMinor, eligibleForMemberBenefits: true }],
    totalMinor: product.priceMinor, tenders: [{ kind: 'cash' as const, amountMinor: product.priceMinor, tenderedMinor: product.priceMinor, changeMinor: 0 }], pointsEarned: 0, completedAt: now,
  };
  return {
    seq, id: uuidv7(), occurredAt: now, body: { type: 'sale', sale },
    transfers: [{ id: uuidv7(), kind: 'single', debitAccountId: storeCashAccountId(STORE), creditAccountId: storeSalesAccountId(STORE), ledger: 'CNY', amount: product.priceMinor, code: 'SALE_CASH', pendingId: null, timestamp: now, originTerminalId: null, documentId: id }],
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function enroll(client: TestSyncClient, sql: Parameters<typeof createEnrollmentCode>[0], terminalId: string): Promise<string> {
  const r = await client.call<{ credential: string }>('Enroll', { enrollmentCode: await createEnrollmentCode(sql, terminalId), deviceName: 'bench' });
  return r.credential;
}

/** Why Authorize calls failed during the runs, by code. */
const failures = new Map<string, number>();

/**
 * Open-loop load: `rate` Authorize calls per second for `seconds`, spread over the terminals,
 * sent from a worker thread (bench/authorize-load.ts). Latencies are measured from each call's
 * scheduled send time, so a late generator cannot hide queueing (sorted ascending).
 */
async function authorizeAt(load: AuthorizeLoad): Promise<number[]> {
  const result = await new Promise<AuthorizeLoadResult>((resolve, reject) => {
    // A worker does not inherit tsx's loader: it registers it, then imports the TypeScript entry.
    const entry = new URL('./authorize-load.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: load });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`Authorize load generator exited with ${code}`)));
  });
  for (const [why, n] of Object.entries(result.failures)) failures.set(why, (failures.get(why) ?? 0) + n);
  if (result.maxLateMs > 5) console.log(`  (${load.call ?? 'authorize'} at ${load.rate}/s: the generator sent up to ${result.maxLateMs.toFixed(1)} ms late; p99 from actual send ${percentile(result.fromSent, 99).toFixed(1)} ms)`);
  return result.fromScheduled;
}

/** `ONECARD_BENCH=ingest` or `ONECARD_BENCH=authorize` runs just that part; anything else, both. */
function parts(): { ingest: boolean; authorize: boolean } {
  const only = process.env.ONECARD_BENCH;
  return { ingest: only !== 'authorize', authorize: only !== 'ingest' };
}

export async function benchHqSync(): Promise<void> {
  const run = parts();
  const root = mkdtempSync(join(tmpdir(), 'onecard-bench-hq-'));
  const pg = await PostgresServer.start(root);
  const hq = await startHq({ databaseUrl: pg.url, dataDir: join(root, 'hq'), log: () => {} });
  const client = createTestSyncClient(hq.grpcAddress);
  try {
    await seedChain(hq.sql, demoChain);
    const terminalIds = Array.from({ length: 50 }, (_, i) => `bench-t-${i}`);
    for (const id of terminalIds) await hq.sql`insert into terminals (id, store_id, name) values (${id}, ${STORE}, ${id}) on conflict do nothing`;
    const credentials: string[] = [];
    for (const id of terminalIds) credentials.push(await enroll(client, hq.sql, id));

    if (run.ingest) await benchIngest(client, credentials[0]!, pg.url);
    if (run.authorize) await benchAuthorize(hq.grpcAddress, credentials);
  } finally {
    client.close();
    await hq.stop();
    pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Ingest: 20,000 events from one terminal in batches of 500, against pgbench. */
async function benchIngest(client: TestSyncClient, credential: string, pgUrl: string): Promise<void> {
  const EVENTS = 20_000;
  const BATCH = 500;
  const batches = Array.from({ length: EVENTS / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, i) => eventToWire(cashSale(b * BATCH + i + 1))));
  const t0 = performance.now();
  for (const events of batches) await client.call('PushEvents', { events }, credential);
  const eventsPerSecond = EVENTS / ((performance.now() - t0) / 1000);

  execFileSync('pgbench', ['-i', '-s', '4', '-q', pgUrl], { stdio: 'ignore' });
  const out = execFileSync('pgbench', ['-c', '4', '-j', '2', '-T', '10', pgUrl], { encoding: 'utf8' });
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
  console.log(`HQ ingest: ${eventsPerSecond.toFixed(0)} events/s applied (batches of ${BATCH})   pgbench TPC-B-like: ${tps.toFixed(0)} tps   ratio ${(eventsPerSecond / tps).toFixed(2)}   (target ≥ 10,000 events/s)`);
}

/** Authorize: 50 terminals of one store, open-loop, at 200/s and then higher or lower rates. */
async function benchAuthorize(address: string, credentials: string[]): Promise<void> {
  const active = new Set(demoChain.members.flatMap((m) => m.cards).filter((c) => c.status === 'active' && (c.expiresOn === null || c.expiresOn > '2030')).map((c) => c.id));
  const cards = demoChain.openingBalances.filter((b) => b.principalMinor > 10_000 && active.has(b.cardId)).map((b) => b.cardId);
  // A fresh server's first seconds (JIT, pool connections opening, statements being prepared) are not its steady state.
  await authorizeAt({ address, credentials, cards, rate: 200, seconds: 2 });
  const steady = await authorizeAt({ address, credentials, cards, rate: 200, seconds: 10 });
  const reference = await authorizeAt({ call: 'health', address, credentials, cards, rate: 200, seconds: 5 });
  console.log(`Authorize at 200/s from 50 terminals (after 2 s of warm-up; load from a worker thread, latency from scheduled send): p50 ${percentile(steady, 50).toFixed(1)} ms   p99 ${percentile(steady, 99).toFixed(1)} ms   (target p99 < 20 ms)`);
  console.log(`  reference, a bare gRPC health check at 200/s the same way: p50 ${percentile(reference, 50).toFixed(1)} ms   p99 ${percentile(reference, 99).toFixed(1)} ms   Authorize p99 ratio ${(percentile(steady, 99) / percentile(reference, 99)).toFixed(1)}`);
  let best: number | null = percentile(steady, 99) < 50 ? 200 : null;
  const failed = steady.filter((l) => l === Number.POSITIVE_INFINITY).length;
  if (failed) console.log(`  ${failed} of ${steady.length} authorizations failed: ${JSON.stringify(Object.fromEntries(failures))}`);
  for (const rate of best === null ? [50, 100, 150] : [400, 800, 1200, 1600]) {
    const l = await authorizeAt({ address, credentials, cards, rate, seconds: 5 });
    const p99 = percentile(l, 99);
    console.log(`  at ${rate}/s: p50 ${percentile(l, 50).toFixed(1)} ms   p99 ${p99.toFixed(1)} ms`);
    if (p99 >= 50) {
      if (best !== null) break;
      continue;
    }
    best = Math.max(best ?? 0, rate);
  }
  console.log(`Authorize: highest rate tried with p99 under 50 ms: ${best === null ? 'none' : `${best}/s`}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHqSync();
