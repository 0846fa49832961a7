import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { postGiftRedemption } from '../core/gift';
import { uuidv7 } from '../core/ids';
import { availableCreditBalance } from '../core/ledger';
import { planRefund, postRefund, type RefundDocument } from '../core/refund';
import { postSale, type SaleDocument, type SaleLine, type SaleTender } from '../core/sale';
import { planTopUpRefund, postTopUp, postTopUpRefund, type TopUpDocument, type TopUpRefundDocument } from '../core/top-up';
import { eventToWire, type EventBody } from '../protocols/sync/v1/codec';
import type { Transfer } from '../core/ledger';
import { demoChain } from '../fixtures/data/demo-chain';
import { approveAdjustment, requestAdjustment } from './adjustments';
import { authorizeHold } from './holds';
import { expirePoints } from './jobs/points-expiry';
import { registerMember } from './member-desk';
import { pushEvents } from './push-events';
import { seedChain } from './seed';
import { writeSetting } from './settings';
import { auditLedger } from './testing/scenario';
import { startTestDatabase, type TestDatabase } from './testing/pg';

/**
 * Random sequences of top-ups, sales (stored value held online or taken offline without a hold,
 * the rest in cash), refunds, top-up refunds (both parts held, then captured), gift redemptions, points expiries and approved adjustments, each applied through PushEvents (or the HQ call a
 * terminal or operator would make) against real PostgreSQL. After every step the ledger
 * balances, no member account is below zero and cached balances equal the transfers; and
 * refunding everything a member bought returns every balance to where the top-ups left it (what an
 * offline sale overdrew goes back to the store's exposure first).
 */

const terminal = { terminalId: 't-sh-01-1', storeId: 'store-sh-01' };
const NOW = Date.parse('2026-05-01T04:00:00Z');
const MONTH = 31 * 86_400_000;

type Command =
  | { kind: 'top_up'; principal: number; bonus: number }
  /** online: stored value held at HQ first; offline: taken without a hold, maybe beyond the balance. */
  | { kind: 'sale'; lines: Array<{ quantity: number; unit: number }>; card: 'online' | 'offline' | 'none' }
  | { kind: 'gift'; points: number }
  | { kind: 'refund'; pick: number; take: number[] }
  | { kind: 'expire'; months: number }
  | { kind: 'adjust'; asset: 'stored_value' | 'points'; amount: number }
  /** A top-up given back, both parts held at HQ first and captured by the refund event. */
  | { kind: 'top_up_refund'; pick: number };

const lineArb = fc.record({ quantity: fc.integer({ min: 1, max: 4 }), unit: fc.integer({ min: 1, max: 5_000 }) });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('top_up' as const), principal: fc.integer({ min: 1, max: 50_000 }), bonus: fc.integer({ min: 0, max: 5_000 }) }),
  fc.record({ kind: fc.constant('sale' as const), lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }), card: fc.constantFrom('online' as const, 'offline' as const, 'none' as const) }),
  fc.record({ kind: fc.constant('gift' as const), points: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('refund' as const), pick: fc.nat(), take: fc.array(fc.nat({ max: 4 }), { minLength: 3, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('expire' as const), months: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('adjust' as const), asset: fc.constantFrom('stored_value' as const, 'points' as const), amount: fc.integer({ min: -3_000, max: 3_000 }).filter((n) => n !== 0) }),
  fc.record({ kind: fc.constant('top_up_refund' as const), pick: fc.nat() }),
);

describe('member money property: random sequences through PushEvents', () => {
  let db: TestDatabase;
  let seq = 0;

  beforeAll(async () => {
    db = await startTestDatabase();
    await seedChain(db.sql, demoChain);
    // Short-lived points, so that expiries happen within a sequence.
    await db.sql.begin((tx) => writeSetting(tx, 'pointsExpiry', { kind: 'rolling', months: 1 }, { operatorId: null, nodeId: null }));
    const [t] = await db.sql`select acked_seq from terminals where id = ${terminal.terminalId}`;
    seq = t!.acked_seq as number;
  });
  afterAll(async () => {
    await db?.stop();
  });

  async function push(body: EventBody, transfers: Transfer[], now = NOW) {
    const event = { seq: ++seq, id: uuidv7(), occurredAt: now, body, transfers };
    const [r] = (await pushEvents(db.sql, terminal, [eventToWire(event)], { now })).results;
    return r!;
  }
  const posted = async (id: string) => ((await db.sql`select credits_posted - debits_posted as p from accounts where id = ${id}`)[0]?.p as number | undefined) ?? 0;
  async function available(cardId: string) {
    const rows = await db.sql`select id, debits_posted, credits_posted, debits_pending, credits_pending from accounts where id in (${cardPrincipalAccountId(cardId)}, ${cardBonusAccountId(cardId)})`;
    return rows.reduce((s, r) => s + availableCreditBalance({ debitsPosted: r.debits_posted, creditsPosted: r.credits_posted, debitsPending: r.debits_pending, creditsPending: r.credits_pending }), 0);
  }

  /** What each part of the card can still spend at HQ (posted less held). */
  async function availableParts(cardId: string) {
    const part = async (id: string) => {
      const [r] = await db.sql`select debits_posted, credits_posted, debits_pending, credits_pending from accounts where id = ${id}`;
      return availableCreditBalance({ debitsPosted: r!.debits_posted, creditsPosted: r!.credits_posted, debitsPending: r!.debits_pending, creditsPending: r!.credits_pending });
    };
    return { principal: await part(cardPrincipalAccountId(cardId)), bonus: await part(cardBonusAccountId(cardId)) };
  }

  /** Runs `commands` for a new member; returns their sales and the refunds applied. */
  async function run(commands: readonly Command[], options: { check: boolean }) {
    const clock = { now: () => NOW };
    const desk = await registerMember(db.sql, { terminalId: terminal.terminalId, operatorId: null, nodeId: terminal.storeId }, { requestId: uuidv7(), name: '随机', phone: '13500000000', birthday: null, card: { cardNo: `P${uuidv7().replace(/-/g, '').slice(-16)}`, medium: 'barcode', pin: null, expiresOn: null } }, clock);
    const memberId = desk.member.id;
    const cardId = desk.cards[0]!.id;
    const sales: SaleDocument[] = [];
    const refunds = new Map<string, RefundDocument[]>();
    const topUps: TopUpDocument[] = [];
    const refundedTopUps = new Set<string>();
    let now = NOW;
    for (const c of commands) {
      if (c.kind === 'top_up') {
        const doc: TopUpDocument = { id: uuidv7(), storeId: terminal.storeId, terminalId: terminal.terminalId, currency: 'CNY', memberId, cardId, tender: 'cash', principalMinor: c.principal, bonusMinor: c.bonus, completedAt: now };
        expect((await push({ type: 'top_up', topUp: doc }, postTopUp(doc, () => uuidv7()))).status).toBe('applied');
        topUps.push(doc);
      } else if (c.kind === 'sale') {
        const lines: SaleLine[] = c.lines.map((l, i) => ({ lineNo: i + 1, sku: `SKU-${i}`, barcode: '6901028001014', name: 'item', quantity: l.quantity, unitPriceMinor: l.unit, amountMinor: l.quantity * l.unit, eligibleForMemberBenefits: i !== 2 }));
        const total = lines.reduce((s, l) => s + l.amountMinor, 0);
        const saleId = uuidv7();
        const tenders: SaleTender[] = [];
        // Offline, the till believed the card held up to twice what HQ has.
        const onCard = c.card === 'online' ? Math.min(total, await available(cardId)) : c.card === 'offline' ? Math.min(total, 2 * (await available(cardId)) + 1) : 0;
        if (onCard > 0 && c.card === 'online') {
          const hold = await authorizeHold(db.sql, terminal, { holdId: uuidv7(), cardId, amount: onCard, saleId, asset: 'stored_value' }, now);
          tenders.push({ kind: 'stored_value', amountMinor: onCard, cardId, legs: hold.holds.map((h) => ({ accountId: h.debitAccountId, part: h.id.endsWith('/bonus') ? 'bonus' : 'principal', amount: h.amount, holdId: h.id })) });
        } else if (onCard > 0) {
          tenders.push({ kind: 'stored_value', amountMinor: onCard, cardId, legs: [{ accountId: cardPrincipalAccountId(cardId), part: 'principal', amount: onCard, holdId: null }] });
        }
        if (total > onCard) tenders.push({ kind: 'cash', amountMinor: total - onCard, tenderedMinor: total - onCard, changeMinor: 0 });
        const eligible = lines.filter((l) => l.eligibleForMemberBenefits).reduce((s, l) => s + l.amountMinor, 0);
        const sale: SaleDocument = { id: saleId, storeId: terminal.storeId, terminalId: terminal.terminalId, currency: 'CNY', memberId, cardId, lines, totalMinor: total, tenders, pointsEarned: Math.floor(eligible / 100), completedAt: now };
        expect((await push({ type: 'sale', sale }, postSale(sale, () => uuidv7()), now)).status).toBe('applied');
        sales.push(sale);
      } else if (c.kind === 'refund') {
        if (sales.length === 0) continue;
        const sale = sales[c.pick % sales.length]!;
        const earlier = refunds.get(sale.id) ?? [];
        const request = sale.lines
          .map((l, i) => {
            const left = l.quantity - earlier.flatMap((r) => r.lines).filter((x) => x.lineNo === l.lineNo).reduce((s, x) => s + x.quantity, 0);
            return { lineNo: l.lineNo, quantity: Math.min(left, c.take[i] ?? 0) };
          })
          .filter((r) => r.quantity > 0);
        if (request.length === 0) continue;
        const refund = planRefund(sale, earlier, request, { refundId: uuidv7(), terminalId: terminal.terminalId, storeId: terminal.storeId, completedAt: now, withReceipt: true });
        const r = await push({ type: 'refund', refund }, postRefund(refund, () => uuidv7()), now);
        // Points reversed that already expired or were spent cannot be taken back: refused, kept.
        if (r.status === 'applied') refunds.set(sale.id, [...earlier, refund]);
        else expect(r.reason).toMatch(/exceeds_credits/);
      } else if (c.kind === 'gift') {
        const gift = { id: uuidv7(), memberId, storeId: terminal.storeId, terminalId: terminal.terminalId, giftSku: 'GIFT', quantity: 1, points: c.points, completedAt: now };
        const r = await push({ type: 'gift_redemption', gift }, postGiftRedemption(gift, () => uuidv7()), now);
        if (r.status !== 'applied') expect(r.reason).toMatch(/exceeds_credits/);
      } else if (c.kind === 'top_up_refund') {
        const open = topUps.filter((t) => !refundedTopUps.has(t.id));
        if (open.length === 0) continue;
        const topUp = open[c.pick % open.length]!;
        const parts = await availableParts(cardId);
        let plan: { principalMinor: number; bonusClawedBackMinor: number };
        try {
          plan = planTopUpRefund(topUp, parts);
        } catch (e) {
          expect((e as { code?: string }).code).toBe('INSUFFICIENT_BALANCE');
          continue;
        }
        const refundId = uuidv7();
        const hold = (part: 'principal' | 'bonus', amount: number) => authorizeHold(db.sql, terminal, { holdId: uuidv7(), cardId, amount, saleId: refundId, asset: 'stored_value', part }, now);
        const p = await hold('principal', plan.principalMinor);
        const b = plan.bonusClawedBackMinor > 0 ? await hold('bonus', plan.bonusClawedBackMinor) : null;
        // Held until the refund posts: what the card can still spend is down by both parts.
        expect(await availableParts(cardId)).toEqual({ principal: parts.principal - plan.principalMinor, bonus: parts.bonus - plan.bonusClawedBackMinor });
        const doc: TopUpRefundDocument = { id: refundId, topUpId: topUp.id, storeId: terminal.storeId, terminalId: terminal.terminalId, currency: 'CNY', memberId, cardId, tender: 'cash', ...plan, principalHoldId: p.holds[0]!.id, bonusHoldId: b?.holds[0]!.id ?? null, completedAt: now };
        expect(await push({ type: 'top_up_refund', topUpRefund: doc }, postTopUpRefund(doc, () => uuidv7()), now)).toMatchObject({ status: 'applied' });
        refundedTopUps.add(topUp.id);
        // Posted: the same amounts left the card, nothing stays held.
        expect(await availableParts(cardId)).toEqual({ principal: parts.principal - plan.principalMinor, bonus: parts.bonus - plan.bonusClawedBackMinor });
        const [pending] = await db.sql`select coalesce(sum(debits_pending), 0)::bigint as n from accounts where id in (${cardPrincipalAccountId(cardId)}, ${cardBonusAccountId(cardId)})`;
        expect(pending!.n).toBe(0);
      } else if (c.kind === 'expire') {
        now += c.months * MONTH;
        await expirePoints(db.sql, now, [memberId]);
      } else {
        const a = await requestAdjustment(db.sql, { id: 'op-admin', nodeId: 'hq' }, { asset: c.asset, memberId, cardId: c.asset === 'stored_value' ? cardId : null, part: c.asset === 'stored_value' ? 'principal' : null, amount: c.amount, reason: 'property test' });
        await approveAdjustment(db.sql, { id: 'op-finance', nodeId: 'hq' }, a.id, { now: () => now }).catch((e: { code?: string }) => expect(e.code).toBe('INSUFFICIENT_BALANCE'));
      }
      if (options.check) expect(await auditLedger(db.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
    }
    return { memberId, cardId, sales, refunds, topUps };
  }

  it('the ledger always balances and no member account goes below zero', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 12 }), async (commands) => {
        await run(commands, { check: true });
      }),
      { numRuns: 20 },
    );
  });

  it('refunding everything returns every balance to where the top-ups left it', async () => {
    const buying = fc.array(commandArb.filter((c) => c.kind === 'top_up' || c.kind === 'sale' || c.kind === 'refund'), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(buying, async (commands) => {
        const { memberId, cardId, sales, refunds, topUps } = await run(commands, { check: false });
        for (const sale of sales) {
          const earlier = refunds.get(sale.id) ?? [];
          const request = sale.lines
            .map((l) => ({ lineNo: l.lineNo, quantity: l.quantity - earlier.flatMap((r) => r.lines).filter((x) => x.lineNo === l.lineNo).reduce((s, x) => s + x.quantity, 0) }))
            .filter((r) => r.quantity > 0);
          if (request.length === 0) continue;
          const refund = planRefund(sale, earlier, request, { refundId: uuidv7(), terminalId: terminal.terminalId, storeId: terminal.storeId, completedAt: NOW, withReceipt: true });
          expect(await push({ type: 'refund', refund }, postRefund(refund, () => uuidv7()))).toMatchObject({ status: 'applied' });
        }
        expect({
          principal: await posted(cardPrincipalAccountId(cardId)),
          bonus: await posted(cardBonusAccountId(cardId)),
          points: await posted(memberPointsAccountId(memberId)),
        }).toEqual({ principal: topUps.reduce((s, t) => s + t.principalMinor, 0), bonus: topUps.reduce((s, t) => s + t.bonusMinor, 0), points: 0 });
        // What offline sales overdrew was paid back to the store first: no exposure is left on this member.
        const [left] = await db.sql`select coalesce(sum(amount - refunded), 0)::bigint as n from offline_overdrafts o join sales s on s.id = o.sale_id where s.member_id = ${memberId}`;
        expect(left!.n).toBe(0);
        expect(await auditLedger(db.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
      }),
      { numRuns: 20 },
    );
  });
});
