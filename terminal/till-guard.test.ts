import type { Server } from 'node:http';
import { jsonCaller } from './testing-http';
import { afterEach, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { allEvents } from './outbox';
import { stmt, type TerminalDb } from './db';
import { EventsStream } from './events-stream';
import { CashierLane } from './lane-api';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { openTestTerminal, type TestTerminal } from './testing';
import { cardOf, pinOf, seedTillOperators, testStaff, TILL_CASHIER, TILL_MANAGER, type TillOperator } from './testing-staff';

/**
 * Who may do what at the till, over the local API as the cashier app calls it (HQ unreachable):
 * nobody signed in → 401 NOT_SIGNED_IN, the permission missing → 403 FORBIDDEN, and either way
 * nothing in the terminal's database changes; void, cancel, refund above the limit and no-sale
 * go ahead with a supervisor's card or PIN in the same request, recorded as an override.
 */

const TOKEN = 'e'.repeat(64);
const COLA = '6901028001014'; // ¥3.00
const TEA = '6902083001124'; // ¥3.00
let server: Server | null = null;

afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

/** Every row of every table: what "changes nothing" is checked against. */
function everything(db: TerminalDb): Record<string, unknown[]> {
  const tables = stmt(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
  return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]));
}

async function start(o: { refundLimitMinor?: number } = {}) {
  const t: TestTerminal = openTestTerminal(demoChain);
  await seedTillOperators(t.db);
  const staff = testStaff(t, { refundLimitMinor: o.refundLimitMinor });
  const lane = new CashierLane({
    checkout: t.checkout,
    db: t.db,
    lane: null,
    events: new EventsStream(TOKEN),
    store: { terminalId: 't-test-1', storeName: '测试店', chainName: 'OneCard', currency: 'CNY', timeZone: 'Asia/Shanghai' },
    language: 'zh-CN',
    link: () => ({ hq: 'offline', lastContactAt: null }),
    log: () => {},
    staff,
  });
  const app = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token: TOKEN, link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {}, cashierApp: lane, staff });
  const listening = await listenLocalApi(app, '127.0.0.1', 0);
  server = listening.server;
  const call = jsonCaller(() => listening.url, () => TOKEN);
  const signIn = async (who: TillOperator) => expect((await call('POST', '/api/session', pinOf(who))).status).toBe(201);
  /** HQ's feed changes what an operator may do here (a role taken away mid-shift). */
  const refeed = (who: TillOperator, permissions: string[]) => seedTillOperators(t.db, [{ ...who, permissions }]);
  return { t, url: listening.url, call, signIn, refeed };
}

/** A sale of two lines (open), a completed cash sale and a cash top-up, made by the cashier. */
async function documents(call: Awaited<ReturnType<typeof start>>['call'], t: TestTerminal) {
  const open = (await call('POST', '/api/sales')).json.id as string;
  await call('POST', `/api/sales/${open}/items`, { barcode: COLA });
  await call('POST', `/api/sales/${open}/items`, { barcode: TEA });
  const done = (await call('POST', '/api/sales')).json.id as string;
  await call('POST', `/api/sales/${done}/items`, { barcode: COLA, quantity: 2 });
  await call('POST', `/api/sales/${done}/tenders`, { kind: 'cash', amountMinor: 600 });
  expect((await call('POST', `/api/sales/${done}/complete`)).status).toBe(200);
  const topUp = t.checkout.topUp({ cardNo: '5B7E0D92', principalMinor: 10_000, tender: 'cash' });
  return { open, done, topUpId: topUp.id };
}

type Route = [method: string, path: string, body: unknown, permission: string];

/** Every route that moves goods or money or changes a member, with a well-formed body, and the permission it needs first. */
function protectedRoutes(d: { open: string; done: string; topUpId: string }): Route[] {
  const refund = { saleId: d.done, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true };
  const newCard = { cardNo: 'NEWCARD01', medium: 'barcode' };
  return [
    ['POST', '/api/sales', undefined, 'sale.create'],
    ['POST', `/api/sales/${d.open}/items`, { barcode: COLA }, 'sale.create'],
    ['DELETE', `/api/sales/${d.open}/items/1`, undefined, 'sale.create'],
    ['POST', `/api/sales/${d.open}/coupons`, { code: 'CPN12345' }, 'sale.create'],
    ['DELETE', `/api/sales/${d.open}/coupons/CPN12345`, undefined, 'sale.create'],
    ['POST', `/api/sales/${d.open}/member`, { cardNo: '8F3A21C4' }, 'sale.create'],
    ['POST', `/api/sales/${d.open}/tenders`, { kind: 'cash', amountMinor: 100 }, 'sale.create'],
    ['POST', `/api/sales/${d.open}/complete`, undefined, 'sale.create'],
    ['POST', `/api/sales/${d.open}/items/1/price`, { unitPriceMinor: 100, reason: 'damaged box' }, 'sale.create'],
    ['POST', `/api/sales/${d.open}/discounts`, { amountMinor: 50, reason: 'loyal customer' }, 'sale.create'],
    ['DELETE', `/api/sales/${d.open}/discounts/some-discount`, undefined, 'sale.create'],
    ['POST', `/api/sales/${d.open}/cancel`, undefined, 'sale.create'],
    ['POST', '/api/top-ups', { cardNo: '5B7E0D92', principalMinor: 10_000, tender: 'cash' }, 'sale.create'],
    ['POST', '/api/gifts/redeem', { cardNo: '8F3A21C4', giftSku: 'GIFT-1', quantity: 1, points: 100 }, 'sale.create'],
    ['POST', '/api/lane/sale', undefined, 'sale.create'],
    ['POST', `/api/lane/sales/${d.open}/card`, { amountMinor: 100 }, 'sale.create'],
    ['POST', `/api/lane/sales/${d.open}/finish`, undefined, 'sale.create'],
    ['POST', `/api/lane/sales/${d.open}/cancel`, undefined, 'sale.create'],
    ['POST', `/api/lane/sales/${d.done}/reprint`, undefined, 'sale.create'],
    ['POST', '/api/lane/top-ups', { cardNo: '5B7E0D92', principalMinor: 10_000, tender: 'cash' }, 'sale.create'],
    ['POST', '/api/lane/shifts/no-shift/print-z', undefined, 'sale.create'],
    ['POST', '/api/refunds', refund, 'sale.refund'],
    ['POST', '/api/override/refund', refund, 'sale.refund'],
    ['POST', `/api/top-ups/${d.topUpId}/refund`, undefined, 'sale.refund'],
    ['POST', '/api/members', { name: '赵敏', phone: '13700000001' }, 'member.write'],
    ['POST', '/api/members/m-0001/cards', newCard, 'member.write'],
    ['POST', '/api/cards/8F3A21C4/freeze', {}, 'member.write'],
    ['POST', '/api/cards/8F3A21C4/unfreeze', {}, 'member.write'],
    ['POST', '/api/cards/8F3A21C4/report-lost', {}, 'member.write'],
    ['POST', '/api/cards/8F3A21C4/replace', { newCard }, 'member.write'],
    ['POST', '/api/cards/8F3A21C4/transfer-balance', { toCardNo: '5B7E0D92' }, 'member.write'],
    ['POST', '/api/lane/cards/AABBCCDD/issue', undefined, 'member.write'],
    ['POST', '/api/lane/drawer', undefined, 'drawer.open'],
    ['POST', '/api/override/no-sale', {}, 'drawer.open'],
  ];
}

describe('the till refuses what the signed-in operator may not do, and changes nothing', () => {
  it('with nobody signed in, every protected route answers 401 NOT_SIGNED_IN; enquiries still answer', async () => {
    const { t, url, call, signIn } = await start();
    await signIn(TILL_CASHIER);
    const d = await documents(call, t);
    expect((await call('DELETE', '/api/session')).status).toBe(204);
    const before = everything(t.db);
    for (const [method, path, body] of protectedRoutes(d)) {
      const r = await call(method, path, body);
      expect([method, path, r.status, r.json.error.code]).toEqual([method, path, 401, 'NOT_SIGNED_IN']);
    }
    expect(everything(t.db)).toEqual(before);
    for (const path of ['/api/products', '/api/settings', '/api/terminal', '/api/cards/8F3A21C4', `/api/sales/${d.open}`, '/api/lane', '/api/session', '/api/members/m-0001']) {
      expect([path, (await call('GET', path)).status]).toEqual([path, 200]);
    }
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
  });

  it('a signed-in operator lacking the permission gets 403 FORBIDDEN naming it, route by route', async () => {
    const { t, call, signIn, refeed } = await start();
    await signIn(TILL_CASHIER);
    const d = await documents(call, t);
    const routes = protectedRoutes(d);
    const expectRefused = async (permission: string) => {
      const before = everything(t.db);
      const these = routes.filter((r) => r[3] === permission);
      expect(these.length).toBeGreaterThan(0);
      for (const [method, path, body] of these) {
        const r = await call(method, path, body);
        expect([method, path, r.status, r.json.error.code, r.json.error.details.permission]).toEqual([method, path, 403, 'FORBIDDEN', permission]);
      }
      expect(everything(t.db)).toEqual(before);
    };
    // A cashier holds neither member.write nor drawer.open.
    await expectRefused('member.write');
    await expectRefused('drawer.open');
    // HQ takes sale.refund away: refunds are refused.
    await refeed(TILL_CASHIER, ['member.read', 'sale.create']);
    await expectRefused('sale.refund');
    // HQ takes sale.create away mid-shift: selling is refused from the next call.
    await refeed(TILL_CASHIER, ['member.read', 'sale.refund']);
    await expectRefused('sale.create');
  });
});

describe('void, cancel, refund above the limit and no-sale need a supervisor for a cashier', () => {
  it('a cashier without sale.void cannot void a line via DELETE /api/sales/:id/items/:lineNo, and can with a supervisor’s card; the override is recorded and goes to HQ', async () => {
    const { t, call, signIn } = await start();
    await signIn(TILL_CASHIER);
    const { open } = await documents(call, t);
    const before = everything(t.db);
    const refused = await call('DELETE', `/api/sales/${open}/items/2`);
    expect(refused).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN', details: { permission: 'sale.void', needsSupervisor: true } } } });
    // Another cashier's card does not hold sale.void either.
    await seedTillOperators(t.db, [{ ...TILL_CASHIER, id: 'op-sh-01-cashier-2', login: 'sh01.cashier2', pin: '5102', cardNo: 'F0510002' }]);
    expect((await call('DELETE', `/api/sales/${open}/items/2`, { supervisor: { cardNo: 'F0510002' } })).status).toBe(403);
    expect(everything(t.db)).toEqual({ ...before, operators: expect.any(Array) });

    const voided = await call('DELETE', `/api/sales/${open}/items/2`, { supervisor: cardOf(TILL_MANAGER) });
    expect(voided).toMatchObject({ status: 200, json: { id: open, totalMinor: 300, approval: { approvedBy: TILL_MANAGER.id, method: 'card', permission: 'sale.void' } } });
    expect(voided.json.lines.map((l: { barcode: string }) => l.barcode)).toEqual([COLA]);
    const recorded = stmt(t.db, 'SELECT cashier_id, supervisor_id, permission, action, method, used_at FROM overrides').all();
    expect(recorded).toEqual([{ cashier_id: TILL_CASHIER.id, supervisor_id: TILL_MANAGER.id, permission: 'sale.void', action: 'void_line', method: 'card', used_at: expect.any(Number) }]);
    const audit = allEvents(t.db).filter((e) => e.body.type === 'operator_audit');
    expect(audit.map((e) => e.body)).toMatchObject([{ type: 'operator_audit', audit: { action: 'override.granted', operatorId: TILL_CASHIER.id, supervisorId: TILL_MANAGER.id, permission: 'sale.void', method: 'card' } }]);
  });

  it('the store manager voids on their own permission (recorded as own); a wrong supervisor PIN voids nothing', async () => {
    const { t, call, signIn } = await start();
    await signIn(TILL_CASHIER);
    const { open } = await documents(call, t);
    expect(await call('DELETE', `/api/sales/${open}/items/1`, { supervisor: { login: TILL_MANAGER.login, pin: '0000' } })).toMatchObject({ status: 422, json: { error: { code: 'WRONG_PIN' } } });
    expect((await call('GET', `/api/sales/${open}`)).json.lines).toHaveLength(2);
    await signIn(TILL_MANAGER);
    expect(await call('DELETE', `/api/sales/${open}/items/1`)).toMatchObject({ status: 200, json: { approval: { method: 'own', approvedBy: TILL_MANAGER.id } } });
  });

  it('cancelling: an empty sale needs no supervisor; one with lines does, at /api/sales and at the lane', async () => {
    const { t, call, signIn } = await start();
    await signIn(TILL_CASHIER);
    const { open } = await documents(call, t);
    const empty = (await call('POST', '/api/sales')).json.id as string;
    expect(await call('POST', `/api/sales/${empty}/cancel`)).toMatchObject({ status: 200, json: { status: 'cancelled', approval: null } });
    const before = everything(t.db);
    expect(await call('POST', `/api/sales/${open}/cancel`)).toMatchObject({ status: 403, json: { error: { details: { permission: 'sale.void' } } } });
    expect(await call('POST', `/api/lane/sales/${open}/cancel`)).toMatchObject({ status: 403, json: { error: { details: { permission: 'sale.void' } } } });
    expect(everything(t.db)).toEqual(before);
    expect(await call('POST', `/api/lane/sales/${open}/cancel`, { supervisor: pinOf(TILL_MANAGER) })).toMatchObject({
      status: 200,
      json: { sale: { status: 'cancelled' }, approval: { permission: 'sale.void', method: 'pin', approvedBy: TILL_MANAGER.id } },
    });
  });

  it('a refund above the limit needs refund.above_limit; below it the cashier refunds alone', async () => {
    const { t, call, signIn } = await start({ refundLimitMinor: 400 });
    await signIn(TILL_CASHIER);
    const { done } = await documents(call, t);
    const both = { saleId: done, lines: [{ lineNo: 1, quantity: 2 }], withReceipt: true };
    const before = everything(t.db);
    expect(await call('POST', '/api/refunds', both)).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN', details: { permission: 'refund.above_limit', needsSupervisor: true } } } });
    expect(everything(t.db)).toEqual(before);
    expect(await call('POST', '/api/refunds', { ...both, supervisor: cardOf(TILL_MANAGER) })).toMatchObject({
      status: 201,
      json: { refund: { totalMinor: 600 }, approval: { permission: 'refund.above_limit', approvedBy: TILL_MANAGER.id } },
    });
    const small = (await call('POST', '/api/sales')).json.id as string;
    await call('POST', `/api/sales/${small}/items`, { barcode: COLA });
    await call('POST', `/api/sales/${small}/tenders`, { kind: 'cash', amountMinor: 300 });
    await call('POST', `/api/sales/${small}/complete`);
    expect(await call('POST', '/api/refunds', { saleId: small, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true })).toMatchObject({ status: 201, json: { approval: null, refund: { totalMinor: 300 } } });
  });

  it('no-sale at the lane: the cashier is refused, the manager’s card opens the drawer', async () => {
    const { t, call, signIn } = await start();
    await signIn(TILL_CASHIER);
    const before = everything(t.db);
    expect(await call('POST', '/api/lane/drawer', {})).toMatchObject({ status: 403, json: { error: { details: { permission: 'drawer.open', needsSupervisor: true } } } });
    expect(everything(t.db)).toEqual(before);
    expect(await call('POST', '/api/lane/drawer', { reason: 'change', supervisor: cardOf(TILL_MANAGER) })).toMatchObject({ status: 200, json: { opened: false, approval: { permission: 'drawer.open', method: 'card' } } });
    expect(stmt(t.db, "SELECT action FROM overrides").all()).toEqual([{ action: 'no_sale' }]);
  });
});
