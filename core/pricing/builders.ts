/**
 * Small builders for promotions and baskets with the usual defaults, for tests, fixtures and
 * benchmarks (and HQ tests that need a promotion without spelling out every header field).
 */
import type { Basket, BasketLine, Promotion, PromotionRule } from './types';

/** A promotion with defaults: chain-wide (org node "hq"), active, exclusive, always on, no limits. */
export function promotion(id: string, rule: PromotionRule, header: Partial<Omit<Promotion, 'id' | 'rule'>> = {}): Promotion {
  return {
    id,
    name: id,
    nameZh: id,
    orgNodeId: 'hq',
    status: 'active',
    priority: 0,
    group: 'exclusive',
    validFrom: null,
    validTo: null,
    daysOfWeek: null,
    hours: null,
    perMemberLimit: null,
    budget: null,
    ...header,
    rule,
  };
}

/** A basket with defaults: no member, store "store-1" under "region-1" under "hq", Sunday 2026-11-22 10:00. */
export function basketOf(lines: readonly BasketLine[], extra: Partial<Omit<Basket, 'lines'>> = {}): Basket {
  return {
    lines,
    member: null,
    storeId: 'store-1',
    storeAncestors: ['store-1', 'region-1', 'hq'],
    at: { localDate: '2026-11-22', weekday: 7, minuteOfDay: 600 },
    couponsPresented: [],
    usage: { perMemberUsed: {}, budgetRemaining: {} },
    ...extra,
  };
}
