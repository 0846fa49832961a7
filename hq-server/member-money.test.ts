import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, chainTopUpBonusAccountId, storeCashAccountId, storeSalesAccountId } from '../core/accounts';
import { postGiftRedemption } from '../core/gift';
import { uuidv7 } from '../core/ids';
import { postRefund, type RefundDocument } from '../core/refund';
import { postSale } from '../core/sale';
import { postTopUpRefund, type TopUpRefundDocument } from '../core/top-up';
import { demoChain } from '../fixtures/data/demo-chain';
import { eventToWire, transferToWire } from '../protocols/sync/v1/codec';
import { pushEvents } from './push-events';
import { HOLD_TTL_MS, releaseExpiredHolds } from './holds';
import { auditLedger, CNY, line, Scenario, type Till } from './testing/scenario';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';

/**
 * The member money model at HQ (issue 3): refunds, gift redemptions and top-up refunds pushed by
 * terminals, offline debits beyond the balance, and the worked examples a finance clerk checks.
 * Real embedded PostgreSQL, real gRPC.
 */

describe('member money at HQ', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let s: Scenario;
  let sh: Till; // 上海人民广场店
  let hz: Till; // 杭州西湖店

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    sh = await s.enroll('t-sh-01-1', 'store-sh-01', await hq.enrollmentCode('t-sh-01-1'));
    hz = await s.enroll('t-hz-01-1', 'store-hz-01', await hq.enrollmentCode('t-hz-01-1'));
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  describe('worked example: bonus and principal, on spend and on refund', () => {
    it('top up ¥1,000 get ¥150; spend ¥1,100; return 3 of 10; return the rest: every balance comes back', async () => {
      const who = await s.newMember(sh, '钱多多');
      // Top-up: ¥1,000.00 paid in cash is principal; the promotion's ¥150.00 is bonus.
      await s.topUp(sh, who, 100_000, 15_000);
      expect(await s.wallet(who)).toEqual({ principal: 100_000, bonus: 15_000, points: 0 });

      // Sale: 10 × ¥99.00 + 2 × ¥55.00 = ¥1,100.00, paid by the card. Principal first: all
      // ¥1,000.00 of principal, then ¥100.00 of bonus. 1 point per yuan: 1,100 points.
      const sale = await s.onlineStoredValueSale(sh, who, [line(1, 10, 9_900), line(2, 2, 5_500)], 1_100);
      expect(sale.tenders[0]).toMatchObject({ legs: [{ part: 'principal', amount: 100_000 }, { part: 'bonus', amount: 10_000 }] });
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 5_000, points: 1_100 });

      // Return 3 of the 10 (¥297.00): stored value back in the 1,000 : 100 ratio it was spent,
      // ¥270.00 principal and ¥27.00 bonus; 297 of the 1,100 points go back.
      const first = s.refundDoc(sh, sale, [], [{ lineNo: 1, quantity: 3 }]);
      expect(first.tenders[0]!.legs.map((l) => [l.part, l.amount])).toEqual([['principal', 27_000], ['bonus', 2_700]]);
      expect(first.pointsReversed).toBe(297);
      expect(await s.push(sh, [s.refundEvent(sh, first)])).toMatchObject([{ status: 'applied' }]);
      expect(await s.wallet(who)).toEqual({ principal: 27_000, bonus: 7_700, points: 803 });

      // Return everything else (7 × ¥99.00 + 2 × ¥55.00 = ¥803.00): exactly what is left.
      const rest = s.refundDoc(hz, sale, [first], [{ lineNo: 1, quantity: 7 }, { lineNo: 2, quantity: 2 }]);
      expect(rest.tenders[0]!.legs.map((l) => [l.part, l.amount])).toEqual([['principal', 73_000], ['bonus', 7_300]]);
      expect(await s.push(hz, [s.refundEvent(hz, rest)])).toMatchObject([{ status: 'applied' }]);
      expect(await s.wallet(who)).toEqual({ principal: 100_000, bonus: 15_000, points: 0 });

      // Nothing is left to return.
      const third = { ...first, id: uuidv7(), terminalId: sh.terminalId };
      const r = await s.push(sh, [s.refundEvent(sh, third)]);
      expect(r[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/REFUND_EXCEEDS_SALE/) });
      expect(await s.wallet(who)).toEqual({ principal: 100_000, bonus: 15_000, points: 0 });
    });

    it('points rounding: ¥10.00 for 3 earning 10 points comes back as ¥3.33 / 3, ¥3.33 / 3, ¥3.34 / 4', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 1_000, 0);
      const sale = await s.onlineStoredValueSale(sh, who, [{ ...line(1, 3, 333), amountMinor: 1_000 }], 10);
      const done: RefundDocument[] = [];
      const got: Array<[number, number]> = [];
      for (const t of [sh, hz, sh]) {
        const r = s.refundDoc(t, sale, done, [{ lineNo: 1, quantity: 1 }]);
        expect((await s.push(t, [s.refundEvent(t, r)]))[0]!.status).toBe('applied');
        done.push(r);
        got.push([r.totalMinor, r.pointsReversed]);
      }
      expect(got).toEqual([[333, 3], [333, 3], [334, 4]]);
      expect(await s.wallet(who)).toEqual({ principal: 1_000, bonus: 0, points: 0 });
    });
  });

  describe('refunds pushed by terminals', () => {
    it('a refund that does not match what HQ computes from the stored sale is quarantined and changes nothing', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 5_000, 0);
      const sale = await s.onlineStoredValueSale(sh, who, [line(1, 2, 1_000)], 20);
      const before = await s.wallet(who);
      const good = s.refundDoc(sh, sale, [], [{ lineNo: 1, quantity: 1 }]);
      // A refund that gives one fen more back than its share.
      const greedy: RefundDocument = { ...good, totalMinor: good.totalMinor + 1, lines: [{ ...good.lines[0]!, amountMinor: good.lines[0]!.amountMinor + 1 }], tenders: [{ ...good.tenders[0]!, amountMinor: 1_001, legs: [{ ...good.tenders[0]!.legs[0]!, amount: 1_001 }] }] };
      const r1 = await s.push(sh, [s.event(sh, { type: 'refund', refund: greedy }, postRefund(greedy, () => uuidv7()))]);
      expect(r1[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/does not match what HQ computes/) });
      // The right document with tampered transfers.
      const tampered = s.refundEvent(sh, good);
      tampered.transfers = tampered.transfers.map((t) => (t.code === 'REFUND_STORED_VALUE' ? { ...t, creditAccountId: cardBonusAccountId(who.cardId) } : t));
      expect((await s.push(sh, [tampered]))[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/transfers do not match/) });
      // A line the sale does not have.
      const noLine = { ...good, id: uuidv7(), lines: [{ ...good.lines[0]!, lineNo: 9 }] };
      expect((await s.push(sh, [s.event(sh, { type: 'refund', refund: noLine }, postRefund(noLine, () => uuidv7()))]))[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/no line 9/) });
      expect(await s.wallet(who)).toEqual(before);
      // The good one still applies, once.
      const ev = s.refundEvent(sh, good);
      expect((await s.push(sh, [ev]))[0]!.status).toBe('applied');
      expect((await s.push(sh, [ev]))[0]!.status).toBe('duplicate');
      expect(await s.wallet(who)).toEqual({ principal: before.principal + 1_000, bonus: 0, points: before.points - 10 });
    });

    it('a refund after the card was replaced returns the value to the new card, principal and bonus apart', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 1_000, 500);
      const sale = await s.onlineStoredValueSale(sh, who, [line(1, 3, 500)], 15);
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 0, points: 15 });
      await client.call('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'report_lost', reason: '', operatorId: '' }, sh.credential);
      const r = await client.call('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'replace', reason: '', operatorId: '', newCard: { cardNo: `N${uuidv7().slice(-12)}`, medium: 'barcode', pin: '', expiresOn: '' } }, sh.credential);
      const fresh = { memberId: who.memberId, cardId: r.cards.find((c: { id: string }) => c.id !== who.cardId).id as string };
      const refund = s.refundDoc(sh, sale, [], [{ lineNo: 1, quantity: 3 }]);
      const [res] = await s.push(sh, [s.refundEvent(sh, refund)]);
      expect(res).toMatchObject({ status: 'applied' });
      expect(await s.wallet(fresh)).toEqual({ principal: 1_000, bonus: 500, points: 0 });
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 0, points: 0 });
    });

    it('a refund that arrives before its sale is kept, and applied when the sale comes in from the other till', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 3_000, 0);
      const saleId = uuidv7();
      const { holds } = await s.authorize(hz, who.cardId, 2_000, saleId);
      const sale = s.saleDoc(hz, who, [line(1, 2, 1_000)], [{ kind: 'stored_value', amountMinor: 2_000, cardId: who.cardId, legs: [{ accountId: holds[0]!.debitAccountId, part: 'principal', amount: 2_000, holdId: holds[0]!.id }] }], 20, saleId);
      const saleEvent = s.event(hz, { type: 'sale', sale }, postSale(sale, () => uuidv7()));
      // The Shanghai till refunds one while the Hangzhou till has not pushed the sale yet.
      const refund = s.refundDoc(sh, sale, [], [{ lineNo: 1, quantity: 1 }]);
      const early = await s.push(sh, [s.refundEvent(sh, refund)]);
      expect(early[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/^awaiting sale/) });
      expect(await s.wallet(who)).toEqual({ principal: 3_000, bonus: 0, points: 0 });
      // The sale arrives: HQ applies it, then the refund that was waiting for it.
      expect((await s.push(hz, [saleEvent]))[0]!.status).toBe('applied');
      const [stored] = await hq.sql`select status, reason from events where terminal_id = ${sh.terminalId} and seq = ${early[0]!.seq}`;
      expect(stored).toMatchObject({ status: 'applied' });
      expect(await s.wallet(who)).toEqual({ principal: 2_000, bonus: 0, points: 10 });
    });
  });

  describe('gift redemptions', () => {
    it('spends points the member has, captures a points hold, and never takes points below zero', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 50_000, 0);
      await s.onlineStoredValueSale(sh, who, [line(1, 1, 50_000)], 500);
      const gift = (points: number) => ({ id: uuidv7(), memberId: who.memberId, storeId: sh.storeId, terminalId: sh.terminalId, giftSku: 'GIFT-MUG', quantity: 1, points, completedAt: 1 });
      // Direct: 200 of 500 points.
      const g1 = gift(200);
      expect((await s.pushOne(sh, { type: 'gift_redemption', gift: g1 }, postGiftRedemption(g1, () => uuidv7()))).status).toBe('applied');
      // Against a hold of the member's points: 250 more.
      const g2 = gift(250);
      const hold = await s.authorize(sh, who.cardId, 250, g2.id, { asset: 'points' });
      const captured = postGiftRedemption(g2, () => uuidv7()).map((t) => ({ ...t, kind: 'post_pending' as const, pendingId: hold.holds[0]!.id }));
      expect((await s.pushOne(sh, { type: 'gift_redemption', gift: g2 }, captured)).status).toBe('applied');
      const [h] = await hq.sql`select state from holds where hold_id = ${hold.holdId}`;
      expect(h!.state).toBe('captured');
      // 100 more than the 50 left: refused, kept, nothing changes.
      const g3 = gift(150);
      const r = await s.pushOne(sh, { type: 'gift_redemption', gift: g3 }, postGiftRedemption(g3, () => uuidv7()));
      expect(r).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/exceeds_credits/) });
      expect((await s.wallet(who)).points).toBe(50);

      // HQ finance credits the 100 missing points (asked by one, approved by another), then retries the kept event.
      const admin = await signIn('admin');
      const finance = await signIn('finance');
      const retry = (token: string) => rest('POST', `/api/v1/events/${sh.terminalId}/${r.seq}/retry`, token);
      expect((await retry(finance)).body).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/exceeds_credits/) });
      const asked = await rest('POST', '/api/v1/adjustments', admin, { asset: 'points', memberId: who.memberId, amount: 100, reason: '礼品兑换积分不足，经理批准补足' });
      expect((await rest('POST', `/api/v1/adjustments/${asked.body.id}/approve`, finance)).status).toBe(200);
      expect((await retry(finance)).body).toMatchObject({ status: 'applied' });
      expect((await s.wallet(who)).points).toBe(0);
      expect((await retry(finance)).body).toMatchObject({ status: 'duplicate' });
      const [stored] = await hq.sql`select status from events where terminal_id = ${sh.terminalId} and seq = ${r.seq}`;
      expect(stored!.status).toBe('applied');
      expect((await retry(await signIn('sh01.cashier1'))).status).toBe(403);
    });
  });

  describe('top-up refunds', () => {
    it('gives back the principal and claws back the unspent bonus, both held first at HQ and captured by the refund; once only', async () => {
      const who = await s.newMember(sh);
      const topUp = await s.topUp(sh, who, 100_000, 15_000);
      // The member spent ¥40.00 of bonus (a bonus-only hold for this sale).
      const saleId = uuidv7();
      const spend = await s.authorize(sh, who.cardId, 4_000, saleId, { part: 'bonus' });
      expect(spend.holds.map((h) => h.id)).toEqual([`${spend.holdId}/bonus`]);
      const sale = s.saleDoc(sh, who, [line(1, 1, 4_000)], [{ kind: 'stored_value', amountMinor: 4_000, cardId: who.cardId, legs: [{ accountId: cardBonusAccountId(who.cardId), part: 'bonus', amount: 4_000, holdId: spend.holds[0]!.id }] }], 0, saleId);
      expect((await s.pushOne(sh, { type: 'sale', sale }, postSale(sale, () => uuidv7()))).status).toBe('applied');
      // Refund: ¥110.00 of bonus is left to claw back; the ¥40.00 spent comes out of the principal: ¥960.00 paid back.
      // Each part is held at HQ first, into the store's sales as for a sale, so no other store spends it meanwhile.
      const refundId = uuidv7();
      const p = await s.authorize(sh, who.cardId, 96_000, refundId, { part: 'principal' });
      const b = await s.authorize(sh, who.cardId, 11_000, refundId, { part: 'bonus' });
      expect([p.holds.map((h) => [h.debitAccountId, h.creditAccountId]), b.holds.map((h) => [h.debitAccountId, h.creditAccountId])]).toEqual([
        [[cardPrincipalAccountId(who.cardId), storeSalesAccountId(sh.storeId)]],
        [[cardBonusAccountId(who.cardId), storeSalesAccountId(sh.storeId)]],
      ]);
      const [held] = await hq.sql`select debits_pending from accounts where id = ${cardPrincipalAccountId(who.cardId)}`;
      expect(held!.debits_pending).toBe(96_000);
      // The refund captures each hold as it was made and moves the amounts on from the store's
      // sales: the principal to the cash drawer, the bonus back to the chain.
      const doc: TopUpRefundDocument = { id: refundId, topUpId: topUp.id, storeId: sh.storeId, terminalId: sh.terminalId, currency: CNY, memberId: who.memberId, cardId: who.cardId, tender: 'cash', principalMinor: 96_000, bonusClawedBackMinor: 11_000, principalHoldId: p.holds[0]!.id, bonusHoldId: b.holds[0]!.id, completedAt: 1 };
      const transfers = postTopUpRefund(doc, () => uuidv7());
      expect(transfers.map((t) => [t.kind, t.code, t.debitAccountId, t.creditAccountId, t.amount])).toEqual([
        ['post_pending', 'TOPUP_REFUND', cardPrincipalAccountId(who.cardId), storeSalesAccountId(sh.storeId), 96_000],
        ['single', 'TOPUP_REFUND', storeSalesAccountId(sh.storeId), storeCashAccountId(sh.storeId), 96_000],
        ['post_pending', 'TOPUP_BONUS_CLAWBACK', cardBonusAccountId(who.cardId), storeSalesAccountId(sh.storeId), 11_000],
        ['single', 'TOPUP_BONUS_CLAWBACK', storeSalesAccountId(sh.storeId), chainTopUpBonusAccountId(CNY), 11_000],
      ]);
      const sales = await s.posted(storeSalesAccountId(sh.storeId));
      const cash = await s.posted(storeCashAccountId(sh.storeId));
      expect(await s.pushOne(sh, { type: 'top_up_refund', topUpRefund: doc }, transfers)).toMatchObject({ status: 'applied', reason: '' });
      expect(await s.wallet(who)).toEqual({ principal: 4_000, bonus: 0, points: 0 });
      const [after] = await hq.sql`select debits_pending from accounts where id = ${cardPrincipalAccountId(who.cardId)}`;
      expect(after!.debits_pending).toBe(0);
      expect((await hq.sql`select state from holds where sale_id = ${refundId}`).map((h) => h.state)).toEqual(['captured', 'captured']);
      // The store's sales only passed the money on; the drawer paid out ¥960.00 (a debit-normal account).
      expect(await s.posted(storeSalesAccountId(sh.storeId))).toBe(sales);
      expect(await s.posted(storeCashAccountId(sh.storeId))).toBe(cash + 96_000);
      // Again under a new id: the top-up was refunded already.
      const twice = { ...doc, id: uuidv7(), principalHoldId: null, bonusHoldId: null, principalMinor: 4_000, bonusClawedBackMinor: 0 };
      const r = await s.pushOne(sh, { type: 'top_up_refund', topUpRefund: twice }, postTopUpRefund(twice, () => uuidv7()));
      expect(r).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/already refunded/) });
    });

    it('a top-up refund whose hold expired at HQ before it arrived is taken directly when the card still covers it', async () => {
      const who = await s.newMember(sh);
      const topUp = await s.topUp(sh, who, 12_000, 0);
      const refundId = uuidv7();
      const p = await s.authorize(sh, who.cardId, 12_000, refundId, { part: 'principal' });
      expect(await releaseExpiredHolds(hq.sql, Date.now() + HOLD_TTL_MS + 60_000)).toContain(p.holdId);
      const doc: TopUpRefundDocument = { id: refundId, topUpId: topUp.id, storeId: sh.storeId, terminalId: sh.terminalId, currency: CNY, memberId: who.memberId, cardId: who.cardId, tender: 'cash', principalMinor: 12_000, bonusClawedBackMinor: 0, principalHoldId: p.holds[0]!.id, bonusHoldId: null, completedAt: 1 };
      const r = await s.pushOne(sh, { type: 'top_up_refund', topUpRefund: doc }, postTopUpRefund(doc, () => uuidv7()));
      expect(r.status).toBe('applied');
      const [row] = await hq.sql`select reason from events where terminal_id = ${sh.terminalId} and seq = ${Number(r.seq)}`;
      expect(row!.reason).toMatch(/hold expired at HQ before this capture/);
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 0, points: 0 });
    });

    it('still applies a top-up refund in the earlier form: holds released by the event before, the parts debited directly', async () => {
      const who = await s.newMember(sh);
      const topUp = await s.topUp(sh, who, 20_000, 3_000);
      const refundId = uuidv7();
      const p = await s.authorize(sh, who.cardId, 20_000, refundId, { part: 'principal' });
      const b = await s.authorize(sh, who.cardId, 3_000, refundId, { part: 'bonus' });
      const doc: TopUpRefundDocument = { id: refundId, topUpId: topUp.id, storeId: sh.storeId, terminalId: sh.terminalId, currency: CNY, memberId: who.memberId, cardId: who.cardId, tender: 'cash', principalMinor: 20_000, bonusClawedBackMinor: 3_000, principalHoldId: null, bonusHoldId: null, completedAt: 1 };
      const release = s.event(sh, { type: 'holds_released', saleId: refundId, holdIds: [p.holdId, b.holdId] }, [...p.holds, ...b.holds].map((h) => ({ ...h, id: uuidv7(), kind: 'void_pending' as const, pendingId: h.id })));
      const ev = s.event(sh, { type: 'top_up_refund', topUpRefund: doc }, postTopUpRefund(doc, () => uuidv7()));
      expect((await s.push(sh, [release, ev])).map((r) => [r.status, r.reason])).toEqual([['applied', ''], ['applied', '']]);
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 0, points: 0 });
    });

    it('refuses a top-up refund that captures a hold of another terminal or of another document, and changes nothing', async () => {
      const who = await s.newMember(sh);
      const topUp = await s.topUp(sh, who, 30_000, 0);
      const refundId = uuidv7();
      const doc = (principalHoldId: string): TopUpRefundDocument => ({ id: refundId, topUpId: topUp.id, storeId: sh.storeId, terminalId: sh.terminalId, currency: CNY, memberId: who.memberId, cardId: who.cardId, tender: 'cash', principalMinor: 30_000, bonusClawedBackMinor: 0, principalHoldId, bonusHoldId: null, completedAt: 1 });
      // A hold Hangzhou made (into Hangzhou's sales): not Shanghai's to capture.
      const theirs = await s.authorize(hz, who.cardId, 30_000, refundId, { part: 'principal' });
      const r1 = await s.pushOne(sh, { type: 'top_up_refund', topUpRefund: doc(theirs.holds[0]!.id) }, postTopUpRefund(doc(theirs.holds[0]!.id), () => uuidv7()));
      expect(r1).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/another terminal/) });
      await s.client.call('Void', { holdId: theirs.holdId, transfers: theirs.holds.map((h) => ({ ...transferToWire(h), id: uuidv7(), kind: 'void_pending', pendingId: h.id })) }, hz.credential);
      // Shanghai's own hold, but made for a sale.
      const forSale = await s.authorize(sh, who.cardId, 30_000, uuidv7(), { part: 'principal' });
      const r2 = await s.pushOne(sh, { type: 'top_up_refund', topUpRefund: doc(forSale.holds[0]!.id) }, postTopUpRefund(doc(forSale.holds[0]!.id), () => uuidv7()));
      expect(r2).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/not made for top-up refund/) });
      const [acct] = await hq.sql`select credits_posted - debits_posted as posted, debits_pending as held from accounts where id = ${cardPrincipalAccountId(who.cardId)}`;
      expect([acct!.posted, acct!.held]).toEqual([30_000, 30_000]);
    });

    it('refuses a top-up refund that keeps bonus the member spent in the principal paid back', async () => {
      const who = await s.newMember(sh);
      const topUp = await s.topUp(sh, who, 50_000, 5_000);
      const doc: TopUpRefundDocument = { id: uuidv7(), topUpId: topUp.id, storeId: sh.storeId, terminalId: sh.terminalId, currency: CNY, memberId: who.memberId, cardId: who.cardId, tender: 'cash', principalMinor: 50_000, bonusClawedBackMinor: 0, principalHoldId: null, bonusHoldId: null, completedAt: 1 };
      const r = await s.pushOne(sh, { type: 'top_up_refund', topUpRefund: doc }, postTopUpRefund(doc, () => uuidv7()));
      expect(r).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/should be 45000/) });
      expect(await s.wallet(who)).toEqual({ principal: 50_000, bonus: 5_000, points: 0 });
    });
  });

  describe('the last ¥100.00 from two stores at once', () => {
    it('online: two tills of different stores Authorize it at the same moment; exactly one gets it', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 10_000, 0);
      const ask = (t: Till) => s.authorize(t, who.cardId, 10_000, uuidv7()).then(() => 'held', (e: { onecardCode?: string }) => e.onecardCode);
      const outcomes = await Promise.all([ask(sh), ask(hz)]);
      expect(outcomes.sort()).toEqual(['INSUFFICIENT_BALANCE', 'held']);
      const [acct] = await hq.sql`select credits_posted - debits_posted - debits_pending as free from accounts where id = ${cardPrincipalAccountId(who.cardId)}`;
      expect(acct!.free).toBe(0);
    });

    it('offline: both tills took it without a hold; both sales apply, the card stops at zero and the exposure report shows the overdraft by store and member', async () => {
      const who = await s.newMember(sh, '离线会员');
      await s.topUp(sh, who, 10_000, 0);
      const offlineSale = (t: Till) => s.saleDoc(t, who, [line(1, 1, 10_000)], [{ kind: 'stored_value', amountMinor: 10_000, cardId: who.cardId, legs: [{ accountId: cardPrincipalAccountId(who.cardId), part: 'principal', amount: 10_000, holdId: null }] }], 100);
      const a = offlineSale(sh);
      const b = offlineSale(hz);
      const evA = s.event(sh, { type: 'sale', sale: a }, postSale(a, () => uuidv7()));
      const evB = s.event(hz, { type: 'sale', sale: b }, postSale(b, () => uuidv7()));
      const [ra, rb] = await Promise.all([s.push(sh, [evA]), s.push(hz, [evB])]);
      expect([ra[0]!.status, rb[0]!.status]).toEqual(['applied', 'applied']);
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 0, points: 200 });
      // Replays change nothing.
      expect((await s.push(sh, [evA]))[0]!.status).toBe('duplicate');
      const overdrafts = await hq.sql`select t.debit_account_id, t.amount from transfers t join sales s on s.id = t.document_id where t.code = 'OFFLINE_OVERDRAFT' and s.member_id = ${who.memberId}`;
      expect(overdrafts).toHaveLength(1);
      expect(overdrafts[0]!.amount).toBe(10_000);
      const late = [a, b].find((x) => `store:${x.storeId}:offline_exposure` === overdrafts[0]!.debit_account_id)!;

      const admin = await signIn('finance');
      const report = await rest('GET', `/api/v1/exposure?memberId=${who.memberId}`, admin);
      expect(report.status).toBe(200);
      expect(report.body.rows).toEqual([{ storeId: late.storeId, storeName: expect.any(String), memberId: who.memberId, memberName: '离线会员', ledger: CNY, amount: 10_000, count: 1, lastAt: expect.any(Number) }]);
      expect(report.body.totals).toEqual([{ ledger: CNY, amount: 10_000, count: 1 }]);
      expect(report.body.byStore).toEqual([{ storeId: late.storeId, ledger: CNY, amount: 10_000, count: 1 }]);
      // A store manager sees only their own store's exposure.
      const otherStore = late.storeId === 'store-sh-01' ? 'gz01.manager' : 'sh01.manager';
      const theirs = await rest('GET', `/api/v1/exposure?memberId=${who.memberId}`, await signIn(otherStore));
      expect(theirs.body.rows).toEqual([]);
    });

    it('refunding an overdrawn offline sale pays the store’s exposure back before the member gets anything', async () => {
      const who = await s.newMember(sh, '退货会员');
      await s.topUp(sh, who, 6_000, 0);
      // Offline: ¥100.00 taken from a card holding ¥60.00: ¥40.00 is exposure.
      const sale = s.saleDoc(hz, who, [line(1, 2, 5_000)], [{ kind: 'stored_value', amountMinor: 10_000, cardId: who.cardId, legs: [{ accountId: cardPrincipalAccountId(who.cardId), part: 'principal', amount: 10_000, holdId: null }] }], 100);
      expect((await s.pushOne(hz, { type: 'sale', sale }, postSale(sale, () => uuidv7()))).status).toBe('applied');
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 0, points: 100 });
      const finance = await signIn('finance');
      expect((await rest('GET', `/api/v1/exposure?memberId=${who.memberId}`, finance)).body.totals).toEqual([{ ledger: CNY, amount: 4_000, count: 1 }]);
      // One of two comes back (¥50.00): ¥40.00 clears the exposure, ¥10.00 goes to the card.
      const first = s.refundDoc(sh, sale, [], [{ lineNo: 1, quantity: 1 }]);
      expect((await s.push(sh, [s.refundEvent(sh, first)]))[0]!.status).toBe('applied');
      expect(await s.wallet(who)).toEqual({ principal: 1_000, bonus: 0, points: 50 });
      expect((await rest('GET', `/api/v1/exposure?memberId=${who.memberId}`, finance)).body.totals).toEqual([]);
      // The other: all of it to the card. The card holds its ¥60.00 again.
      const rest2 = s.refundDoc(sh, sale, [first], [{ lineNo: 1, quantity: 1 }]);
      expect((await s.push(sh, [s.refundEvent(sh, rest2)]))[0]!.status).toBe('applied');
      expect(await s.wallet(who)).toEqual({ principal: 6_000, bonus: 0, points: 0 });
    });

    it('an offline points tender beyond the member’s points books the shortfall as points exposure', async () => {
      const who = await s.newMember(sh);
      const sale = s.saleDoc(sh, who, [line(1, 1, 500)], [{ kind: 'points', amountMinor: 500, points: 500, holdId: null }], 0);
      expect((await s.pushOne(sh, { type: 'sale', sale }, postSale(sale, () => uuidv7()))).status).toBe('applied');
      expect((await s.wallet(who)).points).toBe(0);
      const [x] = await hq.sql`select credits_posted - debits_posted as p from accounts where id = 'store:store-sh-01:offline_exposure:points'`;
      expect(x!.p).toBeLessThanOrEqual(-500);

      // A store without the account yet (made after this HQ's migration) gets it when first needed.
      await hq.sql`delete from accounts where id = 'store:store-gz-01:offline_exposure:points'`;
      const gz = { terminalId: 't-gz-01-1', storeId: 'store-gz-01' };
      const [t] = await hq.sql`select acked_seq from terminals where id = ${gz.terminalId}`;
      const gzSale = { ...sale, id: uuidv7(), storeId: gz.storeId, terminalId: gz.terminalId };
      const event = { seq: (t!.acked_seq as number) + 1, id: uuidv7(), occurredAt: 1, body: { type: 'sale' as const, sale: gzSale }, transfers: postSale(gzSale, () => uuidv7()) };
      expect((await pushEvents(hq.sql, gz, [eventToWire(event)])).results[0]).toMatchObject({ status: 'applied' });
      const [y] = await hq.sql`select credits_posted - debits_posted as p from accounts where id = 'store:store-gz-01:offline_exposure:points'`;
      expect(y!.p).toBe(-500);
    });
  });

  describe('bad input is refused with a stable code and changes nothing', () => {
    it('points below a redemption unit, or worth another amount, are refused', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 100_000, 0);
      await s.onlineStoredValueSale(sh, who, [line(1, 1, 100_000)], 1_000);
      const before = await s.wallet(who);
      // 100 points = ¥1.00 by default: 150 points is not a whole number of units.
      const half = s.saleDoc(sh, who, [line(1, 1, 150)], [{ kind: 'points', amountMinor: 150, points: 150, holdId: null }], 0);
      expect(await s.pushOne(sh, { type: 'sale', sale: half }, postSale(half, () => uuidv7()))).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/^POINTS_BELOW_REDEMPTION_UNIT/) });
      const dear = s.saleDoc(sh, who, [line(1, 1, 300)], [{ kind: 'points', amountMinor: 300, points: 200, holdId: null }], 0);
      expect(await s.pushOne(sh, { type: 'sale', sale: dear }, postSale(dear, () => uuidv7()))).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/worth 200, not 300/) });
      expect(await s.wallet(who)).toEqual(before);
    });

    it('an expired card cannot be held, nor receive a balance transfer', async () => {
      const who = await s.newMember(sh);
      await s.topUp(sh, who, 1_000, 0);
      const second = await client.call('IssueCard', { requestId: uuidv7(), memberId: who.memberId, cardNo: `E${uuidv7().slice(-12)}`, medium: 'barcode', pin: '', expiresOn: '' }, sh.credential);
      const expired = second.cards.find((c: { id: string }) => c.id !== who.cardId).id as string;
      await hq.sql`update cards set expires_on = '2020-01-31' where id = ${expired}`;
      const held = await s.authorize(sh, expired, 100, uuidv7()).then(() => 'held', (e: { onecardCode?: string }) => e.onecardCode);
      expect(held).toBe('CARD_EXPIRED');
      const moved = await client
        .call('TransferBalance', { requestId: uuidv7(), fromCardId: who.cardId, toCardId: expired, amount: '100' }, sh.credential)
        .then(() => 'moved', (e: { onecardCode?: string }) => e.onecardCode);
      expect(moved).toBe('CARD_EXPIRED');
      expect(await s.wallet(who)).toEqual({ principal: 1_000, bonus: 0, points: 0 });
    });

    it('zero and negative amounts on the wire are refused as VALIDATION_FAILED (int64 carries no fractions; REST refuses 12.5)', async () => {
      const who = await s.newMember(sh);
      for (const amount of ['0', '-100']) {
        const code = await client
          .call('Authorize', { holdId: uuidv7(), cardId: who.cardId, amount, saleId: uuidv7() }, sh.credential)
          .then(() => 'held', (e: { onecardCode?: string }) => e.onecardCode);
        expect([amount, code]).toEqual([amount, 'VALIDATION_FAILED']);
      }
      const r = await client.call('PushEvents', { events: [{ seq: String(++sh.seq), id: uuidv7(), occurredAt: '1', giftRedemption: { id: uuidv7(), memberId: who.memberId, storeId: sh.storeId, giftSku: 'G', quantity: 1, points: '0', completedAt: '1' }, transfers: [] }] }, sh.credential);
      expect(r.results[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/points: must be more than zero/) });
    });
  });

  it('after everything above, every ledger balances, no member account is below zero, cached balances equal the transfers', async () => {
    expect(await auditLedger(hq.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
  });

  async function rest(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(hq.httpUrl + path, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async function signIn(login: string): Promise<string> {
    return (await rest('POST', '/api/v1/sessions', undefined, { login, password: 'onecard-demo' })).body.token;
  }
});
