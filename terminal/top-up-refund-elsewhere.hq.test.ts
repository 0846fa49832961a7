import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, storeCashAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { startTestHq } from '../hq-server/testing/hq';
import { startTerminal, type RunningTerminal } from './index';
import { jsonCaller } from './testing-http';
import { signInTill, tillCredentials } from './testing-staff';

/**
 * A member asks at the Hangzhou desk for a top-up made yesterday in Shanghai: the desk lists the
 * member's top-ups from HQ (ListMemberTopUps) with their stores' names, gives one back through the
 * same top-up refund route (GetTopUp, holds at HQ, a manager above the refund limit), and refuses
 * one already given back, here or at the till that made it. Offline, only the till's own are
 * listed. Two real terminals (SQLite, local API) against a real HQ (embedded PostgreSQL, gRPC).
 */

const COLA = '6901028001014'; // ¥3.00
const GOLD_CARD = '5B7E0D92'; // c-0002 / m-0002
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
  const dirs: string[] = [];
  const running: RunningTerminal[] = [];

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
  });
  afterAll(async () => {
    for (const t of running) await t.stop();
    await hq?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function terminal(terminalId: string, o: { dir?: string; hqAddress?: string } = {}): Promise<{ t: RunningTerminal; dir: string }> {
    const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'onecard-top-up-elsewhere-')));
    if (!o.dir) dirs.push(dir);
    const enrollmentCode = o.dir ? undefined : await hq.enrollmentCode(terminalId);
    const t = await startTerminal({ dataDir: dir, hqAddress: o.hqAddress ?? hq.grpcAddress, enrollmentCode, syncIntervalMs: 600_000, log: () => {} });
    running.push(t);
    if (!o.dir) {
      await t.syncNow();
      await signInTill(t.uiUrl, t.token, tillCredentials(demoChain, t.storeId).cashier);
    }
    return { t, dir };
  }

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
    await hangzhou.stop();
    running.splice(running.indexOf(hangzhou), 1);
    const { t: cutOff } = await terminal('t-hz-01-1', { dir: hangzhouDir, hqAddress: UNREACHABLE });
    await cutOff.syncNow().catch(() => {});
    const c = api(cutOff);
    const offline = (await c('GET', '/api/members/m-0002/top-ups')).json as { source: string; topUps: TopUpEntry[] };
    expect(offline.source).toBe('this_terminal');
    expect(offline.topUps.map((x) => x.id)).toEqual([own.id]);
    const refused = await c('POST', `/api/top-ups/${small.id}/refund`, {});
    expect([refused.status, refused.json.error.code]).toEqual([503, 'HQ_OFFLINE']);
  });
});
