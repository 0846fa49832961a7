import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, storeSalesAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import type { Transfer } from '../core/ledger';
import { postTopUpRefund, type TopUpRefundDocument } from '../core/top-up';
import { demoChain } from '../fixtures/data/demo-chain';
import { transferToWire } from '../protocols/sync/v1/codec';
import { releaseExpiredHolds } from './holds';
import { LedgerTx } from './ledger';
import { accountCacheMismatches } from './reconciliation';
import { auditLedger, Scenario, type Till } from './testing/scenario';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type CallError, type TestSyncClient } from './testing/sync-client';

/**
 * Online holds at HQ: only the member's accounts are locked, the store's sales account takes
 * holds without a lock and caches no pending total, and every guarantee still holds (no debit
 * below zero, one answer per hold id, expiry, cached balances equal to the transfers).
 * Real embedded PostgreSQL, real gRPC.
 */

describe('online holds', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let s: Scenario;
  let a: Till;
  let b: Till;
  const sales = storeSalesAccountId('store-sh-01');

  beforeAll(async () => {
    hq = await startTestHq(demoChain, { jobs: false });
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    a = await s.enroll('t-sh-01-1', 'store-sh-01', await hq.enrollmentCode('t-sh-01-1'));
    b = await s.enroll('t-sh-01-2', 'store-sh-01', await hq.enrollmentCode('t-sh-01-2'));
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  const pendingOf = async (id: string) => {
    const [r] = await hq.sql`select debits_pending, credits_pending from accounts where id = ${id}`;
    return { debits: r!.debits_pending as number, credits: r!.credits_pending as number };
  };
  const settle = (till: Till, method: 'Capture' | 'Void', holdId: string, holds: Transfer[]) =>
    client.call(
      method,
      { holdId, transfers: holds.map((h) => transferToWire({ ...h, id: uuidv7(), kind: method === 'Capture' ? 'post_pending' : 'void_pending', pendingId: h.id })) },
      till.credential,
    );

  it('an Authorize at a store completes while another card of the same store is locked, and that card waits for its lock', async () => {
    const first = await s.newMember(a);
    const second = await s.newMember(a);
    await s.topUp(a, first, 5_000, 0);
    await s.topUp(a, second, 5_000, 0);
    // A transaction holds the first card's accounts and the store's sales account the way a capture does.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let lockedNow!: () => void;
    const locked = new Promise<void>((r) => (lockedNow = r));
    const blocker = hq.sql.begin(async (tx) => {
      await new LedgerTx(tx).lockAccounts([cardPrincipalAccountId(first.cardId), cardBonusAccountId(first.cardId), sales]);
      lockedNow();
      await released;
    });
    await locked;
    let firstDone = false;
    const firstHold = s.authorize(b, first.cardId, 1_000, uuidv7()).finally(() => (firstDone = true));
    try {
      // The other card at the same store: answered although the store's sales row is locked.
      const other = await s.authorize(a, second.cardId, 1_000, uuidv7());
      expect(other.holds.map((h) => [h.debitAccountId, h.creditAccountId, h.amount])).toEqual([[cardPrincipalAccountId(second.cardId), sales, 1_000]]);
      // The first card's Authorize is waiting for its lock, not refused.
      for (;;) {
        const [w] = await hq.sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%for no key update%'`;
        if (w!.n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(firstDone).toBe(false);
    } finally {
      release();
      await blocker;
    }
    expect((await firstHold).holds.map((h) => h.amount)).toEqual([1_000]);
  });

  it('the store sales account caches no pending total; the card does, and reconciliation finds no difference while holds are open', async () => {
    const who = await s.newMember(a);
    await s.topUp(a, who, 3_000, 500);
    const before = await pendingOf(sales);
    const hold = await s.authorize(a, who.cardId, 3_200, uuidv7());
    expect(hold.holds.map((h) => [h.id.split('/')[1], h.amount])).toEqual([['principal', 3_000], ['bonus', 200]]);
    expect(await pendingOf(sales)).toEqual(before);
    expect(before).toEqual({ debits: 0, credits: 0 });
    expect(await pendingOf(cardPrincipalAccountId(who.cardId))).toEqual({ debits: 3_000, credits: 0 });
    expect(await pendingOf(cardBonusAccountId(who.cardId))).toEqual({ debits: 200, credits: 0 });
    expect(await accountCacheMismatches(hq.sql)).toEqual([]);
    expect(await auditLedger(hq.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });

    // A pending total cached on the limit-free account is itself a difference.
    await hq.sql`update accounts set credits_pending = credits_pending + 5 where id = ${sales}`;
    try {
      expect((await accountCacheMismatches(hq.sql)).map((m) => m.id)).toEqual([sales]);
    } finally {
      await hq.sql`update accounts set credits_pending = credits_pending - 5 where id = ${sales}`;
    }

    // Capture posts into the store's sales; the card's hold is gone.
    const salesPosted = await s.posted(sales);
    await settle(a, 'Capture', hold.holdId, hold.holds);
    expect(await s.posted(sales)).toBe(salesPosted + 3_200);
    expect(await pendingOf(cardPrincipalAccountId(who.cardId))).toEqual({ debits: 0, credits: 0 });
    expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 300, points: 0 });
    expect(await accountCacheMismatches(hq.sql)).toEqual([]);
  });

  it('Void and expiry give the held value back without touching the store sales account', async () => {
    const who = await s.newMember(a);
    await s.topUp(a, who, 2_000, 0);
    const voided = await s.authorize(a, who.cardId, 1_500, uuidv7());
    const salesBefore = await hq.sql`select debits_posted, credits_posted, debits_pending, credits_pending from accounts where id = ${sales}`;
    await settle(a, 'Void', voided.holdId, voided.holds);
    expect(await pendingOf(cardPrincipalAccountId(who.cardId))).toEqual({ debits: 0, credits: 0 });

    const expiring = await s.authorize(a, who.cardId, 2_000, uuidv7());
    const [{ expires_at: expiresAt } = { expires_at: new Date(0) }] = await hq.sql`select expires_at from holds where hold_id = ${expiring.holdId}`;
    expect(await releaseExpiredHolds(hq.sql, (expiresAt as Date).getTime() + 1)).toContain(expiring.holdId);
    expect(await pendingOf(cardPrincipalAccountId(who.cardId))).toEqual({ debits: 0, credits: 0 });
    expect(await hq.sql`select debits_posted, credits_posted, debits_pending, credits_pending from accounts where id = ${sales}`).toEqual(salesBefore);
    expect(await accountCacheMismatches(hq.sql)).toEqual([]);
  });

  it('an Authorize writes no feed entry (so takes no chain-wide lock); a Void whose feed entry cannot be written is not committed', async () => {
    const who = await s.newMember(a);
    await s.topUp(a, who, 1_000, 0);
    const feedTop = async () => Number((await hq.sql`select coalesce(max(seq), 0)::bigint as seq from change_log`)[0]!.seq);
    const before = await feedTop();
    const held = await s.authorize(a, who.cardId, 600, uuidv7());
    expect(await feedTop()).toBe(before);
    expect(await pendingOf(cardPrincipalAccountId(who.cardId))).toEqual({ debits: 600, credits: 0 });

    await hq.sql`create function refuse_balance_feed() returns trigger language plpgsql as $$
      begin if new.kind = 'balance' then raise exception 'feed refused'; end if; return new; end $$`;
    await hq.sql`create trigger refuse_balance_feed before insert on change_log for each row execute function refuse_balance_feed()`;
    try {
      const refused = await settle(a, 'Void', held.holdId, held.holds).then(
        () => 'voided',
        (e: { onecardCode?: string }) => e.onecardCode,
      );
      expect(refused).toBe('INTERNAL');
    } finally {
      await hq.sql`drop trigger refuse_balance_feed on change_log`;
      await hq.sql`drop function refuse_balance_feed()`;
    }
    // Nothing of the refused Void stayed: the hold is still pending, and a Void now releases it and feeds the account.
    expect(await pendingOf(cardPrincipalAccountId(who.cardId))).toEqual({ debits: 600, credits: 0 });
    expect((await settle(a, 'Void', held.holdId, held.holds)).statuses).toEqual(['created']);
    expect(await pendingOf(cardPrincipalAccountId(who.cardId))).toEqual({ debits: 0, credits: 0 });
    const fed = await hq.sql`select kind, key from change_log where seq > ${before} and key = ${cardPrincipalAccountId(who.cardId)}`;
    expect(fed).toEqual([{ kind: 'balance', key: cardPrincipalAccountId(who.cardId) }]);
  });

  it('ten tills of one store ask for the same card at once: exactly as many holds as the balance covers, and a retried hold id answers the same holds', async () => {
    const who = await s.newMember(a);
    await s.topUp(a, who, 3_500, 0);
    const tills = [a, b];
    const asks = Array.from({ length: 10 }, (_, i) => {
      const holdId = uuidv7();
      const saleId = uuidv7();
      const till = tills[i % 2]!;
      const request = { holdId, cardId: who.cardId, amount: '1000', saleId };
      return client.call('Authorize', request, till.credential).then(
        async (r) => ({ ok: true as const, r, retry: await client.call('Authorize', request, till.credential) }),
        (e: { onecardCode?: string }) => ({ ok: false as const, code: e.onecardCode }),
      );
    });
    const outcomes = await Promise.all(asks);
    const held = outcomes.filter((o) => o.ok);
    expect(held).toHaveLength(3);
    for (const o of held) expect(o.retry).toEqual(o.r);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(Array(7).fill('INSUFFICIENT_BALANCE'));
    const [acct] = await hq.sql`select credits_posted - debits_posted - debits_pending as free from accounts where id = ${cardPrincipalAccountId(who.cardId)}`;
    expect(acct!.free).toBe(500);
    expect(await auditLedger(hq.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
  });

  /** HQ's answer to an Authorize: 'held', or its onecard-code with the reason trailer when it sent one. */
  const ask = (till: Till, request: Record<string, unknown>) =>
    client.call('Authorize', request, till.credential).then(
      () => 'held',
      (e: CallError) => [e.onecardCode, e.metadata?.get('onecard-reason')[0]].filter((x) => x !== undefined).map(String).join(' '),
    );
  const giveBack = (cardId: string, topUpId: string, refundId: string, part: 'principal' | 'bonus', amount: number) => ({
    holdId: uuidv7(),
    cardId,
    amount: String(amount),
    saleId: refundId,
    part,
    topUpId,
  });

  it('a top-up is claimed by one refund at a time: its principal and bonus holds share the claim, another till is refused until every hold of it is voided or expired', async () => {
    const who = await s.newMember(a);
    const topUp = await s.topUp(a, who, 10_000, 1_000);
    const first = uuidv7();
    const principal = giveBack(who.cardId, topUp.id, first, 'principal', 10_000);
    const bonus = giveBack(who.cardId, topUp.id, first, 'bonus', 1_000);
    expect(await ask(a, principal)).toBe('held');
    expect(await ask(a, bonus)).toBe('held');
    // A retry answers the same; the same hold id for another top-up is another request.
    expect(await ask(a, principal)).toBe('held');
    const otherTopUp = await s.topUp(a, who, 500, 0);
    expect(await ask(a, { ...principal, topUpId: otherTopUp.id })).toBe('CONFLICT');
    expect(await ask(a, { ...principal, topUpId: '' })).toBe('CONFLICT');

    // Another till gives back the same top-up: refused before anything is held, though the card covers it twice.
    const second = uuidv7();
    expect(await ask(b, giveBack(who.cardId, topUp.id, second, 'principal', 500))).toBe('CONFLICT refund_in_progress');
    expect((await hq.sql`select hold_id from holds where sale_id = ${second}`).length).toBe(0);
    const holdsOf = async (refundId: string) => hq.sql`select hold_id, state from holds where sale_id = ${refundId} and top_up_id = ${topUp.id} order by part`;
    const [bonusHold, principalHold] = await holdsOf(first);
    const legs = async (holdId: string) => (await hq.sql`select id, debit_account_id, credit_account_id, ledger, amount, code from transfers where id like ${holdId + '/%'}`).map(
      (t): Transfer => ({ id: t.id, kind: 'pending', debitAccountId: t.debit_account_id, creditAccountId: t.credit_account_id, ledger: t.ledger, amount: Number(t.amount), code: t.code, pendingId: null, timestamp: 0, originTerminalId: a.terminalId, documentId: first }),
    );
    // One of its two holds voided: the refund is still under way.
    await settle(a, 'Void', principalHold!.hold_id as string, await legs(principalHold!.hold_id as string));
    expect(await ask(b, giveBack(who.cardId, topUp.id, second, 'principal', 500))).toBe('CONFLICT refund_in_progress');
    // Both voided: the top-up is free, and the other till's refund claims it.
    await settle(a, 'Void', bonusHold!.hold_id as string, await legs(bonusHold!.hold_id as string));
    expect(await ask(b, giveBack(who.cardId, topUp.id, second, 'principal', 10_000))).toBe('held');
    expect(await ask(a, giveBack(who.cardId, topUp.id, first, 'principal', 10_000))).toBe('CONFLICT refund_in_progress');
    expect(await hq.sql`select refund_id from top_up_refund_claims where top_up_id = ${topUp.id}`).toEqual([{ refund_id: second }]);

    // Its hold expires uncaptured: free again.
    const [expiring] = await hq.sql`select hold_id, expires_at from holds where sale_id = ${second} and state = 'pending'`;
    expect(await releaseExpiredHolds(hq.sql, (expiring!.expires_at as Date).getTime() + 1)).toContain(expiring!.hold_id);
    expect(await ask(a, giveBack(who.cardId, topUp.id, uuidv7(), 'principal', 10_000))).toBe('held');
  });

  it('two tills give back one top-up at the same moment: one hold, the other CONFLICT; a refund HQ applied refuses any later one as already_refunded', async () => {
    const who = await s.newMember(a);
    const topUp = await s.topUp(a, who, 4_000, 0);
    await s.topUp(a, who, 20_000, 0); // the card covers the give-back many times over
    const outcomes = await Promise.all([a, b, a, b].map((till) => ask(till, giveBack(who.cardId, topUp.id, uuidv7(), 'principal', 4_000))));
    expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'held')).toEqual(Array(3).fill('CONFLICT refund_in_progress'));
    const [held] = await hq.sql`select hold_id, terminal_id, sale_id from holds where top_up_id = ${topUp.id}`;
    const till = held!.terminal_id === a.terminalId ? a : b;

    // The winner's refund reaches HQ and captures its hold.
    const doc: TopUpRefundDocument = {
      id: held!.sale_id as string,
      topUpId: topUp.id,
      storeId: till.storeId,
      terminalId: till.terminalId,
      currency: 'CNY',
      memberId: who.memberId,
      cardId: who.cardId,
      tender: 'cash',
      principalMinor: 4_000,
      bonusClawedBackMinor: 0,
      principalHoldId: `${held!.hold_id as string}/principal`,
      bonusHoldId: null,
      completedAt: Date.now(),
    };
    expect((await s.pushOne(till, { type: 'top_up_refund', topUpRefund: doc }, postTopUpRefund(doc, () => uuidv7()))).status).toBe('applied');
    expect(await ask(a, giveBack(who.cardId, topUp.id, uuidv7(), 'principal', 4_000))).toBe('CONFLICT already_refunded');
    expect(await auditLedger(hq.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
  });

  it('an Authorize naming a top-up of another card, an unknown top-up or a points hold is refused; one without a top-up still holds a payment', async () => {
    const who = await s.newMember(a);
    const other = await s.newMember(a);
    const theirs = await s.topUp(a, other, 3_000, 0);
    const mine = await s.topUp(a, who, 3_000, 0);
    expect(await ask(a, giveBack(who.cardId, theirs.id, uuidv7(), 'principal', 1_000))).toBe('VALIDATION_FAILED');
    expect(await ask(a, giveBack(who.cardId, uuidv7(), uuidv7(), 'principal', 1_000))).toBe('NOT_FOUND');
    expect(await ask(a, { holdId: uuidv7(), cardId: who.cardId, amount: '10', saleId: uuidv7(), asset: 'points', topUpId: mine.id })).toBe('VALIDATION_FAILED');
    // None of the refused ones claimed anything.
    expect(await hq.sql`select top_up_id from top_up_refund_claims where top_up_id in ${hq.sql([theirs.id, mine.id])}`).toEqual([]);
    // A payment as older tills ask for it (no top_up_id at all), and with it empty.
    expect(await ask(a, { holdId: uuidv7(), cardId: who.cardId, amount: '1000', saleId: uuidv7() })).toBe('held');
    expect(await ask(a, { holdId: uuidv7(), cardId: who.cardId, amount: '1000', saleId: uuidv7(), topUpId: '' })).toBe('held');
    expect(await hq.sql`select count(*)::int as n from holds where card_id = ${who.cardId} and top_up_id is null`).toEqual([{ n: 2 }]);
  });
});
