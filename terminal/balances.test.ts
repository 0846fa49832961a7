import { describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { cardBonusAccountId, cardPrincipalAccountId } from '../core/accounts';
import { cardSpendable } from './balances';
import { applyChange } from './master-data';
import { FakeHqLink, openTestTerminal, type TestTerminal } from './testing';

const GOLD_CARD = '5B7E0D92'; // c-0002: principal 523.00, bonus 80.00

function hqSays(t: TestTerminal, balances: { principal: number; bonus: number; held?: number }, appliedSeq: number, snapshotGen: number) {
  t.db.transaction(() => {
    const ctx = { currency: 'CNY', appliedSeq, snapshotGen };
    applyChange(t.db, { seq: 1, deleted: false, body: { type: 'balance', balance: { accountId: cardPrincipalAccountId('c-0002'), ledger: 'CNY', posted: balances.principal, held: balances.held ?? 0 } } }, ctx);
    applyChange(t.db, { seq: 2, deleted: false, body: { type: 'balance', balance: { accountId: cardBonusAccountId('c-0002'), ledger: 'CNY', posted: balances.bonus, held: 0 } } }, ctx);
  })();
}

function startPull(t: TestTerminal): number {
  t.db.prepare('UPDATE sync_state SET pulls_started = pulls_started + 1').run();
  return (t.db.prepare('SELECT pulls_started FROM sync_state').get() as { pulls_started: number }).pulls_started;
}

describe('spendable balance', () => {
  it('is HQ balance plus this terminal’s events HQ had not applied, never both', () => {
    const t = openTestTerminal(demoChain);
    expect(cardSpendable(t.db, 'c-0002')).toEqual({ principal: 52300, bonus: 8000 });
    t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 50_000, tender: 'cash' }); // seq 1: +500.00, +50.00 bonus
    expect(cardSpendable(t.db, 'c-0002')).toEqual({ principal: 102300, bonus: 13000 });
    // HQ has applied seq 1: its figures include the top-up; ours must not count it again.
    hqSays(t, { principal: 102300, bonus: 13000 }, 1, startPull(t));
    expect(cardSpendable(t.db, 'c-0002')).toEqual({ principal: 102300, bonus: 13000 });
    t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 10_000, tender: 'bank_card' }); // seq 2
    // A stale snapshot (HQ had only seq 1) plus another member's spend elsewhere: −100.00.
    hqSays(t, { principal: 92300, bonus: 13000 }, 1, startPull(t));
    expect(cardSpendable(t.db, 'c-0002')).toEqual({ principal: 102300, bonus: 13000 });
  });

  it('counts a hold once whether or not HQ’s snapshot already had it, through capture', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.balances.set('c-0002', { principal: 52300, bonus: 8000 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, '6901050000177'); // ¥45.00
    t.checkout.attachMember(sale.id, GOLD_CARD);
    await t.checkout.addStoredValueTender(sale.id, 4500);
    expect(cardSpendable(t.db, 'c-0002').principal).toBe(47800); // the hold, from our side
    hqSays(t, { principal: 52300, bonus: 8000, held: 4500 }, 0, startPull(t)); // HQ's snapshot has it
    expect(cardSpendable(t.db, 'c-0002').principal).toBe(47800);
    t.checkout.complete(sale.id); // seq 1 captures it
    expect(cardSpendable(t.db, 'c-0002').principal).toBe(47800);
    hqSays(t, { principal: 47800, bonus: 8000, held: 0 }, 1, startPull(t)); // HQ applied the sale
    expect(cardSpendable(t.db, 'c-0002').principal).toBe(47800);
  });

  it('a hold captured before HQ’s snapshot saw it is counted once, from the capture', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.balances.set('c-0002', { principal: 52300, bonus: 8000 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, '6901050000177');
    t.checkout.attachMember(sale.id, GOLD_CARD);
    await t.checkout.addStoredValueTender(sale.id, 4500);
    t.checkout.complete(sale.id);
    expect(cardSpendable(t.db, 'c-0002').principal).toBe(47800);
  });
});
