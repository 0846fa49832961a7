import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { gtinCheckDigit } from '../protocols/barcode/gtin';
import { encodeVariableMeasure, type VariableMeasureLayout } from '../protocols/barcode/variable-measure';
import { scaleLabelLayouts } from './devices';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { allEvents } from './outbox';
import { openTestTerminal, type TestTerminal } from './testing';
import { seedTillOperators, signInTill, testStaff } from './testing-staff';

// The demo lane's layouts, as its devices config gives them to the checkout (terminal/index.ts).
const LANE_LAYOUTS = scaleLabelLayouts(new VirtualDevices(new TextEncoder().encode('typed-label-key')).config);
const WEIGHT = LANE_LAYOUTS.find((l) => l.value === 'weight') as VariableMeasureLayout;
const PRICE = LANE_LAYOUTS.find((l) => l.value === 'price') as VariableMeasureLayout;
const APPLES_1234G = encodeVariableMeasure(WEIGHT, '28', '10001', 1234); // 苹果 ¥12.80/kg
const DUCK_2345 = encodeVariableMeasure(PRICE, '2', '020001', 2345); // 卤鸭 ¥46.90/kg, printed ¥23.45
const COLA = '6901028001014';
const TOKEN = 'c'.repeat(64);

describe('a scale label typed at the till (POST /api/sales/:id/items)', () => {
  let t: TestTerminal;
  let server: Server;
  let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;

  beforeAll(async () => {
    t = openTestTerminal(demoChain, { checkout: { scaleLabelLayouts: LANE_LAYOUTS } });
    await seedTillOperators(t.db);
    const app = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token: TOKEN, link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {}, staff: testStaff(t) });
    const listening = await listenLocalApi(app, '127.0.0.1', 0);
    server = listening.server;
    await signInTill(listening.url, TOKEN);
    call = async (method, path, body) => {
      const res = await fetch(`${listening.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: await res.json() };
    };
  });
  afterAll(async () => {
    await closeServer(server);
    t.db.close();
  });

  const newSale = async () => (await call('POST', '/api/sales')).json.id as string;

  it('the layouts come from the lane scanner configuration: weight labels 28…, price labels 2…', () => {
    expect(LANE_LAYOUTS.map((l) => [l.prefixes, l.value])).toEqual([
      [['28'], 'weight'],
      [['2'], 'price'],
    ]);
  });

  it('a weight label typed by hand is the PLU at its weight, as the scan adds it: 1.234 kg × ¥12.80/kg = ¥15.80', async () => {
    const id = await newSale();
    const r = await call('POST', `/api/sales/${id}/items`, { barcode: APPLES_1234G });
    expect(r.status).toBe(200);
    expect(r.json.lines).toEqual([expect.objectContaining({ sku: 'SKU-0067', barcode: APPLES_1234G, quantity: 1, unitPriceMinor: 1580, amountMinor: 1580, measure: { grams: 1234, pricePerKgMinor: 1280 } })]);
    expect(r.json.totalMinor).toBe(1580);
    // The same line a scanned label makes.
    const scanned = t.checkout.openSale();
    const line = t.checkout.addScaleLabel(scanned.id, { itemCode: '10001', value: 'weight', amount: 1234 }, APPLES_1234G).lines[0]!;
    expect(r.json.lines[0]).toMatchObject({ sku: line.sku, barcode: line.barcode, name: line.name, unitPriceMinor: line.unitPriceMinor, amountMinor: line.amountMinor, measure: line.measure });
  });

  it('a price label typed by hand is the printed price with the weight worked back; a second label is a line of its own', async () => {
    const id = await newSale();
    await call('POST', `/api/sales/${id}/items`, { barcode: DUCK_2345 });
    const r = await call('POST', `/api/sales/${id}/items`, { barcode: DUCK_2345 });
    expect(r.json.lines.map((l: any) => [l.barcode, l.amountMinor, l.measure])).toEqual([
      [DUCK_2345, 2345, { grams: 500, pricePerKgMinor: 4690, weightDerived: true }],
      [DUCK_2345, 2345, { grams: 500, pricePerKgMinor: 4690, weightDerived: true }],
    ]);
    expect(r.json.totalMinor).toBe(4690);
  });

  it('a wrong EAN check digit or a wrong weight verifier is BAD_CHECK_DIGIT, an unknown PLU is UNKNOWN_PLU, and nothing changes', async () => {
    const id = await newSale();
    await call('POST', `/api/sales/${id}/items`, { barcode: COLA });
    const before = (await call('GET', `/api/sales/${id}`)).json;
    const eventsBefore = allEvents(t.db).length;
    const wrongEan = APPLES_1234G.slice(0, 12) + String((Number(APPLES_1234G[12]) + 1) % 10);
    const verifierBody = APPLES_1234G.slice(0, 7) + String((Number(APPLES_1234G[7]) + 1) % 10) + APPLES_1234G.slice(8, 12);
    const wrongVerifier = verifierBody + String(gtinCheckDigit(verifierBody));
    for (const barcode of [wrongEan, wrongVerifier]) {
      const r = await call('POST', `/api/sales/${id}/items`, { barcode });
      expect(r.status).toBe(422);
      expect(r.json.error.code).toBe('BAD_CHECK_DIGIT');
    }
    for (const barcode of [encodeVariableMeasure(WEIGHT, '28', '99999', 500), encodeVariableMeasure(PRICE, '2', '100001', 1250)]) {
      const r = await call('POST', `/api/sales/${id}/items`, { barcode });
      expect(r.json.error.code).toBe('UNKNOWN_PLU');
    }
    // A label keyed with a quantity is refused: one line per label.
    expect((await call('POST', `/api/sales/${id}/items`, { barcode: APPLES_1234G, quantity: 2 })).json.error.code).toBe('VALIDATION_FAILED');
    expect((await call('GET', `/api/sales/${id}`)).json).toEqual(before);
    expect(allEvents(t.db)).toHaveLength(eventsBefore);
  });

  it('an ordinary EAN-13 outside every label prefix still sells by its barcode', async () => {
    const id = await newSale();
    const r = await call('POST', `/api/sales/${id}/items`, { barcode: COLA });
    expect(r.json.lines).toMatchObject([{ barcode: COLA, quantity: 1, amountMinor: 300 }]);
  });
});
