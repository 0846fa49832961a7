import { randomBytes } from 'node:crypto';
import { DomainError } from '../core/errors';
import type { Promotion } from '../core/pricing';
import type { CouponCode } from '../protocols/sync/v1/codec';
import { allowedAt, grantsOf, rolesAt } from './access';
import { audit } from './audit';
import { recordChanges } from './change-log';
import type { Db, Sql } from './database';

/**
 * Coupons (vouchers, 券) of coupon promotions: HQ issues codes in batches — into members'
 * wallets or as bearer codes — and they travel in the feed to the terminals the promotion
 * reaches. A code is used once: the sale document names the codes it consumed, HQ marks each
 * used by the first sale that names it and withdraws it from every terminal (a deletion in the
 * feed). Offline, two tills may both take one code before either syncs; the later sale is kept
 * (the money is real) and listed in `reused_by_sale_ids`, the exposure of an offline coupon.
 */

/** 32 symbols without 0/O, 1/I/L: read aloud or typed from paper without doubt. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 12;
export const MAX_COUPONS_PER_BATCH = 10_000;

/** A fresh random code (about 59 bits). */
export function newCouponCode(random: (n: number) => Uint8Array = (n) => randomBytes(n)): string {
  const bytes = random(CODE_LENGTH);
  let code = '';
  for (const b of bytes) code += ALPHABET[b % ALPHABET.length];
  return code;
}

export interface CouponRow extends CouponCode {
  issuedBy: string;
  issuedAt: string;
  usedSaleId: string | null;
  usedAt: string | null;
  reusedBySaleIds: string[];
}

const toRow = (r: Record<string, unknown>): CouponRow => ({
  code: r.code as string,
  promotionId: r.promotion_id as string,
  memberId: (r.member_id as string | null) ?? null,
  validTo: r.valid_to ? String(r.valid_to instanceof Date ? r.valid_to.toISOString().slice(0, 10) : r.valid_to).slice(0, 10) : null,
  issuedBy: r.issued_by as string,
  issuedAt: (r.issued_at as Date).toISOString(),
  usedSaleId: (r.used_sale_id as string | null) ?? null,
  usedAt: r.used_at ? (r.used_at as Date).toISOString() : null,
  reusedBySaleIds: (r.reused_by_sale_ids as string[]) ?? [],
});

export interface IssueCoupons {
  /** One code per member (their wallets), or `count` bearer codes. */
  memberIds?: string[];
  count?: number;
  /** Store-local last day; null = the promotion's window. */
  validTo?: string | null;
}

/**
 * Issues codes of an approved coupon promotion (promotion.write at its node). Each code goes to
 * the feed, so the terminals the promotion reaches can take it offline.
 */
export async function issueCoupons(sql: Sql, actor: { id: string }, promotionId: string, input: IssueCoupons, random?: (n: number) => Uint8Array): Promise<CouponRow[]> {
  const memberIds = input.memberIds ?? [];
  const count = memberIds.length > 0 ? memberIds.length : (input.count ?? 0);
  if (count < 1 || count > MAX_COUPONS_PER_BATCH) throw new DomainError('VALIDATION_FAILED', `count: issue from 1 to ${MAX_COUPONS_PER_BATCH} codes at a time (memberIds or count)`);
  return sql.begin(async (tx) => {
    const [p] = await tx`select status, org_node_id, definition from promotions where id = ${promotionId} for update`;
    if (!p) throw new DomainError('NOT_FOUND', `no promotion ${promotionId}`);
    const grants = await grantsOf(tx, actor.id);
    if (!(await allowedAt(tx, { grants }, 'promotion.write', p.org_node_id as string))) throw new DomainError('FORBIDDEN', `you may not issue coupons at ${p.org_node_id}: it is outside your part of the chain or your roles do not allow it`);
    const def = (typeof p.definition === 'string' ? JSON.parse(p.definition) : p.definition) as Promotion;
    if (def.rule.type !== 'coupon') throw new DomainError('VALIDATION_FAILED', `promotion ${promotionId} is a ${def.rule.type}, not a coupon promotion`);
    if (p.status !== 'scheduled' && p.status !== 'active') throw new DomainError('CONFLICT', `promotion ${promotionId} is ${p.status}; codes are issued for approved promotions that have not ended`);
    if (memberIds.length > 0) {
      const known = new Set((await tx`select id from members where id = any(${memberIds}::text[])`).map((r) => r.id as string));
      const missing = memberIds.filter((m) => !known.has(m));
      if (missing.length > 0) throw new DomainError('NOT_FOUND', `no member ${missing.slice(0, 5).join(', ')}`);
    }
    const rows = Array.from({ length: count }, (_, i) => ({
      code: newCouponCode(random),
      promotion_id: promotionId,
      member_id: memberIds[i] ?? null,
      valid_to: input.validTo ?? null,
      issued_by: actor.id,
    }));
    const made = await tx`insert into coupons ${tx(rows)} on conflict (code) do nothing returning *`;
    // ~59 random bits: a clash is all but impossible; refuse rather than issue fewer than asked.
    if (made.length !== rows.length) throw new DomainError('CONFLICT', 'a generated code clashed with an existing one; issue the batch again');
    await audit(tx, { operatorId: actor.id, nodeId: p.org_node_id as string, role: (await rolesAt(tx, { grants }, p.org_node_id as string)).join(',') || null }, {
      action: 'promotion.coupons_issued',
      entityKind: 'promotion',
      entityId: promotionId,
      details: { count, members: memberIds.length, validTo: input.validTo ?? null },
    });
    await recordChanges(tx, made.map((r) => ({ kind: 'coupon' as const, key: r.code as string })));
    return made.map(toRow);
  });
}

export async function listCoupons(db: Db, promotionId: string, filter: { memberId?: string; used?: boolean; limit: number }): Promise<CouponRow[]> {
  const rows = await db`
    select * from coupons where promotion_id = ${promotionId}
      and (${filter.memberId ?? null}::text is null or member_id = ${filter.memberId ?? null})
      and (${filter.used ?? null}::boolean is null or (used_sale_id is not null) = ${filter.used ?? null})
    order by issued_at, code limit ${filter.limit}`;
  return rows.map(toRow);
}

/**
 * Marks the codes a recorded sale consumed (inside the batch that records it): the first sale to
 * name a code uses it; a later one is listed as a reuse. Either way every terminal drops the code.
 */
export async function recordCouponUses(tx: Db, sale: { id: string; couponsUsed?: readonly string[] }, at: Date): Promise<void> {
  const codes = [...new Set(sale.couponsUsed ?? [])];
  if (codes.length === 0) return;
  await tx`update coupons set used_sale_id = ${sale.id}, used_at = ${at} where code = any(${codes}::text[]) and used_sale_id is null`;
  await tx`update coupons set reused_by_sale_ids = array_append(reused_by_sale_ids, ${sale.id}::text)
    where code = any(${codes}::text[]) and used_sale_id <> ${sale.id} and not (${sale.id}::text = any(reused_by_sale_ids))`;
  const known = await tx`select code from coupons where code = any(${codes}::text[])`;
  await recordChanges(tx, known.map((r) => ({ kind: 'coupon' as const, key: r.code as string })));
}

/** The unused codes among `keys` whose promotion concerns `storeId`'s terminals (approved, not ended). */
export async function couponsForStore(tx: Db, storeId: string, keys: readonly string[]): Promise<Map<string, CouponCode>> {
  if (keys.length === 0) return new Map();
  const rows = await tx`
    with recursive up as (select id, parent_id from org_nodes where id = ${storeId}
      union all select n.id, n.parent_id from org_nodes n join up on n.id = up.parent_id)
    select c.* from coupons c join promotions p on p.id = c.promotion_id
    where c.code = any(${[...keys]}::text[]) and c.used_sale_id is null
      and p.org_node_id in (select id from up) and p.status in ('scheduled', 'active') and p.approved_by is not null`;
  return new Map(rows.map((r) => [r.code as string, { code: r.code as string, promotionId: r.promotion_id as string, memberId: (r.member_id as string | null) ?? null, validTo: toRow(r).validTo }]));
}
