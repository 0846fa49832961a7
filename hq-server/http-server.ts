import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { isDomainError, type ErrorCode } from '../core/errors';
import { CONSOLE_HTML } from './console';
import type { Log, Sql } from './database';
import { memberProfile, searchMembers } from './members';
import { openApiDocument } from './openapi';
import { operatorOfSession, permissionsOf, signIn, signOut, subtreeOf, type Operator, type Permission } from './operators';
import { issueEnrollmentCode } from './seed';
import { listEvents, listTerminals, revokeTerminal, terminalStore } from './terminals';

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
export function createApiRouter(deps: { sql: Sql; log: Log }): express.Router {
  const { sql } = deps;
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
    res.json(profile);
  });

  api.get('/terminals', async (_req, res) => {
    const op = allow(res, 'terminal.read');
    res.json({ terminals: await listTerminals(sql, await subtreeOf(sql, op.nodeId)) });
  });

  /** A terminal of the operator's subtree, or 404. */
  async function terminalInScope(op: Operator, terminalId: string): Promise<string> {
    const storeId = await terminalStore(sql, terminalId);
    if (!storeId) throw new HttpError(404, 'NOT_FOUND', `no terminal ${terminalId}`);
    if (!(await subtreeOf(sql, op.nodeId)).includes(storeId)) throw new HttpError(403, 'FORBIDDEN', `terminal ${terminalId} is outside your part of the chain`);
    return storeId;
  }

  api.post('/terminals/:id/enrollment-codes', async (req, res) => {
    const op = allow(res, 'terminal.enroll');
    const { id } = parse(idParam, req.params, 'path');
    const body = parse(enrollmentBody, req.body, 'body');
    const storeId = await terminalInScope(op, id);
    const issued = await issueEnrollmentCode(sql, id, body.ttlMinutes ? { ttlMs: body.ttlMinutes * 60_000 } : {});
    await sql`insert into audit_log (operator_id, terminal_id, node_id, action) values (${op.id}, ${id}, ${storeId}, 'terminal.enrollment_code_issued')`;
    res.status(201).json({ terminalId: id, code: issued.code, expiresAt: issued.expiresAt.toISOString() });
  });

  api.post('/terminals/:id/revocation', async (req, res) => {
    const op = allow(res, 'terminal.revoke');
    const { id } = parse(idParam, req.params, 'path');
    await terminalInScope(op, id);
    await revokeTerminal(sql, id, op.id);
    res.status(204).end();
  });

  api.get('/events', async (req, res) => {
    const op = allow(res, 'event.read');
    const q = parse(eventsQuery, req.query, 'query');
    res.json({ events: await listEvents(sql, await subtreeOf(sql, op.nodeId), { status: q.status, terminalId: q.terminalId, limit: q.limit ?? 100 }) });
  });

  api.use((req: Request) => {
    throw new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  return api;
}

export function createHttpApp(deps: { sql: Sql; log: Log }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(CONSOLE_HTML);
  });
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
