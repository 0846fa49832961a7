import type { Response, Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import { systemClock, type Clock } from '../core/ids';
import { grantsOf, scopeOf } from './access';
import type { Sql } from './database';
import { issueCoupons, listCoupons, MAX_COUPONS_PER_BATCH } from './coupons';
import { budgetState } from './promotion-budgets';
import { promotionReport, promotionReportCsv } from './promotion-reports';
import {
  approvePromotion,
  createPromotion,
  endPromotion,
  getPromotion,
  listPromotions,
  readableNodes,
  rejectPromotion,
  submitPromotion,
  updatePromotion,
} from './promotions';

/**
 * REST routes of promotions (under /api/v1, after sign-in; documented in openapi-promotions.ts): CRUD of drafts, the approval
 * workflow, budgets and reports. Scope is checked by the domain functions (hq-server/promotions.ts)
 * against the operator's grants; a node outside it is 403 FORBIDDEN.
 *
 *   GET    /promotions                    list (status, nodeId, limit)
 *   POST   /promotions                    create a draft
 *   GET    /promotions/:id                one, with who wrote and approved it
 *   PUT    /promotions/:id                replace a draft
 *   POST   /promotions/:id/submit         draft → pending_approval
 *   POST   /promotions/:id/approve        pending_approval → scheduled | active (another operator)
 *   POST   /promotions/:id/reject         pending_approval → draft ({reason})
 *   POST   /promotions/:id/end            → ended ({reason?})
 *   GET    /promotions/:id/budget         total, used, allotted, outstanding, per terminal
 *   POST   /promotions/:id/coupons        issue codes ({memberIds} into wallets, or {count} bearer codes; validTo)
 *   GET    /promotions/:id/coupons        codes issued (memberId, used, limit)
 *   GET    /promotion-reports             per promotion, store, day (from, to, promotionId, storeId, format=csv)
 */

const idParam = z.object({ id: z.string().min(1).max(128) });
const listQuery = z.object({
  status: z.enum(['draft', 'pending_approval', 'scheduled', 'active', 'ended']).optional(),
  nodeId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const couponsBody = z
  .object({
    memberIds: z.array(z.string().min(1).max(128)).min(1).max(MAX_COUPONS_PER_BATCH).optional(),
    count: z.number().int().min(1).max(MAX_COUPONS_PER_BATCH).optional(),
    validTo: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date YYYY-MM-DD').nullable().optional(),
  })
  .strict()
  .refine((b) => (b.memberIds === undefined) !== (b.count === undefined), { message: 'give memberIds (wallet codes) or count (bearer codes), not both', path: ['count'] });
const couponsQuery = z.object({
  memberId: z.string().min(1).max(128).optional(),
  used: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_COUPONS_PER_BATCH).optional(),
});
const reasonBody = z.object({ reason: z.string().trim().min(1, 'is required').max(500) }).strict();
const endBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();
const date = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date YYYY-MM-DD');
const reportQuery = z
  .object({ from: date, to: date, promotionId: z.string().min(1).max(128).optional(), storeId: z.string().min(1).max(128).optional(), format: z.enum(['json', 'csv']).optional() })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 <= 366, { message: 'at most 366 days at a time', path: ['to'] });

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DomainError('VALIDATION_FAILED', `${where}: ${issue?.path.length ? issue.path.join('.') : '(root)'}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}

const operatorId = (res: Response): string => (res.locals as { operator: { id: string } }).operator.id;

/** Adds the promotion routes to the signed-in part of the API (the OpenAPI test walks them there). */
export function registerPromotionRoutes(r: Router, deps: { sql: Sql; clock?: Clock }): void {
  const { sql } = deps;
  const clock = deps.clock ?? systemClock;

  r.get('/promotions', async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const me = { id: operatorId(res) };
    const nodes = await readableNodes(sql, me);
    if (nodes.length === 0) throw new DomainError('FORBIDDEN', 'your roles do not allow reading promotions');
    res.json({ promotions: await listPromotions(sql, nodes, { status: q.status, nodeId: q.nodeId, limit: q.limit ?? 200 }) });
  });

  r.post('/promotions', async (req, res) => {
    res.status(201).json(await createPromotion(sql, { id: operatorId(res) }, req.body, clock));
  });

  r.get('/promotions/:id', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    const found = await getPromotion(sql, id);
    if (!found || !(await readableNodes(sql, { id: operatorId(res) })).includes(found.promotion.orgNodeId)) throw new DomainError('NOT_FOUND', `no promotion ${id}`);
    res.json(found);
  });

  r.put('/promotions/:id', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    res.json(await updatePromotion(sql, { id: operatorId(res) }, id, req.body));
  });

  r.post('/promotions/:id/submit', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    res.json(await submitPromotion(sql, { id: operatorId(res) }, id));
  });

  r.post('/promotions/:id/approve', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    res.json(await approvePromotion(sql, { id: operatorId(res) }, id, clock));
  });

  r.post('/promotions/:id/reject', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    const body = parse(reasonBody, req.body, 'body');
    res.json(await rejectPromotion(sql, { id: operatorId(res) }, id, body.reason));
  });

  r.post('/promotions/:id/end', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    const body = parse(endBody, req.body, 'body');
    res.json(await endPromotion(sql, { id: operatorId(res) }, id, clock, body.reason ?? null));
  });

  r.get('/promotions/:id/budget', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    const found = await getPromotion(sql, id);
    if (!found || !(await readableNodes(sql, { id: operatorId(res) })).includes(found.promotion.orgNodeId)) throw new DomainError('NOT_FOUND', `no promotion ${id}`);
    const state = await budgetState(sql, id);
    if (!state) throw new DomainError('NOT_FOUND', `promotion ${id} has no budget`);
    res.json(state);
  });

  r.post('/promotions/:id/coupons', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    const body = parse(couponsBody, req.body, 'body');
    res.status(201).json({ coupons: await issueCoupons(sql, { id: operatorId(res) }, id, body) });
  });

  r.get('/promotions/:id/coupons', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    const q = parse(couponsQuery, req.query, 'query');
    const found = await getPromotion(sql, id);
    if (!found || !(await readableNodes(sql, { id: operatorId(res) })).includes(found.promotion.orgNodeId)) throw new DomainError('NOT_FOUND', `no promotion ${id}`);
    res.json({ coupons: await listCoupons(sql, id, { memberId: q.memberId, used: q.used === undefined ? undefined : q.used === 'true', limit: q.limit ?? 1000 }) });
  });

  r.get('/promotion-reports', async (req, res) => {
    const q = parse(reportQuery, req.query, 'query');
    const grants = await grantsOf(sql, operatorId(res));
    const scope = new Set([...(await scopeOf(sql, { grants }, 'report.read')), ...(await scopeOf(sql, { grants }, 'promotion.write'))]);
    if (scope.size === 0) throw new DomainError('FORBIDDEN', 'your roles do not allow reading reports');
    if (q.storeId && !scope.has(q.storeId)) throw new DomainError('FORBIDDEN', `store ${q.storeId} is outside your part of the chain`);
    const rows = await promotionReport(sql, [...scope], { from: q.from, to: q.to, promotionId: q.promotionId, storeId: q.storeId });
    if (q.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="promotions-${q.from}-${q.to}.csv"`)
        .send(promotionReportCsv(rows));
      return;
    }
    res.json({ from: q.from, to: q.to, rows });
  });
}
