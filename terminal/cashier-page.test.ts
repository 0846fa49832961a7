import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { openTestTerminal, type TestTerminal } from './testing';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('cashier page in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let t: TestTerminal;

  beforeAll(async () => {
    t = openTestTerminal(demoChain);
    const app = createLocalApi({ checkout: t.checkout, services: t.services, db: t.db, terminal: t.terminal, token: 'c'.repeat(64), link: () => ({ hq: 'offline', lastContactAt: null }), log: () => {} });
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
});
