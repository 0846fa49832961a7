/**
 * The promotion as data, validated: for HQ's REST API and the terminal's sync to check a
 * promotion at the boundary (DESIGN §8) before the engine ever sees it. Rates are decimal
 * strings with at most six decimals; amounts are non-negative whole minor units.
 */
import { z } from 'zod';
import type { Promotion } from './types';

const minor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().min(1);
const rate = z.string().regex(/^(?:0(?:\.\d{1,6})?|1(?:\.0{1,6})?)$/, 'a price factor between 0 and 1, e.g. "0.95", at most six decimals');
const multiplier = z.string().regex(/^\d{1,3}(?:\.\d{1,6})?$/, 'a decimal multiplier such as "2" or "1.5"');
const date = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date YYYY-MM-DD');
const names = z.array(z.string().min(1)).readonly();

const scope = z.object({
  skus: names.optional(),
  categories: names.optional(),
  brands: names.optional(),
  excludeSkus: names.optional(),
  excludeCategories: names.optional(),
  excludeBrands: names.optional(),
});
const skuPrices = z.array(z.object({ sku: z.string().min(1), priceMinor: minor })).min(1).readonly();
const levels = z.array(z.string().min(1)).readonly().nullable();
const benefit = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('percent'), rate, capMinor: minor.nullable().optional() }),
  z.object({ kind: z.literal('amount'), amountMinor: minor }),
]);

const rule = z.discriminatedUnion('type', [
  z.object({ type: z.literal('memberLevelDiscount'), levels, scope: scope.optional() }),
  z.object({ type: z.literal('memberPrice'), levels, items: skuPrices }),
  z.object({ type: z.literal('specialPrice'), items: skuPrices }),
  z.object({ type: z.literal('limitedQuantitySpecial'), items: skuPrices }),
  z.object({
    type: z.literal('spendThresholdDiscount'),
    tiers: z.array(z.object({ thresholdMinor: minor.min(1), offMinor: minor })).min(1).readonly(),
    repeat: z.boolean(),
    capMinor: minor.nullable(),
    scope: scope.optional(),
  }),
  z.object({
    type: z.literal('spendThresholdGift'),
    thresholdMinor: minor.min(1),
    gift: z.object({ sku: z.string().min(1), name: z.string(), nameZh: z.string(), quantity: count, unitValueMinor: minor }),
    repeat: z.boolean(),
    maxGifts: count.nullable(),
    scope: scope.optional(),
  }),
  z.object({
    type: z.literal('buyXGetY'),
    buy: scope,
    buyQuantity: count,
    get: z.union([z.literal('same'), scope]),
    getQuantity: count,
    getRate: rate.optional(),
    maxApplications: count.nullable(),
  }),
  z.object({ type: z.literal('secondItem'), rate, scope }),
  z.object({
    type: z.literal('bundle'),
    components: z.array(z.object({ scope, quantity: count })).min(1).readonly(),
    priceMinor: minor,
    maxApplications: count.nullable(),
  }),
  z.object({ type: z.literal('birthday'), window: z.enum(['day', 'week', 'month']), benefit, minSpendMinor: minor, scope: scope.optional() }),
  z.object({ type: z.literal('pointsMultiplier'), multiplier, minSpendMinor: minor, scope: scope.optional() }),
  z.object({ type: z.literal('coupon'), benefit, minSpendMinor: minor, maxPerBasket: count, scope: scope.optional() }),
]);

/** zod schema of a `Promotion`; `promotionSchema.parse(json)` returns a value the engine accepts. */
export const promotionSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    nameZh: z.string().min(1),
    orgNodeId: z.string().min(1),
    status: z.enum(['draft', 'pending_approval', 'scheduled', 'active', 'ended']),
    priority: z.number().int(),
    group: z.enum(['exclusive', 'stackable']),
    validFrom: date.nullable(),
    validTo: date.nullable(),
    daysOfWeek: z.array(z.number().int().min(1).max(7)).readonly().nullable(),
    hours: z.object({ fromMinute: z.number().int().min(0).max(1439), toMinute: z.number().int().min(0).max(1440) }).nullable(),
    perMemberLimit: count.nullable(),
    budget: z.object({ kind: z.enum(['quantity', 'amount']), total: minor }).nullable(),
    rounding: z.enum(['HALF_UP', 'HALF_EVEN', 'DOWN', 'UP']).optional(),
    rule,
  })
  .refine((p) => p.validFrom === null || p.validTo === null || p.validFrom <= p.validTo, {
    message: 'validFrom must not be after validTo',
    path: ['validTo'],
  });

// The schema and the type must describe the same thing.
type Parsed = z.infer<typeof promotionSchema>;
const _parsedIsPromotion = (p: Parsed): Promotion => p;
void _parsedIsPromotion;
