import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../core/ids';
import { postSale, type SaleDocument, type SaleLine } from '../core/sale';
import { demoChain } from '../fixtures/data/demo-chain';
import { CNY, Scenario, type Till } from './testing/scenario';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';

/**
 * HQ checks a pushed sale's weighed lines (core/weighed.ts weighedLineProblem): one unit, a weight
 * in range, and the amount the weight and price per kg give. A wrong one is kept quarantined with
 * its reason; a right one is applied and stored with its weight. Real PostgreSQL, real gRPC.
 */

describe('weighed sale lines at HQ', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let s: Scenario;
  let till: Till;

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    till = await s.enroll('t-sh-01-1', 'store-sh-01', await hq.enrollmentCode('t-sh-01-1'));
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  const cashSale = (line: SaleLine): SaleDocument => ({
    id: uuidv7(), storeId: till.storeId, terminalId: till.terminalId, currency: CNY, memberId: null, cardId: null,
    lines: [line], totalMinor: line.amountMinor, tenders: [{ kind: 'cash', amountMinor: line.amountMinor, tenderedMinor: line.amountMinor, changeMinor: 0 }],
    pointsEarned: 0, completedAt: 1_763_800_000_000,
  });
  const apples = (unitPriceMinor: number, grams: number, quantity = 1): SaleLine => ({
    lineNo: 1, sku: 'SKU-0067', barcode: '2810001912343', name: '苹果 (散称)', quantity, unitPriceMinor, amountMinor: unitPriceMinor * quantity, eligibleForMemberBenefits: true, measure: { grams, pricePerKgMinor: 1280 },
  });

  it('applies 1.234 kg of apples at ¥12.80/kg for ¥15.80 and keeps the weight with the sale', async () => {
    const sale = cashSale(apples(1580, 1234));
    const r = await s.pushOne(till, { type: 'sale', sale }, postSale(sale, () => uuidv7()));
    expect(r).toMatchObject({ status: 'applied' });
    const [row] = await hq.sql`select body from sales where id = ${sale.id}`;
    const body = typeof row!.body === 'string' ? JSON.parse(row!.body) : row!.body;
    expect(body.lines[0].measure).toEqual({ grams: 1234, pricePerKgMinor: 1280 });
  });

  it('quarantines a weighed line whose amount the weight does not give, or that claims two units', async () => {
    const wrong = cashSale(apples(1581, 1234));
    const r1 = await s.pushOne(till, { type: 'sale', sale: wrong }, postSale(wrong, () => uuidv7()));
    expect(r1).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/1234 g at 1280\/kg is 1580, not 1581/) });
    const twice = cashSale(apples(1580, 1234, 2));
    const r2 = await s.pushOne(till, { type: 'sale', sale: twice }, postSale(twice, () => uuidv7()));
    expect(r2).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/quantity 2/) });
    const [n] = await hq.sql`select count(*)::int as n from sales where id = any(${[wrong.id, twice.id]}::text[])`;
    expect(n!.n).toBe(0);
  });
});
