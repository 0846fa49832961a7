/**
 * Scopes and item lists compiled once per promotion object into sets, so that checking 1,000
 * promotions against a basket costs set look-ups, not array scans. The caches are keyed weakly
 * by the (immutable) promotion data and never change what the data says.
 */
import type { BasketLine, Scope, SkuPrice } from './types';

export interface CompiledScope {
  /** No include list: every line is in, unless excluded. */
  everything: boolean;
  skus: ReadonlySet<string> | null;
  categories: ReadonlySet<string> | null;
  brands: ReadonlySet<string> | null;
  excludeSkus: ReadonlySet<string> | null;
  excludeCategories: ReadonlySet<string> | null;
  excludeBrands: ReadonlySet<string> | null;
}

/** A set of keys: a Set, or a Map looked at by its keys. */
export interface KeySet {
  readonly size: number;
  has(key: string): boolean;
  keys(): Iterable<string>;
}

/**
 * The skus, categories and brands present in a basket, each to the canonical indices of its
 * lines (ascending): the cheap first relevance test, and where a one-key scope finds its lines.
 */
export interface BasketIndex {
  skus: ReadonlyMap<string, readonly number[]>;
  categories: ReadonlyMap<string, readonly number[]>;
  brands: ReadonlyMap<string, readonly number[]>;
}

const setOrNull = (list: readonly string[] | undefined): ReadonlySet<string> | null =>
  list && list.length > 0 ? new Set(list) : null;

const EVERYTHING: CompiledScope = {
  everything: true,
  skus: null,
  categories: null,
  brands: null,
  excludeSkus: null,
  excludeCategories: null,
  excludeBrands: null,
};

const scopeCache = new WeakMap<Scope, CompiledScope>();
const itemsCache = new WeakMap<readonly SkuPrice[], ReadonlyMap<string, number>>();

/** The compiled form of `scope` (undefined = the whole basket). */
export function compileScope(scope: Scope | undefined): CompiledScope {
  if (!scope) return EVERYTHING;
  const cached = scopeCache.get(scope);
  if (cached) return cached;
  const skus = setOrNull(scope.skus);
  const categories = setOrNull(scope.categories);
  const brands = setOrNull(scope.brands);
  const compiled: CompiledScope = {
    everything: !skus && !categories && !brands,
    skus,
    categories,
    brands,
    excludeSkus: setOrNull(scope.excludeSkus),
    excludeCategories: setOrNull(scope.excludeCategories),
    excludeBrands: setOrNull(scope.excludeBrands),
  };
  scopeCache.set(scope, compiled);
  return compiled;
}

/** sku → special price of an item list; the first entry for a sku wins. */
export function compileItems(items: readonly SkuPrice[]): ReadonlyMap<string, number> {
  const cached = itemsCache.get(items);
  if (cached) return cached;
  const map = new Map<string, number>();
  for (const item of items) if (!map.has(item.sku)) map.set(item.sku, item.priceMinor);
  itemsCache.set(items, map);
  return map;
}

/** Whether a line is in a scope. */
export function inScope(scope: CompiledScope, line: BasketLine): boolean {
  const brand = line.brand ?? null;
  if (scope.excludeSkus?.has(line.sku)) return false;
  if (scope.excludeCategories?.has(line.category)) return false;
  if (brand !== null && scope.excludeBrands?.has(brand)) return false;
  if (scope.everything) return true;
  return (
    (scope.skus?.has(line.sku) ?? false) ||
    (scope.categories?.has(line.category) ?? false) ||
    (brand !== null && (scope.brands?.has(brand) ?? false))
  );
}

function intersects(a: KeySet, b: KeySet): boolean {
  if (a.size <= b.size) {
    for (const x of a.keys()) if (b.has(x)) return true;
  } else {
    for (const x of b.keys()) if (a.has(x)) return true;
  }
  return false;
}

/** A quick necessary condition for any basket line being in scope (exclusions not considered). */
export function mayTouch(scope: CompiledScope, index: BasketIndex): boolean {
  if (scope.everything) return true;
  return (
    (scope.skus !== null && intersects(scope.skus, index.skus)) ||
    (scope.categories !== null && intersects(scope.categories, index.categories)) ||
    (scope.brands !== null && intersects(scope.brands, index.brands))
  );
}

/** Whether any item of a compiled item list is in the basket. */
export function itemsMayTouch(items: ReadonlyMap<string, number>, index: BasketIndex): boolean {
  if (items.size <= index.skus.size) {
    for (const sku of items.keys()) if (index.skus.has(sku)) return true;
    return false;
  }
  for (const sku of index.skus.keys()) if (items.has(sku)) return true;
  return false;
}
