import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { startTestHq } from '../hq-server/testing/hq';
import { startTerminal } from '../terminal';
import { SyncProxy } from './support/sync-proxy';
import { signInTill, tillCredentials } from '../terminal/testing-staff';

/** HQ shows each terminal's last contact, outbox depth and cursor lag, as the terminal reports them. */
describe("a terminal's sync status at HQ", () => {
  const root = mkdtempSync(join(tmpdir(), 'onecard-status-'));
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let proxy: SyncProxy;
  let terminal: Awaited<ReturnType<typeof startTerminal>>;
  let pushesBlocked = true;

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    // Pushes are refused on the way, pulls go through: the outbox grows while HQ hears from the till.
    proxy = await SyncProxy.start(hq.grpcAddress, { decide: (method) => ({ fault: method === 'PushEvents' && pushesBlocked ? 'drop_request' : 'pass', delayMs: 0 }) });
    terminal = await startTerminal({ dataDir: join(root, 't'), hqAddress: proxy.address, enrollmentCode: await hq.enrollmentCode('t-hz-01-1'), httpPort: 0, syncIntervalMs: 3_600_000, log: () => {} });
    // The store's cashier, from HQ's operator feed (pulls go through; the outbox is still empty).
    await terminal.syncNow();
    await signInTill(terminal.uiUrl, terminal.token, tillCredentials(demoChain, terminal.storeId).cashier);
  });

  afterAll(async () => {
    await terminal?.stop();
    await proxy?.stop();
    await hq?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function terminalsAtHq(): Promise<Array<Record<string, any>>> {
    const { token } = (await (await fetch(`${hq.httpUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: 'onecard-demo' }) })).json()) as { token: string };
    const body = (await (await fetch(`${hq.httpUrl}/api/v1/terminals`, { headers: { authorization: `Bearer ${token}` } })).json()) as { terminals?: Array<Record<string, any>> } | Array<Record<string, any>>;
    return Array.isArray(body) ? body : body.terminals ?? [];
  }

  it('HQ lists the depth and cursor lag the terminal last reported; zero of both once its pushes go through', async () => {
    const base = terminal.uiUrl.replace(/\/$/, '');
    const call = async (method: string, path: string, body?: unknown) =>
      (await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${terminal.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<Record<string, any>>;
    const product = demoChain.products[1]!;
    for (let i = 0; i < 2; i++) {
      const sale = await call('POST', '/api/sales');
      await call('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode });
      await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: product.priceMinor, tenderedMinor: product.priceMinor });
      await call('POST', `/api/sales/${sale.id}/complete`);
    }
    await expect(terminal.syncNow()).rejects.toBeDefined();
    expect((await call('GET', '/api/health')).outboxDepth).toBe(2);
    const [during] = await hq.sql<Array<{ outbox_depth: number | null }>>`select outbox_depth from terminals where id = 't-hz-01-1'`;
    // What HQ last heard came with the first pull, before the sales: nothing was waiting then.
    expect(during!.outbox_depth).toBe(0);

    pushesBlocked = false;
    await terminal.syncNow();
    const after = (await terminalsAtHq()).find((t) => t.id === 't-hz-01-1')!;
    expect(after).toMatchObject({ outboxDepth: 0, cursorLag: 0 });
    expect(after.lastContactAt).not.toBeNull();
  });
});
