import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { hash } from '@node-rs/argon2';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { applyChange } from './master-data';
import { openTestTerminal, type TestTerminal } from './testing';
import { pinOf, seedTillOperators, signInTill, testStaff, TILL_CASHIER, TILL_MANAGER } from './testing-staff';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('cashier page in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let t: TestTerminal;

  beforeAll(async () => {
    t = openTestTerminal(demoChain);
    await seedTillOperators(t.db);
    const app = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token: 'c'.repeat(64), link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {}, staff: testStaff(t) });
    ({ server, url } = await listenLocalApi(app, '127.0.0.1', 0));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  afterAll(async () => {
    await browser?.close();
    if (server) await closeServer(server);
  });

  it('scans items, shows the member, takes cash with change and completes the sale', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await expect.poll(() => page.textContent('#hq-status'), { timeout: 10_000 }).toBe('offline');
    // Nobody signed in: nothing sells until a cashier signs in here, and a wrong PIN is told.
    await page.fill('#barcode', '6901028001014');
    await page.press('#barcode', 'Enter');
    await expect.poll(() => page.textContent('#message'), { timeout: 10_000 }).toContain('NOT_SIGNED_IN');
    await page.fill('#signin-login', TILL_CASHIER.login);
    await page.fill('#signin-pin', '0000');
    await page.click('#signin-do');
    await expect.poll(() => page.textContent('#message'), { timeout: 10_000 }).toContain('WRONG_PIN');
    await page.fill('#signin-pin', TILL_CASHIER.pin);
    await page.click('#signin-do');
    await expect.poll(() => page.textContent('#operator'), { timeout: 10_000 }).toBe(TILL_CASHIER.name);
    expect(await page.isVisible('#signin')).toBe(false);
    expect(await page.textContent('#sale-status')).not.toBe('open');

    await page.fill('#barcode', '6901028001014');
    await page.press('#barcode', 'Enter');
    await page.fill('#barcode', '6901028001014');
    await page.press('#barcode', 'Enter');
    await page.fill('#barcode', '6902083001124');
    await page.press('#barcode', 'Enter');
    await expect.poll(() => page.textContent('#total'), { timeout: 10_000 }).toBe('9.00');
    expect(await page.locator('#basket tr').count()).toBe(2);

    await page.fill('#barcode', '6900000000000');
    await page.press('#barcode', 'Enter');
    await expect.poll(() => page.textContent('#message'), { timeout: 10_000 }).toContain('UNKNOWN_BARCODE');

    await page.fill('#card-no', '8F3A21C4');
    await page.press('#card-no', 'Enter');
    await expect.poll(() => page.textContent('#member-panel'), { timeout: 10_000 }).toContain('张伟');
    expect(await page.textContent('#member-panel')).toContain('1860.00');

    await page.fill('#cash-tendered', '20');
    await page.click('#pay-cash');
    await expect.poll(() => page.textContent('#change'), { timeout: 10_000 }).toBe('11.00');
    await page.click('#complete');
    await expect.poll(() => page.textContent('#sale-status'), { timeout: 10_000 }).toBe('completed');
    expect(await page.textContent('#message')).toContain('+18');
    await expect.poll(() => page.textContent('#outbox-depth'), { timeout: 10_000 }).toBe('1');
    await page.close();
  });

  it('pays with points after the PIN prompt, then refunds the sale from the refund panel, showing what goes back where', async () => {
    const card = demoChain.members[0]!.cards[0]!;
    const pinHash = await hash('2468');
    t.db.transaction(() => {
      const ctx = { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 };
      applyChange(t.db, { seq: 1, deleted: false, body: { type: 'card', card: { ...card, memberId: 'm-0001', pinHash } } }, ctx);
      applyChange(t.db, { seq: 2, deleted: false, body: { type: 'setting', key: 'cardPinRequiredAboveMinor', value: 1_000 } }, ctx);
    })();
    const page = await browser.newPage();
    await page.goto(url);
    await page.fill('#barcode', '6907028100122'); // ¥59.90
    await page.press('#barcode', 'Enter');
    await expect.poll(() => page.textContent('#total'), { timeout: 10_000 }).toBe('59.90');
    await page.fill('#card-no', '8F3A21C4');
    await page.press('#card-no', 'Enter');
    await expect.poll(() => page.textContent('#member-panel'), { timeout: 10_000 }).toContain('张伟');

    await page.fill('#points-amount', '2000');
    await page.click('#pay-points');
    await page.waitForSelector('#pin-dialog[open]');
    await page.fill('#pin-input', '1111');
    await page.click('#pin-ok');
    await expect.poll(() => page.textContent('#pin-reason'), { timeout: 10_000 }).toContain('Wrong PIN');
    await page.waitForSelector('#pin-dialog[open]');
    await page.fill('#pin-input', '2468');
    await page.click('#pin-ok');
    await expect.poll(() => page.textContent('#paid'), { timeout: 10_000 }).toBe('20.00');
    expect(await page.textContent('#tenders')).toContain('points 20.00 (2000)');
    await page.click('#pay-cash');
    await page.click('#complete');
    await expect.poll(() => page.textContent('#sale-status'), { timeout: 10_000 }).toBe('completed');

    await page.fill('#refund-card', '8F3A21C4');
    await page.click('#refund-find');
    await page.locator('.refund-sale').first().click(); // newest first
    await expect.poll(() => page.locator('#refund-lines tr').count(), { timeout: 10_000 }).toBe(1);
    await page.fill('.refund-qty', '1');
    await page.click('#refund-do');
    // The panel shows the sale (with its total) until the refund's answer replaces it: wait for that.
    await expect.poll(() => page.textContent('#refund-result'), { timeout: 10_000 }).toContain('退款 Refunded 59.90');
    const result = await page.textContent('#refund-result');
    expect(result).toContain('积分 Points 20.00 → 2000 积分 points back');
    expect(result).toContain('现金 Cash 39.90');
    expect(result).toContain('扣回积分 Points taken back 119');

    // The member desk is for who holds member.write: a cashier is refused; for the store manager it needs HQ (HQ_OFFLINE), nothing else happens.
    await page.click('#desk-panel summary >> nth=0');
    await page.fill('#reg-name', '赵敏');
    await page.fill('#reg-phone', '13700000001');
    await page.click('#reg-do');
    await expect.poll(() => page.textContent('#message'), { timeout: 10_000 }).toContain('FORBIDDEN');
    await signInTill(url, 'c'.repeat(64), pinOf(TILL_MANAGER));
    await page.click('#reg-do');
    await expect.poll(() => page.textContent('#message'), { timeout: 10_000 }).toContain('HQ_OFFLINE');
    await page.close();
  });
});
