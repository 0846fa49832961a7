import { verify as argon2Verify } from '@node-rs/argon2';
import type express from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import { grantsOf, permissionsAt, requireAt, scopeOf } from './access';
import { audit } from './audit';
import { recordChanges } from './change-log';
import type { Db, Sql } from './database';
import { getNode } from './org';
import { sha256, hashSecret } from './seed';
import { getRole } from './roles';
import { actorAt, idField, idParam, need, parseInput, signedInOperator } from './routes-common';

/**
 * REST routes for operators: list, create, change, grants (a role at a node), unlock, and a
 * signed-in operator's own password change. An operator is managed by whoever holds
 * operator.manage at their home node; a grant needs operator.manage at the grant's node too, and
 * cannot give more than the granter holds there (no escalation).
 */

/** At least 10 characters with a letter and a digit; not the login; not the old password. */
export function passwordProblem(password: string, login: string): string | null {
  if (password.length < 10) return 'must be at least 10 characters';
  if (password.length > 256) return 'must be at most 256 characters';
  if (!/[A-Za-z\p{L}]/u.test(password) || !/\d/.test(password)) return 'must contain a letter and a digit';
  if (password.toLowerCase().includes(login.toLowerCase())) return 'must not contain the login';
  return null;
}

const pin = z.string().regex(/^\d{4,8}$/, 'must be 4 to 8 digits');
const cardNo = z.string().trim().min(4).max(64).regex(/^[A-Za-z0-9]+$/, 'letters and digits only').nullable();
const grantInput = z.object({ nodeId: z.string().min(1).max(128), role: z.string().min(1).max(64) }).strict();
const createOperatorBody = z
  .object({
    id: idField,
    nodeId: z.string().min(1).max(128),
    name: z.string().trim().min(1).max(200),
    login: z.string().trim().min(3).max(64).regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ - only'),
    password: z.string().min(1).max(256),
    pin: pin.optional(),
    cardNo: cardNo.optional(),
    grants: z.array(grantInput).max(20).optional(),
  })
  .strict();
const updateOperatorBody = z
  .object({ name: z.string().trim().min(1).max(200).optional(), pin: pin.optional(), cardNo: cardNo.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name, pin, cardNo or disabled is required');
const grantParams = z.object({ id: z.string().min(1).max(128), nodeId: z.string().min(1).max(128), role: z.string().min(1).max(64) });
const passwordBody = z.object({ oldPassword: z.string().min(1, 'is required').max(256), newPassword: z.string().min(1, 'is required').max(256) }).strict();

export interface OperatorView {
  id: string;
  name: string;
  login: string;
  nodeId: string;
  cardNo: string | null;
  hasPin: boolean;
  locked: boolean;
  failedSignIns: number;
  disabled: boolean;
  grants: Array<{ nodeId: string; role: string; permissions: string[] }>;
}

async function operatorView(db: Db, id: string): Promise<OperatorView | null> {
  const [o] = await db`select id, name, login, node_id, card_no, pin_hash, locked_at, failed_sign_ins, disabled_at from operators where id = ${id}`;
  if (!o) return null;
  return {
    id: o.id,
    name: o.name,
    login: o.login,
    nodeId: o.node_id,
    cardNo: o.card_no,
    hasPin: Boolean(o.pin_hash),
    locked: o.locked_at !== null,
    failedSignIns: o.failed_sign_ins,
    disabled: o.disabled_at !== null,
    grants: (await grantsOf(db, id)).map((g) => ({ nodeId: g.nodeId, role: g.role, permissions: g.permissions })),
  };
}

export function registerOperatorRoutes(api: express.Router, deps: { sql: Sql }): void {
  const { sql } = deps;

  /** The operator `id` (404) whose home node the caller may use `permission` at (403). */
  async function target(res: express.Response, id: string, permission: 'operator.read' | 'operator.manage'): Promise<OperatorView> {
    const op = need(res, permission);
    const view = await operatorView(sql, id);
    if (!view) throw new DomainError('NOT_FOUND', `no operator ${id}`);
    await requireAt(sql, op, permission, view.nodeId, `operator ${id}'s node ${view.nodeId}`);
    return view;
  }

  /** Refuses a grant the caller may not give: outside their scope, or more than they hold there. */
  async function checkGrant(res: express.Response, nodeId: string, roleCode: string): Promise<void> {
    const op = signedInOperator(res);
    if (!(await getNode(sql, nodeId))) throw new DomainError('NOT_FOUND', `no org node ${nodeId}`);
    await requireAt(sql, op, 'operator.manage', nodeId);
    const role = await getRole(sql, roleCode);
    if (!role) throw new DomainError('NOT_FOUND', `no role ${roleCode}`);
    const mine = await permissionsAt(sql, op, nodeId);
    const more = role.permissions.filter((p) => !mine.has(p));
    if (more.length > 0) throw new DomainError('FORBIDDEN', `role ${roleCode} gives ${more.join(', ')}, which you do not hold at ${nodeId}`);
  }

  api.get('/operators', async (_req, res) => {
    const op = need(res, 'operator.read');
    const scope = await scopeOf(sql, op, 'operator.read');
    const ids = await sql`select id from operators where node_id = any(${scope}::text[]) order by node_id, id`;
    const views = await Promise.all(ids.map((r) => operatorView(sql, r.id as string)));
    res.json({ operators: views.filter((v): v is OperatorView => v !== null) });
  });

  api.get('/operators/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'path');
    res.json(await target(res, id, 'operator.read'));
  });

  api.post('/operators', async (req, res) => {
    const op = need(res, 'operator.manage');
    const body = parseInput(createOperatorBody, req.body, 'body');
    if (!(await getNode(sql, body.nodeId))) throw new DomainError('NOT_FOUND', `no org node ${body.nodeId}`);
    await requireAt(sql, op, 'operator.manage', body.nodeId);
    const problem = passwordProblem(body.password, body.login);
    if (problem) throw new DomainError('VALIDATION_FAILED', `body: password: ${problem}`);
    for (const g of body.grants ?? []) await checkGrant(res, g.nodeId, g.role);
    const passwordHash = await hashSecret(body.password);
    const pinHash = body.pin ? await hashSecret(body.pin) : '';
    const who = await actorAt(sql, op, body.nodeId);
    await sql.begin(async (tx) => {
      const made = await tx`insert into operators (id, node_id, name, login, password_hash, pin_hash, roles, card_no, password_changed_at)
        values (${body.id}, ${body.nodeId}, ${body.name}, ${body.login}, ${passwordHash}, ${pinHash}, ${[]}::text[], ${body.cardNo ?? null}, now())
        on conflict do nothing returning id`;
      if (made.length === 0) throw new DomainError('CONFLICT', `an operator with id ${body.id}, login ${body.login} or card ${body.cardNo ?? '-'} exists`);
      for (const g of body.grants ?? []) {
        await tx`insert into operator_grants (operator_id, node_id, role_code, granted_by) values (${body.id}, ${g.nodeId}, ${g.role}, ${op.id}) on conflict do nothing`;
      }
      const after = await operatorView(tx, body.id);
      await audit(tx, who, { action: 'operator.created', entityKind: 'operator', entityId: body.id, before: null, after });
      await recordChanges(tx, [{ kind: 'operator', key: body.id }]);
    });
    res.status(201).json(await operatorView(sql, body.id));
  });

  api.patch('/operators/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'path');
    const body = parseInput(updateOperatorBody, req.body, 'body');
    const before = await target(res, id, 'operator.manage');
    const op = signedInOperator(res);
    if (body.disabled && id === op.id) throw new DomainError('VALIDATION_FAILED', 'body: disabled: you cannot disable yourself');
    const pinHash = body.pin ? await hashSecret(body.pin) : null;
    const who = await actorAt(sql, op, before.nodeId);
    const after = await sql.begin(async (tx) => {
      if (body.name !== undefined) await tx`update operators set name = ${body.name} where id = ${id}`;
      if (pinHash) await tx`update operators set pin_hash = ${pinHash} where id = ${id}`;
      if (body.cardNo !== undefined) {
        const [taken] = await tx`select id from operators where card_no = ${body.cardNo} and id <> ${id}`;
        if (taken) throw new DomainError('CONFLICT', `card ${body.cardNo} belongs to another operator`);
        await tx`update operators set card_no = ${body.cardNo} where id = ${id}`;
      }
      if (body.disabled !== undefined) {
        await tx`update operators set disabled_at = ${body.disabled ? tx`now()` : null} where id = ${id}`;
        if (body.disabled) await tx`delete from sessions where operator_id = ${id}`;
      }
      const view = await operatorView(tx, id);
      // PINs are never audited, only that one was set.
      await audit(tx, who, { action: 'operator.updated', entityKind: 'operator', entityId: id, before, after: view, details: pinHash ? { pinChanged: true } : {} });
      await recordChanges(tx, [{ kind: 'operator', key: id }]);
      return view;
    });
    res.json(after);
  });

  api.post('/operators/:id/grants', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'path');
    const body = parseInput(grantInput, req.body, 'body');
    const before = await target(res, id, 'operator.manage');
    await checkGrant(res, body.nodeId, body.role);
    const op = signedInOperator(res);
    const who = await actorAt(sql, op, body.nodeId);
    const after = await sql.begin(async (tx) => {
      const made = await tx`insert into operator_grants (operator_id, node_id, role_code, granted_by) values (${id}, ${body.nodeId}, ${body.role}, ${op.id}) on conflict do nothing returning role_code`;
      const view = await operatorView(tx, id);
      if (made.length > 0) {
        await audit(tx, who, { action: 'operator.grant_added', entityKind: 'operator', entityId: id, before: { grants: before.grants }, after: { grants: view!.grants }, details: { nodeId: body.nodeId, role: body.role } });
        await recordChanges(tx, [{ kind: 'operator', key: id }]);
      }
      return view;
    });
    res.status(201).json(after);
  });

  api.delete('/operators/:id/grants/:nodeId/:role', async (req, res) => {
    const { id, nodeId, role } = parseInput(grantParams, req.params, 'path');
    const before = await target(res, id, 'operator.manage');
    const op = signedInOperator(res);
    await requireAt(sql, op, 'operator.manage', nodeId);
    const who = await actorAt(sql, op, nodeId);
    await sql.begin(async (tx) => {
      const gone = await tx`delete from operator_grants where operator_id = ${id} and node_id = ${nodeId} and role_code = ${role} returning role_code`;
      if (gone.length === 0) throw new DomainError('NOT_FOUND', `operator ${id} holds no ${role} at ${nodeId}`);
      const view = await operatorView(tx, id);
      await audit(tx, who, { action: 'operator.grant_removed', entityKind: 'operator', entityId: id, before: { grants: before.grants }, after: { grants: view!.grants }, details: { nodeId, role } });
      await recordChanges(tx, [{ kind: 'operator', key: id }]);
    });
    res.status(204).end();
  });

  api.post('/operators/:id/unlock', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'path');
    const before = await target(res, id, 'operator.manage');
    const who = await actorAt(sql, signedInOperator(res), before.nodeId);
    const after = await sql.begin(async (tx) => {
      // unlocked_at reaches the tills through the operator feed: each lifts its own PIN lock.
      await tx`update operators set locked_at = null, failed_sign_ins = 0, unlocked_at = now() where id = ${id}`;
      const view = await operatorView(tx, id);
      await audit(tx, who, { action: 'operator.unlocked', entityKind: 'operator', entityId: id, before: { locked: before.locked, failedSignIns: before.failedSignIns }, after: { locked: false, failedSignIns: 0 } });
      await recordChanges(tx, [{ kind: 'operator', key: id }]);
      return view;
    });
    res.json(after);
  });

  /** Any signed-in operator changes their own password (old + new); their other sessions end. */
  api.post('/sessions/current/password', async (req, res) => {
    const op = signedInOperator(res);
    const body = parseInput(passwordBody, req.body, 'body');
    const [row] = await sql`select password_hash from operators where id = ${op.id}`;
    if (!row || !(await argon2Verify(row.password_hash, body.oldPassword).catch(() => false))) throw new DomainError('FORBIDDEN', 'the old password is wrong');
    const problem = passwordProblem(body.newPassword, op.login);
    if (problem) throw new DomainError('VALIDATION_FAILED', `body: newPassword: ${problem}`);
    if (body.newPassword === body.oldPassword) throw new DomainError('VALIDATION_FAILED', 'body: newPassword: must differ from the old password');
    const hash = await hashSecret(body.newPassword);
    const token = (res.locals as { token: string }).token;
    const who = await actorAt(sql, op, op.nodeId);
    await sql.begin(async (tx) => {
      await tx`update operators set password_hash = ${hash}, password_changed_at = now(), failed_sign_ins = 0 where id = ${op.id}`;
      await tx`delete from sessions where operator_id = ${op.id} and token_hash <> ${sha256(token)}`;
      await audit(tx, who, { action: 'operator.password_changed', entityKind: 'operator', entityId: op.id });
    });
    res.status(204).end();
  });
}
