import { DomainError } from '../core/errors';
import { storeAccounts } from '../core/accounts';
import { recordChanges } from './change-log';
import type { Db, Tx } from './database';
import { createAccounts } from './ledger';
import { storeOfflinePointsExposureAccount } from './offline-exposure';

/**
 * The organisation tree (DESIGN §6): HQ (the one root) → regions → sub-regions (regions under
 * regions, any depth) → stores; terminals hang under stores (table `terminals`).
 *
 * Moving a node changes only its parent. Everything that happened at a store stays keyed by the
 * store's id (sales, refunds, top-ups, events, terminals, audit rows), and scope is always
 * computed from the tree as it is now: after a move, the new region's managers see the store's
 * whole history and the old region's managers see none of it. `org_node_moves` keeps the old place.
 */

export type NodeKind = 'hq' | 'region' | 'store';

export interface OrgNodeRow {
  id: string;
  parentId: string | null;
  kind: NodeKind;
  name: string;
  timeZone: string;
  currency: string;
  franchisee: string | null;
}

const toNode = (r: Record<string, unknown>): OrgNodeRow => ({
  id: r.id as string,
  parentId: (r.parent_id as string | null) ?? null,
  kind: r.kind as NodeKind,
  name: r.name as string,
  timeZone: r.time_zone as string,
  currency: r.currency as string,
  franchisee: (r.franchisee as string | null) ?? null,
});

export async function getNode(db: Db, id: string): Promise<OrgNodeRow | null> {
  const [r] = await db`select * from org_nodes where id = ${id}`;
  return r ? toNode(r) : null;
}

/** The given nodes, parents before children (by depth, then id). */
export async function listNodes(db: Db, ids: readonly string[]): Promise<Array<OrgNodeRow & { depth: number; terminals: Array<{ id: string; name: string }> }>> {
  const rows = await db`
    with recursive d as (select id, 0 as depth from org_nodes where parent_id is null
      union all select n.id, d.depth + 1 from org_nodes n join d on n.parent_id = d.id)
    select o.*, d.depth,
      coalesce((select json_agg(json_build_object('id', t.id, 'name', t.name) order by t.id) from terminals t where t.store_id = o.id), '[]'::json) as terminals
    from org_nodes o join d on d.id = o.id where o.id = any(${[...ids]}::text[]) order by d.depth, o.id`;
  return rows.map((r) => ({ ...toNode(r), depth: r.depth as number, terminals: r.terminals as Array<{ id: string; name: string }> }));
}

export function assertValidTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new DomainError('VALIDATION_FAILED', `timeZone: ${tz} is not an IANA time zone`);
  }
}

/** Which kinds may sit under which. */
function assertPlacement(kind: NodeKind, parent: OrgNodeRow | null): void {
  if (kind === 'hq') throw new DomainError('VALIDATION_FAILED', 'kind: the chain has one HQ, the root; it cannot be created or placed under another node');
  if (!parent) throw new DomainError('VALIDATION_FAILED', 'parentId: a region or store needs a parent');
  if (parent.kind === 'store') throw new DomainError('VALIDATION_FAILED', `parentId: ${parent.id} is a store; nothing but terminals sits under a store`);
}

export interface NewNode {
  id: string;
  parentId: string;
  kind: 'region' | 'store';
  name: string;
  timeZone?: string;
  currency?: string;
  franchisee?: string | null;
}

/** Adds a region or store (a store gets its ledger accounts). Time zone and currency default to the parent's. */
export async function createNode(tx: Tx, input: NewNode): Promise<OrgNodeRow> {
  const parent = await getNode(tx, input.parentId);
  if (!parent) throw new DomainError('NOT_FOUND', `no org node ${input.parentId}`);
  assertPlacement(input.kind, parent);
  if (input.franchisee && input.kind !== 'store') throw new DomainError('VALIDATION_FAILED', 'franchisee: only a store can be a franchise');
  const timeZone = input.timeZone ?? parent.timeZone;
  assertValidTimeZone(timeZone);
  const currency = input.currency ?? parent.currency;
  const made = await tx`insert into org_nodes (id, parent_id, kind, name, time_zone, currency, franchisee)
    values (${input.id}, ${parent.id}, ${input.kind}, ${input.name}, ${timeZone}, ${currency}, ${input.franchisee ?? null})
    on conflict (id) do nothing returning *`;
  if (made.length === 0) throw new DomainError('CONFLICT', `org node ${input.id} exists`);
  if (input.kind === 'store') {
    await createAccounts(tx, [...storeAccounts(input.id, currency), storeOfflinePointsExposureAccount(input.id)].map((a) => ({ ...a, owner: input.id })));
  }
  return toNode(made[0]!);
}

export interface NodeChanges {
  name?: string;
  timeZone?: string;
  currency?: string;
  /** A franchisee name marks a store franchise; null makes it company-owned. */
  franchisee?: string | null;
}

/** Renames a node, sets its zone or currency, marks a store franchise; returns it before and after. */
export async function updateNode(tx: Tx, id: string, changes: NodeChanges): Promise<{ before: OrgNodeRow; after: OrgNodeRow }> {
  const [locked] = await tx`select * from org_nodes where id = ${id} for update`;
  if (!locked) throw new DomainError('NOT_FOUND', `no org node ${id}`);
  const before = toNode(locked);
  if (changes.franchisee !== undefined && changes.franchisee !== null && before.kind !== 'store') throw new DomainError('VALIDATION_FAILED', 'franchisee: only a store can be a franchise');
  if (changes.timeZone !== undefined) assertValidTimeZone(changes.timeZone);
  if (changes.currency !== undefined && changes.currency !== before.currency && before.kind === 'store') {
    // A store's accounts are in its currency: changing it is only safe before it has traded.
    const [traded] = await tx`select exists (select 1 from transfers t join accounts a on a.id in (t.debit_account_id, t.credit_account_id)
      where a.owner = ${id} and a.ledger = ${before.currency}) as yes`;
    if (traded?.yes) throw new DomainError('CONFLICT', `store ${id} has traded in ${before.currency}; its currency cannot change`);
  }
  const after: OrgNodeRow = {
    ...before,
    name: changes.name ?? before.name,
    timeZone: changes.timeZone ?? before.timeZone,
    currency: changes.currency ?? before.currency,
    franchisee: changes.franchisee === undefined ? before.franchisee : changes.franchisee,
  };
  await tx`update org_nodes set name = ${after.name}, time_zone = ${after.timeZone}, currency = ${after.currency}, franchisee = ${after.franchisee} where id = ${id}`;
  if (before.kind === 'store' && after.currency !== before.currency) {
    await tx`update accounts set ledger = ${after.currency} where owner = ${id} and ledger = ${before.currency}`;
  }
  return { before, after };
}

/**
 * Moves a region or store under another parent. Refuses moving HQ, a move under the node itself
 * or its own subtree (a cycle), and a store as a parent. Operators of both the old and the new
 * ancestors go to the feed: who may sign in at the moved stores changes.
 */
export async function moveNode(tx: Tx, id: string, newParentId: string, by: string | null): Promise<{ before: OrgNodeRow; after: OrgNodeRow }> {
  // One move at a time, so two concurrent moves cannot make a cycle between them.
  await tx`select pg_advisory_xact_lock(7262847006)`;
  const node = await getNode(tx, id);
  if (!node) throw new DomainError('NOT_FOUND', `no org node ${id}`);
  if (node.parentId === null) throw new DomainError('VALIDATION_FAILED', 'HQ is the root of the chain and cannot be moved');
  const parent = await getNode(tx, newParentId);
  if (!parent) throw new DomainError('NOT_FOUND', `no org node ${newParentId}`);
  assertPlacement(node.kind, parent);
  const [cycle] = await tx`
    with recursive up as (select id, parent_id from org_nodes where id = ${newParentId}
      union all select n.id, n.parent_id from org_nodes n join up on n.id = up.parent_id)
    select 1 from up where id = ${id}`;
  if (cycle) throw new DomainError('VALIDATION_FAILED', `parentId: ${newParentId} is ${id} or below it; the move would make a cycle`);
  if (node.parentId === newParentId) return { before: node, after: node };
  const oldAncestors = await tx`
    with recursive up as (select id, parent_id from org_nodes where id = ${node.parentId}
      union all select n.id, n.parent_id from org_nodes n join up on n.id = up.parent_id) select id from up`;
  await tx`update org_nodes set parent_id = ${newParentId} where id = ${id}`;
  await tx`insert into org_node_moves (node_id, from_parent_id, to_parent_id, moved_by) values (${id}, ${node.parentId}, ${newParentId}, ${by})`;
  const newAncestors = await tx`
    with recursive up as (select id, parent_id from org_nodes where id = ${newParentId}
      union all select n.id, n.parent_id from org_nodes n join up on n.id = up.parent_id) select id from up`;
  const touched = [...new Set([...oldAncestors, ...newAncestors].map((r) => r.id as string))];
  const operators = await tx`select distinct operator_id from operator_grants where node_id = any(${touched}::text[]) order by operator_id`;
  await recordChanges(tx, operators.map((o) => ({ kind: 'operator' as const, key: o.operator_id as string })));
  // Likewise the approved promotions of both sets of ancestors: the moved stores' terminals drop
  // the old region's and take the new one's (promotion-feed.ts decides per terminal).
  const promotions = await tx`select id from promotions where org_node_id = any(${touched}::text[]) and approved_by is not null and status <> 'ended' order by id`;
  await recordChanges(tx, promotions.map((p) => ({ kind: 'promotion' as const, key: p.id as string })));
  return { before: node, after: { ...node, parentId: newParentId } };
}

/** Where a node used to sit, oldest first. */
export async function movesOf(db: Db, id: string): Promise<Array<{ fromParentId: string; toParentId: string; movedBy: string | null; movedAt: string }>> {
  const rows = await db`select * from org_node_moves where node_id = ${id} order by id`;
  return rows.map((r) => ({ fromParentId: r.from_parent_id, toParentId: r.to_parent_id, movedBy: r.moved_by, movedAt: (r.moved_at as Date).toISOString() }));
}
