/**
 * What each promotion type would give on the lines as they stand. Evaluations are pure: they
 * read the working lines (current amount after earlier adjustments) and return what the
 * promotion would take off, per line, without applying it. Values stay exact until the single
 * rounding step in `settle`: whole minor units times rates of at most six decimals are integers
 * in millionths of a minor unit; only amounts divided by a quantity (a unit's share of what is
 * left of a line) go through decimal.js. The small caches below memoise pure functions of the
 * promotion data (rate strings); they hold no state that could change a result.
 */
import Decimal from 'decimal.js';
import { toMinor, type Rounding } from '../money';
import { inBirthdayWindow } from './calendar';
import { compileItems, compileScope, inScope, itemsMayTouch, mayTouch, type BasketIndex, type CompiledScope } from './scope';
import type {
  Basket,
  Benefit,
  BundleRule,
  BuyXGetYRule,
  LevelRate,
  PresentedCoupon,
  Promotion,
  PromotionRule,
  SpendThresholdDiscountRule,
  BasketLine,
} from './types';

const ONE = new Decimal(1);

/** A basket line while pricing: its canonical position, gross amount and what is left of it. */
export interface WorkLine {
  idx: number;
  line: BasketLine;
  grossMinor: number;
  netMinor: number;
}

export interface PricingContext {
  basket: Basket;
  index: BasketIndex;
  level: LevelRate | null;
  /** 1 − the member's level rate, in millionths; null without a member level. */
  levelOffMicro: number | null;
  rounding: Rounding;
  currency: string;
  /** Valid presented coupons by promotion id, sorted by code. */
  coupons: ReadonlyMap<string, PresentedCoupon[]>;
}

/** What one promotion would give on the working lines, before rounding. */
export interface Evaluation {
  promotion: Promotion;
  /**
   * Separable: the value on one line does not depend on the other lines, so the combination
   * may give each line to a different exclusive promotion. Otherwise the promotion takes its
   * lines together or not at all.
   */
  separable: boolean;
  /** Canonical indices of the lines it touches, ascending. */
  lines: number[];
  /**
   * Exact discount per touched line in millionths of a minor unit (separable only; empty
   * otherwise). Separable values are whole minor units times a rate of at most six decimals,
   * so they are exact integers here and compare without decimal.js.
   */
  values: number[];
  /** Allocation weights per touched line: integers, each at most that line's amount. */
  weights: number[];
  /** Rounded and capped discount for the whole footprint (non-separable only; 0 for separable). */
  amountMinor: number;
  /** Gift sets (满赠) and the value of one set. */
  giftSets: number;
  giftValueMinor: number;
  couponCodes: string[];
  memberUses: number;
  /** Uses, or units for limited-quantity specials, drawn on a quantity budget. */
  budgetQuantity: number;
  /** Rule-specific numbers for the label. */
  detail: { times?: number; tierThresholdMinor?: number; tierOffMinor?: number };
}

export const MEMBER_TYPES: ReadonlySet<PromotionRule['type']> = new Set([
  'memberLevelDiscount',
  'memberPrice',
  'birthday',
  'pointsMultiplier',
]);

/** Remaining per-member uses (Infinity without a limit). */
export function memberRemaining(p: Promotion, basket: Basket): number {
  if (p.perMemberLimit === null) return Infinity;
  if (!basket.member) return 0;
  return Math.max(0, p.perMemberLimit - (basket.usage.perMemberUsed[p.id] ?? 0));
}

/** Remaining chain-wide budget in its own unit (Infinity without a budget; 0 when the caller gave none). */
export function budgetRemaining(p: Promotion, basket: Basket): number {
  if (p.budget === null) return Infinity;
  return Math.max(0, basket.usage.budgetRemaining[p.id] ?? 0);
}

/** Millionths: the scale of exact separable values and of rates. */
export const MICRO = 1_000_000;
const RATE = /^(?:0(?:\.(\d{1,6}))?|1(?:\.0{1,6})?)$/;
const microCache = new Map<string, number>();

/** A price factor "0.95" as 950000 millionths, by string work (no float); at most six decimals. */
export function rateMicro(text: string, what: string): number {
  const cached = microCache.get(text);
  if (cached !== undefined) return cached;
  const m = RATE.exec(text.trim());
  if (!m) throw new RangeError(`${what} must be a price factor in [0, 1] with at most six decimals, got "${text}"`);
  const micro = text.trim().startsWith('1') ? MICRO : Number((m[1] ?? '').padEnd(6, '0'));
  microCache.set(text, micro);
  return micro;
}

/** ⌈a / b⌉ for non-negative safe integers, exact (the float quotient is only a first guess). */
function ceilDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  while (q * b < a) q++;
  while (q > 0 && (q - 1) * b >= a) q--;
  return q;
}

/** A sum of millionths as minor units: a whole number when it is one, else exact decimal for the one rounding. */
export function fromMicro(sumMicro: number): Decimal | number {
  if (!Number.isSafeInteger(sumMicro)) throw new RangeError('basket amounts too large for exact pricing');
  return sumMicro % MICRO === 0 ? sumMicro / MICRO : new Decimal(sumMicro).dividedBy(MICRO);
}

const rateCache = new Map<string, Decimal>();

/** A price factor as a decimal, validated and cached (the same few rates recur in every basket). */
function rateOf(text: string, what: string): Decimal {
  const cached = rateCache.get(text);
  if (cached) return cached;
  rateMicro(text, what);
  const rate = new Decimal(text);
  rateCache.set(text, rate);
  return rate;
}

/** Integer allocation weight for an exact per-line value: never below it in sum, never above the line. */
function weightFor(value: Decimal, w: WorkLine): number {
  return Math.min(value.ceil().toNumber(), w.netMinor);
}

function keepLine(w: WorkLine, scope: CompiledScope, memberOnly: boolean): boolean {
  return w.netMinor > 0 && !(memberOnly && w.line.excludedFromMemberBenefits) && inScope(scope, w.line);
}

/** Lines of the basket in a scope that still hold an amount, ascending; looked up by key when one key decides. */
export function linesIn(ctx: PricingContext, scope: CompiledScope, work: readonly WorkLine[], memberOnly: boolean): WorkLine[] {
  const out: WorkLine[] = [];
  // Most scopes name one sku, category or brand: its lines are listed already, in order.
  const only = scope.everything ? undefined : singleKeyLines(ctx, scope);
  if (only !== undefined) {
    for (const idx of only) {
      const w = work[idx]!;
      if (keepLine(w, scope, memberOnly)) out.push(w);
    }
    return out;
  }
  for (const w of work) if (keepLine(w, scope, memberOnly)) out.push(w);
  return out;
}

const NO_LINES: readonly number[] = [];

/** Lines of the basket whose sku has an item in the list and that still hold an amount, ascending. */
function linesOfItems(ctx: PricingContext, items: ReadonlyMap<string, number>, work: readonly WorkLine[], memberOnly: boolean): WorkLine[] {
  const out: WorkLine[] = [];
  const smallList = items.size <= ctx.index.skus.size;
  for (const sku of smallList ? items.keys() : ctx.index.skus.keys()) {
    if (!smallList && !items.has(sku)) continue;
    for (const idx of ctx.index.skus.get(sku) ?? NO_LINES) {
      const w = work[idx]!;
      if (w.netMinor > 0 && !(memberOnly && w.line.excludedFromMemberBenefits)) out.push(w);
    }
  }
  // Keys come in item-list order: put the lines back in canonical order.
  if (out.length > 1) out.sort((x, y) => x.idx - y.idx);
  return out;
}

/** The basket lines of a scope's one include key, or undefined when the scope has several keys. */
function singleKeyLines(ctx: PricingContext, scope: CompiledScope): readonly number[] | undefined {
  const sizes = (scope.skus?.size ?? 0) + (scope.categories?.size ?? 0) + (scope.brands?.size ?? 0);
  if (sizes !== 1) return undefined;
  for (const k of scope.skus ?? []) return ctx.index.skus.get(k) ?? NO_LINES;
  for (const k of scope.categories ?? []) return ctx.index.categories.get(k) ?? NO_LINES;
  for (const k of scope.brands ?? []) return ctx.index.brands.get(k) ?? NO_LINES;
  return undefined;
}

function empty(p: Promotion, separable: boolean): Evaluation {
  return {
    promotion: p,
    separable,
    lines: [],
    values: [],
    weights: [],
    amountMinor: 0,
    giftSets: 0,
    giftValueMinor: 0,
    couponCodes: [],
    memberUses: 0,
    budgetQuantity: 0,
    detail: {},
  };
}

/** The one rounding step of an adjustment, then its caps: amount budget and what the lines hold. */
export function settle(p: Promotion, ctx: PricingContext, exact: Decimal | number, weights: readonly number[]): number {
  // A whole number of minor units needs no rounding (满减, amount coupons): skip decimal.js.
  let amount = typeof exact === 'number' && Number.isSafeInteger(exact) ? exact : toMinor(exact, p.rounding ?? ctx.rounding);
  if (p.budget?.kind === 'amount') amount = Math.min(amount, budgetRemaining(p, ctx.basket));
  const room = weights.reduce((a, b) => a + b, 0);
  return Math.max(0, Math.min(amount, room));
}

/** A per-line evaluation; with an amount budget the lines are coupled, so it becomes non-separable. */
/** A member or special price: per unit, or per kilogram on a weighed line (its weight's amount, half-up to the minor unit, as the line's own was). */
function itemPrice(price: number, line: BasketLine): number {
  return line.grams === undefined ? price : toMinor(new Decimal(price).times(line.grams).div(1000), 'HALF_UP');
}

function perLine(p: Promotion, ctx: PricingContext, lines: readonly WorkLine[], microValueOf: (w: WorkLine) => number): Evaluation | null {
  const ev = empty(p, p.budget?.kind !== 'amount');
  let sum = 0;
  for (const w of lines) {
    const v = Math.min(microValueOf(w), w.netMinor * MICRO);
    if (!Number.isSafeInteger(v)) throw new RangeError(`line ${w.line.lineNo}: amount too large for exact pricing`);
    if (v <= 0) continue;
    ev.lines.push(w.idx);
    ev.values.push(v);
    ev.weights.push(ceilDiv(v, MICRO));
    sum += v;
  }
  if (ev.lines.length === 0) return null;
  if (!ev.separable) {
    ev.amountMinor = settle(p, ctx, fromMicro(sum), ev.weights);
    if (ev.amountMinor === 0) return null;
  }
  ev.memberUses = 1;
  ev.budgetQuantity = 1;
  return ev;
}

/** A discount over the whole footprint (满减, coupons, amount-off offers), shared by line amount. */
function wholeFootprint(p: Promotion, ctx: PricingContext, lines: readonly WorkLine[], exact: Decimal | number): Evaluation | null {
  const ev = empty(p, false);
  for (const w of lines) {
    ev.lines.push(w.idx);
    ev.weights.push(w.netMinor);
  }
  ev.amountMinor = settle(p, ctx, exact, ev.weights);
  if (ev.amountMinor === 0) return null;
  ev.memberUses = 1;
  ev.budgetQuantity = 1;
  return ev;
}

function sumNet(lines: readonly WorkLine[]): number {
  return lines.reduce((s, w) => s + w.netMinor, 0);
}

function benefitValue(benefit: Benefit, eligibleMinor: number, codes: number): Decimal | number {
  if (benefit.kind === 'amount') return Math.min(benefit.amountMinor * codes, eligibleMinor);
  const off = new Decimal(eligibleMinor).times(ONE.minus(rateOf(benefit.rate, 'benefit rate')));
  return benefit.capMinor === null || benefit.capMinor === undefined ? off : Decimal.min(off, benefit.capMinor);
}

// ── unit-level rules: buy X get Y, second item, bundles ──
//
// A line's unit value is its unit price while nothing has been taken off it (a whole number:
// the exclusive phase and most of the stackable one), else what is left ÷ quantity (decimal).
// Whole numbers are summed exactly in millionths; decimal.js is used only for the rest.

type Unit = number | Decimal;

function unitOf(w: WorkLine): Unit {
  return w.netMinor === w.grossMinor ? w.line.unitPriceMinor : new Decimal(w.netMinor).dividedBy(w.line.quantity);
}

function compareUnits(a: Unit, b: Unit): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : new Decimal(a).comparedTo(b);
}

/** Integer allocation weight for `units` of a line worth `unit` each: never above the line. */
function shareWeight(unit: Unit, units: number, w: WorkLine): number {
  return typeof unit === 'number' ? Math.min(unit * units, w.netMinor) : weightFor(unit.times(units), w);
}

/** An exact sum of minor-unit amounts: whole parts in millionths, decimal parts apart. */
class ExactSum {
  private micro = 0;
  private decimal: Decimal | null = null;

  /** Adds `unit × units × rateMicro / 10⁶` minor units. */
  add(unit: Unit, units: number, rateMicro: number): void {
    if (typeof unit === 'number') {
      this.micro += unit * units * rateMicro;
      if (!Number.isSafeInteger(this.micro)) throw new RangeError('basket amounts too large for exact pricing');
    } else {
      const part = unit.times(units).times(rateMicro).dividedBy(MICRO);
      this.decimal = this.decimal ? this.decimal.plus(part) : part;
    }
  }

  value(): Decimal | number {
    const whole = fromMicro(this.micro);
    return this.decimal ? this.decimal.plus(whole) : whole;
  }
}

interface UnitRun {
  w: WorkLine;
  unit: Unit;
  count: number;
}

interface Touch {
  unit: Unit;
  participating: number;
  discounted: number;
}

function runsOf(lines: readonly WorkLine[], order: 'dearest' | 'cheapest'): UnitRun[] {
  const runs = lines.map((w) => ({ w, unit: unitOf(w), count: w.line.quantity }));
  runs.sort((a, b) => (order === 'dearest' ? compareUnits(b.unit, a.unit) : compareUnits(a.unit, b.unit)) || a.w.idx - b.w.idx);
  return runs;
}

/** An evaluation over the touched lines, shared by participating value, worth `exact` before rounding. */
function unitEvaluation(p: Promotion, ctx: PricingContext, touched: Map<WorkLine, Touch>, exact: Decimal | number, times: number): Evaluation | null {
  const ev = empty(p, false);
  const rows = [...touched.entries()].filter(([, t]) => t.participating > 0).sort((a, b) => a[0].idx - b[0].idx);
  for (const [w, t] of rows) {
    ev.lines.push(w.idx);
    ev.weights.push(shareWeight(t.unit, t.participating, w));
  }
  if (ev.lines.length === 0) return null;
  ev.amountMinor = settle(p, ctx, exact, ev.weights);
  if (ev.amountMinor === 0) return null;
  ev.memberUses = 1;
  ev.budgetQuantity = 1;
  ev.detail.times = times;
  return ev;
}

/** What the discounted units of `touched` are worth off at price factor `rate`. */
function discountOf(touched: Map<WorkLine, Touch>, rate: string): Decimal | number {
  const off = MICRO - rateMicro(rate, 'discounted unit rate');
  const sum = new ExactSum();
  for (const t of touched.values()) if (t.discounted > 0) sum.add(t.unit, t.discounted, off);
  return sum.value();
}

/** Same-scope groups of buy+get units, dearest first; the cheapest `get` of each group is discounted. */
function sameScopeGroups(
  p: Promotion,
  ctx: PricingContext,
  lines: readonly WorkLine[],
  buy: number,
  get: number,
  rate: string,
  maxGroups: number | null,
): Evaluation | null {
  const size = buy + get;
  const units = lines.reduce((s, w) => s + w.line.quantity, 0);
  const groups = Math.min(Math.floor(units / size), maxGroups ?? Infinity);
  if (groups <= 0) return null;
  const used = groups * size;
  // Positions [0, used) take part; position q is discounted when q mod size ≥ buy.
  const discountedBefore = (n: number) => {
    const m = Math.min(n, used);
    return Math.floor(m / size) * get + Math.max(0, (m % size) - buy);
  };
  const touched = new Map<WorkLine, Touch>();
  let pos = 0;
  for (const run of runsOf(lines, 'dearest')) {
    const start = pos;
    pos += run.count;
    const participating = Math.max(0, Math.min(pos, used) - start);
    if (participating === 0) break;
    touched.set(run.w, { unit: run.unit, participating, discounted: discountedBefore(pos) - discountedBefore(start) });
  }
  return unitEvaluation(p, ctx, touched, discountOf(touched, rate), groups);
}

function buyXGetY(p: Promotion, ctx: PricingContext, work: readonly WorkLine[], rule: BuyXGetYRule): Evaluation | null {
  const rate = rule.getRate ?? '0';
  const buyScope = compileScope(rule.buy);
  if (rule.get === 'same') {
    return sameScopeGroups(p, ctx, linesIn(ctx, buyScope, work, false), rule.buyQuantity, rule.getQuantity, rate, rule.maxApplications);
  }
  const getScope = compileScope(rule.get);
  const getLines = linesIn(ctx, getScope, work, false);
  const buyLines = linesIn(ctx, buyScope, work, false).filter((w) => !inScope(getScope, w.line));
  const buyUnits = buyLines.reduce((s, w) => s + w.line.quantity, 0);
  const getUnits = getLines.reduce((s, w) => s + w.line.quantity, 0);
  const times = Math.min(Math.floor(buyUnits / rule.buyQuantity), rule.maxApplications ?? Infinity);
  const free = Math.min(times * rule.getQuantity, getUnits);
  if (free <= 0) return null;
  const timesUsed = Math.ceil(free / rule.getQuantity);
  const touched = new Map<WorkLine, Touch>();
  let left = free;
  for (const run of runsOf(getLines, 'cheapest')) {
    if (left === 0) break;
    const n = Math.min(left, run.count);
    left -= n;
    touched.set(run.w, { unit: run.unit, participating: n, discounted: n });
  }
  let buyLeft = timesUsed * rule.buyQuantity;
  for (const run of runsOf(buyLines, 'dearest')) {
    if (buyLeft === 0) break;
    const n = Math.min(buyLeft, run.count);
    buyLeft -= n;
    touched.set(run.w, { unit: run.unit, participating: n, discounted: 0 });
  }
  return unitEvaluation(p, ctx, touched, discountOf(touched, rate), timesUsed);
}

/** Fills `sets` bundles from the dearest units of each component in turn; null if they do not fit. */
function fillBundles(rule: BundleRule, runsByComponent: UnitRun[][], sets: number): Map<WorkLine, Touch> | null {
  const taken = new Map<WorkLine, number>();
  const touched = new Map<WorkLine, Touch>();
  for (let c = 0; c < rule.components.length; c++) {
    let need = rule.components[c]!.quantity * sets;
    for (const run of runsByComponent[c]!) {
      if (need === 0) break;
      const free = run.count - (taken.get(run.w) ?? 0);
      const n = Math.min(need, free);
      if (n <= 0) continue;
      need -= n;
      taken.set(run.w, (taken.get(run.w) ?? 0) + n);
      const t = touched.get(run.w) ?? { unit: run.unit, participating: 0, discounted: 0 };
      t.participating += n;
      touched.set(run.w, t);
    }
    if (need > 0) return null;
  }
  return touched;
}

function bundle(p: Promotion, ctx: PricingContext, work: readonly WorkLine[], rule: BundleRule): Evaluation | null {
  if (rule.components.length === 0) return null;
  const runsByComponent = rule.components.map((c) => runsOf(linesIn(ctx, compileScope(c.scope), work, false), 'dearest'));
  let sets = Math.min(
    ...rule.components.map((c, i) => Math.floor(runsByComponent[i]!.reduce((s, r) => s + r.count, 0) / c.quantity)),
    rule.maxApplications ?? Infinity,
  );
  // Overlapping component scopes can share units; fewer sets may then fit.
  for (; sets > 0; sets--) {
    const touched = fillBundles(rule, runsByComponent, sets);
    if (!touched) continue;
    const value = new ExactSum();
    for (const t of touched.values()) value.add(t.unit, t.participating, MICRO);
    value.add(-rule.priceMinor, sets, MICRO);
    const exact = value.value();
    // Dearest units go first, so each extra set is worth less: fewer sets may still be a saving.
    if (typeof exact === 'number' ? exact <= 0 : exact.lte(0)) continue;
    return unitEvaluation(p, ctx, touched, exact, sets);
  }
  return null;
}

function spendThreshold(p: Promotion, ctx: PricingContext, work: readonly WorkLine[], rule: SpendThresholdDiscountRule): Evaluation | null {
  const lines = linesIn(ctx, compileScope(rule.scope), work, false);
  const eligible = sumNet(lines);
  let tier: { thresholdMinor: number; offMinor: number } | undefined;
  for (const t of rule.tiers) {
    if (t.thresholdMinor <= 0) throw new RangeError(`promotion ${p.id}: tier threshold must be positive`);
    if (eligible >= t.thresholdMinor && (!tier || t.thresholdMinor > tier.thresholdMinor)) tier = t;
  }
  if (!tier) return null;
  const times = rule.repeat ? Math.floor(eligible / tier.thresholdMinor) : 1;
  let off = tier.offMinor * times;
  if (rule.capMinor !== null) off = Math.min(off, rule.capMinor);
  const ev = wholeFootprint(p, ctx, lines, Math.min(off, eligible));
  if (ev) ev.detail = { times, tierThresholdMinor: tier.thresholdMinor, tierOffMinor: tier.offMinor };
  return ev;
}

/** What promotion `p` would give on `work`, or null when nothing. The header checks are done already. */
export function evaluate(p: Promotion, ctx: PricingContext, work: readonly WorkLine[]): Evaluation | null {
  const rule = p.rule;
  const member = ctx.basket.member;
  switch (rule.type) {
    case 'memberLevelDiscount': {
      const off = ctx.levelOffMicro;
      if (!member || !ctx.level || off === null || off <= 0) return null;
      if (rule.levels !== null && !rule.levels.includes(member.levelCode)) return null;
      return perLine(p, ctx, linesIn(ctx, compileScope(rule.scope), work, true), (w) => w.netMinor * off);
    }
    case 'memberPrice':
    case 'specialPrice': {
      if (rule.type === 'memberPrice' && (!member || (rule.levels !== null && !rule.levels.includes(member.levelCode)))) return null;
      const items = compileItems(rule.items);
      if (!itemsMayTouch(items, ctx.index)) return null;
      const lines = linesOfItems(ctx, items, work, rule.type === 'memberPrice');
      return perLine(p, ctx, lines, (w) => (w.netMinor - itemPrice(items.get(w.line.sku)!, w.line) * w.line.quantity) * MICRO);
    }
    case 'limitedQuantitySpecial': {
      const items = compileItems(rule.items);
      if (!itemsMayTouch(items, ctx.index)) return null;
      let unitsLeft = Math.min(memberRemaining(p, ctx.basket), p.budget?.kind === 'quantity' ? budgetRemaining(p, ctx.basket) : Infinity);
      const ev = empty(p, false);
      const exact = new ExactSum();
      let units = 0;
      for (const w of linesOfItems(ctx, items, work, false)) {
        if (unitsLeft === 0) break;
        const price = items.get(w.line.sku)!;
        const unit = unitOf(w);
        if (compareUnits(unit, price) <= 0) continue;
        const n = Math.min(unitsLeft, w.line.quantity);
        unitsLeft -= n;
        units += n;
        const off = typeof unit === 'number' ? unit - price : unit.minus(price);
        ev.lines.push(w.idx);
        ev.weights.push(shareWeight(off, n, w));
        exact.add(off, n, MICRO);
      }
      if (units === 0) return null;
      ev.amountMinor = settle(p, ctx, exact.value(), ev.weights);
      if (ev.amountMinor === 0) return null;
      ev.memberUses = units;
      ev.budgetQuantity = units;
      ev.detail.times = units;
      return ev;
    }
    case 'spendThresholdDiscount': {
      if (!mayTouch(compileScope(rule.scope), ctx.index)) return null;
      return spendThreshold(p, ctx, work, rule);
    }
    case 'spendThresholdGift': {
      const scope = compileScope(rule.scope);
      if (!mayTouch(scope, ctx.index) || rule.thresholdMinor <= 0) return null;
      const lines = linesIn(ctx, scope, work, false);
      const eligible = sumNet(lines);
      if (eligible < rule.thresholdMinor) return null;
      const sets = Math.min(rule.repeat ? Math.floor(eligible / rule.thresholdMinor) : 1, rule.maxGifts ?? Infinity);
      if (sets <= 0) return null;
      const ev = empty(p, false);
      for (const w of lines) {
        ev.lines.push(w.idx);
        ev.weights.push(w.netMinor);
      }
      ev.giftSets = sets;
      ev.giftValueMinor = rule.gift.unitValueMinor * rule.gift.quantity * sets;
      ev.memberUses = 1;
      ev.budgetQuantity = 1;
      ev.detail.times = sets;
      return ev;
    }
    case 'buyXGetY': {
      if (rule.buyQuantity < 1 || rule.getQuantity < 1) throw new RangeError(`promotion ${p.id}: buy and get quantities must be at least 1`);
      if (!mayTouch(compileScope(rule.buy), ctx.index)) return null;
      if (rule.get !== 'same' && !mayTouch(compileScope(rule.get), ctx.index)) return null;
      return buyXGetY(p, ctx, work, rule);
    }
    case 'secondItem': {
      const scope = compileScope(rule.scope);
      if (!mayTouch(scope, ctx.index)) return null;
      return sameScopeGroups(p, ctx, linesIn(ctx, scope, work, false), 1, 1, rule.rate, null);
    }
    case 'bundle': {
      if (!rule.components.every((c) => mayTouch(compileScope(c.scope), ctx.index))) return null;
      return bundle(p, ctx, work, rule);
    }
    case 'birthday': {
      if (!member?.birthday || !inBirthdayWindow(ctx.basket.at.localDate, member.birthday, rule.window)) return null;
      const scope = compileScope(rule.scope);
      if (!mayTouch(scope, ctx.index)) return null;
      const lines = linesIn(ctx, scope, work, true);
      const benefit = rule.benefit;
      // A plain percentage with no minimum or cap is per line; anything else couples the lines.
      if (benefit.kind === 'percent' && rule.minSpendMinor <= 0 && (benefit.capMinor ?? null) === null) {
        const off = MICRO - rateMicro(benefit.rate, 'birthday rate');
        return perLine(p, ctx, lines, (w) => w.netMinor * off);
      }
      const eligible = sumNet(lines);
      if (eligible === 0 || eligible < rule.minSpendMinor) return null;
      return wholeFootprint(p, ctx, lines, benefitValue(benefit, eligible, 1));
    }
    case 'coupon': {
      const codes = ctx.coupons.get(p.id);
      if (!codes || codes.length === 0) return null;
      const scope = compileScope(rule.scope);
      const lines = linesIn(ctx, scope, work, false);
      const eligible = sumNet(lines);
      let n = Math.min(
        codes.length,
        rule.benefit.kind === 'percent' ? 1 : Math.max(1, rule.maxPerBasket),
        memberRemaining(p, ctx.basket),
        p.budget?.kind === 'quantity' ? budgetRemaining(p, ctx.basket) : Infinity,
      );
      if (rule.minSpendMinor > 0) n = Math.min(n, Math.floor(eligible / rule.minSpendMinor));
      if (n <= 0 || eligible === 0) return null;
      const ev = wholeFootprint(p, ctx, lines, benefitValue(rule.benefit, eligible, n));
      if (!ev) return null;
      ev.couponCodes = codes.slice(0, n).map((c) => c.code);
      ev.memberUses = n;
      ev.budgetQuantity = n;
      ev.detail.times = n;
      return ev;
    }
    case 'pointsMultiplier':
      // Points are priced separately (see engine); they never change an amount.
      return null;
  }
}
