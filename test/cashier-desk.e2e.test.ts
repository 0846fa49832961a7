import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, openCashierApp } from './support/cashier-browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceFactory } from '../drivers';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { startTestHq } from '../hq-server/testing/hq';
import { startTerminal, type RunningTerminal } from '../terminal';
import { signInTillWhenFed, tillCredentials } from '../terminal/testing-staff';

/**
 * The member desk in Chromium against a real terminal (simulated lane speaking the real device
 * bytes) and a real HQ, with a second store's till selling to the same member: the desk lists
 * that purchase, and a card is replaced by tapping a blank card — the balance moves, the old card
 * is refused, the new one pays, and the slip decoded from the printer's ESC/POS bytes names both.
 * Purchases and top-ups name their store; a top-up made in Hangzhou is given back here with the
 * manager's PIN above the refund limit, and one already given back is refused.
 */

const COLA = '6901028001014'; // ¥3.00
const ZHANG_WEI = '8F3A21C4'; // 张伟's MIFARE card
const BLANK = '04D1E5C0'; // a blank MIFARE card: UID only, no identity block
const chainKey = new TextEncoder().encode('test-chain-key');
const SH = tillCredentials(demoChain, 'store-sh-01');
const HZ = tillCredentials(demoChain, 'store-hz-01');

describe.skipIf(!existsSync(CHROMIUM))('cashier app: member desk history and card replacement', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let terminal: RunningTerminal;
  let hangzhou: RunningTerminal;
  let lane: VirtualDevices;
  let browser: Browser;
  let page: Page;
  const dirs: string[] = [];
  let hangzhouSaleId = '';

  const call = async (till: RunningTerminal, method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, till.uiUrl), { method, headers: { authorization: `Bearer ${till.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    const dir = await mkdtemp(join(tmpdir(), 'onecard-desk-'));
    const hzDir = await mkdtemp(join(tmpdir(), 'onecard-desk-hz-'));
    dirs.push(dir, hzDir);
    lane = new VirtualDevices(chainKey, { paymentResponse_ms: 5000 });
    terminal = await startTerminal({
      dataDir: dir,
      hqAddress: hq.grpcAddress,
      enrollmentCode: await hq.enrollmentCode('t-sh-01-1'),
      syncIntervalMs: 250,
      devices: { config: lane.config, factory: createDeviceFactory({ simulators: lane.transports, chainKey, reopen: { firstDelay_ms: 20, maxDelay_ms: 100 } }), panel: lane, chainKey },
      log: () => {},
    });
    // Another store's till, keyboard only.
    hangzhou = await startTerminal({ dataDir: hzDir, hqAddress: hq.grpcAddress, enrollmentCode: await hq.enrollmentCode('t-hz-01-1'), syncIntervalMs: 250, log: () => {} });
    // The store manager works the desk (member.write); operators come from HQ's feed.
    await signInTillWhenFed(terminal.uiUrl, terminal.token, SH.manager);
    await signInTillWhenFed(hangzhou.uiUrl, hangzhou.token, HZ.cashier);
    ({ browser, page } = await openCashierApp(terminal.appUrl));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await terminal?.stop();
    await hangzhou?.stop();
    await hq?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const text = (sel: string) => page.textContent(sel).then((s) => s ?? '');
  const receipts = () => lane.printer.receipts();
  const minor = (s: string) => Number(s.replace('¥', '').replace('.', ''));
  async function enter(code: string) {
    await page.fill('#code-input', code);
    await page.press('#code-input', 'Enter');
  }
  async function openDeskOn(cardNo: string) {
    await page.keyboard.press('Shift+F2');
    await page.fill('#desk-card', cardNo);
    await page.keyboard.press('Enter');
    // The desk may still show the card before: wait for this card's own principal.
    const { principalMinor } = await call(terminal, 'GET', `/api/lane/members/${cardNo}`);
    await expect.poll(async () => minor(await text('#desk-principal')), { timeout: 10_000 }).toBe(principalMinor);
  }

  it('the desk lists the member’s recent purchases, with one made at the Hangzhou store', async () => {
    const sale = await call(hangzhou, 'POST', '/api/sales');
    await call(hangzhou, 'POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await call(hangzhou, 'POST', `/api/sales/${sale.id}/member`, { cardNo: ZHANG_WEI });
    await call(hangzhou, 'POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 300 });
    await call(hangzhou, 'POST', `/api/sales/${sale.id}/complete`);
    hangzhouSaleId = sale.id;
    // Once Hangzhou's till has pushed it, HQ lists it for the member.
    await expect.poll(async () => (await call(terminal, 'GET', `/api/sales?cardNo=${ZHANG_WEI}`)).sales.some((s: { id: string }) => s.id === sale.id), { timeout: 20_000 }).toBe(true);

    await openDeskOn(ZHANG_WEI);
    const row = `#desk-history-list li[data-sale="${hangzhouSaleId}"]`;
    await page.waitForSelector(row, { timeout: 10_000 });
    expect(await page.getAttribute(row, 'data-store')).toBe('store-hz-01');
    expect(await page.getAttribute(row, 'data-here')).toBe('false');
    const shown = await text(row);
    expect(shown).toContain('其他门店 杭州西湖店');
    expect(shown).not.toContain('store-hz-01');
    expect(shown).toContain('¥3.00');
    // The member's cards, the one shown picked.
    expect(await page.getAttribute(`#desk-cards button[data-card="${ZHANG_WEI}"]`, 'data-status')).toBe('active');
    await page.keyboard.press('Escape');
  });

  it('a card is replaced by tapping a blank card: the balance moves, the slip names both cards, the old card is refused and the new one pays', async () => {
    await openDeskOn(ZHANG_WEI);
    const principal = minor(await text('#desk-principal'));
    const bonus = minor(await text('#desk-bonus-balance'));
    expect(principal + bonus).toBeGreaterThan(300);
    const printedBefore = receipts().length;

    await page.click('#desk-replace');
    await page.waitForSelector('#replace-new');
    lane.presentClonedCard(BLANK);
    await expect.poll(() => page.inputValue('#replace-new'), { timeout: 10_000 }).toBe(BLANK);
    await page.fill('#replace-reason', '卡片损坏');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#replace-done', { timeout: 20_000 });
    expect(await text('#replace-done')).toContain(`${ZHANG_WEI} → ${BLANK}`);
    expect(await text('#message')).toContain('已换卡');

    // The replace slip, decoded from the printer's bytes, names the old and the new card.
    const isSlip = (lines: string[]) => lines.includes('会员卡换卡');
    await expect.poll(() => receipts().slice(printedBefore).some((r) => isSlip(r.lines)), { timeout: 15_000 }).toBe(true);
    const slip = receipts().slice(printedBefore).find((r) => isSlip(r.lines))!.lines.map((l) => l.replace(/\s+$/, ''));
    expect(slip).toContain(`原卡: ****${ZHANG_WEI.slice(-4)}`);
    expect(slip).toContain(`新卡: ****${BLANK.slice(-4)}`);
    expect(slip).toContain('原因: 卡片损坏');
    expect(slip.some((l) => new RegExp(`^新卡本金余额 +￥${(principal / 100).toFixed(2).replace('.', '\\.')}$`).test(l))).toBe(true);
    await page.keyboard.press('Escape');

    // At the desk the new card holds the whole balance and the member's history came along.
    await openDeskOn(BLANK);
    expect(minor(await text('#desk-principal'))).toBe(principal);
    expect(minor(await text('#desk-bonus-balance'))).toBe(bonus);
    await page.waitForSelector(`#desk-history-list li[data-sale="${hangzhouSaleId}"]`, { timeout: 10_000 });
    expect(await page.getAttribute(`#desk-cards button[data-card="${ZHANG_WEI}"]`, 'data-status')).toBe('replaced');
    await page.keyboard.press('Escape');

    // The new card, now written, stays on the reader's desk; the old card is tapped at a sale: refused.
    const newCard = lane.cardReader.cardInField!;
    lane.removeCard();
    await enter(COLA);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥3.00');
    // The reader polls every 300 ms: a card must be seen gone before the next one counts.
    await new Promise((resolve) => setTimeout(resolve, 700));
    lane.presentCard(ZHANG_WEI, 1001);
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('CARD_INACTIVE');
    lane.removeCard();
    await new Promise((resolve) => setTimeout(resolve, 700));

    // The new card passes the anti-clone check and pays with the moved stored value.
    lane.cardReader.present(newCard);
    await expect.poll(() => text('#member-name'), { timeout: 10_000 }).toBe('张伟');
    await expect.poll(() => page.evaluate(() => (window as any).onecard.state.sale?.member?.cardNo ?? null), { timeout: 10_000 }).toBe(BLANK);
    await page.keyboard.press('F6');
    await page.waitForSelector('#tender-amount');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 15_000 }).toBe('completed');
    const sale = await page.evaluate(() => (window as any).onecard.state.lastSale);
    expect(sale.tenders).toMatchObject([{ kind: 'stored_value', amountMinor: 300 }]);
    const after = await call(terminal, 'GET', `/api/lane/members/${BLANK}`);
    expect(after.principalMinor + after.bonusMinor).toBe(principal + bonus - 300);
    lane.removeCard();
  });

  it('stored value moves to another card of the member at the desk, and the transfer slip names both cards', async () => {
    const second = '8888000199990001';
    await call(terminal, 'POST', '/api/members/m-0001/cards', { cardNo: second, medium: 'barcode' });
    await openDeskOn(BLANK);
    const from = minor(await text('#desk-principal')) + minor(await text('#desk-bonus-balance'));
    const printedBefore = receipts().length;
    await page.click('#desk-transfer');
    await page.waitForSelector('#transfer-to');
    expect(await page.inputValue('#transfer-to')).toBe(second);
    await page.fill('#transfer-amount', '10');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 15_000 }).toContain('余额已转移');
    const to = await call(terminal, 'GET', `/api/lane/members/${second}`);
    expect(to.principalMinor + to.bonusMinor).toBe(1000);
    const left = await call(terminal, 'GET', `/api/lane/members/${BLANK}`);
    expect(left.principalMinor + left.bonusMinor).toBe(from - 1000);
    const isSlip = (lines: string[]) => lines.includes('余额转移');
    await expect.poll(() => receipts().slice(printedBefore).some((r) => isSlip(r.lines)), { timeout: 15_000 }).toBe(true);
    const slip = receipts().slice(printedBefore).find((r) => isSlip(r.lines))!.lines.map((l) => l.replace(/\s+$/, ''));
    expect(slip).toContain(`转出卡: ****${BLANK.slice(-4)}`);
    expect(slip).toContain(`转入卡: ****${second.slice(-4)}`);
    expect(slip.some((l) => /^转移金额 +￥10\.00$/.test(l))).toBe(true);
  });

  it('a top-up just made at the desk is given back with its button, and the top-up refund slip prints', async () => {
    const second = '8888000199990001';
    await openDeskOn(second);
    const before = minor(await text('#desk-principal'));
    await page.fill('#desk-amount', '100');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 15_000 }).toContain('充值成功');
    await expect.poll(async () => minor(await text('#desk-principal')), { timeout: 10_000 }).toBe(before + 10_000);
    const topUpId = (await page.getAttribute('#desk-topup-refund', 'data-top-up'))!;
    await terminal.syncNow(); // HQ holds what goes back: it must know the top-up first
    const printedBefore = receipts().length;
    await page.click('#desk-topup-refund');
    await expect.poll(() => text('#message'), { timeout: 15_000 }).toContain('充值已退');
    await expect.poll(async () => minor(await text('#desk-principal')), { timeout: 10_000 }).toBe(before);
    expect(await page.isVisible('#desk-topup-refund')).toBe(false);
    const isSlip = (lines: string[]) => lines.includes('充值退款');
    await expect.poll(() => receipts().slice(printedBefore).some((r) => isSlip(r.lines)), { timeout: 15_000 }).toBe(true);
    expect(receipts().slice(printedBefore).find((r) => isSlip(r.lines))!.lines).toContain(`原充值单: ${topUpId}`);
    await page.keyboard.press('Escape');
  });

  it('a top-up made at the Hangzhou store is listed with its store name and given back here with the manager PIN above the limit; one already given back is refused', async () => {
    // The cashier works the desk now: above the refund limit the store manager's PIN is needed.
    const signIn = async (credential: { login: string; pin: string }) => {
      await fetch(new URL('/api/session', terminal.uiUrl), { method: 'DELETE', headers: { authorization: `Bearer ${terminal.token}` } });
      await call(terminal, 'POST', '/api/session', credential);
      await page.reload();
      await page.waitForSelector('#hq-status[data-state="online"]', { timeout: 15_000 });
    };
    await signIn(SH.cashier);
    const before = (await call(terminal, 'GET', `/api/lane/members/${BLANK}`)).principalMinor as number;
    const big = await call(hangzhou, 'POST', '/api/top-ups', { cardNo: BLANK, principalMinor: 60_000, tender: 'cash' });
    const small = await call(hangzhou, 'POST', '/api/top-ups', { cardNo: BLANK, principalMinor: 1_000, tender: 'cash' });
    await hangzhou.syncNow();
    const listed = async () => (await call(terminal, 'GET', '/api/members/m-0001/top-ups')).topUps.map((x: { id: string }) => x.id);
    await expect.poll(listed, { timeout: 20_000 }).toEqual(expect.arrayContaining([big.id, small.id]));
    await expect.poll(async () => (await call(terminal, 'GET', `/api/lane/members/${BLANK}`)).principalMinor, { timeout: 20_000 }).toBe(before + 61_000);

    await openDeskOn(BLANK);
    const row = (id: string) => `#desk-top-ups-list li[data-top-up="${id}"]`;
    await page.waitForSelector(row(big.id), { timeout: 10_000 });
    expect(await page.getAttribute(row(big.id), 'data-here')).toBe('false');
    expect(await page.getAttribute(row(big.id), 'data-refunded')).toBe('false');
    const shown = await text(row(big.id));
    expect(shown).toContain('杭州西湖店');
    expect(shown).toContain('¥600.00');
    expect(shown).toContain('¥50.00');
    expect(await page.isVisible('#desk-top-ups-offline')).toBe(false);

    // ¥600.00 back is above the ¥500.00 limit: the manager's PIN, then the slip.
    const printedBefore = receipts().length;
    await page.click(`${row(big.id)} button`);
    await page.waitForSelector('#sup-login', { timeout: 10_000 });
    await page.fill('#sup-login', SH.manager.login);
    await page.fill('#sup-pin', SH.manager.pin);
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 15_000 }).toContain('充值已退');
    const isSlip = (lines: string[]) => lines.includes('充值退款');
    await expect.poll(() => receipts().slice(printedBefore).some((r) => isSlip(r.lines)), { timeout: 15_000 }).toBe(true);
    expect(receipts().slice(printedBefore).find((r) => isSlip(r.lines))!.lines).toContain(`原充值单: ${big.id}`);
    expect((await call(terminal, 'GET', `/api/lane/members/${BLANK}`)).principalMinor).toBe(before + 1_000);
    const overrides = (await call(terminal, 'GET', '/api/override')).overrides as Array<{ action: string; approvedBy: string }>;
    expect(overrides.at(-1)).toMatchObject({ action: 'refund_above_limit' });

    // The desk again: given back. Meanwhile Hangzhou gives back the small one itself; this desk still offers it.
    await page.keyboard.press('Escape');
    await openDeskOn(BLANK);
    await expect.poll(() => page.getAttribute(row(big.id), 'data-refunded'), { timeout: 10_000 }).toBe('true');
    expect(await page.isVisible(`${row(big.id)} button`)).toBe(false);
    await page.waitForSelector(`${row(small.id)} button`, { timeout: 10_000 });
    await call(hangzhou, 'POST', `/api/top-ups/${small.id}/refund`, {});
    await hangzhou.syncNow();
    await expect.poll(async () => (await call(terminal, 'GET', `/api/lane/members/${BLANK}`)).principalMinor, { timeout: 20_000 }).toBe(before);
    await page.click(`${row(small.id)} button`);
    await expect.poll(() => text('#message'), { timeout: 15_000 }).toContain('这笔充值已经退过');
    expect(await text('#message')).toContain('CONFLICT');
    await expect.poll(() => page.getAttribute(row(small.id), 'data-refunded'), { timeout: 10_000 }).toBe('true');
    expect((await call(terminal, 'GET', `/api/lane/members/${BLANK}`)).principalMinor).toBe(before);
    await page.keyboard.press('Escape');
    await signIn(SH.manager);
  });

  it('a scale label typed into the code field sells as the scan does; a mistyped one is refused and nothing changes', async () => {
    await enter('2810001912343'); // 苹果 1.234 kg at ¥12.80/kg, the lane's weight-label layout
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥15.80');
    expect(await text('#basket-body')).toContain('1.234 kg');
    await enter('2810001912340'); // one digit wrong
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('BAD_CHECK_DIGIT');
    expect(await text('#total')).toBe('¥15.80');
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
  });
});
