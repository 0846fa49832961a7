/**
 * The pricing engine: a basket and the promotions as data in, a priced basket out. Pure and
 * deterministic — it reads no clock, does no I/O, never mutates its input, and prices the same
 * basket the same way whatever the order of its lines. It returns actions (adjustments, gifts,
 * points multipliers, coupons consumed, usage to record); applying and reverting them belongs
 * to the sale and refund steps.
 *
 * Order of work:
 *  1. header checks: status (scheduled or active), org scope, dates/weekdays/hours, per-member
 *     limit, budget, coupon presented — only for promotions the sku/category/brand index says may
 *     touch a line;
 *  2. exclusive promotions: each line takes at most one; the best combination is chosen exactly
 *     (see combine.ts), on the lines' full amounts;
 *  3. stackable promotions, highest priority first (then id), each on what is left of the lines;
 *  4. points multipliers on the final amounts.
 * Every adjustment is rounded once (its named rounding) and split over the lines it touches with
 * `prorate` (largest remainder), so a refund can reverse it line by line.
 */
import Decimal from 'decimal.js';
import { DomainError, invariant } from '../errors';
import { assertMinor } from '../money';
import { allocate } from './allocate';
import { inTimeWindow, parseDate } from './calendar';
import { chooseExclusive } from './combine';
import { labelFor } from './labels';
import { candidatesFor, preparePromotions, type PromotionSet } from './promotion-set';
import { budgetRemaining, evaluate, fromMicro, linesIn, memberRemaining, MEMBER_TYPES, MICRO, rateMicro, settle, type Evaluation, type PricingContext, type WorkLine } from './rules';
import { compileScope, type BasketIndex } from './scope';
import type {
  AdjustmentAction,
  Allocation,
  Basket,
  BasketLine,
  CouponRejection,
  GiftAction,
  PointsAction,
  PresentedCoupon,
  PricedBasket,
  PricedLine,
  PricedLineAdjustment,
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
  return [...lines].sort(byContent);
}

function byContent(a: BasketLine, b: BasketLine): number {
  if (a.sku !== b.sku) return a.sku < b.sku ? -1 : 1;
  return a.unitPriceMinor - b.unitPriceMinor || a.quantity - b.quantity || a.lineNo - b.lineNo;
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

/** The working state of one pricing: lines with what is left of them, and what has been applied. */
interface Pricing {
  ctx: PricingContext;
  work: WorkLine[];
  /** By canonical line index: the shares each applied promotion took. */
  perLine: PricedLineAdjustment[][];
  applied: Applied[];
}

const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/** Coupons: expired, repeated and unknown codes are refused before anything is priced. */
function acceptCoupons(basket: Basket, set: PromotionSet, ancestors: ReadonlySet<string>) {
  const rejected: PricedBasket['couponsRejected'] = [];
  const accepted = new Map<string, PresentedCoupon[]>();
  const seen = new Set<string>();
  for (const coupon of [...basket.couponsPresented].sort(byCode)) {
    const p = set.byId.get(coupon.promotionId);
    const reason: CouponRejection | null = !p
      ? 'UNKNOWN_PROMOTION'
      : p.rule.type !== 'coupon'
        ? 'NOT_A_COUPON'
        : seen.has(coupon.code)
          ? 'LIMIT_REACHED'
          : coupon.validTo && basket.at.localDate > coupon.validTo
            ? 'EXPIRED'
            : !isLive(p, basket, ancestors)
              ? 'NOT_APPLICABLE'
              : null;
    seen.add(coupon.code);
    if (reason) rejected.push({ code: coupon.code, promotionId: coupon.promotionId, reason });
    else accepted.set(coupon.promotionId, [...(accepted.get(coupon.promotionId) ?? []), coupon]);
  }
  return { accepted, rejected };
}

/** Takes a rounded adjustment off the lines it touches, split by largest remainder, and records it. */
function applyAdjustment(st: Pricing, ev: Evaluation, idxs: readonly number[], weights: readonly number[], amountMinor: number): void {
  const p = ev.promotion;
  let action: AdjustmentAction | null = null;
  if (amountMinor > 0) {
    const shares = allocate(amountMinor, weights);
    const allocations: Allocation[] = [];
    idxs.forEach((idx, i) => {
      const share = shares[i]!;
      if (share === 0) return;
      const w = st.work[idx]!;
      invariant(share > 0 && share <= w.netMinor, `promotion ${p.id} allocates ${share} to line ${w.line.lineNo} holding ${w.netMinor}`);
      w.netMinor -= share;
      st.perLine[idx]!.push({ promotionId: p.id, amountMinor: share });
      allocations.push({ lineNo: w.line.lineNo, amountMinor: share });
    });
    action = {
      kind: 'adjustment',
      promotionId: p.id,
      promotionType: p.rule.type,
      group: p.group,
      amountMinor,
      rounding: p.rounding ?? st.ctx.rounding,
      label: labelFor(p, ev, st.ctx, idxs.map((idx) => st.work[idx]!)),
      allocations: allocations.sort((a, b) => a.lineNo - b.lineNo),
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
      label: labelFor(p, ev, st.ctx, ev.lines.map((idx) => st.work[idx]!)),
    };
  }
  if (action || gift) st.applied.push({ promotion: p, ev, action, gift });
}

/** A separable evaluation on some of its lines: their exact values summed, rounded once. */
function applySeparable(st: Pricing, ev: Evaluation, keep: (idx: number) => boolean): void {
  const idxs: number[] = [];
  const weights: number[] = [];
  let sumMicro = 0;
  ev.lines.forEach((idx, i) => {
    if (!keep(idx)) return;
    idxs.push(idx);
    weights.push(ev.weights[i]!);
    sumMicro += ev.values[i]!;
  });
  if (idxs.length > 0) applyAdjustment(st, ev, idxs, weights, settle(ev.promotion, st.ctx, fromMicro(sumMicro), weights));
}

const isPoints = (p: Promotion) => p.rule.type === 'pointsMultiplier';

/** Exclusive promotions, evaluated on full amounts; the chosen ones touch disjoint lines. Returns all evaluations. */
function applyExclusive(st: Pricing, live: readonly Promotion[]): Evaluation[] {
  const evaluations: Evaluation[] = [];
  for (const p of live) {
    if (p.group !== 'exclusive' || isPoints(p)) continue;
    const ev = evaluate(p, st.ctx, st.work);
    if (ev) evaluations.push(ev);
  }
  const choice = chooseExclusive(evaluations, st.work.length);
  const chosenWhole = new Set(choice.whole);
  for (const ev of evaluations) {
    if (ev.separable) applySeparable(st, ev, (idx) => choice.perLine[idx] === ev);
    else if (chosenWhole.has(ev)) applyAdjustment(st, ev, ev.lines, ev.weights, ev.amountMinor);
  }
  return evaluations;
}

/** Stackable promotions in priority order, each on what the earlier ones left. */
function applyStackable(st: Pricing, live: readonly Promotion[]): void {
  for (const p of live) {
    if (p.group !== 'stackable' || isPoints(p)) continue;
    const ev = evaluate(p, st.ctx, st.work);
    if (!ev) continue;
    if (ev.separable) applySeparable(st, ev, () => true);
    else applyAdjustment(st, ev, ev.lines, ev.weights, ev.amountMinor);
  }
}

/** Points multipliers on the final amounts; among exclusive ones only the highest counts. */
function pointsActions(st: Pricing, live: readonly Promotion[]): PointsAction[] {
  const points: PointsAction[] = [];
  let bestExclusive: PointsAction | null = null;
  for (const p of live) {
    if (p.rule.type !== 'pointsMultiplier') continue;
    const eligible = linesIn(st.ctx, compileScope(p.rule.scope), st.work, true);
    const amount = eligible.reduce((s, w) => s + w.netMinor, 0);
    if (eligible.length === 0 || amount < p.rule.minSpendMinor) continue;
    const action: PointsAction = {
      kind: 'points',
      promotionId: p.id,
      multiplier: p.rule.multiplier,
      lineNos: eligible.map((w) => w.line.lineNo).sort((a, b) => a - b),
      eligibleAmountMinor: amount,
      label: labelFor(p, null, st.ctx, eligible),
    };
    if (p.group === 'stackable') points.push(action);
    else if (!bestExclusive || new Decimal(action.multiplier).greaterThan(bestExclusive.multiplier)) bestExclusive = action;
  }
  return bestExclusive ? [bestExclusive, ...points] : points;
}

/** Which accepted codes were used, and why the others were not. */
function couponOutcome(st: Pricing, accepted: ReadonlyMap<string, PresentedCoupon[]>, exclusive: readonly Evaluation[], set: PromotionSet) {
  const consumed: PresentedCoupon[] = [];
  const rejected: PricedBasket['couponsRejected'] = [];
  const used = new Set(st.applied.flatMap((a) => a.ev.couponCodes));
  const appliedIds = new Set(st.applied.map((a) => a.promotion.id));
  for (const [promotionId, list] of accepted) {
    const p = set.byId.get(promotionId)!;
    for (const coupon of list) {
      if (used.has(coupon.code)) {
        consumed.push({ ...coupon });
        continue;
      }
      const reason: CouponRejection = appliedIds.has(promotionId)
        ? 'LIMIT_REACHED'
        : exclusive.some((ev) => ev.promotion.id === promotionId)
          ? 'NOT_CHOSEN'
          : p.rule.type === 'coupon' && p.rule.minSpendMinor > 0
            ? 'MIN_SPEND_NOT_MET'
            : 'NOT_APPLICABLE';
      rejected.push({ code: coupon.code, promotionId, reason });
    }
  }
  return { consumed, rejected };
}

/** What to record when the sale completes: member uses and budget drawn, per promotion applied. */
function usageRequests(st: Pricing, points: readonly PointsAction[], set: PromotionSet): UsageRequest[] {
  const member = st.ctx.basket.member !== null;
  const usageOf = (p: Promotion, memberUses: number, budgetQuantity: number, amountMinor: number): UsageRequest => ({
    promotionId: p.id,
    memberUses: member ? memberUses : 0,
    budget:
      p.budget === null
        ? null
        : p.budget.kind === 'amount'
          ? { kind: 'amount', amountMinor }
          : { kind: 'quantity', quantity: budgetQuantity },
  });
  return [
    ...st.applied.map((a) => usageOf(a.promotion, a.ev.memberUses, a.ev.budgetQuantity, a.action?.amountMinor ?? 0)),
    ...points.map((pt) => usageOf(set.byId.get(pt.promotionId)!, 1, 1, 0)),
  ];
}

/** The priced lines, by lineNo, each checked: never below zero, adjustments adding up. */
function pricedLines(st: Pricing): PricedLine[] {
  return st.work
    .map((w): PricedLine => {
      const discountMinor = w.grossMinor - w.netMinor;
      const adjustments = st.perLine[w.idx]!;
      invariant(w.netMinor >= 0, `line ${w.line.lineNo} went below zero`);
      invariant(adjustments.reduce((s, a) => s + a.amountMinor, 0) === discountMinor, `line ${w.line.lineNo} adjustments do not add up`);
      return {
        lineNo: w.line.lineNo,
        sku: w.line.sku,
        quantity: w.line.quantity,
        unitPriceMinor: w.line.unitPriceMinor,
        grossMinor: w.grossMinor,
        discountMinor,
        amountMinor: w.netMinor,
        adjustments,
      };
    })
    .sort((a, b) => a.lineNo - b.lineNo);
}

/**
 * Prices `basket` against `promotions`; pure, deterministic, and independent of line order.
 * Pass a `preparePromotions` result when pricing many baskets against the same promotions.
 */
export function priceBasket(basket: Basket, promotions: readonly Promotion[] | PromotionSet, options: PricingOptions): PricedBasket {
  validateBasket(basket);
  const work: WorkLine[] = canonical(basket.lines).map((line, idx) => {
    const grossMinor = line.quantity * line.unitPriceMinor;
    return { idx, line, grossMinor, netMinor: grossMinor };
  });
  const index: BasketIndex = {
    skus: groupBy(work, (l) => l.sku),
    categories: groupBy(work, (l) => l.category),
    brands: groupBy(work, (l) => l.brand ?? null),
  };

  // 1. Header checks, only for promotions that may touch a line of this basket.
  const set = 'kind' in promotions ? promotions : preparePromotions(promotions);
  const ancestors = new Set(basket.storeAncestors);
  const live = candidatesFor(set, index.skus.keys(), index.categories.keys(), index.brands.keys()).filter((p) => isLive(p, basket, ancestors));
  const coupons = acceptCoupons(basket, set, ancestors);

  const level = basket.member ? (options.levels.find((l) => l.code === basket.member!.levelCode) ?? null) : null;
  const ctx: PricingContext = {
    basket,
    index,
    level,
    levelOffMicro: level ? MICRO - rateMicro(level.discountRate, `level ${level.code} discount rate`) : null,
    rounding: options.rounding ?? 'HALF_UP',
    currency: options.currency ?? 'CNY',
    coupons: coupons.accepted,
  };
  const st: Pricing = { ctx, work, perLine: work.map(() => []), applied: [] };

  // 2–4. Exclusive, stackable, points.
  const exclusive = applyExclusive(st, live);
  applyStackable(st, live);
  const points = pointsActions(st, live);
  const outcome = couponOutcome(st, coupons.accepted, exclusive, set);

  const lines = pricedLines(st);
  const adjustments = st.applied.flatMap((a) => (a.action ? [a.action] : []));
  for (const a of adjustments) {
    invariant(a.allocations.reduce((s, x) => s + x.amountMinor, 0) === a.amountMinor, `promotion ${a.promotionId} allocations do not add up`);
  }
  const grossMinor = lines.reduce((s, l) => s + l.grossMinor, 0);
  const discountMinor = adjustments.reduce((s, a) => s + a.amountMinor, 0);
  assertMinor(grossMinor, 'basket gross');
  invariant(discountMinor <= grossMinor, 'discount exceeds the basket');

  return {
    lines,
    adjustments,
    gifts: st.applied.flatMap((a) => (a.gift ? [a.gift] : [])),
    points,
    couponsConsumed: outcome.consumed.sort(byCode),
    couponsRejected: [...coupons.rejected, ...outcome.rejected].sort(byCode),
    usage: usageRequests(st, points, set),
    totals: { grossMinor, discountMinor, netMinor: grossMinor - discountMinor },
  };
}
