import type { DayCloseDocument } from '../core/day-close';
import type { RefundDocument } from '../core/refund';
import type { TopUpRefundDocument } from '../core/top-up';
import type { Receipt, ReceiptLine } from '../drivers';
import { gb18030 } from '../drivers/printer/receipt';
import { leftRight, printedColumns, wrapColumns } from '../protocols/escpos/text';
import { formatMajor } from '../core/money';
import { localTime } from '../core/time';
import { formatKilograms, type LineMeasure } from '../core/weighed';
import type { SaleView } from './checkout';
import { currencySign, receiptText, type Language } from './i18n';
import type { ShiftReport } from './shift';

export interface ReceiptStore {
  storeName: string;
  chainName: string;
  terminalId: string;
  timeZone: string;
  language: Language;
}

/** Columns `text` takes on the receipt printer, in the GB18030 two-byte mode it prints in (× and ¥ take two). */
export function printWidth(text: string): number {
  return printedColumns(text, gb18030);
}

/** `left` and `right` on one line of `width` columns (right-aligned amount), cut on the left if too long. */
export function twoColumns(left: string, right: string, width: number): string {
  return leftRight(left, right, width, gb18030);
}

/** Lines wider than the paper (double-size ones count twice) broken where the layout chooses, not where the printer runs out. */
function fitToPaper(lines: readonly ReceiptLine[], width: number): ReceiptLine[] {
  return lines.flatMap((l) => wrapColumns(l.text, Math.floor(width / (l.size ?? 1)), gb18030).map((text) => ({ ...l, text })));
}

function hhmm(ms: number, timeZone: string): string {
  const t = localTime(ms, timeZone);
  const h = Math.floor(t.minuteOfDay / 60).toString().padStart(2, '0');
  const m = (t.minuteOfDay % 60).toString().padStart(2, '0');
  return `${t.date} ${h}:${m}`;
}

/** "1.234 kg × ¥12.80/kg": a weighed line's weight and price per kilogram, the same in every language. */
export function weighedText(m: LineMeasure, money: (minor: number) => string): string {
  return `${formatKilograms(m.grams)} kg × ${money(m.pricePerKgMinor)}/kg`;
}

/** Card numbers on paper show only their last four characters. */
export function maskCardNo(cardNo: string): string {
  return cardNo.length <= 4 ? cardNo : `${'*'.repeat(Math.min(4, cardNo.length - 4))}${cardNo.slice(-4)}`;
}

/**
 * The printed receipt of a completed sale, in the store's language: header, one or two lines per
 * item, total, each tender (cash with change), member and points, and the sale id as a QR code so
 * a return can find the sale by scanning it.
 */
export function saleReceipt(sale: SaleView, store: ReceiptStore, o: { widthChars?: number; offline?: boolean } = {}): Receipt {
  const width = o.widthChars ?? 48;
  const lang = store.language;
  const t = (k: Parameters<typeof receiptText>[1]) => receiptText(lang, k);
  const money = (minor: number) => `${currencySign(sale.currency)}${formatMajor(minor, sale.currency)}`;
  const rule: ReceiptLine = { text: '-'.repeat(width) };
  const lines: ReceiptLine[] = [
    { text: store.storeName, align: 'center', bold: true, size: 2 },
    ...(store.chainName ? [{ text: store.chainName, align: 'center' as const }] : []),
    { text: `${t('sale')}: ${sale.id}` },
    { text: `${t('time')}: ${hhmm(sale.completedAt ?? sale.openedAt, store.timeZone)}  ${t('terminal')}: ${store.terminalId}` },
    rule,
  ];
  let count = 0;
  let savings = 0;
  const labels = new Map((sale.adjustments ?? []).map((a) => [a.promotionId, lang === 'zh-CN' ? a.label.zh : a.label.en]));
  for (const l of sale.lines) {
    count += l.quantity;
    // Each line at its full price, then every promotion's share of it on its own line.
    const gross = l.unitPriceMinor * l.quantity;
    if (l.measure) {
      // A weighed line: its name, then weight × price per kg and the amount (1.234 kg × ¥12.80/kg  ¥15.80).
      lines.push({ text: l.name });
      lines.push({ text: twoColumns(`  ${weighedText(l.measure, money)}`, money(gross), width) });
    } else if (l.quantity === 1) {
      lines.push({ text: twoColumns(l.name, money(gross), width) });
    } else {
      lines.push({ text: l.name });
      lines.push({ text: twoColumns(`  ${l.quantity} x ${money(l.unitPriceMinor)}`, money(gross), width) });
    }
    for (const p of l.promotions ?? []) {
      savings += p.discountMinor;
      lines.push({ text: twoColumns(`  ${labels.get(p.promotionId) ?? p.promotionId}`, `-${money(p.discountMinor)}`, width) });
    }
    // The cashier's changes, so that the lines still add up to the total.
    if (l.priceOverride) lines.push({ text: `  ${lang === 'zh-CN' ? '改价，原价' : 'Price changed, was'} ${money(l.priceOverride.listUnitPriceMinor)}` });
    for (const d of l.manualDiscounts ?? []) {
      savings += d.discountMinor;
      lines.push({ text: twoColumns(`  ${lang === 'zh-CN' ? '手工折扣' : 'Manual discount'}`, `-${money(d.discountMinor)}`, width) });
    }
  }
  lines.push(rule);
  lines.push({ text: twoColumns(`${t('items')}`, String(count), width) });
  if (savings > 0) lines.push({ text: twoColumns(t('savings'), `-${money(savings)}`, width) });
  lines.push({ text: twoColumns(t('total'), money(sale.totalMinor), width), bold: true });
  for (const tender of sale.tenders) {
    if (tender.kind === 'cash') {
      lines.push({ text: twoColumns(t('cash'), money(tender.tenderedMinor), width) });
      if (tender.changeMinor > 0) lines.push({ text: twoColumns(t('change'), money(tender.changeMinor), width) });
    } else if (tender.kind === 'points') {
      lines.push({ text: twoColumns(`${t('points')} (${tender.points}${t('pointsUnit')})`, money(tender.amountMinor), width) });
    } else {
      lines.push({ text: twoColumns(t(tender.kind), money(tender.amountMinor), width) });
    }
  }
  if (sale.member) {
    lines.push(rule);
    lines.push({ text: `${t('member')}: ${sale.member.name} (${maskCardNo(sale.member.cardNo)})` });
    lines.push({ text: twoColumns(t('pointsEarned'), `+${sale.pointsEarned}`, width) });
  }
  if (o.offline) lines.push({ text: t('offline') });
  lines.push({ text: '' });
  lines.push({ text: t('thanks'), align: 'center' });
  return { id: sale.id, lines: fitToPaper(lines, width), qr: sale.id };
}

/** An X (mid-shift) or Z (shift close) report as the printer prints it, in the store's language. */
export function shiftReportReceipt(
  report: ShiftReport,
  store: ReceiptStore & { currency: string },
  o: { widthChars?: number; operatorName?: string } = {},
): Receipt {
  const width = o.widthChars ?? 48;
  const zh = store.language === 'zh-CN';
  const money = (minor: number) => `${currencySign(store.currency)}${formatMajor(minor, store.currency)}`;
  const tenderWord: Record<string, string> = zh
    ? { cash: '现金', stored_value: '储值卡', points: '积分抵现', bank_card: '银行卡' }
    : { cash: 'Cash', stored_value: 'Stored value', points: 'Points', bank_card: 'Bank card' };
  const rule: ReceiptLine = { text: '-'.repeat(width) };
  const section = (title: string, by: Record<string, number>): ReceiptLine[] => {
    const entries = Object.entries(by).filter(([, v]) => v !== 0);
    if (!entries.length) return [];
    return [{ text: title, bold: true }, ...entries.map(([k, v]) => ({ text: twoColumns(`  ${tenderWord[k] ?? k}`, money(v), width) }))];
  };
  const lines: ReceiptLine[] = [
    { text: store.storeName, align: 'center', bold: true },
    { text: report.kind === 'Z' ? (zh ? 'Z 报表（交班）' : 'Z report (shift close)') : zh ? 'X 报表（当班）' : 'X report (mid-shift)', align: 'center', bold: true, size: 2 },
    { text: `${zh ? '收银机' : 'Till'}: ${store.terminalId}  ${zh ? '班次' : 'Shift'}: ${report.shiftId.slice(-8)}` },
    ...(o.operatorName ? [{ text: `${zh ? '收银员' : 'Cashier'}: ${o.operatorName}` }] : []),
    { text: `${zh ? '开班' : 'Opened'}: ${hhmm(report.openedAt, store.timeZone)}` },
    { text: `${zh ? '截至' : 'Until'}: ${hhmm(report.until, store.timeZone)}` },
    rule,
    { text: twoColumns(zh ? '销售笔数' : 'Sales', String(report.totals.salesCount), width) },
    { text: twoColumns(zh ? '退货笔数' : 'Refunds', String(report.totals.refundsCount), width) },
    ...section(zh ? '销售' : 'Sales by tender', report.totals.sales),
    ...section(zh ? '退款' : 'Refunds by tender', report.totals.refunds),
    ...section(zh ? '充值' : 'Top-ups', report.totals.topUps),
    ...section(zh ? '充值退款' : 'Top-up refunds', report.totals.topUpRefunds),
    rule,
    { text: twoColumns(zh ? '备用金' : 'Float', money(report.floatMinor), width) },
    { text: twoColumns(zh ? '应有现金' : 'Expected cash', money(report.expectedCashMinor), width), bold: true },
  ];
  if (report.countedCashMinor !== null) lines.push({ text: twoColumns(zh ? '实点现金' : 'Counted cash', money(report.countedCashMinor), width) });
  if (report.differenceMinor !== null) lines.push({ text: twoColumns(zh ? '差额' : 'Difference', money(report.differenceMinor), width), bold: true });
  return { id: `${report.kind}-${report.shiftId}-${report.until}`, lines: fitToPaper(lines, width) };
}

/** The slip of a top-up (充值): principal paid, bonus given by the tier, balances after, in the store's language. */
export function topUpReceipt(
  t: { id: string; cardNo: string; memberName: string; principalMinor: number; bonusMinor: number; tender: 'cash' | 'bank_card'; balance: { principalMinor: number; bonusMinor: number }; at: number },
  store: ReceiptStore & { currency: string },
  o: { widthChars?: number } = {},
): Receipt {
  const width = o.widthChars ?? 48;
  const zh = store.language === 'zh-CN';
  const money = (minor: number) => `${currencySign(store.currency)}${formatMajor(minor, store.currency)}`;
  return {
    id: t.id,
    qr: t.id,
    lines: fitToPaper([
      { text: store.storeName, align: 'center', bold: true, size: 2 },
      { text: zh ? '会员充值' : 'Stored-value top-up', align: 'center', bold: true },
      { text: `${receiptText(store.language, 'sale')}: ${t.id}` },
      { text: `${receiptText(store.language, 'time')}: ${hhmm(t.at, store.timeZone)}  ${receiptText(store.language, 'terminal')}: ${store.terminalId}` },
      { text: '-'.repeat(width) },
      { text: `${receiptText(store.language, 'member')}: ${t.memberName} (${maskCardNo(t.cardNo)})` },
      { text: twoColumns(zh ? '充值金额' : 'Paid in', money(t.principalMinor), width) },
      { text: twoColumns(zh ? '赠送金额' : 'Bonus', money(t.bonusMinor), width) },
      { text: twoColumns(receiptText(store.language, t.tender), money(t.principalMinor), width) },
      { text: '-'.repeat(width) },
      { text: twoColumns(zh ? '本金余额' : 'Principal balance', money(t.balance.principalMinor), width), bold: true },
      { text: twoColumns(zh ? '赠送余额' : 'Bonus balance', money(t.balance.bonusMinor), width) },
      { text: '' },
      { text: receiptText(store.language, 'thanks'), align: 'center' },
    ], width),
  };
}

/** Who did it and where, for the slips of money actions: the till and the operator signed in. */
export interface SlipContext {
  cashierName?: string;
  at: number;
}

function slipFrame(store: ReceiptStore & { currency: string }, width: number) {
  const zh = store.language === 'zh-CN';
  const money = (minor: number) => `${currencySign(store.currency)}${formatMajor(minor, store.currency)}`;
  const rule: ReceiptLine = { text: '-'.repeat(width) };
  const head = (title: string, docLabel: string, docId: string, c: SlipContext): ReceiptLine[] => [
    { text: store.storeName, align: 'center', bold: true, size: 2 },
    { text: title, align: 'center', bold: true },
    { text: `${docLabel}: ${docId}` },
    { text: `${receiptText(store.language, 'time')}: ${hhmm(c.at, store.timeZone)}  ${receiptText(store.language, 'terminal')}: ${store.terminalId}` },
    ...(c.cashierName ? [{ text: `${zh ? '收银员' : 'Cashier'}: ${c.cashierName}` }] : []),
    rule,
  ];
  // The member signs the store's copy: proof the money or the card was handed back.
  const signHere = `${zh ? '会员签名' : 'Member signature'}: `;
  const signature: ReceiptLine[] = [{ text: '' }, { text: '' }, { text: `${signHere}${'_'.repeat(Math.max(8, width - printWidth(signHere)))}` }, { text: '' }];
  return { zh, money, rule, head, signature };
}

export interface RefundSlipInput {
  refund: RefundDocument;
  /** Names of the original sale's lines, by line number (a sale made elsewhere may not have them here). */
  lineNames: ReadonlyMap<number, string>;
  member?: { name: string; cardNo: string };
}

/**
 * The refund slip (退货单): the lines returned, what went back through which tender (cash, stored
 * value principal and bonus, points, bank card to return by hand), points taken back, the original
 * sale's reference, the cashier, and a line for the member's signature.
 */
export function refundReceipt(r: RefundSlipInput, c: SlipContext, store: ReceiptStore & { currency: string }, o: { widthChars?: number } = {}): Receipt {
  const width = o.widthChars ?? 48;
  const { zh, money, rule, head, signature } = slipFrame(store, width);
  const doc = r.refund;
  const lines: ReceiptLine[] = [
    ...head(zh ? '退货单' : 'Refund', zh ? '退货单号' : 'Refund', doc.id, c),
    { text: `${zh ? '原销售单' : 'Original sale'}: ${doc.saleId}` },
    rule,
  ];
  for (const l of doc.lines) {
    const name = r.lineNames.get(l.lineNo) ?? `#${l.lineNo}`;
    lines.push({ text: twoColumns(`${name} x${l.quantity}`, `-${money(l.amountMinor)}`, width) });
  }
  lines.push(rule);
  lines.push({ text: twoColumns(zh ? '退款合计' : 'Refund total', money(doc.totalMinor), width), bold: true });
  for (const tn of doc.tenders) {
    if (tn.amountMinor === 0 && tn.points === 0) continue;
    if (tn.kind === 'stored_value') {
      lines.push({ text: twoColumns(zh ? '退回储值卡' : 'Back to stored value', money(tn.amountMinor), width) });
      for (const part of ['principal', 'bonus'] as const) {
        const sum = tn.legs.filter((g) => g.part === part).reduce((a, g) => a + g.amount, 0);
        if (sum > 0) lines.push({ text: twoColumns(`  ${part === 'principal' ? (zh ? '本金' : 'Principal') : zh ? '赠送' : 'Bonus'}`, money(sum), width) });
      }
    } else if (tn.kind === 'points') {
      lines.push({ text: twoColumns(`${zh ? '退回积分' : 'Points back'} (${tn.points}${receiptText(store.language, 'pointsUnit')})`, money(tn.amountMinor), width) });
    } else if (tn.kind === 'bank_card') {
      lines.push({ text: twoColumns(zh ? '退回银行卡' : 'Back to bank card', money(tn.amountMinor), width) });
      lines.push({ text: zh ? '  （在银行卡终端退款）' : '  (refunded on the card terminal)' });
    } else {
      lines.push({ text: twoColumns(zh ? '退回现金' : 'Cash back', money(tn.amountMinor), width) });
    }
  }
  if (r.member) {
    lines.push(rule);
    lines.push({ text: `${receiptText(store.language, 'member')}: ${r.member.name} (${maskCardNo(r.member.cardNo)})` });
  }
  if (doc.pointsReversed > 0) lines.push({ text: twoColumns(zh ? '扣回本单积分' : 'Points earned taken back', `-${doc.pointsReversed}`, width) });
  lines.push(...signature);
  return { id: doc.id, lines: fitToPaper(lines, width), qr: doc.id };
}

/** The slip of a top-up refund (充值退款): principal paid back, bonus taken back, the top-up it undoes. */
export function topUpRefundReceipt(
  r: { refund: TopUpRefundDocument; memberName: string; cardNo: string },
  c: SlipContext,
  store: ReceiptStore & { currency: string },
  o: { widthChars?: number } = {},
): Receipt {
  const width = o.widthChars ?? 48;
  const { zh, money, rule, head, signature } = slipFrame(store, width);
  const doc = r.refund;
  return {
    id: doc.id,
    qr: doc.id,
    lines: fitToPaper([
      ...head(zh ? '充值退款' : 'Top-up refund', zh ? '退款单号' : 'Refund', doc.id, c),
      { text: `${zh ? '原充值单' : 'Original top-up'}: ${doc.topUpId}` },
      { text: `${receiptText(store.language, 'member')}: ${r.memberName} (${maskCardNo(r.cardNo)})` },
      rule,
      { text: twoColumns(zh ? '退回本金' : 'Principal paid back', money(doc.principalMinor), width), bold: true },
      { text: twoColumns(`  ${receiptText(store.language, doc.tender)}`, money(doc.principalMinor), width) },
      { text: twoColumns(zh ? '扣回赠送' : 'Bonus taken back', `-${money(doc.bonusClawedBackMinor)}`, width) },
      ...signature,
    ], width),
  };
}

export type CardSlipAction = 'issue' | 'replace' | 'freeze' | 'unfreeze' | 'report_lost';

const CARD_ACTION_TITLE: Record<CardSlipAction, { zh: string; en: string }> = {
  issue: { zh: '会员卡发卡', en: 'Member card issued' },
  replace: { zh: '会员卡换卡', en: 'Member card replaced' },
  freeze: { zh: '会员卡冻结', en: 'Member card frozen' },
  unfreeze: { zh: '会员卡解冻', en: 'Member card unfrozen' },
  report_lost: { zh: '会员卡挂失', en: 'Member card reported lost' },
};

/** The slip of a member-desk card action: which card, what became of it, and the stored value it holds (or that moved to the new card). */
export function cardActionReceipt(
  a: { id: string; action: CardSlipAction; memberName: string; cardNo: string; newCardNo?: string; balance: { principalMinor: number; bonusMinor: number }; points: number; reason?: string },
  c: SlipContext,
  store: ReceiptStore & { currency: string },
  o: { widthChars?: number } = {},
): Receipt {
  const width = o.widthChars ?? 48;
  const { zh, money, rule, head, signature } = slipFrame(store, width);
  const title = CARD_ACTION_TITLE[a.action];
  const lines: ReceiptLine[] = [
    ...head(zh ? title.zh : title.en, zh ? '业务单号' : 'Reference', a.id, c),
    { text: `${receiptText(store.language, 'member')}: ${a.memberName}` },
    { text: `${zh ? (a.newCardNo ? '原卡' : '卡号') : a.newCardNo ? 'Old card' : 'Card'}: ${maskCardNo(a.cardNo)}` },
    ...(a.newCardNo ? [{ text: `${zh ? '新卡' : 'New card'}: ${maskCardNo(a.newCardNo)}` }] : []),
    ...(a.reason ? [{ text: `${zh ? '原因' : 'Reason'}: ${a.reason}` }] : []),
    rule,
    { text: twoColumns(a.newCardNo ? (zh ? '新卡本金余额' : 'New card principal') : zh ? '本金余额' : 'Principal balance', money(a.balance.principalMinor), width) },
    { text: twoColumns(a.newCardNo ? (zh ? '新卡赠送余额' : 'New card bonus') : zh ? '赠送余额' : 'Bonus balance', money(a.balance.bonusMinor), width) },
    { text: twoColumns(zh ? '积分' : 'Points', String(a.points), width) },
  ];
  if (a.action === 'report_lost' || a.action === 'freeze') lines.push({ text: zh ? '此卡已停止消费，余额保留。' : 'The card can no longer pay; its balance is kept.' });
  lines.push(...signature);
  return { id: a.id, lines: fitToPaper(lines, width) };
}

/** The slip of a balance transfer between a member's cards (余额转移): how much moved, and both cards' balances after. */
export function balanceTransferReceipt(
  t: {
    id: string;
    memberName: string;
    from: { cardNo: string; principalMinor: number; bonusMinor: number };
    to: { cardNo: string; principalMinor: number; bonusMinor: number };
    amountMinor: number;
  },
  c: SlipContext,
  store: ReceiptStore & { currency: string },
  o: { widthChars?: number } = {},
): Receipt {
  const width = o.widthChars ?? 48;
  const { zh, money, rule, head, signature } = slipFrame(store, width);
  return {
    id: t.id,
    lines: fitToPaper([
      ...head(zh ? '余额转移' : 'Balance transfer', zh ? '业务单号' : 'Reference', t.id, c),
      { text: `${receiptText(store.language, 'member')}: ${t.memberName}` },
      { text: `${zh ? '转出卡' : 'From card'}: ${maskCardNo(t.from.cardNo)}` },
      { text: `${zh ? '转入卡' : 'To card'}: ${maskCardNo(t.to.cardNo)}` },
      rule,
      { text: twoColumns(zh ? '转移金额' : 'Amount moved', money(t.amountMinor), width), bold: true },
      { text: twoColumns(zh ? '转出卡余额' : 'From card balance', money(t.from.principalMinor + t.from.bonusMinor), width) },
      { text: twoColumns(zh ? '转入卡余额' : 'To card balance', money(t.to.principalMinor + t.to.bonusMinor), width) },
      ...signature,
    ], width),
  };
}

/** The day-close summary (日结单): money in and out by tender, counts, top-ups, and the events it covers. */
export function dayCloseReceipt(d: DayCloseDocument, c: SlipContext, store: ReceiptStore & { currency: string }, o: { widthChars?: number } = {}): Receipt {
  const width = o.widthChars ?? 48;
  const { zh, money, rule, head } = slipFrame(store, width);
  const lines: ReceiptLine[] = [
    ...head(zh ? `日结单 ${d.businessDate}` : `Day close ${d.businessDate}`, zh ? '日结单号' : 'Close', d.id, c),
    { text: twoColumns(zh ? '销售笔数' : 'Sales', String(d.saleCount), width) },
    { text: twoColumns(zh ? '退货笔数' : 'Refunds', String(d.refundCount), width) },
    rule,
    { text: zh ? '按支付方式（收入 / 退出 / 净额）' : 'By tender (in / out / net)', bold: true },
  ];
  let net = 0;
  for (const tn of d.tenders) {
    lines.push({ text: receiptText(store.language, tn.kind) });
    lines.push({ text: twoColumns(`  ${money(tn.salesMinor)} / -${money(tn.refundsMinor)}`, money(tn.salesMinor - tn.refundsMinor), width) });
    net += tn.salesMinor - tn.refundsMinor;
  }
  lines.push(rule);
  lines.push({ text: twoColumns(zh ? '净额合计' : 'Net total', money(net), width), bold: true });
  lines.push({ text: twoColumns(zh ? '其中充值' : 'Of which top-ups', money(d.topUpTotalMinor), width) });
  lines.push({ text: `${zh ? '事件' : 'Events'}: ${d.firstSeq}-${d.lastSeq}` });
  lines.push({ text: `${zh ? '校验' : 'Chain'}: ${d.eventsChain.slice(0, 16)}` });
  return { id: `day-close-${d.id}`, lines: fitToPaper(lines, width) };
}
