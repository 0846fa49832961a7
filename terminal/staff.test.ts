import { hash } from '@node-rs/argon2';
import { jsonCaller } from './testing-http';
import type { Server } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import type { TerminalOperator } from '../protocols/sync/v1/codec';
import { stmt } from './db';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { applyChange } from './master-data';
import { OPERATOR_PIN_MAX_WRONG } from './operators';
import { createStaff } from './staff-api';
import { openTestTerminal } from './testing';

/**
 * Operators at the till, offline (the test terminal's HQ link is unreachable): sign-in by PIN or
 * operator card against the synced cache, shifts with X/Z totals, and supervisor overrides.
 */

const TOKEN = 'f'.repeat(64);
const CASHIER_PERMISSIONS = ['member.read', 'org.read', 'sale.create', 'sale.refund'];
const MANAGER_PERMISSIONS = ['discount.manual', 'drawer.open', 'member.read', 'operator.manage', 'org.read', 'price.override', 'refund.above_limit', 'sale.create', 'sale.refund', 'sale.void'];
let server: Server | null = null;
const operators: TerminalOperator[] = [];

beforeAll(async () => {
  // As HQ's feed carries them: argon2id PIN hashes, never PINs.
  operators.push(
    { id: 'op-cashier', name: '收银员 顾小燕', login: 'sh01.cashier1', pinHash: await hash('5101'), cardNo: null, permissions: CASHIER_PERMISSIONS, locked: false },
    { id: 'op-cashier-2', name: '收银员 施晨', login: 'sh01.cashier2', pinHash: await hash('5102'), cardNo: 'CASHCARD02', permissions: CASHIER_PERMISSIONS, locked: false },
    { id: 'op-manager', name: '店长 陆海', login: 'sh01.manager', pinHash: await hash('5100'), cardNo: 'SUPCARD01', permissions: MANAGER_PERMISSIONS, locked: false },
  );
});

afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

async function start(o: { refundLimitMinor?: number } = {}) {
  const t = openTestTerminal(demoChain);
  let seq = 10_000;
  for (const operator of operators) applyChange(t.db, { seq: ++seq, deleted: false, body: { type: 'operator', operator } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 });
  let drawerKicks = 0;
  let n = 0;
  const staff = createStaff({
    db: t.db, clock: t.clock, newId: () => `id-${++n}`, checkout: t.checkout, services: t.services, refundLimitMinor: o.refundLimitMinor,
    openDrawer: async () => {
      drawerKicks++;
      return true;
    },
  });
  const app = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token: TOKEN, link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {}, staff });
  const listening = await listenLocalApi(app, '127.0.0.1', 0);
  server = listening.server;
  const call = jsonCaller(() => listening.url, () => TOKEN);
  const audit = () => (stmt(t.db, 'SELECT operator_id, action, details FROM terminal_audit ORDER BY id').all() as Array<{ operator_id: string | null; action: string; details: string }>).map((r) => ({ operatorId: r.operator_id, action: r.action, details: JSON.parse(r.details) }));
  return { t, call, audit, drawerKicks: () => drawerKicks };
}

const [apple, pear] = demoChain.products;

describe('cashier sign-in at the till (offline, against the operator cache)', () => {
  it('signs in with login and PIN, or with an operator card; a wrong PIN is refused with the tries left', async () => {
    const { call } = await start();
    expect(await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '0000' })).toMatchObject({ status: 422, json: { error: { code: 'WRONG_PIN', details: { triesLeft: OPERATOR_PIN_MAX_WRONG - 1 } } } });
    const pin = await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' });
    expect(pin).toMatchObject({ status: 201, json: { session: { method: 'pin', operator: { id: 'op-cashier', permissions: CASHIER_PERMISSIONS } } } });
    expect(JSON.stringify(pin.json)).not.toMatch(/argon2/);
    const card = await call('POST', '/api/session', { cardNo: 'cashcard02' });
    expect(card).toMatchObject({ status: 201, json: { session: { method: 'card', operator: { id: 'op-cashier-2' } } } });
    expect((await call('GET', '/api/session')).json.session.operator.id).toBe('op-cashier-2');
    expect(await call('POST', '/api/session', { cardNo: 'NOSUCHCARD' })).toMatchObject({ status: 401, json: { error: { code: 'UNAUTHENTICATED' } } });
    expect((await call('DELETE', '/api/session')).status).toBe(204);
    expect((await call('GET', '/api/session')).json.session).toBeNull();
  });

  it(`${OPERATOR_PIN_MAX_WRONG} wrong PINs lock the cashier at this till; the lock is recorded; a manager's card unlocks`, async () => {
    const { call, audit } = await start();
    for (let i = 1; i < OPERATOR_PIN_MAX_WRONG; i++) expect((await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '9999' })).json.error.code).toBe('WRONG_PIN');
    expect(await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '9999' })).toMatchObject({ status: 422, json: { error: { code: 'PIN_LOCKED' } } });
    expect(await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' })).toMatchObject({ status: 422, json: { error: { code: 'PIN_LOCKED' } } });
    expect(audit().filter((a) => a.action === 'operator.locked')).toEqual([{ operatorId: 'op-cashier', action: 'operator.locked', details: { failures: OPERATOR_PIN_MAX_WRONG, reason: expect.any(String) } }]);
    // A cashier cannot unlock; the manager's card can.
    expect((await call('POST', '/api/session/unlock', { operatorId: 'op-cashier', supervisor: { cardNo: 'CASHCARD02' } })).status).toBe(403);
    expect((await call('POST', '/api/session/unlock', { operatorId: 'op-cashier', supervisor: { cardNo: 'SUPCARD01' } })).status).toBe(204);
    expect((await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' })).status).toBe(201);
    expect(audit().map((a) => a.action)).toContain('operator.unlocked');
  });

  it('follows the feed: locked at HQ or removed from the store means no sign-in', async () => {
    const { t, call } = await start();
    applyChange(t.db, { seq: 20_001, deleted: false, body: { type: 'operator', operator: { ...operators[0]!, locked: true } } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 });
    expect(await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' })).toMatchObject({ status: 422, json: { error: { code: 'PIN_LOCKED', details: { where: 'hq' } } } });
    applyChange(t.db, { seq: 20_002, deleted: true, body: { type: 'operator', operator: operators[1]! } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 });
    expect((await call('POST', '/api/session', { cardNo: 'CASHCARD02' })).status).toBe(401);
  });
});

describe('supervisor override', () => {
  it('a cashier without sale.void cannot void a line, and can with a supervisor’s card; the override is recorded', async () => {
    const { call, audit } = await start();
    await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' });
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: apple!.barcode });
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: pear!.barcode });

    const refused = await call('POST', '/api/override/void-line', { saleId: sale.id, lineNo: 2 });
    expect(refused).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN', details: { permission: 'sale.void', needsSupervisor: true } } } });
    // Another cashier's card does not do either.
    expect((await call('POST', '/api/override/void-line', { saleId: sale.id, lineNo: 2, supervisor: { cardNo: 'CASHCARD02' } })).status).toBe(403);
    expect((await call('GET', `/api/sales/${sale.id}`)).json.lines).toHaveLength(2);

    const voided = await call('POST', '/api/override/void-line', { saleId: sale.id, lineNo: 2, supervisor: { cardNo: 'SUPCARD01' } });
    expect(voided).toMatchObject({ status: 200, json: { approvedBy: 'op-manager', method: 'card', permission: 'sale.void' } });
    expect(voided.json.sale.lines.map((l: { sku: string }) => l.sku)).toEqual([apple!.sku]);

    const recorded = (await call('GET', '/api/override')).json.overrides;
    expect(recorded).toEqual([
      { id: voided.json.overrideId, at: expect.any(Number), cashierId: 'op-cashier', supervisorId: 'op-manager', permission: 'sale.void', action: 'void_line', method: 'card', details: { saleId: sale.id, lineNo: 2, sku: pear!.sku, amountMinor: pear!.priceMinor }, usedAt: expect.any(Number) },
    ]);
    expect(audit().filter((a) => a.action === 'override.granted')).toHaveLength(1);
  });

  it('a manager voids on their own permission; a supervisor PIN works too; a wrong supervisor PIN is refused', async () => {
    const { call } = await start();
    await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' });
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: apple!.barcode });
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: pear!.barcode });
    expect(await call('POST', '/api/override/void-line', { saleId: sale.id, lineNo: 1, supervisor: { login: 'sh01.manager', pin: '1111' } })).toMatchObject({ status: 422, json: { error: { code: 'WRONG_PIN' } } });
    expect(await call('POST', '/api/override/void-line', { saleId: sale.id, lineNo: 1, supervisor: { login: 'sh01.manager', pin: '5100' } })).toMatchObject({ status: 200, json: { method: 'pin', approvedBy: 'op-manager' } });
    await call('POST', '/api/session', { cardNo: 'SUPCARD01' });
    expect(await call('POST', '/api/override/void-line', { saleId: sale.id, lineNo: 2 })).toMatchObject({ status: 200, json: { method: 'own', approvedBy: 'op-manager' } });
  });

  it('no-sale drawer opening, manual discount and price override need their permission', async () => {
    const { call, drawerKicks } = await start();
    await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' });
    expect((await call('POST', '/api/override/no-sale', { reason: 'change for a note' })).status).toBe(403);
    expect(drawerKicks()).toBe(0);
    expect(await call('POST', '/api/override/no-sale', { reason: 'change for a note', supervisor: { cardNo: 'SUPCARD01' } })).toMatchObject({ status: 200, json: { drawerOpened: true, permission: 'drawer.open' } });
    expect(drawerKicks()).toBe(1);
    const sale = (await call('POST', '/api/sales')).json;
    expect(await call('POST', '/api/override', { action: 'manual_discount', saleId: sale.id, amountMinor: 100 })).toMatchObject({ status: 403, json: { error: { details: { permission: 'discount.manual' } } } });
    expect(await call('POST', '/api/override', { action: 'price_override', saleId: sale.id, lineNo: 1, amountMinor: 50, supervisor: { cardNo: 'SUPCARD01' } })).toMatchObject({ status: 201, json: { permission: 'price.override', approvedBy: 'op-manager' } });
  });

  it('a refund above the limit needs refund.above_limit; below it the cashier refunds alone', async () => {
    const { call } = await start({ refundLimitMinor: Math.min(apple!.priceMinor, pear!.priceMinor) });
    await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' });
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: apple!.barcode });
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: pear!.barcode });
    const total = (await call('GET', `/api/sales/${sale.id}`)).json.totalMinor;
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: total });
    expect((await call('POST', `/api/sales/${sale.id}/complete`)).status).toBe(200);
    const cheaper = apple!.priceMinor <= pear!.priceMinor ? 1 : 2;
    const dearer = cheaper === 1 ? 2 : 1;
    expect((await call('POST', '/api/override/refund', { saleId: sale.id, lines: [{ lineNo: cheaper, quantity: 1 }], withReceipt: true })).status).toBe(201);
    const both = { saleId: sale.id, lines: [{ lineNo: dearer, quantity: 1 }], withReceipt: true };
    if ((dearer === 1 ? apple! : pear!).priceMinor > Math.min(apple!.priceMinor, pear!.priceMinor)) {
      expect(await call('POST', '/api/override/refund', both)).toMatchObject({ status: 403, json: { error: { details: { permission: 'refund.above_limit' } } } });
    }
    expect(await call('POST', '/api/override/refund', { ...both, supervisor: { cardNo: 'SUPCARD01' } })).toMatchObject({ status: 201 });
  });
});

describe('shifts', () => {
  it('opens with a float, X shows the totals by tender so far, Z closes with the counted cash and the difference', async () => {
    const { t, call, audit } = await start();
    expect((await call('POST', '/api/shift/open', { floatMinor: 20_000 })).status).toBe(401);
    await call('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' });
    const shift = await call('POST', '/api/shift/open', { floatMinor: 20_000 });
    expect(shift).toMatchObject({ status: 201, json: { shift: { operatorId: 'op-cashier', floatMinor: 20_000 } } });
    expect((await call('POST', '/api/shift/open', { floatMinor: 0 })).status).toBe(409);

    t.clock.advance(60_000);
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: apple!.barcode });
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: apple!.priceMinor, tenderedMinor: apple!.priceMinor + 1_000 });
    await call('POST', `/api/sales/${sale.id}/complete`);
    const sale2 = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale2.id}/items`, { barcode: pear!.barcode });
    await call('POST', `/api/sales/${sale2.id}/tenders`, { kind: 'bank_card', amountMinor: pear!.priceMinor, reference: 'AUTH-1' });
    await call('POST', `/api/sales/${sale2.id}/complete`);

    const x = await call('GET', '/api/shift/x');
    expect(x.json).toMatchObject({ kind: 'X', floatMinor: 20_000, totals: { salesCount: 2, sales: { cash: apple!.priceMinor, bank_card: pear!.priceMinor } }, expectedCashMinor: 20_000 + apple!.priceMinor, countedCashMinor: null });

    const z = await call('POST', '/api/shift/close', { countedCashMinor: 20_000 + apple!.priceMinor - 50 });
    expect(z.json).toMatchObject({ kind: 'Z', expectedCashMinor: 20_000 + apple!.priceMinor, countedCashMinor: 20_000 + apple!.priceMinor - 50, differenceMinor: -50, totals: { net: { cash: apple!.priceMinor, bank_card: pear!.priceMinor } } });
    expect((await call('GET', `/api/shift/${shift.json.shift.id}/z`)).json).toEqual(z.json);
    expect((await call('GET', '/api/shift/x')).status).toBe(404);
    expect(audit().map((a) => a.action)).toEqual(expect.arrayContaining(['operator.signed_in', 'shift.opened', 'shift.closed']));
    // The local audit trail is append-only.
    expect(() => stmt(t.db, 'DELETE FROM terminal_audit').run()).toThrow(/append-only/);
  });
});
