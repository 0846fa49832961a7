import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { isDomainError } from '../core/errors';
import { DEFAULT_CHAIN_SETTINGS } from '../core/settings';
import { cardSpendable, memberPoints } from './balances';
import { journalTrialBalance } from './ledger';
import { applyChange } from './master-data';
import { allEvents } from './outbox';
import { eventFromWire, eventToWire } from '../protocols/sync/v1/codec';
import { FakeHqLink, openTestTerminal } from './testing';

/**
 * Random sequences of top-ups, sales paid by cash, stored value and points — held at a fake HQ
 * while the link is up, taken offline while it is down —, cancels releasing holds, and refunds
 * in random parts. Afterwards every sale is refunded to the last unit, newest first: each card
 * is back at its opening balance plus its top-ups, each member at their opening points, no hold
 * is left pending, and the journal balanced throughout. (The fake HQ only answers Authorize the
 * way HQ would; HQ's own rules are tested against the real HQ.)
 */

const BARCODES = ['6901028001014', '6924807010182', '6907028100122', '6901050000177', '6920202002319', '6930482010416'];
const CARDS = [
  { cardNo: '8F3A21C4', cardId: 'c-0001', memberId: 'm-0001' },
  { cardNo: '5B7E0D92', cardId: 'c-0002', memberId: 'm-0002' },
  { cardNo: '8888000100000014', cardId: 'c-0003', memberId: 'm-0003' },
  { cardNo: '8888000100000022', cardId: 'c-0004', memberId: 'm-0004' },
];

type Step =
  | { kind: 'topUp'; card: number; principal: number }
  | { kind: 'sale'; items: Array<{ item: number; quantity: number }>; card: number | null; points: number; storedValue: number; cancel: boolean }
  | { kind: 'refund'; sale: number; line: number; quantity: number }
  | { kind: 'link'; online: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('topUp' as const), card: fc.nat(CARDS.length - 1), principal: fc.integer({ min: 1, max: 120_000 }) }),
  fc.record({
    kind: fc.constant('sale' as const),
    items: fc.array(fc.record({ item: fc.nat(BARCODES.length - 1), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 4 }),
    card: fc.option(fc.nat(CARDS.length - 1), { nil: null }),
    points: fc.integer({ min: 0, max: 3_000 }),
    storedValue: fc.integer({ min: 0, max: 40_000 }),
    cancel: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  }),
  fc.record({ kind: fc.constant('link' as const), online: fc.boolean() }),
  fc.record({ kind: fc.constant('refund' as const), sale: fc.nat(20), line: fc.nat(3), quantity: fc.integer({ min: 1, max: 3 }) }),
);

describe('member money at the terminal', () => {
  it('random top-ups, sales (cash, stored value, points; online and offline), cancels and refunds keep the journal balanced; refunding everything restores every card and points balance', async () => {
    const seen = { holds: 0, offline: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), fc.constantFrom('principal_first' as const, 'bonus_first' as const), async (steps, order) => {
        const base = openTestTerminal(demoChain);
        const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
        base.db.close();
        hq.online = false;
        // Generous at the fake HQ: the terminal's own view is what the property is about.
        for (const c of CARDS) {
          hq.balances.set(c.cardId, { principal: 100_000_000, bonus: 100_000_000 });
          hq.points.set(c.cardId, { memberId: c.memberId, points: 100_000_000 });
        }
        const t = openTestTerminal(demoChain, { hq });
        t.db.transaction(() => {
          const ctx = { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 };
          applyChange(t.db, { seq: 1, deleted: false, body: { type: 'setting', key: 'spendingOrder', value: order } }, ctx);
          // Offline limits out of the way: this property is about the money, the limits have their own tests.
          applyChange(t.db, { seq: 2, deleted: false, body: { type: 'setting', key: 'offline', value: { perTransactionMinor: 10_000_000, perTerminalUnsyncedTotalMinor: 100_000_000, perTerminalUnsyncedCount: 10_000 } } }, ctx);
          applyChange(t.db, { seq: 3, deleted: false, body: { type: 'setting', key: 'pointsTender', value: { ...DEFAULT_CHAIN_SETTINGS.pointsTender, maxShareOfSale: '0.8' } } }, ctx);
          for (const l of demoChain.levels) applyChange(t.db, { seq: 4, deleted: false, body: { type: 'level', level: { ...l, offlineLimitMinor: 100_000_000 } } }, ctx);
        })();
        const start = new Map(CARDS.map((c) => [c.cardId, cardSpendable(t.db, c.cardId)]));
        const startPoints = new Map(CARDS.map((c) => [c.memberId, memberPoints(t.db, c.memberId)]));
        const toppedUp = new Map(CARDS.map((c) => [c.cardId, { principal: 0, bonus: 0 }]));
        const sales: string[] = [];
        const tolerated = (e: unknown, ...codes: string[]) => {
          if (!isDomainError(e) || !codes.includes(e.code)) throw e;
        };

        for (const s of steps) {
          if (s.kind === 'topUp') {
            const c = CARDS[s.card]!;
            const r = t.checkout.topUp({ cardNo: c.cardNo, principalMinor: s.principal, tender: 'cash' });
            const sum = toppedUp.get(c.cardId)!;
            sum.principal += r.principalMinor;
            sum.bonus += r.bonusMinor;
          } else if (s.kind === 'link') {
            hq.online = s.online;
          } else if (s.kind === 'sale') {
            const sale = t.checkout.openSale();
            for (const i of s.items) t.checkout.addItem(sale.id, BARCODES[i.item]!, i.quantity);
            if (s.card !== null) {
              t.checkout.attachMember(sale.id, CARDS[s.card]!.cardNo);
              if (s.points > 0) await t.checkout.addPointsTender(sale.id, s.points).catch((e) => tolerated(e, 'INSUFFICIENT_POINTS', 'POINTS_BELOW_REDEMPTION_UNIT'));
              const sv = Math.min(s.storedValue, t.checkout.getSale(sale.id).dueMinor);
              if (sv > 0) await t.checkout.addStoredValueTender(sale.id, sv).catch((e) => tolerated(e, 'INSUFFICIENT_BALANCE'));
            }
            if (s.cancel) {
              await t.checkout.cancel(sale.id);
            } else {
              const due = t.checkout.getSale(sale.id).dueMinor;
              if (due > 0) t.checkout.addCashTender(sale.id, due);
              t.checkout.complete(sale.id);
              sales.push(sale.id);
            }
          } else if (sales.length > 0) {
            const saleId = sales[s.sale % sales.length]!;
            const summary = t.services.refunds.summary(saleId);
            const line = summary.lines[s.line % summary.lines.length]!;
            const left = line.quantity - line.refundedQuantity;
            if (left > 0) {
              try {
                t.services.refunds.refund({ saleId, lines: [{ lineNo: line.lineNo, quantity: Math.min(left, s.quantity) }], withReceipt: true });
              } catch (e) {
                // Points earned by this sale may have been spent by a later one.
                tolerated(e, 'INSUFFICIENT_POINTS');
              }
            }
          }
          const trial = journalTrialBalance(t.db);
          expect(trial.debits).toBe(trial.credits);
        }

        // Everything back, newest sale first, so points a later sale spent come back before an earlier sale's are taken.
        for (const saleId of [...sales].reverse()) {
          const lines = t.services.refunds.summary(saleId).lines.filter((l) => l.quantity > l.refundedQuantity).map((l) => ({ lineNo: l.lineNo, quantity: l.quantity - l.refundedQuantity }));
          if (lines.length > 0) t.services.refunds.refund({ saleId, lines, withReceipt: false });
        }
        for (const c of CARDS) {
          const s = start.get(c.cardId)!;
          const up = toppedUp.get(c.cardId)!;
          expect(cardSpendable(t.db, c.cardId)).toEqual({ principal: s.principal + up.principal, bonus: s.bonus + up.bonus });
          expect(memberPoints(t.db, c.memberId)).toBe(startPoints.get(c.memberId));
        }
        const trial = journalTrialBalance(t.db);
        expect(trial.debits).toBe(trial.credits);
        expect(t.db.prepare("SELECT COUNT(*) AS n FROM pending_transfers WHERE status = 'pending'").get()).toEqual({ n: 0 });
        seen.holds += (t.db.prepare('SELECT COUNT(*) AS n FROM holds').get() as { n: number }).n;
        seen.offline += (t.db.prepare('SELECT COUNT(*) AS n FROM offline_debits').get() as { n: number }).n;
        // Every event survives the wire as it is.
        for (const e of allEvents(t.db)) expect(eventFromWire(eventToWire(e), 't-test-1')).toEqual(e);
        t.db.close();
      }),
      { numRuns: 40 },
    );
    // The runs did exercise both paths.
    expect(seen.holds).toBeGreaterThan(0);
    expect(seen.offline).toBeGreaterThan(0);
  });
});
