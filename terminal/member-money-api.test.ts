import { hash } from '@node-rs/argon2';
import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { demoChain } from '../fixtures/data/demo-chain';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { applyChange } from './master-data';
import { allEvents } from './outbox';
import { openTestTerminal, type TestTerminal } from './testing';
import { pinOf, seedTillOperators, signInTill, testStaff, TILL_CASHIER, TILL_MANAGER, type TillOperator } from './testing-staff';

/** The member-money routes of the local API, over HTTP, against a real SQLite file. */

const TOKEN = 'd'.repeat(64);
const MILK = '6907028100122';
const DIAMOND_CARD = '8F3A21C4';
let server: Server | null = null;

afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

async function start(t: TestTerminal = openTestTerminal(demoChain), operator: TillOperator = TILL_CASHIER) {
  await seedTillOperators(t.db);
  const app = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token: TOKEN, link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {}, staff: testStaff(t) });
  const listening = await listenLocalApi(app, '127.0.0.1', 0);
  server = listening.server;
  await signInTill(listening.url, TOKEN, pinOf(operator));
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${listening.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };
  return { t, call };
}

async function milkSale(call: Awaited<ReturnType<typeof start>>['call'], cardNo = DIAMOND_CARD) {
  const sale = (await call('POST', '/api/sales')).json;
  await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
  await call('POST', `/api/sales/${sale.id}/member`, { cardNo });
  return sale.id as string;
}

describe('local API: member money', () => {
  it('points tender with a PIN prompt, a sale, then its refund without the receipt', async () => {
    const t = openTestTerminal(demoChain);
    const card = demoChain.members[0]!.cards[0]!;
    const pinHash = await hash('2468');
    t.db.transaction(() => {
      const ctx = { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 };
      applyChange(t.db, { seq: 1, deleted: false, body: { type: 'card', card: { ...card, memberId: 'm-0001', pinHash } } }, ctx);
      applyChange(t.db, { seq: 2, deleted: false, body: { type: 'setting', key: 'cardPinRequiredAboveMinor', value: 1_000 } }, ctx);
    })();
    const { call } = await start(t);
    expect((await call('GET', '/api/settings')).json.pointsTender).toEqual({ pointsPerUnit: 100, unitValueMinor: 100, maxShareOfSale: '0.5' });
    const saleId = await milkSale(call);
    const noPin = await call('POST', `/api/sales/${saleId}/tenders`, { kind: 'points', points: 2_000 });
    expect([noPin.status, noPin.json.error.code]).toEqual([422, 'PIN_REQUIRED']);
    const wrong = await call('POST', `/api/sales/${saleId}/tenders`, { kind: 'points', points: 2_000, pin: '1357' });
    expect([wrong.status, wrong.json.error.code, wrong.json.error.details.triesLeft]).toEqual([422, 'WRONG_PIN', 4]);
    const paid = await call('POST', `/api/sales/${saleId}/tenders`, { kind: 'points', points: 2_000, pin: '2468' });
    expect(paid.json.tenders).toEqual([{ tenderNo: 1, kind: 'points', amountMinor: 2_000, points: 2_000, holdId: null, amountDisplay: '20.00' }]);
    await call('POST', `/api/sales/${saleId}/tenders`, { kind: 'cash', amountMinor: 3_990 });
    expect((await call('POST', `/api/sales/${saleId}/complete`)).json.status).toBe('completed');

    const listed = await call('GET', `/api/sales?cardNo=${DIAMOND_CARD}`);
    expect(listed.json.sales.map((s: any) => s.id)).toEqual([saleId]);
    const refund = await call('POST', '/api/refunds', { saleId, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: false });
    expect(refund.status).toBe(201);
    expect(refund.json.refund.tenders.map((x: any) => [x.kind, x.amountMinor, x.points])).toEqual([['points', 2_000, 2_000], ['cash', 3_990, 0]]);
    expect(refund.json.display.total).toBe('59.90');
    const again = await call('POST', '/api/refunds', { saleId, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: false });
    expect([again.status, again.json.error.code]).toEqual([422, 'REFUND_EXCEEDS_SALE']);
    const history = await call('GET', `/api/sales/${saleId}/refunds`);
    expect(history.json.refunds).toHaveLength(1);
    expect(history.json.sale.lines[0]).toMatchObject({ quantity: 1, refundedQuantity: 1 });
    expect((await call('GET', '/api/sales/not-a-sale/refunds')).status).toBe(404);
  });

  it('refuses bad input with 400 VALIDATION_FAILED and changes nothing', async () => {
    const { t, call } = await start();
    const saleId = await milkSale(call);
    const events = allEvents(t.db).length;
    const bad: Array<[string, string, unknown]> = [
      ['POST', `/api/sales/${saleId}/tenders`, { kind: 'stored_value', amountMinor: 0 }],
      ['POST', `/api/sales/${saleId}/tenders`, { kind: 'stored_value', amountMinor: -100 }],
      ['POST', `/api/sales/${saleId}/tenders`, { kind: 'stored_value', amountMinor: 1.5 }],
      ['POST', `/api/sales/${saleId}/tenders`, { kind: 'points', points: 0 }],
      ['POST', `/api/sales/${saleId}/tenders`, { kind: 'points', points: 150.5 }],
      ['POST', `/api/sales/${saleId}/tenders`, { kind: 'points', points: 100, pin: 'abcd' }],
      ['POST', '/api/refunds', { saleId, lines: [], withReceipt: true }],
      ['POST', '/api/refunds', { saleId, lines: [{ lineNo: 1, quantity: -1 }], withReceipt: true }],
      ['POST', '/api/refunds', { saleId, lines: [{ lineNo: 1, quantity: 1 }] }],
      ['POST', '/api/gifts/redeem', { cardNo: DIAMOND_CARD, giftSku: 'G', quantity: 1, points: -5 }],
      ['POST', '/api/members', { name: '', phone: '138' }],
      ['POST', '/api/cards/8F3A21C4/transfer-balance', { toCardNo: '5B7E0D92', amountMinor: 0 }],
      ['POST', '/api/cards/8F3A21C4/replace', {}],
      ['GET', '/api/sales', undefined],
    ];
    for (const [method, path, body] of bad) {
      const r = await call(method, path, body);
      expect([path, r.status, r.json.error.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
    const points = await call('POST', `/api/sales/${saleId}/tenders`, { kind: 'points', points: 99 });
    expect([points.status, points.json.error.code]).toEqual([422, 'POINTS_BELOW_REDEMPTION_UNIT']);
    expect((await call('GET', `/api/sales/${saleId}`)).json.tenders).toEqual([]);
    expect(allEvents(t.db)).toHaveLength(events);
  });

  it('member desk, gifts and top-up refunds need HQ: 503 HQ_OFFLINE while it cannot be reached', async () => {
    // The store manager: the member desk needs member.write.
    const { t, call } = await start(openTestTerminal(demoChain), TILL_MANAGER);
    const topUp = t.checkout.topUp({ cardNo: DIAMOND_CARD, principalMinor: 10_000, tender: 'cash' });
    const needHq: Array<[string, unknown]> = [
      ['/api/members', { name: '赵敏', phone: '13700000001', birthday: '1990-01-02' }],
      ['/api/members/m-0001/cards', { cardNo: 'NEWCARD01', medium: 'barcode' }],
      ['/api/cards/8F3A21C4/freeze', {}],
      ['/api/cards/8F3A21C4/unfreeze', {}],
      ['/api/cards/8F3A21C4/report-lost', {}],
      ['/api/cards/8F3A21C4/replace', { newCard: { cardNo: 'NEWCARD02', medium: 'mifare' } }],
      ['/api/cards/8F3A21C4/transfer-balance', { toCardNo: '5B7E0D92' }],
      ['/api/gifts/redeem', { cardNo: DIAMOND_CARD, giftSku: 'GIFT-1', quantity: 1, points: 100 }],
      [`/api/top-ups/${topUp.id}/refund`, {}],
    ];
    for (const [path, body] of needHq) {
      const r = await call('POST', path, body);
      expect([path, r.status, r.json.error.code]).toEqual([path, 503, 'HQ_OFFLINE']);
    }
  });
});
