import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotion } from '../core/pricing';
import { demoChain } from '../fixtures/data/demo-chain';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { applyChange } from './master-data';
import { openTestTerminal, type TestTerminal } from './testing';
import { seedTillOperators, signInTill, testStaff } from './testing-staff';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('cashier page: promotions explained on the lines', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let t: TestTerminal;

  beforeAll(async () => {
    t = openTestTerminal(demoChain);
    const gold = promotion('east-gold', { type: 'memberLevelDiscount', levels: null }, { orgNodeId: 'region-east' });
    const voucher = promotion('east-5-off', { type: 'coupon', benefit: { kind: 'amount', amountMinor: 500 }, minSpendMinor: 2000, maxPerBasket: 1 }, { orgNodeId: 'region-east', group: 'stackable' });
    const ctx = { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 };
    t.db.transaction(() => {
      applyChange(t.db, { seq: 1, deleted: false, body: { type: 'promotion', promotion: gold } }, ctx);
      applyChange(t.db, { seq: 2, deleted: false, body: { type: 'promotion', promotion: voucher } }, ctx);
      applyChange(t.db, { seq: 3, deleted: false, body: { type: 'coupon', coupon: { code: 'BEARER000001', promotionId: 'east-5-off', memberId: null, validTo: null } } }, ctx);
    })();
    await seedTillOperators(t.db);
    const app = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token: 'c'.repeat(64), link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {}, staff: testStaff(t) });
    ({ server, url } = await listenLocalApi(app, '127.0.0.1', 0));
    // This page has no sign-in of its own: it sells for whoever signed in at the till.
    await signInTill(url, 'c'.repeat(64));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  afterAll(async () => {
    await browser?.close();
    if (server) await closeServer(server);
  });

  it("a gold member's 9.5折 shows under the line it took off, and the total is what the engine says", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.fill('#barcode', '6901028001014');
    await page.press('#barcode', 'Enter');
    await page.fill('#barcode', '6901028001014');
    await page.press('#barcode', 'Enter');
    await expect.poll(() => page.textContent('#total'), { timeout: 10_000 }).toBe('6.00');
    await page.fill('#card-no', '5B7E0D92'); // gold
    await page.press('#card-no', 'Enter');
    await expect.poll(() => page.textContent('#total'), { timeout: 10_000 }).toBe('5.70');
    const line = page.locator('#basket tr').first();
    expect(await line.locator('.promo').textContent()).toMatch(/9\.5折.*−0\.30$/);

    // A coupon under its minimum spend says why; over it, it applies.
    await page.fill('#coupon-code', 'bearer000001');
    await page.press('#coupon-code', 'Enter');
    await expect.poll(() => page.textContent('#coupons'), { timeout: 10_000 }).toBe('BEARER000001: MIN_SPEND_NOT_MET');
    for (let i = 0; i < 6; i += 1) {
      await page.fill('#barcode', '6901028001014');
      await page.press('#barcode', 'Enter');
      await expect.poll(() => page.locator('#basket tr').first().locator('td').nth(2).textContent(), { timeout: 10_000 }).toBe(String(3 + i));
    }
    await expect.poll(() => page.textContent('#coupons'), { timeout: 10_000 }).toBe('BEARER000001: 已用 applied');
    expect(await page.textContent('#total')).toBe('17.80'); // 8 × 3.00 at 9.5折 = 22.80, less the 5.00 coupon
    await page.close();
  });
});
