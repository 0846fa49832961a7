/**
 * Promotions prepared once (when they change, e.g. after a sync) and priced against many baskets:
 * sorted in the engine's order, checked for duplicate ids, and indexed by the skus, categories and
 * brands they can touch, so a basket only looks at the promotions that could concern it.
 */
import { DomainError } from '../errors';
import type { Promotion, PromotionRule, Scope } from './types';

export interface PromotionSet {
  readonly kind: 'promotionSet';
  /** Priority descending, then id ascending: the order stackable ones apply in and ties break by. */
  readonly sorted: readonly Promotion[];
  readonly byId: ReadonlyMap<string, Promotion>;
  /** Positions in `sorted` of promotions that may touch a line of this sku / category / brand. */
  readonly bySku: ReadonlyMap<string, readonly number[]>;
  readonly byCategory: ReadonlyMap<string, readonly number[]>;
  readonly byBrand: ReadonlyMap<string, readonly number[]>;
  /** Positions of promotions with no narrowing include list (any basket may concern them). */
  readonly everywhere: readonly number[];
}

/** Priority descending, then id: the order stackable promotions apply in and ties are broken by. */
export function byPriority(a: Promotion, b: Promotion): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The include lists a promotion needs at least one basket line to match; null = no narrowing. */
function anchorScope(rule: PromotionRule): Scope | null {
  switch (rule.type) {
    case 'memberPrice':
    case 'specialPrice':
    case 'limitedQuantitySpecial':
      return { skus: rule.items.map((i) => i.sku) };
    case 'buyXGetY':
      return rule.buy;
    case 'bundle':
      return rule.components[0]?.scope ?? null;
    case 'memberLevelDiscount':
    case 'spendThresholdDiscount':
    case 'spendThresholdGift':
    case 'birthday':
    case 'pointsMultiplier':
    case 'coupon':
      return rule.scope ?? null;
    case 'secondItem':
      return rule.scope;
  }
}

/** Sorts, checks and indexes promotions for repeated pricing; pass the result to `priceBasket`. */
export function preparePromotions(promotions: readonly Promotion[]): PromotionSet {
  const sorted = [...promotions].sort(byPriority);
  const byId = new Map<string, Promotion>();
  const bySku = new Map<string, number[]>();
  const byCategory = new Map<string, number[]>();
  const byBrand = new Map<string, number[]>();
  const everywhere: number[] = [];
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (!list) map.set(key, [i]);
    else if (list[list.length - 1] !== i) list.push(i);
  };
  sorted.forEach((p, i) => {
    if (byId.has(p.id)) throw new DomainError('VALIDATION_FAILED', `promotion ${p.id} is listed twice`, { promotionId: p.id });
    byId.set(p.id, p);
    const scope = anchorScope(p.rule);
    const narrowed = scope && ((scope.skus?.length ?? 0) > 0 || (scope.categories?.length ?? 0) > 0 || (scope.brands?.length ?? 0) > 0);
    if (!scope || !narrowed) {
      everywhere.push(i);
      return;
    }
    for (const s of scope.skus ?? []) add(bySku, s, i);
    for (const c of scope.categories ?? []) add(byCategory, c, i);
    for (const b of scope.brands ?? []) add(byBrand, b, i);
  });
  return { kind: 'promotionSet', sorted, byId, bySku, byCategory, byBrand, everywhere };
}

/** The promotions of `set` that may concern a basket with these skus, categories and brands, in order. */
export function candidatesFor(
  set: PromotionSet,
  skus: Iterable<string>,
  categories: Iterable<string>,
  brands: Iterable<string>,
): Promotion[] {
  const marked = new Uint8Array(set.sorted.length);
  const mark = (list: readonly number[] | undefined) => {
    if (list) for (const i of list) marked[i] = 1;
  };
  mark(set.everywhere);
  for (const s of skus) mark(set.bySku.get(s));
  for (const c of categories) mark(set.byCategory.get(c));
  for (const b of brands) mark(set.byBrand.get(b));
  const out: Promotion[] = [];
  for (let i = 0; i < marked.length; i++) if (marked[i]) out.push(set.sorted[i]!);
  return out;
}
