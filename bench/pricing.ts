/**
 * Pricing benchmark: a 50-line basket against 1,000 active promotions of every type, median and
 * p99 per basket, and the ratio to pricing the same basket with no promotions in the same run.
 * Target (issue 5): p99 under 2 ms.
 */
import { PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { basketOf, promotion } from '../core/pricing/builders';
import { priceBasket } from '../core/pricing/engine';
import { preparePromotions } from '../core/pricing/promotion-set';
import type { Basket, BasketLine, LevelRate, Promotion, PromotionRule, Scope } from '../core/pricing/types';

/** A small seeded generator (mulberry32), so every run prices the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEVELS: LevelRate[] = [
  { code: 'silver', name: 'Silver member', nameZh: '银卡会员', discountRate: '0.98' },
  { code: 'gold', name: 'Gold member', nameZh: '金卡会员', discountRate: '0.95' },
  { code: 'diamond', name: 'Diamond member', nameZh: '钻石会员', discountRate: '0.9' },
];

interface CatalogItem {
  sku: string;
  category: string;
  brand: string;
  priceMinor: number;
}

function catalog(random: () => number, size: number): CatalogItem[] {
  return Array.from({ length: size }, (_, i) => ({
    sku: `SKU-${String(i).padStart(5, '0')}`,
    category: `cat-${Math.floor(random() * 20)}`,
    brand: `brand-${Math.floor(random() * 50)}`,
    priceMinor: 100 + Math.floor(random() * 199) * 100 + (random() < 0.5 ? 90 : 0),
  }));
}

/** 1,000 live promotions in the proportions a grocery chain runs them. */
export function promotionsFor(random: () => number, items: readonly CatalogItem[], count = 1000): Promotion[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const skus = (n: number) => Array.from({ length: n }, () => pick(items).sku);
  const priced = (n: number) =>
    Array.from({ length: n }, () => {
      const item = pick(items);
      return { sku: item.sku, priceMinor: Math.floor(item.priceMinor * (0.6 + random() * 0.3)) };
    });
  const scope = (): Scope =>
    random() < 0.5 ? { categories: [pick(items).category], excludeSkus: skus(3) } : { brands: [pick(items).brand] };
  const org = () => pick(['hq', 'hq', 'region-1', 'store-1']);
  const kinds: Array<[number, () => PromotionRule]> = [
    [600, () => ({ type: 'specialPrice', items: priced(1 + Math.floor(random() * 5)) })],
    [100, () => ({ type: 'memberPrice', levels: random() < 0.5 ? null : ['gold', 'diamond'], items: priced(1 + Math.floor(random() * 3)) })],
    [60, () => ({ type: 'buyXGetY', buy: { skus: skus(1 + Math.floor(random() * 3)) }, buyQuantity: 2, get: 'same', getQuantity: 1, maxApplications: null })],
    [30, () => ({ type: 'buyXGetY', buy: { skus: skus(2) }, buyQuantity: 1, get: { skus: skus(1) }, getQuantity: 1, getRate: '0.5', maxApplications: 2 })],
    [40, () => ({ type: 'secondItem', rate: '0.5', scope: random() < 0.7 ? { skus: skus(2) } : scope() })],
    [40, () => ({ type: 'bundle', components: skus(2 + Math.floor(random() * 2)).map((s) => ({ scope: { skus: [s] }, quantity: 1 })), priceMinor: 1000 + Math.floor(random() * 3000), maxApplications: null })],
    [45, () => ({ type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 10000, offMinor: 1000 }, { thresholdMinor: 20000, offMinor: 3000 }], repeat: random() < 0.3, capMinor: 5000, scope: random() < 0.9 ? scope() : undefined })],
    [20, () => ({ type: 'spendThresholdGift', thresholdMinor: 15000, gift: { sku: 'GIFT-BAG', name: 'Tote bag', nameZh: '环保袋', quantity: 1, unitValueMinor: 500 }, repeat: false, maxGifts: 1, scope: scope() })],
    [20, () => ({ type: 'limitedQuantitySpecial', items: priced(1) })],
    [4, () => ({ type: 'birthday', window: pick(['day', 'week', 'month'] as const), benefit: { kind: 'percent', rate: '0.8' }, minSpendMinor: 0, scope: random() < 0.5 ? scope() : undefined })],
    [20, () => ({ type: 'pointsMultiplier', multiplier: pick(['1.5', '2', '3']), minSpendMinor: 5000, scope: scope() })],
    [15, () => ({ type: 'coupon', benefit: random() < 0.5 ? { kind: 'amount', amountMinor: 1000 } : { kind: 'percent', rate: '0.9', capMinor: 2000 }, minSpendMinor: 5000, maxPerBasket: 1, scope: random() < 0.5 ? scope() : undefined })],
    [6, () => ({ type: 'memberLevelDiscount', levels: [pick(['silver', 'gold', 'diamond'])], scope: random() < 0.8 ? scope() : undefined })],
  ];
  const out: Promotion[] = [];
  for (const [n, make] of kinds) {
    for (let i = 0; i < n && out.length < count; i++) {
      const rule = make();
      const limited = rule.type === 'limitedQuantitySpecial';
      out.push(
        promotion(`promo-${String(out.length).padStart(4, '0')}`, rule, {
          orgNodeId: org(),
          priority: Math.floor(random() * 5),
          group: rule.type === 'coupon' || random() < 0.15 ? 'stackable' : 'exclusive',
          validFrom: '2026-11-01',
          validTo: '2026-12-31',
          perMemberLimit: limited ? 2 : null,
          budget: limited ? { kind: 'quantity', total: 1000 } : null,
        }),
      );
    }
  }
  return out;
}

/** A 50-line basket of a gold member, from the catalog, with two coupons. */
export function basketFor(random: () => number, items: readonly CatalogItem[], promotions: readonly Promotion[], lineCount = 50): Basket {
  const lines: BasketLine[] = Array.from({ length: lineCount }, (_, i) => {
    const item = items[Math.floor(random() * items.length)]!;
    return {
      lineNo: i + 1,
      sku: item.sku,
      barcode: `69${String(i).padStart(11, '0')}`,
      name: item.sku,
      category: item.category,
      brand: item.brand,
      quantity: 1 + Math.floor(random() * 4),
      unitPriceMinor: item.priceMinor,
      excludedFromMemberBenefits: random() < 0.03,
    };
  });
  const coupons = promotions.filter((p) => p.rule.type === 'coupon').slice(0, 2);
  const limited = promotions.filter((p) => p.rule.type === 'limitedQuantitySpecial');
  return basketOf(lines, {
    member: { id: 'member-1', levelCode: 'gold', birthday: '1990-11-20' },
    couponsPresented: coupons.map((p, i) => ({ code: `C-${i}`, promotionId: p.id })),
    usage: { perMemberUsed: {}, budgetRemaining: Object.fromEntries(limited.map((p) => [p.id, 100])) },
  });
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Samples {
  /** Milliseconds per run, with when each run started, to tell which ones a GC pause fell into. */
  wall: number[];
  start: number[];
}

function timeEach(run: () => void, iterations: number, into: Samples): void {
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    run();
    into.start.push(t0);
    into.wall.push(performance.now() - t0);
  }
}

/** The runs no garbage-collection pause overlapped (GC entries come on the performance timeline). */
function withoutGc(s: Samples, pauses: readonly PerformanceEntry[]): number[] {
  const spans = pauses.map((e) => [e.startTime, e.startTime + e.duration] as const).sort((a, b) => a[0] - b[0]);
  return s.wall.filter((ms, i) => {
    const t0 = s.start[i]!;
    return !spans.some(([from, to]) => from < t0 + ms && to > t0);
  });
}

/** Prints median and p99 per 50-line basket against 1,000 promotions, and the ratio to no promotions. */
export async function benchPricing(): Promise<void> {
  const random = rng(20261122);
  const items = catalog(random, 2000);
  const list = promotionsFor(random, items);
  // Prepared once, as a terminal does when promotions sync; preparing is timed separately below.
  const prepareStart = performance.now();
  const promotions = preparePromotions(list);
  const prepareMs = performance.now() - prepareStart;
  const baskets = Array.from({ length: 20 }, () => basketFor(random, items, list));
  const options = { levels: LEVELS };

  // Warm up the JIT and the compiled-scope caches, as a terminal would be after its first sale.
  for (let i = 0; i < 300; i++) {
    priceBasket(baskets[i % baskets.length]!, promotions, options);
    priceBasket(baskets[i % baskets.length]!, [], options);
  }
  const iterations = 3000;
  let k = 0;
  let applied = 0;
  const withPromotions: Samples = { wall: [], start: [] };
  const without: Samples = { wall: [], start: [] };
  const pauses: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  // Interleaved blocks, so both sides see the same machine noise.
  for (let block = 0; block < 10; block++) {
    timeEach(() => void priceBasket(baskets[k++ % baskets.length]!, [], options), iterations / 10, without);
    timeEach(
      () => {
        applied += priceBasket(baskets[k++ % baskets.length]!, promotions, options).adjustments.length;
      },
      iterations / 10,
      withPromotions,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  pauses.push(...observer.takeRecords());
  observer.disconnect();
  const clean = withoutGc(withPromotions, pauses).sort((a, b) => a - b);
  for (const s of [withPromotions.wall, without.wall]) s.sort((a, b) => a - b);
  const median = percentile(withPromotions.wall, 0.5);
  const p99 = percentile(withPromotions.wall, 0.99);
  const baseMedian = percentile(without.wall, 0.5);
  const baseP99 = percentile(without.wall, 0.99);
  const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
  console.log('pricing: 50-line basket, 1,000 active promotions (20 baskets, %d runs)', iterations);
  console.log(`  median ${fmt(median)}   p99 ${fmt(p99)}   (target p99 < 2 ms: ${p99 < 2 ? 'met' : 'NOT met'})`);
  console.log(`  no promotions: median ${fmt(baseMedian)}   p99 ${fmt(baseP99)}`);
  console.log(`  ratio to no promotions: median ×${(median / baseMedian).toFixed(1)}   p99 ×${(p99 / baseP99).toFixed(1)}`);
  // On a shared machine the tail is mostly collector pauses stretched by other processes' CPU use.
  console.log(
    `  runs no GC pause fell into: ${clean.length} of ${iterations}, median ${fmt(percentile(clean, 0.5))}   p99 ${fmt(percentile(clean, 0.99))}`,
  );
  console.log(`  adjustments per basket: ${(applied / iterations).toFixed(1)}; preparing the 1,000 promotions once: ${fmt(prepareMs)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPricing();
}
