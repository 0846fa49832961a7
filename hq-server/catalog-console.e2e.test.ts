import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { getProduct } from './catalog';
import { startTestHq } from './testing/hq';

/**
 * The console's catalog page in Debian's Chromium against a real HQ: an item sold by weight is
 * changed (price per kg) and one is created (PLU, price per kg); the stored products and the
 * terminals' feed say so.
 */

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('HQ console: catalog, items sold by weight', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    hq = await startTestHq(demoChain, { jobs: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(`${hq.httpUrl}/console/`);
    await page.fill('#sign-in-form input[name=login]', 'admin');
    await page.fill('#sign-in-form input[name=password]', 'onecard-demo');
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#nav a[data-page=catalog]');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hq?.stop();
  });

  const feedHas = async (sku: string) => (await hq.sql`select count(*)::int as n from change_log where kind = 'product' and key = ${sku}`)[0]!.n as number;

  it('changes the price per kg of the apples', async () => {
    await page.click('#nav a[data-page=catalog]');
    await page.fill('#catalog-find input[name=sku]', 'SKU-0067');
    await page.click('#catalog-find button');
    await page.waitForSelector('#catalog-form');
    expect(await page.inputValue('#catalog-form select[name=soldBy]')).toBe('weight');
    expect(await page.inputValue('#catalog-form input[name=pricePerKg]')).toBe('12.80');
    expect(await page.inputValue('#catalog-form input[name=plu]')).toBe('10001');
    const before = await feedHas('SKU-0067');
    await page.fill('#catalog-form input[name=pricePerKg]', '13.80');
    await page.click('#catalog-form button[type=submit]');
    await expect.poll(() => page.textContent('#catalog-status'), { timeout: 10_000 }).toContain('¥13.80/kg');
    expect(await getProduct(hq.sql, 'SKU-0067')).toMatchObject({ soldBy: 'weight', pricePerKgMinor: 1380, plu: '10001' });
    expect(await feedHas('SKU-0067')).toBe(before + 1);
  });

  it('creates a product sold by weight, and says why one without a price per kg is refused', async () => {
    await page.fill('#catalog-find input[name=sku]', 'SKU-PEAR-KG');
    await page.click('#catalog-find button');
    await page.waitForSelector('h2:has-text("New product SKU-PEAR-KG")');
    await page.fill('#catalog-form input[name=barcode]', '6999991000059');
    await page.fill('#catalog-form input[name=name]', 'Pears (per kg)');
    await page.fill('#catalog-form input[name=nameZh]', '梨 (散称)');
    await page.fill('#catalog-form input[name=category]', 'produce');
    await page.fill('#catalog-form input[name=price]', '9.90');
    await page.selectOption('#catalog-form select[name=soldBy]', 'weight');
    await page.fill('#catalog-form input[name=plu]', '10009');
    await page.fill('#catalog-form input[name=pricePerKg]', '');
    await page.click('#catalog-form button[type=submit]');
    await expect.poll(() => page.textContent('#catalog-status'), { timeout: 10_000 }).toContain('yuan');
    await page.fill('#catalog-form input[name=pricePerKg]', '9.90');
    await page.click('#catalog-form button[type=submit]');
    await expect.poll(() => page.textContent('#catalog-status'), { timeout: 10_000 }).toContain('Saved SKU-PEAR-KG');
    expect(await getProduct(hq.sql, 'SKU-PEAR-KG')).toMatchObject({ soldBy: 'weight', pricePerKgMinor: 990, plu: '10009', priceMinor: 990, active: true });
    const [audit] = await hq.sql`select action, operator_id from audit_log where entity_kind = 'product' and entity_id = 'SKU-PEAR-KG'`;
    expect(audit).toMatchObject({ action: 'product.create', operator_id: 'op-admin' });
  });
});
