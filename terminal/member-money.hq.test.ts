import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId, storeCashAccountId, storeOfflineExposureAccountId, storeSalesAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from '../hq-server/index';
import { writeSetting } from '../hq-server/settings';
import { loadIdentity } from './identity';
import { openTerminalDb } from './db';
import { startTerminal, type RunningTerminal } from './index';
import { signInTill, tillCredentials } from './testing-staff';

/**
 * The member money model end to end: terminals (in this process, each with its SQLite file and
 * local API) against a real HQ (embedded PostgreSQL, gRPC over loopback). What HQ does with each
 * event is HQ's own code; these tests check that what the terminal sends is applied, not
 * quarantined, and that both sides agree afterwards.
 */

const MILK = '6907028100122'; // ¥59.90
const COLA = '6901028001014'; // ¥3.00
const DIAMOND_CARD = '8F3A21C4'; // c-0001 / m-0001
const GOLD_CARD = '5B7E0D92'; // c-0002 / m-0002
const SILVER_CARD = '8888000100000014'; // c-0003 / m-0003: principal 128.00, bonus 10.00; silver offline limit 500.00
const UNREACHABLE = '127.0.0.1:1';

describe('member money: terminal against a real HQ', () => {
  const dirs: string[] = [];
  let hq: RunningHq;
  const running: RunningTerminal[] = [];
  const hqLog: string[] = [];

  beforeAll(async () => {
    const hqDir = await mkdtemp(join(tmpdir(), 'onecard-mm-hq-'));
    dirs.push(hqDir);
    hq = await startHq({ dataDir: hqDir, httpPort: 0, grpcPort: 0, log: (m) => hqLog.push(m) });
    await seedChain(hq.sql, demoChain);
  });
  afterAll(async () => {
    if (process.env.ONECARD_SHOW_HQ_LOG) console.log(hqLog.join('\n'));
    for (const t of running) await t.stop();
    await hq?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const enrolled = new Map<string, { t: RunningTerminal; dir: string }>();
  /** A running terminal enrolled as `terminalId` (the same one again when asked twice), or one restarted on `dataDir`. */
  async function terminal(terminalId: string, dataDir?: string, hqAddress = hq.grpcAddress): Promise<{ t: RunningTerminal; dir: string }> {
    const known = enrolled.get(terminalId);
    if (!dataDir && known && running.includes(known.t)) return known;
    const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'onecard-mm-terminal-')));
    if (!dataDir) dirs.push(dir);
    const enrollmentCode = dataDir ? undefined : await createEnrollmentCode(hq.sql, terminalId);
    const t = await startTerminal({ dataDir: dir, hqAddress, enrollmentCode, syncIntervalMs: 600_000, log: () => {} });
    running.push(t);
    if (!dataDir) {
      // The store manager (operators from HQ's feed; the session outlives a restart): sells, cancels, and works the member desk.
      await t.syncNow();
      await signInTill(t.uiUrl, t.token, tillCredentials(demoChain, t.storeId).manager);
    }
    enrolled.set(terminalId, { t, dir });
    return { t, dir };
  }

  function api(t: RunningTerminal) {
    return async (method: string, path: string, body?: unknown) => {
      const res = await fetch(new URL(path, t.uiUrl), {
        method,
        headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as any };
    };
  }

  async function hqBalance(accountId: string) {
    const [row] = await hq.sql`select credits_posted - debits_posted as posted, debits_pending as held from accounts where id = ${accountId}`;
    return { posted: Number(row!.posted), held: Number(row!.held) };
  }

  async function quarantined(terminalId: string) {
    return hq.sql`select seq, reason from events where terminal_id = ${terminalId} and status = 'quarantined' order by seq`;
  }

  it('points as a tender, a gift and a top-up refund: HQ applies every event, and both sides agree', async () => {
    const { t } = await terminal('t-sh-01-1');
    const call = api(t);
    const start = { principal: await hqBalance(cardPrincipalAccountId('c-0001')), bonus: await hqBalance(cardBonusAccountId('c-0001')), points: await hqBalance(memberPointsAccountId('m-0001')) };

    // A sale paid by points (held at HQ), stored value (held) and cash.
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
    await call('POST', `/api/sales/${sale.id}/member`, { cardNo: DIAMOND_CARD });
    const points = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'points', points: 3_000 });
    expect([points.status, points.json.paidMinor]).toEqual([200, 3_000]);
    expect((await hqBalance(memberPointsAccountId('m-0001'))).held).toBe(3_000);
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 5_000 });
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 3_980 });
    const done = (await call('POST', `/api/sales/${sale.id}/complete`)).json;
    expect(done.pointsEarned).toBe(239); // 119.80 × 2 (diamond), rounded down
    await t.syncNow();
    expect(await quarantined('t-sh-01-1')).toEqual([]);
    let pointsNow = start.points.posted - 3_000 + 239;
    expect(await hqBalance(memberPointsAccountId('m-0001'))).toEqual({ posted: pointsNow, held: 0 });
    expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: start.principal.posted - 5_000, held: 0 });

    // A gift for points, held and captured.
    const gift = await call('POST', '/api/gifts/redeem', { cardNo: DIAMOND_CARD, giftSku: 'GIFT-UMBRELLA', quantity: 1, points: 1_000 });
    expect(gift.status).toBe(201);
    pointsNow -= 1_000;
    // A top-up, then its refund: principal back in cash, the bonus clawed back.
    const topUp = (await call('POST', '/api/top-ups', { cardNo: DIAMOND_CARD, principalMinor: 100_000, tender: 'cash' })).json;
    expect(topUp.bonusMinor).toBe(15_000);
    await t.syncNow();
    const topUpRefund = await call('POST', `/api/top-ups/${topUp.id}/refund`);
    expect([topUpRefund.status, topUpRefund.json.topUpRefund?.principalMinor, topUpRefund.json.topUpRefund?.bonusClawedBackMinor]).toEqual([201, 100_000, 15_000]);
    // Until the refund reaches HQ, both parts stay held there: no other store can spend them.
    const principalBefore = start.principal.posted - 5_000 + 100_000;
    expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: principalBefore, held: 100_000 });
    expect(await hqBalance(cardBonusAccountId('c-0001'))).toEqual({ posted: start.bonus.posted + 15_000, held: 15_000 });
    const cashBefore = await hqBalance(storeCashAccountId('store-sh-01'));
    const salesBefore = await hqBalance(storeSalesAccountId('store-sh-01'));
    await t.syncNow();
    expect(await quarantined('t-sh-01-1')).toEqual([]);
    // The refund captured the holds (never released and taken again) and moved the money on.
    const refundId = topUpRefund.json.topUpRefund.id as string;
    expect((await hq.sql`select state from holds where sale_id = ${refundId} order by part`).map((h) => h.state)).toEqual(['captured', 'captured']);
    expect(await hq.sql`select seq from events where terminal_id = 't-sh-01-1' and kind = 'holds_released' and body::text like ${'%' + refundId + '%'}`).toEqual([]);
    // (The drawer's account is debit-normal: the ¥1,000.00 paid out is a credit to it.)
    expect((await hqBalance(storeCashAccountId('store-sh-01'))).posted).toBe(cashBefore.posted + 100_000);
    expect(await hqBalance(storeSalesAccountId('store-sh-01'))).toEqual(salesBefore);
    expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: start.principal.posted - 5_000, held: 0 });
    expect(await hqBalance(cardBonusAccountId('c-0001'))).toEqual({ posted: start.bonus.posted, held: 0 });
    expect(await hqBalance(memberPointsAccountId('m-0001'))).toEqual({ posted: pointsNow, held: 0 });

    // The terminal's view, from HQ's figures after the pull, is the same.
    const card = (await call('GET', `/api/cards/${DIAMOND_CARD}`)).json;
    expect([card.principalMinor, card.bonusMinor, card.points]).toEqual([start.principal.posted - 5_000, start.bonus.posted, pointsNow]);
  });

  it('the same card spent at two stores, one of them cut off from HQ: both succeed within the offline limit and HQ books the overdraft as that store’s exposure', async () => {
    const online = await terminal('t-sh-01-2');
    const cutOff = await terminal('t-hz-01-1');
    // Hangzhou loses HQ: restarted against an address nothing answers.
    await cutOff.t.stop();
    running.splice(running.indexOf(cutOff.t), 1);
    const offline = await terminal('t-hz-01-1', cutOff.dir, UNREACHABLE);
    const a = api(online.t);
    const b = api(offline.t);
    expect((await (await fetch(new URL('/api/health', offline.t.uiUrl))).json()).hq).toBe('offline');

    // Shanghai spends 100.00 of the card's 138.00 online.
    const s1 = (await a('POST', '/api/sales')).json;
    await a('POST', `/api/sales/${s1.id}/items`, { barcode: MILK });
    await a('POST', `/api/sales/${s1.id}/items`, { barcode: MILK });
    await a('POST', `/api/sales/${s1.id}/member`, { cardNo: SILVER_CARD });
    expect((await a('POST', `/api/sales/${s1.id}/tenders`, { kind: 'stored_value', amountMinor: 10_000 })).status).toBe(200);
    await a('POST', `/api/sales/${s1.id}/tenders`, { kind: 'cash', amountMinor: 1_980 });
    await a('POST', `/api/sales/${s1.id}/complete`);
    await online.t.syncNow();

    // Hangzhou, still seeing 138.00, takes 100.00 offline; over the silver daily limit it refuses.
    const s2 = (await b('POST', '/api/sales')).json;
    for (let i = 0; i < 9; i += 1) await b('POST', `/api/sales/${s2.id}/items`, { barcode: MILK });
    await b('POST', `/api/sales/${s2.id}/member`, { cardNo: SILVER_CARD });
    const over = await b('POST', `/api/sales/${s2.id}/tenders`, { kind: 'stored_value', amountMinor: 50_001 });
    expect([over.status, over.json.error.code]).toEqual([422, 'INSUFFICIENT_BALANCE']);
    const ok = await b('POST', `/api/sales/${s2.id}/tenders`, { kind: 'stored_value', amountMinor: 10_000 });
    expect(ok.status).toBe(200);
    await b('POST', `/api/sales/${s2.id}/tenders`, { kind: 'cash', amountMinor: 9 * 5_990 - 10_000 });
    expect((await b('POST', `/api/sales/${s2.id}/complete`)).json.status).toBe('completed');

    // HQ is back for Hangzhou.
    await offline.t.stop();
    running.splice(running.indexOf(offline.t), 1);
    const back = await terminal('t-hz-01-1', cutOff.dir);
    await back.t.syncNow();
    expect(await quarantined('t-hz-01-1')).toEqual([]);
    const principal = await hqBalance(cardPrincipalAccountId('c-0003'));
    const bonus = await hqBalance(cardBonusAccountId('c-0003'));
    expect(principal.posted).toBeGreaterThanOrEqual(0);
    expect(bonus.posted).toBeGreaterThanOrEqual(0);
    // Both took 100.00 of principal (principal first). The card's principal was 128.00: Shanghai's
    // hold left 28.00, Hangzhou's offline debit takes those and HQ books the 72.00 short as
    // Hangzhou's exposure. The bonus nobody spent stays.
    expect([principal.posted, bonus.posted]).toEqual([0, 1_000]);
    const exposure = await hqBalance(storeOfflineExposureAccountId('store-hz-01'));
    expect(Math.abs(exposure.posted)).toBe(7_200);
  });

  it('a refund gives back its share of points and stored value and takes back points earned; HQ applies it', async () => {
    const { t, dir } = await terminal('t-gz-01-1');
    // Enrollment brought the store's time zone.
    const [store] = await hq.sql`select time_zone from org_nodes where id = 'store-gz-01'`;
    const db = openTerminalDb(join(dir, 'terminal.sqlite'));
    expect(loadIdentity(db)!.timeZone).toBe(store!.time_zone);
    db.close();
    const call = api(t);
    const start = { principal: await hqBalance(cardPrincipalAccountId('c-0002')), points: await hqBalance(memberPointsAccountId('m-0002')) };
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
    await call('POST', `/api/sales/${sale.id}/member`, { cardNo: GOLD_CARD });
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'points', points: 3_000 });
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 5_000 });
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 3_980 });
    const earned = (await call('POST', `/api/sales/${sale.id}/complete`)).json.pointsEarned as number;
    await t.syncNow();
    const refund = await call('POST', '/api/refunds', { saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect(refund.status).toBe(201);
    expect(refund.json.refund.tenders.map((x: any) => [x.kind, x.amountMinor, x.points])).toEqual([['points', 1_500, 1_500], ['stored_value', 2_500, 0], ['cash', 1_990, 0]]);
    await t.syncNow();
    expect(await quarantined('t-gz-01-1')).toEqual([]);
    const reversed = refund.json.refund.pointsReversed as number;
    expect(await hqBalance(memberPointsAccountId('m-0002'))).toEqual({ posted: start.points.posted - 3_000 + earned + 1_500 - reversed, held: 0 });
    expect(await hqBalance(cardPrincipalAccountId('c-0002'))).toEqual({ posted: start.principal.posted - 2_500, held: 0 });
  });

  it('the member desk goes through HQ and the cache follows at once: register with a PIN, freeze, unfreeze, issue a second card, report lost', async () => {
    const { t } = await terminal('t-sh-01-1');
    const call = api(t);
    const registered = await call('POST', '/api/members', { name: '赵敏', phone: '13700000077', birthday: '1991-05-06', card: { cardNo: 'ZM-0001', medium: 'barcode', pin: '8642' } });
    expect(registered.status).toBe(201);
    const memberId = registered.json.member.id as string;
    expect(registered.json.cards).toMatchObject([{ cardNo: 'ZM-0001', status: 'active', hasPin: true, principalMinor: 0 }]);
    // Known here at once, before any pull.
    expect((await call('GET', '/api/cards/ZM-0001')).json.member.name).toBe('赵敏');

    // Money on the card, then a payment above the PIN threshold (1,000.00 by default) asks for it.
    await call('POST', '/api/top-ups', { cardNo: 'ZM-0001', principalMinor: 150_000, tender: 'cash' });
    await t.syncNow();
    const sale = (await call('POST', '/api/sales')).json;
    for (let i = 0; i < 17; i += 1) await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK }); // 1,018.30
    await call('POST', `/api/sales/${sale.id}/member`, { cardNo: 'ZM-0001' });
    const noPin = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 101_830 });
    expect([noPin.status, noPin.json.error.code]).toEqual([422, 'PIN_REQUIRED']);
    const wrong = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 101_830, pin: '1111' });
    expect(wrong.json.error.code).toBe('WRONG_PIN');
    expect((await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 101_830, pin: '8642' })).status).toBe(200);
    await call('POST', `/api/sales/${sale.id}/cancel`);

    // Freeze: refused at the till at once; unfreezing an active card is HQ's refusal, passed through.
    expect((await call('POST', '/api/cards/ZM-0001/freeze', { reason: 'member asked' })).json.cards[0].status).toBe('frozen');
    const s2 = (await call('POST', '/api/sales')).json;
    expect((await call('POST', `/api/sales/${s2.id}/member`, { cardNo: 'ZM-0001' })).json.error.code).toBe('CARD_FROZEN');
    expect((await call('POST', '/api/cards/ZM-0001/unfreeze', {})).json.cards[0].status).toBe('active');
    const again = await call('POST', '/api/cards/ZM-0001/unfreeze', {});
    expect([again.status, again.json.error.code]).toEqual([409, 'CARD_STATUS_CHANGE_NOT_ALLOWED']);

    // A second card, and part of the balance moved to it.
    const issued = await call('POST', `/api/members/${memberId}/cards`, { cardNo: 'ZM-0003', medium: 'virtual' });
    expect(issued.status).toBe(201);
    expect(issued.json.cards.map((c: any) => c.cardNo).sort()).toEqual(['ZM-0001', 'ZM-0003']);
    const lost = await call('POST', '/api/cards/ZM-0001/report-lost', {});
    expect(lost.json.cards.find((c: any) => c.cardNo === 'ZM-0001').status).toBe('lost');
    // The next pull brings the same again and changes nothing.
    await t.syncNow();
    expect((await call('GET', `/api/members/${memberId}`)).json.cards.map((c: any) => [c.cardNo, c.status, c.principalMinor + c.bonusMinor])).toEqual(
      lost.json.cards.map((c: any) => [c.cardNo, c.status, c.principalMinor + c.bonusMinor]),
    );
    expect(await quarantined('t-sh-01-1')).toEqual([]);
  });

  it('replacing a lost card moves its balance to the new card, and a transfer moves part of it on, here and at HQ', async () => {
    const { t } = await terminal('t-sh-01-1');
    const call = api(t);
    const registered = await call('POST', '/api/members', { name: '孙丽', phone: '13700000088', card: { cardNo: 'SL-0001', medium: 'mifare' } });
    await call('POST', '/api/top-ups', { cardNo: 'SL-0001', principalMinor: 50_000, tender: 'cash' });
    await t.syncNow();
    await call('POST', '/api/cards/SL-0001/report-lost', {});
    const replaced = await call('POST', '/api/cards/SL-0001/replace', { newCard: { cardNo: 'SL-0002', medium: 'mifare' } });
    expect(replaced.status).toBe(200);
    const byNo = (no: string) => replaced.json.cards.find((c: any) => c.cardNo === no);
    expect(byNo('SL-0001')).toMatchObject({ status: 'replaced', principalMinor: 0, bonusMinor: 0 });
    expect(byNo('SL-0002')).toMatchObject({ status: 'active', principalMinor: 50_000, bonusMinor: 5_000 });
    expect(await hqBalance(cardPrincipalAccountId(byNo('SL-0002').id))).toEqual({ posted: 50_000, held: 0 });
    expect(registered.json.member.id).toBe(replaced.json.member.id);
    await call('POST', `/api/members/${registered.json.member.id}/cards`, { cardNo: 'SL-0003', medium: 'virtual' });
    const moved = await call('POST', '/api/cards/SL-0002/transfer-balance', { toCardNo: 'SL-0003', amountMinor: 20_000 });
    expect(moved.status).toBe(200);
    const total = (no: string) => {
      const c = moved.json.cards.find((x: any) => x.cardNo === no);
      return c.principalMinor + c.bonusMinor;
    };
    expect([total('SL-0002'), total('SL-0003')]).toEqual([35_000, 20_000]);
  });

  it("two stores spend a member's last 100.00 at the same moment online: exactly one succeeds", async () => {
    const sh = await terminal('t-sh-01-2');
    const hz = await terminal('t-hz-01-1');
    const a = api(sh.t);
    const b = api(hz.t);
    expect((await a('POST', '/api/members', { name: '周强', phone: '13700000099', card: { cardNo: 'LAST-100', medium: 'barcode' } })).status).toBe(201);
    await a('POST', '/api/top-ups', { cardNo: 'LAST-100', principalMinor: 10_000, tender: 'cash' });
    await sh.t.syncNow();
    await hz.t.syncNow();
    expect((await b('GET', '/api/cards/LAST-100')).json.principalMinor).toBe(10_000);
    const sales = await Promise.all(
      [a, b].map(async (call) => {
        const sale = (await call('POST', '/api/sales')).json;
        await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
        await call('POST', `/api/sales/${sale.id}/items`, { barcode: MILK });
        await call('POST', `/api/sales/${sale.id}/member`, { cardNo: 'LAST-100' });
        return sale.id as string;
      }),
    );
    const [ra, rb] = await Promise.all([a('POST', `/api/sales/${sales[0]}/tenders`, { kind: 'stored_value', amountMinor: 10_000 }), b('POST', `/api/sales/${sales[1]}/tenders`, { kind: 'stored_value', amountMinor: 10_000 })]);
    const outcomes = [ra, rb].map((r) => (r.status === 200 ? 'paid' : r.json.error.code)).sort();
    expect(outcomes).toEqual(['INSUFFICIENT_BALANCE', 'paid']);
    const cardId = ((await a('GET', '/api/cards/LAST-100')).json.cardId) as string;
    expect(await hqBalance(cardPrincipalAccountId(cardId))).toEqual({ posted: 10_000, held: 10_000 });
  });

  it('a setting changed at HQ reaches the terminal with the next pull and applies to the next sale', async () => {
    const { t } = await terminal('t-gz-01-1');
    const call = api(t);
    await hq.sql.begin((tx) => writeSetting(tx, 'pointsTender', { pointsPerUnit: 50, unitValueMinor: 100, maxShareOfSale: '1' }, { operatorId: null, nodeId: null }));
    await hq.sql.begin((tx) => writeSetting(tx, 'cardPinRequiredAboveMinor', null, { operatorId: null, nodeId: null }));
    await t.syncNow();
    const settings = (await call('GET', '/api/settings')).json;
    expect(settings.pointsTender).toEqual({ pointsPerUnit: 50, unitValueMinor: 100, maxShareOfSale: '1' });
    expect(settings.cardPinRequiredAboveMinor).toBeNull();
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await call('POST', `/api/sales/${sale.id}/member`, { cardNo: DIAMOND_CARD });
    // 50 points are now worth 1.00, and points may pay the whole sale.
    const paid = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'points', points: 175 });
    expect([paid.status, paid.json.tenders[0]?.points, paid.json.paidMinor]).toEqual([200, 150, 300]);
    expect((await call('POST', `/api/sales/${sale.id}/complete`)).json.status).toBe('completed');
    await t.syncNow();
    expect(await quarantined('t-gz-01-1')).toEqual([]);
  });

  it('a top-up refund above the refund limit: a cashier alone is refused and nothing changes; with the manager’s PIN it goes ahead as an approval', async () => {
    const { t } = await terminal('t-sh-01-1');
    const call = api(t);
    const staff = tillCredentials(demoChain, t.storeId);
    const topUp = (await call('POST', '/api/top-ups', { cardNo: DIAMOND_CARD, principalMinor: 60_000, tender: 'cash' })).json;
    await t.syncNow();
    await signInTill(t.uiUrl, t.token, staff.cashier);
    try {
      const principal = await hqBalance(cardPrincipalAccountId('c-0001'));
      // ¥600.00 back is above the ¥500.00 limit.
      expect(await call('POST', `/api/top-ups/${topUp.id}/refund`, {})).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN', details: { permission: 'refund.above_limit' } } } });
      expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual(principal);
      const refunded = await call('POST', `/api/top-ups/${topUp.id}/refund`, { supervisor: staff.manager });
      expect([refunded.status, refunded.json.topUpRefund?.principalMinor]).toEqual([201, 60_000]);
      expect(refunded.json.approval).toMatchObject({ permission: 'refund.above_limit', method: 'pin' });
      await t.syncNow();
      expect(await quarantined('t-sh-01-1')).toEqual([]);
      expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: principal.posted - 60_000, held: 0 });
    } finally {
      await signInTill(t.uiUrl, t.token, staff.manager);
    }
  });
});
