/**
 * Explanations a cashier and a customer can read, in English and Chinese, made from the rule's
 * own numbers ("Gold member 9.5折", "满200减30", "Buy 2 get 1 free: Cola 330ml").
 */
import Decimal from 'decimal.js';
import { assertMinor, minorDigits } from '../money';
import { MICRO, rateMicro, type Evaluation, type PricingContext, type WorkLine } from './rules';
import type { Benefit, Label, Promotion } from './types';

const SYMBOL: Record<string, string> = { CNY: '¥', HKD: 'HK$', USD: '$', EUR: '€', JPY: '¥', KRW: '₩' };

/** 20000 → "200", 990 → "9.9": the way prices are said at a till (string work only, no float). */
function major(minor: number, currency: string): string {
  assertMinor(minor);
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  if (digits === 0) return sign + text;
  const fraction = text.slice(-digits).replace(/0+$/, '');
  return sign + text.slice(0, -digits) + (fraction ? `.${fraction}` : '');
}

function money(minor: number, currency: string): string {
  return `${SYMBOL[currency] ?? `${currency} `}${major(minor, currency)}`;
}

const zheCache = new Map<string, string>();
const percentCache = new Map<string, string>();

/** "0.95" → "9.5": the 折 number. */
function zhe(rate: string): string {
  let text = zheCache.get(rate);
  if (text === undefined) zheCache.set(rate, (text = new Decimal(rate).times(10).toString()));
  return text;
}

/** "0.8" → "20": percent off. */
function percentOff(rate: string): string {
  let text = percentCache.get(rate);
  if (text === undefined) percentCache.set(rate, (text = new Decimal(1).minus(rate).times(100).toString()));
  return text;
}

/** The first two distinct product names of the lines, and a mark when there are more. */
function names(lines: readonly WorkLine[]): Label {
  const en: string[] = [];
  const zh: string[] = [];
  let more = false;
  for (const w of lines) {
    const nameEn = w.line.name ?? w.line.sku;
    if (en.includes(nameEn)) continue;
    if (en.length === 2) {
      more = true;
      break;
    }
    en.push(nameEn);
    zh.push(w.line.nameZh ?? nameEn);
  }
  return { en: en.join(', ') + (more ? '…' : ''), zh: zh.join('、') + (more ? '等' : '') };
}

function benefitText(b: Benefit, currency: string): Label {
  if (b.kind === 'amount') return { en: `${money(b.amountMinor, currency)} off`, zh: `减${major(b.amountMinor, currency)}元` };
  const cap = b.capMinor ?? null;
  return {
    en: `${percentOff(b.rate)}% off${cap === null ? '' : ` (up to ${money(cap, currency)})`}`,
    zh: `${zhe(b.rate)}折${cap === null ? '' : `（最高减${major(cap, currency)}元）`}`,
  };
}

/** The label of an applied promotion, given the lines its adjustment touches. */
export function labelFor(p: Promotion, ev: Evaluation | null, ctx: PricingContext, touched: readonly WorkLine[]): Label {
  const c = ctx.currency;
  const rule = p.rule;
  switch (rule.type) {
    case 'memberLevelDiscount': {
      const level = ctx.level!;
      return { en: `${level.name} ${zhe(level.discountRate)}折`, zh: `${level.nameZh ?? level.name} ${zhe(level.discountRate)}折` };
    }
    case 'memberPrice': {
      const n = names(touched);
      return { en: `Member price: ${n.en}`, zh: `会员价：${n.zh}` };
    }
    case 'specialPrice': {
      const n = names(touched);
      return { en: `Special price: ${n.en}`, zh: `特价：${n.zh}` };
    }
    case 'limitedQuantitySpecial': {
      const n = names(touched);
      return { en: `Limited special, ${ev?.detail.times ?? 0} pcs: ${n.en}`, zh: `限量特价${ev?.detail.times ?? 0}件：${n.zh}` };
    }
    case 'spendThresholdDiscount': {
      const t = ev?.detail.tierThresholdMinor ?? 0;
      const off = ev?.detail.tierOffMinor ?? 0;
      const cap = rule.capMinor;
      if (rule.repeat) {
        return {
          en: `Every ${money(t, c)} spent, ${money(off, c)} off${cap === null ? '' : ` (up to ${money(cap, c)})`}`,
          zh: `每满${major(t, c)}减${major(off, c)}${cap === null ? '' : `，最高减${major(cap, c)}`}`,
        };
      }
      return { en: `Spend ${money(t, c)}, ${money(off, c)} off`, zh: `满${major(t, c)}减${major(off, c)}` };
    }
    case 'spendThresholdGift': {
      const qty = rule.gift.quantity * (ev?.giftSets ?? 1);
      return {
        en: `Spend ${money(rule.thresholdMinor, c)}, free gift: ${rule.gift.name} ×${qty}`,
        zh: `满${major(rule.thresholdMinor, c)}赠：${rule.gift.nameZh}×${qty}`,
      };
    }
    case 'buyXGetY': {
      const rate = rule.getRate ?? '0';
      const free = rateMicro(rate, 'getRate') === 0;
      const n = names(touched);
      return {
        en: `Buy ${rule.buyQuantity} get ${rule.getQuantity} ${free ? 'free' : `at ${percentOff(rate)}% off`}: ${n.en}`,
        zh: `买${rule.buyQuantity}${free ? '送' : '件另'}${rule.getQuantity}${free ? '' : `件${zhe(rate)}折`}：${n.zh}`,
      };
    }
    case 'secondItem': {
      const r = rateMicro(rule.rate, 'second item rate');
      const n = names(touched);
      const zhText = r === 0 ? '第二件免费' : r === MICRO / 2 ? '第二件半价' : `第二件${zhe(rule.rate)}折`;
      return { en: `Second item ${percentOff(rule.rate)}% off: ${n.en}`, zh: `${zhText}：${n.zh}` };
    }
    case 'bundle': {
      const n = names(touched);
      return { en: `Bundle ${money(rule.priceMinor, c)}: ${n.en}`, zh: `组合价${major(rule.priceMinor, c)}元：${n.zh}` };
    }
    case 'birthday': {
      const b = benefitText(rule.benefit, c);
      return { en: `Birthday offer: ${b.en}`, zh: `生日优惠：${b.zh}` };
    }
    case 'coupon': {
      const b = benefitText(rule.benefit, c);
      const list = ev?.couponCodes ?? [];
      const codes = list.join(', ');
      if (list.length > 1) return { en: `Coupons ${codes}: ${b.en} each`, zh: `优惠券 ${codes}：每张${b.zh}` };
      return { en: `Coupon ${codes}: ${b.en}`, zh: `优惠券 ${codes}：${b.zh}` };
    }
    case 'pointsMultiplier':
      return { en: `${rule.multiplier}× points: ${p.name}`, zh: `${rule.multiplier}倍积分：${p.nameZh}` };
  }
}
