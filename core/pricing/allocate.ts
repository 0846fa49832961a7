/**
 * Allocation of an adjustment over its lines: `core/money` `prorate` (largest remainder), the one
 * allocation rule. Two cases have an exact answer that needs none of prorate's decimal
 * arithmetic — a single line takes it all, and shares equal to the weights when they add up to
 * the amount (special prices, whose per-line values are whole fen) — and are answered directly;
 * allocate.test.ts checks that the answer is prorate's, always.
 */
import { prorate } from '../money';

/** Splits `amountMinor` over `weights` exactly as `prorate` does, faster in its exact cases. */
export function allocate(amountMinor: number, weights: readonly number[]): number[] {
  if (weights.length === 1 && Number.isSafeInteger(amountMinor) && Number.isSafeInteger(weights[0]) && weights[0]! >= 0) return [amountMinor];
  let sum = 0;
  let plain = true;
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) plain = false;
    sum += w;
  }
  if (plain && sum > 0 && Number.isSafeInteger(sum) && sum === amountMinor) return [...weights];
  return prorate(amountMinor, weights);
}
