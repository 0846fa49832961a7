import { z } from 'zod';
import type { Product } from '../core/chain';
import { DomainError } from '../core/errors';
import { isValidGtin } from '../protocols/barcode/gtin';
import { normalizePlu } from '../core/weighed';
import { audit, type AuditActor } from './audit';
import { recordChanges } from './change-log';
import type { Db, Sql } from './database';

/**
 * The chain's catalog at HQ: a product created or changed here reaches every terminal through
 * the pull feed. A product sold by weight has a price per kilogram and usually a PLU, the item
 * number its scale labels carry.
 */

const minor = z.number().int().min(0).refine(Number.isSafeInteger, 'must be a safe integer');

export const productInputSchema = z
  .strictObject({
    sku: z.string().trim().min(1).max(128),
    barcode: z.string().trim().regex(/^\d{8,14}$/, 'an EAN/UPC of 8 to 14 digits').refine(isValidGtin, 'wrong check digit'),
    name: z.string().trim().min(1).max(200),
    nameZh: z.string().trim().max(200),
    category: z.string().trim().max(64),
    priceMinor: minor,
    excludedFromMemberBenefits: z.boolean().default(false),
    plu: z.string().trim().regex(/^\d{1,8}$/, '1 to 8 digits').optional(),
    soldBy: z.enum(['unit', 'weight']).default('unit'),
    pricePerKgMinor: minor.refine((n) => n > 0, 'must be above zero').optional(),
    active: z.boolean().default(true),
  })
  .refine((p) => (p.soldBy === 'weight') === (p.pricePerKgMinor !== undefined), { message: 'a product sold by weight has a price per kg, and only such a product', path: ['pricePerKgMinor'] });

export type ProductInput = z.input<typeof productInputSchema>;

function parseProduct(input: unknown): z.output<typeof productInputSchema> {
  const r = productInputSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DomainError('VALIDATION_FAILED', `${issue?.path.join('.') || 'product'}: ${issue?.message ?? 'malformed'}`);
  }
  return r.data;
}

interface ProductRow {
  sku: string;
  barcode: string;
  name: string;
  name_zh: string;
  category: string;
  price_minor: number;
  excluded_from_member_benefits: boolean;
  active: boolean;
  plu: string | null;
  sold_by: 'unit' | 'weight';
  price_per_kg_minor: number | null;
}

function productOf(r: ProductRow): Product & { active: boolean } {
  return {
    sku: r.sku,
    barcode: r.barcode,
    name: r.name,
    nameZh: r.name_zh,
    category: r.category,
    priceMinor: r.price_minor,
    excludedFromMemberBenefits: r.excluded_from_member_benefits,
    active: r.active,
    ...(r.plu ? { plu: r.plu } : {}),
    ...(r.sold_by === 'weight' && r.price_per_kg_minor ? { soldBy: 'weight' as const, pricePerKgMinor: r.price_per_kg_minor } : {}),
  };
}

export async function getProduct(db: Db, sku: string): Promise<(Product & { active: boolean }) | null> {
  const [r] = await db<ProductRow[]>`select * from products where sku = ${sku}`;
  return r ? productOf(r) : null;
}

/**
 * Creates or changes a product (by SKU), audited and in the terminals' feed. A PLU or barcode
 * another product already has is refused with CONFLICT.
 */
export async function saveProduct(sql: Sql, who: AuditActor, input: unknown): Promise<Product & { active: boolean }> {
  const p = parseProduct(input);
  const plu = p.plu === undefined ? null : normalizePlu(p.plu);
  return sql.begin(async (tx) => {
    const [before] = await tx<ProductRow[]>`select * from products where sku = ${p.sku} for update`;
    const [clash] = await tx<Array<{ sku: string; plu: string | null }>>`
      select sku, plu from products where sku <> ${p.sku} and (barcode = ${p.barcode} or (${plu}::text is not null and plu = ${plu}))`;
    if (clash) throw new DomainError('CONFLICT', clash.plu === plu && plu !== null ? `PLU ${plu} already belongs to ${clash.sku}` : `barcode ${p.barcode} already belongs to ${clash.sku}`, { sku: clash.sku });
    const row = {
      sku: p.sku,
      barcode: p.barcode,
      name: p.name,
      name_zh: p.nameZh,
      category: p.category,
      price_minor: p.priceMinor,
      excluded_from_member_benefits: p.excludedFromMemberBenefits,
      active: p.active,
      plu,
      sold_by: p.soldBy,
      price_per_kg_minor: p.pricePerKgMinor ?? null,
    };
    const [saved] = await tx<ProductRow[]>`
      insert into products ${tx(row)}
      on conflict (sku) do update set barcode = excluded.barcode, name = excluded.name, name_zh = excluded.name_zh, category = excluded.category,
        price_minor = excluded.price_minor, excluded_from_member_benefits = excluded.excluded_from_member_benefits, active = excluded.active,
        plu = excluded.plu, sold_by = excluded.sold_by, price_per_kg_minor = excluded.price_per_kg_minor
      returning *`;
    const product = productOf(saved!);
    await audit(tx, who, { action: before ? 'product.update' : 'product.create', entityKind: 'product', entityId: p.sku, before: before ? productOf(before) : undefined, after: product });
    await recordChanges(tx, [{ kind: 'product', key: p.sku }]);
    return product;
  }) as Promise<Product & { active: boolean }>;
}
