import type express from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import type { Checkout, SaleView } from './checkout';
import type { Credential } from './operators';

/**
 * Local API routes for price overrides and manual discounts on an open sale (mounted by
 * local-api.ts next to the sale routes, behind the per-launch token):
 *   POST /api/sales/:id/items/:lineNo/price {unitPriceMinor, reason, supervisor?}      price.override
 *   POST /api/sales/:id/discounts {lineNo?, amountMinor | percent, rounding?, reason, supervisor?}  discount.manual
 *   DELETE /api/sales/:id/discounts/:discountId                                          takes one off
 * `supervisor` is {login, pin} or {cardNo}; without the permission and without a supervisor who
 * holds it: 403 FORBIDDEN with details.needsSupervisor. Each approval is recorded as an override.
 */

const supervisor = z.union([
  z.strictObject({ login: z.string().trim().min(1).max(64), pin: z.string().regex(/^\d{4,8}$/, 'a PIN is 4 to 8 digits') }),
  z.strictObject({ cardNo: z.string().trim().min(1).max(64) }),
]);
const reason = z.string().trim().min(1, 'say why').max(200);
const lineNoParam = z.coerce.number().int().min(1).max(100_000);
const priceBody = z.strictObject({ unitPriceMinor: z.number().int().min(0).refine(Number.isSafeInteger), reason, supervisor: supervisor.optional() });
const discountBody = z
  .strictObject({
    lineNo: z.number().int().min(1).optional(),
    amountMinor: z.number().int().min(1).refine(Number.isSafeInteger).optional(),
    percent: z.string().regex(/^\d{1,3}(\.\d{1,4})?$/, 'a percentage such as "10" or "12.5"').optional(),
    rounding: z.enum(['HALF_UP', 'HALF_EVEN', 'DOWN', 'UP']).optional(),
    reason,
    supervisor: supervisor.optional(),
  })
  .refine((b) => (b.amountMinor === undefined) !== (b.percent === undefined), 'give either amountMinor or percent');

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DomainError('VALIDATION_FAILED', `${issue?.path.length ? issue.path.join('.') : 'body'}: ${issue?.message ?? 'malformed'}`);
  }
  return r.data;
}

/** Mounts the routes; `json` renders a sale as the other sale routes do. */
export function checkoutOverrideRoutes(app: express.Express, checkout: Checkout, json: (s: SaleView) => unknown): void {
  app.post('/api/sales/:id/items/:lineNo/price', async (req, res) => {
    const lineNo = parse(lineNoParam, req.params.lineNo);
    const b = parse(priceBody, req.body);
    res.json(json(await checkout.overridePrice(req.params.id, lineNo, { unitPriceMinor: b.unitPriceMinor, reason: b.reason, supervisor: b.supervisor as Credential | undefined })));
  });
  app.post('/api/sales/:id/discounts', async (req, res) => {
    const b = parse(discountBody, req.body);
    res.status(201).json(json(await checkout.addManualDiscount(req.params.id, { ...b, supervisor: b.supervisor as Credential | undefined })));
  });
  app.delete('/api/sales/:id/discounts/:discountId', (req, res) => {
    res.json(json(checkout.removeManualDiscount(req.params.id, String(req.params.discountId))));
  });
}
