import { hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { DomainError } from '../core/errors';
import type { ChainSettingKey, ChainSettings } from '../core/settings';
import { DEFAULT_CHAIN_SETTINGS } from '../core/settings';
import { POINTS_LEDGER } from '../core/ledger';
import { cardSpendable, memberPoints } from './balances';
import type { TerminalDb } from './db';
import { loadIdentity, saveIdentity } from './identity';
import { journalTrialBalance } from './ledger';
import { applyChange } from './master-data';
import { allEvents, markAcked } from './outbox';
import { loadSettings } from './settings';
import { FakeHqLink, openTestTerminal, type TestTerminal } from './testing';

const COLA = '6901028001014'; // ¥3.00, drinks
const CHIPS = '6924807010182'; // ¥7.50, snacks
const MILK = '6907028100122'; // ¥59.90, dairy
const CIGARETTES = '6901050000177'; // ¥45.00, earns nothing
const DIAMOND_CARD = '8F3A21C4'; // c-0001, m-0001 diamond ×2, principal 1,860.00 bonus 280.00, 18,650 points
const GOLD_CARD = '5B7E0D92'; // c-0002, m-0002 gold ×1.5, birthday 11-22, principal 523.00 bonus 80.00, 7,420 points
const SILVER_CARD = '8888000100000014'; // c-0003, principal 128.00 bonus 10.00
const REGULAR_CARD = '8888000100000022'; // c-0004, m-0004, 120 points

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('expected a DomainError');
}

async function errorOf(f: () => unknown): Promise<DomainError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

function setSetting<K extends ChainSettingKey>(db: TerminalDb, key: K, value: ChainSettings[K], deleted = false): void {
  db.transaction(() => applyChange(db, { seq: 1, deleted, body: { type: 'setting', key, value } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0, at: 1 }))();
}

/** Everything a refused operation must leave as it was. */
function snapshot(db: TerminalDb) {
  const q = (sql: string) => db.prepare(sql).all();
  return {
    sales: q('SELECT id, status, member_id, card_id, total_minor FROM sales ORDER BY id'),
    tenders: q('SELECT * FROM sale_tenders ORDER BY sale_id, tender_no'),
    offline: q('SELECT * FROM offline_debits ORDER BY sale_id, tender_no'),
    transfers: q('SELECT id FROM transfers ORDER BY id'),
    outbox: q('SELECT seq FROM outbox'),
    holds: q('SELECT hold_id, status FROM holds ORDER BY hold_id'),
    refunds: q('SELECT id FROM refunds'),
  };
}

function saleWith(t: TestTerminal, items: string[], cardNo?: string) {
  const sale = t.checkout.openSale();
  for (const b of items) t.checkout.addItem(sale.id, b);
  if (cardNo) t.checkout.attachMember(sale.id, cardNo);
  return t.checkout.getSale(sale.id);
}

function payRestInCash(t: TestTerminal, saleId: string) {
  const due = t.checkout.getSale(saleId).dueMinor;
  if (due > 0) t.checkout.addCashTender(saleId, due);
  return t.checkout.complete(saleId);
}

describe('chain settings at the terminal', () => {
  it('a synced setting overrides its default, and deleting it brings the default back', async () => {
    const t = openTestTerminal(demoChain);
    expect(loadSettings(t.db)).toEqual(DEFAULT_CHAIN_SETTINGS);
    setSetting(t.db, 'spendingOrder', 'bonus_first');
    expect(loadSettings(t.db).spendingOrder).toBe('bonus_first');
    const sale = saleWith(t, [COLA], DIAMOND_CARD);
    const paid = await t.checkout.addStoredValueTender(sale.id, 300);
    expect(paid.tenders[0]).toMatchObject({ kind: 'stored_value', legs: [{ part: 'bonus', amount: 300 }] });
    setSetting(t.db, 'spendingOrder', 'bonus_first', true);
    expect(loadSettings(t.db).spendingOrder).toBe('principal_first');
  });

  it('top-up bonus follows the synced tiers', () => {
    const t = openTestTerminal(demoChain);
    setSetting(t.db, 'topUpBonusTiers', [{ minPrincipalMinor: 20_000, bonusMinor: 2_000 }]);
    expect(t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 30_000, tender: 'cash' }).bonusMinor).toBe(2_000);
    expect(t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 100_000, tender: 'cash' }).bonusMinor).toBe(2_000);
  });

  it('keeps the store time zone from enrollment, Asia/Shanghai when HQ sent none', () => {
    const t = openTestTerminal(demoChain);
    const id = loadIdentity(t.db)!;
    saveIdentity(t.db, { ...id, timeZone: '' });
    expect(loadIdentity(t.db)!.timeZone).toBe('Asia/Shanghai');
    saveIdentity(t.db, { ...id, timeZone: 'Europe/Berlin' });
    expect(loadIdentity(t.db)!.timeZone).toBe('Europe/Berlin');
    saveIdentity(t.db, { ...id, timeZone: 'Mars/Olympus_Mons' });
    expect(loadIdentity(t.db)!.timeZone).toBe('Asia/Shanghai');
  });
});

describe('points earned', () => {
  const policy: ChainSettings['pointsEarn'] = {
    ...DEFAULT_CHAIN_SETTINGS.pointsEarn,
    categoryMultipliers: { snacks: '2' },
    multiplierDays: [{ weekday: 7, multiplier: '2' }],
    birthday: { multiplier: '3', scope: 'day' },
  };

  it("follow the synced policy on the store's local day: category, Sunday, birthday, level", () => {
    // 2026-11-22 07:00 UTC: Sunday 15:00 in Shanghai (王芳's birthday), Saturday 23:00 in Los Angeles.
    const at = Date.UTC(2026, 10, 22, 7, 0, 0);
    const shanghai = openTestTerminal(demoChain, { clockMs: at });
    const la = openTestTerminal(demoChain, { clockMs: at, timeZone: 'America/Los_Angeles' });
    for (const t of [shanghai, la]) {
      setSetting(t.db, 'pointsEarn', policy);
      const sale = saleWith(t, [COLA, CHIPS], GOLD_CARD);
      expect(sale.totalMinor).toBe(1_050);
    }
    // (3.00 + 7.50 × 2 snacks) × 1.5 gold = 27; on Sunday ×2 and on the birthday ×3 → 162.
    expect(payRestInCash(shanghai, shanghai.checkout.getSale((shanghai.db.prepare('SELECT id FROM sales').get() as { id: string }).id).id).pointsEarned).toBe(162);
    expect(payRestInCash(la, (la.db.prepare('SELECT id FROM sales').get() as { id: string }).id).pointsEarned).toBe(27);
  });
});

describe('card PIN', () => {
  async function withPin(pin: string, threshold: number | null = 1_000) {
    const t = openTestTerminal(demoChain);
    const card = demoChain.members[0]!.cards[0]!;
    const pinHash = await hash(pin);
    t.db.transaction(() => applyChange(t.db, { seq: 1, deleted: false, body: { type: 'card', card: { ...card, memberId: 'm-0001', pinHash } } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 }))();
    setSetting(t.db, 'cardPinRequiredAboveMinor', threshold);
    return t;
  }

  it('above the threshold a card with a PIN needs it: none → PIN_REQUIRED, wrong → WRONG_PIN, right → paid', async () => {
    const t = await withPin('2468');
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    const before = snapshot(t.db);
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 5_990))).toBe('PIN_REQUIRED');
    const wrong = await errorOf(() => t.checkout.addStoredValueTender(sale.id, 5_990, '1111'));
    expect([wrong.code, wrong.details.triesLeft]).toEqual(['WRONG_PIN', 4]);
    expect(snapshot(t.db)).toEqual(before);
    expect((await t.checkout.addStoredValueTender(sale.id, 5_990, '2468')).paidMinor).toBe(5_990);
    // At or below the threshold no PIN is asked; points above it need it too.
    const small = saleWith(t, [MILK], DIAMOND_CARD);
    expect((await t.checkout.addStoredValueTender(small.id, 1_000)).paidMinor).toBe(1_000);
    expect(await codeOf(() => t.checkout.addPointsTender(small.id, 1_200))).toBe('PIN_REQUIRED');
    expect((await t.checkout.addPointsTender(small.id, 1_200, '2468')).paidMinor).toBe(2_200);
  });

  it('five wrong PINs in a row lock the card at this till for 15 minutes; a right PIN resets the count', async () => {
    const t = await withPin('2468');
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    for (let i = 0; i < 4; i += 1) expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 5_990, '0000'))).toBe('WRONG_PIN');
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 5_990, '0000'))).toBe('PIN_LOCKED');
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 5_990, '2468'))).toBe('PIN_LOCKED');
    t.clock.advance(15 * 60_000 - 1);
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 5_990, '2468'))).toBe('PIN_LOCKED');
    expect(t.checkout.getSale(sale.id).tenders).toEqual([]);
    t.clock.advance(1);
    // The lock is over: a fresh count (four wrong, then right, then four wrong again still no lock).
    for (let i = 0; i < 4; i += 1) expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 2_000, '0000'))).toBe('WRONG_PIN');
    expect((await t.checkout.addStoredValueTender(sale.id, 2_000, '2468')).paidMinor).toBe(2_000);
    for (let i = 0; i < 4; i += 1) expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 2_000, '0000'))).toBe('WRONG_PIN');
  });
});

describe('stored value while HQ cannot be reached', () => {
  function offlineTerminal(offline: Partial<ChainSettings['offline']> = {}, diamondDailyMinor?: number) {
    const t = openTestTerminal(demoChain);
    setSetting(t.db, 'offline', { ...DEFAULT_CHAIN_SETTINGS.offline, ...offline });
    if (diamondDailyMinor !== undefined) {
      const diamond = demoChain.levels.find((l) => l.code === 'diamond')!;
      t.db.transaction(() => applyChange(t.db, { seq: 1, deleted: false, body: { type: 'level', level: { ...diamond, offlineLimitMinor: diamondDailyMinor } } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 }))();
    }
    return t;
  }

  async function refusedWithoutChange(t: TestTerminal, f: () => Promise<unknown>) {
    const before = snapshot(t.db);
    const e = await errorOf(f);
    expect(snapshot(t.db)).toEqual(before);
    return e;
  }

  it('the per-payment limit refuses with OFFLINE_LIMIT_EXCEEDED and changes nothing', async () => {
    const t = offlineTerminal({ perTransactionMinor: 3_000 });
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    const e = await refusedWithoutChange(t, () => t.checkout.addStoredValueTender(sale.id, 3_001));
    expect([e.code, e.details.limit]).toEqual(['OFFLINE_LIMIT_EXCEEDED', 'offline limit per payment']);
    expect((await t.checkout.addStoredValueTender(sale.id, 3_000)).paidMinor).toBe(3_000);
  });

  it("the card's daily limit (its level's) counts the store-local day, and a new day starts afresh", async () => {
    const t = offlineTerminal({}, 5_000);
    const first = saleWith(t, [MILK], DIAMOND_CARD);
    await t.checkout.addStoredValueTender(first.id, 3_000);
    payRestInCash(t, first.id);
    const second = saleWith(t, [MILK], DIAMOND_CARD);
    const e = await refusedWithoutChange(t, () => t.checkout.addStoredValueTender(second.id, 2_001));
    expect([e.code, e.details.limit, e.details.roomMinor]).toEqual(['OFFLINE_LIMIT_EXCEEDED', "card's daily offline limit", 2_000]);
    await t.checkout.addStoredValueTender(second.id, 2_000);
    // 10:00 UTC is 18:00 in Shanghai: six hours later it is the next day there.
    t.clock.advance(6 * 3_600_000);
    const third = saleWith(t, [MILK], DIAMOND_CARD);
    expect((await t.checkout.addStoredValueTender(third.id, 5_000)).paidMinor).toBe(5_000);
  });

  it("the terminal's unsynced total and count refuse until HQ acknowledges; a cancel frees its share", async () => {
    const t = offlineTerminal({ perTerminalUnsyncedTotalMinor: 5_000, perTerminalUnsyncedCount: 2 });
    const a = saleWith(t, [MILK], DIAMOND_CARD);
    await t.checkout.addStoredValueTender(a.id, 1_000);
    const b = saleWith(t, [MILK], GOLD_CARD);
    await t.checkout.addStoredValueTender(b.id, 3_000);
    const c = saleWith(t, [MILK], SILVER_CARD);
    expect((await refusedWithoutChange(t, () => t.checkout.addStoredValueTender(c.id, 500))).details.limit).toBe("terminal's offline payment count");
    await t.checkout.cancel(a.id);
    expect((await refusedWithoutChange(t, () => t.checkout.addStoredValueTender(c.id, 2_001))).details.limit).toBe("terminal's offline total");
    await t.checkout.addStoredValueTender(c.id, 2_000);
    const done = payRestInCash(t, b.id);
    payRestInCash(t, c.id);
    const d = saleWith(t, [MILK], DIAMOND_CARD);
    expect(await codeOf(() => t.checkout.addStoredValueTender(d.id, 100))).toBe('OFFLINE_LIMIT_EXCEEDED');
    markAcked(t.db, done.eventSeq!, t.clock.now());
    expect((await t.checkout.addStoredValueTender(d.id, 3_000)).paidMinor).toBe(3_000);
  });

  it('refuses more than the card holds (less what open offline sales took) with INSUFFICIENT_BALANCE', async () => {
    const t = offlineTerminal();
    const a = saleWith(t, [MILK, MILK, MILK], SILVER_CARD); // 128.00 + 10.00 on the card
    const b = saleWith(t, [MILK, MILK, MILK], SILVER_CARD);
    await t.checkout.addStoredValueTender(a.id, 13_000);
    expect(await codeOf(() => t.checkout.addStoredValueTender(b.id, 801))).toBe('INSUFFICIENT_BALANCE');
    expect((await t.checkout.addStoredValueTender(b.id, 800)).tenders[0]).toMatchObject({ legs: [{ part: 'bonus', amount: 800 }] });
  });

  it('an offline sale completes with single transfers even when a pull lowered the card since; the journal stays balanced', async () => {
    const t = offlineTerminal();
    const sale = saleWith(t, [MILK], SILVER_CARD);
    await t.checkout.addStoredValueTender(sale.id, 5_990);
    // Another store spent most of the card meanwhile; HQ books the overdraft as this store's exposure.
    t.db.transaction(() => applyChange(t.db, { seq: 2, deleted: false, body: { type: 'balance', balance: { accountId: cardPrincipalAccountId('c-0003'), ledger: 'CNY', posted: 1_000, held: 0 } } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 }))();
    const done = t.checkout.complete(sale.id);
    expect(done.status).toBe('completed');
    const sv = allEvents(t.db).at(-1)!.transfers.filter((x) => x.code === 'SALE_STORED_VALUE');
    expect(sv.map((x) => [x.kind, x.pendingId, x.amount])).toEqual([['single', null, 5_990]]);
    expect(cardSpendable(t.db, 'c-0003').principal).toBe(1_000 - 5_990);
    const trial = journalTrialBalance(t.db);
    expect(trial.debits).toBe(trial.credits);
  });
});

describe('cards that may not pay', () => {
  it('a card frozen or expired since it was attached is refused for stored value, points and top-ups, changing nothing', async () => {
    const t = openTestTerminal(demoChain);
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    const card = demoChain.members[0]!.cards[0]!;
    const setCard = (c: Partial<typeof card>) =>
      t.db.transaction(() => applyChange(t.db, { seq: 1, deleted: false, body: { type: 'card', card: { ...card, ...c, memberId: 'm-0001' } } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 }))();
    const before = snapshot(t.db);
    setCard({ status: 'frozen' });
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 100))).toBe('CARD_FROZEN');
    expect(await codeOf(() => t.checkout.addPointsTender(sale.id, 100))).toBe('CARD_FROZEN');
    expect(await codeOf(() => t.checkout.topUp({ cardNo: DIAMOND_CARD, principalMinor: 100, tender: 'cash' }))).toBe('CARD_FROZEN');
    // Expired yesterday in Shanghai (2026-11-22 there).
    setCard({ status: 'active', expiresOn: '2026-11-21' });
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 100))).toBe('CARD_EXPIRED');
    expect(await codeOf(() => t.checkout.addPointsTender(sale.id, 100))).toBe('CARD_EXPIRED');
    setCard({ status: 'lost', expiresOn: null });
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 100))).toBe('CARD_LOST');
    expect(snapshot(t.db)).toEqual(before);
    // Still valid on its last day.
    setCard({ status: 'active', expiresOn: '2026-11-22' });
    expect((await t.checkout.addStoredValueTender(sale.id, 100)).paidMinor).toBe(100);
  });
});

describe('points as a tender (积分抵现)', () => {
  it('offline: 100 points pay 1.00 in whole units, within half the sale; the sale posts POINTS_REDEEMED and SALE_POINTS', async () => {
    const t = openTestTerminal(demoChain);
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    const paid = await t.checkout.addPointsTender(sale.id, 250);
    expect(paid.tenders).toEqual([{ tenderNo: 1, kind: 'points', amountMinor: 200, points: 200, holdId: null }]);
    expect(memberPoints(t.db, 'm-0001')).toBe(18_650); // not in the journal until the sale completes
    const done = payRestInCash(t, sale.id);
    expect(done.pointsEarned).toBe(119); // 59.90 × 2, rounded down
    expect(memberPoints(t.db, 'm-0001')).toBe(18_650 - 200 + 119);
    const transfers = allEvents(t.db).at(-1)!.transfers;
    expect(transfers.filter((x) => x.code === 'POINTS_REDEEMED').map((x) => [x.kind, x.ledger, x.amount, x.debitAccountId])).toEqual([['single', POINTS_LEDGER, 200, memberPointsAccountId('m-0001')]]);
    expect(transfers.filter((x) => x.code === 'SALE_POINTS').map((x) => x.amount)).toEqual([200]);
  });

  it('refuses below a unit, beyond the member, beyond the cap, without a member, with stable codes and no change', async () => {
    const t = openTestTerminal(demoChain);
    const noMember = saleWith(t, [COLA]);
    const small = saleWith(t, [COLA], DIAMOND_CARD); // ¥3.00: at most ¥1.50 in points → one unit
    const poor = saleWith(t, [MILK], REGULAR_CARD); // 120 points
    const before = snapshot(t.db);
    expect(await codeOf(() => t.checkout.addPointsTender(noMember.id, 100))).toBe('NO_MEMBER');
    expect(await codeOf(() => t.checkout.addPointsTender(small.id, 99))).toBe('POINTS_BELOW_REDEMPTION_UNIT');
    expect(await codeOf(() => t.checkout.addPointsTender(small.id, 0))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.checkout.addPointsTender(small.id, -100))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.checkout.addPointsTender(small.id, 100.5))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.checkout.addPointsTender(poor.id, 200))).toBe('INSUFFICIENT_POINTS');
    expect(snapshot(t.db)).toEqual(before);
    expect((await t.checkout.addPointsTender(small.id, 500)).paidMinor).toBe(100);
    expect(await codeOf(() => t.checkout.addPointsTender(small.id, 100))).toBe('POINTS_BELOW_REDEMPTION_UNIT');
    // Points an open offline sale took are not there for another.
    const other = saleWith(t, [MILK], REGULAR_CARD);
    await t.checkout.addPointsTender(poor.id, 100);
    expect(await codeOf(() => t.checkout.addPointsTender(other.id, 100))).toBe('INSUFFICIENT_POINTS');
  });

  it('offline points count against the same offline limits as stored value, at their value', async () => {
    const t = openTestTerminal(demoChain);
    setSetting(t.db, 'offline', { perTransactionMinor: 50_000, perTerminalUnsyncedTotalMinor: 300, perTerminalUnsyncedCount: 10 });
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    await t.checkout.addPointsTender(sale.id, 300);
    expect(await codeOf(() => t.checkout.addStoredValueTender(sale.id, 1))).toBe('OFFLINE_LIMIT_EXCEEDED');
  });

  it('online: HQ holds the points, the sale captures the hold, a cancel releases it', async () => {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    hq.points.set('c-0001', { memberId: 'm-0001', points: 18_650 });
    const t = openTestTerminal(demoChain, { hq });
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    const paid = await t.checkout.addPointsTender(sale.id, 1_000);
    const holdId = (t.db.prepare('SELECT hold_id FROM holds').get() as { hold_id: string }).hold_id;
    expect(paid.tenders[0]).toEqual({ tenderNo: 1, kind: 'points', amountMinor: 1_000, points: 1_000, holdId: `${holdId}/points` });
    expect(memberPoints(t.db, 'm-0001')).toBe(17_650);
    payRestInCash(t, sale.id);
    const redeemed = allEvents(t.db).at(-1)!.transfers.find((x) => x.code === 'POINTS_REDEEMED')!;
    expect([redeemed.kind, redeemed.pendingId]).toEqual(['post_pending', `${holdId}/points`]);

    const cancelled = saleWith(t, [MILK], DIAMOND_CARD);
    await t.checkout.addPointsTender(cancelled.id, 500);
    const left = memberPoints(t.db, 'm-0001');
    await t.checkout.cancel(cancelled.id);
    expect(memberPoints(t.db, 'm-0001')).toBe(left + 500);
    expect(hq.voided).toHaveLength(1);
    expect(allEvents(t.db).at(-1)!.body.type).toBe('holds_released');

    // HQ knows fewer points than this terminal does: its refusal reaches the cashier as INSUFFICIENT_POINTS.
    hq.points.get('c-0001')!.points = 50;
    const short = saleWith(t, [MILK], DIAMOND_CARD);
    expect(await codeOf(() => t.checkout.addPointsTender(short.id, 1_000))).toBe('INSUFFICIENT_POINTS');
    expect(t.checkout.getSale(short.id).tenders).toEqual([]);
  });
});

describe('refunds (退货)', () => {
  it('a refund of one of two lines returns its share: bonus and principal in the ratio spent, points earned taken back; the second returns the rest exactly', async () => {
    const t = openTestTerminal(demoChain);
    setSetting(t.db, 'spendingOrder', 'bonus_first');
    const start = { card: cardSpendable(t.db, 'c-0002'), points: memberPoints(t.db, 'm-0002') };
    const sale = saleWith(t, [MILK, MILK], GOLD_CARD); // ¥119.80
    await t.checkout.addStoredValueTender(sale.id, 11_980);
    const done = t.checkout.complete(sale.id);
    expect(done.pointsEarned).toBe(179); // 119.80 × 1.5 gold, rounded down

    const first = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect(first.refund.totalMinor).toBe(5_990);
    // Spent ¥80.00 bonus + ¥39.80 principal; half of it comes back in that ratio.
    expect(first.refund.tenders.map((x) => [x.kind, x.amountMinor])).toEqual([['stored_value', 5_990]]);
    expect([...first.refund.tenders[0]!.legs].sort((a, b) => a.part.localeCompare(b.part))).toEqual([
      { accountId: cardBonusAccountId('c-0002'), part: 'bonus', amount: 4_000 },
      { accountId: cardPrincipalAccountId('c-0002'), part: 'principal', amount: 1_990 },
    ]);
    expect(allEvents(t.db).at(-1)!.body.type).toBe('refund');

    const second = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: false });
    expect(first.refund.pointsReversed + second.refund.pointsReversed).toBe(179);
    expect(cardSpendable(t.db, 'c-0002')).toEqual(start.card);
    expect(memberPoints(t.db, 'm-0002')).toBe(start.points);
    expect(t.services.refunds.refundsOf(sale.id).map((r) => r.id)).toEqual([first.refund.id, second.refund.id]);
    expect(t.services.refunds.summary(sale.id).lines[0]).toMatchObject({ quantity: 2, refundedQuantity: 2 });
    const trial = journalTrialBalance(t.db);
    expect(trial.debits).toBe(trial.credits);
  });

  it('a refund gives back the points that paid, and lists the member’s sales for a refund without receipt', async () => {
    const t = openTestTerminal(demoChain);
    const sale = saleWith(t, [MILK], DIAMOND_CARD);
    await t.checkout.addPointsTender(sale.id, 2_000);
    payRestInCash(t, sale.id);
    const before = memberPoints(t.db, 'm-0001');
    const r = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: false });
    expect(r.refund.tenders.map((x) => [x.kind, x.amountMinor, x.points])).toEqual([['points', 2_000, 2_000], ['cash', 3_990, 0]]);
    expect(memberPoints(t.db, 'm-0001')).toBe(before + 2_000 - r.refund.pointsReversed);
    expect(t.services.refunds.salesOf({ cardNo: DIAMOND_CARD }).map((s) => s.id)).toEqual([sale.id]);
    expect(t.services.refunds.salesOf({ memberId: 'm-0002' })).toEqual([]);
  });

  it('refuses with stable codes and changes nothing: too many, unknown line, a sale not made here, an open sale, points already spent', async () => {
    const t = openTestTerminal(demoChain);
    setSetting(t.db, 'pointsTender', { pointsPerUnit: 10, unitValueMinor: 10, maxShareOfSale: '1' });
    const earned = saleWith(t, [MILK], REGULAR_CARD); // 120 points + 59 earned
    const done = payRestInCash(t, earned.id);
    expect(done.pointsEarned).toBe(59);
    const spend = saleWith(t, [CIGARETTES], REGULAR_CARD); // earns nothing
    await t.checkout.addPointsTender(spend.id, 170);
    payRestInCash(t, spend.id);
    expect(memberPoints(t.db, 'm-0004')).toBe(9);
    const open = saleWith(t, [COLA]);
    const before = snapshot(t.db);
    expect(await codeOf(() => t.services.refunds.refund({ saleId: earned.id, lines: [{ lineNo: 1, quantity: 2 }], withReceipt: true }))).toBe('REFUND_EXCEEDS_SALE');
    expect(await codeOf(() => t.services.refunds.refund({ saleId: earned.id, lines: [{ lineNo: 9, quantity: 1 }], withReceipt: true }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.services.refunds.refund({ saleId: earned.id, lines: [{ lineNo: 1, quantity: 0 }], withReceipt: true }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.services.refunds.refund({ saleId: 'sale-made-elsewhere', lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true }))).toBe('NOT_FOUND');
    expect(await codeOf(() => t.services.refunds.refund({ saleId: open.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true }))).toBe('CONFLICT');
    const e = await errorOf(() => t.services.refunds.refund({ saleId: earned.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true }));
    expect([e.code, e.details.missing]).toEqual(['INSUFFICIENT_POINTS', 50]);
    expect(snapshot(t.db)).toEqual(before);
    // Refunding the sale that spent them first gives them back; then the first refund goes through.
    t.services.refunds.refund({ saleId: spend.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect(t.services.refunds.refund({ saleId: earned.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true }).refund.pointsReversed).toBe(59);
    expect(memberPoints(t.db, 'm-0004')).toBe(120);
  });
});

describe('top-up refunds and gifts (online only)', () => {
  function online() {
    const base = openTestTerminal(demoChain);
    const hq = new FakeHqLink('store-sh-01', 'CNY', base.clock);
    for (const b of demoChain.openingBalances) hq.balances.set(b.cardId, { principal: b.principalMinor, bonus: b.bonusMinor });
    hq.points.set('c-0002', { memberId: 'm-0002', points: 7_420 });
    return { t: openTestTerminal(demoChain, { hq }), hq };
  }

  it('a top-up refund holds principal and bonus part by part at HQ, pays the principal back, claws back the bonus, once', async () => {
    const { t, hq } = online();
    const start = cardSpendable(t.db, 'c-0002');
    const topUp = t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 100_000, tender: 'cash' });
    expect(topUp.bonusMinor).toBe(15_000);
    const b = hq.balances.get('c-0002')!;
    b.principal += 100_000;
    b.bonus += 15_000;
    const r = await t.services.topUpRefunds.refund(topUp.id);
    expect([r.topUpRefund.principalMinor, r.topUpRefund.bonusClawedBackMinor]).toEqual([100_000, 15_000]);
    expect(t.db.prepare("SELECT part, amount_minor, status FROM holds WHERE purpose = 'top_up_refund' ORDER BY part DESC").all()).toEqual([
      { part: 'principal', amount_minor: 100_000, status: 'captured' },
      { part: 'bonus', amount_minor: 15_000, status: 'captured' },
    ]);
    // HQ holds each part into the store's sales (as for a sale): the refund captures the holds as
    // they were made and moves the amounts on to the cash drawer and the chain's bonus. Nothing
    // is released and taken again, so the money stays held until the refund posts.
    const [before, event] = allEvents(t.db).slice(-2);
    expect(before!.body.type).not.toBe('holds_released');
    expect(event!.body.type).toBe('top_up_refund');
    const sales = 'store:store-sh-01:sales';
    expect(event!.transfers.map((x) => [x.kind, x.code, x.debitAccountId, x.creditAccountId, x.amount, x.pendingId?.replace(/^.*\//, '') ?? null])).toEqual([
      ['post_pending', 'TOPUP_REFUND', 'card:c-0002:principal', sales, 100_000, 'principal'],
      ['single', 'TOPUP_REFUND', sales, 'store:store-sh-01:cash', 100_000, null],
      ['post_pending', 'TOPUP_BONUS_CLAWBACK', 'card:c-0002:bonus', sales, 15_000, 'bonus'],
      ['single', 'TOPUP_BONUS_CLAWBACK', sales, 'chain:topup_bonus:CNY', 15_000, null],
    ]);
    expect(cardSpendable(t.db, 'c-0002')).toEqual(start);
    expect(await codeOf(() => t.services.topUpRefunds.refund(topUp.id))).toBe('CONFLICT');
    expect(await codeOf(() => t.services.topUpRefunds.refund('not-here'))).toBe('NOT_FOUND');
    hq.online = false;
    const another = t.checkout.topUp({ cardNo: GOLD_CARD, principalMinor: 1_000, tender: 'cash' });
    expect(await codeOf(() => t.services.topUpRefunds.refund(another.id))).toBe('HQ_OFFLINE');
  });

  it('gifts for points: HQ holds them, the redemption captures the hold; more than the member has is refused', async () => {
    const { t, hq } = online();
    const r = await t.services.gifts.redeem({ cardNo: GOLD_CARD, giftSku: 'GIFT-UMBRELLA', quantity: 1, points: 5_000 });
    expect(r.pointsLeft).toBe(2_420);
    const event = allEvents(t.db).at(-1)!;
    expect(event.body.type).toBe('gift_redemption');
    expect(event.transfers.map((x) => [x.kind, x.code, x.amount])).toEqual([['post_pending', 'GIFT_REDEMPTION', 5_000]]);
    const before = snapshot(t.db);
    expect(await codeOf(() => t.services.gifts.redeem({ cardNo: GOLD_CARD, giftSku: 'GIFT-UMBRELLA', quantity: 1, points: 2_421 }))).toBe('INSUFFICIENT_POINTS');
    expect(await codeOf(() => t.services.gifts.redeem({ cardNo: GOLD_CARD, giftSku: 'GIFT-UMBRELLA', quantity: 0, points: 10 }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => t.services.gifts.redeem({ cardNo: '8888000100000030', giftSku: 'GIFT-UMBRELLA', quantity: 1, points: 10 }))).toBe('CARD_FROZEN');
    hq.online = false;
    expect(await codeOf(() => t.services.gifts.redeem({ cardNo: GOLD_CARD, giftSku: 'GIFT-UMBRELLA', quantity: 1, points: 10 }))).toBe('HQ_OFFLINE');
    expect(snapshot(t.db)).toEqual(before);
  });
});
