import Decimal from 'decimal.js';
import type { Product } from './chain';
import { DomainError } from './errors';
import { assertMinor, toMinor, type Rounding } from './money';

/**
 * Items sold by weight (散装, 称重): a price per kilogram and a weight in grams, both integers.
 *
 * A weighed line enters the sale and the pricing engine as ONE unit whose unit price is the
 * weighed amount; the weight rides along as the line's `measure`. So every engine rule keeps
 * working unchanged (a % promotion or a member level takes its share of the amount, a fixed
 * discount never exceeds it), and a refund of the line gives back the whole label.
 */

/** What a weighed line carries besides its amount: the weight and the price it was weighed at. */
export interface LineMeasure {
  grams: number;
  /** Minor units per kilogram when the line was made. */
  pricePerKgMinor: number;
  /** The scale printed the price: the amount is the label's and the weight was worked back from it. */
  weightDerived?: boolean;
}

/**
 * Where the item code and the price (or weight) sit in an in-store EAN-13 scale label (GS1
 * prefix 2x). Each chain prints its labels its own way, so this is configuration (a chain
 * setting, or a store's devices.json); protocols/barcode/variable-measure.ts reads labels with it.
 * prefix digits + itemDigits + (valueCheckDigit ? 1 : 0) + valueDigits + 1 check digit = 13.
 */
export interface ScaleLabelLayout {
  /** Prefixes that mark this layout, e.g. ["20","21"] or ["2"]. */
  readonly prefixes: readonly string[];
  readonly itemDigits: number;
  /** price: value is in minor units (fen); weight: value is in grams. */
  readonly value: 'price' | 'weight';
  readonly valueDigits: 4 | 5;
  /** A GS1 price/weight verifier digit sits just before the value. */
  readonly valueCheckDigit: boolean;
}

/**
 * The layouts a chain gets until it sets its own, tried in order: weight labels 28 + PLU(5) +
 * verifier + grams(4), then price labels (deli counter) 2 + PLU(6) + fen(5).
 */
export const DEFAULT_SCALE_LABEL_LAYOUTS: readonly ScaleLabelLayout[] = [
  { prefixes: ['28'], itemDigits: 5, value: 'weight', valueDigits: 4, valueCheckDigit: true },
  { prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false },
];

/** The named rounding step of a weighed amount: half-up to the minor unit (15.7952 → 15.80). */
export const WEIGHED_AMOUNT_ROUNDING: Rounding = 'HALF_UP';

/** Heaviest weight a line takes (a 5-digit label field in grams). */
export const MAX_WEIGHT_GRAMS = 99_999;

function assertGrams(grams: number): void {
  if (!Number.isSafeInteger(grams) || grams < 1 || grams > MAX_WEIGHT_GRAMS) {
    throw new DomainError('VALIDATION_FAILED', `a weight is a whole number of grams from 1 to ${MAX_WEIGHT_GRAMS}`, { grams });
  }
}

function assertPricePerKg(pricePerKgMinor: number): void {
  if (!Number.isSafeInteger(pricePerKgMinor) || pricePerKgMinor <= 0) {
    throw new DomainError('VALIDATION_FAILED', 'a price per kilogram is a whole number of minor units above zero', { pricePerKgMinor });
  }
}

/** price/kg × grams / 1000, brought back to minor units once, half-up. */
export function weighedAmount(pricePerKgMinor: number, grams: number): number {
  assertPricePerKg(pricePerKgMinor);
  assertGrams(grams);
  const amount = toMinor(new Decimal(pricePerKgMinor).times(grams).div(1000), WEIGHED_AMOUNT_ROUNDING);
  assertMinor(amount, 'weighed amount');
  return amount;
}

/** The weight a printed price stands for at this price per kilogram, to the gram (half-up), for display. */
export function gramsForAmount(amountMinor: number, pricePerKgMinor: number): number {
  assertMinor(amountMinor, 'label amount');
  assertPricePerKg(pricePerKgMinor);
  return new Decimal(amountMinor).times(1000).div(pricePerKgMinor).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
}

/** A PLU as the catalog keys it: digits without leading zeros ("010001" and "10001" are one item). */
export function normalizePlu(text: string): string {
  const t = text.trim();
  if (!/^\d{1,8}$/.test(t)) throw new DomainError('VALIDATION_FAILED', `a PLU is 1 to 8 digits, got "${text}"`, { plu: text });
  return t.replace(/^0+(?=\d)/, '');
}

/** "1.234" (kilograms, at most 3 decimals) → 1234 grams, exactly. */
export function parseKilograms(text: string): number {
  const t = text.trim();
  if (!/^\d{1,2}(\.\d{1,3})?$/.test(t)) throw new DomainError('VALIDATION_FAILED', `a weight is kilograms with at most 3 decimals, e.g. 1.234; got "${text}"`, { weight: text });
  const [kg, g = ''] = t.split('.');
  const grams = Number(kg) * 1000 + Number(g.padEnd(3, '0'));
  assertGrams(grams);
  return grams;
}

/** 1234 → "1.234" (kilograms, always three decimals). */
export function formatKilograms(grams: number): string {
  if (!Number.isSafeInteger(grams) || grams < 0) throw new RangeError(`not a weight in grams: ${grams}`);
  const text = String(grams).padStart(4, '0');
  return `${text.slice(0, -3)}.${text.slice(-3)}`;
}

export function isSoldByWeight(p: Pick<Product, 'soldBy'>): boolean {
  return p.soldBy === 'weight';
}

/**
 * A weighed line's amount and measure: from a weight (a weight label, or a weight the cashier
 * typed), or from the price a scale printed (the weight is worked back for the receipt).
 */
export function weighLine(
  product: Pick<Product, 'sku' | 'soldBy' | 'pricePerKgMinor'>,
  input: { grams: number } | { labelAmountMinor: number },
): { amountMinor: number; measure: LineMeasure } {
  if (!isSoldByWeight(product) || product.pricePerKgMinor === undefined) {
    throw new DomainError('VALIDATION_FAILED', `product ${product.sku} is not sold by weight`, { sku: product.sku });
  }
  const perKg = product.pricePerKgMinor;
  if ('grams' in input) return { amountMinor: weighedAmount(perKg, input.grams), measure: { grams: input.grams, pricePerKgMinor: perKg } };
  if (!Number.isSafeInteger(input.labelAmountMinor) || input.labelAmountMinor <= 0) {
    throw new DomainError('VALIDATION_FAILED', 'a scale label price must be above zero', { amountMinor: input.labelAmountMinor });
  }
  const grams = Math.min(MAX_WEIGHT_GRAMS, Math.max(1, gramsForAmount(input.labelAmountMinor, perKg)));
  return { amountMinor: input.labelAmountMinor, measure: { grams, pricePerKgMinor: perKg, weightDerived: true } };
}

/**
 * Why a weighed line of a pushed document cannot be right, or null: one unit, a weight in range,
 * and (when weighed, not label-priced) the unit price the weight and price per kilogram give.
 */
export function weighedLineProblem(line: { lineNo: number; quantity: number; unitPriceMinor: number; measure?: LineMeasure }): string | null {
  const m = line.measure;
  if (!m) return null;
  if (line.quantity !== 1) return `weighed line ${line.lineNo} has quantity ${line.quantity}, not 1`;
  if (!Number.isSafeInteger(m.grams) || m.grams < 1 || m.grams > MAX_WEIGHT_GRAMS) return `weighed line ${line.lineNo} has weight ${m.grams} g`;
  if (!Number.isSafeInteger(m.pricePerKgMinor) || m.pricePerKgMinor <= 0) return `weighed line ${line.lineNo} has price per kg ${m.pricePerKgMinor}`;
  if (!m.weightDerived && weighedAmount(m.pricePerKgMinor, m.grams) !== line.unitPriceMinor) {
    return `weighed line ${line.lineNo}: ${m.grams} g at ${m.pricePerKgMinor}/kg is ${weighedAmount(m.pricePerKgMinor, m.grams)}, not ${line.unitPriceMinor}`;
  }
  return null;
}
