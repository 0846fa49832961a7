import type { Receipt, ReceiptLine } from '../drivers';
import { formatMajor } from '../core/money';
import { localTime } from '../core/time';
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

/** Columns a character takes on a thermal printer: CJK and full-width forms take two. */
export function printWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    const wide =
      (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || c === 0xa5; // ¥ prints as ￥
    w += wide ? 2 : 1;
  }
  return w;
}

/** `left` and `right` on one line of `width` columns (right-aligned amount), cut on the left if too long. */
export function twoColumns(left: string, right: string, width: number): string {
  const room = width - printWidth(right) - 1;
  let l = '';
  for (const ch of left) {
    if (printWidth(l + ch) > room) break;
    l += ch;
  }
  return l + ' '.repeat(Math.max(1, width - printWidth(l) - printWidth(right))) + right;
}

function hhmm(ms: number, timeZone: string): string {
  const t = localTime(ms, timeZone);
  const h = Math.floor(t.minuteOfDay / 60).toString().padStart(2, '0');
  const m = (t.minuteOfDay % 60).toString().padStart(2, '0');
  return `${t.date} ${h}:${m}`;
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
    if (l.quantity === 1) {
      lines.push({ text: twoColumns(l.name, money(gross), width) });
    } else {
      lines.push({ text: l.name });
      lines.push({ text: twoColumns(`  ${l.quantity} x ${money(l.unitPriceMinor)}`, money(gross), width) });
    }
    for (const p of l.promotions ?? []) {
      savings += p.discountMinor;
      lines.push({ text: twoColumns(`  ${labels.get(p.promotionId) ?? p.promotionId}`, `-${money(p.discountMinor)}`, width) });
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
  return { id: sale.id, lines, qr: sale.id };
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
  return { id: `${report.kind}-${report.shiftId}-${report.until}`, lines };
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
    lines: [
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
    ],
  };
}
