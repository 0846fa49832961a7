import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, storeCashAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { startTestHq } from '../hq-server/testing/hq';
import { Scenario } from '../hq-server/testing/scenario';
import { createTestSyncClient, type CallError } from '../hq-server/testing/sync-client';
import { transferToWire } from '../protocols/sync/v1/codec';
import { SyncProxy } from '../test/support/sync-proxy';
import { jsonCaller } from './testing-http';
import { TestTills } from './testing-tills';
import type { RunningTerminal } from './index';
import { tillCredentials } from './testing-staff';

/**
 * A member asks at the Hangzhou desk for a top-up made yesterday in Shanghai: the desk lists the
 * member's top-ups from HQ (ListMemberTopUps) with their stores' names, gives one back through the
 * same top-up refund route (GetTopUp, holds at HQ, a manager above the refund limit), and refuses
 * one already given back, here or at the till that made it. Offline, only the till's own are
 * listed. Two real terminals (SQLite, local API) against a real HQ (embedded PostgreSQL, gRPC).
 */

const COLA = '6901028001014'; // ¥3.00
const GOLD_CARD = '5B7E0D92'; // c-0002 / m-0002
const DIAMOND_CARD = '8F3A21C4'; // c-0001 / m-0001
const UNREACHABLE = '127.0.0.1:1';

interface TopUpEntry {
  id: string;
  storeId: string;
  storeName: string;
  madeHere: boolean;
  principalMinor: number;
  bonusMinor: number;
  refunded: boolean;
}

describe('giving back a top-up made at another store', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  const tills = new TestTills(() => hq, demoChain, 'onecard-top-up-elsewhere-');

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
  });
  afterAll(async () => {
    await tills.stop();
    await hq?.stop();
  });

  const terminal = (terminalId: string, o: { dir?: string; hqAddress?: string } = {}) => tills.start(terminalId, o);

  const api = (t: RunningTerminal) => jsonCaller(() => t.uiUrl, () => t.token);

  async function posted(accountId: string): Promise<number> {
    const [row] = await hq.sql`select credits_posted - debits_posted as posted from accounts where id = ${accountId}`;
    return Number(row!.posted);
  }
  /** What a store's cash drawer holds at HQ (an asset: debits less credits). */
  const drawer = async (storeId: string) => -(await posted(storeCashAccountId(storeId)));

  it('lists the member top-ups of the chain with store names, gives back a Shanghai one in Hangzhou with the manager, refuses it twice', async () => {
    const { t: shanghai } = await terminal('t-sh-01-1');
    const { t: hangzhou, dir: hangzhouDir } = await terminal('t-hz-01-1');
    const a = api(shanghai);
    const b = api(hangzhou);
    expect((await b('POST', '/api/shift/open', { floatMinor: 0 })).status).toBe(201);

    // Shanghai: a purchase and two top-ups (¥600.00 earns ¥50.00 bonus), all pushed to HQ.
    const sale = (await a('POST', '/api/sales')).json;
    await a('POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await a('POST', `/api/sales/${sale.id}/member`, { cardNo: GOLD_CARD });
    await a('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 300 });
    expect((await a('POST', `/api/sales/${sale.id}/complete`)).json.status).toBe('completed');
    const big = await a('POST', '/api/top-ups', { cardNo: GOLD_CARD, principalMinor: 60_000, tender: 'cash' });
    expect([big.status, big.json.bonusMinor]).toEqual([201, 5_000]);
    const small = (await a('POST', '/api/top-ups', { cardNo: GOLD_CARD, principalMinor: 1_000, tender: 'cash' })).json;
    await shanghai.syncNow();
    await hangzhou.syncNow();
    const cardBefore = { principal: await posted(cardPrincipalAccountId('c-0002')), bonus: await posted(cardBonusAccountId('c-0002')) };
    const hzCashBefore = await drawer('store-hz-01');

    // Hangzhou's desk: the purchase names its store; the top-ups too, with principal and bonus.
    const sales = (await b('GET', `/api/sales?cardNo=${GOLD_CARD}`)).json.sales as Array<{ id: string; storeId: string; storeName: string }>;
    expect(sales.find((s) => s.id === sale.id)).toMatchObject({ storeId: 'store-sh-01', storeName: '上海人民广场店' });
    // Its own top-up, made here, is listed with this store's name.
    const own = (await b('POST', '/api/top-ups', { cardNo: GOLD_CARD, principalMinor: 2_000, tender: 'cash' })).json;
    const listed = (await b('GET', '/api/members/m-0002/top-ups')).json as { source: string; topUps: TopUpEntry[] };
    expect(listed.source).toBe('hq');
    expect(listed.topUps.find((x) => x.id === big.json.id)).toMatchObject({ storeId: 'store-sh-01', storeName: '上海人民广场店', madeHere: false, principalMinor: 60_000, bonusMinor: 5_000, refunded: false });
    expect(listed.topUps.find((x) => x.id === small.id)).toMatchObject({ madeHere: false, refunded: false });
    expect(listed.topUps.find((x) => x.id === own.id)).toMatchObject({ storeId: 'store-hz-01', storeName: '杭州西湖店', madeHere: true, refunded: false });

    // ¥600.00 back is above the chain's ¥500.00 limit: the cashier alone is refused, the manager's PIN allows it.
    const alone = await b('POST', `/api/top-ups/${big.json.id}/refund`, {});
    expect([alone.status, alone.json.error.code, alone.json.error.details.needsSupervisor]).toEqual([403, 'FORBIDDEN', true]);
    const withManager = await b('POST', `/api/top-ups/${big.json.id}/refund`, { supervisor: tillCredentials(demoChain, 'store-hz-01').manager });
    expect(withManager.status).toBe(201);
    expect(withManager.json.topUpRefund).toMatchObject({ topUpId: big.json.id, storeId: 'store-hz-01', tender: 'cash', principalMinor: 60_000, bonusClawedBackMinor: 5_000 });
    expect(withManager.json.approval).toMatchObject({ approvedBy: 'op-hz-01-manager', permission: 'refund.above_limit' });
    await hangzhou.syncNow();
    expect(await hq.sql`select seq, reason from events where terminal_id = 't-hz-01-1' and status = 'quarantined'`).toEqual([]);

    // At HQ: the card lost the top-up (own ¥20.00 added meanwhile), Hangzhou's drawer paid it out.
    expect(await posted(cardPrincipalAccountId('c-0002'))).toBe(cardBefore.principal - 60_000 + 2_000);
    expect(await posted(cardBonusAccountId('c-0002'))).toBe(cardBefore.bonus - 5_000);
    expect(await drawer('store-hz-01')).toBe(hzCashBefore + 2_000 - 60_000);
    // The cashier's drawer count knows the cash went out, though the top-up was not made here.
    expect((await b('GET', '/api/shift/x')).json.totals.topUpRefunds).toEqual({ cash: 60_000 });

    // Once only: again here, and at the till that made it (HQ knows), a stable CONFLICT; nothing changes.
    const again = await b('POST', `/api/top-ups/${big.json.id}/refund`, { supervisor: tillCredentials(demoChain, 'store-hz-01').manager });
    expect([again.status, again.json.error.code, again.json.error.details.reason]).toEqual([409, 'CONFLICT', 'already_refunded']);
    const atOrigin = await a('POST', `/api/top-ups/${big.json.id}/refund`, { supervisor: tillCredentials(demoChain, 'store-sh-01').manager });
    expect([atOrigin.status, atOrigin.json.error.code, atOrigin.json.error.details.reason]).toEqual([409, 'CONFLICT', 'already_refunded']);
    await shanghai.syncNow();
    await hangzhou.syncNow();
    expect(await hq.sql`select id from top_up_refunds where top_up_id = ${big.json.id}`).toHaveLength(1);
    expect(await posted(cardPrincipalAccountId('c-0002'))).toBe(cardBefore.principal - 60_000 + 2_000);
    const after = (await a('GET', '/api/members/m-0002/top-ups')).json as { topUps: TopUpEntry[] };
    expect(after.topUps.find((x) => x.id === big.json.id)).toMatchObject({ madeHere: true, refunded: true });
    expect(after.topUps.find((x) => x.id === small.id)).toMatchObject({ madeHere: true, refunded: false });

    // Hangzhou cut off from HQ: only its own top-ups can be listed, and a Shanghai one not given back.
    await tills.stopOne(hangzhou);
    const { t: cutOff } = await terminal('t-hz-01-1', { dir: hangzhouDir, hqAddress: UNREACHABLE });
    await cutOff.syncNow().catch(() => {});
    const c = api(cutOff);
    const offline = (await c('GET', '/api/members/m-0002/top-ups')).json as { source: string; topUps: TopUpEntry[] };
    expect(offline.source).toBe('this_terminal');
    expect(offline.topUps.map((x) => x.id)).toEqual([own.id]);
    const refused = await c('POST', `/api/top-ups/${small.id}/refund`, {});
    expect([refused.status, refused.json.error.code]).toEqual([503, 'HQ_OFFLINE']);
  });

  /** The 'top_up_refund' events in a till's outbox (its SQLite file, read beside the running terminal). */
  function outboxTopUpRefunds(dir: string, topUpId: string): number {
    const db = new Database(join(dir, 'terminal.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT body FROM outbox').all() as Array<{ body: string }>;
      return rows.map((r) => JSON.parse(r.body).body).filter((b) => b.type === 'top_up_refund' && b.topUpRefund?.topUpId === topUpId).length;
    } finally {
      db.close();
    }
  }

  it('two tills give back the same top-up at the same moment: HQ lets one pay out, the other is refused with CONFLICT and changes nothing', async () => {
    const { t: shanghai, dir: shanghaiDir } = await terminal('t-sh-01-2');
    const { t: guangzhou, dir: guangzhouDir } = await terminal('t-gz-01-1');
    const tills = [
      { t: shanghai, dir: shanghaiDir, call: api(shanghai) },
      { t: guangzhou, dir: guangzhouDir, call: api(guangzhou) },
    ];
    for (const x of tills) expect((await x.call('POST', '/api/shift/open', { floatMinor: 0 })).status).toBe(201);
    const topUp = (await tills[0]!.call('POST', '/api/top-ups', { cardNo: DIAMOND_CARD, principalMinor: 10_000, tender: 'cash' })).json;
    for (const x of tills) await x.t.syncNow();
    const principalBefore = await posted(cardPrincipalAccountId('c-0001'));
    const drawersBefore = await Promise.all(tills.map((x) => drawer(x.t.storeId)));

    // Under the refund limit, so each cashier alone may; the card covers the amount many times over.
    const answers = await Promise.all(tills.map((x) => x.call('POST', `/api/top-ups/${topUp.id}/refund`, {})));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    const w = answers.findIndex((r) => r.status === 201);
    const winner = tills[w]!;
    const loser = tills[1 - w]!;
    const refused = answers[1 - w]!.json.error;
    expect(refused.code).toBe('CONFLICT');
    // HQ refused its hold while the winner's was under way, or (had the winner already pushed) its look-up found the refund.
    expect(['refund_in_progress', 'already_refunded']).toContain(refused.details.reason);
    expect(refused.message).toMatch(/given back/);

    for (const x of tills) await x.t.syncNow();
    expect(await hq.sql`select seq, reason from events where terminal_id in ('t-sh-01-2', 't-gz-01-1') and status = 'quarantined'`).toEqual([]);
    expect((await hq.sql`select terminal_id from top_up_refunds where top_up_id = ${topUp.id}`).map((r) => r.terminal_id)).toEqual([winner.t.terminalId]);
    expect(await posted(cardPrincipalAccountId('c-0001'))).toBe(principalBefore - answers[w]!.json.topUpRefund.principalMinor);
    // Cash left one drawer only; the refused till's shift and outbox know of no give-back.
    expect(await drawer(loser.t.storeId)).toBe(drawersBefore[1 - w]);
    expect(await drawer(winner.t.storeId)).toBe(drawersBefore[w]! - answers[w]!.json.topUpRefund.principalMinor);
    expect((await loser.call('GET', '/api/shift/x')).json.totals.topUpRefunds).toEqual({});
    expect((await winner.call('GET', '/api/shift/x')).json.totals.topUpRefunds).toEqual({ cash: answers[w]!.json.topUpRefund.principalMinor });
    expect(outboxTopUpRefunds(loser.dir, topUp.id)).toBe(0);
    expect(outboxTopUpRefunds(winner.dir, topUp.id)).toBe(1);
  });

  it('a give-back under way at another till refuses this one; once its hold is voided, this till gives the top-up back', async () => {
    // Another till of the chain, speaking gRPC as any till does, starts a give-back and abandons it.
    await hq.sql`insert into terminals (id, store_id, name) values ('t-sh-01-9', 'store-sh-01', 'test till'), ('t-gz-01-2', 'store-gz-01', 'test till')`;
    const client = createTestSyncClient(hq.grpcAddress);
    try {
      const s = new Scenario(hq.sql, client);
      const other = await s.enroll('t-sh-01-9', 'store-sh-01', await hq.enrollmentCode('t-sh-01-9'));
      const { t: guangzhou, dir } = await terminal('t-gz-01-2');
      const call = api(guangzhou);
      const topUp = (await call('POST', '/api/top-ups', { cardNo: DIAMOND_CARD, principalMinor: 8_000, tender: 'cash' })).json;
      await guangzhou.syncNow();

      const held = await s.authorize(other, 'c-0001', 8_000, uuidv7(), { part: 'principal', topUpId: topUp.id });
      const refused = await call('POST', `/api/top-ups/${topUp.id}/refund`, {});
      expect([refused.status, refused.json.error.code, refused.json.error.details.reason]).toEqual([409, 'CONFLICT', 'refund_in_progress']);
      expect(outboxTopUpRefunds(dir, topUp.id)).toBe(0);
      expect(await hq.sql`select state from holds where top_up_id = ${topUp.id}`).toEqual([{ state: 'pending' }]);

      await client.call('Void', { holdId: held.holdId, transfers: held.holds.map((h) => transferToWire({ ...h, id: uuidv7(), kind: 'void_pending', pendingId: h.id })) }, other.credential);
      const given = await call('POST', `/api/top-ups/${topUp.id}/refund`, {});
      expect([given.status, given.json.topUpRefund?.topUpId]).toEqual([201, topUp.id]);
      await guangzhou.syncNow();
      expect(await hq.sql`select seq, reason from events where terminal_id = 't-gz-01-2' and status = 'quarantined'`).toEqual([]);
      expect(await hq.sql`select terminal_id from top_up_refunds where top_up_id = ${topUp.id}`).toEqual([{ terminal_id: 't-gz-01-2' }]);
      // The abandoned claim's refusal is a CallError too when a till asks HQ directly.
      const again = await s.authorize(other, 'c-0001', 1_000, uuidv7(), { part: 'principal', topUpId: topUp.id }).then(() => 'held', (e: CallError) => e.onecardCode);
      expect(again).toBe('CONFLICT');
    } finally {
      client.close();
    }
  });

  it('a give-back whose Authorize answer was lost keeps the top-up claimed until the till, back in touch, asks again for the same top-up and lets the hold go', async () => {
    await hq.sql`insert into terminals (id, store_id, name) values ('t-hz-01-2', 'store-hz-01', 'test till')`;
    let loseNextAuthorize = false;
    const proxy = await SyncProxy.start(hq.grpcAddress, {
      decide: (method) => {
        if (method !== 'Authorize' || !loseNextAuthorize) return { fault: 'pass', delayMs: 0 };
        loseNextAuthorize = false;
        return { fault: 'lose_response', delayMs: 0 };
      },
    });
    try {
      const { t: till } = await terminal('t-hz-01-2', { hqAddress: proxy.address });
      const call = api(till);
      const topUp = (await call('POST', '/api/top-ups', { cardNo: DIAMOND_CARD, principalMinor: 5_000, tender: 'cash' })).json;
      await till.syncNow();

      // HQ made the hold and claimed the top-up; the till never heard.
      loseNextAuthorize = true;
      const lost = await call('POST', `/api/top-ups/${topUp.id}/refund`, {});
      expect([lost.status, lost.json.error.code]).toEqual([503, 'HQ_OFFLINE']);
      expect(await hq.sql`select state from holds where top_up_id = ${topUp.id}`).toEqual([{ state: 'pending' }]);

      // Back in touch: the till asks again with the same hold id and top-up, gets HQ's hold and releases it.
      await till.syncNow();
      expect(await hq.sql`select state from holds where top_up_id = ${topUp.id}`).toEqual([{ state: 'voided' }]);
      const given = await call('POST', `/api/top-ups/${topUp.id}/refund`, {});
      expect([given.status, given.json.topUpRefund?.principalMinor], JSON.stringify(given.json)).toEqual([201, 5_000]);
      await till.syncNow();
      expect(await hq.sql`select seq, reason from events where terminal_id = 't-hz-01-2' and status = 'quarantined'`).toEqual([]);
      expect(await hq.sql`select terminal_id from top_up_refunds where top_up_id = ${topUp.id}`).toEqual([{ terminal_id: 't-hz-01-2' }]);
      expect(proxy.counts.lose_response).toBe(1);
    } finally {
      await proxy.stop();
    }
  });
  it('a top-up made here that has not reached HQ yet is pushed first, then given back', async () => {
    await hq.sql`insert into terminals (id, store_id, name) values ('t-hz-01-3', 'store-hz-01', 'test till')`;
    let pushesDropped = false;
    const proxy = await SyncProxy.start(hq.grpcAddress, { decide: (method) => ({ fault: pushesDropped && method === 'PushEvents' ? 'drop_request' : 'pass', delayMs: 0 }) });
    try {
      const { t: till } = await terminal('t-hz-01-3', { hqAddress: proxy.address });
      const call = api(till);
      pushesDropped = true;
      const topUp = await call('POST', '/api/top-ups', { cardNo: DIAMOND_CARD, principalMinor: 3_000, tender: 'cash' });
      expect(topUp.status, JSON.stringify(topUp.json)).toBe(201);
      await till.syncNow().catch(() => {});
      expect(await hq.sql`select id from top_ups where id = ${topUp.json.id}`).toEqual([]);

      // HQ reachable again, the top-up still only here: the give-back pushes it, then HQ claims it.
      pushesDropped = false;
      const given = await call('POST', `/api/top-ups/${topUp.json.id}/refund`, {});
      expect([given.status, given.json.topUpRefund?.principalMinor], JSON.stringify(given.json)).toEqual([201, 3_000]);
      await till.syncNow();
      expect(await hq.sql`select terminal_id from top_up_refunds where top_up_id = ${topUp.json.id}`).toEqual([{ terminal_id: 't-hz-01-3' }]);
      expect(await hq.sql`select seq from events where terminal_id = 't-hz-01-3' and status = 'quarantined'`).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
