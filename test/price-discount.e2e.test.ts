import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { CHROMIUM } from './support/cashier-browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTerminal } from '../terminal';
import { startCashierAppOnLane, type CashierAppOnLane } from './support/simulated-till';

/**
 * The cashier app's price override (⇧F3) and manual discount (⇧F6) in Chromium, against a real
 * terminal on a simulated lane and a real HQ: a cashier without the permissions is asked for the
 * store manager, the lines say what was changed, and the sale reaches HQ accepted.
 */

const DETERGENT = '6902865001182'; // 洗衣液 2kg ¥39.90
const BUTTER = '9415123000218'; // ¥32.90

describe.skipIf(!existsSync(CHROMIUM))('cashier app: price override and manual discount', () => {
  let app: CashierAppOnLane;
  let terminal: RunningTerminal;
  let page: Page;

  beforeAll(async () => {
    app = await startCashierAppOnLane({ folderPrefix: 'onecard-price-discount-', paymentResponse_ms: 1000 });
    ({ terminal, page } = app);
  }, 120_000);
  afterAll(() => app?.stop());

  const text = (sel: string) => page.textContent(sel).then((s) => s ?? '');
  async function enter(code: string) {
    await page.fill('#code-input', code);
    await page.press('#code-input', 'Enter');
  }
  async function supervisor() {
    await expect.poll(() => page.isVisible('#sup-login'), { timeout: 10_000 }).toBe(true);
    await page.fill('#sup-login', 'sh01.manager');
    await page.fill('#sup-pin', '5100');
    await page.keyboard.press('Enter');
  }

  it('⇧F3 overrides the selected line’s price and ⇧F6 takes 10% off the basket, each approved by the store manager; HQ accepts the sale', async () => {
    await enter(DETERGENT);
    await enter(BUTTER);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥72.80');
    await page.click('#basket-body tr[data-line="1"] td:nth-child(2)');

    expect(await text('#btn-price')).toContain('改价');
    await page.keyboard.press('Shift+F3');
    await page.fill('#pd-price', '30.00');
    await page.fill('#pd-reason', '包装破损');
    await page.keyboard.press('Enter');
    await supervisor();
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥62.90');
    expect(await text('#basket-body tr[data-line="1"] .override')).toBe('改价 · 原价 ¥39.90 · 包装破损');

    await page.keyboard.press('Shift+F6');
    await page.fill('#pd-value', '10%');
    // Line 1 is still selected, so the dialog offers it first; the discount is for the whole basket.
    expect(await page.inputValue('#pd-scope')).toBe('1');
    await page.selectOption('#pd-scope', '');
    await page.fill('#pd-reason', '老顾客');
    await page.keyboard.press('Enter');
    await supervisor();
    // 10% of ¥62.90 = ¥6.29, shared ¥3.00 / ¥3.29 over the two lines.
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥56.61');
    expect(await text('#basket-body tr[data-line="1"] .manual')).toBe('手工折扣 −¥3.00');
    expect(await text('#basket-body tr[data-line="2"] .manual')).toBe('手工折扣 −¥3.29');

    await page.keyboard.press('F5');
    await page.fill('#tender-amount', '60');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 15_000 }).toBe('completed');
    await terminal.syncNow();
    const events = (await app.hq.sql`select status from events where terminal_id = 't-sh-01-1' and kind = 'sale'`) as Array<{ status: string }>;
    expect(events).toEqual([{ status: 'applied' }]);
  });
});
