import type { Card, CardMedium, CardStatus, Product } from '../core/chain';
import { DEFAULT_CHAIN_SETTINGS, type ChainSettingKey, type ChainSettings } from '../core/settings';
import type { SyncChange } from '../protocols/sync/v1/codec';
import type { ChangeKind } from './change-log';
import type { Sql } from './database';
import { forgottenOperator, operatorsForStore } from './operator-feed';
import { forgottenPromotion, promotionsForTerminal } from './promotion-feed';
import { couponsForStore } from './coupons';
import type { TerminalIdentity } from './terminals';

export const DEFAULT_PULL_LIMIT = 500;
export const MAX_PULL_LIMIT = 2000;

export interface PullResult {
  changes: SyncChange[];
  nextCursor: number;
  hasMore: boolean;
  /** Highest contiguous seq of the caller's events stored when the balances were read. */
  appliedSeq: number;
}

/**
 * Changes after `cursor`, compacted to the latest per entity, with each entity's current state,
 * all read in one snapshot together with the caller's applied seq.
 */
export async function pullChanges(sql: Sql, terminal: TerminalIdentity, cursor: number, limit: number): Promise<PullResult> {
  const pageSize = Math.min(Math.max(limit > 0 ? limit : DEFAULT_PULL_LIMIT, 1), MAX_PULL_LIMIT);
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    const [me] = await tx`select acked_seq from terminals where id = ${terminal.terminalId}`;
    // In seq order (the primary key), skipping rows a later change of the same entity
    // supersedes (an index probe each): a page costs its size, not the feed's length.
    const rows = await tx`
      select c.kind, c.key, c.seq from change_log c
      where c.seq > ${cursor}
        and not exists (select 1 from change_log n where n.kind = c.kind and n.key = c.key and n.seq > c.seq)
      order by c.seq limit ${pageSize + 1}`;
    const hasMore = rows.length > pageSize;
    const page = rows.slice(0, pageSize) as unknown as Array<{ kind: ChangeKind; key: string; seq: number }>;
    const keys = (kind: ChangeKind) => page.filter((r) => r.kind === kind).map((r) => r.key);

    const members = new Map((await tx`select id, name, phone, birthday, level_code, home_store_id from members where id = any(${keys('member')}::text[])`).map((r) => [r.id as string, r]));
    const cards = new Map((await tx`select id, member_id, card_no, medium, status, expires_on, pin_hash from cards where id = any(${keys('card')}::text[])`).map((r) => [r.id as string, r]));
    const balances = new Map((await tx`select id, ledger, credits_posted - debits_posted as posted, debits_pending as held from accounts where id = any(${keys('balance')}::text[])`).map((r) => [r.id as string, r]));
    const products = new Map((await tx`select * from products where sku = any(${keys('product')}::text[])`).map((r) => [r.sku as string, r]));
    const levels = new Map((await tx`select * from member_levels where code = any(${keys('level')}::text[])`).map((r) => [r.code as string, r]));
    const settings = new Map((await tx`select key, value from settings where key = any(${keys('setting')}::text[])`).map((r) => [r.key as string, r.value as unknown]));
    // Per terminal: only operators who may sign in at its store (grants at it or above it).
    const operators = await operatorsForStore(tx, terminal.storeId, keys('operator'));
    // Per terminal: only promotions of its store or above, with its budget allotments.
    const promotions = await promotionsForTerminal(tx, terminal, keys('promotion'));
    const coupons = await couponsForStore(tx, terminal.storeId, keys('coupon'));

    const changes: SyncChange[] = page.map(({ kind, key, seq }): SyncChange => {
      switch (kind) {
        case 'member': {
          const m = members.get(key);
          return m
            ? { seq, deleted: false, body: { type: 'member', member: { id: m.id, name: m.name, phone: m.phone, birthday: m.birthday, levelCode: m.level_code, homeStoreId: m.home_store_id } } }
            : { seq, deleted: true, body: { type: 'member', member: { id: key, name: '', phone: '', birthday: null, levelCode: '', homeStoreId: '' } } };
        }
        case 'card': {
          const c = cards.get(key);
          const card: Card & { memberId: string } = c
            ? { id: c.id, memberId: c.member_id, cardNo: c.card_no, medium: c.medium as CardMedium, status: c.status as CardStatus, expiresOn: c.expires_on, pinHash: c.pin_hash }
            : { id: key, memberId: key, cardNo: key, medium: 'virtual', status: 'replaced', expiresOn: null, pinHash: null };
          return { seq, deleted: !c, body: { type: 'card', card } };
        }
        case 'balance': {
          const b = balances.get(key);
          return { seq, deleted: !b, body: { type: 'balance', balance: { accountId: key, ledger: b?.ledger ?? 'CNY', posted: b?.posted ?? 0, held: b?.held ?? 0 } } };
        }
        case 'product': {
          const p = products.get(key);
          return p
            ? { seq, deleted: false, body: { type: 'product', product: { sku: p.sku, barcode: p.barcode, name: p.name, nameZh: p.name_zh, category: p.category, priceMinor: p.price_minor, excludedFromMemberBenefits: p.excluded_from_member_benefits, active: p.active, ...productMeasure(p) } } }
            : { seq, deleted: true, body: { type: 'product', product: { sku: key, barcode: '', name: '', nameZh: '', category: '', priceMinor: 0, excludedFromMemberBenefits: false, active: false } } };
        }
        case 'level': {
          const l = levels.get(key);
          return l
            ? { seq, deleted: false, body: { type: 'level', level: { code: l.code, name: l.name, rank: l.rank, discountRate: l.discount_rate, pointsMultiplier: l.points_multiplier, offlineLimitMinor: l.offline_limit_minor } } }
            : { seq, deleted: true, body: { type: 'level', level: { code: key, name: '', rank: 0, discountRate: '1', pointsMultiplier: '1', offlineLimitMinor: 0 } } };
        }
        case 'setting': {
          // Settings are never deleted; a key without a row has its default.
          const value = settings.has(key) ? settings.get(key) : DEFAULT_CHAIN_SETTINGS[key as ChainSettingKey];
          return { seq, deleted: false, body: { type: 'setting', key: key as ChainSettingKey, value: value as ChainSettings[ChainSettingKey] } };
        }
        case 'operator': {
          const o = operators.get(key);
          return { seq, deleted: !o, body: { type: 'operator', operator: o ?? forgottenOperator(key) } };
        }
        case 'promotion': {
          const p = promotions.get(key);
          return p && !p.ended
            ? { seq, deleted: false, body: { type: 'promotion', promotion: p.promotion, allotment: p.allotment } }
            : { seq, deleted: true, body: { type: 'promotion', promotion: p?.promotion ?? forgottenPromotion(key) } };
        }
        case 'coupon': {
          // Used, withdrawn or of another region's promotion: a deletion that names only the code.
          const c = coupons.get(key);
          return c ? { seq, deleted: false, body: { type: 'coupon', coupon: c } } : { seq, deleted: true, body: { type: 'coupon', coupon: { code: key, promotionId: '-', memberId: null, validTo: null } } };
        }
      }
    });
    return {
      changes,
      nextCursor: page.length ? page[page.length - 1]!.seq : cursor,
      hasMore,
      appliedSeq: me ? (me.acked_seq as number) : 0,
    };
  });
}

/** The newest seq of the feed (0 when empty). */
export async function latestChangeSeq(sql: Sql): Promise<number> {
  const [row] = await sql`select coalesce(max(seq), 0)::bigint as seq from change_log`;
  return row!.seq as number;
}

/**
 * Deletes feed rows a later row of the same entity supersedes. Pulls return each entity's
 * current state at its latest seq, so a cursor anywhere still sees every entity that changed.
 */
export async function pruneChangeLog(sql: Sql): Promise<number> {
  const deleted = await sql`
    delete from change_log c
    where exists (select 1 from change_log n where n.kind = c.kind and n.key = c.key and n.seq > c.seq)`;
  return deleted.count;
}

/** A product's scale fields (PLU, sold by weight at a price per kg), only when it has them. */
function productMeasure(p: { plu?: string | null; sold_by?: string; price_per_kg_minor?: number | null }): Pick<Product, 'plu' | 'soldBy' | 'pricePerKgMinor'> {
  return {
    ...(p.plu ? { plu: p.plu } : {}),
    ...(p.sold_by === 'weight' && p.price_per_kg_minor ? { soldBy: 'weight' as const, pricePerKgMinor: p.price_per_kg_minor } : {}),
  };
}
