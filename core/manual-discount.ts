import Decimal from 'decimal.js';
import { DomainError } from './errors';
import { allocate } from './pricing/allocate';
import { toMinor, type Rounding } from './money';

/**
 * Manual discounts (手工折扣) and price overrides (改价) a cashier gives at the till, each approved
 * (discount.manual / price.override) and recorded as an override.
 *
 * A price override replaces a line's unit price before pricing: promotions then work on the new
 * price. Manual discounts come after promotions, applied one after another in the order given:
 * a line discount on what its line costs at that point, a basket discount on what the basket
 * costs at that point, allocated over the lines in proportion to what each costs (core/pricing's
 * `allocate`, largest remainder). An amount is in minor units; a percentage comes back to minor
 * units once, by its named rounding. A discount never takes a line or the basket below zero: an
 * amount larger than what is left takes what is left. Because each line's amount carries its
 * share, a refund of the line (core/refund.ts, pro rata of the line's amount) returns exactly
 * what was paid for it.
 */

export type ManualDiscountValue =
  | { kind: 'amount'; amountMinor: number }
  /** `percent` is a decimal string such as "10" or "12.5" (0 < p ≤ 100). */
  | { kind: 'percent'; percent: string; rounding: Rounding };

/** A manual discount as asked for: on one line (`lineNo`) or on the whole basket (null). */
export type ManualDiscountRequest = ManualDiscountValue & { id: string; lineNo: number | null };

/** A manual discount as the sale records it and HQ receives it. */
export type SaleManualDiscount = ManualDiscountRequest & {
  /** What it took off, in minor units. */
  discountMinor: number;
  reason: string;
  /** The override (approval) that allowed it, and who approved it (the cashier themselves or a supervisor). */
  overrideId: string;
  approvedBy: string;
};

/** One manual discount's share of one line. */
export interface SaleLineManualDiscount {
  discountId: string;
  discountMinor: number;
}

/** A line's unit price replaced at the till: the price it had, why, and who approved it. */
export interface SalePriceOverride {
  listUnitPriceMinor: number;
  reason: string;
  overrideId: string;
  approvedBy: string;
}

export interface ManualDiscountResult {
  /** Each discount's amount, in the order given. */
  discounts: Array<{ id: string; discountMinor: number }>;
  /** Each line's shares, by line number (lines with none are absent). */
  shares: Map<number, SaleLineManualDiscount[]>;
  /** Each line's amount after the manual discounts. */
  amounts: Map<number, number>;
}

const PERCENT = /^\d{1,3}(\.\d{1,4})?$/;

/** Checks a manual discount's value: an amount above zero, or a percentage above 0 and at most 100. */
export function assertManualDiscountValue(v: ManualDiscountValue): void {
  if (v.kind === 'amount') {
    if (!Number.isSafeInteger(v.amountMinor) || v.amountMinor <= 0) throw new DomainError('VALIDATION_FAILED', 'a discount amount is a whole number of minor units above zero', { amountMinor: v.amountMinor });
    return;
  }
  if (!PERCENT.test(v.percent) || new Decimal(v.percent).lte(0) || new Decimal(v.percent).gt(100)) {
    throw new DomainError('VALIDATION_FAILED', 'a discount percentage is above 0 and at most 100, e.g. "10" or "12.5"', { percent: v.percent });
  }
}

/** What a discount takes off `baseMinor`: the amount (at most the base) or the percentage, rounded by its rule. */
export function manualDiscountOf(v: ManualDiscountValue, baseMinor: number): number {
  if (baseMinor <= 0) return 0;
  if (v.kind === 'amount') return Math.min(v.amountMinor, baseMinor);
  return Math.min(baseMinor, toMinor(new Decimal(baseMinor).mul(v.percent).div(100), v.rounding));
}

/**
 * Applies `discounts` in order to lines priced by the promotions (`amountMinor` after them).
 * A line discount naming a line that is not there is refused (VALIDATION_FAILED).
 */
export function applyManualDiscounts(lines: ReadonlyArray<{ lineNo: number; amountMinor: number }>, discounts: readonly ManualDiscountRequest[]): ManualDiscountResult {
  const amounts = new Map(lines.map((l) => [l.lineNo, l.amountMinor]));
  const shares = new Map<number, SaleLineManualDiscount[]>();
  const share = (lineNo: number, discountId: string, discountMinor: number) => {
    if (discountMinor === 0) return;
    amounts.set(lineNo, amounts.get(lineNo)! - discountMinor);
    shares.set(lineNo, [...(shares.get(lineNo) ?? []), { discountId, discountMinor }]);
  };
  const out: ManualDiscountResult['discounts'] = [];
  for (const d of discounts) {
    assertManualDiscountValue(d);
    if (d.lineNo !== null) {
      const base = amounts.get(d.lineNo);
      if (base === undefined) throw new DomainError('VALIDATION_FAILED', `discount ${d.id}: the sale has no line ${d.lineNo}`, { lineNo: d.lineNo });
      const taken = manualDiscountOf(d, base);
      share(d.lineNo, d.id, taken);
      out.push({ id: d.id, discountMinor: taken });
      continue;
    }
    const order = [...amounts.keys()];
    const weights = order.map((n) => amounts.get(n)!);
    const taken = manualDiscountOf(d, weights.reduce((s, w) => s + w, 0));
    const parts = taken === 0 ? weights.map(() => 0) : allocate(taken, weights);
    order.forEach((n, i) => share(n, d.id, parts[i]!));
    out.push({ id: d.id, discountMinor: taken });
  }
  return { discounts: out, shares, amounts };
}

interface CheckedLine {
  lineNo: number;
  quantity: number;
  unitPriceMinor: number;
  amountMinor: number;
  promotions?: ReadonlyArray<{ discountMinor: number }>;
  manualDiscounts?: readonly SaleLineManualDiscount[];
  priceOverride?: SalePriceOverride;
}

/** The lines as they were before their manual discounts (each amount plus its shares): what promotion checks look at. */
export function linesBeforeManualDiscounts<L extends CheckedLine>(lines: readonly L[]): L[] {
  return lines.map((l) => (l.manualDiscounts?.length ? { ...l, amountMinor: l.amountMinor + l.manualDiscounts.reduce((s, d) => s + d.discountMinor, 0) } : l));
}

/**
 * Why a sale's manual discounts and price overrides do not add up, or null: every discount is
 * recomputed from the lines as the promotions left them, in the sale's order, and must match
 * what the sale says it took and how it shared it over the lines.
 */
export function manualDiscountProblem(sale: { lines: readonly CheckedLine[]; manualDiscounts?: readonly SaleManualDiscount[] }): string | null {
  const discounts = sale.manualDiscounts ?? [];
  for (const l of sale.lines) {
    const o = l.priceOverride;
    if (o && (!Number.isSafeInteger(o.listUnitPriceMinor) || o.listUnitPriceMinor < 0 || o.reason.trim() === '' || o.overrideId === '' || o.approvedBy === '')) {
      return `line ${l.lineNo}: a price override needs its list price, a reason and its approval`;
    }
  }
  const hasShares = sale.lines.some((l) => l.manualDiscounts?.length);
  if (discounts.length === 0) return hasShares ? 'lines carry manual discount shares but the sale lists no manual discount' : null;
  const ids = new Set<string>();
  for (const d of discounts) {
    if (ids.has(d.id)) return `manual discount ${d.id} is listed twice`;
    ids.add(d.id);
    if (d.reason.trim() === '' || d.overrideId === '' || d.approvedBy === '') return `manual discount ${d.id} needs a reason and its approval`;
  }
  const before = linesBeforeManualDiscounts(sale.lines);
  for (const l of before) {
    const gross = l.quantity * l.unitPriceMinor;
    const promo = (l.promotions ?? []).reduce((s, p) => s + p.discountMinor, 0);
    // Lines without promotions cost their gross before any manual discount.
    if (l.manualDiscounts?.length && gross - promo !== l.amountMinor) return `line ${l.lineNo}: ${gross} less promotions ${promo} and manual discounts does not make ${l.amountMinor}`;
  }
  let result: ManualDiscountResult;
  try {
    result = applyManualDiscounts(before, discounts);
  } catch (e) {
    return (e as Error).message;
  }
  for (const [i, d] of discounts.entries()) {
    if (result.discounts[i]!.discountMinor !== d.discountMinor) return `manual discount ${d.id} takes ${result.discounts[i]!.discountMinor}, not ${d.discountMinor}`;
  }
  for (const l of sale.lines) {
    const want = JSON.stringify(result.shares.get(l.lineNo) ?? []);
    const got = JSON.stringify((l.manualDiscounts ?? []).map((s) => ({ discountId: s.discountId, discountMinor: s.discountMinor })));
    if (want !== got) return `line ${l.lineNo}: manual discount shares ${got}, expected ${want}`;
  }
  return null;
}
