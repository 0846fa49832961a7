import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, memberPointsAccountId } from '../../core/accounts';
import { postGiftRedemption } from '../../core/gift';
import { uuidv7 } from '../../core/ids';
import { postSale, type SaleDocument } from '../../core/sale';
import { eventToWire } from '../../protocols/sync/v1/codec';
import { demoChain } from '../../fixtures/data/demo-chain';
import { pushEvents } from '../push-events';
import { writeSetting } from '../settings';
import { auditLedger, line, Scenario, type Till } from '../testing/scenario';
import { startTestHq } from '../testing/hq';
import { createTestSyncClient, type TestSyncClient } from '../testing/sync-client';
import { expireCards, expirePoints, pointsExpiryId, postMaturedRebates, yearlyLevelReview } from './index';

/** The HQ jobs, called directly with the time they run at: no waiting in tests. */

const at = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

describe('HQ jobs', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let till: Till;
  let s: Scenario;

  beforeAll(async () => {
    hq = await startTestHq(demoChain, { jobs: false });
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    till = await s.enroll('t-sh-01-1', 'store-sh-01', await hq.enrollmentCode('t-sh-01-1'));
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  /** Pushes `sale` as if HQ's clock read `now`, straight through pushEvents. */
  async function pushSale(sale: SaleDocument, now: number) {
    const event = { seq: ++till.seq, id: uuidv7(), occurredAt: sale.completedAt, body: { type: 'sale' as const, sale }, transfers: postSale(sale, () => uuidv7()) };
    const [r] = (await pushEvents(hq.sql, till, [eventToWire(event)], { now })).results;
    expect(r).toMatchObject({ status: 'applied' });
  }
  const cashSale = (who: { memberId: string; cardId: string }, amountMinor: number, points: number, completedAt: number): SaleDocument => ({
    ...s.saleDoc(till, who, [line(1, 1, amountMinor)], [{ kind: 'cash', amountMinor, tenderedMinor: amountMinor, changeMinor: 0 }], points),
    completedAt,
  });

  describe('points expiry, worked example in Asia/Shanghai (earned in year Y, valid to the end of Y + 1)', () => {
    it('expires what is left of the 2025 lot at midnight Shanghai time on 1 January 2027, not at midnight UTC', async () => {
      const who = await s.newMember(till, '积分会员');
      // 300 points earned at 23:30 on 31 Dec 2025 Shanghai time (15:30 UTC): a 2025 lot.
      await pushSale(cashSale(who, 30_000, 300, at('2025-12-31T15:30:00Z')), at('2025-12-31T15:30:00Z'));
      // 200 points earned at 00:30 on 1 Jan 2026 Shanghai time (16:30 UTC on 31 Dec): a 2026 lot.
      await pushSale(cashSale(who, 20_000, 200, at('2025-12-31T16:30:00Z')), at('2025-12-31T16:30:00Z'));
      // A gift for 100 points takes them from the oldest lot: 200 of the 2025 lot are left.
      const gift = { id: uuidv7(), memberId: who.memberId, storeId: till.storeId, terminalId: till.terminalId, giftSku: 'GIFT-UMBRELLA', quantity: 1, points: 100, completedAt: at('2026-06-01T04:00:00Z') };
      expect((await s.pushOne(till, { type: 'gift_redemption', gift }, postGiftRedemption(gift, () => uuidv7()))).status).toBe('applied');
      expect((await s.wallet(who)).points).toBe(400);

      // 23:59 on 31 Dec 2026 in Shanghai (15:59 UTC): still valid.
      expect(await expirePoints(hq.sql, at('2026-12-31T15:59:00Z'), [who.memberId])).toEqual([]);
      // 00:01 on 1 Jan 2027 in Shanghai (16:01 UTC on 31 Dec 2026): the 2025 lot's 200 expire.
      expect(await expirePoints(hq.sql, at('2026-12-31T16:01:00Z'), [who.memberId])).toEqual([{ memberId: who.memberId, localDate: '2027-01-01', points: 200 }]);
      expect((await s.wallet(who)).points).toBe(200);
      const [t] = await hq.sql`select code, amount, debit_account_id from transfers where id = ${pointsExpiryId(who.memberId, '2027-01-01')}`;
      expect(t).toEqual({ code: 'POINTS_EXPIRED', amount: 200, debit_account_id: memberPointsAccountId(who.memberId) });
      // Running again, the same day or the next, changes nothing.
      expect(await expirePoints(hq.sql, at('2026-12-31T20:00:00Z'), [who.memberId])).toEqual([]);
      expect(await expirePoints(hq.sql, at('2027-01-02T12:00:00Z'), [who.memberId])).toEqual([]);
      expect((await s.wallet(who)).points).toBe(200);
      // The 2026 lot goes at the start of 2028.
      expect(await expirePoints(hq.sql, at('2027-12-31T16:00:00Z'), [who.memberId])).toEqual([{ memberId: who.memberId, localDate: '2028-01-01', points: 200 }]);
    });

    it('a rolling rule expires each lot N months after its local date', async () => {
      await hq.sql.begin((tx) => writeSetting(tx, 'pointsExpiry', { kind: 'rolling', months: 6 }, { operatorId: null, nodeId: null }));
      try {
        const who = await s.newMember(till);
        await pushSale(cashSale(who, 10_000, 100, at('2026-01-15T02:00:00Z')), at('2026-01-15T02:00:00Z'));
        expect(await expirePoints(hq.sql, at('2026-07-15T10:00:00Z'), [who.memberId])).toEqual([]);
        expect(await expirePoints(hq.sql, at('2026-07-15T16:00:00Z'), [who.memberId])).toEqual([{ memberId: who.memberId, localDate: '2026-07-16', points: 100 }]);
      } finally {
        await hq.sql.begin((tx) => writeSetting(tx, 'pointsExpiry', { kind: 'yearly', month: 12, day: 31, yearsLater: 1 }, { operatorId: null, nodeId: null }));
      }
    });
  });

  describe('rebates (返利)', () => {
    it('holds 2% of a sale for 7 days, shrinks it when part is refunded inside the window, then posts what is left to the bonus', async () => {
      await hq.sql.begin((tx) => writeSetting(tx, 'rebate', { rate: '0.02', waitingDays: 7 }, { operatorId: null, nodeId: null }));
      try {
        const who = await s.newMember(till, '返利会员');
        const completedAt = at('2026-03-01T04:00:00Z');
        // ¥500.00 in five lines of ¥100.00: ¥10.00 rebate held.
        const sale = { ...s.saleDoc(till, who, [line(1, 5, 10_000)], [{ kind: 'cash', amountMinor: 50_000, tenderedMinor: 50_000, changeMinor: 0 }], 500), completedAt };
        await pushSale(sale, completedAt);
        const [held] = await hq.sql`select amount, pending_state from transfers where id = ${`rebate:${sale.id}`}`;
        expect(held).toEqual({ amount: 1_000, pending_state: 'pending' });
        expect((await s.wallet(who)).bonus).toBe(0);
        // One line comes back two days later: the rebate on what the member kept is ¥8.00.
        const refund = s.refundDoc(till, sale, [], [{ lineNo: 1, quantity: 1 }]);
        expect((await s.push(till, [s.refundEvent(till, refund)]))[0]!.status).toBe('applied');
        expect((await hq.sql`select left_minor from rebates where sale_id = ${sale.id}`)[0]!.left_minor).toBe(800);
        // Six days after the sale: not yet. Seven: posted, once.
        expect(await postMaturedRebates(hq.sql, completedAt + 6 * DAY)).toEqual({ posted: 0, voided: 0 });
        expect(await postMaturedRebates(hq.sql, completedAt + 7 * DAY)).toEqual({ posted: 1, voided: 0 });
        expect(await postMaturedRebates(hq.sql, completedAt + 8 * DAY)).toEqual({ posted: 0, voided: 0 });
        expect(await s.posted(cardBonusAccountId(who.cardId))).toBe(800);
      } finally {
        await hq.sql.begin((tx) => writeSetting(tx, 'rebate', null, { operatorId: null, nodeId: null }));
      }
    });

    it('a rebate held for a card replaced since the sale is posted to the new card', async () => {
      await hq.sql.begin((tx) => writeSetting(tx, 'rebate', { rate: '0.01', waitingDays: 3 }, { operatorId: null, nodeId: null }));
      try {
        const who = await s.newMember(till);
        const completedAt = at('2026-05-01T04:00:00Z');
        const sale = { ...s.saleDoc(till, who, [line(1, 1, 30_000)], [{ kind: 'cash', amountMinor: 30_000, tenderedMinor: 30_000, changeMinor: 0 }], 300), completedAt };
        await pushSale(sale, completedAt);
        await client.call('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'report_lost', reason: '', operatorId: '' }, till.credential);
        const r = await client.call('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'replace', reason: '', operatorId: '', newCard: { cardNo: `RB${uuidv7().slice(-12)}`, medium: 'barcode', pin: '', expiresOn: '' } }, till.credential);
        const fresh = r.cards.find((c: { id: string }) => c.id !== who.cardId).id as string;
        expect(await postMaturedRebates(hq.sql, completedAt + 3 * DAY)).toEqual({ posted: 1, voided: 0 });
        expect([await s.posted(cardBonusAccountId(who.cardId)), await s.posted(cardBonusAccountId(fresh))]).toEqual([0, 300]);
      } finally {
        await hq.sql.begin((tx) => writeSetting(tx, 'rebate', null, { operatorId: null, nodeId: null }));
      }
    });

    it('a sale refunded in full inside the window releases its rebate at once', async () => {
      await hq.sql.begin((tx) => writeSetting(tx, 'rebate', { rate: '0.05', waitingDays: 30 }, { operatorId: null, nodeId: null }));
      try {
        const who = await s.newMember(till);
        const completedAt = at('2026-04-01T04:00:00Z');
        const sale = { ...s.saleDoc(till, who, [line(1, 2, 1_000)], [{ kind: 'cash', amountMinor: 2_000, tenderedMinor: 2_000, changeMinor: 0 }], 20), completedAt };
        await pushSale(sale, completedAt);
        const refund = s.refundDoc(till, sale, [], [{ lineNo: 1, quantity: 2 }]);
        expect((await s.push(till, [s.refundEvent(till, refund)]))[0]!.status).toBe('applied');
        const [held] = await hq.sql`select pending_state from transfers where id = ${`rebate:${sale.id}`}`;
        expect(held!.pending_state).toBe('voided');
        expect(await postMaturedRebates(hq.sql, completedAt + 31 * DAY)).toEqual({ posted: 0, voided: 0 });
        expect(await s.posted(cardBonusAccountId(who.cardId))).toBe(0);
      } finally {
        await hq.sql.begin((tx) => writeSetting(tx, 'rebate', null, { operatorId: null, nodeId: null }));
      }
    });
  });

  describe('member levels', () => {
    it('a sale that lifts rolling spend over a threshold upgrades at once; only the yearly review moves a member down', async () => {
      const who = await s.newMember(till, '升级会员');
      const now = at('2026-06-01T04:00:00Z');
      const [{ seq }] = (await hq.sql`select coalesce(max(seq), 0)::bigint as seq from change_log`) as unknown as [{ seq: number }];
      // ¥2,500.00 in the last 12 months reaches silver (¥2,000.00).
      await pushSale(cashSale(who, 250_000, 2_500, now), now);
      expect((await hq.sql`select level_code from members where id = ${who.memberId}`)[0]!.level_code).toBe('silver');
      expect((await hq.sql`select count(*)::int as n from change_log where kind = 'member' and key = ${who.memberId} and seq > ${seq}`)[0]!.n).toBe(1);
      const [audit] = await hq.sql`select details from audit_log where action = 'member.level_changed' and details->>'memberId' = ${who.memberId}`;
      expect(audit!.details).toMatchObject({ before: 'regular', after: 'silver', rollingSpendMinor: 250_000 });
      // A small sale months later changes nothing mid-year.
      await pushSale(cashSale(who, 100, 1, now + 200 * DAY), now + 200 * DAY);
      expect((await hq.sql`select level_code from members where id = ${who.memberId}`)[0]!.level_code).toBe('silver');

      // The first yearly run is a baseline; the next year's review follows spend, down too.
      await yearlyLevelReview(hq.sql, at('2026-06-02T00:00:00Z'));
      const changes = await yearlyLevelReview(hq.sql, at('2027-06-02T00:00:00Z'));
      expect(changes).toContainEqual({ memberId: who.memberId, from: 'silver', to: 'regular', rollingSpendMinor: 100 });
      expect(await yearlyLevelReview(hq.sql, at('2027-09-01T00:00:00Z'))).toEqual([]);
    });
  });

  it('cards past their expiry date become expired the next local day, in the feed', async () => {
    const who = await s.newMember(till);
    await hq.sql`update cards set expires_on = '2026-08-31' where id = ${who.cardId}`;
    // 23:30 on 31 August in Shanghai: still valid.
    expect(await expireCards(hq.sql, at('2026-08-31T15:30:00Z'))).not.toContain(who.cardId);
    // 00:30 on 1 September in Shanghai.
    const [{ seq }] = (await hq.sql`select coalesce(max(seq), 0)::bigint as seq from change_log`) as unknown as [{ seq: number }];
    expect(await expireCards(hq.sql, at('2026-08-31T16:30:00Z'))).toContain(who.cardId);
    expect((await hq.sql`select status from cards where id = ${who.cardId}`)[0]!.status).toBe('expired');
    expect((await hq.sql`select count(*)::int as n from change_log where kind = 'card' and key = ${who.cardId} and seq > ${seq}`)[0]!.n).toBe(1);
    expect(await expireCards(hq.sql, at('2026-09-02T00:00:00Z'))).not.toContain(who.cardId);
  });

  it('the periodic expiry goes through each time zone once per local day', async () => {
    const day = at('2030-06-01T04:00:00Z');
    const first = await expirePoints(hq.sql, day, undefined, { oncePerDay: true });
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((x) => x.localDate === '2030-06-01')).toBe(true);
    expect(await expirePoints(hq.sql, day + 3_600_000, undefined, { oncePerDay: true })).toEqual([]);
    expect((await hq.sql`select period from job_runs where job = 'points-expiry'`).map((r) => r.period)).toEqual(['2030-06-01@Asia/Shanghai']);
    // Nothing left to expire that day, even when asked directly.
    expect(await expirePoints(hq.sql, day + 3_600_000)).toEqual([]);
  });

  it('after everything above, every ledger balances and no member account is below zero', async () => {
    expect(await auditLedger(hq.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
  });
});
