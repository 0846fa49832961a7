import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { startTestHq } from '../hq-server/testing/hq';
import { TestTills } from './testing-tills';
import type { RunningTerminal } from './index';

/**
 * A member returns goods bought in one store at another (退货, with or without the receipt): the
 * refunding till fetches the sale and its refunds from HQ (GetSale), the refund goes through its
 * outbox, HQ checks it against the stored sale. Two real terminals (SQLite, local API) against a
 * real HQ (embedded PostgreSQL, gRPC over loopback).
 */

const MILK = '6907028100122'; // ¥59.90
const COLA = '6901028001014'; // ¥3.00
const GOLD_CARD = '5B7E0D92'; // c-0002 / m-0002
const UNREACHABLE = '127.0.0.1:1';

describe('refund of a sale made at another store', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  const tills = new TestTills(() => hq, demoChain, 'onecard-refund-elsewhere-');

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
  });
  afterAll(async () => {
    await tills.stop();
    await hq?.stop();
  });

  const terminal = (terminalId: string, o: { dir?: string; hqAddress?: string } = {}) => tills.start(terminalId, o);

  const stop = (t: RunningTerminal) => tills.stopOne(t);

  function api(t: RunningTerminal) {
    return async (method: string, path: string, body?: unknown) => {
      const res = await fetch(new URL(path, t.uiUrl), {
        method,
        headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as any };
    };
  }

  async function posted(accountId: string): Promise<{ posted: number; held: number }> {
    const [row] = await hq.sql`select credits_posted - debits_posted as posted, debits_pending as held from accounts where id = ${accountId}`;
    return { posted: Number(row!.posted), held: Number(row!.held) };
  }

  async function quarantined(terminalId: string) {
    return hq.sql`select seq, reason from events where terminal_id = ${terminalId} and status = 'quarantined' order by seq`;
  }

  it('bought in Shanghai with stored value, cash and points earned; one line returned in Hangzhou, the rest later in Shanghai: balances come back exactly', async () => {
    const { t: shanghai } = await terminal('t-sh-01-1');
    const { t: hangzhou } = await terminal('t-hz-01-1');
    await shanghai.syncNow();
    await hangzhou.syncNow();
    const a = api(shanghai);
    const b = api(hangzhou);
    const start = {
      principal: await posted(cardPrincipalAccountId('c-0002')),
      bonus: await posted(cardBonusAccountId('c-0002')),
      points: await posted(memberPointsAccountId('m-0002')),
    };

    // Shanghai: 2 × milk + 1 × cola, ¥50.00 from the card, the rest in cash; points earned.
    const sale = (await a('POST', '/api/sales')).json;
    await a('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
    await a('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
    await a('POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await a('POST', `/api/sales/${sale.id}/member`, { cardNo: GOLD_CARD });
    expect((await a('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 5_000 })).status).toBe(200);
    const before = (await a('GET', `/api/sales/${sale.id}`)).json;
    const totalMinor = before.totalMinor as number;
    await a('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: totalMinor - 5_000 });
    const done = (await a('POST', `/api/sales/${sale.id}/complete`)).json;
    expect(done.status).toBe('completed');
    const earned = done.pointsEarned as number;
    expect(earned).toBeGreaterThan(0);
    const lines = done.lines as Array<{ lineNo: number; barcode: string; quantity: number; amountMinor: number }>;
    await shanghai.syncNow();
    expect(await quarantined('t-sh-01-1')).toEqual([]);

    // Hangzhou, without the receipt: the member's sales there include the Shanghai one.
    const found = (await b('GET', `/api/sales?cardNo=${GOLD_CARD}`)).json.sales as Array<{ id: string; storeId: string; madeHere: boolean }>;
    expect(found.find((s) => s.id === sale.id)).toMatchObject({ storeId: 'store-sh-01', madeHere: false });

    // One milk back in Hangzhou: its share of each tender, from Hangzhou's sales account.
    const milkLine = lines.find((l) => l.barcode === MILK)!;
    const refund1 = await b('POST', '/api/refunds', { saleId: sale.id, lines: [{ lineNo: milkLine.lineNo, quantity: 1 }], withReceipt: false });
    expect(refund1.status).toBe(201);
    const r1 = refund1.json.refund;
    expect([r1.storeId, r1.totalMinor, r1.withReceipt]).toEqual(['store-hz-01', milkLine.amountMinor / milkLine.quantity, false]);
    const sv1 = r1.tenders.find((x: any) => x.kind === 'stored_value').amountMinor as number;
    const cash1 = r1.tenders.find((x: any) => x.kind === 'cash').amountMinor as number;
    // Pro rata to what each tender paid: ¥50.00 of the card and the rest in cash.
    expect(sv1 + cash1).toBe(r1.totalMinor);
    expect(Math.abs(sv1 - Math.round((r1.totalMinor * 5_000) / totalMinor))).toBeLessThanOrEqual(1);
    // Worked example: ¥122.80 = 2 × ¥59.90 + ¥3.00, paid ¥50.00 by card and ¥72.80 cash; gold
    // earns 1.5 points a yuan: 184. One milk back (¥59.90): the card's share ¥59.90 × 50.00 / 122.80
    // = ¥24.389… → ¥24.39 to principal, ¥35.51 cash; points 184 × 59.90 / 122.80 = 89.75 → 90 taken back.
    expect([totalMinor, earned, sv1, cash1, r1.pointsReversed]).toEqual([12_280, 184, 2_439, 3_551, 90]);
    expect(r1.tenders.find((x: any) => x.kind === 'stored_value').legs).toEqual([{ accountId: cardPrincipalAccountId('c-0002'), part: 'principal', amount: 2_439 }]);
    await hangzhou.syncNow();
    expect(await quarantined('t-hz-01-1')).toEqual([]);
    // HQ applied it: the card gets back exactly the stored-value share, the points earned on it go.
    const afterSale = { principal: start.principal.posted - 5_000, points: start.points.posted + earned };
    expect(await posted(cardPrincipalAccountId('c-0002'))).toEqual({ posted: afterSale.principal + sv1, held: 0 });
    expect(await posted(memberPointsAccountId('m-0002'))).toEqual({ posted: afterSale.points - r1.pointsReversed, held: 0 });
    // Hangzhou shows the sale with the line partly returned.
    const there = (await b('GET', `/api/sales/${sale.id}/refunds`)).json;
    expect(there.sale.lines.find((l: any) => l.lineNo === milkLine.lineNo).refundedQuantity).toBe(1);
    expect(there.refunds.map((r: any) => r.id)).toEqual([r1.id]);

    // Back in Shanghai, where the sale was made: Hangzhou's refund counts.
    const tooMany = await a('POST', '/api/refunds', { saleId: sale.id, lines: [{ lineNo: milkLine.lineNo, quantity: 2 }], withReceipt: true });
    expect([tooMany.status, tooMany.json.error.code]).toEqual([422, 'REFUND_EXCEEDS_SALE']);
    const rest = lines.map((l) => ({ lineNo: l.lineNo, quantity: l.lineNo === milkLine.lineNo ? l.quantity - 1 : l.quantity }));
    const refund2 = await a('POST', '/api/refunds', { saleId: sale.id, lines: rest, withReceipt: true });
    expect(refund2.status).toBe(201);
    const r2 = refund2.json.refund;
    // The last refund returns exactly what is left of every tender and of the points.
    expect(r2.totalMinor).toBe(totalMinor - r1.totalMinor);
    expect(r2.tenders.find((x: any) => x.kind === 'stored_value').amountMinor).toBe(5_000 - sv1);
    expect(r2.pointsReversed).toBe(earned - r1.pointsReversed);
    await shanghai.syncNow();
    expect(await quarantined('t-sh-01-1')).toEqual([]);
    expect(await posted(cardPrincipalAccountId('c-0002'))).toEqual(start.principal);
    expect(await posted(cardBonusAccountId('c-0002'))).toEqual(start.bonus);
    expect(await posted(memberPointsAccountId('m-0002'))).toEqual(start.points);

    // Nothing is left to return, at either store.
    const again = await b('POST', '/api/refunds', { saleId: sale.id, lines: [{ lineNo: milkLine.lineNo, quantity: 1 }], withReceipt: false });
    expect([again.status, again.json.error.code]).toEqual([422, 'REFUND_EXCEEDS_SALE']);

    // Both terminals' own view of the card, after a pull, is HQ's.
    await hangzhou.syncNow();
    const card = (await b('GET', `/api/cards/${GOLD_CARD}`)).json;
    expect([card.principalMinor, card.bonusMinor, card.points]).toEqual([start.principal.posted, start.bonus.posted, start.points.posted]);
  });

  it('a till cut off from HQ cannot refund a sale of another store: NOT_FOUND, saying HQ is needed', async () => {
    const { t: shanghai } = await terminal('t-sh-01-2');
    await shanghai.syncNow();
    const a = api(shanghai);
    const sale = (await a('POST', '/api/sales')).json;
    await a('POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await a('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 300 });
    await a('POST', `/api/sales/${sale.id}/complete`);
    await shanghai.syncNow();

    const enrolled = await terminal('t-gz-01-1');
    await stop(enrolled.t);
    const { t: cutOff } = await terminal('t-gz-01-1', { dir: enrolled.dir, hqAddress: UNREACHABLE });
    const r = await api(cutOff)('POST', '/api/refunds', { saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect([r.status, r.json.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(r.json.error.message).toMatch(/HQ/);
  });
});
