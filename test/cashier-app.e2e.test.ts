import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, openCashierApp } from './support/cashier-browser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { promotion } from '../core/pricing';
import { createDeviceFactory } from '../drivers';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { startTestHq } from '../hq-server/testing/hq';
import { startTerminal, type RunningTerminal } from '../terminal';
import { SyncProxy } from './support/sync-proxy';
import { tillCredentials } from '../terminal/testing-staff';
import { printWidth } from '../terminal/receipt';

/**
 * The cashier app in Chromium against a real terminal (in this process, simulated lane speaking
 * the real device bytes) and a real HQ (embedded PostgreSQL, gRPC through a proxy we can cut).
 */

const MILK = '6907028100122'; // 纯牛奶 ¥59.90
const COLA = '6901028001014'; // ¥3.00
const ZHANG_WEI = '8F3A21C4'; // diamond member, principal 1860.00
// store-sh-01's operators as HQ's feed brings them (fixtures/data/demo-chain.ts): logins, PINs, operator cards.
const { cashier: CASHIER, manager: MANAGER } = tillCredentials(demoChain, 'store-sh-01');
const CASHIER_CARD = demoChain.operators.find((o) => o.login === CASHIER.login)!.cardNo!;
const MANAGER_CARD = demoChain.operators.find((o) => o.login === MANAGER.login)!.cardNo!;
const chainKey = new TextEncoder().encode('test-chain-key');

type Hq = Awaited<ReturnType<typeof startTestHq>>;

/** The east region's member-level discount (钻石会员 9折 …), written by its manager and approved by the admin, through HQ's REST API. */
async function memberLevelDiscountAtHq(base: string): Promise<void> {
  const call = async (method: string, path: string, token: string | null, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const login = async (who: string) => (await call('POST', '/api/v1/sessions', null, { login: who, password: 'onecard-demo' })).token as string;
  const manager = await login('east.manager');
  const admin = await login('admin');
  const { status: _status, ...definition } = promotion('east-member-level', { type: 'memberLevelDiscount', levels: null }, { orgNodeId: 'region-east', name: 'Member level discount', nameZh: '会员等级折扣' });
  await call('POST', '/api/v1/promotions', manager, definition);
  await call('POST', '/api/v1/promotions/east-member-level/submit', manager);
  await call('POST', '/api/v1/promotions/east-member-level/approve', admin);
}

describe.skipIf(!existsSync(CHROMIUM))('cashier app in Chromium, simulated lane, real HQ', () => {
  let hq: Hq;
  let proxy: SyncProxy;
  let terminal: RunningTerminal;
  let lane: VirtualDevices;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let memberSaleId = '';

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    await memberLevelDiscountAtHq(hq.httpUrl);
    proxy = await SyncProxy.start(hq.grpcAddress);
    dir = await mkdtemp(join(tmpdir(), 'onecard-app-'));
    lane = new VirtualDevices(chainKey, { paymentResponse_ms: 1000 });
    terminal = await startTerminal({
      dataDir: dir,
      hqAddress: proxy.address,
      enrollmentCode: await hq.enrollmentCode('t-sh-01-1'),
      syncIntervalMs: 250,
      devices: { config: lane.config, factory: createDeviceFactory({ simulators: lane.transports, chainKey, reopen: { firstDelay_ms: 20, maxDelay_ms: 100 } }), panel: lane, chainKey },
      log: () => {},
    });
    await terminal.syncNow(); // the operators from HQ's feed
    ({ browser, page } = await openCashierApp(terminal.appUrl));
    // The app starts at the sign-in screen; the store manager works the lane unless a case says otherwise.
    await signInOnScreen(MANAGER.login, MANAGER.pin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await terminal?.stop();
    await proxy?.stop();
    await hq?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Each test starts from a quiet lane: no dialog, Chinese, HQ reachable, paper in, and the last
  // sale's receipt out of the printer (receipts print after the sale, in the background).
  beforeEach(async () => {
    if (!page) return;
    if (await page.isVisible('#signin-screen')) await signInOnScreen(MANAGER.login, MANAGER.pin);
    if (await page.isVisible('#dialog-backdrop')) await page.keyboard.press('Escape');
    if ((await page.getAttribute('html', 'lang')) !== 'zh-CN') await page.keyboard.press('F12');
    proxy.heal();
    if (lane.snapshot().printer.paperEmpty) lane.loadPaper();
    // A sale a failed case left open is cancelled, so that one failure does not cascade.
    const open = await page.evaluate(() => (window as unknown as { onecard: { state: { sale: { id: string } | null } } }).onecard.state.sale?.id ?? null);
    if (open) {
      await fetch(new URL(`/api/lane/sales/${open}/cancel`, terminal.uiUrl), { method: 'POST', headers: { authorization: `Bearer ${terminal.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ supervisor: MANAGER }) });
      await expect.poll(() => page.evaluate(() => (window as unknown as { onecard: { state: { sale: unknown } } }).onecard.state.sale), { timeout: 10_000 }).toBeNull();
    }
    const last = await page.evaluate(() => (window as unknown as { onecard: { state: { lastSale: { id: string; status: string } | null } } }).onecard.state.lastSale);
    if (last?.status === 'completed') await expect.poll(() => receipts().some((r) => r.qrCodes.includes(last.id)), { timeout: 15_000 }).toBe(true);
  });

  const text = (sel: string) => page.textContent(sel).then((s) => s ?? '');
  /** Signs in on the app's sign-in screen with login and PIN. */
  async function signInOnScreen(login: string, pin: string) {
    await page.waitForSelector('#signin-screen:not([hidden])', { timeout: 10_000 });
    await page.fill('#signin-login', login);
    await page.fill('#signin-pin', pin);
    await page.press('#signin-pin', 'Enter');
    await page.waitForSelector('#signin-screen', { state: 'hidden', timeout: 10_000 });
  }
  const overrides = async () => ((await (await fetch(new URL('/api/override', terminal.uiUrl), { headers: { authorization: `Bearer ${terminal.token}` } })).json()) as { overrides: Array<Record<string, unknown>> }).overrides;
  const receipts = () => lane.printer.receipts();
  async function enter(code: string) {
    await page.fill('#code-input', code);
    await page.press('#code-input', 'Enter');
  }
  /** A new sale open with this total (a completed sale before it goes on showing its own total). */
  async function openSaleShows(total: string) {
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('open');
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe(total);
  }
  async function saleDone() {
    await expect
      .poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 15_000 })
      .toBe('completed')
      .catch(async (e) => {
        console.error(`not completed: message "${await text('#message')}", dialog "${await text('#dialog-message')}"`);
        throw e;
      });
  }

  it('shows the simulated lane and every device healthy in the status bar and in /api/health', async () => {
    expect(await page.isVisible('#simulated-badge')).toBe(true);
    for (const name of ['scanner', 'card-reader', 'printer', 'drawer', 'bank-pos']) {
      await expect.poll(() => page.getAttribute(`#dev-${name}`, 'data-health'), { timeout: 10_000 }).toBe('ok');
    }
    const health = (await (await fetch(new URL('/api/health', terminal.uiUrl))).json()) as { devices: { simulated: boolean; devices: Array<{ name: string; health: string }> } };
    expect(health.devices.simulated).toBe(true);
    expect(health.devices.devices.map((d) => d.health)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('a member sale paid by stored value and cash prints its receipt (decoded from the ESC/POS bytes) and opens the drawer', async () => {
    const printedBefore = receipts().length;
    const kicksBefore = lane.printer.ops.filter((o) => o.op === 'drawer-kick').length;
    await enter(MILK);
    await enter(`2*${COLA}`);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥65.90');
    // The card goes on the reader; nothing is clicked.
    lane.presentCard(ZHANG_WEI, 1001);
    await expect.poll(() => text('#member-name'), { timeout: 10_000 }).toBe('张伟');
    expect(await text('#member-level')).toBe('钻石会员');
    expect(await text('#member-principal')).toBe('¥1860.00');
    lane.removeCard();
    // The diamond level's 9折 from HQ's member-level promotion, explained on each line.
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥59.31');
    expect(await text('#savings')).toBe('−¥6.59');
    const promoLines = await page.locator('#basket-body .promo').allTextContents();
    expect(promoLines).toHaveLength(2);
    expect(promoLines[0]).toMatch(/−¥5\.99$/);
    expect(promoLines[1]).toMatch(/−¥0\.60$/);

    await page.keyboard.press('F6');
    await page.fill('#tender-amount', '50');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#due'), { timeout: 10_000 }).toBe('¥9.31');
    await page.keyboard.press('F5');
    await page.fill('#tender-amount', '20');
    await page.keyboard.press('Enter');
    await saleDone();
    expect(await text('#change')).toBe('¥10.69');
    expect(await text('#message')).toContain('¥10.69');

    await expect.poll(() => receipts().length, { timeout: 15_000 }).toBe(printedBefore + 1);
    const r = receipts().at(-1)!;
    const saleId = await page.evaluate(() => (window as unknown as { onecard: { state: { lastSale: { id: string } } } }).onecard.state.lastSale.id);
    memberSaleId = saleId;
    const lines = r.lines.map((l) => l.replace(/\s+$/, ''));
    // Columns as the printer prints them (× and ￥ take two): the receipt's own width.
    const pad = (left: string, right: string) => left + ' '.repeat(48 - printWidth(left) - printWidth(right)) + right;
    expect(lines[0]).toBe('上海人民广场店');
    expect(lines).toContain(`单号: ${saleId}`);
    expect(lines.find((l) => l.startsWith('时间: '))).toMatch(/^时间: \d{4}-\d\d-\d\d \d\d:\d\d  收银机: t-sh-01-1$/);
    const body = lines.slice(lines.findIndex((l) => l.startsWith('-')) + 1);
    const label = promoLines[0]!.replace(/ −¥5\.99$/, '');
    expect(body.slice(0, 6)).toEqual([
      pad('纯牛奶 250ml×12', '￥59.90'),
      pad(`  ${label}`, '-￥5.99'),
      '可乐 330ml 罐装',
      pad('  2 x ￥3.00', '￥6.00'),
      pad(`  ${label}`, '-￥0.60'),
      '-'.repeat(48),
    ]);
    expect(body).toContain(pad('优惠', '-￥6.59'));
    // Item lines, totals and tenders, each as printed.
    expect(body).toContain(pad('件数', '3'));
    expect(body).toContain(pad('合计', '￥59.31'));
    expect(body).toContain(pad('储值卡', '￥50.00'));
    expect(body).toContain(pad('现金', '￥20.00'));
    expect(body).toContain(pad('找零', '￥10.69'));
    expect(body).toContain('会员: 张伟 (****21C4)');
    expect(body.some((l) => /^本次积分 +\+\d+$/.test(l))).toBe(true);
    expect(body).toContain('谢谢惠顾，欢迎再次光临');
    expect(r.qrCodes).toEqual([saleId]);
    expect(r.cuts).toBe(1);
    // Cash: the drawer was kicked.
    expect(lane.printer.ops.filter((o) => o.op === 'drawer-kick').length).toBe(kicksBefore + 1);
  });

  it('a scan lands in the sale with nothing focused', async () => {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
    lane.scan(COLA);
    await expect.poll(() => page.locator('#basket-body tr').count(), { timeout: 10_000 }).toBe(1);
    lane.scan(COLA);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥6.00');
    // Cancel it cleanly for the next test.
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
  });

  it('codes typed back to back, as a keyboard-wedge scanner sends them, all land in one sale', async () => {
    // No waiting between codes: each Enter fires before the till has answered the one before.
    await page.focus('#code-input');
    await page.keyboard.type(`${COLA}\n${MILK}\n${COLA}\n`);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥65.90');
    expect(await page.locator('#basket-body tr').count()).toBe(2);
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
  });

  it('a bank card declined, then its answer lost: the journal finds the charge and the customer pays once', async () => {
    const chargedBefore = lane.snapshot().bankCharged_minor;
    await enter(MILK);
    await openSaleShows('¥59.90');
    lane.nextPayment('decline');
    await page.keyboard.press('F8');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#dialog-message'), { timeout: 15_000 }).toContain('银行卡被拒');
    expect(lane.snapshot().bankCharged_minor).toBe(chargedBefore);

    // Charged at the terminal, answer lost on the way back: the last-sale query finds it.
    lane.nextPayment('lose-answer');
    await page.keyboard.press('Enter');
    await saleDone();
    expect(lane.snapshot().bankCharged_minor).toBe(chargedBefore + 5990);
    expect(await text('#tender-list')).toContain('银行卡');

    // No answer at all (the terminal never ran it): not charged, and the retry charges once.
    await enter(COLA);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥3.00');
    lane.nextPayment('no-answer', 'approve');
    await page.keyboard.press('F8');
    await page.keyboard.press('Enter');
    const outcome = await page.waitForFunction(() => (document.getElementById('dialog') as HTMLElement).dataset.outcome || document.querySelector('#sale-status[data-status="completed"]'), undefined, { timeout: 15_000 });
    expect(outcome).toBeTruthy();
    expect(await page.getAttribute('#dialog', 'data-outcome')).toBe('not-charged');
    expect(lane.snapshot().bankCharged_minor).toBe(chargedBefore + 5990);
    await page.keyboard.press('Enter');
    await saleDone();
    expect(lane.snapshot().bankCharged_minor).toBe(chargedBefore + 5990 + 300);
  });

  it('the paper runs out in the middle of a receipt: it waits in the queue, the cashier is told, and it prints in full after a new roll', async () => {
    const printedBefore = receipts().length;
    lane.printer.runOutAfter(60);
    await enter(MILK);
    await openSaleShows('¥59.90');
    await page.keyboard.press('F5');
    await page.fill('#tender-amount', '100');
    await page.keyboard.press('Enter');
    await saleDone();
    await expect.poll(() => page.isVisible('#receipts-waiting'), { timeout: 15_000 }).toBe(true);
    expect(await text('#message')).toContain('小票未打印');
    await expect.poll(() => page.getAttribute('#dev-printer', 'data-health'), { timeout: 10_000 }).toBe('warning');
    lane.loadPaper();
    await expect.poll(() => receipts().some((r, i) => i >= printedBefore && r.lines.some((l) => l.includes('重印 REPRINT')) && r.lines.some((l) => l.includes('￥40.10'))), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => page.isVisible('#receipts-waiting'), { timeout: 10_000 }).toBe(false);
  });

  it('with HQ unreachable the cashier sees it, sells on stored value and cash, and the sale reaches HQ when it is back', async () => {
    proxy.cut();
    await expect.poll(() => page.getAttribute('#hq-status', 'data-state'), { timeout: 15_000 }).toBe('offline');
    await enter(MILK);
    await openSaleShows('¥59.90');
    lane.presentCard(ZHANG_WEI, 1001);
    await expect.poll(() => text('#member-name'), { timeout: 10_000 }).toBe('张伟');
    lane.removeCard();
    await page.keyboard.press('F6');
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥53.91');
    await page.fill('#tender-amount', '40');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#due'), { timeout: 10_000 }).toBe('¥13.91');
    await page.keyboard.press('F5');
    await page.keyboard.press('Enter');
    await saleDone();
    const saleId = await page.evaluate(() => (window as unknown as { onecard: { state: { lastSale: { id: string } } } }).onecard.state.lastSale.id);
    await expect.poll(async () => Number(await text('#outbox-depth')), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => receipts().at(-1)?.lines.some((l) => l.includes('离线交易')), { timeout: 15_000 }).toBe(true);

    proxy.heal();
    await expect.poll(() => page.getAttribute('#hq-status', 'data-state'), { timeout: 20_000 }).toBe('online');
    await expect.poll(() => text('#outbox-depth'), { timeout: 20_000 }).toBe('0');
    const [row] = await hq.sql`select status from events where terminal_id = 't-sh-01-1' and body::text like ${`%${saleId}%`}`;
    expect(row?.status).toBe('applied');
  });

  it('switches between Chinese and English with F12; receipts stay in the store language', async () => {
    expect(await text('#btn-cash')).toContain('现金');
    await page.keyboard.press('F12');
    expect(await text('#btn-cash')).toContain('Cash');
    expect(await text('#hq-status')).toBe('HQ online');
    expect(await page.getAttribute('#code-input', 'placeholder')).toContain('Scan');
    await enter(COLA);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥3.00');
    await page.keyboard.press('F5');
    await page.keyboard.press('Enter');
    await saleDone();
    expect(await text('#sale-status')).toBe('completed');
    await expect.poll(() => receipts().at(-1)?.lines.some((l) => l.startsWith('合计')), { timeout: 15_000 }).toBe(true);
    // A copy on request, marked as one.
    const printed = receipts().length;
    await page.keyboard.press('Shift+F9');
    await expect.poll(() => receipts().length, { timeout: 15_000 }).toBe(printed + 1);
    expect(receipts().at(-1)!.lines[0]).toBe('*** 补打 COPY ***');
    await page.keyboard.press('F12');
    expect(await text('#btn-cash')).toContain('现金');
  });

  it('a whole member sale with the keyboard only', async () => {
    await page.keyboard.press('F1');
    await page.keyboard.type(MILK);
    await page.keyboard.press('Enter');
    await openSaleShows('¥59.90');
    await page.keyboard.press('F2');
    await page.keyboard.type(ZHANG_WEI);
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#member-name'), { timeout: 10_000 }).toBe('张伟');
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥53.91');
    await page.keyboard.press('F3');
    await page.keyboard.type('Cola 330');
    await expect.poll(() => page.locator('#search-list li.selected').count(), { timeout: 10_000 }).toBe(1);
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥56.61');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('F4');
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥53.91');
    await page.keyboard.press('F6');
    await page.keyboard.press('Enter');
    await saleDone();
    expect(await text('#tender-list')).toContain('储值');
  });

  it('points (积分抵现) and a bank card split one sale; an unknown barcode is told; a scanned receipt opens its return', async () => {
    await enter(MILK);
    await openSaleShows('¥59.90');
    lane.presentCard(ZHANG_WEI, 1001);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥53.91');
    await expect.poll(() => text('#member-name'), { timeout: 10_000 }).toBe('张伟');
    lane.removeCard();
    await page.keyboard.press('F7');
    await page.keyboard.type('2000');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#due'), { timeout: 10_000 }).toBe('¥33.91');
    const charged = lane.snapshot().bankCharged_minor;
    await page.keyboard.press('F8');
    await page.keyboard.press('Enter');
    await saleDone();
    expect(lane.snapshot().bankCharged_minor).toBe(charged + 3391);
    const tenders = await text('#tender-list');
    expect(tenders).toContain('积分 2000: ¥20.00');
    expect(tenders).toContain('银行卡: ¥33.91');

    lane.scan('6901234567892');
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('UNKNOWN_BARCODE');

    lane.scan(memberSaleId);
    await page.waitForSelector('#return-lines input[data-line="1"]', { timeout: 10_000 });
    expect(await page.inputValue('#return-find')).toBe(memberSaleId);
    await page.keyboard.press('Escape');
  });

  it('a return of one unit of one line shows what goes back to stored value and cash', async () => {
    await page.keyboard.press('Shift+F4');
    await page.keyboard.type(memberSaleId);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#return-lines input[data-line="2"]');
    await page.fill('#return-lines input[data-line="2"]', '1');
    await page.keyboard.press('Enter');
    // One cola of two: half the line's net ¥5.40 after the member discount.
    await expect.poll(() => text('#refund-total'), { timeout: 10_000 }).toBe('¥2.70');
    const back = await text('#refund-tenders');
    expect(back).toContain('储值');
    expect(back).toContain('本金');
    await page.keyboard.press('Enter');
    expect(await page.isVisible('#dialog-backdrop')).toBe(false);
  });

  it('a top-up at the member desk shows its bonus rule and the new balance', async () => {
    await page.keyboard.press('Shift+F2');
    await page.fill('#desk-card', ZHANG_WEI);
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#desk-principal'), { timeout: 10_000 }).toMatch(/^¥\d+\.\d\d$/);
    const before = (await text('#desk-principal')).replace('¥', '');
    expect(await text('#desk-tiers')).toContain('¥500.00 → +¥50.00');
    await page.fill('#desk-amount', '500');
    expect(await text('#desk-bonus')).toBe('赠送 +¥50.00');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('充值成功');
    const minor = (s: string) => Number(s.replace('¥', '').replace('.', ''));
    await expect.poll(async () => minor(await text('#desk-principal')) - minor(before), { timeout: 10_000 }).toBe(50_000);
    await page.keyboard.press('Escape');
    // Its slip, in the store's language.
    await expect.poll(() => receipts().at(-1)?.lines.includes('会员充值'), { timeout: 15_000 }).toBe(true);
    const slip = receipts().at(-1)!.lines.map((l) => l.replace(/\s+$/, ''));
    expect(slip.some((l) => /^充值金额 +￥500\.00$/.test(l))).toBe(true);
    expect(slip.some((l) => /^赠送金额 +￥50\.00$/.test(l))).toBe(true);
  });

  it('a new member is registered at the desk and the blank card on the reader is issued: from then on it passes the anti-clone check', async () => {
    await page.keyboard.press('Shift+F2');
    await page.click('#desk-register');
    await page.fill('#reg-name', '王芳');
    await page.fill('#reg-phone', '13900001111');
    lane.presentClonedCard('04C0FFEE'); // a blank MIFARE card: UID, no identity block
    await expect.poll(() => page.inputValue('#reg-card'), { timeout: 10_000 }).toBe('04C0FFEE');
    await page.focus('#reg-phone');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 15_000 }).toContain('已写卡');
    // The same card, taken off and put back: now it is a member card.
    const card = lane.cardReader.cardInField!;
    lane.removeCard();
    await enter(COLA);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥3.00');
    // The reader polls every 300 ms: the card must be seen gone before it counts as put back.
    await new Promise((resolve) => setTimeout(resolve, 700));
    lane.cardReader.present(card);
    await expect.poll(() => text('#member-name'), { timeout: 10_000 }).toBe('王芳');
    lane.removeCard();
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
  });

  it('a frozen card is refused, and the member panel says why', async () => {
    await enter(COLA);
    await page.keyboard.press('F2');
    await page.keyboard.type('8888000100000030'); // frozen magstripe card of the demo chain
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('CARD_FROZEN');
    await expect.poll(() => page.getAttribute('#member-panel', 'data-state'), { timeout: 10_000 }).toBe('warning');
    expect(await text('#member-panel')).toContain('卡已冻结');
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
  });

  it('a card with a copied UID is refused at the reader, and an unplugged scanner shows offline until it is back', async () => {
    lane.presentClonedCard(ZHANG_WEI);
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('UNKNOWN_CARD');
    lane.removeCard();
    lane.unplug('scanner');
    await expect.poll(() => page.getAttribute('#dev-scanner', 'data-health'), { timeout: 10_000 }).toBe('offline');
    lane.plugIn('scanner');
    await expect.poll(() => page.getAttribute('#dev-scanner', 'data-health'), { timeout: 10_000 }).toBe('ok');
  });

  it('a cashier signs in and opens a shift; a line void needs the store manager, whose card approves it; the shift closes with counted cash and the Z report prints', async () => {
    await page.click('#btn-lock');
    await expect.poll(() => page.getAttribute('#operator', 'data-state'), { timeout: 10_000 }).toBe('out');
    await signInOnScreen(CASHIER.login, CASHIER.pin);
    await expect.poll(() => text('#operator'), { timeout: 10_000 }).toBe('收银员 顾小燕');
    await page.keyboard.press('Shift+F1');
    await page.fill('#shift-float', '200');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('已开班');

    await enter(COLA);
    await enter(MILK);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥62.90');
    // The normal void key: the cashier lacks sale.void, so the app asks for a supervisor.
    await page.keyboard.press('F4');
    await expect.poll(() => page.isVisible('#sup-login'), { timeout: 10_000 }).toBe(true);
    expect(await text('#dialog-body')).toContain('FORBIDDEN');
    expect(await text('#total')).toBe('¥62.90');
    // The store manager taps their operator card on the reader.
    lane.presentCard(MANAGER_CARD, 5100);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥3.00');
    lane.removeCard();
    expect(await text('#message')).toContain('授权人');
    expect((await overrides())[0]).toMatchObject({ action: 'void_line', permission: 'sale.void', method: 'card', cashierId: 'op-sh-01-cashier-1', supervisorId: 'op-sh-01-manager' });
    await page.keyboard.press('F5');
    await page.fill('#tender-amount', '10');
    await page.keyboard.press('Enter');
    await saleDone();

    const printedBefore = receipts().length;
    await page.keyboard.press('Shift+F1');
    await expect.poll(() => text('#expected-cash'), { timeout: 10_000 }).toBe('¥203.00');
    await page.fill('#shift-counted', '202.50');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#cash-difference'), { timeout: 10_000 }).toBe('¥-0.50');
    await expect.poll(() => receipts().length, { timeout: 15_000 }).toBe(printedBefore + 1);
    const z = receipts().at(-1)!.lines.map((l) => l.replace(/\s+$/, ''));
    expect(z).toContain('Z 报表（交班）');
    expect(z.some((l) => /^应有现金 +￥203\.00$/.test(l))).toBe(true);
    expect(z.some((l) => /^差额 +￥-0\.50$/.test(l))).toBe(true);
    await page.click('#sign-out');
    await expect.poll(() => page.getAttribute('#operator', 'data-state'), { timeout: 10_000 }).toBe('out');
    expect(await page.isVisible('#signin-screen')).toBe(true);
  });

  it('locked, the lane sells nothing; the cashier signs in with their operator card; a return above the limit asks for a supervisor', async () => {
    await page.click('#btn-lock');
    await page.waitForSelector('#signin-screen:not([hidden])');
    const salesBefore = await fetch(new URL('/api/lane', terminal.uiUrl), { headers: { authorization: `Bearer ${terminal.token}` } }).then((r) => r.json() as Promise<{ sale: unknown }>);
    lane.scan(COLA);
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('NOT_SIGNED_IN');
    expect((await fetch(new URL('/api/lane', terminal.uiUrl), { headers: { authorization: `Bearer ${terminal.token}` } }).then((r) => r.json() as Promise<{ sale: unknown }>)).sale).toEqual(salesBefore.sale);
    await page.fill('#signin-login', CASHIER.login);
    await page.fill('#signin-pin', '0000');
    await page.press('#signin-pin', 'Enter');
    await expect.poll(() => text('#signin-message'), { timeout: 10_000 }).toContain('WRONG_PIN');
    lane.presentCard(CASHIER_CARD, 5101);
    await page.waitForSelector('#signin-screen', { state: 'hidden', timeout: 10_000 });
    lane.removeCard();
    expect(await text('#operator')).toBe('收银员 顾小燕');

    // ¥599.00 in cash, then all of it back: above the ¥500.00 refund limit.
    await enter(`10*${MILK}`);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥599.00').catch(async (e) => {
      console.error(`message "${await text('#message')}"`);
      throw e;
    });
    await page.keyboard.press('F5');
    await page.fill('#tender-amount', '599');
    await page.keyboard.press('Enter');
    await saleDone();
    const saleId = await page.evaluate(() => (window as unknown as { onecard: { state: { lastSale: { id: string } } } }).onecard.state.lastSale.id);
    const kicks = lane.printer.ops.filter((o) => o.op === 'drawer-kick').length;
    await page.keyboard.press('Shift+F4');
    await page.keyboard.type(saleId);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#return-lines input[data-line="1"]');
    await page.fill('#return-lines input[data-line="1"]', '10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.isVisible('#sup-login'), { timeout: 10_000 }).toBe(true);
    expect(await text('#return-result')).toContain('FORBIDDEN');
    await page.fill('#sup-login', MANAGER.login);
    await page.fill('#sup-pin', MANAGER.pin);
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#refund-total'), { timeout: 10_000 }).toBe('¥599.00');
    // Cash went back: the terminal opened the drawer.
    await expect.poll(() => lane.printer.ops.filter((o) => o.op === 'drawer-kick').length, { timeout: 10_000 }).toBe(kicks + 1);
    expect((await overrides())[0]).toMatchObject({ action: 'refund_above_limit', permission: 'refund.above_limit', method: 'pin', cashierId: 'op-sh-01-cashier-1' });
    await page.keyboard.press('Enter');
    await page.click('#btn-lock');
    await page.waitForSelector('#signin-screen:not([hidden])');
  });

  /** The sign-in screen in both languages; then the store manager signs in again with their card. */
  async function signInScreenShots(shot: (name: string) => Promise<unknown>) {
    await page.click('#btn-lock');
    await page.waitForSelector('#signin-screen:not([hidden])');
    await shot('cashier-signin-zh');
    await page.keyboard.press('F12');
    await shot('cashier-signin-en');
    await page.keyboard.press('F12');
    lane.presentCard(MANAGER_CARD, 5102);
    await page.waitForSelector('#signin-screen', { state: 'hidden', timeout: 10_000 });
    lane.removeCard();
  }

  it.skipIf(!process.env.ONECARD_SCREENSHOTS)('screenshots of the main screens in both languages (ONECARD_SCREENSHOTS=1 writes docs/screenshots/)', async () => {
    const shot = (name: string) => page.screenshot({ path: join(process.cwd(), 'docs', 'screenshots', `${name}.png`) });
    await signInScreenShots(shot);
    await page.keyboard.press('F1');
    for (const code of [MILK, `2*${COLA}`, '6901028001182']) await enter(code);
    lane.presentCard(ZHANG_WEI, 1001);
    await expect.poll(() => text('#member-name'), { timeout: 10_000 }).toBe('张伟');
    lane.removeCard();
    await page.keyboard.press('F6');
    await page.fill('#tender-amount', '20');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#tender-list'), { timeout: 10_000 }).toContain('储值');
    await shot('cashier-checkout-zh');
    await page.keyboard.press('F12');
    await shot('cashier-checkout-en');
    await page.keyboard.press('F5');
    await shot('cashier-cash-tender-en');
    await page.keyboard.press('Escape');
    await page.keyboard.press('F12');
    await page.keyboard.press('F11');
    await page.waitForSelector('#virtual-panel:not([hidden]) #v-card option', { state: 'attached' });
    await shot('cashier-virtual-devices-zh');
    await page.keyboard.press('F11');
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
    await page.keyboard.press('Shift+F4');
    await page.keyboard.type(memberSaleId);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#return-lines input[data-line="2"]');
    await page.fill('#return-lines input[data-line="1"]', '1');
    await shot('cashier-returns-zh');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Shift+F2');
    await page.fill('#desk-card', ZHANG_WEI);
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#desk-principal'), { timeout: 10_000 }).toMatch(/¥/);
    await page.fill('#desk-amount', '1000');
    await page.keyboard.press('F12');
    await shot('cashier-member-desk-en');
    await page.keyboard.press('Escape');
    await page.keyboard.press('F12');
    proxy.cut();
    await expect.poll(() => page.getAttribute('#hq-status', 'data-state'), { timeout: 15_000 }).toBe('offline');
    await enter(COLA);
    await shot('cashier-offline-zh');
    proxy.heal();
    await expect.poll(() => page.getAttribute('#hq-status', 'data-state'), { timeout: 20_000 }).toBe('online');
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
  });

  it('input to screen on a 50-line basket (printed; bound generous for slow machines)', async () => {
    const products = demoChain.products.filter((p) => p.barcode !== MILK).slice(0, 50);
    expect(products).toHaveLength(50);
    await page.keyboard.press('F1');
    for (const p of products.slice(0, 49)) await enter(p.barcode);
    await expect.poll(() => page.locator('#basket-body tr').count(), { timeout: 30_000 }).toBe(49);
    const timed = (code: string) =>
      page.evaluate(
        (c) =>
          new Promise<number>((resolve) => {
            const input = document.getElementById('code-input') as HTMLInputElement;
            const body = document.getElementById('basket-body')!;
            const t0 = performance.now();
            const obs = new MutationObserver(() => {
              obs.disconnect();
              requestAnimationFrame(() => resolve(performance.now() - t0));
            });
            obs.observe(body, { childList: true, subtree: true, characterData: true });
            input.value = c;
            input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
          }),
        code,
      );
    const samples: number[] = [await timed(products[49]!.barcode)];
    expect(await page.locator('#basket-body tr').count()).toBe(50);
    for (let i = 0; i < 9; i++) samples.push(await timed(products[i]!.barcode)); // quantity +1 on a 50-line basket
    const voidTimed = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const body = document.getElementById('basket-body')!;
          const t0 = performance.now();
          const obs = new MutationObserver(() => {
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
          });
          obs.observe(body, { childList: true, subtree: true });
          document.dispatchEvent(new KeyboardEvent('keydown', { key: 'F4', bubbles: true }));
        }),
    );
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)]!;
    const worst = samples.at(-1)!;
    console.log(`cashier app, 50-line basket: input → screen median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms over ${samples.length} scans; line void ${voidTimed.toFixed(1)} ms (target < 100 ms)`);
    expect(worst).toBeLessThan(2_000);
    await page.keyboard.press('F10');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('cancelled');
  });
});
