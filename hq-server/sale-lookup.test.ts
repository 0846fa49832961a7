import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../core/ids';
import { demoChain } from '../fixtures/data/demo-chain';
import { saleLookupFromWire } from '../protocols/sync/v1/codec';
import { startTestHq } from './testing/hq';
import { line, Scenario, type Till } from './testing/scenario';
import { createTestSyncClient, type CallError, type TestSyncClient } from './testing/sync-client';

/**
 * GetSale and ListMemberSales (sale-lookup.ts): a sale made at one store, with the refunds of it
 * HQ applied, for a refund at another. Real embedded PostgreSQL, real gRPC.
 */

describe('sales looked up at HQ for a refund at another store', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let s: Scenario;
  let sh: Till;
  let hz: Till;

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    sh = await s.enroll('t-sh-01-1', 'store-sh-01', await hq.enrollmentCode('t-sh-01-1'));
    hz = await s.enroll('t-hz-01-1', 'store-hz-01', await hq.enrollmentCode('t-hz-01-1'));
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  const codeOf = (p: Promise<unknown>) => p.then(() => 'answered', (e: CallError) => e.onecardCode ?? `grpc ${e.code}`);

  it('answers a sale of another store exactly as its till pushed it, with the refunds HQ applied of it', async () => {
    const who = await s.newMember(sh, '跨店退货');
    await s.topUp(sh, who, 50_000, 0);
    const sale = await s.onlineStoredValueSale(sh, who, [line(1, 3, 2_000), line(2, 1, 990)], 69);
    const first = s.refundDoc(sh, sale, [], [{ lineNo: 1, quantity: 1 }]);
    expect(await s.push(sh, [s.refundEvent(sh, first)])).toMatchObject([{ status: 'applied' }]);

    // Asked by the Hangzhou till: the Shanghai sale, its terminal, and the one refund.
    const got = saleLookupFromWire(await client.call('GetSale', { saleId: sale.id }, hz.credential));
    expect(got.terminalId).toBe('t-sh-01-1');
    expect(got.sale).toEqual(sale);
    expect(got.refunds).toEqual([{ ...first, terminalId: '' }]);

    // The member's sales anywhere, newest first, each with its refunds.
    const later = await s.onlineStoredValueSale(sh, who, [line(1, 1, 500)], 5);
    const list = (await client.call('ListMemberSales', { memberId: who.memberId, limit: 10 }, hz.credential)).sales.map(saleLookupFromWire);
    expect(list.map((l: { sale: { id: string }; refunds: unknown[] }) => [l.sale.id, l.refunds.length])).toEqual([[later.id, 0], [sale.id, 1]]);
    const one = (await client.call('ListMemberSales', { memberId: who.memberId, limit: 1 }, hz.credential)).sales;
    expect(one).toHaveLength(1);
  });

  it('refuses an unknown sale with NOT_FOUND, a bad request with VALIDATION_FAILED, and a caller without a credential', async () => {
    expect(await codeOf(client.call('GetSale', { saleId: uuidv7() }, hz.credential))).toBe('NOT_FOUND');
    expect(await codeOf(client.call('GetSale', { saleId: '' }, hz.credential))).toBe('VALIDATION_FAILED');
    expect(await codeOf(client.call('GetSale', { saleId: uuidv7() }, null))).toBe('UNAUTHENTICATED');
    expect(await codeOf(client.call('ListMemberSales', { memberId: 'm-0001', limit: 5 }, null))).toBe('UNAUTHENTICATED');
    expect((await client.call('ListMemberSales', { memberId: 'nobody', limit: 0 }, hz.credential)).sales).toEqual([]);
  });
});
