/**
 * Worked baskets a store manager can check by hand: what is in the basket, which promotions
 * run, what each line costs afterwards and what the customer pays, in yuan.
 */
import { describe, expect, it } from 'vitest';
import { formatMajor, parseMajor } from '../money';
import { basketOf, promotion } from './builders';
import { priceBasket } from './engine';
import { refundLine } from './refund';
import type { Basket, BasketLine, BasketMember, LevelRate, PricedBasket, Promotion } from './types';

// ── the shop ──

interface Product {
  sku: string;
  category: string;
  brand?: string;
  price: string;
  nameZh: string;
  excluded?: boolean;
}

const CATALOG: Record<string, Product> = {
  'Cola 330ml': { sku: 'COLA', category: 'drinks', brand: 'Coca-Cola', price: '3.00', nameZh: '可乐330ml' },
  'Cola 500ml': { sku: 'COLA5', category: 'drinks', brand: 'Coca-Cola', price: '3.50', nameZh: '可乐500ml' },
  'Lemon soda': { sku: 'SODA', category: 'drinks', price: '3.50', nameZh: '柠檬汽水' },
  Chips: { sku: 'CHIPS', category: 'snacks', brand: 'Lays', price: '7.50', nameZh: '薯片' },
  Cookies: { sku: 'COOKIE', category: 'snacks', price: '6.90', nameZh: '饼干' },
  'Milk 12-pack': { sku: 'MILK12', category: 'dairy', price: '59.90', nameZh: '牛奶12盒' },
  Yogurt: { sku: 'YOG', category: 'dairy', price: '6.50', nameZh: '酸奶' },
  Cigarettes: { sku: 'CIG', category: 'tobacco', price: '25.00', nameZh: '香烟', excluded: true },
  Burger: { sku: 'BURGER', category: 'deli', price: '15.00', nameZh: '汉堡' },
  Fries: { sku: 'FRIES', category: 'deli', price: '8.00', nameZh: '薯条' },
};

const LEVELS: LevelRate[] = [
  { code: 'gold', name: 'Gold member', nameZh: '金卡会员', discountRate: '0.95' },
  { code: 'silver', name: 'Silver member', nameZh: '银卡会员', discountRate: '0.98' },
];

const GOLD: BasketMember = { id: 'm-gold', levelCode: 'gold', birthday: '1990-11-05' };
const SILVER: BasketMember = { id: 'm-silver', levelCode: 'silver', birthday: '1985-03-12' };

const yuan = (text: string) => parseMajor(text, 'CNY');
const show = (minor: number) => formatMajor(minor, 'CNY');

/** Basket lines from [product, quantity] pairs, numbered 1, 2, 3… */
function lines(items: Array<[string, number]>): BasketLine[] {
  return items.map(([name, quantity], i) => {
    const p = CATALOG[name];
    if (!p) throw new Error(`no product ${name}`);
    return {
      lineNo: i + 1,
      sku: p.sku,
      barcode: `690000000${String(i).padStart(4, '0')}`,
      name,
      nameZh: p.nameZh,
      category: p.category,
      brand: p.brand ?? null,
      quantity,
      unitPriceMinor: yuan(p.price),
      excludedFromMemberBenefits: p.excluded ?? false,
    };
  });
}

// ── the promotions ──

const goldDiscount = promotion('gold-95', { type: 'memberLevelDiscount', levels: null }, { name: 'Member discount', nameZh: '会员折扣' });
const spend200save30 = promotion('spend200', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: yuan('200'), offMinor: yuan('30') }], repeat: false, capMinor: null });
const every100save10cap30 = promotion('every100', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: yuan('100'), offMinor: yuan('10') }], repeat: true, capMinor: yuan('30') });
const tiered = promotion('tiers', {
  type: 'spendThresholdDiscount',
  tiers: [
    { thresholdMinor: yuan('100'), offMinor: yuan('10') },
    { thresholdMinor: yuan('200'), offMinor: yuan('30') },
  ],
  repeat: false,
  capMinor: null,
});
const snacks50save10NoCookies = promotion('snacks50', {
  type: 'spendThresholdDiscount',
  tiers: [{ thresholdMinor: yuan('50'), offMinor: yuan('10') }],
  repeat: false,
  capMinor: null,
  scope: { categories: ['snacks'], excludeSkus: ['COOKIE'] },
});
const toteBagOver100 = promotion('tote', {
  type: 'spendThresholdGift',
  thresholdMinor: yuan('100'),
  gift: { sku: 'BAG', name: 'Tote bag', nameZh: '环保袋', quantity: 1, unitValueMinor: yuan('5') },
  repeat: false,
  maxGifts: null,
});
const colaBuy2Get1 = promotion('cola-b2g1', { type: 'buyXGetY', buy: { skus: ['COLA'] }, buyQuantity: 2, get: 'same', getQuantity: 1, maxApplications: null });
const drinksBuy2Get1 = promotion('drinks-b2g1', { type: 'buyXGetY', buy: { categories: ['drinks'] }, buyQuantity: 2, get: 'same', getQuantity: 1, maxApplications: null });
const burgerGetsFries = promotion('burger-fries', { type: 'buyXGetY', buy: { skus: ['BURGER'] }, buyQuantity: 1, get: { skus: ['FRIES'] }, getQuantity: 1, maxApplications: null });
const comboFor20 = promotion('combo', {
  type: 'bundle',
  components: [
    { scope: { skus: ['BURGER'] }, quantity: 1 },
    { scope: { skus: ['FRIES'] }, quantity: 1 },
    { scope: { skus: ['COLA'] }, quantity: 1 },
  ],
  priceMinor: yuan('20'),
  maxApplications: null,
});
const yogurtSecondHalf = promotion('yogurt-2nd', { type: 'secondItem', rate: '0.5', scope: { skus: ['YOG'] } });
const colaMemberPrice = promotion('cola-member', { type: 'memberPrice', levels: ['gold'], items: [{ sku: 'COLA', priceMinor: yuan('2.50') }] });
const chipsWeekendLunch = promotion(
  'chips-lunch',
  { type: 'specialPrice', items: [{ sku: 'CHIPS', priceMinor: yuan('5.99') }] },
  { daysOfWeek: [6, 7], hours: { fromMinute: 10 * 60, toMinute: 14 * 60 } },
);
const milkLimited = promotion(
  'milk-limited',
  { type: 'limitedQuantitySpecial', items: [{ sku: 'MILK12', priceMinor: yuan('39.90') }] },
  { perMemberLimit: 2, budget: { kind: 'quantity', total: 500 } },
);
const birthdayMonth20 = promotion('bday-month', { type: 'birthday', window: 'month', benefit: { kind: 'percent', rate: '0.8' }, minSpendMinor: 0 });
const birthdayWeek20 = promotion('bday-week', { type: 'birthday', window: 'week', benefit: { kind: 'percent', rate: '0.8' }, minSpendMinor: 0 });
const doublePointsDairy = promotion('dairy-2x', { type: 'pointsMultiplier', multiplier: '2', minSpendMinor: 0, scope: { categories: ['dairy'] } });
const coupon10over50 = promotion(
  'coupon10',
  { type: 'coupon', benefit: { kind: 'amount', amountMinor: yuan('10') }, minSpendMinor: yuan('50'), maxPerBasket: 1 },
  { group: 'stackable' },
);
const coupon90pctCap5 = promotion('coupon9zhe', { type: 'coupon', benefit: { kind: 'percent', rate: '0.9', capMinor: yuan('5') }, minSpendMinor: 0, maxPerBasket: 1 }, { group: 'stackable' });

// ── the table ──

interface Worked {
  name: string;
  basket: Array<[string, number]>;
  member?: BasketMember;
  promotions: Promotion[];
  extra?: Partial<Basket>;
  /** What each line costs after promotions, in basket order. */
  lines: string[];
  total: string;
  labels?: string[];
  labelsZh?: string[];
  check?: (priced: PricedBasket) => void;
}

const SATURDAY_11 = { localDate: '2026-11-21', weekday: 6, minuteOfDay: 11 * 60 };
const SATURDAY_15 = { localDate: '2026-11-21', weekday: 6, minuteOfDay: 15 * 60 };

const WORKED: Worked[] = [
  // member-level discount
  {
    name: 'a gold member gets 9.5折 on everything but cigarettes, 0.675 rounded half-up to 0.68',
    basket: [['Cola 330ml', 2], ['Chips', 1], ['Cigarettes', 1]],
    member: GOLD,
    promotions: [goldDiscount],
    lines: ['5.70', '7.12', '25.00'],
    total: '37.82',
    labels: ['Gold member 9.5折'],
    labelsZh: ['金卡会员 9.5折'],
  },
  {
    name: 'a shopper without a member card pays full price',
    basket: [['Cola 330ml', 2], ['Chips', 1]],
    promotions: [goldDiscount],
    lines: ['6.00', '7.50'],
    total: '13.50',
  },
  // member special price
  {
    name: 'gold members pay 2.50 for a Cola 330ml',
    basket: [['Cola 330ml', 3]],
    member: GOLD,
    promotions: [colaMemberPrice],
    lines: ['7.50'],
    total: '7.50',
    labels: ['Member price: Cola 330ml'],
  },
  {
    name: 'the gold member price is not for silver members',
    basket: [['Cola 330ml', 3]],
    member: SILVER,
    promotions: [colaMemberPrice],
    lines: ['9.00'],
    total: '9.00',
  },
  // limited-time special
  {
    name: 'chips are 5.99 at weekend lunchtime',
    basket: [['Chips', 2]],
    promotions: [chipsWeekendLunch],
    extra: { at: SATURDAY_11 },
    lines: ['11.98'],
    total: '11.98',
    labels: ['Special price: Chips'],
    labelsZh: ['特价：薯片'],
  },
  {
    name: 'chips are full price after 14:00',
    basket: [['Chips', 2]],
    promotions: [chipsWeekendLunch],
    extra: { at: SATURDAY_15 },
    lines: ['15.00'],
    total: '15.00',
  },
  // 满减
  {
    name: '满200减30 on 202.20: the 30 is shared by line amount, the odd fen to the larger remainder',
    basket: [['Milk 12-pack', 3], ['Chips', 3]],
    promotions: [spend200save30],
    lines: ['153.04', '19.16'],
    total: '172.20',
    labels: ['Spend ¥200, ¥30 off'],
    labelsZh: ['满200减30'],
  },
  {
    name: 'every 100 off 10, capped at 30: 359.40 takes 30',
    basket: [['Milk 12-pack', 6]],
    promotions: [every100save10cap30],
    lines: ['329.40'],
    total: '329.40',
    labelsZh: ['每满100减10，最高减30'],
  },
  {
    name: 'every 100 off 10, capped at 30: 479.20 still takes only 30',
    basket: [['Milk 12-pack', 8]],
    promotions: [every100save10cap30],
    lines: ['449.20'],
    total: '449.20',
  },
  {
    name: 'tiers 满100减10 / 满200减30: 179.70 reaches only the first tier',
    basket: [['Milk 12-pack', 3]],
    promotions: [tiered],
    lines: ['169.70'],
    total: '169.70',
    labelsZh: ['满100减10'],
  },
  {
    name: 'snacks 满50减10 excludes cookies: 45 of chips is not enough',
    basket: [['Chips', 6], ['Cookies', 2]],
    promotions: [snacks50save10NoCookies],
    lines: ['45.00', '13.80'],
    total: '58.80',
  },
  {
    name: 'snacks 满50减10: 52.50 of chips takes 10, cookies untouched',
    basket: [['Chips', 7], ['Cookies', 2]],
    promotions: [snacks50save10NoCookies],
    lines: ['42.50', '13.80'],
    total: '56.30',
  },
  {
    name: 'brand scope: Coca-Cola 满10减2 counts only Coca-Cola drinks (3.00 × 2 + 3.50 × 2 = 13.00)',
    basket: [['Cola 330ml', 2], ['Cola 500ml', 2], ['Lemon soda', 2]],
    promotions: [promotion('coke10', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 1000, offMinor: 200 }], repeat: false, capMinor: null, scope: { brands: ['Coca-Cola'] } })],
    // 2.00 shared 600 : 700 → 0.92 and 1.08
    lines: ['5.08', '5.92', '7.00'],
    total: '18.00',
  },
  {
    name: 'a member discount that excludes dairy: 9.5折 on chips only',
    basket: [['Chips', 2], ['Milk 12-pack', 1]],
    member: GOLD,
    promotions: [promotion('gold-no-dairy', { type: 'memberLevelDiscount', levels: ['gold'], scope: { excludeCategories: ['dairy'] } })],
    lines: ['14.25', '59.90'],
    total: '74.15',
  },
  // 满赠
  {
    name: '满100赠 a tote bag: price unchanged, one gift line',
    basket: [['Milk 12-pack', 2]],
    promotions: [toteBagOver100],
    lines: ['119.80'],
    total: '119.80',
    check: (p) => {
      expect(p.gifts).toEqual([expect.objectContaining({ sku: 'BAG', quantity: 1, unitValueMinor: 500 })]);
      expect(p.gifts[0]!.label.zh).toBe('满100赠：环保袋×1');
    },
  },
  // buy X get Y
  {
    name: 'buy 2 get 1 free: three colas for the price of two',
    basket: [['Cola 330ml', 3]],
    promotions: [colaBuy2Get1],
    lines: ['6.00'],
    total: '6.00',
    labels: ['Buy 2 get 1 free: Cola 330ml'],
    labelsZh: ['买2送1：可乐330ml'],
  },
  {
    name: 'buy 2 get 1 free: seven colas make two groups, the seventh is paid',
    basket: [['Cola 330ml', 7]],
    promotions: [colaBuy2Get1],
    lines: ['15.00'],
    total: '15.00',
  },
  {
    name: 'buy 2 get 1 free on any drink: the cheapest is free, shared over the three lines',
    basket: [['Cola 330ml', 1], ['Cola 500ml', 1], ['Lemon soda', 1]],
    promotions: [drinksBuy2Get1],
    lines: ['2.10', '2.45', '2.45'],
    total: '7.00',
  },
  {
    name: 'buy a burger, get fries free: the 8.00 is shared by the burger and the fries',
    basket: [['Burger', 2], ['Fries', 1]],
    promotions: [burgerGetsFries],
    lines: ['24.78', '5.22'],
    total: '30.00',
    labels: ['Buy 1 get 1 free: Burger, Fries'],
  },
  // bundle
  {
    name: 'burger + fries + cola for 20: the 6.00 saved is shared by the three',
    basket: [['Burger', 1], ['Fries', 1], ['Cola 330ml', 2]],
    promotions: [comboFor20],
    lines: ['11.54', '6.15', '5.31'],
    total: '23.00',
    labelsZh: ['组合价20元：汉堡、可乐330ml等'],
  },
  // second item
  {
    name: 'second yogurt half price',
    basket: [['Yogurt', 2]],
    promotions: [yogurtSecondHalf],
    lines: ['9.75'],
    total: '9.75',
    labelsZh: ['第二件半价：酸奶'],
  },
  {
    name: 'second yogurt half price: the third is full price',
    basket: [['Yogurt', 3]],
    promotions: [yogurtSecondHalf],
    lines: ['16.25'],
    total: '16.25',
  },
  // limited-quantity special
  {
    name: 'milk at 39.90, two per member: she had one already, so one of three is on special',
    basket: [['Milk 12-pack', 3]],
    member: GOLD,
    promotions: [milkLimited],
    extra: { usage: { perMemberUsed: { 'milk-limited': 1 }, budgetRemaining: { 'milk-limited': 100 } } },
    lines: ['159.70'],
    total: '159.70',
    check: (p) => expect(p.usage).toEqual([{ promotionId: 'milk-limited', memberUses: 1, budget: { kind: 'quantity', quantity: 1 } }]),
  },
  {
    name: 'milk at 39.90: the chain-wide stock of specials is used up',
    basket: [['Milk 12-pack', 3]],
    member: GOLD,
    promotions: [milkLimited],
    extra: { usage: { perMemberUsed: {}, budgetRemaining: { 'milk-limited': 0 } } },
    lines: ['179.70'],
    total: '179.70',
  },
  {
    name: 'milk at 39.90: only 1 left chain-wide though she may have 2',
    basket: [['Milk 12-pack', 3]],
    member: GOLD,
    promotions: [milkLimited],
    extra: { usage: { perMemberUsed: {}, budgetRemaining: { 'milk-limited': 1 } } },
    lines: ['159.70'],
    total: '159.70',
  },
  // birthday
  {
    name: 'birthday month: 8折 for a member born on 5 November',
    basket: [['Cookies', 1], ['Cigarettes', 1]],
    member: GOLD,
    promotions: [birthdayMonth20],
    lines: ['5.52', '25.00'],
    total: '30.52',
    labelsZh: ['生日优惠：8折'],
  },
  {
    name: 'birthday week: born on 20 November, Sunday 22 November is the same week',
    basket: [['Cookies', 1]],
    member: { id: 'm-x', levelCode: 'silver', birthday: '2000-11-20' },
    promotions: [birthdayWeek20],
    lines: ['5.52'],
    total: '5.52',
  },
  {
    name: 'birthday week: born on 24 November is next week',
    basket: [['Cookies', 1]],
    member: { id: 'm-x', levelCode: 'silver', birthday: '2000-11-24' },
    promotions: [birthdayWeek20],
    lines: ['6.90'],
    total: '6.90',
  },
  // points multiplier
  {
    name: 'double points on dairy: price unchanged, a points action for the dairy line',
    basket: [['Milk 12-pack', 1], ['Chips', 1]],
    member: GOLD,
    promotions: [doublePointsDairy],
    lines: ['59.90', '7.50'],
    total: '67.40',
    check: (p) => expect(p.points).toEqual([expect.objectContaining({ promotionId: 'dairy-2x', multiplier: '2', lineNos: [1], eligibleAmountMinor: 5990 })]),
  },
  // coupons
  {
    name: 'a 10-yuan coupon over 50 on 59.90',
    basket: [['Milk 12-pack', 1]],
    promotions: [coupon10over50],
    extra: { couponsPresented: [{ code: 'C-0001', promotionId: 'coupon10' }] },
    lines: ['49.90'],
    total: '49.90',
    labels: ['Coupon C-0001: ¥10 off'],
    check: (p) => expect(p.couponsConsumed.map((c) => c.code)).toEqual(['C-0001']),
  },
  {
    name: 'a 10-yuan coupon over 50 on 45.00 is refused: minimum spend not met',
    basket: [['Chips', 6]],
    promotions: [coupon10over50],
    extra: { couponsPresented: [{ code: 'C-0001', promotionId: 'coupon10' }] },
    lines: ['45.00'],
    total: '45.00',
    check: (p) => expect(p.couponsRejected).toEqual([{ code: 'C-0001', promotionId: 'coupon10', reason: 'MIN_SPEND_NOT_MET' }]),
  },
  {
    name: 'an expired coupon is refused',
    basket: [['Milk 12-pack', 1]],
    promotions: [coupon10over50],
    extra: { couponsPresented: [{ code: 'C-0002', promotionId: 'coupon10', validTo: '2026-11-01' }] },
    lines: ['59.90'],
    total: '59.90',
    check: (p) => expect(p.couponsRejected[0]!.reason).toBe('EXPIRED'),
  },
  {
    name: 'a 9折 coupon capped at 5: 59.90 takes 5, not 5.99',
    basket: [['Milk 12-pack', 1]],
    promotions: [coupon90pctCap5],
    extra: { couponsPresented: [{ code: 'P-1', promotionId: 'coupon9zhe' }] },
    lines: ['54.90'],
    total: '54.90',
  },
  // combinations
  {
    name: 'exclusive: on 202.20 满200减30 beats 9.5折 (10.11)',
    basket: [['Milk 12-pack', 3], ['Chips', 3]],
    member: GOLD,
    promotions: [goldDiscount, spend200save30],
    lines: ['153.04', '19.16'],
    total: '172.20',
    labelsZh: ['满200减30'],
  },
  {
    name: 'exclusive: on 179.70 the threshold is not reached, so 9.5折',
    basket: [['Milk 12-pack', 3]],
    member: GOLD,
    promotions: [goldDiscount, spend200save30],
    lines: ['170.71'],
    total: '170.71',
  },
  {
    name: 'exclusive, line by line: colas take buy 2 get 1, the milk takes 9.5折',
    basket: [['Cola 330ml', 3], ['Milk 12-pack', 1]],
    member: GOLD,
    promotions: [goldDiscount, colaBuy2Get1],
    lines: ['6.00', '56.90'],
    total: '62.90',
    labels: ['Buy 2 get 1 free: Cola 330ml', 'Gold member 9.5折'],
  },
  {
    name: 'exclusive, line by line: the gold member price (2.50) beats 9.5折 (2.85) on cola',
    basket: [['Cola 330ml', 2], ['Chips', 2]],
    member: GOLD,
    promotions: [goldDiscount, colaMemberPrice],
    lines: ['5.00', '14.25'],
    total: '19.25',
  },
  {
    name: 'exact, not greedy: burger special (4 off) + fries-get-cola (3 off) beat the combo (6 off), the biggest single offer',
    basket: [['Burger', 1], ['Fries', 1], ['Cola 330ml', 1]],
    promotions: [
      comboFor20,
      promotion('burger-11', { type: 'specialPrice', items: [{ sku: 'BURGER', priceMinor: yuan('11') }] }),
      promotion('fries-cola', { type: 'buyXGetY', buy: { skus: ['FRIES'] }, buyQuantity: 1, get: { skus: ['COLA'] }, getQuantity: 1, maxApplications: null }),
    ],
    lines: ['11.00', '5.82', '2.18'],
    total: '19.00',
  },
  {
    name: 'exact, not greedy: burger 满15减6 + fries 满8减6 (12 off) beat the burger-and-fries bundle for 13 (10 off)',
    basket: [['Burger', 1], ['Fries', 1]],
    promotions: [
      promotion('duo13', { type: 'bundle', components: [{ scope: { skus: ['BURGER'] }, quantity: 1 }, { scope: { skus: ['FRIES'] }, quantity: 1 }], priceMinor: yuan('13'), maxApplications: null }),
      promotion('burger15', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: yuan('15'), offMinor: yuan('6') }], repeat: false, capMinor: null, scope: { skus: ['BURGER'] } }),
      promotion('fries8', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: yuan('8'), offMinor: yuan('6') }], repeat: false, capMinor: null, scope: { skus: ['FRIES'] } }),
    ],
    lines: ['9.00', '2.00'],
    total: '11.00',
  },
  {
    name: 'stackable coupon on top of 9.5折: 59.90 → 56.90 → 46.90',
    basket: [['Milk 12-pack', 1]],
    member: GOLD,
    promotions: [goldDiscount, coupon10over50],
    extra: { couponsPresented: [{ code: 'C-0001', promotionId: 'coupon10' }] },
    lines: ['46.90'],
    total: '46.90',
    labels: ['Gold member 9.5折', 'Coupon C-0001: ¥10 off'],
  },
  {
    name: 'a stackable coupon counts its minimum on what is left: 56.90 after 9.5折 is under 57',
    basket: [['Milk 12-pack', 1]],
    member: GOLD,
    promotions: [goldDiscount, promotion('coupon57', { type: 'coupon', benefit: { kind: 'amount', amountMinor: 1000 }, minSpendMinor: 5700, maxPerBasket: 1 }, { group: 'stackable' })],
    extra: { couponsPresented: [{ code: 'C-57', promotionId: 'coupon57' }] },
    lines: ['56.90'],
    total: '56.90',
  },
  {
    name: 'stackable in priority order: 8折 birthday first (priority 10) takes 119.80 to 95.84, under 100, so no 10 off',
    basket: [['Milk 12-pack', 2]],
    member: GOLD,
    promotions: [
      promotion('bday', { type: 'birthday', window: 'month', benefit: { kind: 'percent', rate: '0.8' }, minSpendMinor: 0 }, { group: 'stackable', priority: 10 }),
      promotion('minus10', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 10000, offMinor: 1000 }], repeat: false, capMinor: null }, { group: 'stackable', priority: 5 }),
    ],
    // 119.80 × 0.8 = 95.84, under 100: the threshold is no longer met.
    lines: ['95.84'],
    total: '95.84',
  },
  {
    name: 'stackable in priority order, reversed: 10 off first (119.80 → 109.80), then 8折 → 87.84',
    basket: [['Milk 12-pack', 2]],
    member: GOLD,
    promotions: [
      promotion('bday', { type: 'birthday', window: 'month', benefit: { kind: 'percent', rate: '0.8' }, minSpendMinor: 0 }, { group: 'stackable', priority: 5 }),
      promotion('minus10', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 10000, offMinor: 1000 }], repeat: false, capMinor: null }, { group: 'stackable', priority: 10 }),
    ],
    lines: ['87.84'],
    total: '87.84',
  },
  {
    name: 'an amount budget with 20.00 left caps 满200减30 at 20',
    basket: [['Milk 12-pack', 4]],
    promotions: [{ ...spend200save30, budget: { kind: 'amount', total: 100000 } }],
    extra: { usage: { perMemberUsed: {}, budgetRemaining: { spend200: 2000 } } },
    lines: ['219.60'],
    total: '219.60',
    check: (p) => expect(p.usage).toEqual([{ promotionId: 'spend200', memberUses: 0, budget: { kind: 'amount', amountMinor: 2000 } }]),
  },
  {
    name: 'two 10-yuan vouchers (two per basket) on 119.80; a third code is refused',
    basket: [['Milk 12-pack', 2]],
    promotions: [promotion('voucher10', { type: 'coupon', benefit: { kind: 'amount', amountMinor: 1000 }, minSpendMinor: 5000, maxPerBasket: 2 }, { group: 'stackable' })],
    extra: {
      couponsPresented: [
        { code: 'V-3', promotionId: 'voucher10' },
        { code: 'V-1', promotionId: 'voucher10' },
        { code: 'V-2', promotionId: 'voucher10' },
      ],
    },
    lines: ['99.80'],
    total: '99.80',
    labels: ['Coupons V-1, V-2: ¥10 off each'],
    labelsZh: ['优惠券 V-1, V-2：每张减10元'],
    check: (p) => {
      expect(p.couponsConsumed.map((c) => c.code)).toEqual(['V-1', 'V-2']);
      expect(p.couponsRejected).toEqual([{ code: 'V-3', promotionId: 'voucher10', reason: 'LIMIT_REACHED' }]);
    },
  },
  {
    name: 'an exclusive coupon that gives less than 满200减30 is not used, and the cashier is told why',
    basket: [['Milk 12-pack', 4]],
    promotions: [spend200save30, promotion('coupon5', { type: 'coupon', benefit: { kind: 'amount', amountMinor: 500 }, minSpendMinor: 0, maxPerBasket: 1 })],
    extra: { couponsPresented: [{ code: 'C-5', promotionId: 'coupon5' }] },
    lines: ['209.60'],
    total: '209.60',
    check: (p) => expect(p.couponsRejected).toEqual([{ code: 'C-5', promotionId: 'coupon5', reason: 'NOT_CHOSEN' }]),
  },
  {
    name: 'exclusive: a tote bag worth 5 is less than 9.5折 on 119.80 (5.99), so the member discount wins',
    basket: [['Milk 12-pack', 2]],
    member: GOLD,
    promotions: [goldDiscount, toteBagOver100],
    lines: ['113.81'],
    total: '113.81',
    check: (p) => expect(p.gifts).toEqual([]),
  },
  {
    name: 'exclusive: a tote bag worth 5 beats 9.5折 for a silver member (2%, 2.40)',
    basket: [['Milk 12-pack', 2]],
    member: SILVER,
    promotions: [goldDiscount, toteBagOver100],
    lines: ['119.80'],
    total: '119.80',
    check: (p) => expect(p.gifts.map((g) => g.sku)).toEqual(['BAG']),
  },
  {
    name: 'an approved promotion waiting for its start (scheduled) applies once its day comes',
    basket: [['Milk 12-pack', 4]],
    promotions: [{ ...spend200save30, status: 'scheduled', validFrom: '2026-11-22' }],
    lines: ['209.60'],
    total: '209.60',
  },
  {
    name: 'a limited-quantity special with a per-member limit needs a member card',
    basket: [['Milk 12-pack', 1]],
    promotions: [milkLimited],
    extra: { usage: { perMemberUsed: {}, budgetRemaining: { 'milk-limited': 100 } } },
    lines: ['59.90'],
    total: '59.90',
  },
  {
    name: 'a stackable second-half-price after 9.5折 works on what is left: 18.52 ÷ 3 = 6.17⅓ a yogurt, half of it 3.09',
    basket: [['Yogurt', 3]],
    member: GOLD,
    promotions: [goldDiscount, { ...yogurtSecondHalf, group: 'stackable' }],
    lines: ['15.43'],
    total: '15.43',
    labelsZh: ['金卡会员 9.5折', '第二件半价：酸奶'],
  },
  // scope and time
  {
    name: 'a promotion of another region does not apply here',
    basket: [['Milk 12-pack', 4]],
    promotions: [{ ...spend200save30, orgNodeId: 'region-2' }],
    lines: ['239.60'],
    total: '239.60',
  },
  {
    name: 'a draft promotion does not apply',
    basket: [['Milk 12-pack', 4]],
    promotions: [{ ...spend200save30, status: 'draft' }],
    lines: ['239.60'],
    total: '239.60',
  },
  {
    name: 'a promotion that ended yesterday does not apply',
    basket: [['Milk 12-pack', 4]],
    promotions: [{ ...spend200save30, validTo: '2026-11-21' }],
    lines: ['239.60'],
    total: '239.60',
  },
  {
    name: 'a once-per-member promotion she has used does not apply',
    basket: [['Milk 12-pack', 4]],
    member: GOLD,
    promotions: [{ ...spend200save30, perMemberLimit: 1 }],
    extra: { usage: { perMemberUsed: { spend200: 1 }, budgetRemaining: {} } },
    lines: ['239.60'],
    total: '239.60',
  },
];

function price(w: Worked): PricedBasket {
  const basket = basketOf(lines(w.basket), { member: w.member ?? null, ...w.extra });
  return priceBasket(basket, w.promotions, { levels: LEVELS });
}

describe('worked baskets', () => {
  for (const w of WORKED) {
    it(w.name, () => {
      const priced = price(w);
      expect(priced.lines.map((l) => show(l.amountMinor))).toEqual(w.lines);
      expect(show(priced.totals.netMinor)).toBe(w.total);
      if (w.labels) expect(priced.adjustments.map((a) => a.label.en)).toEqual(w.labels);
      if (w.labelsZh) expect(priced.adjustments.map((a) => a.label.zh)).toEqual(w.labelsZh);
      for (const a of priced.adjustments) expect(a.allocations.reduce((s, x) => s + x.amountMinor, 0)).toBe(a.amountMinor);
      w.check?.(priced);
    });
  }
});

describe('refunds of a discounted basket', () => {
  const basket = basketOf(lines([['Milk 12-pack', 3], ['Chips', 3]]));
  const priced = priceBasket(basket, [spend200save30], { levels: LEVELS });
  const chips = priced.lines.find((l) => l.sku === 'CHIPS')!;

  it('refund of one line returns that line’s price less its allocated share of 满200减30', () => {
    const refund = refundLine(chips, 3);
    expect(show(refund.grossMinor)).toBe('22.50');
    expect(refund.adjustments).toEqual([{ promotionId: 'spend200', amountMinor: 334 }]);
    expect(show(refund.amountMinor)).toBe('19.16');
  });

  it('returning the chips one at a time gives back the same 19.16 in all', () => {
    const first = refundLine(chips, 1);
    const rest = refundLine(chips, 2, 1);
    expect(show(first.amountMinor)).toBe('6.39');
    expect(show(rest.amountMinor)).toBe('12.77');
    expect(first.discountMinor + rest.discountMinor).toBe(334);
  });

  it('refunding every line gives back exactly what was paid', () => {
    const back = priced.lines.reduce((s, l) => s + refundLine(l, l.quantity).amountMinor, 0);
    expect(back).toBe(priced.totals.netMinor);
  });

  it('refuses to return more than was sold', () => {
    expect(() => refundLine(chips, 2, 2)).toThrow(/cannot return more/);
  });
});
