/**
 * The shapes the pricing engine reads and returns. Promotions are data: a header the
 * engine checks for scope, time, limits and budget, and a `rule` discriminated by `type`.
 * Amounts are integer minor units; rates are decimal strings ("0.95" = pay 95%, 9.5折).
 */
import type { Rounding } from '../money';

// ───────────────────────────── basket (input) ─────────────────────────────

/** One scanned line as the terminal holds it. */
export interface BasketLine {
  /** Unique within the basket; adjustments are allocated by it. */
  lineNo: number;
  sku: string;
  barcode: string;
  /** For explanations ("Buy 2 get 1 free: Cola 330ml"); the sku is used when absent. */
  name?: string;
  nameZh?: string;
  category: string;
  brand?: string | null;
  /** Whole units, at least 1. */
  quantity: number;
  unitPriceMinor: number;
  /** Tobacco, gift cards…: no member discount, member price, birthday offer or points multiplier. */
  excludedFromMemberBenefits: boolean;
  /**
   * A weighed line (core/weighed.ts): one unit of this many grams whose unit price is its weighed
   * amount. A member price or special price of its SKU is then a price per kilogram.
   */
  grams?: number;
}

export interface BasketMember {
  id: string;
  levelCode: string;
  /** YYYY-MM-DD or null when unknown. */
  birthday: string | null;
}

/** Store-local wall time, computed by the caller from the store's time zone. */
export interface LocalTime {
  /** YYYY-MM-DD. */
  localDate: string;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** 0 … 1439. */
  minuteOfDay: number;
}

export interface PresentedCoupon {
  code: string;
  promotionId: string;
  /** Last day (YYYY-MM-DD, store-local) this code may be used; null when only the promotion's window counts. */
  validTo?: string | null;
}

/** What the caller knows of limits already used, so the engine needs no I/O. */
export interface PromotionUsage {
  /** promotionId → uses (or units, for limited-quantity specials) this member has already had. */
  perMemberUsed: Readonly<Record<string, number>>;
  /**
   * promotionId → what is left of the chain-wide budget (units or uses for a quantity budget,
   * minor units for an amount budget): the HQ reservation online, the allotment offline.
   * A budgeted promotion with no entry here has nothing left and does not apply.
   */
  budgetRemaining: Readonly<Record<string, number>>;
}

export interface Basket {
  lines: readonly BasketLine[];
  member: BasketMember | null;
  storeId: string;
  /** Org node ids from the store up to HQ, the store itself included. */
  storeAncestors: readonly string[];
  at: LocalTime;
  couponsPresented: readonly PresentedCoupon[];
  usage: PromotionUsage;
}

// ───────────────────────────── promotions (data) ─────────────────────────────

/** draft → pending_approval → scheduled → active → ended; only scheduled and active can apply. */
export type PromotionStatus = 'draft' | 'pending_approval' | 'scheduled' | 'active' | 'ended';

/**
 * Which lines a rule looks at. A line is in scope when it matches any include list (or there
 * are no include lists) and matches no exclude list.
 */
export interface Scope {
  skus?: readonly string[];
  categories?: readonly string[];
  brands?: readonly string[];
  excludeSkus?: readonly string[];
  excludeCategories?: readonly string[];
  excludeBrands?: readonly string[];
}

export interface SkuPrice {
  sku: string;
  priceMinor: number;
}

/** Member-level discount: the member's level rate (from `PricingOptions.levels`) on lines in scope. */
export interface MemberLevelDiscountRule {
  type: 'memberLevelDiscount';
  /** Level codes it is for; null = every level with a rate below 1. */
  levels: readonly string[] | null;
  scope?: Scope;
}

/** Member special price per product (会员价). */
export interface MemberPriceRule {
  type: 'memberPrice';
  levels: readonly string[] | null;
  items: readonly SkuPrice[];
}

/** Special price for the promotion's window (限时特价). */
export interface SpecialPriceRule {
  type: 'specialPrice';
  items: readonly SkuPrice[];
}

/**
 * Special price on a limited number of units (限量特价): the promotion's quantity budget counts
 * units chain-wide and its per-member limit counts units per member.
 */
export interface LimitedQuantitySpecialRule {
  type: 'limitedQuantitySpecial';
  items: readonly SkuPrice[];
}

export interface SpendTier {
  thresholdMinor: number;
  offMinor: number;
}

/** 满减: spend a threshold in scope, get an amount off; `repeat` makes "every 100 off 10". */
export interface SpendThresholdDiscountRule {
  type: 'spendThresholdDiscount';
  /** One or more tiers (满100减10, 满200减30); the highest tier reached applies. */
  tiers: readonly SpendTier[];
  /** Repeat the reached tier for every multiple of its threshold. */
  repeat: boolean;
  /** Most taken off in one basket; null = no cap. */
  capMinor: number | null;
  scope?: Scope;
}

export interface GiftItem {
  sku: string;
  name: string;
  nameZh: string;
  quantity: number;
  /** Value of one gift unit, for choosing the best offer and for reports. */
  unitValueMinor: number;
}

/** 满赠: spend a threshold in scope, get a gift line. */
export interface SpendThresholdGiftRule {
  type: 'spendThresholdGift';
  thresholdMinor: number;
  gift: GiftItem;
  repeat: boolean;
  /** Most gift sets in one basket; null = no cap. */
  maxGifts: number | null;
  scope?: Scope;
}

/**
 * Buy X get Y. With `get: 'same'` units of the buy scope are sorted from dearest to cheapest
 * and taken in groups of X+Y, the Y cheapest of each group discounted; otherwise every X units
 * of the buy scope discount Y units of the get scope, the cheapest first.
 */
export interface BuyXGetYRule {
  type: 'buyXGetY';
  buy: Scope;
  buyQuantity: number;
  get: 'same' | Scope;
  getQuantity: number;
  /** Price factor of a discounted unit: "0" free (default), "0.5" half price. */
  getRate?: string;
  /** Most groups per basket; null = no limit. */
  maxApplications: number | null;
}

/** Second item at a discount (第二件半价): same-scope buy 1 get 1 at `rate`. */
export interface SecondItemRule {
  type: 'secondItem';
  /** Price factor of the second unit: "0.5" = half price. */
  rate: string;
  scope: Scope;
}

export interface BundleComponent {
  scope: Scope;
  quantity: number;
}

/** Bundle price (组合价): one unit set of every component together for `priceMinor`. */
export interface BundleRule {
  type: 'bundle';
  components: readonly BundleComponent[];
  priceMinor: number;
  maxApplications: number | null;
}

export type Benefit =
  | { kind: 'percent'; /** Price factor: "0.8" = 20% off. */ rate: string; capMinor?: number | null }
  | { kind: 'amount'; amountMinor: number };

/** Birthday offer, valid on the day, in the (Monday–Sunday) week or in the month of the birthday. */
export interface BirthdayRule {
  type: 'birthday';
  window: 'day' | 'week' | 'month';
  benefit: Benefit;
  minSpendMinor: number;
  scope?: Scope;
}

/** Points multiplier: changes points earned, never the price. */
export interface PointsMultiplierRule {
  type: 'pointsMultiplier';
  /** Decimal string: "2" = double points. */
  multiplier: string;
  minSpendMinor: number;
  scope?: Scope;
}

/** Vouchers and coupons: applies only when a code of this promotion is presented. */
export interface CouponRule {
  type: 'coupon';
  benefit: Benefit;
  /** Spend in scope needed for each code used. */
  minSpendMinor: number;
  /** Codes of this promotion usable in one basket (amount coupons only; percent is always 1). */
  maxPerBasket: number;
  scope?: Scope;
}

export type PromotionRule =
  | MemberLevelDiscountRule
  | MemberPriceRule
  | SpecialPriceRule
  | LimitedQuantitySpecialRule
  | SpendThresholdDiscountRule
  | SpendThresholdGiftRule
  | BuyXGetYRule
  | SecondItemRule
  | BundleRule
  | BirthdayRule
  | PointsMultiplierRule
  | CouponRule;

export type PromotionType = PromotionRule['type'];

export interface Budget {
  /** Quantity counts uses (units for limited-quantity specials); amount counts minor units of discount. */
  kind: 'quantity' | 'amount';
  /** The chain-wide total HQ set; what is left comes in `Basket.usage.budgetRemaining`. */
  total: number;
}

export interface Promotion {
  id: string;
  name: string;
  nameZh: string;
  /** The org node (HQ, region, store) it belongs to; applies to stores under it. */
  orgNodeId: string;
  status: PromotionStatus;
  /** Higher goes first among stackable promotions and wins ties among exclusive ones. */
  priority: number;
  /** Exclusive: a line takes at most one exclusive promotion. Stackable: applies on top, on what is left. */
  group: 'exclusive' | 'stackable';
  /** Store-local dates, inclusive; null = open-ended. */
  validFrom: string | null;
  validTo: string | null;
  /** ISO weekdays (1 = Monday); null or empty = every day. */
  daysOfWeek: readonly number[] | null;
  /** Minutes of the store-local day, [from, to); from > to wraps past midnight. Null = all day. */
  hours: { fromMinute: number; toMinute: number } | null;
  /** Uses per member (units for limited-quantity specials); null = no limit. A limit needs a member. */
  perMemberLimit: number | null;
  budget: Budget | null;
  /** How this promotion's adjustment is rounded to minor units; defaults to `PricingOptions.rounding`. */
  rounding?: Rounding;
  rule: PromotionRule;
}

// ───────────────────────────── options ─────────────────────────────

export interface LevelRate {
  code: string;
  /** "Gold member" → label "Gold member 9.5折". */
  name: string;
  nameZh?: string;
  /** Price factor: "0.95" = 9.5折; "1" = none. */
  discountRate: string;
}

export interface PricingOptions {
  /** Member levels and their rates, for member-level discounts. */
  levels: readonly LevelRate[];
  /** ISO 4217; for amounts in labels. Default CNY. */
  currency?: string;
  /** Default rounding of each adjustment. Default HALF_UP. */
  rounding?: Rounding;
}

// ───────────────────────────── priced basket (output) ─────────────────────────────

export interface Label {
  en: string;
  zh: string;
}

export interface Allocation {
  lineNo: number;
  amountMinor: number;
}

/** A discount an applied promotion gives, split over the lines it touches (largest remainder). */
export interface AdjustmentAction {
  kind: 'adjustment';
  promotionId: string;
  promotionType: PromotionType;
  group: 'exclusive' | 'stackable';
  /** Positive: taken off the basket. Equals the sum of `allocations`. */
  amountMinor: number;
  /** The one rounding step that brought this adjustment to minor units. */
  rounding: Rounding;
  label: Label;
  /** Sorted by lineNo; only lines with a non-zero share. */
  allocations: Allocation[];
  /** Coupon codes this adjustment used (coupon promotions only). */
  couponCodes: string[];
}

/** A free line to add to the sale (满赠); its price is its value and its amount is 0. */
export interface GiftAction {
  kind: 'gift';
  promotionId: string;
  sku: string;
  name: string;
  nameZh: string;
  quantity: number;
  unitValueMinor: number;
  label: Label;
}

/**
 * Points multiplier to apply when points are earned; the price is unchanged. At most one comes
 * from the exclusive group (the highest); stackable ones each come as their own action, and how
 * several combine with each other and with the level's multiplier is the points policy's choice.
 */
export interface PointsAction {
  kind: 'points';
  promotionId: string;
  multiplier: string;
  /** Lines it applies to and their amount after all discounts. */
  lineNos: number[];
  eligibleAmountMinor: number;
  label: Label;
}

export interface PricedLineAdjustment {
  promotionId: string;
  amountMinor: number;
}

export interface PricedLine {
  lineNo: number;
  sku: string;
  quantity: number;
  unitPriceMinor: number;
  /** quantity × unit price. */
  grossMinor: number;
  /** Sum of the allocated adjustments; never more than `grossMinor`. */
  discountMinor: number;
  /** grossMinor − discountMinor: what `SaleLine.amountMinor` takes. */
  amountMinor: number;
  adjustments: PricedLineAdjustment[];
}

export type CouponRejection =
  | 'UNKNOWN_PROMOTION'
  | 'NOT_A_COUPON'
  | 'NOT_APPLICABLE'
  | 'EXPIRED'
  | 'MIN_SPEND_NOT_MET'
  | 'LIMIT_REACHED'
  | 'NOT_CHOSEN';

/** What the caller must record once the sale completes (and revert when it is voided). */
export interface UsageRequest {
  promotionId: string;
  /** Add to the member's used count (uses, or units for limited-quantity specials); 0 without a limit. */
  memberUses: number;
  /** Draw on the chain-wide budget; null when the promotion has none. */
  budget: { kind: 'quantity'; quantity: number } | { kind: 'amount'; amountMinor: number } | null;
}

export interface PricedBasket {
  /** Sorted by lineNo. */
  lines: PricedLine[];
  /** Exclusive adjustments first, then stackable ones in the order they were applied. */
  adjustments: AdjustmentAction[];
  gifts: GiftAction[];
  points: PointsAction[];
  couponsConsumed: PresentedCoupon[];
  couponsRejected: Array<{ code: string; promotionId: string; reason: CouponRejection }>;
  usage: UsageRequest[];
  totals: { grossMinor: number; discountMinor: number; netMinor: number };
}
