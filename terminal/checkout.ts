import type { Clock } from '../core/ids';
import { DomainError, invariant } from '../core/errors';
import Decimal from 'decimal.js';
import { assertMinor, toMinor } from '../core/money';
import { assertOfflineDebitAllowed } from '../core/offline-limits';
import { pointsForSale } from '../core/points';
import { redeemPoints } from '../core/points-tender';
import { postSale, type SaleDocument, type SaleLine, type SaleTender, type StoredValueTenderLeg } from '../core/sale';
import { DEFAULT_CHAIN_SETTINGS, type ChainSettings } from '../core/settings';
import { splitStoredValuePayment, topUpBonus, type SpendingOrder, type TopUpBonusTier } from '../core/stored-value';
import { localTime } from '../core/time';
import { isSoldByWeight, weighLine, type LineMeasure } from '../core/weighed';
import type { Product } from '../core/chain';
import { postTopUp, type TopUpDocument } from '../core/top-up';
import { cardBonusAccountId, cardPrincipalAccountId } from '../core/accounts';
import { classifyScan } from '../protocols/barcode/classify';
import type { VariableMeasureCode, VariableMeasureLayout } from '../protocols/barcode/variable-measure';
import { SYNC_LIMITS } from '../protocols/sync/v1/codec';
import { cardSpendable, memberPoints } from './balances';
import { checkCardPin } from './card-pin';
import { stmt, type TerminalDb } from './db';
import type { HqLink } from './hq-link';
import { HoldBook } from './holds';
import { DEFAULT_TIME_ZONE } from './identity';
import { assertCardUsable, findCardHolder, findCardHolderById, isCatalogBarcode, productByBarcode, productByPlu, type CardHolder } from './master-data';
import { offlineLimits, offlineUsage, openOfflineSpend } from './offline';
import { recordEvent } from './outbox';
import { consumeCoupons, linePromotions, presentCoupon, presentedCoupons, promotionExtraPoints, PromotionPricer, recordPricing, saleAdjustments, saleCoupons, salePromotionUses, type SaleAdjustmentView } from './promotions';
import { loadSetting, loadSettings } from './settings';
import { signedInOperatorId, Staff } from './shift';
import type { Credential } from './operators';
import { Overrides } from './overrides';
import { applyManualDiscounts, assertManualDiscountValue, manualDiscountOf, type ManualDiscountValue, type SaleLineManualDiscount, type SaleManualDiscount, type SalePriceOverride } from '../core/manual-discount';
import type { Rounding } from '../core/money';

/** Top-up bonus tiers when the chain sets none: 充500送50, 充1000送150 (in minor units). */
export const DEFAULT_TOP_UP_TIERS: readonly TopUpBonusTier[] = DEFAULT_CHAIN_SETTINGS.topUpBonusTiers;

export interface CheckoutOptions {
  db: TerminalDb;
  terminal: { terminalId: string; storeId: string; currency: string };
  clock: Clock;
  newId: () => string;
  hq: HqLink;
  /** Holds at HQ; made from the other options when not given (share one per terminal). */
  holds?: HoldBook;
  /** Overrides of the synced chain settings (tests). */
  topUpTiers?: readonly TopUpBonusTier[];
  spendingOrder?: SpendingOrder;
  /** The store's IANA zone (its local day); Asia/Shanghai when not given. */
  timeZone?: string;
  /** Called right after a sale's transaction commits, before anything is sent (fault tests). */
  afterSaleCommit?: () => void;
  log?: (msg: string) => void;
  /**
   * The store's own scale-label layouts, from its devices.json (devices.ts scaleLabelLayouts).
   * When it has none, labels are read with the chain's scaleLabelLayouts setting.
   */
  scaleLabelLayouts?: readonly VariableMeasureLayout[];
}

export type SaleStatus = 'open' | 'completed' | 'cancelled';

export interface SaleView {
  id: string;
  status: SaleStatus;
  currency: string;
  lines: SaleLine[];
  totalMinor: number;
  paidMinor: number;
  dueMinor: number;
  changeMinor: number;
  tenders: Array<SaleTender & { tenderNo: number }>;
  member: { memberId: string; cardId: string; cardNo: string; name: string; levelCode: string; levelName: string | null } | null;
  pointsEarned: number;
  openedAt: number;
  completedAt: number | null;
  /** Seq of the outbox event that carries the completed sale. */
  eventSeq: number | null;
  /** Promotions applied, each with its label and its share of each line (lines carry theirs in `promotions`). */
  adjustments?: SaleAdjustmentView[];
  /** Coupon codes presented and what became of each ('applied' or why not). */
  coupons?: Array<{ code: string; status: string }>;
  /** Manual discounts in the order applied (after the promotions), each with what it takes off now. */
  manualDiscounts?: SaleManualDiscount[];
}

export interface CardInfo {
  cardId: string;
  cardNo: string;
  status: string;
  expiresOn: string | null;
  member: { id: string; name: string; phone: string };
  level: { code: string; name: string; pointsMultiplier: string; discountRate: string } | null;
  principalMinor: number;
  bonusMinor: number;
  points: number;
}

export interface TopUpResult {
  id: string;
  cardNo: string;
  principalMinor: number;
  bonusMinor: number;
  eventSeq: number;
  balance: { principalMinor: number; bonusMinor: number };
}

interface SaleRow {
  id: string;
  status: SaleStatus;
  opened_at: number;
  member_id: string | null;
  card_id: string | null;
  total_minor: number;
  points_earned: number;
  completed_at: number | null;
  event_seq: number | null;
}

interface LineRow {
  line_no: number;
  sku: string;
  barcode: string;
  name: string;
  quantity: number;
  unit_price_minor: number;
  amount_minor: number;
  eligible_for_member_benefits: number;
  gift_promotion_id?: string | null;
  /** JSON SalePriceOverride; null at the list price. */
  price_override: string | null;
  grams: number | null;
  price_per_kg_minor: number | null;
  weight_derived: number;
}

interface ManualDiscountRow {
  discount_no: number;
  id: string;
  line_no: number | null;
  kind: 'amount' | 'percent';
  amount_minor: number | null;
  percent: string | null;
  rounding: Rounding | null;
  reason: string;
  override_id: string;
  approved_by: string;
  discount_minor: number;
}

/** A manual discount, as the cashier asks for it: on a line or the basket, an amount or a percentage. */
export interface ManualDiscountInput {
  /** Absent: the whole basket. */
  lineNo?: number;
  amountMinor?: number;
  /** A decimal string such as "10" or "12.5". */
  percent?: string;
  /** How a percentage comes back to minor units; HALF_UP when not given. */
  rounding?: Rounding;
  reason: string;
  supervisor?: Credential;
}

interface TenderRow {
  tender_no: number;
  kind: SaleTender['kind'];
  amount_minor: number;
  tendered_minor: number;
  change_minor: number;
  reference: string;
  card_id: string | null;
  hold_id: string | null;
  points: number;
  offline: number;
}

const MAX_QUANTITY = 10_000;
/** Manual discounts one sale may take (the wire's limit). */
const MAX_MANUAL_DISCOUNTS = SYNC_LIMITS.manualDiscountsPerSale;
// What one sync event may carry (protocols/sync/v1/codec.ts): a sale HQ would refuse is refused here.
const MAX_LINES = SYNC_LIMITS.linesPerSale;
const MAX_TENDERS = SYNC_LIMITS.tendersPerSale;

function validation(message: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError('VALIDATION_FAILED', message, details);
}

function requireReason(reason: string): string {
  const r = typeof reason === 'string' ? reason.trim() : '';
  if (r === '' || r.length > 200) throw validation('say why (a reason of 1 to 200 characters)', { reason });
  return r;
}

/** Exactly one of an amount or a percentage (rounded HALF_UP unless told otherwise). */
function manualDiscountValue(input: ManualDiscountInput): ManualDiscountValue {
  if ((input.amountMinor === undefined) === (input.percent === undefined)) throw validation('give either amountMinor or percent', {});
  const value: ManualDiscountValue = input.amountMinor !== undefined ? { kind: 'amount', amountMinor: input.amountMinor } : { kind: 'percent', percent: input.percent!, rounding: input.rounding ?? 'HALF_UP' };
  assertManualDiscountValue(value);
  return value;
}

function requirePositiveMinor(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw validation(`${what} must be a whole number of minor units above zero`, { [what]: n });
}

/**
 * A store's checkout: sales from open to completed or cancelled, and top-ups. State lives in
 * SQLite, so an open sale survives a restart. Every completed document writes its rows, its
 * transfers and one outbox event in one transaction; HQ hears of it only after that commits.
 */
export class Checkout {
  private readonly db: TerminalDb;
  readonly holds: HoldBook;
  readonly timeZone: string;
  /** Prices each basket against the synced promotions (prepared once per change). */
  readonly pricer: PromotionPricer;
  /** Approvals of price overrides and manual discounts (the signed-in cashier's permission or a supervisor's). */
  private readonly overrides: Overrides;

  constructor(private readonly o: CheckoutOptions) {
    this.db = o.db;
    this.overrides = new Overrides(o.db, o.clock, o.newId, new Staff(o.db, o.clock, o.newId));
    this.pricer = new PromotionPricer(o.db);
    this.timeZone = o.timeZone ?? DEFAULT_TIME_ZONE;
    this.holds = o.holds ?? new HoldBook({ db: o.db, hq: o.hq, clock: o.clock, newId: o.newId, terminal: o.terminal, log: o.log });
  }

  /** The chain's settings now (synced from HQ), with this checkout's overrides. */
  settings(): ChainSettings {
    const s = loadSettings(this.db);
    return {
      ...s,
      ...(this.o.topUpTiers ? { topUpBonusTiers: [...this.o.topUpTiers] } : {}),
      ...(this.o.spendingOrder ? { spendingOrder: this.o.spendingOrder } : {}),
    };
  }

  openSale(): SaleView {
    const id = this.o.newId();
    stmt(this.db, "INSERT INTO sales (id, status, opened_at) VALUES (?, 'open', ?)").run(id, this.o.clock.now());
    return this.getSale(id);
  }

  getSale(saleId: string): SaleView {
    const s = this.saleRow(saleId);
    const lines = this.lines(saleId);
    const tenders = this.tenders(saleId);
    const paid = tenders.reduce((sum, t) => sum + t.amountMinor, 0);
    const manualDiscounts = this.manualDiscounts(saleId);
    let member: SaleView['member'] = null;
    if (s.member_id && s.card_id) {
      const m = stmt(
        this.db,
        `SELECT m.name, m.level_code, l.name AS level_name, c.card_no FROM members m JOIN cards c ON c.id = ?
             LEFT JOIN member_levels l ON l.code = m.level_code WHERE m.id = ?`,
      ).get(s.card_id, s.member_id) as { name: string; level_code: string; level_name: string | null; card_no: string } | undefined;
      member = {
        memberId: s.member_id,
        cardId: s.card_id,
        cardNo: m?.card_no ?? '',
        name: m?.name ?? '',
        levelCode: m?.level_code ?? '',
        levelName: m?.level_name ?? null,
      };
    }
    return {
      id: s.id,
      status: s.status,
      currency: this.o.terminal.currency,
      lines,
      totalMinor: s.total_minor,
      paidMinor: paid,
      dueMinor: Math.max(0, s.total_minor - paid),
      changeMinor: tenders.reduce((sum, t) => sum + (t.kind === 'cash' ? t.changeMinor : 0), 0),
      tenders,
      member,
      pointsEarned: s.points_earned,
      openedAt: s.opened_at,
      completedAt: s.completed_at,
      eventSeq: s.event_seq,
      adjustments: saleAdjustments(this.db, saleId),
      coupons: saleCoupons(this.db, saleId),
      ...(manualDiscounts.length > 0 ? { manualDiscounts } : {}),
    };
  }

  /**
   * Adds a product by barcode; the same barcode again adds to that line's quantity. With
   * `weighed`, `barcode` may be a PLU (typed "1.234*10001") and the line is that weight of an
   * item sold by weight; an item sold by weight without a weight is refused.
   */
  addItem(saleId: string, barcode: string, quantity = 1, weighed?: { grams: number }): SaleView {
    if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) throw validation(`quantity must be a whole number from 1 to ${MAX_QUANTITY}`, { quantity });
    if (weighed) {
      if (quantity !== 1) throw validation('a weighed item is one line per weighing: key its weight, not a quantity', { quantity });
      return this.addWeighedLine(saleId, () => this.productToWeigh(barcode), (p) => weighLine(p, { grams: weighed.grams }), barcode);
    }
    const label = this.typedScaleLabel(barcode);
    if (label) {
      if (quantity !== 1) throw validation('a scale label is one line per label: key it without a quantity', { quantity });
      return this.addScaleLabel(saleId, label, barcode);
    }
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      const product = this.productToSell(barcode);
      // A line whose price was overridden keeps its approval to itself: the same item again is a line of its own.
      const existing = stmt(this.db, 'SELECT * FROM sale_lines WHERE sale_id = ? AND barcode = ? AND sku = ? AND gift_promotion_id IS NULL AND grams IS NULL AND price_override IS NULL').get(saleId, barcode, product.sku) as LineRow | undefined;
      if (existing) {
        const q = existing.quantity + quantity;
        if (q > MAX_QUANTITY) throw validation(`quantity must be at most ${MAX_QUANTITY}`, { quantity: q });
        stmt(this.db, 'UPDATE sale_lines SET quantity = ?, amount_minor = ? WHERE sale_id = ? AND line_no = ?').run(q, lineAmount(existing.unit_price_minor, q), saleId, existing.line_no);
      } else {
        const count = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_lines WHERE sale_id = ?').get(saleId) as { n: number }).n;
        if (count >= MAX_LINES) throw validation(`a sale holds at most ${MAX_LINES} lines; complete this one and start another`, { saleId });
        const next = (stmt(this.db, 'SELECT COALESCE(MAX(line_no), 0) + 1 AS n FROM sale_lines WHERE sale_id = ?').get(saleId) as { n: number }).n;
        stmt(
          this.db,
          `INSERT INTO sale_lines (sale_id, line_no, sku, barcode, name, quantity, unit_price_minor, amount_minor, eligible_for_member_benefits)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(saleId, next, product.sku, product.barcode, product.nameZh || product.name, quantity, product.priceMinor, lineAmount(product.priceMinor, quantity), product.excludedFromMemberBenefits ? 0 : 1);
      }
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  /**
   * A scale label (GS1 variable-measure code, already checked by protocols/barcode): the item by
   * its PLU, and the weight (amount = price/kg × weight) or the printed price (the line's amount;
   * the weight is worked back). An item sold by unit with a printed price is one unit at that price.
   * An unknown PLU is refused (UNKNOWN_PLU) and the sale is unchanged.
   */
  addScaleLabel(saleId: string, label: { itemCode: string; value: 'price' | 'weight'; amount: number }, labelText: string): SaleView {
    const product = () => productByPlu(this.db, label.itemCode);
    if (label.value === 'weight') return this.addWeighedLine(saleId, product, (p) => weighLine(p, { grams: label.amount }), labelText);
    return this.addWeighedLine(saleId, product, (p) => (isSoldByWeight(p) ? weighLine(p, { labelAmountMinor: label.amount }) : { amountMinor: label.amount, measure: null }), labelText);
  }

  /**
   * The layouts a scale label is read with: the store's devices.json ones when it configures
   * any (a store may print its own), else the chain's setting as last synced, else its default.
   */
  scaleLabelLayouts(): readonly VariableMeasureLayout[] {
    const local = this.o.scaleLabelLayouts ?? [];
    return local.length > 0 ? local : loadSetting(this.db, 'scaleLabelLayouts');
  }

  /**
   * A code typed from a damaged scale label (or scanned by a scanner configured without
   * layouts), read with scaleLabelLayouts() by the parser the scanner uses, so it sells exactly
   * as a scan would; a wrong check digit is BAD_CHECK_DIGIT. Codes outside every layout's
   * prefixes are not labels (null).
   */
  private typedScaleLabel(code: string): VariableMeasureCode | null {
    // Every layout's prefixes start with 2 (scale-layouts.ts): other codes skip the settings read.
    if (!/^2\d{12}$/.test(code)) return null;
    const layouts = this.scaleLabelLayouts();
    if (!layouts.some((l) => l.prefixes.some((p) => code.startsWith(p)))) return null;
    // A barcode the catalog carries is that product even inside a label prefix (in-store 2x codes).
    if (isCatalogBarcode(this.db, code)) return null;
    const meaning = classifyScan(code, layouts);
    if (meaning.kind === 'variable-measure') return meaning.item;
    if (meaning.kind === 'invalid') throw new DomainError(meaning.code === 'BAD_CHECK_DIGIT' ? 'BAD_CHECK_DIGIT' : 'VALIDATION_FAILED', meaning.message, { barcode: code });
    return null;
  }

  /** The product a barcode names for sale by unit; an item sold by weight needs its weight. */
  private productToSell(barcode: string): Product {
    let product: Product;
    try {
      product = productByBarcode(this.db, barcode);
    } catch (err) {
      // A typed PLU of an item sold by weight: say how to key its weight rather than "unknown".
      if (!(err instanceof DomainError && err.code === 'UNKNOWN_BARCODE' && /^\d{1,8}$/.test(barcode))) throw err;
      try {
        product = productByPlu(this.db, barcode);
      } catch {
        throw err;
      }
    }
    if (isSoldByWeight(product)) {
      throw new DomainError('VALIDATION_FAILED', `${product.nameZh || product.name} is sold by weight: scan its scale label, or key the weight in kg, "*" and the PLU (e.g. 1.234*${product.plu ?? 'PLU'})`, { sku: product.sku, reason: 'WEIGHT_REQUIRED' });
    }
    return product;
  }

  /** The item sold by weight a typed code names: its PLU (1–8 digits) or its barcode. */
  private productToWeigh(code: string): Product {
    const product = /^\d{1,8}$/.test(code) ? productByPlu(this.db, code) : productByBarcode(this.db, code);
    if (!isSoldByWeight(product)) throw validation(`${product.nameZh || product.name} is sold by unit, not by weight`, { sku: product.sku });
    return product;
  }

  /** One new line per weighing (never merged): one unit whose unit price is the weighed amount. */
  private addWeighedLine(saleId: string, find: () => Product, weigh: (p: Product) => { amountMinor: number; measure: LineMeasure | null }, barcode: string): SaleView {
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      const product = find();
      const { amountMinor, measure } = weigh(product);
      assertMinor(amountMinor, 'weighed amount');
      const count = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_lines WHERE sale_id = ?').get(saleId) as { n: number }).n;
      if (count >= MAX_LINES) throw validation(`a sale holds at most ${MAX_LINES} lines; complete this one and start another`, { saleId });
      const next = (stmt(this.db, 'SELECT COALESCE(MAX(line_no), 0) + 1 AS n FROM sale_lines WHERE sale_id = ?').get(saleId) as { n: number }).n;
      stmt(
        this.db,
        `INSERT INTO sale_lines (sale_id, line_no, sku, barcode, name, quantity, unit_price_minor, amount_minor, eligible_for_member_benefits, grams, price_per_kg_minor, weight_derived)
           VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
      ).run(saleId, next, product.sku, barcode, product.nameZh || product.name, amountMinor, amountMinor, product.excludedFromMemberBenefits ? 0 : 1, measure?.grams ?? null, measure?.pricePerKgMinor ?? null, measure?.weightDerived ? 1 : 0);
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  removeLine(saleId: string, lineNo: number): SaleView {
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      // A discount given on this line goes with it.
      stmt(this.db, 'DELETE FROM sale_manual_discounts WHERE sale_id = ? AND line_no = ?').run(saleId, lineNo);
      stmt(this.db, 'DELETE FROM sale_line_manual_discounts WHERE sale_id = ? AND line_no = ?').run(saleId, lineNo);
      const r = stmt(this.db, 'DELETE FROM sale_lines WHERE sale_id = ? AND line_no = ?').run(saleId, lineNo);
      if (r.changes === 0) throw new DomainError('NOT_FOUND', `sale has no line ${lineNo}`, { saleId, lineNo });
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  /**
   * Replaces a line's unit price (改价) with a reason, by price.override — the signed-in cashier's
   * or `supervisor`'s. Recorded as an override with the price before and after; promotions then
   * price the line at its new price. Setting it back to the list price clears the override.
   */
  async overridePrice(saleId: string, lineNo: number, input: { unitPriceMinor: number; reason: string; supervisor?: Credential }): Promise<SaleView> {
    const price = input.unitPriceMinor;
    if (!Number.isSafeInteger(price) || price < 0) throw validation('unitPriceMinor: a whole number of minor units, not negative', { unitPriceMinor: price });
    const reason = requireReason(input.reason);
    this.openSaleRow(saleId);
    const line = this.overridableLine(saleId, lineNo);
    const listPrice = line.price_override ? (JSON.parse(line.price_override) as SalePriceOverride).listUnitPriceMinor : line.unit_price_minor;
    lineAmount(price, line.quantity);
    const approval = await this.overrides.authorize('price_override', input.supervisor, {
      saleId, lineNo, sku: line.sku, quantity: line.quantity, listUnitPriceMinor: listPrice, beforeUnitPriceMinor: line.unit_price_minor, afterUnitPriceMinor: price, reason,
    });
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      const now = this.overridableLine(saleId, lineNo);
      const override: SalePriceOverride | null = price === listPrice ? null : { listUnitPriceMinor: listPrice, reason, overrideId: approval.id, approvedBy: approval.supervisorId };
      stmt(this.db, 'UPDATE sale_lines SET unit_price_minor = ?, amount_minor = ?, price_override = ? WHERE sale_id = ? AND line_no = ?')
        .run(price, lineAmount(price, now.quantity), override && JSON.stringify(override), saleId, lineNo);
      this.updateTotal(saleId);
    })();
    this.overrides.markUsed(approval.id);
    return this.getSale(saleId);
  }

  /**
   * A manual discount (手工折扣) on a line or the whole basket — an amount, or a percentage
   * rounded by its named rule — with a reason, by discount.manual (the signed-in cashier's or
   * `supervisor`'s). It comes after the promotions and never takes more than the line or basket
   * costs at that point. Recorded as an override with the amounts before and after.
   */
  async addManualDiscount(saleId: string, input: ManualDiscountInput): Promise<SaleView> {
    const value = manualDiscountValue(input);
    const reason = requireReason(input.reason);
    const lineNo = input.lineNo ?? null;
    this.openSaleRow(saleId);
    const { base, discountMinor } = this.manualDiscountPreview(saleId, lineNo, value);
    const approval = await this.overrides.authorize('manual_discount', input.supervisor, {
      saleId, lineNo, ...value, beforeMinor: base, afterMinor: base - discountMinor, discountMinor, reason,
    });
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      this.manualDiscountPreview(saleId, lineNo, value);
      const next = (stmt(this.db, 'SELECT COALESCE(MAX(discount_no), 0) + 1 AS n FROM sale_manual_discounts WHERE sale_id = ?').get(saleId) as { n: number }).n;
      stmt(
        this.db,
        `INSERT INTO sale_manual_discounts (sale_id, discount_no, id, line_no, kind, amount_minor, percent, rounding, reason, override_id, approved_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(saleId, next, this.o.newId(), lineNo, value.kind, value.kind === 'amount' ? value.amountMinor : null, value.kind === 'percent' ? value.percent : null, value.kind === 'percent' ? value.rounding : null, reason, approval.id, approval.supervisorId);
      this.updateTotal(saleId);
    })();
    this.overrides.markUsed(approval.id);
    return this.getSale(saleId);
  }

  /** Takes a manual discount off the sale (nothing to approve: the price goes back up). */
  removeManualDiscount(saleId: string, discountId: string): SaleView {
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      const r = stmt(this.db, 'DELETE FROM sale_manual_discounts WHERE sale_id = ? AND id = ?').run(saleId, discountId);
      if (r.changes === 0) throw new DomainError('NOT_FOUND', `the sale has no manual discount ${discountId}`, { saleId, discountId });
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  /** What a new manual discount would take off now; refuses one larger than the line or basket, or one too many. */
  private manualDiscountPreview(saleId: string, lineNo: number | null, value: ManualDiscountValue): { base: number; discountMinor: number } {
    const count = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_manual_discounts WHERE sale_id = ?').get(saleId) as { n: number }).n;
    if (count >= MAX_MANUAL_DISCOUNTS) throw validation(`a sale takes at most ${MAX_MANUAL_DISCOUNTS} manual discounts`, { saleId });
    let base: number;
    if (lineNo === null) {
      base = this.saleRow(saleId).total_minor;
    } else {
      const line = stmt(this.db, 'SELECT amount_minor, gift_promotion_id FROM sale_lines WHERE sale_id = ? AND line_no = ?').get(saleId, lineNo) as { amount_minor: number; gift_promotion_id: string | null } | undefined;
      if (!line) throw new DomainError('NOT_FOUND', `sale has no line ${lineNo}`, { saleId, lineNo });
      if (line.gift_promotion_id) throw validation('a gift line costs nothing; there is nothing to discount', { lineNo });
      base = line.amount_minor;
    }
    const what = lineNo === null ? 'the basket' : `line ${lineNo}`;
    if (base <= 0) throw validation(`${what} costs nothing now; there is nothing to discount`, { lineNo, baseMinor: base });
    if (value.kind === 'amount' && value.amountMinor > base) throw validation(`a discount cannot be more than ${what} costs (${base})`, { lineNo, baseMinor: base, amountMinor: value.amountMinor });
    return { base, discountMinor: manualDiscountOf(value, base) };
  }

  private overridableLine(saleId: string, lineNo: number): LineRow {
    const line = stmt(this.db, 'SELECT * FROM sale_lines WHERE sale_id = ? AND line_no = ?').get(saleId, lineNo) as LineRow | undefined;
    if (!line) throw new DomainError('NOT_FOUND', `sale has no line ${lineNo}`, { saleId, lineNo });
    if (line.gift_promotion_id) throw validation('a gift line is the promotion’s; its price cannot be changed', { lineNo });
    // A weighed line's price is its weight times the price per kg, which HQ checks.
    if ((line as { grams?: number | null }).grams != null) throw validation('a weighed line’s price comes from the scale; give a manual discount instead', { lineNo });
    return line;
  }

  /** The sale's manual discounts in the order applied. */
  private manualDiscounts(saleId: string): SaleManualDiscount[] {
    const rows = stmt(this.db, 'SELECT * FROM sale_manual_discounts WHERE sale_id = ? ORDER BY discount_no').all(saleId) as ManualDiscountRow[];
    return rows.map((r): SaleManualDiscount => ({
      id: r.id,
      lineNo: r.line_no,
      ...(r.kind === 'amount' ? { kind: 'amount' as const, amountMinor: r.amount_minor! } : { kind: 'percent' as const, percent: r.percent!, rounding: r.rounding! }),
      discountMinor: r.discount_minor,
      reason: r.reason,
      overrideId: r.override_id,
      approvedBy: r.approved_by,
    }));
  }

  /** Applies the manual discounts to the lines as the promotions priced them (inside the caller's transaction). */
  private applyManualDiscounts(saleId: string): void {
    stmt(this.db, 'DELETE FROM sale_line_manual_discounts WHERE sale_id = ?').run(saleId);
    const discounts = this.manualDiscounts(saleId);
    if (discounts.length === 0) return;
    const lines = stmt(this.db, 'SELECT line_no, amount_minor FROM sale_lines WHERE sale_id = ? ORDER BY line_no').all(saleId) as Array<{ line_no: number; amount_minor: number }>;
    const result = applyManualDiscounts(lines.map((l) => ({ lineNo: l.line_no, amountMinor: l.amount_minor })), discounts);
    const setAmount = stmt(this.db, 'UPDATE sale_lines SET amount_minor = ? WHERE sale_id = ? AND line_no = ?');
    const share = stmt(this.db, 'INSERT INTO sale_line_manual_discounts (sale_id, line_no, discount_id, discount_minor) VALUES (?, ?, ?, ?)');
    for (const [lineNo, shares] of result.shares) {
      setAmount.run(result.amounts.get(lineNo)!, saleId, lineNo);
      for (const s of shares) share.run(saleId, lineNo, s.discountId, s.discountMinor);
    }
    const taken = stmt(this.db, 'UPDATE sale_manual_discounts SET discount_minor = ? WHERE sale_id = ? AND id = ?');
    for (const d of result.discounts) taken.run(d.discountMinor, saleId, d.id);
  }

  /** Attaches the member whose card this is; the card must be usable today. */
  attachMember(saleId: string, cardNo: string): SaleView {
    this.db.transaction(() => {
      const sale = this.openSaleRow(saleId);
      const holder = findCardHolder(this.db, cardNo);
      assertCardUsable(holder, this.o.clock.now(), this.timeZone);
      if (sale.card_id && sale.card_id !== holder.card.id && this.hasMemberTender(saleId)) {
        throw new DomainError('CONFLICT', 'this sale is already paid partly from another card; cancel it to change the member', { saleId });
      }
      stmt(this.db, 'UPDATE sales SET member_id = ?, card_id = ? WHERE id = ?').run(holder.member.id, holder.card.id, saleId);
      // The member's level, birthday and limits change what the basket costs.
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  /** Presents a coupon code (a member's wallet code needs their card attached first); the basket is priced again. */
  presentCoupon(saleId: string, code: string): SaleView {
    this.db.transaction(() => {
      const sale = this.openSaleRow(saleId);
      presentCoupon(this.db, { id: saleId, memberId: sale.member_id }, code, this.o.clock.now());
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  /** Takes a presented coupon code off the sale. */
  withdrawCoupon(saleId: string, code: string): SaleView {
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      stmt(this.db, 'DELETE FROM sale_coupons WHERE sale_id = ? AND code = ?').run(saleId, code.replace(/[\s-]/g, '').toUpperCase());
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  /** Cash: `amountMinor` goes to the sale, `tenderedMinor` (default: the same) was handed over. */
  addCashTender(saleId: string, amountMinor: number, tenderedMinor: number = amountMinor): SaleView {
    requirePositiveMinor(amountMinor, 'amountMinor');
    if (!Number.isSafeInteger(tenderedMinor) || tenderedMinor < amountMinor) {
      throw validation('the cash handed over must be at least the amount tendered', { amountMinor, tenderedMinor });
    }
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      this.assertTenderRoom(saleId);
      this.assertNotOverpaid(saleId, amountMinor);
      this.insertTender(saleId, { kind: 'cash', amount: amountMinor, tendered: tenderedMinor, change: tenderedMinor - amountMinor });
    })();
    return this.getSale(saleId);
  }

  /** Bank card: recorded with the approval reference (the payment-terminal driver comes later). */
  addBankCardTender(saleId: string, amountMinor: number, reference: string): SaleView {
    requirePositiveMinor(amountMinor, 'amountMinor');
    if (reference.trim() === '') throw validation('a bank-card tender needs the approval reference');
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      this.assertTenderRoom(saleId);
      this.assertNotOverpaid(saleId, amountMinor);
      this.insertTender(saleId, { kind: 'bank_card', amount: amountMinor, reference: reference.trim() });
    })();
    return this.getSale(saleId);
  }

  /**
   * Stored value from the attached member's card. Online: held at HQ (the hold id is made and
   * stored before Authorize is sent, so a hold whose answer is lost can still be released).
   * HQ unreachable: taken against the card's spendable balance within the offline limits,
   * with no hold (the legs are posted as single transfers when the sale completes).
   * Above the chain's PIN threshold a card with a PIN needs `pin`.
   */
  async addStoredValueTender(saleId: string, amountMinor: number, pin?: string): Promise<SaleView> {
    requirePositiveMinor(amountMinor, 'amountMinor');
    const { cardId, holder } = this.memberTenderChecks(saleId, 'stored value', amountMinor);
    const settings = this.settings();
    // Our own view first, for a fast and clear refusal; HQ has the final word when online.
    const split = () => {
      const open = openOfflineSpend(this.db, { cardId });
      const spendable = cardSpendable(this.db, cardId);
      const available = { principal: spendable.principal - open.principal, bonus: spendable.bonus - open.bonus };
      return { available, legs: splitStoredValuePayment(cardId, amountMinor, available, settings.spendingOrder) };
    };
    split();
    await checkCardPin(this.db, this.o.clock, { card: holder.card, amountMinor, requiredAboveMinor: settings.cardPinRequiredAboveMinor, pin });

    if (this.o.hq.state() === 'offline') {
      const localDate = localTime(this.o.clock.now(), this.timeZone).date;
      this.db.transaction(() => {
        this.assertStillOpenFor(saleId, cardId, amountMinor);
        // Again inside the transaction: another request may have taken from the card while the PIN was checked.
        const { available, legs } = split();
        assertOfflineDebitAllowed(amountMinor, offlineLimits(settings, holder.level), {
          ...offlineUsage(this.db, cardId, localDate),
          knownBalanceMinor: available.principal + available.bonus,
        });
        const tenderNo = this.insertTender(saleId, { kind: 'stored_value', amount: amountMinor, cardId, offline: true });
        const part = (p: 'principal' | 'bonus') => legs.filter((l) => l.part === p).reduce((s, l) => s + l.amount, 0);
        stmt(
          this.db,
          `INSERT INTO offline_debits (sale_id, tender_no, card_id, member_id, asset, amount_minor, principal_minor, bonus_minor, points, local_date, created_at)
             VALUES (?, ?, ?, ?, 'stored_value', ?, ?, ?, 0, ?, ?)`,
        ).run(saleId, tenderNo, cardId, holder.member.id, amountMinor, part('principal'), part('bonus'), localDate, this.o.clock.now());
      })();
      return this.getSale(saleId);
    }

    const { holdId, result } = await this.holds.ask({ documentId: saleId, purpose: 'sale', cardId, memberId: holder.member.id, asset: 'stored_value', amountMinor });
    return this.takeHeldTender(saleId, cardId, amountMinor, holdId, () => {
      this.holds.mirror(holdId, result);
    }, { kind: 'stored_value', amount: amountMinor, cardId, holdId });
  }

  /**
   * 积分抵现: `points` of the member's points pay part of the sale, in whole redemption units
   * and within the chain's per-sale cap (settings.pointsTender). Online the points are held at
   * HQ; offline they are taken within the same offline limits as stored value, at their value.
   */
  async addPointsTender(saleId: string, points: number, pin?: string): Promise<SaleView> {
    if (!Number.isSafeInteger(points) || points <= 0) throw validation('points must be a whole number above zero', { points });
    const settings = this.settings();
    const { cardId, holder } = this.memberTenderChecks(saleId, 'points', 0);
    const redeem = () => {
      const sale = this.openSaleRow(saleId);
      const due = sale.total_minor - this.paid(saleId);
      const pointsPaid = this.tenders(saleId).reduce((s, t) => s + (t.kind === 'points' ? t.amountMinor : 0), 0);
      const available = memberPoints(this.db, holder.member.id) - openOfflineSpend(this.db, { memberId: holder.member.id }).points;
      // The per-sale cap counts points tenders already taken on this sale.
      const capLeft = Math.max(0, toMinor(new Decimal(sale.total_minor).times(settings.pointsTender.maxShareOfSale), 'DOWN') - pointsPaid);
      return redeemPoints(points, Math.max(0, available), { totalMinor: sale.total_minor, leftToPayMinor: Math.max(0, Math.min(due, capLeft)) }, settings.pointsTender);
    };
    const redeemed = redeem();
    await checkCardPin(this.db, this.o.clock, { card: holder.card, amountMinor: redeemed.valueMinor, requiredAboveMinor: settings.cardPinRequiredAboveMinor, pin });

    if (this.o.hq.state() === 'offline') {
      const localDate = localTime(this.o.clock.now(), this.timeZone).date;
      this.db.transaction(() => {
        this.assertStillOpenFor(saleId, cardId, redeemed.valueMinor);
        // Again inside the transaction: another request may have taken the points while the PIN was checked.
        const again = redeem();
        if (again.points !== redeemed.points) throw new DomainError('CONFLICT', 'the points or the sale changed while the PIN was checked; try again', { saleId });
        assertOfflineDebitAllowed(redeemed.valueMinor, offlineLimits(settings, holder.level), {
          ...offlineUsage(this.db, cardId, localDate),
          // The member's points were checked by redeemPoints; this debit spends no stored value.
          knownBalanceMinor: redeemed.valueMinor,
        });
        const tenderNo = this.insertTender(saleId, { kind: 'points', amount: redeemed.valueMinor, cardId, points: redeemed.points, offline: true });
        stmt(
          this.db,
          `INSERT INTO offline_debits (sale_id, tender_no, card_id, member_id, asset, amount_minor, points, local_date, created_at)
             VALUES (?, ?, ?, ?, 'points', ?, ?, ?, ?)`,
        ).run(saleId, tenderNo, cardId, holder.member.id, redeemed.valueMinor, redeemed.points, localDate, this.o.clock.now());
      })();
      return this.getSale(saleId);
    }

    const { holdId, result } = await this.holds.ask({ documentId: saleId, purpose: 'sale', cardId, memberId: holder.member.id, asset: 'points', amountMinor: redeemed.points });
    return this.takeHeldTender(saleId, cardId, redeemed.valueMinor, holdId, () => this.holds.mirror(holdId, result), {
      kind: 'points',
      amount: redeemed.valueMinor,
      cardId,
      holdId,
      points: redeemed.points,
    });
  }

  /** The checks every tender from the member's card makes before anything is asked of HQ. */
  private memberTenderChecks(saleId: string, what: string, amountMinor: number): { cardId: string; holder: CardHolder } {
    const sale = this.openSaleRow(saleId);
    if (!sale.card_id) throw new DomainError('NO_MEMBER', `attach a member card before paying with ${what}`, { saleId });
    this.assertTenderRoom(saleId);
    if (amountMinor > 0) this.assertNotOverpaid(saleId, amountMinor);
    const holder = findCardHolderById(this.db, sale.card_id);
    assertCardUsable(holder, this.o.clock.now(), this.timeZone);
    return { cardId: sale.card_id, holder };
  }

  /** Inside a transaction: the sale is still open, for this card, with room for the tender. */
  private assertStillOpenFor(saleId: string, cardId: string, amountMinor: number): void {
    const now = this.openSaleRow(saleId);
    if (now.card_id !== cardId) throw new DomainError('CONFLICT', 'the member of this sale changed', { saleId });
    this.assertTenderRoom(saleId);
    this.assertNotOverpaid(saleId, amountMinor);
  }

  /** Records a tender HQ holds, or releases the hold when the sale changed while HQ answered. */
  private async takeHeldTender(saleId: string, cardId: string, amountMinor: number, holdId: string, mirror: () => void, tender: Parameters<Checkout['insertTender']>[1]): Promise<SaleView> {
    let changed: DomainError | null = null;
    this.db.transaction(() => {
      mirror();
      // The sale may have changed while HQ answered (a second tender, a cancel).
      const now = this.saleRow(saleId);
      const tenders = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_tenders WHERE sale_id = ?').get(saleId) as { n: number }).n;
      if (now.status !== 'open' || now.card_id !== cardId || this.paid(saleId) + amountMinor > now.total_minor || tenders >= MAX_TENDERS) {
        changed = new DomainError(now.status === 'open' ? 'OVERPAID' : 'SALE_NOT_OPEN', 'the sale changed while HQ answered; the hold was released', { saleId });
        return;
      }
      this.insertTender(saleId, tender);
    })();
    if (changed) {
      await this.holds.release(saleId, [holdId]);
      throw changed;
    }
    return this.getSale(saleId);
  }

  /**
   * Completes a fully paid sale: points by the chain's earn policy (level, store, categories,
   * the store's local day, the member's birthday), the sale's transfers and one outbox event
   * in one transaction. Then asks for a sync, without waiting for it.
   */
  complete(saleId: string): SaleView {
    const completedAt = this.o.clock.now();
    this.db.transaction(() => {
      const sale = this.openSaleRow(saleId);
      const lines = this.lines(saleId);
      if (lines.length === 0) throw validation('the sale has no items', { saleId });
      const tenders = this.tenders(saleId);
      const paid = tenders.reduce((s, t) => s + t.amountMinor, 0);
      if (paid < sale.total_minor) {
        throw new DomainError('SALE_NOT_PAID', `the sale is not fully paid: ${sale.total_minor - paid} still due`, { saleId, dueMinor: sale.total_minor - paid });
      }
      invariant(paid === sale.total_minor, `sale ${saleId} paid ${paid} over its total ${sale.total_minor}`);
      let points = 0;
      if (sale.member_id && sale.card_id) {
        const holder = findCardHolderById(this.db, sale.card_id);
        points = this.pointsFor(lines, holder, completedAt);
        // Points multiplier promotions (双倍积分) add to what their lines earn.
        points += promotionExtraPoints(this.db, saleId, (lineNos) => this.pointsFor(lines.filter((l) => lineNos.includes(l.lineNo)), holder, completedAt));
      }
      const doc: SaleDocument = {
        id: saleId,
        storeId: this.o.terminal.storeId,
        terminalId: this.o.terminal.terminalId,
        currency: this.o.terminal.currency,
        memberId: sale.member_id,
        cardId: sale.card_id,
        lines,
        totalMinor: sale.total_minor,
        tenders: tenders.map(({ tenderNo: _n, ...t }) => t),
        pointsEarned: points,
        completedAt,
      };
      const promotionUses = salePromotionUses(this.db, saleId);
      if (promotionUses.length > 0) doc.promotionUses = promotionUses;
      const couponsUsed = consumeCoupons(this.db, saleId);
      if (couponsUsed.length > 0) doc.couponsUsed = couponsUsed;
      const manualDiscounts = this.manualDiscounts(saleId);
      if (manualDiscounts.length > 0) doc.manualDiscounts = manualDiscounts;
      const cashierId = signedInOperatorId(this.db);
      if (cashierId !== null) doc.cashierId = cashierId;
      const transfers = postSale(doc, this.o.newId);
      const offline = (stmt(this.db, 'SELECT 1 FROM sale_tenders WHERE sale_id = ? AND offline = 1').get(saleId)) !== undefined;
      const event = recordEvent(this.db, { id: this.o.newId(), occurredAt: completedAt, body: { type: 'sale', sale: doc }, transfers, overdraftAllowed: offline });
      const r = stmt(this.db, "UPDATE sales SET status = 'completed', completed_at = ?, points_earned = ?, event_seq = ?, cashier_id = ? WHERE id = ? AND status = 'open'")
        .run(completedAt, points, event.seq, cashierId, saleId);
      invariant(r.changes === 1, `sale ${saleId} was not open when completed`);
      this.holds.markCaptured(this.holds.authorizedOf(saleId));
    })();
    this.o.afterSaleCommit?.();
    this.o.hq.requestSync();
    return this.getSale(saleId);
  }

  /** Points a member earns on these lines now, by the synced policy (core/points.ts). */
  private pointsFor(lines: readonly SaleLine[], holder: CardHolder, at: number): number {
    const local = localTime(at, this.timeZone);
    const category = stmt(this.db, 'SELECT category FROM products WHERE sku = ?');
    return pointsForSale(
      lines.map((l) => ({ sku: l.sku, category: (category.get(l.sku) as { category: string } | undefined)?.category ?? '', amountMinor: l.amountMinor, eligibleForMemberBenefits: l.eligibleForMemberBenefits })),
      {
        currency: this.o.terminal.currency,
        storeId: this.o.terminal.storeId,
        levelMultiplier: holder.level?.pointsMultiplier ?? '1',
        localDate: local.date,
        weekday: local.weekday,
        birthday: holder.member.birthday,
      },
      this.settings().pointsEarn,
    );
  }

  /** Cancels an open sale; its holds (stored value and points) are released, its offline debits no longer count. */
  async cancel(saleId: string): Promise<SaleView> {
    this.openSaleRow(saleId);
    const holdIds = this.holds.authorizedOf(saleId);
    this.db.transaction(() => {
      const r = stmt(this.db, "UPDATE sales SET status = 'cancelled', cancelled_at = ? WHERE id = ? AND status = 'open'").run(this.o.clock.now(), saleId);
      if (r.changes !== 1) throw new DomainError('SALE_NOT_OPEN', 'the sale is no longer open', { saleId });
    })();
    await this.holds.release(saleId, holdIds);
    return this.getSale(saleId);
  }

  /** See HoldBook.releaseUnresolved: holds whose Authorize got no answer are let go once HQ answers. */
  releaseUnresolvedHolds(): Promise<number> {
    return this.holds.releaseUnresolved();
  }

  /** A top-up (充值): principal in by cash or bank card, bonus by the tiers; one transaction with its event. */
  topUp(input: { cardNo: string; principalMinor: number; tender: 'cash' | 'bank_card' }): TopUpResult {
    requirePositiveMinor(input.principalMinor, 'principalMinor');
    const holder = findCardHolder(this.db, input.cardNo);
    assertCardUsable(holder, this.o.clock.now(), this.timeZone);
    const doc: TopUpDocument = {
      id: this.o.newId(),
      storeId: this.o.terminal.storeId,
      terminalId: this.o.terminal.terminalId,
      currency: this.o.terminal.currency,
      memberId: holder.member.id,
      cardId: holder.card.id,
      tender: input.tender,
      principalMinor: input.principalMinor,
      bonusMinor: topUpBonus(input.principalMinor, this.settings().topUpBonusTiers),
      completedAt: this.o.clock.now(),
    };
    const transfers = postTopUp(doc, this.o.newId);
    const event = this.db.transaction(() => {
      const e = recordEvent(this.db, { id: this.o.newId(), occurredAt: doc.completedAt, body: { type: 'top_up', topUp: doc }, transfers });
      stmt(this.db, 'INSERT INTO top_ups (id, member_id, card_id, tender, principal_minor, bonus_minor, completed_at, event_seq, cashier_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(doc.id, doc.memberId, doc.cardId, doc.tender, doc.principalMinor, doc.bonusMinor, doc.completedAt, e.seq, signedInOperatorId(this.db));
      return e;
    })();
    this.o.hq.requestSync();
    const balance = cardSpendable(this.db, holder.card.id);
    return { id: doc.id, cardNo: holder.card.cardNo, principalMinor: doc.principalMinor, bonusMinor: doc.bonusMinor, eventSeq: event.seq, balance: { principalMinor: balance.principal, bonusMinor: balance.bonus } };
  }

  /** A card, its member and level, and what it holds as this terminal sees it (any status). */
  cardInfo(cardNo: string): CardInfo {
    const h = findCardHolder(this.db, cardNo);
    const spend = cardSpendable(this.db, h.card.id);
    return {
      cardId: h.card.id,
      cardNo: h.card.cardNo,
      status: h.card.status,
      expiresOn: h.card.expiresOn,
      member: { id: h.member.id, name: h.member.name, phone: h.member.phone },
      level: h.level && { code: h.level.code, name: h.level.name, pointsMultiplier: h.level.pointsMultiplier, discountRate: h.level.discountRate },
      principalMinor: spend.principal,
      bonusMinor: spend.bonus,
      points: memberPoints(this.db, h.member.id),
    };
  }

  // --- rows -------------------------------------------------------------------------------

  private saleRow(saleId: string): SaleRow {
    const s = stmt(this.db, 'SELECT * FROM sales WHERE id = ?').get(saleId) as SaleRow | undefined;
    if (!s) throw new DomainError('SALE_NOT_FOUND', `no sale ${saleId}`, { saleId });
    return s;
  }

  private openSaleRow(saleId: string): SaleRow {
    const s = this.saleRow(saleId);
    if (s.status !== 'open') throw new DomainError('SALE_NOT_OPEN', `the sale is ${s.status}`, { saleId, status: s.status });
    return s;
  }

  private lines(saleId: string): SaleLine[] {
    const rows = stmt(this.db, 'SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no').all(saleId) as LineRow[];
    const shares = linePromotions(this.db, saleId);
    const manual = new Map<number, SaleLineManualDiscount[]>();
    // Each line's shares in the order the discounts apply.
    for (const r of stmt(
      this.db,
      `SELECT s.line_no, s.discount_id, s.discount_minor FROM sale_line_manual_discounts s JOIN sale_manual_discounts d ON d.sale_id = s.sale_id AND d.id = s.discount_id
        WHERE s.sale_id = ? ORDER BY s.line_no, d.discount_no`,
    ).all(saleId) as Array<{ line_no: number; discount_id: string; discount_minor: number }>) {
      manual.set(r.line_no, [...(manual.get(r.line_no) ?? []), { discountId: r.discount_id, discountMinor: r.discount_minor }]);
    }
    return rows.map((r) => ({
      lineNo: r.line_no,
      sku: r.sku,
      barcode: r.barcode,
      name: r.name,
      quantity: r.quantity,
      unitPriceMinor: r.unit_price_minor,
      amountMinor: r.amount_minor,
      eligibleForMemberBenefits: r.eligible_for_member_benefits === 1,
      ...(shares.has(r.line_no) ? { promotions: shares.get(r.line_no) } : {}),
      ...(manual.has(r.line_no) ? { manualDiscounts: manual.get(r.line_no) } : {}),
      ...(r.price_override ? { priceOverride: JSON.parse(r.price_override) as SalePriceOverride } : {}),
      ...(r.grams !== null && r.price_per_kg_minor !== null ? { measure: { grams: r.grams, pricePerKgMinor: r.price_per_kg_minor, ...(r.weight_derived === 1 ? { weightDerived: true } : {}) } } : {}),
    }));
  }

  private tenders(saleId: string): Array<SaleTender & { tenderNo: number }> {
    const rows = stmt(this.db, 'SELECT * FROM sale_tenders WHERE sale_id = ? ORDER BY tender_no').all(saleId) as TenderRow[];
    return rows.map((r): SaleTender & { tenderNo: number } => {
      if (r.kind === 'cash') return { tenderNo: r.tender_no, kind: 'cash', amountMinor: r.amount_minor, tenderedMinor: r.tendered_minor, changeMinor: r.change_minor };
      if (r.kind === 'bank_card') return { tenderNo: r.tender_no, kind: 'bank_card', amountMinor: r.amount_minor, reference: r.reference };
      if (r.kind === 'points') {
        const leg = r.hold_id ? this.holds.legs(r.hold_id)[0] : undefined;
        return { tenderNo: r.tender_no, kind: 'points', amountMinor: r.amount_minor, points: r.points, holdId: leg?.transferId ?? null };
      }
      let legs: StoredValueTenderLeg[];
      if (r.offline === 1) {
        const d = stmt(this.db, 'SELECT principal_minor, bonus_minor FROM offline_debits WHERE sale_id = ? AND tender_no = ?').get(saleId, r.tender_no) as { principal_minor: number; bonus_minor: number };
        const order: Array<'principal' | 'bonus'> = d.principal_minor > 0 && d.bonus_minor > 0 ? ['principal', 'bonus'] : d.principal_minor > 0 ? ['principal'] : ['bonus'];
        legs = order.map((part) => ({
          accountId: part === 'principal' ? cardPrincipalAccountId(r.card_id!) : cardBonusAccountId(r.card_id!),
          part,
          amount: part === 'principal' ? d.principal_minor : d.bonus_minor,
          holdId: null,
        }));
      } else {
        legs = this.holds.legs(r.hold_id!).map((l): StoredValueTenderLeg => ({ accountId: l.accountId, part: l.part as 'principal' | 'bonus', amount: l.amount, holdId: l.transferId }));
      }
      return { tenderNo: r.tender_no, kind: 'stored_value', amountMinor: r.amount_minor, cardId: r.card_id!, legs };
    });
  }

  private paid(saleId: string): number {
    return (stmt(this.db, 'SELECT COALESCE(SUM(amount_minor), 0) AS p FROM sale_tenders WHERE sale_id = ?').get(saleId) as { p: number }).p;
  }

  /** Whether a tender of the sale came from the member (stored value or points). */
  private hasMemberTender(saleId: string): boolean {
    return stmt(this.db, "SELECT 1 FROM sale_tenders WHERE sale_id = ? AND kind IN ('stored_value', 'points')").get(saleId) !== undefined;
  }

  /** Prices the basket again (promotions) and sets each line's amount to what the engine says. */
  private reprice(saleId: string): void {
    const sale = this.saleRow(saleId);
    // Gift lines are the engine's output, not its input: priced baskets are the scanned lines.
    const rows = stmt(this.db, 'SELECT * FROM sale_lines WHERE sale_id = ? AND gift_promotion_id IS NULL ORDER BY line_no').all(saleId) as LineRow[];
    const m = sale.member_id
      ? (stmt(this.db, 'SELECT id, level_code, birthday FROM members WHERE id = ?').get(sale.member_id) as { id: string; level_code: string; birthday: string | null } | undefined)
      : undefined;
    const priced = this.pricer.price({
      saleId,
      storeId: this.o.terminal.storeId,
      currency: this.o.terminal.currency,
      timeZone: this.timeZone,
      now: this.o.clock.now(),
      lines: rows.map((r) => ({ lineNo: r.line_no, sku: r.sku, barcode: r.barcode, name: r.name, quantity: r.quantity, unitPriceMinor: r.unit_price_minor, eligibleForMemberBenefits: r.eligible_for_member_benefits === 1, ...(r.grams !== null ? { grams: r.grams } : {}) })),
      member: m ? { id: m.id, levelCode: m.level_code, birthday: m.birthday } : null,
      coupons: presentedCoupons(this.db, saleId, sale.member_id),
    });
    recordPricing(this.db, saleId, priced);
  }

  private updateTotal(saleId: string): void {
    this.reprice(saleId);
    this.applyManualDiscounts(saleId);
    const total = (stmt(this.db, 'SELECT COALESCE(SUM(amount_minor), 0) AS t FROM sale_lines WHERE sale_id = ?').get(saleId) as { t: number }).t;
    assertMinor(total, 'sale total');
    const paid = (stmt(this.db, 'SELECT COALESCE(SUM(amount_minor), 0) AS p FROM sale_tenders WHERE sale_id = ?').get(saleId) as { p: number }).p;
    if (paid > total) throw new DomainError('OVERPAID', 'the tenders already taken exceed the new total', { saleId, totalMinor: total, paidMinor: paid });
    stmt(this.db, 'UPDATE sales SET total_minor = ? WHERE id = ?').run(total, saleId);
  }

  private assertTenderRoom(saleId: string): void {
    const n = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_tenders WHERE sale_id = ?').get(saleId) as { n: number }).n;
    if (n >= MAX_TENDERS) throw validation(`a sale takes at most ${MAX_TENDERS} tenders`, { saleId });
  }

  private assertNotOverpaid(saleId: string, amountMinor: number): void {
    const s = this.saleRow(saleId);
    const paid = (stmt(this.db, 'SELECT COALESCE(SUM(amount_minor), 0) AS p FROM sale_tenders WHERE sale_id = ?').get(saleId) as { p: number }).p;
    if (paid + amountMinor > s.total_minor) {
      throw new DomainError('OVERPAID', `only ${s.total_minor - paid} is still due`, { saleId, dueMinor: s.total_minor - paid, amountMinor });
    }
  }

  /** Inserts a tender row (inside the caller's transaction); returns its number. */
  private insertTender(
    saleId: string,
    t: { kind: SaleTender['kind']; amount: number; tendered?: number; change?: number; reference?: string; cardId?: string; holdId?: string; points?: number; offline?: boolean },
  ): number {
    const next = (stmt(this.db, 'SELECT COALESCE(MAX(tender_no), 0) + 1 AS n FROM sale_tenders WHERE sale_id = ?').get(saleId) as { n: number }).n;
    stmt(
      this.db,
      `INSERT INTO sale_tenders (sale_id, tender_no, kind, amount_minor, tendered_minor, change_minor, reference, card_id, hold_id, points, offline)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(saleId, next, t.kind, t.amount, t.tendered ?? 0, t.change ?? 0, t.reference ?? '', t.cardId ?? null, t.holdId ?? null, t.points ?? 0, t.offline ? 1 : 0);
    return next;
  }
}

function lineAmount(unitPriceMinor: number, quantity: number): number {
  const amount = unitPriceMinor * quantity;
  assertMinor(amount, 'line amount');
  return amount;
}
