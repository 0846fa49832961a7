import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { CHROMIUM } from './support/cashier-browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { gtinCheckDigit } from '../protocols/barcode/gtin';
import { encodeVariableMeasure, type VariableMeasureLayout } from '../protocols/barcode/variable-measure';
import type { RunningTerminal } from '../terminal';
import { startCashierAppOnLane, type CashierAppOnLane } from './support/simulated-till';

/**
 * Items sold by weight in the cashier app (Chromium) against a real terminal with its simulated
 * lane and a real HQ: scale labels through the simulated scanner with nothing focused, a weight
 * keyed with a PLU, a label with a wrong verifier refused; the receipt decoded from the ESC/POS
 * bytes prints each weighed line as "1.234 kg × ¥12.80/kg  ¥15.80".
 */

// The demo lane's layouts (fixtures/simulators/virtual-devices.ts).
const WEIGHT: VariableMeasureLayout = { prefixes: ['28'], itemDigits: 5, value: 'weight', valueDigits: 4, valueCheckDigit: true };
const PRICE: VariableMeasureLayout = { prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false };
const APPLES_1234G = encodeVariableMeasure(WEIGHT, '28', '10001', 1234); // 苹果 ¥12.80/kg → ¥15.80
const DUCK_2345 = encodeVariableMeasure(PRICE, '2', '020001', 2345); // 卤鸭 ¥46.90/kg, printed ¥23.45

/** The apples label with a wrong weight verifier digit (its EAN check digit made right again). */
const BAD_VERIFIER = (() => {
  const body = APPLES_1234G.slice(0, 7) + String((Number(APPLES_1234G[7]) + 1) % 10) + APPLES_1234G.slice(8, 12);
  return body + String(gtinCheckDigit(body));
})();

describe.skipIf(!existsSync(CHROMIUM))('cashier app: items sold by weight', () => {
  let app: CashierAppOnLane;
  let terminal: RunningTerminal;
  let lane: VirtualDevices;
  let page: Page;

  beforeAll(async () => {
    app = await startCashierAppOnLane({ folderPrefix: 'onecard-weighed-app-', paymentResponse_ms: 1000 });
    ({ terminal, lane, page } = app);
  }, 120_000);
  afterAll(() => app?.stop());

  const text = (sel: string) => page.textContent(sel).then((s) => s ?? '');

  it('scale labels and a keyed weight are sold, a wrong verifier is refused, and the receipt prints each weight', async () => {
    const printedBefore = lane.printer.receipts().length;
    // Nothing focused: the scanner's label lands in the sale.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    lane.scan(APPLES_1234G);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥15.80');
    expect(await text('#basket-body tr:nth-child(1) .weighed')).toBe('1.234 kg × ¥12.80/kg');

    // A weight keyed with the PLU: 0.5 kg of bulk rice at ¥5.98/kg = ¥2.99.
    await page.fill('#code-input', '0.5*10003');
    await page.press('#code-input', 'Enter');
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥18.79');
    expect(await text('#basket-body tr:nth-child(2) .weighed')).toBe('0.500 kg × ¥5.98/kg');

    // The deli scale printed the price: that is the amount, the weight is worked back.
    lane.scan(DUCK_2345);
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥42.24');
    expect(await text('#basket-body tr:nth-child(3) .weighed')).toBe('0.500 kg × ¥46.90/kg');

    // A label whose weight does not match its verifier digit changes nothing.
    lane.scan(BAD_VERIFIER);
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('校验位');
    expect(await text('#total')).toBe('¥42.24');
    expect(await page.locator('#basket-body tr').count()).toBe(3);

    await page.keyboard.press('F5');
    await page.fill('#tender-amount', '50');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 15_000 }).toBe('completed');

    await expect.poll(() => lane.printer.receipts().length, { timeout: 15_000 }).toBe(printedBefore + 1);
    const lines = lane.printer.receipts().at(-1)!.lines.map((l) => l.replace(/\s+$/, ''));
    const at = (name: string) => lines[lines.indexOf(name) + 1];
    expect(at('苹果 (散称)')).toMatch(/^ {2}1\.234 kg × ￥12\.80\/kg +￥15\.80$/);
    expect(at('散装大米')).toMatch(/^ {2}0\.500 kg × ￥5\.98\/kg +￥2\.99$/);
    expect(at('卤鸭 熟食 (称重)')).toMatch(/^ {2}0\.500 kg × ￥46\.90\/kg +￥23\.45$/);
    expect(lines.some((l) => /^合计 +￥42\.24$/.test(l))).toBe(true);
  });
});
