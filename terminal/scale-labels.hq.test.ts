import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScaleLabelLayout } from '../core/weighed';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { startTestHq } from '../hq-server/testing/hq';
import { startTerminal, type RunningTerminal } from './index';
import { jsonCaller } from './testing-http';
import { signInTillWhenFed, tillCredentials } from './testing-staff';
import { DEFAULT_WEIGHT, DEFAULT_PRICE, CHAIN_WEIGHT, CHAIN_PRICE, STORE_WEIGHT, APPLES_DEFAULT, APPLES_CHAIN, APPLES_STORE, DUCK_DEFAULT, DUCK_CHAIN } from './testing-scale-labels';

/**
 * Scale-label layouts as a chain setting HQ feeds to its tills. One till has no devices.json at
 * all; the other has one whose scanner (serial-lines over a real TCP socket) first configures no
 * layouts, then its own. Real parts: embedded PostgreSQL, gRPC over loopback, SQLite, HQ's REST
 * API, the tills' local APIs, the scanner driver over TCP.
 */

const APPLES_LINE = { sku: 'SKU-0067', quantity: 1, amountMinor: 1580, measure: { grams: 1234, pricePerKgMinor: 1280 } };
const DUCK_LINE = { sku: 'SKU-0070', quantity: 1, amountMinor: 2345, measure: { grams: 500, pricePerKgMinor: 4690, weightDerived: true } };

describe('scale-label layouts fed by HQ to tills with and without devices.json', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let dirs: string[] = [];
  let bare: RunningTerminal;
  let lane: RunningTerminal | undefined;
  let laneDir: string;
  let scannerPort: Server;
  const scannerSockets: Socket[] = [];
  // The store manager: sells, and cancels each test sale (sale.void) so the next starts empty.
  const manager = tillCredentials(demoChain, 'store-sh-01').manager;

  const tillApi = (t: () => RunningTerminal) => jsonCaller(() => t().uiUrl, () => t().token);
  const bareApi = tillApi(() => bare);
  const laneApi = tillApi(() => lane!);
  let adminToken = '';
  const hqApi = jsonCaller(() => `${hq.httpUrl}/api/v1`, () => adminToken);

  /** Starts the till at the lane, with `devicesJson` as its devices.json; its scanner connects to our TCP port. */
  async function startLane(devicesJson: unknown): Promise<void> {
    await lane?.stop();
    const devicesFile = join(laneDir, 'devices.json');
    await writeFile(devicesFile, JSON.stringify(devicesJson));
    const connected = new Promise<void>((resolve) => scannerPort.once('connection', () => resolve()));
    lane = await startTerminal({
      dataDir: laneDir,
      hqAddress: hq.grpcAddress,
      ...(lane ? {} : { enrollmentCode: await hq.enrollmentCode('t-sh-01-2') }),
      syncIntervalMs: 600_000,
      devicesFile,
      log: () => {},
    });
    await connected;
    await signInTillWhenFed(lane.uiUrl, lane.token, manager);
  }

  const scanner = (variableMeasure?: ScaleLabelLayout[]) => ({
    version: 1,
    devices: [
      { name: 'scanner', class: 'scanner', transport: { type: 'tcp', host: '127.0.0.1', port: (scannerPort.address() as { port: number }).port }, protocol: 'serial-lines', ...(variableMeasure ? { variableMeasure } : {}) },
    ],
  });

  /** A label typed into a fresh sale at a till: the line it made, or the refusal's code. */
  async function typed(api: ReturnType<typeof tillApi>, code: string): Promise<unknown> {
    const sale = await api('POST', '/api/sales');
    const r = await api('POST', `/api/sales/${sale.json.id}/items`, { barcode: code });
    expect((await api('POST', `/api/sales/${sale.json.id}/cancel`, {})).status).toBe(200);
    if (r.status !== 200) return { refused: r.json.error.code };
    const { sku, quantity, amountMinor, measure } = r.json.lines[0];
    return { sku, quantity, amountMinor, measure };
  }

  /** A label scanned at the lane: the line it added to the lane's current sale (which is then cancelled). */
  async function scanned(code: string): Promise<unknown> {
    scannerSockets.at(-1)!.write(`${code}\r\n`);
    let sale: any;
    await expect.poll(async () => (sale = (await laneApi('GET', '/api/lane')).json.sale)?.lines?.length ?? 0, { timeout: 15_000 }).toBe(1);
    expect((await laneApi('POST', `/api/sales/${sale.id}/cancel`, {})).status).toBe(200);
    const { sku, quantity, amountMinor, measure } = sale.lines[0];
    return { sku, quantity, amountMinor, measure };
  }

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    adminToken = (await hqApi('POST', '/sessions', { login: 'admin', password: 'onecard-demo' })).json.token;
    scannerPort = createServer((socket) => void scannerSockets.push(socket));
    await new Promise<void>((listening) => scannerPort.listen(0, '127.0.0.1', listening));
    const bareDir = await mkdtemp(join(tmpdir(), 'onecard-labels-bare-'));
    laneDir = await mkdtemp(join(tmpdir(), 'onecard-labels-lane-'));
    dirs = [bareDir, laneDir];
    // No devices.json: neither a file nor ONECARD_DEVICES.
    expect(process.env.ONECARD_DEVICES).toBeUndefined();
    bare = await startTerminal({ dataDir: bareDir, hqAddress: hq.grpcAddress, enrollmentCode: await hq.enrollmentCode('t-sh-01-1'), syncIntervalMs: 600_000, log: () => {} });
    await signInTillWhenFed(bare.uiUrl, bare.token, manager);
    await startLane(scanner());
  });
  afterAll(async () => {
    await lane?.stop();
    await bare?.stop();
    for (const s of scannerSockets) s.destroy();
    await new Promise((closed) => scannerPort?.close(closed));
    await hq?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("HQ holds the chain's default layouts, and a till with no devices.json sells a typed weight label at its weight: 1.234 kg × ¥12.80 = ¥15.80", async () => {
    expect((await hqApi('GET', '/settings/scaleLabelLayouts')).json).toEqual({ key: 'scaleLabelLayouts', value: [DEFAULT_WEIGHT, DEFAULT_PRICE] });
    expect(await typed(bareApi, APPLES_DEFAULT)).toEqual(APPLES_LINE);
    expect(await typed(bareApi, DUCK_DEFAULT)).toEqual(DUCK_LINE);
  });

  it("a till whose devices.json scanner sets no layouts reads a scanned label with the chain's", async () => {
    expect(await scanned(APPLES_DEFAULT)).toEqual(APPLES_LINE);
  });

  it('HQ sets other layouts; after a sync both tills read labels with them, and the old labels are ordinary barcodes', async () => {
    const put = await hqApi('PUT', '/settings/scaleLabelLayouts', { value: [CHAIN_WEIGHT, CHAIN_PRICE] });
    expect(put).toMatchObject({ status: 200, json: { value: [CHAIN_WEIGHT, CHAIN_PRICE], before: [DEFAULT_WEIGHT, DEFAULT_PRICE] } });
    await bare.syncNow();
    await lane!.syncNow();
    expect(await typed(bareApi, APPLES_CHAIN)).toEqual(APPLES_LINE);
    expect(await typed(bareApi, DUCK_CHAIN)).toEqual(DUCK_LINE);
    expect(await typed(bareApi, APPLES_DEFAULT)).toEqual({ refused: 'UNKNOWN_BARCODE' });
    expect(await scanned(APPLES_CHAIN)).toEqual(APPLES_LINE);
  });

  it('HQ refuses layouts the label decoder cannot read, with the reason, and nothing changes', async () => {
    const feedTop = async () => Number((await hq.sql`select coalesce(max(seq), 0)::bigint as seq from change_log`)[0]!.seq);
    const audits = async () => Number((await hq.sql`select count(*)::int as n from audit_log where action = 'setting.changed'`)[0]!.n);
    const [feed, audited] = [await feedTop(), await audits()];
    const refusals: Array<[unknown, string]> = [
      [[{ ...CHAIN_WEIGHT, itemDigits: 6 }], 'setting "scaleLabelLayouts": 0: variable-measure layout with prefix "21" adds up to 14 digits, not 13'],
      [[DEFAULT_PRICE, DEFAULT_WEIGHT], 'setting "scaleLabelLayouts": 1.prefixes: prefix "28" is never read with this layout: layout 0 before it reads every code starting with "2"'],
      [[{ ...CHAIN_WEIGHT, prefixes: ['31'] }], 'setting "scaleLabelLayouts": 0.prefixes.0:'],
      [[{ ...CHAIN_WEIGHT, value: 'volume' }], 'setting "scaleLabelLayouts": 0.value:'],
      [CHAIN_WEIGHT, 'setting "scaleLabelLayouts": (value):'],
    ];
    for (const [value, message] of refusals) {
      const r = await hqApi('PUT', '/settings/scaleLabelLayouts', { value });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
      expect(r.json.error.message).toContain(message);
    }
    expect((await hqApi('GET', '/settings/scaleLabelLayouts')).json.value).toEqual([CHAIN_WEIGHT, CHAIN_PRICE]);
    expect([await feedTop(), await audits()]).toEqual([feed, audited]);
    await bare.syncNow();
    expect(await typed(bareApi, APPLES_CHAIN)).toEqual(APPLES_LINE);
  });

  it("a store's devices.json layouts still win over the chain's, typed or scanned", async () => {
    await startLane(scanner([STORE_WEIGHT]));
    expect(await typed(laneApi, APPLES_STORE)).toEqual(APPLES_LINE);
    expect(await scanned(APPLES_STORE)).toEqual(APPLES_LINE);
    expect(await typed(laneApi, APPLES_CHAIN)).toEqual({ refused: 'UNKNOWN_BARCODE' });
    // The chain's layouts still hold at the till without a devices.json.
    expect(await typed(bareApi, APPLES_CHAIN)).toEqual(APPLES_LINE);
  });
});
