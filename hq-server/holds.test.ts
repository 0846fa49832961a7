import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, storeSalesAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import type { Transfer } from '../core/ledger';
import { demoChain } from '../fixtures/data/demo-chain';
import { transferToWire } from '../protocols/sync/v1/codec';
import { releaseExpiredHolds } from './holds';
import { LedgerTx } from './ledger';
import { accountCacheMismatches } from './reconciliation';
import { auditLedger, Scenario, type Till } from './testing/scenario';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';

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
});
