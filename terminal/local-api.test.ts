import { afterEach, describe, expect, it } from 'vitest';
import { request, type Server } from 'node:http';
import { demoChain } from '../fixtures/data/demo-chain';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import type { Checkout } from './checkout';
import { openTestTerminal } from './testing';
import { cardOf, seedTillOperators, signInTill, testStaff, TILL_MANAGER } from './testing-staff';

const TOKEN = 'a'.repeat(64);
let server: Server | null = null;

afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

async function start() {
  const t = openTestTerminal(demoChain);
  await seedTillOperators(t.db);
  const logged: string[] = [];
  const app = createLocalApi({
    checkout: t.checkout,
    services: t.services,
    db: t.db,
    terminal: t.terminal,
    token: TOKEN,
    link: () => ({ hq: 'offline', lastContactAt: null }),
    log: (m) => logged.push(m),
    staff: testStaff(t),
  });
  const listening = await listenLocalApi(app, '127.0.0.1', 0);
  server = listening.server;
  await signInTill(listening.url, TOKEN);
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN, raw?: string) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${listening.url}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    return { status: res.status, json: (await res.json()) as any };
  };
  return { t, url: listening.url, call, logged };
}

describe('local API', () => {
  it('answers health without a token, with the HQ link and outbox depth', async () => {
    const { call } = await start();
    const r = await call('GET', '/api/health', undefined, null);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', terminalId: 't-test-1', storeId: 'store-sh-01', hq: 'offline', outboxDepth: 0, lastContactAt: null, offlineUnsynced: { totalMinor: 0, count: 0 } });
  });

  it('refuses every other route without the token, or with a wrong one', async () => {
    const { call } = await start();
    for (const [method, path] of [['POST', '/api/sales'], ['GET', '/api/products'], ['GET', '/api/cards/8F3A21C4'], ['POST', '/api/top-ups']] as const) {
      const r = await call(method, path, undefined, null);
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('UNAUTHENTICATED');
    }
    expect((await call('POST', '/api/sales', undefined, 'b'.repeat(64))).status).toBe(401);
  });

  it('refuses malformed bodies with 400 VALIDATION_FAILED and changes nothing', async () => {
    const { call } = await start();
    const sale = (await call('POST', '/api/sales')).json;
    const bad = [
      await call('POST', `/api/sales/${sale.id}/items`, { barcode: 123 }),
      await call('POST', `/api/sales/${sale.id}/items`, undefined, TOKEN, '{"barcode":'),
      await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 12.5 }),
      await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 2 ** 60 }),
      await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cheque', amountMinor: 100 }),
      await call('POST', '/api/top-ups', { cardNo: '8F3A21C4', principalMinor: '100', tender: 'cash' }),
      await call('POST', '/api/top-ups', { cardNo: '8F3A21C4', principalMinor: 100, tender: 'cash', extra: 1 }),
      await call('DELETE', `/api/sales/${sale.id}/items/abc`),
    ];
    for (const r of bad) {
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await call('GET', `/api/sales/${sale.id}`)).json.lines).toEqual([]);
    expect((await call('GET', '/api/health', undefined, null)).json.outboxDepth).toBe(0);
  });

  it('takes a member cash sale from open to completed, with refusals by code on the way', async () => {
    const { call } = await start();
    const sale = (await call('POST', '/api/sales')).json;
    expect(sale.status).toBe('open');
    expect((await call('POST', `/api/sales/${sale.id}/items`, { barcode: '6900000000000' })).json.error.code).toBe('UNKNOWN_BARCODE');
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: '6901028001014', quantity: 2 });
    const withTea = await call('POST', `/api/sales/${sale.id}/items`, { barcode: '6902083001124' });
    expect(withTea.json.display.total).toBe('9.00');
    // The cashier may not void a line; the store manager's card in the request allows it.
    expect((await call('DELETE', `/api/sales/${sale.id}/items/2`, { supervisor: cardOf(TILL_MANAGER) })).json.totalMinor).toBe(600);
    const frozen = await call('POST', `/api/sales/${sale.id}/member`, { cardNo: '8888000100000030' });
    expect([frozen.status, frozen.json.error.code]).toEqual([422, 'CARD_FROZEN']);
    expect((await call('POST', `/api/sales/${sale.id}/member`, { cardNo: 'NOPE' })).status).toBe(404);
    expect((await call('POST', `/api/sales/${sale.id}/member`, { cardNo: '8F3A21C4' })).json.member.name).toBe('张伟');
    // HQ is unreachable: over the per-payment offline limit (500.00 by default) is refused.
    const sv = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 50_001 });
    expect([sv.status, sv.json.error.code]).toEqual([422, 'OVERPAID']);
    const notPaid = await call('POST', `/api/sales/${sale.id}/complete`);
    expect([notPaid.status, notPaid.json.error.code]).toEqual([422, 'SALE_NOT_PAID']);
    expect((await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 601 })).json.error.code).toBe('OVERPAID');
    const paid = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 600, tenderedMinor: 1000 });
    expect(paid.json.display).toEqual({ total: '6.00', paid: '6.00', due: '0.00', change: '4.00' });
    const done = await call('POST', `/api/sales/${sale.id}/complete`);
    expect(done.status).toBe(200);
    expect(done.json.status).toBe('completed');
    expect(done.json.pointsEarned).toBe(12);
    const again = await call('POST', `/api/sales/${sale.id}/complete`);
    expect([again.status, again.json.error.code]).toEqual([409, 'SALE_NOT_OPEN']);
    // The sale, and the manager's approval of the void (reported to HQ's audit log).
    expect((await call('GET', '/api/health', undefined, null)).json.outboxDepth).toBe(2);
    const card = await call('GET', '/api/cards/8F3A21C4');
    expect(card.json).toMatchObject({ points: 18662, principalMinor: 186000, display: { principal: '1860.00', bonus: '280.00' }, level: { code: 'diamond' } });
    expect((await call('GET', '/api/sales/nope')).status).toBe(404);
  });

  it('tops up a card and finds products', async () => {
    const { call } = await start();
    const r = await call('POST', '/api/top-ups', { cardNo: '5B7E0D92', principalMinor: 50_000, tender: 'cash' });
    expect(r.status).toBe(201);
    expect(r.json.display).toMatchObject({ principal: '500.00', bonus: '50.00' });
    const p = await call('GET', '/api/products?query=' + encodeURIComponent('可乐'));
    expect(p.json.products.map((x: { sku: string }) => x.sku)).toEqual(['SKU-0001', 'SKU-0002']);
  });

  it('answers 500 to an unexpected failure and logs it with the route', async () => {
    const t = openTestTerminal(demoChain);
    const logged: string[] = [];
    const broken = { openSale: () => { throw new Error('disk on fire'); } } as unknown as Checkout;
    await seedTillOperators(t.db);
    const app = createLocalApi({ checkout: broken, services: t.services, db: t.db, terminal: t.terminal, token: TOKEN, link: () => ({ hq: 'offline', lastContactAt: null }), log: (m) => logged.push(m), staff: testStaff(t) });
    const listening = await listenLocalApi(app, '127.0.0.1', 0);
    server = listening.server;
    await signInTill(listening.url, TOKEN);
    const res = await fetch(`${listening.url}/api/sales`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INTERNAL');
    expect(logged.join('\n')).toMatch(/POST \/api\/sales failed unexpectedly: Error: disk on fire/);
  });

  it('serves the cashier page with the token for a browser on this machine', async () => {
    const { url } = await start();
    const html = await (await fetch(url)).text();
    expect(html).toContain(`<meta name="onecard-token" content="${TOKEN}">`);
    expect(html).toContain('id="barcode"');
    // A page reached under another site's name (DNS rebinding) gets no token.
    const port = new URL(url).port;
    const rebound = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toContain('id="barcode"');
    expect(rebound).not.toContain(TOKEN);
  });
});
