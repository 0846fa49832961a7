import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeCashAccountId, storeSalesAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
import { eventToWire } from '../protocols/sync/v1/codec';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';

/** The value of the first sample of `name` whose labels include every pair in `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('HQ Prometheus metrics', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    client = createTestSyncClient(hq.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  it('counts applied and quarantined events, times calls and Authorize, and reports push lag per terminal', async () => {
    const { credential } = await client.call<{ credential: string }>('Enroll', { enrollmentCode: await hq.enrollmentCode('t-sh-01-2'), deviceName: 'metrics' });
    const p = demoChain.products[0]!;
    const now = Date.now();
    const sale = { id: 'metrics-sale-1', storeId: 'store-sh-01', terminalId: '', currency: 'CNY', memberId: null, cardId: null, lines: [{ lineNo: 1, sku: p.sku, barcode: p.barcode, name: p.name, quantity: 1, unitPriceMinor: p.priceMinor, amountMinor: p.priceMinor, eligibleForMemberBenefits: true }], totalMinor: p.priceMinor, tenders: [{ kind: 'cash' as const, amountMinor: p.priceMinor, tenderedMinor: p.priceMinor, changeMinor: 0 }], pointsEarned: 0, completedAt: now };
    const transfers = [{ id: 'metrics-t-1', kind: 'single' as const, debitAccountId: storeCashAccountId('store-sh-01'), creditAccountId: storeSalesAccountId('store-sh-01'), ledger: 'CNY', amount: p.priceMinor, code: 'SALE_CASH' as const, pendingId: null, timestamp: now, originTerminalId: null, documentId: sale.id }];
    const good = eventToWire({ seq: 1, id: 'metrics-e-1', occurredAt: now, body: { type: 'sale', sale }, transfers });
    const otherStore = eventToWire({ seq: 2, id: 'metrics-e-2', occurredAt: now, body: { type: 'sale', sale: { ...sale, id: 'metrics-sale-2', storeId: 'store-gz-01' } }, transfers: [] });
    await client.call('PushEvents', { events: [good, otherStore] }, credential);
    await client.call('Authorize', { holdId: 'metrics-hold', cardId: 'no-such-card', amount: '100', saleId: 'x' }, credential).catch(() => {});

    const res = await fetch(`${hq.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(sample(text, 'onecard_events', { status: 'applied' })).toBe(1);
    expect(sample(text, 'onecard_events', { status: 'quarantined' })).toBe(1);
    expect(sample(text, 'onecard_grpc_request_duration_seconds_count', { method: 'PushEvents', code: '0' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'onecard_authorize_duration_seconds_count', { outcome: 'refused' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'onecard_terminal_push_lag_seconds', { terminal: 't-sh-01-2' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'onecard_terminal_seconds_since_contact', { terminal: 't-sh-01-2' })).toBeGreaterThanOrEqual(0);
  });
});
