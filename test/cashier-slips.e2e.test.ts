import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { CHROMIUM } from './support/cashier-browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import type { RunningTerminal } from '../terminal';
import { startCashierAppOnLane, type CashierAppOnLane } from './support/simulated-till';

/**
 * The cashier app in Chromium against a real terminal (simulated lane speaking the real device
 * bytes) and a real HQ: the bank terminal's own progress frames on screen, the refund slip and the
 * day close printed, each slip decoded from the printer's ESC/POS bytes.
 */

const MILK = '6907028100122'; // 纯牛奶 ¥59.90

describe.skipIf(!existsSync(CHROMIUM))('cashier app: card terminal progress, refund slip, day close', () => {
  let app: CashierAppOnLane;
  let terminal: RunningTerminal;
  let lane: VirtualDevices;
  let page: Page;
  let cardSaleId = '';

  beforeAll(async () => {
    // A customer slow at the PIN pad must not look like a lost answer.
    app = await startCashierAppOnLane({ folderPrefix: 'onecard-slips-', paymentResponse_ms: 30_000 });
    ({ terminal, lane, page } = app);
  }, 120_000);
  afterAll(() => app?.stop());

  const text = (sel: string) => page.textContent(sel).then((s) => s ?? '');
  const receipts = () => lane.printer.receipts();
  const printedLines = (i: number) => receipts()[i]!.lines.map((l) => l.replace(/\s+$/, ''));
  async function enter(code: string) {
    await page.fill('#code-input', code);
    await page.press('#code-input', 'Enter');
  }
  async function saleDone() {
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 15_000 }).toBe('completed');
  }
  async function cardSaleHeldAtPin(): Promise<void> {
    lane.paymentTerminal.holdAfter('81');
    await enter(MILK);
    // The sale before also showed ¥59.90 once completed: wait for the new one to be open with the milk.
    await expect.poll(() => page.getAttribute('#sale-status', 'data-status'), { timeout: 10_000 }).toBe('open');
    await expect.poll(() => text('#total'), { timeout: 10_000 }).toBe('¥59.90');
    await page.keyboard.press('F8');
    await page.keyboard.press('Enter');
    // The terminal sent 0900|81 and waits for the customer: the dialog says so, nothing else made it up.
    await expect.poll(() => page.getAttribute('#card-progress', 'data-stage'), { timeout: 15_000 }).toBe('ENTER_PIN');
    expect(lane.paymentTerminal.statusSent.at(-1)).toBe('0900|81');
  }

  it('a bank-card sale shows "请输入密码" / "Enter PIN" when the terminal sends its PIN frame, then completes once the customer is done', async () => {
    const chargedBefore = lane.snapshot().bankCharged_minor;
    await cardSaleHeldAtPin();
    expect(await text('#card-progress')).toContain('请输入密码');
    lane.paymentTerminal.release();
    await saleDone();
    expect(lane.snapshot().bankCharged_minor).toBe(chargedBefore + 5990);
    cardSaleId = (await page.evaluate(() => (window as unknown as { onecard: { state: { lastSale: { id: string } } } }).onecard.state.lastSale.id)) ?? '';
    await expect.poll(() => receipts().some((r) => r.qrCodes.includes(cardSaleId)), { timeout: 15_000 }).toBe(true);

    await page.keyboard.press('F12');
    await cardSaleHeldAtPin();
    expect(await text('#card-progress')).toContain('Enter PIN');
    lane.paymentTerminal.release();
    await saleDone();
    await page.keyboard.press('F12');
    expect(lane.snapshot().bankCharged_minor).toBe(chargedBefore + 2 * 5990);
  });

  it('a return prints a refund slip: the line, the bank card to refund on the terminal, the original sale, the cashier, a signature line', async () => {
    expect(cardSaleId).not.toBe('');
    const before = receipts().length;
    await page.keyboard.press('Shift+F4');
    await page.fill('#return-find', cardSaleId);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#return-lines input[data-line="1"]');
    await page.fill('#return-lines input[data-line="1"]', '1');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#refund-total'), { timeout: 15_000 }).toBe('¥59.90');
    await expect.poll(() => receipts().slice(before).findIndex((r) => r.lines.includes('退货单')), { timeout: 15_000 }).toBeGreaterThanOrEqual(0);
    const slip = printedLines(before + receipts().slice(before).findIndex((r) => r.lines.includes('退货单')));
    expect(slip).toContain(`原销售单: ${cardSaleId}`);
    expect(slip.some((l) => /^纯牛奶.* x1 +-￥59\.90$/.test(l))).toBe(true);
    expect(slip.some((l) => /^退款合计 +￥59\.90$/.test(l))).toBe(true);
    expect(slip.some((l) => /^退回银行卡 +￥59\.90$/.test(l))).toBe(true);
    expect(slip).toContain('收银员: 收银员 顾小燕');
    expect(slip.some((l) => l.startsWith('会员签名: ____'))).toBe(true);
    await page.keyboard.press('Escape');
  });

  it('after the shift closes, the day-close button (confirmed) shows the totals by tender and prints the day-close summary', async () => {
    await page.keyboard.press('Shift+F1');
    await page.waitForSelector('#shift-float');
    await page.fill('#shift-float', '0');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#message'), { timeout: 10_000 }).toContain('已开班');
    await page.keyboard.press('Shift+F1');
    await page.waitForSelector('#shift-counted');
    await page.fill('#shift-counted', '0');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#day-close-button');
    const before = receipts().length;
    await page.click('#day-close-button');
    expect(await page.isVisible('#day-close-confirm')).toBe(true);
    await page.click('#day-close-yes');
    await page.waitForSelector('#day-close[data-state="closed"]', { timeout: 15_000 });
    // Two card sales of ¥59.90 in, one refunded: the bank-card row says so.
    const row = await text('#day-close-tenders tr[data-kind="bank_card"]');
    expect(row).toContain('¥119.80');
    expect(row).toContain('¥59.90');
    await expect.poll(() => receipts().slice(before).findIndex((r) => r.lines.some((l) => l.startsWith('日结单 '))), { timeout: 15_000 }).toBeGreaterThanOrEqual(0);
    const summary = printedLines(before + receipts().slice(before).findIndex((r) => r.lines.some((l) => l.startsWith('日结单 '))));
    expect(summary.some((l) => /^ +￥119\.80 \/ -￥59\.90 +￥59\.90$/.test(l))).toBe(true);
    expect(summary).toContain('银行卡');
    expect(summary.some((l) => /^退货笔数 +1$/.test(l))).toBe(true);
  });
});
