import { describe, expect, it } from 'vitest';
import { cardPrincipalAccountId } from '../core/accounts';
import { DomainError, isDomainError } from '../core/errors';
import { planRefund, type RefundDocument } from '../core/refund';
import type { SaleDocument } from '../core/sale';
import { demoChain } from '../fixtures/data/demo-chain';
import type { SaleLookup } from '../protocols/sync/v1/codec';
import { allEvents } from './outbox';
import { mergeRefunds } from './refunds';
import { FakeHqLink, openTestTerminal } from './testing';

/**
 * Refunds of sales made at another terminal or store, against an in-memory HQ that knows sales
 * (GetSale, ListMemberSales). The real HQ end to end is refund-elsewhere.hq.test.ts.
 */

class HqWithSales extends FakeHqLink {
  readonly sales = new Map<string, SaleLookup>();
  lookups = 0;

  async getSale(saleId: string): Promise<SaleLookup> {
    this.lookups += 1;
    if (!this.online) throw new DomainError('HQ_OFFLINE', 'unreachable');
    const l = this.sales.get(saleId);
    if (!l) throw new DomainError('NOT_FOUND', `HQ has no sale ${saleId}`);
    return structuredClone(l);
  }

  async listMemberSales(memberId: string, limit: number): Promise<SaleLookup[]> {
    if (!this.online) throw new DomainError('HQ_OFFLINE', 'unreachable');
    return [...this.sales.values()].filter((l) => l.sale.memberId === memberId).slice(0, limit).map((l) => structuredClone(l));
  }
}

/** A Hangzhou sale of the gold member: 3 × ¥20.00, ¥30.00 by card (principal), ¥30.00 cash, 90 points. */
function hangzhouSale(): SaleDocument {
  return {
    id: '01900000-0000-7000-8000-00000000abcd',
    storeId: 'store-hz-01',
    terminalId: 't-hz-01-1',
    currency: 'CNY',
    memberId: 'm-0002',
    cardId: 'c-0002',
    lines: [{ lineNo: 1, sku: 'SKU-0030', barcode: '6907028100122', name: '纯牛奶', quantity: 3, unitPriceMinor: 2_000, amountMinor: 6_000, eligibleForMemberBenefits: true }],
    totalMinor: 6_000,
    tenders: [
      { kind: 'stored_value', amountMinor: 3_000, cardId: 'c-0002', legs: [{ accountId: cardPrincipalAccountId('c-0002'), part: 'principal', amount: 3_000, holdId: 'h-1/principal' }] },
      { kind: 'cash', amountMinor: 3_000, tenderedMinor: 3_000, changeMinor: 0 },
    ],
    pointsEarned: 90,
    completedAt: Date.UTC(2026, 10, 21, 3, 0, 0),
  };
}

async function codeOf(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return 'ok';
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw e;
  }
}

function setUp() {
  const base = openTestTerminal(demoChain);
  const hq = new HqWithSales('store-sh-01', 'CNY', base.clock);
  const t = openTestTerminal(demoChain, { hq });
  const sale = hangzhouSale();
  const atHq: RefundDocument = planRefund(sale, [], [{ lineNo: 1, quantity: 1 }], { refundId: 'r-hz-1', terminalId: 't-hz-01-1', storeId: 'store-hz-01', completedAt: sale.completedAt + 1, withReceipt: true });
  hq.sales.set(sale.id, { sale, terminalId: 't-hz-01-1', refunds: [atHq] });
  return { t, hq, sale, atHq };
}

describe('refund of a sale made at another store (fake HQ)', () => {
  it('plans against HQ refunds plus this till’s own not yet at HQ, and records the sale it refunded', async () => {
    const { t, hq, sale, atHq } = setUp();
    const first = await t.services.refunds.refundSale({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: false });
    // Hangzhou already took 1 of 3 back: this is the second third, ¥20.00 = ¥10.00 card + ¥10.00 cash.
    expect(first.refund.tenders.map((x) => [x.kind, x.amountMinor])).toEqual([['stored_value', 1_000], ['cash', 1_000]]);
    expect([first.refund.storeId, first.refund.terminalId, first.refund.pointsReversed]).toEqual(['store-sh-01', 't-test-1', 30]);
    const event = allEvents(t.db).at(-1)!;
    expect(event.body.type).toBe('refund');
    expect(event.transfers.map((x) => [x.code, x.debitAccountId, x.creditAccountId, x.amount])).toEqual([
      ['REFUND_STORED_VALUE', 'store:store-sh-01:sales', cardPrincipalAccountId('c-0002'), 1_000],
      ['REFUND_CASH', 'store:store-sh-01:sales', 'store:store-sh-01:cash', 1_000],
      ['POINTS_REVERSED', 'member:m-0002:points', 'chain:points_issued', 30],
    ]);
    expect(t.db.prepare('SELECT terminal_id, store_id FROM sales_elsewhere WHERE id = ?').get(sale.id)).toEqual({ terminal_id: 't-hz-01-1', store_id: 'store-hz-01' });

    // HQ has not heard of our refund yet: the last one left is the only one left.
    expect(await codeOf(() => t.services.refunds.refundSale({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 2 }], withReceipt: false }))).toBe('REFUND_EXCEEDS_SALE');
    const last = await t.services.refunds.refundSale({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: false });
    expect(last.refund.tenders.map((x) => [x.kind, x.amountMinor])).toEqual([['stored_value', 1_000], ['cash', 1_000]]);
    expect(last.refund.pointsReversed).toBe(30);

    // Once HQ lists ours too, nothing is counted twice.
    hq.sales.get(sale.id)!.refunds.push(first.refund);
    const known = await t.services.refunds.lookup(sale.id);
    expect(t.services.refunds.allRefundsOf(known).map((r) => r.id)).toEqual([atHq.id, first.refund.id, last.refund.id]);
    expect(t.services.refunds.summaryOf(known)).toMatchObject({ madeHere: false, storeId: 'store-hz-01', refundedMinor: 6_000, lines: [{ lineNo: 1, refundedQuantity: 3 }] });
  });

  it('offline, or HQ without the sale: NOT_FOUND, nothing recorded', async () => {
    const { t, hq, sale } = setUp();
    const before = allEvents(t.db).length;
    hq.online = false;
    const offline = await t.services.refunds.refundSale({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true }).catch((e: DomainError) => e);
    expect([(offline as DomainError).code, (offline as DomainError).message]).toEqual(['NOT_FOUND', expect.stringMatching(/HQ/)]);
    // Offline is known without asking HQ: no call that would wait out a deadline.
    expect(hq.lookups).toBe(0);
    hq.online = true;
    expect(await codeOf(() => t.services.refunds.refundSale({ saleId: 'no-such-sale', lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true }))).toBe('NOT_FOUND');
    expect(allEvents(t.db)).toHaveLength(before);
  });

  it('a sale made here counts what other stores refunded of it while HQ answers, and its own refunds only offline', async () => {
    const { t, hq } = setUp();
    const here = t.checkout.openSale();
    t.checkout.addItem(here.id, '6901028001014');
    t.checkout.addItem(here.id, '6901028001014');
    t.checkout.addCashTender(here.id, 600, 600);
    t.checkout.complete(here.id);
    const doc = t.services.refunds.saleDocument(here.id);
    // Hangzhou refunded one of the two colas; HQ knows.
    const theirs = planRefund(doc, [], [{ lineNo: 1, quantity: 1 }], { refundId: 'r-hz-2', terminalId: 't-hz-01-1', storeId: 'store-hz-01', completedAt: doc.completedAt + 1, withReceipt: false });
    hq.sales.set(here.id, { sale: doc, terminalId: 't-test-1', refunds: [theirs] });
    expect(await codeOf(() => t.services.refunds.refundSale({ saleId: here.id, lines: [{ lineNo: 1, quantity: 2 }], withReceipt: true }))).toBe('REFUND_EXCEEDS_SALE');
    // HQ not having the sale yet (still in our outbox) is not an error: our own refunds are all there are.
    hq.sales.delete(here.id);
    const known = await t.services.refunds.lookup(here.id);
    expect([known.madeElsewhere, known.hqRefunds]).toEqual([null, []]);
    hq.online = false;
    const r = await t.services.refunds.refundSale({ saleId: here.id, lines: [{ lineNo: 1, quantity: 2 }], withReceipt: true });
    expect(r.refund.totalMinor).toBe(600);
  });

  it('the member’s sales: those made here and, online, those made elsewhere, newest first', async () => {
    const { t, hq, sale } = setUp();
    hq.online = false;
    const offline = await t.services.refunds.salesAnywhere({ memberId: 'm-0002' });
    expect(offline.map((s) => s.id)).not.toContain(sale.id);
    hq.online = true;
    const all = await t.services.refunds.salesAnywhere({ memberId: 'm-0002' });
    expect(all.find((s) => s.id === sale.id)).toMatchObject({ madeHere: false, storeId: 'store-hz-01', refundedMinor: 2_000 });
  });

  it('merges HQ’s refunds with ours by id', () => {
    const r = (id: string) => ({ id }) as RefundDocument;
    expect(mergeRefunds([r('a'), r('b')], [r('b'), r('c')]).map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });
});
