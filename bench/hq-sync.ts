import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq } from '../hq-server';
import type { Sql } from '../hq-server/database';
import { createTestSyncClient, type TestSyncClient } from '../hq-server/testing/sync-client';
import { PostgresServer } from '../test/support/postgres-server';
import type { AuthorizeLoad, AuthorizeLoadResult } from './authorize-load';
import type { IngestLoad, IngestLoadResult } from './ingest-load';

/**
 * HQ sync throughput and latency, each against a reference measured on the same server in the
 * same run:
 * - events pushed and applied per second (batches of 500; one terminal alone, then several
 *   terminals at once, from a worker thread), against pgbench's TPC-B-like transactions per
 *   second;
 * - online Authorize latency p50/p99 at a steady 200/s from 50 terminals, against a bare gRPC
 *   health check at the same rate, and the highest rate that keeps p99 under 50 ms. The load
 *   comes from a worker thread, open loop; latency counts from each call's scheduled send time.
 * `ONECARD_BENCH=ingest` or `=authorize` runs one part.
 * Needs pgbench (Debian: postgresql-client).
 */

const STORE = 'store-sh-01';
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
  const result = await inWorker<AuthorizeLoadResult>('authorize-load.ts', load, 'Authorize load generator');
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

    if (run.ingest) await benchIngest(hq, credentials, terminalIds, pg);
    if (run.authorize) await benchAuthorize(hq.grpcAddress, credentials);
  } finally {
    client.close();
    await hq.stop();
    pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs a worker-thread generator (bench/<file>.ts) with `data` and answers its one message. */
function inWorker<T>(file: string, data: unknown, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // A worker does not inherit tsx's loader: it registers it, then imports the TypeScript entry.
    const entry = new URL(`./${file}`, import.meta.url).href;
    const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: data });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** utime + stime of a /proc stat line, in ms (clock ticks of 10 ms). */
function statCpuMs(stat: string): { ppid: number; ms: number } {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * 10 };
}

/**
 * CPU time spent so far by HQ's main thread (the event loop that decodes, checks and writes), and
 * by the PostgreSQL server with its backends: per event, these do not depend on what else the
 * machine is running, where events per second do. Linux only; NaN elsewhere.
 */
function cpuNow(pgDataDir: string): { hq: number; pg: number } {
  try {
    const hq = statCpuMs(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')).ms;
    const postmaster = Number(readFileSync(join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    let pg = 0;
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = statCpuMs(readFileSync(`/proc/${d}/stat`, 'utf8'));
        if (Number(d) === postmaster || st.ppid === postmaster) pg += st.ms;
      } catch {
        // The process ended while the list was read.
      }
    }
    return { hq, pg };
  } catch {
    return { hq: NaN, pg: NaN };
  }
}

/**
 * Ingest: 20,000 cash sales in batches of 500 — from one terminal, then from four terminals at
 * once (a chain's tills catching up) — against pgbench on the same server. Counts only events
 * HQ stored as applied: a quarantined one would fail the run.
 */
async function benchIngest(hq: { sql: Sql; grpcAddress: string }, credentials: string[], terminalIds: string[], pg: PostgresServer): Promise<void> {
  const EVENTS = 20_000;
  const BATCH = 500;
  const pgUrl = pg.url;
  const cpu: string[] = [];
  const push = async (from: number, count: number): Promise<number> => {
    const load: IngestLoad = { address: hq.grpcAddress, credentials: credentials.slice(from, from + count), storeId: STORE, eventsPerTerminal: EVENTS / count, batch: BATCH };
    const before = cpuNow(pg.dataDir);
    const r = await inWorker<IngestLoadResult>('ingest-load.ts', load, 'ingest load generator');
    const after = cpuNow(pg.dataDir);
    const ids = terminalIds.slice(from, from + count);
    const [{ applied } = { applied: 0 }] = await hq.sql`select count(*)::int as applied from events where terminal_id = any(${ids}::text[]) and status = 'applied'`;
    if (applied !== r.events) throw new Error(`ingest bench: ${r.events} events pushed but ${applied} applied`);
    const perEvent = (ms: number) => ((ms * 1000) / r.events).toFixed(0);
    cpu.push(`${count === 1 ? 'one terminal' : `${count} terminals`}: HQ main thread ${perEvent(after.hq - before.hq)} µs, PostgreSQL ${perEvent(after.pg - before.pg)} µs`);
    return r.events / (r.elapsedMs / 1000);
  };
  const alone = await push(0, 1);
  const together = await push(1, 4);

  execFileSync('pgbench', ['-i', '-s', '4', '-q', pgUrl], { stdio: 'ignore' });
  const out = execFileSync('pgbench', ['-c', '4', '-j', '2', '-T', '10', pgUrl], { encoding: 'utf8' });
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
  console.log(`HQ ingest (batches of ${BATCH}, load from a worker thread): one terminal ${alone.toFixed(0)} events/s   four terminals at once ${together.toFixed(0)} events/s   (target ≥ 10,000 events/s)`);
  console.log(`  pgbench TPC-B-like (4 clients) on the same server: ${tps.toFixed(0)} tps   ratio one terminal ${(alone / tps).toFixed(2)}   four terminals ${(together / tps).toFixed(2)}`);
  console.log(`  CPU per event (from /proc; 10,000 events/s leaves 100 µs of each core): ${cpu.join('   ')}`);
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
