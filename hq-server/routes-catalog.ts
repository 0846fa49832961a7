import type express from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import { requireAt } from './access';
import { getProduct, saveProduct } from './catalog';
import type { Sql } from './database';
import { actorAt, need, parseInput } from './routes-common';

/**
 * REST routes of the chain's catalog (mounted on /api/v1 by http-server.ts, documented in
 * openapi-catalog.ts): a product by SKU, and creating or changing one — unit items and items
 * sold by weight (PLU, price per kg). The catalog is the chain's: it is changed at HQ only.
 */

const skuParam = z.object({ sku: z.string().min(1).max(128) });

export function registerCatalogRoutes(api: express.Router, deps: { sql: Sql }): void {
  const { sql } = deps;

  async function atHq(op: Parameters<typeof requireAt>[1]): Promise<string> {
    const [r] = await sql`select id from org_nodes where parent_id is null`;
    if (!r) throw new DomainError('NOT_FOUND', 'the chain has no HQ node yet');
    await requireAt(sql, op, 'catalog.write', r.id as string, 'HQ (the catalog is the chain’s)');
    return r.id as string;
  }

  api.get('/products/:sku', async (req, res) => {
    const op = need(res, 'catalog.write');
    await atHq(op);
    const { sku } = parseInput(skuParam, req.params, 'path');
    const product = await getProduct(sql, sku);
    if (!product) throw new DomainError('NOT_FOUND', `no product ${sku}`);
    res.json(product);
  });

  api.put('/products/:sku', async (req, res) => {
    const op = need(res, 'catalog.write');
    const root = await atHq(op);
    const { sku } = parseInput(skuParam, req.params, 'path');
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.sku !== undefined && body.sku !== sku) throw new DomainError('VALIDATION_FAILED', `body: sku: ${String(body.sku)} is not the path's ${sku}`);
    res.json(await saveProduct(sql, await actorAt(sql, op, root), { ...body, sku }));
  });
}
