import { mkdtemp, rm } from 'node:fs/promises';
import { jsonCaller } from './testing-http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from '../hq-server/index';
import { startTerminal, type RunningTerminal } from './index';

/**
 * Operators' work at the till against a real HQ: a sale with a price override and a manual
 * discount is accepted by HQ's own recomputation (not quarantined), and so is the refund of its
 * discounted line; sales and refunds carry their cashier into HQ's cashier report; the refund
 * limit is HQ's setting.
 */
describe('checkout overrides: terminal against a real HQ', () => {
  const dirs: string[] = [];
  let hq: RunningHq;
  let terminal: RunningTerminal;
  let hqToken: string;
  const manager = { login: 'sh01.manager', pin: '5100' };
  const DETERGENT = '6902865001182'; // 洗衣液 2kg ¥39.90
  const BUTTER = '9415123000218'; // ¥32.90
  let saleId = '';
  let saleTotal = 0;

  const hqCall = jsonCaller(() => `${hq.httpUrl}/api/v1`, () => hqToken);
  const till = jsonCaller(() => terminal.uiUrl, () => terminal.token);
  const events = async (kind: string) => (await hq.sql`select status, reason from events where terminal_id = 't-sh-01-1' and kind = ${kind} order by seq`) as Array<{ status: string; reason: string | null }>;

  beforeAll(async () => {
    const hqDir = await mkdtemp(join(tmpdir(), 'onecard-overrides-hq-'));
    const tDir = await mkdtemp(join(tmpdir(), 'onecard-overrides-terminal-'));
    dirs.push(hqDir, tDir);
    hq = await startHq({ dataDir: hqDir, httpPort: 0, grpcPort: 0, log: () => {}, jobs: false });
    await seedChain(hq.sql, demoChain);
    hqToken = (await hqCall('POST', '/sessions', { login: 'admin', password: 'onecard-demo' })).json.token;
    terminal = await startTerminal({ dataDir: tDir, hqAddress: hq.grpcAddress, enrollmentCode: await createEnrollmentCode(hq.sql, 't-sh-01-1'), syncIntervalMs: 600_000, log: () => {} });
    await terminal.syncNow();
  }, 60_000);
  afterAll(async () => {
    await terminal?.stop();
    await hq?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('a sale with a price override and a 10% manual discount, approved by the manager’s PIN, is accepted at HQ with its cashier', async () => {
    expect((await till('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' })).status).toBe(201);
    const sale = (await till('POST', '/api/sales')).json;
    saleId = sale.id;
    await till('POST', `/api/sales/${sale.id}/items`, { barcode: DETERGENT });
    await till('POST', `/api/sales/${sale.id}/items`, { barcode: BUTTER });
    expect(await till('POST', `/api/sales/${sale.id}/items/1/price`, { unitPriceMinor: 3000, reason: '包装破损' })).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN', details: { needsSupervisor: true } } } });
    const overridden = await till('POST', `/api/sales/${sale.id}/items/1/price`, { unitPriceMinor: 3000, reason: '包装破损', supervisor: manager });
    expect(overridden).toMatchObject({ status: 200, json: { lines: [{ unitPriceMinor: 3000, priceOverride: { listUnitPriceMinor: 3990, approvedBy: 'op-sh-01-manager' } }, {}] } });
    expect((await till('POST', `/api/sales/${sale.id}/discounts`, { percent: '10', reason: '老顾客' })).status).toBe(403);
    const discounted = await till('POST', `/api/sales/${sale.id}/discounts`, { percent: '10', rounding: 'HALF_UP', reason: '老顾客', supervisor: manager });
    expect(discounted.status).toBe(201);
    // ¥30.00 + ¥32.90 = ¥62.90; 10% off is ¥6.29, so ¥56.61 to pay.
    expect(overridden.json.totalMinor).toBe(6290);
    expect(discounted.json.manualDiscounts[0].discountMinor).toBe(629);
    saleTotal = discounted.json.totalMinor;
    expect(saleTotal).toBe(5661);
    await till('POST', `/api/sales/${sale.id}/tenders`, { kind: 'bank_card', amountMinor: saleTotal - 1000, reference: 'AUTH-OV-1' });
    await till('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 1000, tenderedMinor: 1000 });
    expect((await till('POST', `/api/sales/${sale.id}/complete`)).json.status).toBe('completed');
    await terminal.syncNow();

    expect(await events('sale')).toEqual([{ status: 'applied', reason: null }]);
    const [row] = await hq.sql`select cashier_id, total_minor, body from sales where id = ${sale.id}`;
    expect(row).toMatchObject({ cashier_id: 'op-sh-01-cashier-1', total_minor: saleTotal });
    const body = typeof row!.body === 'string' ? JSON.parse(row!.body) : row!.body;
    expect(body.manualDiscounts).toMatchObject([{ kind: 'percent', percent: '10', reason: '老顾客', approvedBy: 'op-sh-01-manager' }]);
    expect(body.lines[0].priceOverride).toMatchObject({ listUnitPriceMinor: 3990, reason: '包装破损' });
    // The approvals reached HQ's audit log too, with before and after.
    const audit = (await hqCall('GET', '/audit?action=till.override.granted')).json.entries as Array<{ details: Record<string, unknown> }>;
    expect(audit.map((a) => a.details.action).sort()).toEqual(['manual_discount', 'price_override']);
    expect(audit.find((a) => a.details.action === 'price_override')!.details).toMatchObject({ beforeUnitPriceMinor: 3990, afterUnitPriceMinor: 3000, supervisorId: 'op-sh-01-manager' });
  });

  it('the refund limit is HQ’s setting: lowered to ¥10.00, refunding the discounted detergent needs the manager; HQ accepts the refund it recomputes', async () => {
    expect((await hqCall('PUT', '/settings/refundLimitMinor', { value: 1000 })).status).toBe(200);
    await terminal.syncNow();
    const refused = await till('POST', '/api/override/refund', { saleId, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect(refused).toMatchObject({ status: 403, json: { error: { details: { permission: 'refund.above_limit', needsSupervisor: true } } } });
    const done = await till('POST', '/api/override/refund', { saleId, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true, supervisor: manager });
    expect(done.status).toBe(201);
    const sale = (await till('GET', `/api/sales/${saleId}`)).json;
    // Exactly what the detergent line cost after its override and its share of the discount.
    expect(done.json.refund.totalMinor).toBe(sale.lines[0].amountMinor);
    expect(done.json.refund.cashierId).toBe('op-sh-01-cashier-1');
    await terminal.syncNow();
    expect(await events('refund')).toEqual([{ status: 'applied', reason: null }]);
    expect((await hq.sql`select cashier_id from refunds where sale_id = ${saleId}`)[0]).toEqual({ cashier_id: 'op-sh-01-cashier-1' });
    // Back to the default: a refund of the ¥32.90 butter line needs nobody else.
    expect((await hqCall('PUT', '/settings/refundLimitMinor', { value: 50_000 })).status).toBe(200);
    await terminal.syncNow();
    expect((await till('POST', '/api/override/refund', { saleId, lines: [{ lineNo: 2, quantity: 1 }], withReceipt: true })).status).toBe(201);
  });

  it('HQ’s cashier report counts the sale and refunds under the cashier who made them', async () => {
    await terminal.syncNow();
    const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const report = (await hqCall('GET', `/reports/cashier-performance?from=${day(-1)}&to=${day(1)}`)).json as { rows: Array<{ operator_id: string; sale_count: number; sales_minor: number; refund_count: number }> };
    expect(report.rows).toEqual([expect.objectContaining({ operator_id: 'op-sh-01-cashier-1', sale_count: 1, sales_minor: saleTotal, refund_count: 2 })]);
  });

  it('20 wrong PINs lock a cashier at the till; HQ’s unlock (operator.manage) reaches the till with the next pull and lifts that lock', async () => {
    for (let i = 0; i < 19; i++) expect((await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '0000' })).json.error.code).toBe('WRONG_PIN');
    expect((await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '0000' })).json.error.code).toBe('PIN_LOCKED');
    expect(await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '5102' })).toMatchObject({ status: 422, json: { error: { code: 'PIN_LOCKED', details: { where: 'terminal' } } } });
    await terminal.syncNow();
    // The store manager unlocks her at HQ (the lock reached HQ's audit log with the push).
    const storeManager = (await hqCall('POST', '/sessions', { login: 'sh01.manager', password: 'onecard-demo' })).json.token as string;
    const res = await fetch(`${hq.httpUrl}/api/v1/operators/op-sh-01-cashier-2/unlock`, { method: 'POST', headers: { authorization: `Bearer ${storeManager}` } });
    expect(res.status).toBe(200);
    // Until the till pulls, its own lock holds.
    expect((await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '5102' })).status).toBe(422);
    await terminal.syncNow();
    expect(await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '5102' })).toMatchObject({ status: 201, json: { session: { operator: { id: 'op-sh-01-cashier-2' } } } });
    // A later pull of the same operator (nothing unlocked since) changes nothing: a new lock stays.
    for (let i = 0; i < 20; i++) await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '0000' });
    expect((await hqCall('PATCH', '/operators/op-sh-01-cashier-2', { cardNo: 'CASHCARD02' })).status).toBe(200);
    await terminal.syncNow();
    expect((await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '5102' })).json.error.code).toBe('PIN_LOCKED');
  });
});
