import { describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { cardPrincipalAccountId, storeCashAccountId, storeSalesAccountId } from '../core/accounts';
import { DomainError } from '../core/errors';
import { cardSpendable, memberPoints } from './balances';
import { openTerminalDb, type TerminalDb } from './db';
import { journalTotals, journalTrialBalance } from './ledger';
import { allEvents, outboxDepth } from './outbox';
import { eventFromWire, eventToWire } from '../protocols/sync/v1/codec';
import { FakeHqLink, openTestTerminal, tempDir } from './testing';
import type { Checkout } from './checkout';

const COLA = '6901028001014'; // ¥3.00
const TEA = '6902083001124'; // ¥3.00
const CIGARETTES = '6901050000177'; // ¥45.00, no points
const DIAMOND_CARD = '8F3A21C4'; // c-0001, m-0001, points ×2, principal 1,860.00 bonus 280.00
const GOLD_CARD = '5B7E0D92'; // c-0002, expires 2029-12-31
const FROZEN_CARD = '8888000100000030';
const LOST_CARD = 'A41C6E07';
const EXPIRED_CARD = '8888000200000032';

function snapshot(db: TerminalDb) {
  const q = (sql: string) => db.prepare(sql).all();
  return {
    sales: q('SELECT id, status, member_id, card_id, total_minor FROM sales ORDER BY id'),
    lines: q('SELECT * FROM sale_lines ORDER BY sale_id, line_no'),
    tenders: q('SELECT * FROM sale_tenders ORDER BY sale_id, tender_no'),
    transfers: q('SELECT id FROM transfers'),
    outbox: q('SELECT seq FROM outbox'),
    topUps: q('SELECT id FROM top_ups'),
  };
}

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('expected a DomainError');
}

function cashSale(checkout: Checkout, cardNo?: string) {
  const sale = checkout.openSale();
  checkout.addItem(sale.id, COLA);
  checkout.addItem(sale.id, COLA);
  checkout.addItem(sale.id, CIGARETTES);
  if (cardNo) checkout.attachMember(sale.id, cardNo);
  checkout.addCashTender(sale.id, 5100, 10000);
  return checkout.complete(sale.id);
}

describe('checkout', () => {
  it('a cash sale for a member balances, earns points by level, and writes exactly one outbox event per sale', () => {
    const t = openTestTerminal(demoChain);
    const done = cashSale(t.checkout, DIAMOND_CARD);
    expect(done.status).toBe('completed');
    expect(done.lines.map((l) => [l.sku, l.quantity, l.amountMinor])).toEqual([
      ['SKU-0001', 2, 600],
      ['SKU-0063', 1, 4500],
    ]);
    expect(done.totalMinor).toBe(5100);
    expect(done.changeMinor).toBe(4900);
    expect(done.pointsEarned).toBe(12); // ¥6.00 eligible × 2 (diamond); cigarettes earn nothing
    const trial = journalTrialBalance(t.db);
    expect(trial.debits).toBe(trial.credits);
    expect(journalTotals(t.db, storeCashAccountId('store-sh-01')).debitsPosted).toBe(5100);
    expect(journalTotals(t.db, storeSalesAccountId('store-sh-01')).creditsPosted).toBe(5100);
    expect(memberPoints(t.db, 'm-0001')).toBe(18650 + 12);

    const events = allEvents(t.db);
    expect(events.map((e) => [e.seq, e.body.type])).toEqual([[1, 'sale']]);
    expect(events[0]!.transfers.map((x) => x.code).sort()).toEqual(['POINTS_EARNED', 'SALE_CASH']);
    expect(done.eventSeq).toBe(1);
    expect(t.checkout.getSale(done.id).eventSeq).toBe(1);

    const second = cashSale(t.checkout);
    expect(second.eventSeq).toBe(2);
    expect(allEvents(t.db).map((e) => e.seq)).toEqual([1, 2]);
    expect(outboxDepth(t.db)).toBe(2);
  });

  it('scanning the same barcode again adds to the line; removing a line lowers the total', () => {
    const t = openTestTerminal(demoChain);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA, 2);
    t.checkout.addItem(sale.id, TEA);
    const v = t.checkout.addItem(sale.id, COLA);
    expect(v.lines.map((l) => [l.lineNo, l.quantity])).toEqual([[1, 3], [2, 1]]);
    expect(v.totalMinor).toBe(1200);
    expect(t.checkout.removeLine(sale.id, 1).totalMinor).toBe(300);
  });

  it('refuses an unknown barcode, unknown, frozen, lost or expired card, overpaying and completing unpaid, changing nothing', async () => {
    const t = openTestTerminal(demoChain);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    t.checkout.addCashTender(sale.id, 100);
    const before = snapshot(t.db);
    expect(await codeOf(() => t.checkout.addItem(sale.id, '6900000000000'))).toBe('UNKNOWN_BARCODE');
    expect(await codeOf(() => t.checkout.attachMember(sale.id, 'NO-SUCH-CARD'))).toBe('UNKNOWN_CARD');
    expect(await codeOf(() => t.checkout.attachMember(sale.id, FROZEN_CARD))).toBe('CARD_FROZEN');
    expect(await codeOf(() => t.checkout.attachMember(sale.id, LOST_CARD))).toBe('CARD_LOST');
    expect(await codeOf(() => t.checkout.attachMember(sale.id, EXPIRED_CARD))).toBe('CARD_EXPIRED');
    expect(await codeOf(() => t.checkout.addCashTender(sale.id, 201))).toBe('OVERPAID');
    expect(await codeOf(() => t.checkout.addBankCardTender(sale.id, 300, 'REF1'))).toBe('OVERPAID');
    expect(await codeOf(() => t.checkout.complete(sale.id))).toBe('SALE_NOT_PAID');
    expect(await codeOf(() => t.checkout.addCashTender(sale.id, 100, 50))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.checkout.addCashTender(sale.id, 1.5))).toBe('VALIDATION_FAILED');
    expect(snapshot(t.db)).toEqual(before);
    // Cash handed over may exceed what is due: that is change, not overpaying.
    expect(t.checkout.addCashTender(sale.id, 200, 10000).changeMinor).toBe(9800);
  });

  it('a card whose expiry date has passed is refused as expired, by the clock', async () => {
    const t = openTestTerminal(demoChain, { clockMs: Date.UTC(2030, 0, 2) });
    const sale = t.checkout.openSale();
    expect(await codeOf(() => t.checkout.attachMember(sale.id, GOLD_CARD))).toBe('CARD_EXPIRED');
    expect(t.checkout.attachMember(sale.id, DIAMOND_CARD).member?.memberId).toBe('m-0001'); // never expires
  });

  it('while HQ cannot be reached, stored value is taken without a hold and posted as single transfers', async () => {
    const t = openTestTerminal(demoChain);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    t.checkout.attachMember(sale.id, DIAMOND_CARD);
    const paid = await t.checkout.addStoredValueTender(sale.id, 300);
    expect(paid.tenders).toEqual([{ tenderNo: 1, kind: 'stored_value', amountMinor: 300, cardId: 'c-0001', legs: [{ accountId: 'card:c-0001:principal', part: 'principal', amount: 300, holdId: null }] }]);
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM holds').get()).toEqual({ n: 0 });
    t.checkout.complete(sale.id);
    const sv = allEvents(t.db)[0]!.transfers.filter((x) => x.code === 'SALE_STORED_VALUE');
    expect(sv.map((x) => [x.kind, x.pendingId, x.amount])).toEqual([['single', null, 300]]);
    expect(cardSpendable(t.db, 'c-0001').principal).toBe(186_000 - 300);
  });

  it('stored value needs a member card', async () => {
    const t = openTestTerminal(demoChain);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 300))).toBe('NO_MEMBER');
  });

  it('online stored value mirrors HQ holds, captures them on completion, and the card balance drops by the tender', async () => {
    const clockHolder = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', clockHolder.clock);
    hq.balances.set('c-0001', { principal: 186000, bonus: 28000 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, CIGARETTES, 2); // ¥90.00
    t.checkout.attachMember(sale.id, DIAMOND_CARD);
    const paid = await t.checkout.addStoredValueTender(sale.id, 6000);
    expect(paid.tenders[0]).toMatchObject({ kind: 'stored_value', amountMinor: 6000, cardId: 'c-0001' });
    expect(cardSpendable(t.db, 'c-0001')).toEqual({ principal: 186000 - 6000, bonus: 28000 });
    t.checkout.addCashTender(sale.id, 3000);
    const done = t.checkout.complete(sale.id);
    expect(done.status).toBe('completed');
    expect(cardSpendable(t.db, 'c-0001')).toEqual({ principal: 180000, bonus: 28000 });
    const [event] = allEvents(t.db);
    const sv = event!.transfers.filter((x) => x.code === 'SALE_STORED_VALUE');
    expect(sv).toHaveLength(1);
    expect(sv[0]).toMatchObject({ kind: 'post_pending', amount: 6000, debitAccountId: cardPrincipalAccountId('c-0001') });
    expect(sv[0]!.pendingId).toMatch(/\/principal$/);
    const trial = journalTrialBalance(t.db);
    expect(trial.debits).toBe(trial.credits);
    expect(hq.syncRequests).toBeGreaterThan(0);
  });

  it('HQ refusals surface with HQ codes; the local view refuses what the card cannot cover before asking HQ', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.balances.set('c-0001', { principal: 100, bonus: 0 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    t.checkout.attachMember(sale.id, DIAMOND_CARD);
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 300))).toBe('INSUFFICIENT_BALANCE'); // HQ says so
    hq.frozen.add('c-0001');
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 300))).toBe('CARD_FROZEN');
    const poor = openTestTerminal(demoChain, { hq });
    const s2 = poor.checkout.openSale();
    poor.checkout.addItem(s2.id, COLA);
    poor.checkout.attachMember(s2.id, '8888000100000022'); // c-0004 holds nothing
    expect(await codeOf(() => poor.checkout.addStoredValueTender(s2.id, 300))).toBe('INSUFFICIENT_BALANCE');
    expect(poor.db.prepare('SELECT COUNT(*) AS n FROM holds').get()).toEqual({ n: 0 }); // never asked HQ
    expect(t.checkout.getSale(sale.id).tenders).toEqual([]);
  });

  it('cancelling a sale with a hold voids it at HQ and always records a holds_released event', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.balances.set('c-0001', { principal: 1000, bonus: 28000 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, CIGARETTES);
    t.checkout.attachMember(sale.id, DIAMOND_CARD);
    await t.checkout.addStoredValueTender(sale.id, 2000); // 1000 principal + 1000 bonus
    expect(cardSpendable(t.db, 'c-0001')).toEqual({ principal: 185000, bonus: 27000 });
    const cancelled = await t.checkout.cancel(sale.id);
    expect(cancelled.status).toBe('cancelled');
    expect(hq.voided).toHaveLength(1);
    expect(hq.voided[0]!.transfers.map((x) => x.kind)).toEqual(['void_pending', 'void_pending']);
    const events = allEvents(t.db);
    expect(events.map((e) => e.body.type)).toEqual(['holds_released']);
    expect(events[0]!.transfers.map((x) => x.id).sort()).toEqual(hq.voided[0]!.transfers.map((x) => x.id).sort());
    expect(cardSpendable(t.db, 'c-0001')).toEqual({ principal: 186000, bonus: 28000 });
    const trial = journalTrialBalance(t.db);
    expect(trial.debits).toBe(trial.credits);
  });

  it('cancelling while HQ is unreachable still records the release, for HQ to apply when the outbox is pushed', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.balances.set('c-0001', { principal: 186000, bonus: 28000 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    t.checkout.attachMember(sale.id, DIAMOND_CARD);
    await t.checkout.addStoredValueTender(sale.id, 300);
    hq.online = false;
    await t.checkout.cancel(sale.id);
    expect(hq.voided).toEqual([]);
    const [event] = allEvents(t.db);
    expect(event!.body).toEqual({ type: 'holds_released', saleId: sale.id, holdIds: [...hq.holds.keys()] });
    expect(event!.transfers).toMatchObject([{ kind: 'void_pending', pendingId: `${[...hq.holds.keys()][0]}/principal`, amount: 300 }]);
    expect(cardSpendable(t.db, 'c-0001').principal).toBe(186000);
  });

  it('a sale takes at most 20 tenders, and a cancel releases many holds in events HQ accepts (8 holds each)', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.balances.set('c-0001', { principal: 186000, bonus: 28000 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, CIGARETTES);
    t.checkout.attachMember(sale.id, DIAMOND_CARD);
    for (let i = 0; i < 10; i++) await t.checkout.addStoredValueTender(sale.id, 100);
    for (let i = 0; i < 10; i++) t.checkout.addCashTender(sale.id, 100);
    expect(await codeOf(() => t.checkout.addCashTender(sale.id, 100))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 100))).toBe('VALIDATION_FAILED');
    expect(hq.holds.size).toBe(10);
    await t.checkout.cancel(sale.id);
    const events = allEvents(t.db);
    expect(events.map((e) => (e.body.type === 'holds_released' ? e.body.holdIds.length : 0))).toEqual([8, 2]);
    for (const e of events) expect(() => eventFromWire(eventToWire(e), t.terminal.terminalId)).not.toThrow();
    expect(cardSpendable(t.db, 'c-0001').principal).toBe(186000);
  });

  it('a hold whose answer was lost is remembered as unknown and the cashier gets HQ_OFFLINE', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.balances.set('c-0001', { principal: 186000, bonus: 0 });
    hq.loseNextAnswer = true;
    const t = openTestTerminal(demoChain, { hq });
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    t.checkout.attachMember(sale.id, DIAMOND_CARD);
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 300))).toBe('HQ_OFFLINE');
    expect(t.db.prepare('SELECT status FROM holds').all()).toEqual([{ status: 'unknown' }]);
    expect(cardSpendable(t.db, 'c-0001').principal).toBe(186000);
    // Once HQ answers again, the same hold id is asked for and released; nothing stays reserved.
    expect(await t.checkout.releaseUnresolvedHolds()).toBe(1);
    expect(t.db.prepare('SELECT status FROM holds').all()).toEqual([{ status: 'released' }]);
    expect(hq.voided.map((v) => v.holdId)).toEqual([...hq.holds.keys()]);
    expect(allEvents(t.db).map((e) => e.body.type)).toEqual(['holds_released']);
    expect(cardSpendable(t.db, 'c-0001').principal).toBe(186000);
    expect(await t.checkout.releaseUnresolvedHolds()).toBe(0);
    // The sale itself goes on with another tender.
    t.checkout.addCashTender(sale.id, 300);
    expect(t.checkout.complete(sale.id).eventSeq).toBe(2);
  });

  it('a top-up writes principal and bonus transfers and one outbox event together', () => {
    const t = openTestTerminal(demoChain);
    const r = t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 100_000, tender: 'cash' });
    expect(r.bonusMinor).toBe(15_000);
    expect(r.balance).toEqual({ principalMinor: 52300 + 100_000, bonusMinor: 8000 + 15_000 });
    const events = allEvents(t.db);
    expect(events).toHaveLength(1);
    expect(events[0]!.body.type).toBe('top_up');
    expect(events[0]!.transfers.map((x) => [x.code, x.amount])).toEqual([
      ['TOPUP', 100_000],
      ['TOPUP_BONUS', 15_000],
    ]);
    expect(t.db.prepare('SELECT event_seq FROM top_ups').all()).toEqual([{ event_seq: 1 }]);
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM transfers WHERE event_seq = 1').get()).toEqual({ n: 2 });
    expect(t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 20_000, tender: 'bank_card' }).bonusMinor).toBe(0);
  });

  it('a top-up of a frozen card or of nothing is refused and changes nothing', async () => {
    const t = openTestTerminal(demoChain);
    const before = snapshot(t.db);
    expect(await codeOf(() => t.checkout.topUp({ cardNo: FROZEN_CARD, principalMinor: 10_000, tender: 'cash' }))).toBe('CARD_FROZEN');
    expect(await codeOf(() => t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 0, tender: 'cash' }))).toBe('VALIDATION_FAILED');
    expect(snapshot(t.db)).toEqual(before);
  });

  it('a crash inside the sale transaction leaves no sale, no transfers and no outbox row', async () => {
    const t = openTestTerminal(demoChain);
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, COLA);
    t.checkout.addCashTender(sale.id, 300);
    const before = snapshot(t.db);
    // The crash: the outbox insert fails after the transfers were written in the same transaction.
    t.db.exec("CREATE TEMP TRIGGER crash BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'power cut'); END;");
    expect(() => t.checkout.complete(sale.id)).toThrow(/power cut/);
    expect(snapshot(t.db)).toEqual(before);
    expect(t.checkout.getSale(sale.id).status).toBe('open');
    t.db.exec('DROP TRIGGER crash');
    expect(t.checkout.complete(sale.id).eventSeq).toBe(1);
  });

  it('after a completed sale, reopening the database finds the sale and its outbox event intact', () => {
    const dir = tempDir();
    const t = openTestTerminal(demoChain, { dir });
    let committed = 0;
    const t2 = openTestTerminal(demoChain, { dir: tempDir(), checkout: { afterSaleCommit: () => committed++ } });
    const done = cashSale(t.checkout, DIAMOND_CARD);
    cashSale(t2.checkout);
    expect(committed).toBe(1);
    t.db.close();
    const db = openTerminalDb(t.file);
    expect(db.prepare('SELECT status, total_minor, event_seq FROM sales WHERE id = ?').get(done.id)).toEqual({ status: 'completed', total_minor: 5100, event_seq: 1 });
    const events = allEvents(db);
    expect(events).toHaveLength(1);
    expect(events[0]!.body.type === 'sale' && events[0]!.body.sale.id).toBe(done.id);
    expect(outboxDepth(db)).toBe(1);
    db.close();
  });
});
