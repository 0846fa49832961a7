/**
 * The pricing engine: a basket and the promotions as data in, a priced basket out. Pure and
 * deterministic — it reads no clock, does no I/O, never mutates its input, and prices the same
 * basket the same way whatever the order of its lines. It returns actions (adjustments, gifts,
 * points multipliers, coupons consumed, usage to record); applying and reverting them belongs
 * to the sale and refund steps.
 *
 * Order of work:
 *  1. header checks: status, org scope, dates/weekdays/hours, per-member limit, budget, coupon presented;
 *  2. exclusive promotions: each line takes at most one; the best combination is chosen exactly
 *     (see combine.ts), on the lines' full amounts;
 *  3. stackable promotions, highest priority first (then id), each on what is left of the lines;
 *  4. points multipliers on the final amounts.
 * Every adjustment is rounded once (its named rounding) and split over the lines it touches with
 * `prorate` (largest remainder), so a refund can reverse it line by line.
 */
import Decimal from 'decimal.js';
import { DomainError, invariant } from '../errors';
import { assertMinor, prorate } from '../money';
import { inTimeWindow, parseDate } from './calendar';
import { chooseExclusive } from './combine';
import { labelFor } from './labels';
import { candidatesFor, preparePromotions, type PromotionSet } from './promotion-set';
import { budgetRemaining, evaluate, fromMicro, linesIn, memberRemaining, MEMBER_TYPES, MICRO, rateMicro, settle, type Evaluation, type PricingContext, type WorkLine } from './rules';
import { compileScope, type BasketIndex } from './scope';
import type {
  AdjustmentAction,
  Basket,
  BasketLine,
  CouponRejection,
  GiftAction,
  PointsAction,
  PresentedCoupon,
  PricedBasket,
  PricedLine,
  PricingOptions,
  Promotion,
  UsageRequest,
} from './types';

/** Statuses that may apply inside their window: approved and waiting, or running. */
const LIVE_STATUSES: ReadonlySet<Promotion['status']> = new Set(['scheduled', 'active']);

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new DomainError('VALIDATION_FAILED', message, details);
}

function validateBasket(basket: Basket): void {
  const seen = new Set<number>();
  for (const l of basket.lines) {
    if (!Number.isSafeInteger(l.lineNo) || seen.has(l.lineNo)) fail(`line numbers must be unique integers (line ${l.lineNo})`, { lineNo: l.lineNo });
    seen.add(l.lineNo);
    if (!Number.isSafeInteger(l.quantity) || l.quantity < 1) fail(`line ${l.lineNo}: quantity must be a whole number of at least 1`, { lineNo: l.lineNo });
    if (!Number.isSafeInteger(l.unitPriceMinor) || l.unitPriceMinor < 0) fail(`line ${l.lineNo}: unit price must be whole minor units, not negative`, { lineNo: l.lineNo });
    if (!Number.isSafeInteger(l.quantity * l.unitPriceMinor)) fail(`line ${l.lineNo}: amount too large`, { lineNo: l.lineNo });
  }
  const { weekday, minuteOfDay, localDate } = basket.at;
  parseDate(localDate);
  if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7) fail(`weekday must be 1…7, got ${weekday}`);
  if (!Number.isInteger(minuteOfDay) || minuteOfDay < 0 || minuteOfDay > 1439) fail(`minute of day must be 0…1439, got ${minuteOfDay}`);
}

/** Lines in a canonical order, so the result never depends on the order they were scanned in. */
function canonical(lines: readonly BasketLine[]): BasketLine[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...lines].sort(
    (a, b) => cmp(a.sku, b.sku) || a.unitPriceMinor - b.unitPriceMinor || a.quantity - b.quantity || a.lineNo - b.lineNo,
  );
}

/** Whether a promotion's header lets it apply to this basket at all (scope, time, status, limits, budget). */
export function isLive(p: Promotion, basket: Basket, ancestors: ReadonlySet<string> = new Set(basket.storeAncestors)): boolean {
  if (!LIVE_STATUSES.has(p.status)) return false;
  if (!ancestors.has(p.orgNodeId)) return false;
  if (!inTimeWindow(p, basket.at)) return false;
  if (MEMBER_TYPES.has(p.rule.type) && !basket.member) return false;
  if (memberRemaining(p, basket) <= 0) return false;
  if (budgetRemaining(p, basket) <= 0) return false;
  return true;
}

/** Canonical indices of the working lines by a key of their line, ascending. */
function groupBy(work: readonly WorkLine[], key: (l: BasketLine) => string | null): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const w of work) {
    const k = key(w.line);
    if (k === null) continue;
    const list = map.get(k);
    if (list) list.push(w.idx);
    else map.set(k, [w.idx]);
  }
  return map;
}

interface Applied {
  promotion: Promotion;
  ev: Evaluation;
  action: AdjustmentAction | null;
  gift: GiftAction | null;
}

/**
 * Prices `basket` against `promotions`; pure, deterministic, and independent of line order.
 * Pass a `preparePromotions` result when pricing many baskets against the same promotions.
 */
export function priceBasket(basket: Basket, promotions: readonly Promotion[] | PromotionSet, options: PricingOptions): PricedBasket {
  validateBasket(basket);
  const currency = options.currency ?? 'CNY';
  const lines = canonical(basket.lines);
  const work: WorkLine[] = lines.map((line, idx) => {
    const grossMinor = line.quantity * line.unitPriceMinor;
    return { idx, line, grossMinor, netMinor: grossMinor };
  });
  const index: BasketIndex = {
    skus: new Set(lines.map((l) => l.sku)),
    categories: new Set(lines.map((l) => l.category)),
    brands: new Set(lines.flatMap((l) => (l.brand ? [l.brand] : []))),
  };

  const set = 'kind' in promotions ? promotions : preparePromotions(promotions);
  const ancestors = new Set(basket.storeAncestors);
  // Only promotions that may touch a line of this basket go on to the header checks.
  const candidates = candidatesFor(set, index.skus, index.categories, index.brands);
  const live = candidates.filter((p) => isLive(p, basket, ancestors));

  // Coupons: expired and repeated codes are refused before anything is priced.
  const rejected: PricedBasket['couponsRejected'] = [];
  const coupons = new Map<string, PresentedCoupon[]>();
  const seenCodes = new Set<string>();
  const byId = set.byId;
  for (const coupon of [...basket.couponsPresented].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))) {
    const reject = (reason: CouponRejection) => rejected.push({ code: coupon.code, promotionId: coupon.promotionId, reason });
    const p = byId.get(coupon.promotionId);
    if (!p) reject('UNKNOWN_PROMOTION');
    else if (p.rule.type !== 'coupon') reject('NOT_A_COUPON');
    else if (seenCodes.has(coupon.code)) reject('LIMIT_REACHED');
    else if (coupon.validTo && basket.at.localDate > coupon.validTo) reject('EXPIRED');
    else if (!isLive(p, basket, ancestors)) reject('NOT_APPLICABLE');
    else {
      const list = coupons.get(p.id) ?? [];
      list.push(coupon);
      coupons.set(p.id, list);
    }
    seenCodes.add(coupon.code);
  }

  const level = basket.member ? (options.levels.find((l) => l.code === basket.member!.levelCode) ?? null) : null;
  const ctx: PricingContext = {
    basket,
    index,
    level,
    levelOffMicro: level ? MICRO - rateMicro(level.discountRate, `level ${level.code} discount rate`) : null,
    rounding: options.rounding ?? 'HALF_UP',
    currency,
    coupons,
    lookup: { bySku: groupBy(work, (l) => l.sku), byCategory: groupBy(work, (l) => l.category), byBrand: groupBy(work, (l) => l.brand ?? null) },
  };

  const perLine: Array<Array<{ promotionId: string; amountMinor: number }>> = work.map(() => []);
  const applied: Applied[] = [];

  /** Rounds once, splits by largest remainder, takes the shares off the lines. */
  const apply = (ev: Evaluation, idxs: readonly number[], weights: readonly number[], amountMinor: number): void => {
    const p = ev.promotion;
    let action: AdjustmentAction | null = null;
    if (amountMinor > 0) {
      const shares = prorate(amountMinor, weights);
      const allocations = idxs
        .map((idx, i) => ({ lineNo: work[idx]!.line.lineNo, amountMinor: shares[i]!, idx }))
        .filter((a) => a.amountMinor !== 0);
      for (const a of allocations) {
        const w = work[a.idx]!;
        invariant(a.amountMinor > 0 && a.amountMinor <= w.netMinor, `promotion ${p.id} allocates ${a.amountMinor} to line ${w.line.lineNo} holding ${w.netMinor}`);
        w.netMinor -= a.amountMinor;
        perLine[a.idx]!.push({ promotionId: p.id, amountMinor: a.amountMinor });
      }
      const touched = idxs.map((idx) => work[idx]!);
      action = {
        kind: 'adjustment',
        promotionId: p.id,
        promotionType: p.rule.type,
        group: p.group,
        amountMinor,
        rounding: p.rounding ?? ctx.rounding,
        label: labelFor(p, ev, ctx, touched),
        allocations: allocations.map((a) => ({ lineNo: a.lineNo, amountMinor: a.amountMinor })).sort((a, b) => a.lineNo - b.lineNo),
        couponCodes: ev.couponCodes,
      };
    }
    let gift: GiftAction | null = null;
    if (ev.giftSets > 0 && p.rule.type === 'spendThresholdGift') {
      const g = p.rule.gift;
      gift = {
        kind: 'gift',
        promotionId: p.id,
        sku: g.sku,
        name: g.name,
        nameZh: g.nameZh,
        quantity: g.quantity * ev.giftSets,
        unitValueMinor: g.unitValueMinor,
        label: labelFor(p, ev, ctx, ev.lines.map((idx) => work[idx]!)),
      };
    }
    if (action || gift) applied.push({ promotion: p, ev, action, gift });
  };

  /** A separable evaluation restricted to some of its lines: the exact values summed, rounded once. */
  const applySeparable = (ev: Evaluation, keep: (idx: number) => boolean): void => {
    const idxs: number[] = [];
    const weights: number[] = [];
    let sumMicro = 0;
    ev.lines.forEach((idx, i) => {
      if (!keep(idx)) return;
      idxs.push(idx);
      weights.push(ev.weights[i]!);
      sumMicro += ev.values[i]!;
    });
    if (idxs.length > 0) apply(ev, idxs, weights, settle(ev.promotion, ctx, fromMicro(sumMicro), weights));
  };

  // 2. Exclusive: evaluated on full amounts; the chosen ones touch disjoint lines.
  const isPoints = (p: Promotion) => p.rule.type === 'pointsMultiplier';
  const exclusiveEvals = live
    .filter((p) => p.group === 'exclusive' && !isPoints(p))
    .map((p) => evaluate(p, ctx, work))
    .filter((ev): ev is Evaluation => ev !== null);
  const choice = chooseExclusive(exclusiveEvals, work.length);
  const chosenWhole = new Set(choice.whole);
  for (const ev of exclusiveEvals) {
    if (ev.separable) applySeparable(ev, (idx) => choice.perLine[idx] === ev);
    else if (chosenWhole.has(ev)) apply(ev, ev.lines, ev.weights, ev.amountMinor);
  }

  // 3. Stackable, in priority order, each on what the earlier ones left.
  for (const p of live) {
    if (p.group !== 'stackable' || isPoints(p)) continue;
    const ev = evaluate(p, ctx, work);
    if (!ev) continue;
    if (ev.separable) applySeparable(ev, () => true);
    else apply(ev, ev.lines, ev.weights, ev.amountMinor);
  }

  // 4. Points multipliers on final amounts; among exclusive ones only the highest counts.
  const points: PointsAction[] = [];
  let bestExclusivePoints: PointsAction | null = null;
  for (const p of live) {
    if (p.rule.type !== 'pointsMultiplier') continue;
    const eligible = linesIn(ctx, compileScope(p.rule.scope), work, true);
    const amount = eligible.reduce((s, w) => s + w.netMinor, 0);
    if (eligible.length === 0 || amount < p.rule.minSpendMinor) continue;
    const action: PointsAction = {
      kind: 'points',
      promotionId: p.id,
      multiplier: p.rule.multiplier,
      lineNos: eligible.map((w) => w.line.lineNo).sort((a, b) => a - b),
      eligibleAmountMinor: amount,
      label: labelFor(p, null, ctx, eligible),
    };
    if (p.group === 'stackable') points.push(action);
    else if (!bestExclusivePoints || new Decimal(action.multiplier).greaterThan(bestExclusivePoints.multiplier)) bestExclusivePoints = action;
  }
  if (bestExclusivePoints) points.unshift(bestExclusivePoints);

  // Coupons: consumed codes, and why the others were not.
  const consumed: PresentedCoupon[] = [];
  const usedCodes = new Set<string>();
  for (const a of applied) for (const code of a.ev.couponCodes) usedCodes.add(code);
  const appliedIds = new Set(applied.map((a) => a.promotion.id));
  for (const [promotionId, list] of coupons) {
    for (const coupon of list) {
      if (usedCodes.has(coupon.code)) consumed.push(coupon);
      else {
        const p = byId.get(promotionId)!;
        const reason: CouponRejection = appliedIds.has(promotionId)
          ? 'LIMIT_REACHED'
          : exclusiveEvals.some((ev) => ev.promotion.id === promotionId)
            ? 'NOT_CHOSEN'
            : p.rule.type === 'coupon' && p.rule.minSpendMinor > 0
              ? 'MIN_SPEND_NOT_MET'
              : 'NOT_APPLICABLE';
        rejected.push({ code: coupon.code, promotionId, reason });
      }
    }
  }
  rejected.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));

  // Usage to record when the sale completes.
  const usage: UsageRequest[] = [];
  const usageOf = (p: Promotion, memberUses: number, budgetQuantity: number, amountMinor: number): UsageRequest => ({
    promotionId: p.id,
    memberUses: basket.member ? memberUses : 0,
    budget:
      p.budget === null
        ? null
        : p.budget.kind === 'amount'
          ? { kind: 'amount', amountMinor }
          : { kind: 'quantity', quantity: budgetQuantity },
  });
  for (const a of applied) usage.push(usageOf(a.promotion, a.ev.memberUses, a.ev.budgetQuantity, a.action?.amountMinor ?? 0));
  for (const pt of points) usage.push(usageOf(byId.get(pt.promotionId)!, 1, 1, 0));

  const pricedLines: PricedLine[] = work
    .map((w): PricedLine => {
      const discountMinor = w.grossMinor - w.netMinor;
      invariant(w.netMinor >= 0, `line ${w.line.lineNo} went below zero`);
      invariant(perLine[w.idx]!.reduce((s, a) => s + a.amountMinor, 0) === discountMinor, `line ${w.line.lineNo} adjustments do not add up`);
      return {
        lineNo: w.line.lineNo,
        sku: w.line.sku,
        quantity: w.line.quantity,
        unitPriceMinor: w.line.unitPriceMinor,
        grossMinor: w.grossMinor,
        discountMinor,
        amountMinor: w.netMinor,
        adjustments: perLine[w.idx]!,
      };
    })
    .sort((a, b) => a.lineNo - b.lineNo);
  const adjustments = applied.flatMap((a) => (a.action ? [a.action] : []));
  for (const a of adjustments) {
    invariant(a.allocations.reduce((s, x) => s + x.amountMinor, 0) === a.amountMinor, `promotion ${a.promotionId} allocations do not add up`);
  }
  const grossMinor = pricedLines.reduce((s, l) => s + l.grossMinor, 0);
  const discountMinor = adjustments.reduce((s, a) => s + a.amountMinor, 0);
  assertMinor(grossMinor, 'basket gross');
  invariant(discountMinor <= grossMinor, 'discount exceeds the basket');

  return {
    lines: pricedLines,
    adjustments,
    gifts: applied.flatMap((a) => (a.gift ? [a.gift] : [])),
    points,
    couponsConsumed: consumed.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
    couponsRejected: rejected,
    usage,
    totals: { grossMinor, discountMinor, netMinor: grossMinor - discountMinor },
  };
}
