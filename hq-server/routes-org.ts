import type express from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import { grantNodes, requireAt, scopeOf } from './access';
import { audit, searchAudit } from './audit';
import { recordChanges } from './change-log';
import type { Db, Sql } from './database';
import { documentStore, scopedMemberTransactions } from './member-scope';
import { getNode, listNodes, movesOf, createNode, moveNode, updateNode } from './org';
import { createRole, deleteRole, getRole, listRoles, PERMISSIONS, updateRole } from './roles';
import { actorAt, idField, idParam, need, parseInput } from './routes-common';

/**
 * REST routes of the organisation tree, roles, the audit log and regional member data
 * (mounted on /api/v1 by http-server.ts, documented in openapi-org.ts). Every change is audited
 * in the same transaction that makes it.
 */

const name = z.string().trim().min(1, 'is required').max(200);
const timeZone = z.string().min(1).max(64);
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY');
const franchisee = z.string().trim().min(1).max(200).nullable();
const createNodeBody = z
  .object({ id: idField, parentId: z.string().min(1).max(128), kind: z.enum(['region', 'store', 'terminal']), name, timeZone: timeZone.optional(), currency: currency.optional(), franchisee: franchisee.optional() })
  .strict();
const updateNodeBody = z
  .object({ name: name.optional(), timeZone: timeZone.optional(), currency: currency.optional(), franchisee: franchisee.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name, timeZone, currency or franchisee is required');
const moveBody = z.object({ parentId: z.string().min(1).max(128) }).strict();
const roleCode = z.string().regex(/^[a-z][a-z0-9_]{1,47}$/, 'lower-case letters, digits and _ (2–48)');
const createRoleBody = z.object({ code: roleCode, name, permissions: z.array(z.string().min(1).max(64)).max(100) }).strict();
const updateRoleBody = z
  .object({ name: name.optional(), permissions: z.array(z.string().min(1).max(64)).max(100).optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.permissions !== undefined, 'name or permissions is required');
const codeParam = z.object({ code: z.string().min(1).max(64) });
const auditQuery = z.object({
  operatorId: z.string().min(1).max(128).optional(),
  nodeId: z.string().min(1).max(128).optional(),
  action: z.string().min(1).max(128).optional(),
  entityKind: z.string().min(1).max(64).optional(),
  entityId: z.string().min(1).max(128).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  beforeId: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() });

export function registerOrgRoutes(api: express.Router, deps: { sql: Sql }): void {
  const { sql } = deps;

  /** The root (HQ) node id. */
  async function rootId(): Promise<string> {
    const [r] = await sql`select id from org_nodes where parent_id is null`;
    if (!r) throw new DomainError('NOT_FOUND', 'the chain has no HQ node yet');
    return r.id as string;
  }

  // ── organisation tree ────────────────────────────────────────────────────────────────────
  api.get('/org/nodes', async (_req, res) => {
    const op = need(res, 'org.read');
    res.json({ nodes: await listNodes(sql, await scopeOf(sql, op, 'org.read')) });
  });

  api.get('/org/nodes/:id', async (req, res) => {
    const op = need(res, 'org.read');
    const { id } = parseInput(idParam, req.params, 'path');
    if (!(await getNode(sql, id))) throw new DomainError('NOT_FOUND', `no org node ${id}`);
    await requireAt(sql, op, 'org.read', id);
    const [node] = await listNodes(sql, [id]);
    const children = await sql`select id from org_nodes where parent_id = ${id} order by id`;
    res.json({ ...node, children: children.map((c) => c.id as string), moves: await movesOf(sql, id) });
  });

  api.post('/org/nodes', async (req, res) => {
    const op = need(res, 'org.manage');
    const body = parseInput(createNodeBody, req.body, 'body');
    if (!(await getNode(sql, body.parentId))) throw new DomainError('NOT_FOUND', `no org node ${body.parentId}`);
    await requireAt(sql, op, 'org.manage', body.parentId);
    const who = await actorAt(sql, op, body.parentId);
    if (body.kind === 'terminal') {
      const made = await sql.begin(async (tx) => {
        const parent = await getNode(tx, body.parentId);
        if (parent?.kind !== 'store') throw new DomainError('VALIDATION_FAILED', 'parentId: a terminal sits under a store');
        const rows = await tx`insert into terminals (id, store_id, name) values (${body.id}, ${body.parentId}, ${body.name}) on conflict (id) do nothing returning id, store_id, name`;
        if (rows.length === 0) throw new DomainError('CONFLICT', `terminal ${body.id} exists`);
        const after = { id: body.id, storeId: body.parentId, name: body.name };
        await audit(tx, { ...who, terminalId: body.id }, { action: 'terminal.created', entityKind: 'terminal', entityId: body.id, before: null, after });
        return after;
      });
      res.status(201).json({ kind: 'terminal', ...made });
      return;
    }
    const kind = body.kind;
    const node = await sql.begin(async (tx) => {
      const made = await createNode(tx, { id: body.id, parentId: body.parentId, kind, name: body.name, timeZone: body.timeZone, currency: body.currency, franchisee: body.franchisee });
      await audit(tx, who, { action: 'org.node_created', entityKind: 'org_node', entityId: made.id, before: null, after: made });
      return made;
    });
    res.status(201).json(node);
  });

  api.patch('/org/nodes/:id', async (req, res) => {
    const op = need(res, 'org.manage');
    const { id } = parseInput(idParam, req.params, 'path');
    const body = parseInput(updateNodeBody, req.body, 'body');
    if (!(await getNode(sql, id))) throw new DomainError('NOT_FOUND', `no org node ${id}`);
    await requireAt(sql, op, 'org.manage', id);
    const who = await actorAt(sql, op, id);
    const { after } = await sql.begin(async (tx) => {
      const change = await updateNode(tx, id, body);
      await audit(tx, who, { action: 'org.node_updated', entityKind: 'org_node', entityId: id, before: change.before, after: change.after });
      return change;
    });
    res.json(after);
  });

  api.post('/org/nodes/:id/move', async (req, res) => {
    const op = need(res, 'org.manage');
    const { id } = parseInput(idParam, req.params, 'path');
    const body = parseInput(moveBody, req.body, 'body');
    const node = await getNode(sql, id);
    if (!node) throw new DomainError('NOT_FOUND', `no org node ${id}`);
    if (!(await getNode(sql, body.parentId))) throw new DomainError('NOT_FOUND', `no org node ${body.parentId}`);
    // Both ends must be the mover's: the node where it sits now and the new parent.
    await requireAt(sql, op, 'org.manage', node.parentId ?? id, `the current parent of ${id}`);
    await requireAt(sql, op, 'org.manage', body.parentId);
    const who = await actorAt(sql, op, id);
    const { after } = await sql.begin(async (tx) => {
      const moved = await moveNode(tx, id, body.parentId, op.id);
      if (moved.before.parentId !== moved.after.parentId) {
        await audit(tx, who, { action: 'org.node_moved', entityKind: 'org_node', entityId: id, before: { parentId: moved.before.parentId }, after: { parentId: moved.after.parentId } });
      }
      return moved;
    });
    res.json(after);
  });

  // ── roles ────────────────────────────────────────────────────────────────────────────────
  api.get('/roles', async (_req, res) => {
    need(res, 'operator.read');
    res.json({ permissions: PERMISSIONS, roles: await listRoles(sql) });
  });

  /** Role definitions are chain-wide: changing them needs role.manage at HQ (the root). */
  async function roleManager(res: express.Response) {
    const op = need(res, 'role.manage');
    const root = await rootId();
    await requireAt(sql, op, 'role.manage', root, 'HQ (roles are chain-wide)');
    return { op, who: await actorAt(sql, op, root) };
  }

  /** Holders of a role changed: terminals must learn their new permissions. */
  const holdersChanged = async (tx: Db, code: string) => {
    const holders = await tx`select distinct operator_id from operator_grants where role_code = ${code} order by operator_id`;
    await recordChanges(tx, holders.map((h) => ({ kind: 'operator' as const, key: h.operator_id as string })));
  };

  api.post('/roles', async (req, res) => {
    const { who } = await roleManager(res);
    const body = parseInput(createRoleBody, req.body, 'body');
    const role = await sql.begin(async (tx) => {
      const made = await createRole(tx, body);
      await audit(tx, who, { action: 'role.created', entityKind: 'role', entityId: made.code, before: null, after: made });
      return made;
    });
    res.status(201).json(role);
  });

  api.get('/roles/:code', async (req, res) => {
    need(res, 'operator.read');
    const { code } = parseInput(codeParam, req.params, 'path');
    const role = await getRole(sql, code);
    if (!role) throw new DomainError('NOT_FOUND', `no role ${code}`);
    res.json(role);
  });

  api.patch('/roles/:code', async (req, res) => {
    const { who } = await roleManager(res);
    const { code } = parseInput(codeParam, req.params, 'path');
    const body = parseInput(updateRoleBody, req.body, 'body');
    const role = await sql.begin(async (tx) => {
      const { before, after } = await updateRole(tx, code, body);
      await audit(tx, who, { action: 'role.updated', entityKind: 'role', entityId: code, before, after });
      await holdersChanged(tx, code);
      return after;
    });
    res.json(role);
  });

  api.delete('/roles/:code', async (req, res) => {
    const { who } = await roleManager(res);
    const { code } = parseInput(codeParam, req.params, 'path');
    await sql.begin(async (tx) => {
      const before = await deleteRole(tx, code);
      await audit(tx, who, { action: 'role.deleted', entityKind: 'role', entityId: code, before, after: null });
    });
    res.status(204).end();
  });

  // ── audit log (read only: there is no route that edits it) ───────────────────────────────
  api.get('/audit', async (req, res) => {
    const op = need(res, 'audit.read');
    const q = parseInput(auditQuery, req.query, 'query');
    const scope = await scopeOf(sql, op, 'audit.read');
    const chainWide = grantNodes(op, 'audit.read').includes(await rootId());
    const entries = await searchAudit(sql, scope, chainWide, {
      operatorId: q.operatorId,
      nodeId: q.nodeId,
      action: q.action,
      entityKind: q.entityKind,
      entityId: q.entityId,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      beforeId: q.beforeId,
      limit: q.limit ?? 100,
    });
    res.json({ entries });
  });

  // ── member data that is regional ─────────────────────────────────────────────────────────
  api.get('/members/:id/transactions', async (req, res) => {
    const op = need(res, 'member.read');
    const { id } = parseInput(idParam, req.params, 'path');
    const q = parseInput(limitQuery, req.query, 'query');
    const [m] = await sql`select id from members where id = ${id}`;
    if (!m) throw new DomainError('NOT_FOUND', `no member ${id}`);
    res.json({ transactions: await scopedMemberTransactions(sql, id, await scopeOf(sql, op, 'member.read'), q.limit ?? 50) });
  });

  api.get('/sales/:id', async (req, res) => {
    const op = need(res, 'member.read');
    const { id } = parseInput(idParam, req.params, 'path');
    const doc = await documentStore(sql, id);
    if (!doc || doc.kind !== 'sale') throw new DomainError('NOT_FOUND', `no sale ${id}`);
    await requireAt(sql, op, 'member.read', doc.storeId, `store ${doc.storeId}`);
    const [s] = await sql`select id, terminal_id, store_id, member_id, card_id, currency, total_minor, points_earned, completed_at from sales where id = ${id}`;
    const refunds = await sql`select id, total_minor, points_reversed, completed_at from refunds where sale_id = ${id} order by completed_at, id`;
    res.json({
      id: s!.id,
      terminalId: s!.terminal_id,
      storeId: s!.store_id,
      memberId: s!.member_id,
      cardId: s!.card_id,
      currency: s!.currency,
      totalMinor: s!.total_minor,
      pointsEarned: s!.points_earned,
      completedAt: s!.completed_at,
      refunds: refunds.map((r) => ({ id: r.id, totalMinor: r.total_minor, pointsReversed: r.points_reversed, completedAt: r.completed_at })),
    });
  });
}
