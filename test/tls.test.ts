import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq } from '../hq-server';
import { startTerminal } from '../terminal';
import { signInTill, tillCredentials } from '../terminal/testing-staff';

/** A terminal talks to HQ over TLS when given HQ's CA; without it, the handshake fails and nothing is sent. */
describe('terminal ↔ HQ over TLS', () => {
  const root = mkdtempSync(join(tmpdir(), 'onecard-tls-'));
  const certFile = join(root, 'hq.crt');
  const keyFile = join(root, 'hq.key');
  let hq: Awaited<ReturnType<typeof startHq>>;

  beforeAll(async () => {
    // How an operator makes a self-signed certificate for HQ (README, "TLS").
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=onecard-hq', '-addext', 'subjectAltName=DNS:onecard-hq,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    hq = await startHq({ dataDir: join(root, 'hq'), httpPort: 0, grpcPort: 0, tls: { certFile, keyFile }, log: () => {} });
    await seedChain(hq.sql, demoChain);
  });

  afterAll(async () => {
    await hq?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('enrolls, sells and syncs over TLS', async () => {
    const terminal = await startTerminal({ dataDir: join(root, 't1'), hqAddress: hq.grpcAddress, hqCaFile: certFile, enrollmentCode: await createEnrollmentCode(hq.sql, 't-sh-01-1'), httpPort: 0, log: () => {} });
    try {
      // The store's cashier, from HQ's operator feed (over TLS too).
      await terminal.syncNow();
      await signInTill(terminal.uiUrl, terminal.token, tillCredentials(demoChain, terminal.storeId).cashier);
      const base = terminal.uiUrl.replace(/\/$/, '');
      const call = async (method: string, path: string, body?: unknown) =>
        (await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${terminal.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<Record<string, any>>;
      const product = demoChain.products[0]!;
      const sale = await call('POST', '/api/sales');
      await call('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode });
      await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: product.priceMinor, tenderedMinor: product.priceMinor });
      expect((await call('POST', `/api/sales/${sale.id}/complete`)).status).toBe('completed');
      await terminal.syncNow();
      expect(await call('GET', '/api/health')).toMatchObject({ hq: 'online', outboxDepth: 0 });
      const [row] = await hq.sql<Array<{ n: number }>>`select count(*)::int as n from sales where id = ${sale.id}`;
      expect(row!.n).toBe(1);
    } finally {
      await terminal.stop();
    }
  });

  it('a terminal that does not trust HQ cannot enroll', async () => {
    const code = await createEnrollmentCode(hq.sql, 't-sh-01-2');
    await expect(startTerminal({ dataDir: join(root, 't2'), hqAddress: hq.grpcAddress, enrollmentCode: code, httpPort: 0, log: () => {} })).rejects.toMatchObject({ code: 'HQ_OFFLINE' });
  });
});
