import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceFactory } from '../drivers';
import { demoChain } from '../fixtures/data/demo-chain';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';
import { StoreLane } from './devices';
import { SlipPrinter } from './slips-api';
import { openTestTerminal, type TestTerminal } from './testing';

const MILK = '6907028100122'; // ¥59.90
const GOLD_CARD = '5B7E0D92'; // m-0002 gold, principal 523.00 bonus 80.00
const chainKey = new TextEncoder().encode('slips-test-key');

/** Slips printed from what the till recorded, through the simulated printer's real ESC/POS bytes. */
describe('slips of money actions at the lane', () => {
  let t: TestTerminal;
  let sim: VirtualDevices;
  let lane: StoreLane;
  let slips: SlipPrinter;

  beforeAll(async () => {
    t = openTestTerminal(demoChain);
    sim = new VirtualDevices(chainKey, { paymentResponse_ms: 1000 });
    lane = new StoreLane({ config: sim.config, factory: createDeviceFactory({ simulators: sim.transports, chainKey }), panel: sim }, t.db);
    await lane.start();
    slips = new SlipPrinter({ db: t.db, lane, store: { terminalId: 't-test-1', storeName: '测试店', chainName: 'OneCard', currency: 'CNY', timeZone: 'Asia/Shanghai' }, language: 'zh-CN', clock: () => t.clock.now() });
  });
  afterAll(async () => {
    await lane.stop();
    t.db.close();
  });

  const trimmed = (lines: string[]) => lines.map((l) => l.replace(/\s+$/, ''));

  it('a refund slip that meets an empty roll waits in the queue and comes out whole with the new roll', async () => {
    const sale = t.checkout.openSale();
    t.checkout.addItem(sale.id, MILK);
    t.checkout.attachMember(sale.id, GOLD_CARD);
    await t.checkout.addStoredValueTender(sale.id, 2000);
    t.checkout.addCashTender(sale.id, t.checkout.getSale(sale.id).dueMinor);
    t.checkout.complete(sale.id);
    const { refund } = t.services.refunds.refund({ saleId: sale.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });

    sim.paperOut();
    const before = sim.printer.receipts().length;
    const outcome = await slips.print(slips.refundSlip(refund.id));
    expect(outcome.status).toBe('queued');
    expect(lane.waitingReceipts()).toBe(1);

    sim.loadPaper();
    await expect.poll(() => sim.printer.receipts().slice(before).some((r) => r.lines.includes('退货单')), { timeout: 10_000 }).toBe(true);
    const printed = trimmed(sim.printer.receipts().slice(before).find((r) => r.lines.includes('退货单'))!.lines);
    expect(printed).toContain(`原销售单: ${sale.id}`);
    expect(printed.some((l) => /^纯牛奶.* x1 +-￥59\.90$/.test(l))).toBe(true);
    expect(printed.some((l) => /^退回储值卡 +￥20\.00$/.test(l))).toBe(true);
    expect(printed.some((l) => /^退回现金 +￥39\.90$/.test(l))).toBe(true);
    expect(printed.some((l) => /^扣回本单积分 +-\d+$/.test(l))).toBe(true);
    // Whole: from the store's name to the member's signature line.
    expect(printed).toContain('测试店');
    expect(printed.some((l) => l.startsWith('会员签名: ____'))).toBe(true);
    expect(lane.waitingReceipts()).toBe(0);
  });

  it('a card slip states only what happened: refused while the card is still active, printed once it is frozen', async () => {
    expect(() => slips.cardSlip(GOLD_CARD, { action: 'freeze' })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    // HQ's answer to the freeze, as the member desk applies it to the local cache.
    t.db.prepare("UPDATE cards SET status = 'frozen' WHERE card_no = ?").run(GOLD_CARD);
    const before = sim.printer.receipts().length;
    expect(await slips.print(slips.cardSlip(GOLD_CARD, { action: 'freeze', reason: '会员要求' }))).toEqual({ status: 'printed' });
    await expect.poll(() => sim.printer.receipts().length, { timeout: 10_000 }).toBe(before + 1);
    const printed = trimmed(sim.printer.receipts().at(-1)!.lines);
    expect(printed).toContain('会员卡冻结');
    expect(printed).toContain('卡号: ****0D92');
    expect(printed).toContain('原因: 会员要求');
    expect(printed).toContain('此卡已停止消费，余额保留。');
  });

  it('a slip of a document this till does not have is NOT_FOUND', () => {
    expect(() => slips.refundSlip('no-such-refund')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => slips.dayCloseSlip('no-such-close')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
