import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceFactory } from '../drivers';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { encodeVariableMeasure } from '../protocols/barcode/variable-measure';
// Tests only: the terminal's code never imports HQ.
import { startTestHq } from '../hq-server/testing/hq';
import { startTerminal, type RunningTerminal } from './index';

/**
 * A product created at HQ as sold by weight reaches the till through the pull feed; its scale
 * label, scanned on the lane's (simulated) scanner, is sold; the sale syncs and HQ accepts it
 * with its weight. Real parts: embedded PostgreSQL, gRPC over loopback, SQLite, the local API.
 */

const TERMINAL_ID = 't-sh-01-1';
const PEARS = { sku: 'SKU-PEAR-KG', barcode: '6999991000059', name: 'Pears (per kg)', nameZh: '梨 (散称)', category: 'produce', priceMinor: 990, plu: '10009', soldBy: 'weight', pricePerKgMinor: 990 };
// 28 + PLU 10009 + verifier + 1.500 kg: the demo lane's weight-label layout.
const PEARS_1500G = encodeVariableMeasure({ prefixes: ['28'], itemDigits: 5, value: 'weight', valueDigits: 4, valueCheckDigit: true }, '28', '10009', 1500);
const chainKey = new TextEncoder().encode('weighed-hq-test-key');

describe('an item sold by weight, from HQ catalog to an accepted sale', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let dir: string;
  let t: RunningTerminal;
  let sim: VirtualDevices;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, t.uiUrl), {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    dir = await mkdtemp(join(tmpdir(), 'onecard-weighed-'));
    sim = new VirtualDevices(chainKey);
    t = await startTerminal({
      dataDir: dir,
      hqAddress: hq.grpcAddress,
      enrollmentCode: await hq.enrollmentCode(TERMINAL_ID),
      syncIntervalMs: 600_000,
      devices: { config: sim.config, factory: createDeviceFactory({ simulators: sim.transports, chainKey }), panel: sim, chainKey },
      log: () => {},
    });
    await t.syncNow();
    // The store's cashier, as HQ's operator feed brought them.
    const cashier = demoChain.operators.find((o) => o.nodeId === t.storeId && o.roles.includes('cashier'))!;
    await api('POST', '/api/session', { login: cashier.login, pin: cashier.pin });
  });
  afterAll(async () => {
    await t?.stop();
    await hq?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** HQ's REST API as the chain's admin (catalog.write at HQ). */
  const hqApi = async (method: string, path: string, body?: unknown) => {
    const call = async (token: string | null, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${hq.httpUrl}/api/v1${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as any };
    };
    const session = await call(null, 'POST', '/sessions', { login: 'admin', password: 'onecard-demo' });
    return call(session.json.token as string, method, path, body);
  };

  it('HQ refuses a product sold by weight without its price per kg, and a PLU another product has', async () => {
    const { sku: _sku, ...body } = PEARS;
    expect(await hqApi('PUT', `/products/${PEARS.sku}`, { ...body, pricePerKgMinor: undefined })).toMatchObject({ status: 400, json: { error: { code: 'VALIDATION_FAILED' } } });
    expect(await hqApi('PUT', `/products/${PEARS.sku}`, { ...body, plu: '010001' })).toMatchObject({ status: 409, json: { error: { code: 'CONFLICT', message: expect.stringContaining('SKU-0067') } } });
  });

  it('a product created at HQ as sold by weight is in the till catalog after a pull', async () => {
    const { sku: _sku, ...body } = PEARS;
    const saved = await hqApi('PUT', `/products/${PEARS.sku}`, body);
    expect(saved).toMatchObject({ status: 200, json: { sku: PEARS.sku, plu: '10009', soldBy: 'weight', pricePerKgMinor: 990, active: true } });
    await t.syncNow();
    const { products } = await api('GET', '/api/products?query=10009');
    expect(products).toEqual([expect.objectContaining({ sku: PEARS.sku, plu: '10009', soldBy: 'weight', pricePerKgMinor: 990 })]);
  });

  it('its scale label is sold at the lane, the sale syncs and HQ applies it with its weight', async () => {
    sim.scan(PEARS_1500G);
    let sale: any;
    await expect.poll(async () => (sale = (await api('GET', '/api/lane')).sale)?.lines?.length ?? 0, { timeout: 15_000 }).toBe(1);
    // 1.5 kg × ¥9.90/kg = ¥14.85; and 1.234 kg of the seeded apples keyed by PLU: ¥15.80.
    expect(sale.lines[0]).toMatchObject({ sku: PEARS.sku, quantity: 1, amountMinor: 1485, measure: { grams: 1500, pricePerKgMinor: 990 } });
    sale = await api('POST', `/api/sales/${sale.id}/items`, { barcode: '10001', grams: 1234 });
    expect(sale.totalMinor).toBe(1485 + 1580);
    await api('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 3065, tenderedMinor: 5000 });
    await api('POST', `/api/lane/sales/${sale.id}/finish`);
    await t.syncNow();
    const [event] = await hq.sql`select status, reason from events where terminal_id = ${TERMINAL_ID} and kind = 'sale' and body::text like ${`%${sale.id}%`}`;
    expect(event).toMatchObject({ status: 'applied', reason: null });
    const [stored] = await hq.sql`select body from sales where id = ${sale.id}`;
    const body = typeof stored!.body === 'string' ? JSON.parse(stored!.body) : stored!.body;
    expect(body.lines.map((l: any) => [l.sku, l.amountMinor, l.measure])).toEqual([
      [PEARS.sku, 1485, { grams: 1500, pricePerKgMinor: 990 }],
      ['SKU-0067', 1580, { grams: 1234, pricePerKgMinor: 1280 }],
    ]);
  });
});
