import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../../core/accounts';
import { uuidv7 } from '../../core/ids';
import type { Transfer } from '../../core/ledger';
import { planRefund, postRefund, type RefundDocument, type RefundLineRequest } from '../../core/refund';
import { postSale, type SaleDocument, type SaleLine, type SaleTender } from '../../core/sale';
import { postTopUp, type TopUpDocument } from '../../core/top-up';
import { eventToWire, transferFromWire, type EventBody, type SyncEvent } from '../../protocols/sync/v1/codec';
import type { Sql } from '../database';
import { accountCacheMismatches } from '../reconciliation';
import type { TestSyncClient } from './sync-client';

/**
 * A test's terminals talking to a real HQ over gRPC: enrolled tills with their own outbox seq,
 * members registered through the member desk, documents made with core's own rules (as a
 * terminal makes them), and balances read back from PostgreSQL.
 */

export interface Till {
  terminalId: string;
  storeId: string;
  credential: string;
  seq: number;
}

export const CNY = 'CNY';

export class Scenario {
  constructor(
    readonly sql: Sql,
    readonly client: TestSyncClient,
    private readonly clock: () => number = () => 1_763_800_000_000,
  ) {}

  async enroll(terminalId: string, storeId: string, code: string): Promise<Till> {
    const r = await this.client.call('Enroll', { enrollmentCode: code, deviceName: 'test till' });
    const [t] = await this.sql`select acked_seq from terminals where id = ${terminalId}`;
    return { terminalId, storeId, credential: r.credential, seq: (t?.acked_seq as number | undefined) ?? 0 };
  }

  /** A new member with one card and no money, registered at `till`'s store. */
  async newMember(till: Till, name = '测试会员'): Promise<{ memberId: string; cardId: string }> {
    const r = await this.client.call(
      'RegisterMember',
      { requestId: uuidv7(), name, phone: '13700000000', birthday: '', card: { cardNo: `T${uuidv7().replace(/-/g, '').slice(-14).toUpperCase()}`, medium: 'barcode', pin: '', expiresOn: '' } },
      till.credential,
    );
    return { memberId: r.member.id, cardId: r.cards[0].id };
  }

  event(till: Till, body: EventBody, transfers: Transfer[]): SyncEvent {
    return { seq: ++till.seq, id: uuidv7(), occurredAt: this.clock(), body, transfers };
  }

  async push(till: Till, events: SyncEvent[]): Promise<Array<{ seq: string; status: string; reason: string }>> {
    const r = await this.client.call('PushEvents', { events: events.map(eventToWire) }, till.credential);
    return r.results;
  }

  /** Pushes one event; returns its result. */
  async pushOne(till: Till, body: EventBody, transfers: Transfer[]) {
    return (await this.push(till, [this.event(till, body, transfers)]))[0]!;
  }

  topUpDoc(till: Till, who: { memberId: string; cardId: string }, principalMinor: number, bonusMinor: number): TopUpDocument {
    return { id: uuidv7(), storeId: till.storeId, terminalId: till.terminalId, currency: CNY, memberId: who.memberId, cardId: who.cardId, tender: 'cash', principalMinor, bonusMinor, completedAt: this.clock() };
  }

  async topUp(till: Till, who: { memberId: string; cardId: string }, principalMinor: number, bonusMinor: number): Promise<TopUpDocument> {
    const doc = this.topUpDoc(till, who, principalMinor, bonusMinor);
    const r = await this.pushOne(till, { type: 'top_up', topUp: doc }, postTopUp(doc, () => uuidv7()));
    if (r.status !== 'applied') throw new Error(`top-up not applied: ${r.reason}`);
    return doc;
  }

  /** Holds `amount` of the card's stored value online; returns the legs as a sale tender carries them. */
  async authorize(till: Till, cardId: string, amount: number, saleId: string, extra: Record<string, unknown> = {}) {
    const holdId = uuidv7();
    const r = await this.client.call('Authorize', { holdId, cardId, amount: String(amount), saleId, ...extra }, till.credential);
    return { holdId, holds: (r.holds as unknown[]).map((h) => transferFromWire(h, till.terminalId)) };
  }

  saleDoc(till: Till, who: { memberId: string; cardId: string } | null, lines: SaleLine[], tenders: SaleTender[], pointsEarned: number, id = uuidv7()): SaleDocument {
    const totalMinor = lines.reduce((s, l) => s + l.amountMinor, 0);
    return { id, storeId: till.storeId, terminalId: till.terminalId, currency: CNY, memberId: who?.memberId ?? null, cardId: who?.cardId ?? null, lines, totalMinor, tenders, pointsEarned, completedAt: this.clock() };
  }

  /** A sale paid wholly by stored value held online first (split principal/bonus by HQ). */
  async onlineStoredValueSale(till: Till, who: { memberId: string; cardId: string }, lines: SaleLine[], pointsEarned: number): Promise<SaleDocument> {
    const saleId = uuidv7();
    const total = lines.reduce((s, l) => s + l.amountMinor, 0);
    const { holds } = await this.authorize(till, who.cardId, total, saleId);
    const legs = holds.map((h) => ({ accountId: h.debitAccountId, part: (h.id.endsWith('/bonus') ? 'bonus' : 'principal') as 'principal' | 'bonus', amount: h.amount, holdId: h.id }));
    const sale = this.saleDoc(till, who, lines, [{ kind: 'stored_value', amountMinor: total, cardId: who.cardId, legs }], pointsEarned, saleId);
    const r = await this.pushOne(till, { type: 'sale', sale }, postSale(sale, () => uuidv7()));
    if (r.status !== 'applied') throw new Error(`sale not applied: ${r.reason}`);
    return sale;
  }

  refundDoc(till: Till, sale: SaleDocument, earlier: readonly RefundDocument[], request: RefundLineRequest[]): RefundDocument {
    return planRefund(sale, earlier, request, { refundId: uuidv7(), terminalId: till.terminalId, storeId: till.storeId, completedAt: this.clock(), withReceipt: true });
  }

  refundEvent(till: Till, refund: RefundDocument): SyncEvent {
    return this.event(till, { type: 'refund', refund }, postRefund(refund, () => uuidv7()));
  }

  async posted(accountId: string): Promise<number> {
    const [row] = await this.sql`select credits_posted - debits_posted as p from accounts where id = ${accountId}`;
    return (row?.p as number | undefined) ?? 0;
  }

  /** Principal, bonus (stored value of the card) and the member's points, as posted. */
  async wallet(who: { memberId: string; cardId: string }): Promise<{ principal: number; bonus: number; points: number }> {
    return {
      principal: await this.posted(cardPrincipalAccountId(who.cardId)),
      bonus: await this.posted(cardBonusAccountId(who.cardId)),
      points: await this.posted(memberPointsAccountId(who.memberId)),
    };
  }
}

export function line(lineNo: number, quantity: number, unitPriceMinor: number, eligible = true, sku = 'SKU-0030'): SaleLine {
  return { lineNo, sku, barcode: '6907028100122', name: sku, quantity, unitPriceMinor, amountMinor: quantity * unitPriceMinor, eligibleForMemberBenefits: eligible };
}

/**
 * Auditor: every ledger balances, no member account is below zero, cached balances (posted, and
 * pending where an account caches it) equal the transfers.
 */
export async function auditLedger(sql: Sql): Promise<{ unbalancedLedgers: unknown[]; negativeMembers: unknown[]; cacheMismatches: unknown[] }> {
  // Pending totals are cached on limited accounts only (ledger.ts cachesPending), so only posted ones add up to zero per ledger.
  const unbalancedLedgers = await sql`select ledger, sum(credits_posted - debits_posted)::bigint as s from accounts group by ledger having sum(credits_posted - debits_posted) <> 0`;
  const negativeMembers = await sql`select id from accounts where code in ('CARD_PRINCIPAL', 'CARD_BONUS', 'MEMBER_POINTS') and credits_posted - debits_posted - debits_pending < 0`;
  const cacheMismatches = (await accountCacheMismatches(sql)).map((a) => ({ id: a.id }));
  return { unbalancedLedgers: [...unbalancedLedgers], negativeMembers: [...negativeMembers], cacheMismatches };
}
