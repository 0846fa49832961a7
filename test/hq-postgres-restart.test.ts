import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeCashAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq, type Sql } from '../hq-server';
import { CliProcess } from './support/cli-process';
import { PostgresServer } from './support/postgres-server';
import { SyncProxy } from './support/sync-proxy';
import { signInTillWhenFed, tillCredentials } from '../terminal/testing-staff';

/**
 * HQ's PostgreSQL (an external server, reached by DATABASE_URL) is restarted with
 * `pg_ctl restart -m fast` while a terminal's big push is being applied. Afterwards every
 * event is applied exactly once and the money adds up.
 */

const SALES = 600;
const TERMINAL_ID = 't-hz-01-1';
const STORE_ID = 'store-hz-01';
const product = demoChain.products.find((p) => p.priceMinor > 0)!;

describe('HQ PostgreSQL restarted in the middle of a push', () => {
  const root = mkdtempSync(join(tmpdir(), 'onecard-pgrestart-'));
  let hq: Awaited<ReturnType<typeof startHq>>;
  let sql: Sql;
  let proxy: SyncProxy;
  let terminal: CliProcess;
  let ui = '';
  let token = '';
  let restarts = 0;
  let restarted: Promise<void> = Promise.resolve();
  let pg: PostgresServer;

  beforeAll(async () => {
    pg = await PostgresServer.start(root);
    hq = await startHq({ databaseUrl: pg.url, dataDir: join(root, 'hq'), httpPort: 0, grpcPort: 0, log: () => {} });
    sql = hq.sql;
    await seedChain(sql, demoChain);
    proxy = await SyncProxy.start(hq.grpcAddress, {
      decide: () => ({ fault: 'pass', delayMs: 0 }),
      onForward: (method) => {
        // The first big push after the terminal comes back: restart PostgreSQL under it.
        if (method === 'PushEvents' && restarts === 0 && pushAllowed) {
          restarts += 1;
          restarted = new Promise((done) => setImmediate(() => {
            pg.restart();
            done();
          }));
        }
      },
    });
    // The terminal runs as its own process, as in a store.
    terminal = new CliProcess(['terminal', '--hq', proxy.address, '--enroll', await createEnrollmentCode(sql, TERMINAL_ID), '--data-dir', join(root, 'terminal'), '--port', '0', '--no-devices']);
    ui = (await terminal.waitFor(/cashier UI: (http:\/\/\S+?)\/?\s/))[1]!;
    token = (await terminal.waitFor(/local API token: (\S+)/))[1]!;
    // The store's cashier, from HQ's operator feed.
    await signInTillWhenFed(ui, token, tillCredentials(demoChain, demoChain.terminals.find((t) => t.id === TERMINAL_ID)!.storeId).cashier);
  });

  let pushAllowed = false;

  afterAll(async () => {
    await terminal?.stop('SIGINT');
    await proxy?.stop();
    await hq?.stop();
    pg?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ui}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  it('applies every event exactly once after the restart', async () => {
    // The store sells while cut off from HQ, piling up its outbox.
    proxy.cut();
    for (let i = 0; i < SALES; i++) {
      const sale = await api('POST', '/api/sales');
      await api('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode, quantity: 1 + (i % 3) });
      const total = product.priceMinor * (1 + (i % 3));
      await api('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: total, tenderedMinor: total });
      await api('POST', `/api/sales/${sale.id}/complete`);
    }
    expect((await api('GET', '/api/health')).outboxDepth).toBe(SALES);

    pushAllowed = true;
    proxy.heal();
    // The terminal retries on its own, with back-off, until HQ answers again.
    const deadline = Date.now() + 180_000;
    while ((await api('GET', '/api/health')).outboxDepth > 0) {
      if (Date.now() > deadline) throw new Error('the outbox never drained after the PostgreSQL restart');
      await new Promise((r) => setTimeout(r, 200));
    }
    await restarted;
    expect(restarts).toBe(1);

    const events = await sql<Array<{ seq: number; status: string }>>`select seq, status from events where terminal_id = ${TERMINAL_ID} order by seq`;
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: SALES }, (_, i) => i + 1));
    expect(events.every((e) => e.status === 'applied')).toBe(true);
    const [sales] = await sql<Array<{ n: number }>>`select count(*)::int as n from sales where terminal_id = ${TERMINAL_ID}`;
    expect(sales!.n).toBe(SALES);

    const expectedCash = Array.from({ length: SALES }, (_, i) => product.priceMinor * (1 + (i % 3))).reduce((a, b) => a + b, 0);
    const [cash] = await sql<Array<{ debits: number }>>`select debits_posted as debits from accounts where id = ${storeCashAccountId(STORE_ID)}`;
    expect(cash!.debits).toBe(expectedCash);
    // Every cached balance is the sum of its transfers.
    const drift = await sql`
      select a.id from accounts a
      left join (select debit_account_id id, sum(amount) s from transfers where kind in ('single','post_pending') group by 1) d on d.id = a.id
      left join (select credit_account_id id, sum(amount) s from transfers where kind in ('single','post_pending') group by 1) c on c.id = a.id
      where a.debits_posted <> coalesce(d.s, 0) or a.credits_posted <> coalesce(c.s, 0)`;
    expect(drift).toEqual([]);
  });
});
