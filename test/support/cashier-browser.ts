import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, headless, with the flags of DESIGN §7 (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Opens a till's cashier app in Chromium at the size of a counter screen, page errors logged,
 * once the app shows HQ online.
 */
export async function openCashierApp(appUrl: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(appUrl);
  await page.waitForSelector('#hq-status[data-state="online"]', { timeout: 15_000 });
  return { browser, page };
}
