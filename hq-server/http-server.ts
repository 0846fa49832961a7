import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { isDomainError, type ErrorCode } from '../core/errors';
import { systemClock, uuidv7, type Clock } from '../core/ids';
import { ApprovalRefused, approveAdjustment, getAdjustment, listAdjustments, requestAdjustment } from './adjustments';
import { CONSOLE_HTML } from './console';
import { consoleAssets } from './console-app';
import { cardInputSchema, changeCardStatus, changeCardStatusSchema, issueCard, registerMember, registerMemberSchema, transferBalance, type DeskActor } from './member-desk';
import { exposureReport } from './offline-exposure';
import { retryEvent } from './push-events';
import { readSetting, readSettingChanges, readSettings, validateSetting, validateSettingKey, writeSetting } from './settings';
import type { Log, Sql } from './database';
import { memberProfile, searchMembers } from './members';
import { openApiDocument } from './openapi';
import { registerPromotionRoutes } from './routes-promotions';
import { registerFinanceRoutes } from './routes-finance';
import { operatorOfSession, permissionsOf, signIn, signOut, type Operator, type Permission } from './operators';
import { grantNodes, scopeOf } from './access';
import { scopedMemberTransactions } from './member-scope';
import { registerOperatorRoutes } from './routes-operators';
import { registerOrgRoutes } from './routes-org';
import { registerCatalogRoutes } from './routes-catalog';
import { issueEnrollmentCode } from './seed';
import { listEvents, listTerminals, revokeTerminal, terminalStore } from './terminals';
import { renderMetrics } from './metrics';

/**
 * HQ's REST API (/api/v1) and console page. Every error body is
 * {"error": {"code": <stable code>, "message": <for people>}}.
 */

type HttpErrorCode = ErrorCode | 'FORBIDDEN' | 'INTERNAL';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  TERMINAL_REVOKED: 403,
  NOT_FOUND: 404,
  UNKNOWN_CARD: 404,
  HOLD_NOT_FOUND: 404,
  SALE_NOT_FOUND: 404,
  CONFLICT: 409,
  FORBIDDEN: 403,
  ACCOUNT_LOCKED: 423,
  INSUFFICIENT_BALANCE: 422,
};

function sendError(res: Response, status: number, code: HttpErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new HttpError(400, 'VALIDATION_FAILED', `${where}: ${path}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}

const signInBody = z.object({ login: z.string().min(1, 'is required').max(64), password: z.string().min(1, 'is required').max(256) }).strict();
const memberQuery = z.object({ query: z.string().trim().min(1, 'is required').max(64), limit: z.coerce.number().int().min(1).max(200).optional() });
const idParam = z.object({ id: z.string().min(1).max(128) });
const enrollmentBody = z.object({ ttlMinutes: z.number().int().min(1).max(60 * 24 * 30).optional() }).strict();
const eventsQuery = z.object({
  status: z.enum(['applied', 'quarantined']).optional(),
  terminalId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const requestIdField = z.string().min(1).max(128);
/** REST callers may name their request (a retry then answers the first response); otherwise each call is new. */
const withRequestId = (body: unknown) => (body && typeof body === 'object' && !Array.isArray(body) && !('requestId' in body) ? { ...body, requestId: uuidv7() } : body);
const registerMemberBody = registerMemberSchema.extend({ requestId: requestIdField, homeStoreId: z.string().min(1, 'is required').max(128) }).strict();
/** Amounts are JSON integers of minor units: 12.5 or "1250" is refused. */
const minorAmount = z.number({ message: 'must be a number' }).int('must be a whole number of minor units (fen)').safe();
const balanceTransferBody = z.object({ requestId: requestIdField, fromCardId: z.string().min(1).max(128), toCardId: z.string().min(1).max(128), amountMinor: minorAmount.nonnegative('must not be negative (0 moves everything)') }).strict();
const adjustmentBody = z
  .object({
    asset: z.enum(['stored_value', 'points']),
    memberId: z.string().min(1).max(128),
    cardId: z.string().min(1).max(128).optional(),
    part: z.enum(['principal', 'bonus']).optional(),
    amount: minorAmount.refine((n) => n !== 0, 'must not be zero'),
    reason: z.string().trim().min(1, 'is required').max(500),
  })
  .strict();
const adjustmentsQuery = z.object({ state: z.enum(['pending', 'approved']).optional(), limit: z.coerce.number().int().min(1).max(500).optional() });
const exposureQuery = z.object({ storeId: z.string().min(1).max(128).optional(), memberId: z.string().min(1).max(128).optional() });
const eventParams = z.object({ terminalId: z.string().min(1).max(128), seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
const keyParam = z.object({ key: z.string().min(1).max(64) });
const settingBody = z.object({ value: z.unknown() }).strict().refine((b) => b.value !== undefined, { message: 'is required', path: ['value'] });

interface Locals {
  operator: Operator;
  token: string;
}

const operatorOf = (res: Response) => (res.locals as Locals).operator;

function allow(res: Response, permission: Permission): Operator {
  const op = operatorOf(res);
  if (!permissionsOf(op).has(permission)) throw new HttpError(403, 'FORBIDDEN', `your role does not allow ${permission}`);
  return op;
}

/** The /api/v1 routes. Exported so tests can walk them against the OpenAPI document. */
export function createApiRouter(deps: { sql: Sql; log: Log; clock?: Clock }): express.Router {
  const { sql } = deps;
  const clock = deps.clock ?? systemClock;
  const api = express.Router();
  api.use(express.json({ limit: '100kb' }));

  api.get('/health', async (_req, res) => {
    try {
      await sql`select 1`;
      res.json({ status: 'ok', database: 'up' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'down' });
    }
  });

  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  api.post('/sessions', async (req, res) => {
    const body = parse(signInBody, req.body, 'body');
    const session = await signIn(sql, body.login, body.password);
    if (!session) throw new HttpError(401, 'UNAUTHENTICATED', 'login or password is wrong');
    res.status(201).json({ token: session.token, operator: session.operator, expiresAt: session.expiresAt.toISOString() });
  });

  // Everything below needs a signed-in operator.
  api.use(async (req: Request, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const operator = m ? await operatorOfSession(sql, m[1]!) : null;
    if (!operator) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'UNAUTHENTICATED', 'sign in first (POST /api/v1/sessions) and send "Authorization: Bearer <token>"');
    }
    (res.locals as Locals).operator = operator;
    (res.locals as Locals).token = m![1]!;
    next();
  });

  api.delete('/sessions/current', async (_req, res) => {
    await signOut(sql, (res.locals as Locals).token);
    res.status(204).end();
  });

  api.get('/members', async (req, res) => {
    allow(res, 'member.read');
    const q = parse(memberQuery, req.query, 'query');
    res.json({ members: await searchMembers(sql, q.query, q.limit ?? 50) });
  });

  api.get('/members/:id', async (req, res) => {
    allow(res, 'member.read');
    const { id } = parse(idParam, req.params, 'path');
    const profile = await memberProfile(sql, id);
    if (!profile) throw new HttpError(404, 'NOT_FOUND', `no member ${id}`);
    // Profile, cards and balances are chain-wide; transactions only from stores in the caller's scope.
    res.json({ ...profile, transactions: await scopedMemberTransactions(sql, id, await scopeOf(sql, operatorOf(res), 'member.read')) });
  });

  /** 404 unless the member exists; 403 unless their home store is in the operator's part of the chain. */
  async function memberInScope(op: Operator, memberId: string, permission: Permission = 'member.write'): Promise<void> {
    const [m] = await sql`select home_store_id from members where id = ${memberId}`;
    if (!m) throw new HttpError(404, 'NOT_FOUND', `no member ${memberId}`);
    if (!(await scopeOf(sql, op, permission)).includes(m.home_store_id)) throw new HttpError(403, 'FORBIDDEN', `member ${memberId} belongs to a store outside your part of the chain`);
  }
  async function cardInScope(op: Operator, cardId: string): Promise<void> {
    const [c] = await sql`select member_id from cards where id = ${cardId}`;
    if (!c) throw new HttpError(404, 'UNKNOWN_CARD', `card ${cardId} is not known at HQ`);
    await memberInScope(op, c.member_id);
  }
  const deskActor = (op: Operator): DeskActor => ({ terminalId: null, operatorId: op.id, nodeId: op.nodeId });

  api.post('/members', async (req, res) => {
    const op = allow(res, 'member.write');
    const body = parse(registerMemberBody, withRequestId(req.body), 'body');
    if (!(await scopeOf(sql, op, 'member.write')).includes(body.homeStoreId)) throw new HttpError(403, 'FORBIDDEN', `store ${body.homeStoreId} is outside your part of the chain`);
    res.status(201).json(await registerMember(sql, deskActor(op), body, clock));
  });

  api.post('/members/:id/cards', async (req, res) => {
    const op = allow(res, 'member.write');
    const { id } = parse(idParam, req.params, 'path');
    const body = parse(cardInputSchema.extend({ requestId: requestIdField }).strict(), withRequestId(req.body), 'body');
    await memberInScope(op, id);
    res.status(201).json(await issueCard(sql, deskActor(op), { ...body, memberId: id }, clock));
  });

  api.post('/cards/:id/status', async (req, res) => {
    const op = allow(res, 'member.write');
    const { id } = parse(idParam, req.params, 'path');
    const body = parse(changeCardStatusSchema.omit({ cardId: true }).strict(), withRequestId(req.body), 'body');
    await cardInScope(op, id);
    res.json(await changeCardStatus(sql, deskActor(op), { ...body, cardId: id, operatorId: op.id }, clock));
  });

  api.post('/balance-transfers', async (req, res) => {
    const op = allow(res, 'member.write');
    const body = parse(balanceTransferBody, withRequestId(req.body), 'body');
    await cardInScope(op, body.fromCardId);
    await cardInScope(op, body.toCardId);
    res.json(await transferBalance(sql, deskActor(op), { requestId: body.requestId, fromCardId: body.fromCardId, toCardId: body.toCardId, amount: body.amountMinor }, clock));
  });

  api.post('/adjustments', async (req, res) => {
    const op = allow(res, 'member.adjust');
    const body = parse(adjustmentBody, req.body, 'body');
    await memberInScope(op, body.memberId, 'member.adjust');
    const a = await requestAdjustment(sql, op, { asset: body.asset, memberId: body.memberId, cardId: body.cardId ?? null, part: body.part ?? null, amount: body.amount, reason: body.reason });
    res.status(201).json(a);
  });

  api.get('/adjustments', async (req, res) => {
    const op = allow(res, 'member.adjust');
    const q = parse(adjustmentsQuery, req.query, 'query');
    const subtree = await scopeOf(sql, op, 'member.adjust');
    const memberIds = (await sql`select id from members where home_store_id = any(${subtree}::text[])`).map((r) => r.id as string);
    res.json({ adjustments: await listAdjustments(sql, { state: q.state, memberIds, limit: q.limit ?? 100 }) });
  });

  api.post('/adjustments/:id/approve', async (req, res) => {
    const op = allow(res, 'member.adjust');
    const { id } = parse(idParam, req.params, 'path');
    const a = await getAdjustment(sql, id);
    if (!a) throw new HttpError(404, 'NOT_FOUND', `no adjustment ${id}`);
    await memberInScope(op, a.memberId, 'member.adjust');
    try {
      res.json(await approveAdjustment(sql, op, id, clock));
    } catch (e) {
      if (e instanceof ApprovalRefused) throw new HttpError(403, 'FORBIDDEN', e.message);
      throw e;
    }
  });

  api.get('/exposure', async (req, res) => {
    const op = allow(res, 'exposure.read');
    const q = parse(exposureQuery, req.query, 'query');
    res.json(await exposureReport(sql, await scopeOf(sql, op, 'exposure.read'), q));
  });

  api.get('/settings', async (_req, res) => {
    allow(res, 'setting.read');
    res.json({ settings: await readSettings(sql), lastChanged: await readSettingChanges(sql) });
  });

  api.get('/settings/:key', async (req, res) => {
    allow(res, 'setting.read');
    const { key } = parse(keyParam, req.params, 'path');
    const { key: known } = validateSettingKey(key);
    res.json({ key: known, value: await readSetting(sql, known) });
  });

  api.put('/settings/:key', async (req, res) => {
    const op = allow(res, 'setting.write');
    const { key } = parse(keyParam, req.params, 'path');
    const body = parse(settingBody, req.body, 'body');
    const [root] = await sql`select id from org_nodes where parent_id is null`;
    if (!root || !grantNodes(op, 'setting.write').includes(root.id)) throw new HttpError(403, 'FORBIDDEN', 'chain settings are changed at HQ only');
    const { key: known, value } = validateSetting(key, JSON.stringify(body.value));
    const before = await sql.begin((tx) => writeSetting(tx, known, value, { operatorId: op.id, nodeId: op.nodeId }));
    res.json({ key: known, value, before });
  });

  api.get('/terminals', async (_req, res) => {
    const op = allow(res, 'terminal.read');
    res.json({ terminals: await listTerminals(sql, await scopeOf(sql, op, 'terminal.read')) });
  });

  /** A terminal of the operator's subtree, or 404. */
  async function terminalInScope(op: Operator, terminalId: string, permission: Permission): Promise<string> {
    const storeId = await terminalStore(sql, terminalId);
    if (!storeId) throw new HttpError(404, 'NOT_FOUND', `no terminal ${terminalId}`);
    if (!(await scopeOf(sql, op, permission)).includes(storeId)) throw new HttpError(403, 'FORBIDDEN', `terminal ${terminalId} is outside your part of the chain`);
    return storeId;
  }

  api.post('/terminals/:id/enrollment-codes', async (req, res) => {
    const op = allow(res, 'terminal.enroll');
    const { id } = parse(idParam, req.params, 'path');
    const body = parse(enrollmentBody, req.body, 'body');
    const storeId = await terminalInScope(op, id, 'terminal.enroll');
    const issued = await issueEnrollmentCode(sql, id, body.ttlMinutes ? { ttlMs: body.ttlMinutes * 60_000 } : {});
    await sql`insert into audit_log (operator_id, terminal_id, node_id, action) values (${op.id}, ${id}, ${storeId}, 'terminal.enrollment_code_issued')`;
    res.status(201).json({ terminalId: id, code: issued.code, expiresAt: issued.expiresAt.toISOString() });
  });

  api.post('/terminals/:id/revocation', async (req, res) => {
    const op = allow(res, 'terminal.revoke');
    const { id } = parse(idParam, req.params, 'path');
    await terminalInScope(op, id, 'terminal.revoke');
    await revokeTerminal(sql, id, op.id);
    res.status(204).end();
  });

  api.get('/events', async (req, res) => {
    const op = allow(res, 'event.read');
    const q = parse(eventsQuery, req.query, 'query');
    res.json({ events: await listEvents(sql, await scopeOf(sql, op, 'event.read'), { status: q.status, terminalId: q.terminalId, limit: q.limit ?? 100 }) });
  });

  api.post('/events/:terminalId/:seq/retry', async (req, res) => {
    const op = allow(res, 'event.retry');
    const { terminalId, seq } = parse(eventParams, req.params, 'path');
    const storeId = await terminalInScope(op, terminalId, 'event.retry');
    const result = await retryEvent(sql, terminalId, seq, clock.now(), deps.log);
    await sql`insert into audit_log (operator_id, terminal_id, node_id, action, details)
      values (${op.id}, ${terminalId}, ${storeId}, 'event.retried', ${JSON.stringify({ seq, status: result.status, reason: result.reason })}::text::jsonb)`;
    res.json(result);
  });

  registerOrgRoutes(api, { sql });
  registerOperatorRoutes(api, { sql });

  // Reconciliation, settlement, reports, exports, dashboard (routes-finance.ts).
  registerFinanceRoutes(api, deps);

  // Promotions: drafts, approval, budgets, reports (routes-promotions.ts).
  registerPromotionRoutes(api, deps);

  // The catalog: products, including items sold by weight (routes-catalog.ts).
  registerCatalogRoutes(api, { sql });

  api.use((req: Request) => {
    throw new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  return api;
}

export function createHttpApp(deps: { sql: Sql; log: Log; clock?: Clock }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  // Prometheus scrape endpoint (no session: HQ listens on loopback unless told otherwise).
  app.get('/metrics', async (_req, res) => {
    const m = await renderMetrics(deps.sql);
    res.type(m.contentType).send(m.body);
  });
  app.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(CONSOLE_HTML);
  });
  // The full console (console-app.ts); the page at / stays the quick one.
  app.use('/console', consoleAssets());
  app.use('/api/v1', createApiRouter(deps));
  app.use((req: Request, res: Response) => sendError(res, 404, 'NOT_FOUND', `no route ${req.method} ${req.path}`));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
    if (isDomainError(err)) return sendError(res, HTTP_STATUS[err.code] ?? 422, err.code, err.message);
    const e = err as { type?: string; status?: number; message?: string };
    if (e && e.type === 'entity.parse.failed') return sendError(res, 400, 'VALIDATION_FAILED', 'body: not valid JSON');
    if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return sendError(res, e.status, 'VALIDATION_FAILED', `body: ${e.message ?? 'refused'}`);
    deps.log(`HTTP ${req.method} ${req.originalUrl} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return sendError(res, 500, 'INTERNAL', 'HQ could not complete the request; it has been logged');
  });
  return app;
}
