import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { isDomainError } from '../core/errors';
import { cardSpendable } from './balances';
import { journalTrialBalance } from './ledger';
import { allEvents } from './outbox';
import { eventFromWire, eventToWire } from '../protocols/sync/v1/codec';
import { FakeHqLink, openTestTerminal } from './testing';

const BARCODES = demoChain.products.slice(0, 12).map((p) => p.barcode).concat(['6901050000177']);
const CARDS = ['8F3A21C4', '5B7E0D92', '8888000100000014', '8888000100000022'];
const CARD_IDS: Record<string, string> = { '8F3A21C4': 'c-0001', '5B7E0D92': 'c-0002', '8888000100000014': 'c-0003', '8888000100000022': 'c-0004' };

type Step =
  | { kind: 'topUp'; card: number; principal: number; tender: 'cash' | 'bank_card' }
  | { kind: 'sale'; items: number[]; card: number | null; storedValue: number; cancel: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('topUp' as const), card: fc.nat(CARDS.length - 1), principal: fc.integer({ min: 1, max: 150_000 }), tender: fc.constantFrom('cash' as const, 'bank_card' as const) }),
  fc.record({
    kind: fc.constant('sale' as const),
    items: fc.array(fc.nat(BARCODES.length - 1), { minLength: 1, maxLength: 5 }),
    card: fc.option(fc.nat(CARDS.length - 1), { nil: null }),
    storedValue: fc.integer({ min: 0, max: 20_000 }),
    cancel: fc.boolean(),
  }),
);

describe('terminal journal', () => {
  it('random sequences of sales, stored-value payments, cancels and top-ups keep it balanced, with gapless seqs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const base = openTestTerminal(demoChain);
        const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
        for (const b of demoChain.openingBalances) hq.balances.set(b.cardId, { principal: b.principalMinor, bonus: b.bonusMinor });
        base.db.close();
        const t = openTestTerminal(demoChain, { hq });
        for (const s of steps) {
          if (s.kind === 'topUp') {
            t.checkout.topUp({ cardNo: CARDS[s.card]!, principalMinor: s.principal, tender: s.tender });
            const b = hq.balances.get(CARD_IDS[CARDS[s.card]!]!)!;
            b.principal += s.principal; // HQ would learn of it by the push; the fake learns at once
            continue;
          }
          const sale = t.checkout.openSale();
          for (const i of s.items) t.checkout.addItem(sale.id, BARCODES[i]!);
          if (s.card !== null) t.checkout.attachMember(sale.id, CARDS[s.card]!);
          const total = t.checkout.getSale(sale.id).totalMinor;
          const sv = Math.min(s.storedValue, total);
          if (s.card !== null && sv > 0) {
            try {
              await t.checkout.addStoredValueTender(sale.id, sv);
            } catch (e) {
              if (!isDomainError(e) || e.code !== 'INSUFFICIENT_BALANCE') throw e;
            }
          }
          if (s.cancel) {
            await t.checkout.cancel(sale.id);
          } else {
            const due = t.checkout.getSale(sale.id).dueMinor;
            if (due > 0) t.checkout.addCashTender(sale.id, due, due + 50);
            t.checkout.complete(sale.id);
          }
        }
        const trial = journalTrialBalance(t.db);
        expect(trial.debits).toBe(trial.credits);
        const events = allEvents(t.db);
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        // Every event is one HQ accepts as well-formed.
        for (const e of events) expect(() => eventFromWire(eventToWire(e), t.terminal.terminalId)).not.toThrow();
        const carried = events.reduce((n, e) => n + e.transfers.length, 0);
        const held = t.db.prepare("SELECT COUNT(*) AS n FROM transfers WHERE event_seq IS NULL").get() as { n: number };
        const journal = t.db.prepare('SELECT COUNT(*) AS n FROM transfers').get() as { n: number };
        expect(journal.n).toBe(carried + held.n); // every transfer of ours travels in exactly one event
        for (const id of Object.values(CARD_IDS)) {
          const sp = cardSpendable(t.db, id);
          expect(sp.principal).toBeGreaterThanOrEqual(0);
          expect(sp.bonus).toBeGreaterThanOrEqual(0);
        }
        const pending = t.db.prepare("SELECT COUNT(*) AS n FROM pending_transfers WHERE status = 'pending'").get() as { n: number };
        expect(pending.n).toBe(0); // every hold was captured or released
        t.db.close();
      }),
      { numRuns: 30 },
    );
  });
});
