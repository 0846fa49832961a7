import fc from 'fast-check';
import Decimal from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { formatMajor, parseMajor } from './money';
import { basketOf, promotion } from './pricing/builders';
import { priceBasket } from './pricing/engine';
import type { BasketLine } from './pricing/types';
import { formatKilograms, gramsForAmount, MAX_WEIGHT_GRAMS, normalizePlu, parseKilograms, weighedAmount, weighedLineProblem, weighLine } from './weighed';

const yuan = (text: string) => parseMajor(text, 'CNY');
const show = (minor: number) => formatMajor(minor, 'CNY');

const APPLES = { sku: 'APPLE', soldBy: 'weight' as const, pricePerKgMinor: yuan('12.80') };
const DELI = { sku: 'DELI', soldBy: 'weight' as const, pricePerKgMinor: yuan('46.90') };

/** A weighed line as the checkout hands it to the pricing engine: one unit at the weighed amount. */
function weighedBasketLine(lineNo: number, sku: string, amountMinor: number, category = 'produce'): BasketLine {
  return { lineNo, sku, barcode: '', name: sku, nameZh: sku, category, brand: null, quantity: 1, unitPriceMinor: amountMinor, excludedFromMemberBenefits: false };
}

describe('weighed lines, worked in yuan', () => {
  it('1.234 kg of apples at ¥12.80/kg is ¥15.80 (15.7952 rounded half-up to the fen)', () => {
    const line = weighLine(APPLES, { grams: parseKilograms('1.234') });
    expect(show(line.amountMinor)).toBe('15.80');
    expect(line.measure).toEqual({ grams: 1234, pricePerKgMinor: 1280 });
    expect(formatKilograms(line.measure.grams)).toBe('1.234');
  });

  it('rounds half-up at exactly half a fen, down below it', () => {
    // ¥10.01/kg × 0.5 kg = 5.005 → 5.01; × 0.499 kg = 4.99499 → 4.99
    expect(show(weighedAmount(yuan('10.01'), 500))).toBe('5.01');
    expect(show(weighedAmount(yuan('10.01'), 499))).toBe('4.99');
  });

  it('a price-embedded label of ¥23.45 is the line amount; the weight is worked back for the receipt', () => {
    const line = weighLine(DELI, { labelAmountMinor: yuan('23.45') });
    expect(show(line.amountMinor)).toBe('23.45');
    // 23.45 / 46.90 per kg = 0.5 kg exactly
    expect(line.measure).toEqual({ grams: 500, pricePerKgMinor: 4690, weightDerived: true });
    expect(weighedLineProblem({ lineNo: 1, quantity: 1, unitPriceMinor: line.amountMinor, measure: line.measure })).toBeNull();
  });

  it('refuses weights and PLUs that are not whole and in range, and a product sold by unit', () => {
    expect(() => parseKilograms('1.2345')).toThrow(/at most 3 decimals/);
    expect(() => parseKilograms('0')).toThrow(/from 1 to/);
    expect(() => weighedAmount(1280, 0)).toThrow(/grams/);
    expect(() => weighLine({ sku: 'COLA', soldBy: 'unit' }, { grams: 100 })).toThrow(/not sold by weight/);
    expect(normalizePlu('010001')).toBe('10001');
    expect(normalizePlu('0')).toBe('0');
    expect(() => normalizePlu('12a')).toThrow(/PLU/);
  });

  it('a pushed weighed line whose amount the weight does not give is named', () => {
    expect(weighedLineProblem({ lineNo: 2, quantity: 1, unitPriceMinor: 1581, measure: { grams: 1234, pricePerKgMinor: 1280 } })).toMatch(/1580, not 1581/);
    expect(weighedLineProblem({ lineNo: 2, quantity: 2, unitPriceMinor: 1580, measure: { grams: 1234, pricePerKgMinor: 1280 } })).toMatch(/quantity 2/);
  });

  it('a gold member (9.5折) pays ¥15.01 for the ¥15.80 of apples', () => {
    const basket = basketOf([weighedBasketLine(1, 'APPLE', 1580)], { member: { id: 'm', levelCode: 'gold', birthday: null } });
    const priced = priceBasket(basket, [promotion('gold', { type: 'memberLevelDiscount', levels: null })], { levels: [{ code: 'gold', name: 'Gold', nameZh: '金卡', discountRate: '0.95' }] });
    // 15.80 × 0.95 = 15.01
    expect(show(priced.lines[0]!.amountMinor)).toBe('15.01');
  });

  it('满30减5 counts the weighed amounts towards its threshold and shares the 5 over the lines', () => {
    const apples = weighLine(APPLES, { grams: 1234 }).amountMinor; // 15.80
    const deli = weighLine(DELI, { labelAmountMinor: yuan('23.45') }).amountMinor;
    const basket = basketOf([weighedBasketLine(1, 'APPLE', apples), weighedBasketLine(2, 'DELI', deli, 'deli')]);
    const priced = priceBasket(basket, [promotion('30-5', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: yuan('30'), offMinor: yuan('5') }], repeat: false, capMinor: null })], { levels: [] });
    expect(show(priced.totals.netMinor)).toBe('34.25'); // 15.80 + 23.45 − 5
    expect(priced.lines.reduce((s, l) => s + l.discountMinor, 0)).toBe(yuan('5'));
  });

  it('a special price of a weighed SKU is per kilogram: ¥9.90/kg on 1.234 kg of apples is ¥12.22', () => {
    const basket = basketOf([{ ...weighedBasketLine(1, 'APPLE', 1580), grams: 1234 }, weighedBasketLine(2, 'COLA', 300, 'drinks')]);
    const priced = priceBasket(basket, [promotion('apples-990', { type: 'specialPrice', items: [{ sku: 'APPLE', priceMinor: yuan('9.90') }] })], { levels: [] });
    // 9.90 × 1.234 = 12.2166 → 12.22 (half-up, as the weighed amount itself)
    expect(show(priced.lines[0]!.amountMinor)).toBe('12.22');
    expect(show(priced.lines[1]!.amountMinor)).toBe('3.00');
    // A per-kg price above the scale's never raises the line.
    const dearer = priceBasket(basket, [promotion('apples-1500', { type: 'specialPrice', items: [{ sku: 'APPLE', priceMinor: yuan('15.00') }] })], { levels: [] });
    expect(show(dearer.lines[0]!.amountMinor)).toBe('15.80');
  });

  it('a 20% off coupon on produce takes 20% of the weighed amount', () => {
    const basket = basketOf([weighedBasketLine(1, 'APPLE', 1580)], { couponsPresented: [{ code: 'PRODUCE20', promotionId: 'produce20' }] });
    const priced = priceBasket(basket, [promotion('produce20', { type: 'coupon', benefit: { kind: 'percent', rate: '0.8' }, minSpendMinor: 0, maxPerBasket: 1, scope: { categories: ['produce'] } })], { levels: [] });
    expect(show(priced.lines[0]!.amountMinor)).toBe('12.64'); // 15.80 × 0.8
  });
});

describe('weighed amounts (property)', () => {
  it('in a basket with per-kg special prices, a member discount and 满减, discounts never exceed the basket and lines add up', () => {
    const levels = [{ code: 'gold', name: 'Gold', nameZh: '金卡', discountRate: '0.95' }];
    fc.assert(
      fc.property(
        fc.array(fc.record({ perKg: fc.integer({ min: 1, max: 20_000 }), grams: fc.integer({ min: 1, max: MAX_WEIGHT_GRAMS }), special: fc.option(fc.integer({ min: 0, max: 20_000 })) }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (items, member) => {
          const lines = items.map((it, i) => ({ ...weighedBasketLine(i + 1, `W${i}`, weighedAmount(it.perKg, it.grams)), grams: it.grams }));
          const specials = items.flatMap((it, i) => (it.special === null ? [] : [{ sku: `W${i}`, priceMinor: it.special }]));
          const promotions = [
            promotion('gold', { type: 'memberLevelDiscount', levels: null }, { group: 'stackable' }),
            promotion('30-5', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 3000, offMinor: 500 }], repeat: true, capMinor: null }, { group: 'stackable' }),
            ...(specials.length ? [promotion('special', { type: 'specialPrice', items: specials })] : []),
          ];
          const priced = priceBasket(basketOf(lines, member ? { member: { id: 'm', levelCode: 'gold', birthday: null } } : {}), promotions, { levels });
          const gross = lines.reduce((s, l) => s + l.unitPriceMinor, 0);
          expect(priced.totals.grossMinor).toBe(gross);
          expect(priced.totals.discountMinor).toBeLessThanOrEqual(gross);
          expect(priced.lines.reduce((s, l) => s + l.discountMinor, 0)).toBe(priced.totals.discountMinor);
          for (const l of priced.lines) {
            expect(l.amountMinor).toBeGreaterThanOrEqual(0);
            expect(l.amountMinor + l.discountMinor).toBe(l.grossMinor);
            expect(l.adjustments.reduce((s, a) => s + a.amountMinor, 0)).toBe(l.discountMinor);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('are never negative and are exactly price/kg × grams / 1000 rounded half-up', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: MAX_WEIGHT_GRAMS }), (perKg, grams) => {
        const amount = weighedAmount(perKg, grams);
        expect(Number.isSafeInteger(amount)).toBe(true);
        expect(amount).toBeGreaterThanOrEqual(0);
        // Exact: the amount is within half a minor unit of the exact product, and ties went up.
        const exact = new Decimal(perKg).times(grams).div(1000);
        const diff = exact.minus(amount);
        expect(diff.abs().lte(new Decimal('0.5'))).toBe(true);
        if (diff.abs().eq(new Decimal('0.5'))) expect(diff.isNegative()).toBe(true);
      }),
    );
  });

  it('a label priced amount gives back a weight that prices to within a fen per kilogram step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 100_000 }), fc.integer({ min: 1, max: 999_999 }), (perKg, amount) => {
        const grams = gramsForAmount(amount, perKg);
        expect(grams).toBeGreaterThanOrEqual(0);
        if (grams >= 1 && grams <= MAX_WEIGHT_GRAMS) {
          // Half a gram either way moves the amount by at most perKg / 2000 minor units.
          expect(Math.abs(weighedAmount(perKg, grams) - amount)).toBeLessThanOrEqual(Math.ceil(perKg / 2000) + 1);
        }
      }),
    );
  });
});
