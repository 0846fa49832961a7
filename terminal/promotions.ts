import Decimal from 'decimal.js';
import { DomainError, invariant } from '../core/errors';
import {
  preparePromotions,
  priceBasket,
  promotionSchema,
  type Basket,
  type BasketLine,
  type LevelRate,
  type PresentedCoupon,
  type PricedBasket,
  type Promotion,
  type PromotionSet,
} from '../core/pricing';
import type { SaleLinePromotion, SalePromotionUse } from '../core/sale';
import { localTime } from '../core/time';
import { stmt, type TerminalDb } from './db';

/**
 * Promotions at the till (issue 5): HQ's definitions cached from the feed, prepared once per
 * change (not per basket), and the basket priced by core/pricing. What a sale's pricing gave
 * is kept per line (each promotion's share, so a refund reverses it by line) and per promotion
 * (label, member uses, budget drawn), and travels to HQ in the sale document.
 *
 * Scope: HQ sends a terminal only the promotions of its store and the nodes above it, so the
 * store's ancestors are the store itself and the org nodes of the promotions it holds. Budgets:
 * the engine gets this terminal's allotment less what its own open and completed sales drew
 * (an open sale reserves what it was priced with; a cancelled one gives it back), so the
 * terminal never draws more than HQ handed it, online or offline.
 */

/** Applies one promotion change from the feed (inside the caller's transaction). */
export function applyPromotionChange(db: TerminalDb, change: { deleted: boolean; promotion: Promotion; allotment?: number }, at: number): void {
  const p = change.promotion;
  if (change.deleted || p.status === 'ended' || p.status === 'draft' || p.status === 'pending_approval') {
    stmt(db, 'DELETE FROM promotions WHERE id = ?').run(p.id);
    // Its unused codes go with it (used ones stay: past sales name them).
    stmt(db, 'DELETE FROM coupons WHERE promotion_id = ? AND used_sale_id IS NULL').run(p.id);
  } else {
    // Validated again here: the feed's codec already did, but this is what pricing will trust.
    const valid = promotionSchema.parse(p) as Promotion;
    stmt(
      db,
      `INSERT INTO promotions (id, org_node_id, definition, allotment, applied_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET org_node_id = excluded.org_node_id, definition = excluded.definition,
         allotment = MAX(promotions.allotment, excluded.allotment), applied_at = excluded.applied_at`,
    ).run(valid.id, valid.orgNodeId, JSON.stringify(valid), change.allotment ?? 0, at);
  }
  stmt(db, 'UPDATE promotion_generation SET generation = generation + 1 WHERE singleton = 1').run();
}

/** Applies one coupon change from the feed: an unused code of a promotion this terminal holds, or its withdrawal. */
export function applyCouponChange(db: TerminalDb, change: { deleted: boolean; coupon: { code: string; promotionId: string; memberId: string | null; validTo: string | null } }): void {
  const c = change.coupon;
  if (change.deleted) {
    // A code used here stays (the sale names it); one used elsewhere or withdrawn goes.
    stmt(db, 'DELETE FROM coupons WHERE code = ? AND used_sale_id IS NULL').run(c.code);
    return;
  }
  stmt(
    db,
    `INSERT INTO coupons (code, promotion_id, member_id, valid_to) VALUES (?, ?, ?, ?)
     ON CONFLICT (code) DO UPDATE SET promotion_id = excluded.promotion_id, member_id = excluded.member_id, valid_to = excluded.valid_to`,
  ).run(c.code, c.promotionId, c.memberId, c.validTo);
}

/** A code as the cashier types or scans it: trimmed, upper case, without spaces or dashes. */
export function normalizeCouponCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

/**
 * Presents a coupon code on an open sale (inside the caller's transaction): it must be a code
 * this terminal holds, not used, not on another open sale, and — a wallet code — the sale's member's.
 */
export function presentCoupon(db: TerminalDb, sale: { id: string; memberId: string | null }, rawCode: string, at: number): string {
  const code = normalizeCouponCode(rawCode);
  const c = stmt(db, 'SELECT * FROM coupons WHERE code = ?').get(code) as { code: string; member_id: string | null; used_sale_id: string | null } | undefined;
  if (!c) throw new DomainError('NOT_FOUND', `coupon ${code} is not known at this store: mistyped, used, expired or of another region`, { code });
  if (c.used_sale_id) throw new DomainError('CONFLICT', `coupon ${code} was used already`, { code, reason: 'USED' });
  const elsewhere = stmt(db, "SELECT sc.sale_id FROM sale_coupons sc JOIN sales s ON s.id = sc.sale_id WHERE sc.code = ? AND s.status = 'open' AND s.id <> ?").get(code, sale.id);
  if (elsewhere) throw new DomainError('CONFLICT', `coupon ${code} is on another open sale`, { code, reason: 'IN_USE' });
  if (c.member_id) {
    if (!sale.memberId) throw new DomainError('NO_MEMBER', `coupon ${code} is a member's: attach their card first`, { code });
    if (c.member_id !== sale.memberId) throw new DomainError('CONFLICT', `coupon ${code} belongs to another member`, { code, reason: 'OTHER_MEMBER' });
  }
  stmt(db, "INSERT INTO sale_coupons (sale_id, code, status, presented_at) VALUES (?, ?, 'presented', ?) ON CONFLICT DO NOTHING").run(sale.id, code, at);
  return code;
}

/** The codes presented on a sale as the engine takes them (a wallet code of another member is left out). */
export function presentedCoupons(db: TerminalDb, saleId: string, memberId: string | null): PresentedCoupon[] {
  const rows = stmt(db, 'SELECT c.code, c.promotion_id, c.valid_to, c.member_id FROM sale_coupons sc JOIN coupons c ON c.code = sc.code WHERE sc.sale_id = ? AND c.used_sale_id IS NULL ORDER BY sc.presented_at, c.code').all(saleId) as Array<{
    code: string;
    promotion_id: string;
    valid_to: string | null;
    member_id: string | null;
  }>;
  return rows.filter((r) => r.member_id === null || r.member_id === memberId).map((r) => ({ code: r.code, promotionId: r.promotion_id, validTo: r.valid_to }));
}

/** The codes presented on a sale and what pricing made of each ('applied' or a rejection reason). */
export function saleCoupons(db: TerminalDb, saleId: string): Array<{ code: string; status: string }> {
  return stmt(db, 'SELECT code, status FROM sale_coupons WHERE sale_id = ? ORDER BY presented_at, code').all(saleId) as Array<{ code: string; status: string }>;
}

/** Marks the codes a completing sale consumed as used here; returns them for its document. */
export function consumeCoupons(db: TerminalDb, saleId: string): string[] {
  const codes = (stmt(db, "SELECT code FROM sale_coupons WHERE sale_id = ? AND status = 'applied' ORDER BY code").all(saleId) as Array<{ code: string }>).map((r) => r.code);
  for (const code of codes) {
    const r = stmt(db, 'UPDATE coupons SET used_sale_id = ? WHERE code = ? AND used_sale_id IS NULL').run(saleId, code);
    invariant(r.changes === 1, `coupon ${code} was used by another sale before ${saleId} completed`);
  }
  return codes;
}

/** The promotions this terminal holds, as synced. */
export function cachedPromotions(db: TerminalDb): Promotion[] {
  return (stmt(db, 'SELECT definition FROM promotions ORDER BY id').all() as Array<{ definition: string }>).map((r) => JSON.parse(r.definition) as Promotion);
}

/** Member levels and their rates, for member-level discounts. */
function levelRates(db: TerminalDb): LevelRate[] {
  return (stmt(db, 'SELECT code, name, discount_rate FROM member_levels ORDER BY code').all() as Array<{ code: string; name: string; discount_rate: string }>).map((l) => ({
    code: l.code,
    name: l.name,
    nameZh: l.name,
    discountRate: l.discount_rate,
  }));
}

export interface PricingInput {
  saleId: string;
  storeId: string;
  currency: string;
  timeZone: string;
  now: number;
  lines: ReadonlyArray<{ lineNo: number; sku: string; barcode: string; name: string; quantity: number; unitPriceMinor: number; eligibleForMemberBenefits: boolean; grams?: number }>;
  member: { id: string; levelCode: string; birthday: string | null } | null;
  /** Coupon codes presented (presentedCoupons). */
  coupons?: PresentedCoupon[];
}

/**
 * Prices baskets against the cached promotions, preparing them again only when a pull changed
 * them (the generation counter), so the per-basket cost is the engine's alone.
 */
export class PromotionPricer {
  private generation = -1;
  private prepared: PromotionSet | null = null;
  private ancestors: string[] = [];
  private levels: LevelRate[] = [];
  private levelsKey = '';

  constructor(private readonly db: TerminalDb) {}

  /** How many times the promotions were prepared (tests: once per change, not per basket). */
  prepareCount = 0;

  private refresh(storeId: string): PromotionSet {
    const g = (stmt(this.db, 'SELECT generation FROM promotion_generation WHERE singleton = 1').get() as { generation: number }).generation;
    if (g !== this.generation || this.prepared === null) {
      const promotions = cachedPromotions(this.db);
      this.prepared = preparePromotions(promotions);
      this.ancestors = [storeId, ...new Set(promotions.map((p) => p.orgNodeId).filter((n) => n !== storeId))];
      this.generation = g;
      this.prepareCount += 1;
    }
    // Levels change rarely and are few; read them each time (a promotion sync does not bring them).
    const levels = levelRates(this.db);
    const key = JSON.stringify(levels);
    if (key !== this.levelsKey) {
      this.levels = levels;
      this.levelsKey = key;
    }
    return this.prepared;
  }

  /** The basket as the engine sees it, with what is left of budgets and member limits here. */
  basket(input: PricingInput): Basket {
    this.refresh(input.storeId);
    const product = stmt(this.db, 'SELECT category, name, name_zh FROM products WHERE sku = ?');
    const lines: BasketLine[] = input.lines.map((l) => {
      const p = product.get(l.sku) as { category: string; name: string; name_zh: string } | undefined;
      return {
        lineNo: l.lineNo,
        sku: l.sku,
        barcode: l.barcode,
        name: p?.name ?? l.name,
        nameZh: p?.name_zh || l.name,
        category: p?.category ?? '',
        brand: null,
        quantity: l.quantity,
        unitPriceMinor: l.unitPriceMinor,
        excludedFromMemberBenefits: !l.eligibleForMemberBenefits,
        ...(l.grams !== undefined ? { grams: l.grams } : {}),
      };
    });
    const t = localTime(input.now, input.timeZone);
    return {
      lines,
      member: input.member,
      storeId: input.storeId,
      storeAncestors: this.ancestors,
      at: { localDate: t.date, weekday: t.weekday, minuteOfDay: t.minuteOfDay },
      couponsPresented: input.coupons ?? [],
      usage: usageFor(this.db, input.saleId, input.member?.id ?? null),
    };
  }

  price(input: PricingInput): PricedBasket {
    const set = this.refresh(input.storeId);
    return priceBasket(this.basket(input), set, { levels: this.levels, currency: input.currency });
  }
}

/**
 * What is left here: each budgeted promotion's allotment less what this terminal's open and
 * completed sales (but `saleId`, being priced again) drew; the member's uses in those sales.
 */
export function usageFor(db: TerminalDb, saleId: string, memberId: string | null): Basket['usage'] {
  const budgetRemaining: Record<string, number> = {};
  const rows = stmt(
    db,
    `SELECT p.id, p.allotment, COALESCE((SELECT SUM(sp.budget_drawn) FROM sale_promotions sp JOIN sales s ON s.id = sp.sale_id
         WHERE sp.promotion_id = p.id AND s.status IN ('open', 'completed') AND s.id <> ?), 0) AS drawn
     FROM promotions p WHERE p.allotment > 0`,
  ).all(saleId) as Array<{ id: string; allotment: number; drawn: number }>;
  for (const r of rows) budgetRemaining[r.id] = Math.max(0, r.allotment - r.drawn);
  const perMemberUsed: Record<string, number> = {};
  if (memberId) {
    const used = stmt(
      db,
      `SELECT sp.promotion_id, SUM(sp.member_uses) AS uses FROM sale_promotions sp JOIN sales s ON s.id = sp.sale_id
       WHERE s.member_id = ? AND s.status IN ('open', 'completed') AND s.id <> ? GROUP BY sp.promotion_id`,
    ).all(memberId, saleId) as Array<{ promotion_id: string; uses: number }>;
    for (const u of used) perMemberUsed[u.promotion_id] = u.uses;
  }
  return { perMemberUsed, budgetRemaining };
}

/**
 * Records a priced basket for a sale (inside the caller's transaction): each line's amount is
 * what the engine says, each promotion's share of each line, and per promotion its label,
 * adjustment, member uses and budget drawn. Returns the sale's total.
 */
export function recordPricing(db: TerminalDb, saleId: string, priced: PricedBasket): number {
  stmt(db, 'DELETE FROM sale_line_promotions WHERE sale_id = ?').run(saleId);
  stmt(db, 'DELETE FROM sale_promotions WHERE sale_id = ?').run(saleId);
  stmt(db, 'DELETE FROM sale_lines WHERE sale_id = ? AND gift_promotion_id IS NOT NULL').run(saleId);
  const setAmount = stmt(db, 'UPDATE sale_lines SET amount_minor = ? WHERE sale_id = ? AND line_no = ?');
  const share = stmt(db, 'INSERT INTO sale_line_promotions (sale_id, line_no, promotion_id, discount_minor) VALUES (?, ?, ?, ?)');
  for (const l of priced.lines) {
    invariant(l.amountMinor === l.grossMinor - l.discountMinor && l.amountMinor >= 0, `line ${l.lineNo}: the engine's amount does not add up`);
    const r = setAmount.run(l.amountMinor, saleId, l.lineNo);
    invariant(r.changes === 1, `sale ${saleId} has no line ${l.lineNo}`);
    for (const a of l.adjustments) if (a.amountMinor > 0) share.run(saleId, l.lineNo, a.promotionId, a.amountMinor);
  }
  // 满赠: each gift is a line of its own, free: its value is the promotion's share of it (amount 0).
  const barcodeOf = stmt(db, 'SELECT barcode FROM products WHERE sku = ?');
  const addGift = stmt(
    db,
    `INSERT INTO sale_lines (sale_id, line_no, sku, barcode, name, quantity, unit_price_minor, amount_minor, eligible_for_member_benefits, gift_promotion_id)
     VALUES (?, (SELECT COALESCE(MAX(line_no), 0) + 1 FROM sale_lines WHERE sale_id = ?), ?, ?, ?, ?, ?, 0, 0, ?) RETURNING line_no`,
  );
  for (const g of priced.gifts) {
    const barcode = (barcodeOf.get(g.sku) as { barcode: string } | undefined)?.barcode ?? '';
    const { line_no } = addGift.get(saleId, saleId, g.sku, barcode, g.nameZh || g.name, g.quantity, g.unitValueMinor, g.promotionId) as { line_no: number };
    if (g.quantity * g.unitValueMinor > 0) share.run(saleId, line_no, g.promotionId, g.quantity * g.unitValueMinor);
  }
  const byPromotion = new Map<string, { label: { en: string; zh: string }; amount: number; uses: number; kind: 'quantity' | 'amount' | null; drawn: number; actions: unknown[] }>();
  const entry = (id: string, label?: { en: string; zh: string }) => {
    let e = byPromotion.get(id);
    if (!e) {
      e = { label: label ?? { en: id, zh: id }, amount: 0, uses: 0, kind: null, drawn: 0, actions: [] };
      byPromotion.set(id, e);
    } else if (label && e.label.en === id) e.label = label;
    return e;
  };
  for (const a of priced.adjustments) entry(a.promotionId, a.label).amount += a.amountMinor;
  for (const g of priced.gifts) entry(g.promotionId, g.label).actions.push(g);
  for (const p of priced.points) entry(p.promotionId, p.label).actions.push(p);
  for (const u of priced.usage) {
    const e = entry(u.promotionId);
    e.uses += u.memberUses;
    if (u.budget) {
      e.kind = u.budget.kind;
      e.drawn += u.budget.kind === 'quantity' ? u.budget.quantity : u.budget.amountMinor;
    }
  }
  const insert = stmt(
    db,
    `INSERT INTO sale_promotions (sale_id, promotion_id, label_en, label_zh, amount_minor, member_uses, budget_kind, budget_drawn, actions)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const [id, e] of byPromotion) insert.run(saleId, id, e.label.en, e.label.zh, e.amount, e.uses, e.kind, e.drawn, JSON.stringify(e.actions));
  // What became of each code presented: applied, or why not.
  const status = stmt(db, 'UPDATE sale_coupons SET status = ? WHERE sale_id = ? AND code = ?');
  stmt(db, "UPDATE sale_coupons SET status = 'NOT_APPLICABLE' WHERE sale_id = ?").run(saleId);
  for (const c of priced.couponsConsumed) status.run('applied', saleId, c.code);
  for (const c of priced.couponsRejected) status.run(c.reason, saleId, c.code);
  return priced.totals.netMinor;
}

/** Each line's promotion shares of a sale, by line number. */
export function linePromotions(db: TerminalDb, saleId: string): Map<number, SaleLinePromotion[]> {
  const rows = stmt(db, 'SELECT line_no, promotion_id, discount_minor FROM sale_line_promotions WHERE sale_id = ? ORDER BY line_no, promotion_id').all(saleId) as Array<{
    line_no: number;
    promotion_id: string;
    discount_minor: number;
  }>;
  const out = new Map<number, SaleLinePromotion[]>();
  for (const r of rows) out.set(r.line_no, [...(out.get(r.line_no) ?? []), { promotionId: r.promotion_id, discountMinor: r.discount_minor }]);
  return out;
}

/** An applied promotion as the sale view and receipt explain it. */
export interface SaleAdjustmentView {
  promotionId: string;
  label: { en: string; zh: string };
  amountMinor: number;
  /** Lines it touches and its share of each. */
  allocations: Array<{ lineNo: number; amountMinor: number }>;
  /** Gifts and points multipliers it gives (the engine's actions). */
  actions: unknown[];
}

/** What a sale's pricing gave, per promotion, biggest first. */
export function saleAdjustments(db: TerminalDb, saleId: string): SaleAdjustmentView[] {
  const rows = stmt(db, 'SELECT promotion_id, label_en, label_zh, amount_minor, actions FROM sale_promotions WHERE sale_id = ? ORDER BY amount_minor DESC, promotion_id').all(saleId) as Array<{
    promotion_id: string;
    label_en: string;
    label_zh: string;
    amount_minor: number;
    actions: string;
  }>;
  const shares = stmt(db, 'SELECT line_no, discount_minor FROM sale_line_promotions WHERE sale_id = ? AND promotion_id = ? ORDER BY line_no');
  return rows.map((r) => ({
    promotionId: r.promotion_id,
    label: { en: r.label_en, zh: r.label_zh },
    amountMinor: r.amount_minor,
    allocations: (shares.all(saleId, r.promotion_id) as Array<{ line_no: number; discount_minor: number }>).map((s) => ({ lineNo: s.line_no, amountMinor: s.discount_minor })),
    actions: JSON.parse(r.actions) as unknown[],
  }));
}

/** What the sale drew on each promotion, for its document (HQ's budgets and reports). */
export function salePromotionUses(db: TerminalDb, saleId: string): SalePromotionUse[] {
  const rows = stmt(db, 'SELECT promotion_id, amount_minor, member_uses, budget_kind, budget_drawn FROM sale_promotions WHERE sale_id = ? ORDER BY promotion_id').all(saleId) as Array<{
    promotion_id: string;
    amount_minor: number;
    member_uses: number;
    budget_kind: 'quantity' | 'amount' | null;
    budget_drawn: number;
  }>;
  return rows.map((r) => ({ promotionId: r.promotion_id, memberUses: r.member_uses, budgetKind: r.budget_kind, budgetDrawn: r.budget_drawn, discountMinor: r.amount_minor }));
}

/**
 * Extra points the sale's points multipliers give (core/pricing `PointsAction`): for each, the
 * points its lines earn by the chain's policy (`basePoints`) times (multiplier − 1), rounded
 * down once per promotion. Several multipliers each add their own extra (the engine gives at
 * most one exclusive one); the level's multiplier is already in the base.
 */
export function promotionExtraPoints(db: TerminalDb, saleId: string, basePoints: (lineNos: readonly number[]) => number): number {
  let extra = 0;
  for (const a of saleAdjustments(db, saleId)) {
    for (const action of a.actions as Array<{ kind?: string; multiplier?: string; lineNos?: number[] }>) {
      if (action.kind !== 'points' || !action.multiplier || !action.lineNos?.length) continue;
      const more = new Decimal(basePoints(action.lineNos)).times(new Decimal(action.multiplier).minus(1));
      if (more.gt(0)) extra += more.toDecimalPlaces(0, Decimal.ROUND_DOWN).toNumber();
    }
  }
  return extra;
}
