import Decimal from 'decimal.js';

/**
 * Money is an integer count of minor units (fen, cents) in one currency.
 * Multiplying or dividing goes through decimal.js and comes back to minor units
 * once, in `toMinor`, with a rounding mode the caller names.
 */

/** The rounding modes money may be brought back to minor units with. */
export type Rounding = 'HALF_UP' | 'HALF_EVEN' | 'DOWN' | 'UP';

const DECIMAL_ROUNDING: Record<Rounding, Decimal.Rounding> = {
  HALF_UP: Decimal.ROUND_HALF_UP,
  HALF_EVEN: Decimal.ROUND_HALF_EVEN,
  DOWN: Decimal.ROUND_DOWN,
  UP: Decimal.ROUND_UP,
};

/** Minor digits of the currencies the chain may trade in (ISO 4217). */
const MINOR_DIGITS: Record<string, number> = { CNY: 2, HKD: 2, USD: 2, EUR: 2, KRW: 0, JPY: 0, CLP: 0 };

/** Number of minor digits for `currency` (2 when unknown to us is refused, not guessed). */
export function minorDigits(currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new RangeError(`unsupported currency ${currency}`);
  return digits;
}

/** Throws unless `n` is a safe integer: the only shape an amount of minor units may have. */
export function assertMinor(n: number, what = 'amount'): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be an integer of minor units, got ${n}`);
}

/** The named rounding step: a decimal amount of minor units back to an integer. */
export function toMinor(value: Decimal.Value, rounding: Rounding): number {
  const rounded = new Decimal(value).toDecimalPlaces(0, DECIMAL_ROUNDING[rounding]);
  const n = rounded.toNumber();
  assertMinor(n, 'rounded amount');
  return n;
}

/** `minor × rate` (rate a decimal string such as "0.95") rounded back to minor units. */
export function multiplyMinor(minor: number, rate: Decimal.Value, rounding: Rounding): number {
  assertMinor(minor);
  return toMinor(new Decimal(minor).times(rate), rounding);
}

/** Parses a decimal string in major units ("12.30") into minor units, refusing extra digits. */
export function parseMajor(text: string, currency: string): number {
  const digits = minorDigits(currency);
  if (!/^-?\d+(\.\d+)?$/.test(text.trim())) throw new RangeError(`not an amount: "${text}"`);
  const d = new Decimal(text.trim()).times(new Decimal(10).pow(digits));
  if (!d.isInteger()) throw new RangeError(`"${text}" has more than ${digits} decimals for ${currency}`);
  const n = d.toNumber();
  assertMinor(n);
  return n;
}

/** Minor units as a plain major-unit string: 1230 CNY → "12.30". */
export function formatMajor(minor: number, currency: string): string {
  assertMinor(minor);
  // String arithmetic on the integer: exact, with no float or rounding anywhere.
  const digits = minorDigits(currency);
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const major = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return minor < 0 ? `-${major}` : major;
}

/**
 * Splits `total` over `weights` in proportion, by largest remainder, so the parts
 * add up to `total` exactly. Ties go to the earlier weight. Weights are minor units
 * or other non-negative integers; all-zero weights split evenly.
 */
export function prorate(total: number, weights: readonly number[]): number[] {
  assertMinor(total, 'total');
  if (weights.length === 0) {
    if (total !== 0) throw new RangeError('cannot prorate a non-zero total over nothing');
    return [];
  }
  weights.forEach((w, i) => {
    assertMinor(w, `weight ${i}`);
    if (w < 0) throw new RangeError(`weight ${i} is negative`);
  });
  const effective = weights.every((w) => w === 0) ? weights.map(() => 1) : weights;
  // Exact integer arithmetic: BigInt products cannot overflow and need no rounding.
  const sum = effective.reduce((a, b) => a + BigInt(b), 0n);
  const sign = total < 0 ? -1 : 1;
  const magnitude = BigInt(Math.abs(total));
  const shares = effective.map((w, index) => {
    const product = magnitude * BigInt(w);
    return { index, floor: Number(product / sum), remainder: product % sum };
  });
  let left = Number(magnitude) - shares.reduce((a, s) => a + s.floor, 0);
  const byRemainder = [...shares].sort((a, b) => (a.remainder > b.remainder ? -1 : a.remainder < b.remainder ? 1 : a.index - b.index));
  for (const share of byRemainder) {
    if (left === 0) break;
    share.floor += 1;
    left -= 1;
  }
  return shares.map((s) => sign * s.floor + 0);
}
