import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoManifest } from '../bin/demo';
import { CliProcess } from './support/cli-process';

/** Every postmaster.pid under `dir`: a running (or orphaned) PostgreSQL leaves one. */
function postmasterPids(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (name === 'postmaster.pid') found.push(full);
    else if (statSync(full).isDirectory()) found.push(...postmasterPids(full));
  }
  return found;
}

describe('onecard demo (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'onecard-demo-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startDemo(): Promise<{ demo: CliProcess; manifest: DemoManifest }> {
    const demo = new CliProcess(['demo', '--data-dir', dataDir]);
    await demo.waitFor(/Ctrl-C stops everything/);
    const manifest = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoManifest;
    return { demo, manifest };
  }

  it('brings up HQ and two store terminals, tells scripts where they are, and stops cleanly on Ctrl-C', async () => {
    const { demo, manifest } = await startDemo();
    try {
      expect(demo.text).toContain(manifest.hq.http);
      expect(manifest.hq.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(manifest.terminals).toHaveLength(2);
      expect(new Set(manifest.terminals.map((t) => t.store)).size).toBe(2);
      expect(manifest.signIn.hq.login).toBe('admin');

      const health = await fetch(`${manifest.hq.http}/api/v1/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ database: 'up' });

      for (const t of manifest.terminals) {
        expect(demo.text).toContain(t.ui);
        const h = await fetch(`${t.ui}/api/health`);
        expect(h.status).toBe(200);
        expect(await h.json()).toMatchObject({ terminalId: t.id, storeId: t.store, hq: 'online' });
        const page = await fetch(`${t.ui}/`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/text\/html/);
        // The local API refuses a caller without the per-launch token.
        expect((await fetch(`${t.ui}/api/products?query=tea`)).status).toBe(401);
        expect((await fetch(`${t.ui}/api/products?query=tea`, { headers: { authorization: `Bearer ${t.token}` } })).status).toBe(200);
        // The till starts locked; the cashier the banner names signs in with the PIN or card it prints.
        const call = (method: string, path: string, body?: unknown) =>
          fetch(`${t.ui}${path}`, { method, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        expect((await call('POST', '/api/sales')).status).toBe(401);
        const cashier = manifest.signIn.cashiers.find((c) => c.store === t.store)!;
        expect(demo.text).toContain(`${cashier.login} / PIN ${cashier.pin} or card ${cashier.cardNo}`);
        expect((await call('POST', '/api/session', { cardNo: cashier.cardNo })).status).toBe(201);
        expect((await call('POST', '/api/sales')).status).toBe(201);
        // The simulated reader's panel (F11) offers the operators' cards.
        const panel = (await (await call('GET', '/api/lane/virtual')).json()) as { cards: Array<{ cardNo: string }> };
        expect(panel.cards.map((c) => c.cardNo)).toContain(cashier.cardNo);
      }
    } finally {
      const ended = await demo.stop('SIGINT');
      expect(ended.code).toBe(0);
    }
    expect(postmasterPids(dataDir)).toEqual([]);
  });

  it('a second start reuses the data: the same chain, terminals still enrolled', async () => {
    const { demo, manifest } = await startDemo();
    try {
      for (const t of manifest.terminals) {
        const h = await fetch(`${t.ui}/api/health`);
        expect(await h.json()).toMatchObject({ terminalId: t.id, hq: 'online' });
      }
    } finally {
      expect((await demo.stop('SIGINT')).code).toBe(0);
    }
    expect(postmasterPids(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'demo.json'))).toBe(true);
  });
});
