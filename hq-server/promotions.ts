import { z } from 'zod';
import { DomainError } from '../core/errors';
import { uuidv7, type Clock } from '../core/ids';
import { promotionSchema, type Promotion, type PromotionStatus } from '../core/pricing';
import { localTime } from '../core/time';
import { allowedAt, ancestorsOf, grantsOf, rolesAt, scopeOf, type Grant } from './access';
import { audit, type AuditActor } from './audit';
import { recordChanges } from './change-log';
import type { Db, Sql, Tx } from './database';

/**
 * Promotions at HQ (issue 5 item 4): drafts an operator writes at an org node of their subtree,
 * approval by a second operator, a lifecycle draft → pending_approval → scheduled → active →
 * ended, and the change feed that brings every change to the terminals under the node.
 *
 * Who may do what (hq-server/roles.ts): `promotion.write` at the promotion's node (or above it)
 * to create, change, submit, withdraw and end; `promotion.approve` there to approve or reject,
 * and never one's own promotion (neither its author nor whoever submitted it). With the built-in
 * roles a regional manager writes in their region and an HQ admin or HQ finance approves; a
 * custom role with `promotion.approve` granted at a region lets a second regional manager approve
 * there.
 *
 * The engine treats `scheduled` as live inside its window (a terminal offline at the start
 * still starts on time), so `scheduled → active` and `→ ended` by time only keep HQ's view
 * and reports honest; `advancePromotions` makes those moves by the node's local date.
 */

export type PromotionDraft = Omit<Promotion, 'id' | 'status'>;

/** A promotion's definition as REST bodies give it: the engine's schema, less id and status. */
export const promotionDraftSchema = z
  .object({ id: z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, . _ : - only').optional() })
  .passthrough();

export interface PromotionRecord {
  promotion: Promotion;
  version: number;
  createdBy: string;
  updatedBy: string;
  submittedBy: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  endedBy: string | null;
  endedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Who acts: an operator id; their grants are read fresh from the database. */
export interface PromotionActor {
  id: string;
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d === null || d === undefined ? null : String(d));

function toRecord(r: Record<string, unknown>): PromotionRecord {
  const def = (typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition) as Promotion;
  return {
    promotion: { ...def, status: r.status as PromotionStatus },
    version: r.version as number,
    createdBy: r.created_by as string,
    updatedBy: r.updated_by as string,
    submittedBy: (r.submitted_by as string | null) ?? null,
    approvedBy: (r.approved_by as string | null) ?? null,
    approvedAt: iso(r.approved_at),
    endedBy: (r.ended_by as string | null) ?? null,
    endedAt: iso(r.ended_at),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/** Validates a definition with the engine's own schema, so HQ never stores what a terminal would refuse. */
export function validatePromotion(value: unknown): Promotion {
  const result = promotionSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DomainError('VALIDATION_FAILED', `promotion: ${issue?.path.length ? issue.path.join('.') : '(root)'}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data as Promotion;
}

async function grantsFor(db: Db, actor: PromotionActor): Promise<Grant[]> {
  return grantsOf(db, actor.id);
}

async function require(db: Db, actor: PromotionActor, permission: 'promotion.write' | 'promotion.approve', nodeId: string): Promise<Grant[]> {
  const grants = await grantsFor(db, actor);
  if (!(await allowedAt(db, { grants }, permission, nodeId))) {
    throw new DomainError('FORBIDDEN', `you may not use ${permission} at ${nodeId}: it is outside your part of the chain or your roles do not allow it`);
  }
  return grants;
}

async function actorFor(db: Db, actor: PromotionActor, grants: Grant[], nodeId: string): Promise<AuditActor> {
  return { operatorId: actor.id, nodeId, role: (await rolesAt(db, { grants }, nodeId)).join(',') || null };
}

async function nodeExists(db: Db, nodeId: string): Promise<void> {
  const [n] = await db`select 1 from org_nodes where id = ${nodeId}`;
  if (!n) throw new DomainError('NOT_FOUND', `no org node ${nodeId}`);
}

async function lockPromotion(tx: Tx, id: string): Promise<PromotionRecord> {
  const [r] = await tx`select * from promotions where id = ${id} for update`;
  if (!r) throw new DomainError('NOT_FOUND', `no promotion ${id}`);
  return toRecord(r);
}

async function writeStatus(tx: Tx, id: string, status: PromotionStatus, set: Record<string, unknown>): Promise<PromotionRecord> {
  const [r] = await tx`
    update promotions set ${tx({ ...set, status })}, definition = jsonb_set(definition, '{status}', to_jsonb(${status}::text)),
      version = version + 1, updated_at = now()
    where id = ${id} returning *`;
  return toRecord(r!);
}

/** Creates a draft at `orgNodeId`; needs promotion.write there. */
export async function createPromotion(sql: Sql, actor: PromotionActor, input: unknown, clock: Clock): Promise<PromotionRecord> {
  const body = (input ?? {}) as Record<string, unknown>;
  const promotion = validatePromotion({ ...body, id: typeof body.id === 'string' && body.id !== '' ? body.id : uuidv7(clock), status: 'draft' });
  await nodeExists(sql, promotion.orgNodeId);
  const grants = await require(sql, actor, 'promotion.write', promotion.orgNodeId);
  return sql.begin(async (tx) => {
    const made = await tx`
      insert into promotions (id, org_node_id, status, definition, created_by, updated_by)
      values (${promotion.id}, ${promotion.orgNodeId}, 'draft', ${JSON.stringify(promotion)}::text::jsonb, ${actor.id}, ${actor.id})
      on conflict (id) do nothing returning *`;
    if (made.length === 0) throw new DomainError('CONFLICT', `promotion ${promotion.id} exists`);
    const record = toRecord(made[0]!);
    await audit(tx, await actorFor(tx, actor, grants, promotion.orgNodeId), { action: 'promotion.created', entityKind: 'promotion', entityId: promotion.id, after: record.promotion });
    return record;
  });
}

/**
 * Replaces a draft's definition (a promotion waiting for approval goes back to draft: what was
 * submitted is not what will be approved). Live and ended promotions are not edited: end one and
 * create another, so what terminals applied stays what was approved. Moving it to another node
 * needs promotion.write at both.
 */
export async function updatePromotion(sql: Sql, actor: PromotionActor, id: string, input: unknown): Promise<PromotionRecord> {
  return sql.begin(async (tx) => {
    const before = await lockPromotion(tx, id);
    const body = (input ?? {}) as Record<string, unknown>;
    if (body.id !== undefined && body.id !== id) throw new DomainError('VALIDATION_FAILED', `promotion: id: ${String(body.id)} ≠ ${id}; the id cannot change`);
    if (before.promotion.status !== 'draft' && before.promotion.status !== 'pending_approval') {
      throw new DomainError('CONFLICT', `promotion ${id} is ${before.promotion.status}; only drafts change — end it and create a new one`);
    }
    const promotion = validatePromotion({ ...body, id, status: 'draft' });
    await nodeExists(tx, promotion.orgNodeId);
    const grants = await require(tx, actor, 'promotion.write', before.promotion.orgNodeId);
    if (promotion.orgNodeId !== before.promotion.orgNodeId) await require(tx, actor, 'promotion.write', promotion.orgNodeId);
    const [r] = await tx`
      update promotions set org_node_id = ${promotion.orgNodeId}, status = 'draft', definition = ${JSON.stringify(promotion)}::text::jsonb,
        updated_by = ${actor.id}, submitted_by = null, version = version + 1, updated_at = now()
      where id = ${id} returning *`;
    const after = toRecord(r!);
    await audit(tx, await actorFor(tx, actor, grants, promotion.orgNodeId), { action: 'promotion.updated', entityKind: 'promotion', entityId: id, before: before.promotion, after: after.promotion });
    return after;
  });
}

/** draft → pending_approval. */
export async function submitPromotion(sql: Sql, actor: PromotionActor, id: string): Promise<PromotionRecord> {
  return sql.begin(async (tx) => {
    const before = await lockPromotion(tx, id);
    const grants = await require(tx, actor, 'promotion.write', before.promotion.orgNodeId);
    if (before.promotion.status !== 'draft') throw new DomainError('CONFLICT', `promotion ${id} is ${before.promotion.status}; only a draft is submitted for approval`);
    const after = await writeStatus(tx, id, 'pending_approval', { submitted_by: actor.id, updated_by: actor.id });
    await audit(tx, await actorFor(tx, actor, grants, before.promotion.orgNodeId), { action: 'promotion.submitted', entityKind: 'promotion', entityId: id, before: { status: before.promotion.status }, after: { status: after.promotion.status } });
    return after;
  });
}

/** pending_approval → draft, with the reason; needs promotion.approve. */
export async function rejectPromotion(sql: Sql, actor: PromotionActor, id: string, reason: string): Promise<PromotionRecord> {
  return sql.begin(async (tx) => {
    const before = await lockPromotion(tx, id);
    const grants = await require(tx, actor, 'promotion.approve', before.promotion.orgNodeId);
    if (before.promotion.status !== 'pending_approval') throw new DomainError('CONFLICT', `promotion ${id} is ${before.promotion.status}; only one waiting for approval is rejected`);
    const after = await writeStatus(tx, id, 'draft', { submitted_by: null, updated_by: actor.id });
    await audit(tx, await actorFor(tx, actor, grants, before.promotion.orgNodeId), { action: 'promotion.rejected', entityKind: 'promotion', entityId: id, before: { status: before.promotion.status }, after: { status: 'draft' }, details: { reason } });
    return after;
  });
}

/** The node's local date now (its time zone). */
async function localDateAt(db: Db, nodeId: string, now: number): Promise<string> {
  const [n] = await db`select time_zone from org_nodes where id = ${nodeId}`;
  return localTime(now, (n?.time_zone as string | undefined) ?? 'UTC').date;
}

/** Where a live promotion stands at a local date: before its window, in it, or past it. */
export function liveStatusOn(p: Pick<Promotion, 'validFrom' | 'validTo'>, localDate: string): 'scheduled' | 'active' | 'ended' {
  if (p.validTo !== null && localDate > p.validTo) return 'ended';
  if (p.validFrom !== null && localDate < p.validFrom) return 'scheduled';
  return 'active';
}

/**
 * pending_approval → scheduled (or active when its window has begun in the node's time zone);
 * needs promotion.approve at the node and another operator than the author and the submitter.
 * It reaches the feed: terminals under the node pull it at the nudge.
 */
export async function approvePromotion(sql: Sql, actor: PromotionActor, id: string, clock: Clock): Promise<PromotionRecord> {
  return sql.begin(async (tx) => {
    const before = await lockPromotion(tx, id);
    const grants = await require(tx, actor, 'promotion.approve', before.promotion.orgNodeId);
    if (before.promotion.status !== 'pending_approval') throw new DomainError('CONFLICT', `promotion ${id} is ${before.promotion.status}; only one waiting for approval is approved`);
    if (actor.id === before.createdBy || actor.id === before.updatedBy || actor.id === before.submittedBy) {
      throw new DomainError('FORBIDDEN', `promotion ${id} was written or submitted by you; another operator with promotion.approve must approve it`);
    }
    const today = await localDateAt(tx, before.promotion.orgNodeId, clock.now());
    const status = liveStatusOn(before.promotion, today);
    if (status === 'ended') throw new DomainError('CONFLICT', `promotion ${id} ended on ${before.promotion.validTo}; change its dates before approving it`);
    const after = await writeStatus(tx, id, status, { approved_by: actor.id, approved_at: new Date(clock.now()) });
    await audit(tx, await actorFor(tx, actor, grants, before.promotion.orgNodeId), { action: 'promotion.approved', entityKind: 'promotion', entityId: id, before: { status: before.promotion.status }, after: { status } });
    await recordChanges(tx, [{ kind: 'promotion', key: id }]);
    return after;
  });
}

/** Ends a promotion by hand (any status but ended); needs promotion.write or promotion.approve at its node. */
export async function endPromotion(sql: Sql, actor: PromotionActor, id: string, clock: Clock, reason: string | null = null): Promise<PromotionRecord> {
  return sql.begin(async (tx) => {
    const before = await lockPromotion(tx, id);
    const grants = await grantsFor(tx, actor);
    const node = before.promotion.orgNodeId;
    if (!(await allowedAt(tx, { grants }, 'promotion.write', node)) && !(await allowedAt(tx, { grants }, 'promotion.approve', node))) {
      throw new DomainError('FORBIDDEN', `you may not end promotions at ${node}: it is outside your part of the chain or your roles do not allow it`);
    }
    if (before.promotion.status === 'ended') return before;
    const after = await writeStatus(tx, id, 'ended', { ended_by: actor.id, ended_at: new Date(clock.now()), updated_by: actor.id });
    await audit(tx, await actorFor(tx, actor, grants, node), { action: 'promotion.ended', entityKind: 'promotion', entityId: id, before: { status: before.promotion.status }, after: { status: 'ended' }, details: reason ? { reason } : {} });
    // A draft never reached a terminal; anything approved did, and must stop there.
    if (before.approvedBy !== null) await recordChanges(tx, [{ kind: 'promotion', key: id }]);
    return after;
  });
}

export async function getPromotion(db: Db, id: string): Promise<PromotionRecord | null> {
  const [r] = await db`select * from promotions where id = ${id}`;
  return r ? toRecord(r) : null;
}

/**
 * The org nodes whose promotions `actor` may read: the subtrees where they may write, approve
 * or read reports, and the nodes above those (promotions from HQ or the region apply there too).
 */
export async function readableNodes(db: Db, actor: PromotionActor): Promise<string[]> {
  const grants = await grantsFor(db, actor);
  const below = new Set<string>();
  for (const p of ['promotion.write', 'promotion.approve', 'report.read'] as const) for (const n of await scopeOf(db, { grants }, p)) below.add(n);
  const roots = [...new Set(grants.filter((g) => g.permissions.some((p) => p === 'promotion.write' || p === 'promotion.approve' || p === 'report.read')).map((g) => g.nodeId))];
  for (const r of roots) for (const a of await ancestorsOf(db, r)) below.add(a);
  return [...below];
}

/** Promotions at `nodeIds`, newest first. */
export async function listPromotions(db: Db, nodeIds: readonly string[], filter: { status?: PromotionStatus; nodeId?: string; limit: number }): Promise<PromotionRecord[]> {
  const rows = await db`
    select * from promotions
    where org_node_id = any(${[...nodeIds]}::text[])
      and (${filter.status ?? null}::text is null or status = ${filter.status ?? null})
      and (${filter.nodeId ?? null}::text is null or org_node_id = ${filter.nodeId ?? null})
    order by created_at desc, id limit ${filter.limit}`;
  return rows.map(toRecord);
}

/**
 * Moves approved promotions along by the calendar of their node: scheduled → active on
 * validFrom, scheduled/active → ended after validTo. Idempotent (a job on every HQ instance);
 * each move is audited (no operator) and goes to the feed. Returns the moves made.
 */
export async function advancePromotions(sql: Sql, now: number): Promise<Array<{ id: string; from: PromotionStatus; to: PromotionStatus }>> {
  const live = await sql`
    select p.id, p.status, p.definition->>'validFrom' as valid_from, p.definition->>'validTo' as valid_to, p.org_node_id, n.time_zone
    from promotions p join org_nodes n on n.id = p.org_node_id where p.status in ('scheduled', 'active')`;
  const moves: Array<{ id: string; from: PromotionStatus; to: PromotionStatus }> = [];
  for (const r of live) {
    const to = liveStatusOn({ validFrom: r.valid_from ?? null, validTo: r.valid_to ?? null }, localTime(now, r.time_zone as string).date);
    if (to === r.status) continue;
    const moved = await sql.begin(async (tx) => {
      const current = await lockPromotion(tx, r.id as string);
      if (current.promotion.status !== r.status) return false;
      await writeStatus(tx, r.id as string, to, to === 'ended' ? { ended_at: new Date(now) } : {});
      await audit(tx, { operatorId: null, nodeId: r.org_node_id as string }, { action: `promotion.${to === 'ended' ? 'ended' : 'started'}`, entityKind: 'promotion', entityId: r.id as string, before: { status: r.status }, after: { status: to }, details: { by: 'calendar' } });
      await recordChanges(tx, [{ kind: 'promotion', key: r.id as string }]);
      return true;
    });
    if (moved) moves.push({ id: r.id as string, from: r.status as PromotionStatus, to });
  }
  return moves;
}
