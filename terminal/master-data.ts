import { cardAccounts, memberAccounts } from '../core/accounts';
import type { Card, Member, MemberLevel, Product } from '../core/chain';
import { normalizePlu } from '../core/weighed';
import { assertCardUsable as assertCardUsableToday } from '../core/card';
import { DomainError } from '../core/errors';
import { localTime } from '../core/time';
import type { SyncChange } from '../protocols/sync/v1/codec';
import { stmt, type TerminalDb } from './db';
import { ensureAccounts } from './ledger';
import { applyOperatorChange } from './operators';
import { saveSetting } from './settings';
import { applyCouponChange, applyPromotionChange } from './promotions';

/**
 * Master data cached from HQ: catalog, member levels, members and their cards, HQ balances.
 * Applying a change is an upsert (or a delete), so applying it twice changes nothing.
 */

export interface PullContext {
  currency: string;
  /** The highest seq of our events HQ had applied when it read the balances. */
  appliedSeq: number;
  /** Which pull brought the balances (balances.ts). */
  snapshotGen: number;
  /** When the change is applied (settings remember it). */
  at?: number;
}

/** Applies one change inside the caller's transaction. */
export function applyChange(db: TerminalDb, change: SyncChange, ctx: PullContext): void {
  const b = change.body;
  switch (b.type) {
    case 'setting':
      saveSetting(db, b.key, b.value, change.deleted, ctx.at ?? 0);
      return;
    case 'operator':
      applyOperatorChange(db, b.operator, change.deleted);
      return;
    case 'promotion':
      applyPromotionChange(db, { deleted: change.deleted, promotion: b.promotion, allotment: b.allotment }, ctx.at ?? 0);
      return;
    case 'coupon':
      applyCouponChange(db, { deleted: change.deleted, coupon: b.coupon });
      return;
    case 'level': {
      if (change.deleted) {
        stmt(db, 'DELETE FROM member_levels WHERE code = ?').run(b.level.code);
        return;
      }
      const l = b.level;
      stmt(
        db,
        `INSERT INTO member_levels (code, name, rank, discount_rate, points_multiplier, offline_limit_minor) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, rank = excluded.rank, discount_rate = excluded.discount_rate,
           points_multiplier = excluded.points_multiplier, offline_limit_minor = excluded.offline_limit_minor`,
      ).run(l.code, l.name, l.rank, l.discountRate, l.pointsMultiplier, l.offlineLimitMinor);
      return;
    }
    case 'product': {
      const p = b.product;
      if (change.deleted) {
        stmt(db, 'UPDATE products SET active = 0 WHERE sku = ?').run(p.sku);
        return;
      }
      stmt(
        db,
        `INSERT INTO products (sku, barcode, name, name_zh, category, price_minor, excluded_from_member_benefits, active, plu, sold_by, price_per_kg_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sku) DO UPDATE SET barcode = excluded.barcode, name = excluded.name, name_zh = excluded.name_zh,
           category = excluded.category, price_minor = excluded.price_minor,
           excluded_from_member_benefits = excluded.excluded_from_member_benefits, active = excluded.active,
           plu = excluded.plu, sold_by = excluded.sold_by, price_per_kg_minor = excluded.price_per_kg_minor`,
      ).run(
        p.sku, p.barcode, p.name, p.nameZh, p.category, p.priceMinor, p.excludedFromMemberBenefits ? 1 : 0, p.active ? 1 : 0,
        p.plu === undefined ? null : normalizePlu(p.plu), p.soldBy ?? 'unit', p.soldBy === 'weight' ? (p.pricePerKgMinor ?? null) : null,
      );
      return;
    }
    case 'member': {
      const m = b.member;
      if (change.deleted) {
        stmt(db, 'DELETE FROM members WHERE id = ?').run(m.id);
        return;
      }
      stmt(
        db,
        `INSERT INTO members (id, name, phone, birthday, level_code, home_store_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, birthday = excluded.birthday,
           level_code = excluded.level_code, home_store_id = excluded.home_store_id`,
      ).run(m.id, m.name, m.phone, m.birthday, m.levelCode, m.homeStoreId);
      ensureAccounts(db, memberAccounts(m.id));
      return;
    }
    case 'card': {
      const c = b.card;
      if (change.deleted) {
        stmt(db, 'DELETE FROM cards WHERE id = ?').run(c.id);
        return;
      }
      stmt(
        db,
        `INSERT INTO cards (id, member_id, card_no, medium, status, expires_on, pin_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET member_id = excluded.member_id, card_no = excluded.card_no, medium = excluded.medium,
           status = excluded.status, expires_on = excluded.expires_on, pin_hash = excluded.pin_hash`,
      ).run(c.id, c.memberId, c.cardNo, c.medium, c.status, c.expiresOn, c.pinHash ?? null);
      ensureAccounts(db, cardAccounts(c.id, ctx.currency));
      return;
    }
    case 'balance': {
      const x = b.balance;
      if (change.deleted) {
        stmt(db, 'DELETE FROM hq_balances WHERE account_id = ?').run(x.accountId);
        return;
      }
      stmt(
        db,
        `INSERT INTO hq_balances (account_id, ledger, posted, held, as_of_applied_seq, snapshot_gen) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET ledger = excluded.ledger, posted = excluded.posted, held = excluded.held,
           as_of_applied_seq = excluded.as_of_applied_seq, snapshot_gen = excluded.snapshot_gen`,
      ).run(x.accountId, x.ledger, x.posted, x.held, ctx.appliedSeq, ctx.snapshotGen);
      return;
    }
  }
}

interface ProductRow {
  sku: string;
  barcode: string;
  name: string;
  name_zh: string;
  category: string;
  price_minor: number;
  excluded_from_member_benefits: number;
  active: number;
  plu: string | null;
  sold_by: 'unit' | 'weight';
  price_per_kg_minor: number | null;
}

function toProduct(r: ProductRow): Product {
  return {
    sku: r.sku,
    barcode: r.barcode,
    name: r.name,
    nameZh: r.name_zh,
    category: r.category,
    priceMinor: r.price_minor,
    excludedFromMemberBenefits: r.excluded_from_member_benefits === 1,
    ...(r.plu ? { plu: r.plu } : {}),
    ...(r.sold_by === 'weight' && r.price_per_kg_minor ? { soldBy: 'weight' as const, pricePerKgMinor: r.price_per_kg_minor } : {}),
  };
}

/** The active product a scale label or a typed PLU names ("010001" is PLU 10001), or UNKNOWN_PLU. */
export function productByPlu(db: TerminalDb, plu: string): Product {
  const key = normalizePlu(plu);
  const r = stmt(db, 'SELECT * FROM products WHERE plu = ? AND active = 1 ORDER BY sku LIMIT 1').get(key) as ProductRow | undefined;
  if (!r) throw new DomainError('UNKNOWN_PLU', `no product with PLU ${key} in this store's catalog; weigh it again or key it in`, { plu: key });
  return toProduct(r);
}

/** The active product with this barcode, or UNKNOWN_BARCODE. */
export function productByBarcode(db: TerminalDb, barcode: string): Product {
  const r = stmt(db, 'SELECT * FROM products WHERE barcode = ? AND active = 1 ORDER BY sku LIMIT 1').get(barcode) as ProductRow | undefined;
  if (!r) throw new DomainError('UNKNOWN_BARCODE', `no product with barcode ${barcode} in this store's catalog`, { barcode });
  return toProduct(r);
}

/** Whether an active product carries exactly this barcode (a store's own 2x codes stay its products, not scale labels). */
export function isCatalogBarcode(db: TerminalDb, barcode: string): boolean {
  return stmt(db, 'SELECT 1 FROM products WHERE barcode = ? AND active = 1 LIMIT 1').get(barcode) !== undefined;
}

/** Active products whose name, Chinese name, SKU or barcode contains `query` (all when empty). */
export function searchProducts(db: TerminalDb, query: string, limit = 50): Product[] {
  const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = stmt(
    db,
    `SELECT * FROM products WHERE active = 1 AND (name LIKE @like ESCAPE '\\' OR name_zh LIKE @like ESCAPE '\\'
       OR sku LIKE @like ESCAPE '\\' OR barcode LIKE @like ESCAPE '\\' OR plu = @query) ORDER BY sku LIMIT @limit`,
  ).all({ like, limit, query: query.trim().replace(/^0+(?=\d)/, '') }) as ProductRow[];
  return rows.map(toProduct);
}

export interface CardHolder {
  card: Card & { memberId: string };
  member: Member;
  level: MemberLevel | null;
}

interface CardRow {
  id: string;
  member_id: string;
  card_no: string;
  medium: Card['medium'];
  status: Card['status'];
  expires_on: string | null;
  pin_hash: string | null;
}

interface MemberRow {
  id: string;
  name: string;
  phone: string;
  birthday: string | null;
  level_code: string;
  home_store_id: string;
}

interface LevelRow {
  code: string;
  name: string;
  rank: number;
  discount_rate: string;
  points_multiplier: string;
  offline_limit_minor: number;
}

/** The card with this number and its member, whatever the card's status; UNKNOWN_CARD if none. */
export function findCardHolder(db: TerminalDb, cardNo: string): CardHolder {
  // A replaced card keeps its number in history; prefer the live one.
  const c = stmt(db, `SELECT * FROM cards WHERE card_no = ? ORDER BY CASE status WHEN 'replaced' THEN 1 ELSE 0 END, id LIMIT 1`)
    .get(cardNo) as CardRow | undefined;
  if (!c) throw new DomainError('UNKNOWN_CARD', `card ${cardNo} is not known at this store`, { cardNo });
  const m = stmt(db, 'SELECT * FROM members WHERE id = ?').get(c.member_id) as MemberRow | undefined;
  if (!m) throw new DomainError('UNKNOWN_CARD', `card ${cardNo} has no member known at this store yet`, { cardNo });
  const l = stmt(db, 'SELECT * FROM member_levels WHERE code = ?').get(m.level_code) as LevelRow | undefined;
  return {
    card: { id: c.id, memberId: c.member_id, cardNo: c.card_no, medium: c.medium, status: c.status, expiresOn: c.expires_on, pinHash: c.pin_hash },
    member: { id: m.id, name: m.name, phone: m.phone, birthday: m.birthday, levelCode: m.level_code, homeStoreId: m.home_store_id },
    level: l
      ? { code: l.code, name: l.name, rank: l.rank, discountRate: l.discount_rate, pointsMultiplier: l.points_multiplier, offlineLimitMinor: l.offline_limit_minor }
      : null,
  };
}

/** Refuses a card that may not be used today in the store's zone (core/card.ts says which). */
export function assertCardUsable(holder: CardHolder, nowMs: number, timeZone: string): void {
  assertCardUsableToday(holder.card, localTime(nowMs, timeZone).date);
}

/** The card with this id and its member (UNKNOWN_CARD when it is no longer known here). */
export function findCardHolderById(db: TerminalDb, cardId: string): CardHolder {
  const r = stmt(db, 'SELECT card_no FROM cards WHERE id = ?').get(cardId) as { card_no: string } | undefined;
  if (!r) throw new DomainError('UNKNOWN_CARD', `card ${cardId} is no longer known at this store`, { cardId });
  return findCardHolder(db, r.card_no);
}
