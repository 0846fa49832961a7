import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { isDomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import type { Log, Sql } from './database';
import { scopeOf } from './access';
import { permissionsOf, type Operator } from './operators';
import type { Permission } from './roles';
import { reconcileDate } from './reconciliation';

/**
 * Finance routes under /api/v1 (mounted after the sign-in check): reconciliation, settlement,
 * reports and their exports, the dashboard. Scope is the signed-in operator's subtree; chain-wide
 * figures (the stored-value liability) only for an operator at the root.
 *
 * Permissions: reconciliation needs `event.read`; reports, the dashboard and settlement
 * statements need `report.read`; confirming a statement needs `member.adjust` at the root
 * (HQ finance and HQ admin) — a dedicated `settlement.confirm` permission is not in roles.ts yet.
 */

const dateField = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const reconciliationQuery = z.object({ date: dateField });

/** An error these routes answer themselves: {"error": {"code", "message"}} with its HTTP status. */
export class FinanceError extends Error {
  constructor(
    readonly status: number,
    readonly code: 'VALIDATION_FAILED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT',
    message: string,
  ) {
    super(message);
  }
}

export function parseQuery<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new FinanceError(400, 'VALIDATION_FAILED', `${where}: ${path}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}

export const operatorOf = (res: Response): Operator => (res.locals as { operator: Operator }).operator;

export function requirePermission(res: Response, permission: Permission): Operator {
  const op = operatorOf(res);
  if (!permissionsOf(op).has(permission)) throw new FinanceError(403, 'FORBIDDEN', `your roles do not allow ${permission}`);
  return op;
}

/** The stores where the operator holds `permission` (their grants' subtrees), and whether that reaches the whole chain. */
export async function storeScope(sql: Sql, op: Operator, permission: Permission): Promise<{ storeIds: string[]; nodeIds: string[]; chainWide: boolean }> {
  const nodeIds = await scopeOf(sql, op, permission);
  const stores = await sql`select id from org_nodes where kind = 'store' and id = any(${nodeIds}::text[]) order by id`;
  const [root] = await sql`select id from org_nodes where parent_id is null order by id limit 1`;
  return { storeIds: stores.map((s) => s.id as string), nodeIds, chainWide: !!root && nodeIds.includes(root.id as string) };
}

export function createFinanceRouter(deps: { sql: Sql; log: Log; clock?: Clock }): express.Router {
  const { sql } = deps;
  const r = express.Router();

  r.get('/reconciliation', async (req: Request, res: Response) => {
    const op = requirePermission(res, 'event.read');
    const q = parseQuery(reconciliationQuery, req.query, 'query');
    const scope = await storeScope(sql, op, 'event.read');
    res.json(await reconcileDate(sql, q.date, scope.storeIds, scope.chainWide));
  });

  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof FinanceError) return void res.status(err.status).json({ error: { code: err.code, message: err.message } });
    if (isDomainError(err) && (err.code === 'VALIDATION_FAILED' || err.code === 'NOT_FOUND' || err.code === 'CONFLICT')) {
      return void res.status(err.code === 'VALIDATION_FAILED' ? 400 : err.code === 'NOT_FOUND' ? 404 : 409).json({ error: { code: err.code, message: err.message } });
    }
    next(err);
  });
  return r;
}
