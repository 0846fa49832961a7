import { DomainError } from '../core/errors';
import type { Db } from './database';
import { rolePermissions, type Permission } from './roles';

/**
 * Data scope (DESIGN §6): a permission held through a grant at node N reaches N's subtree.
 * Every REST route asks `scopeOf` (or `allowedAt`) for the permission it needs, so scope is
 * enforced by the queries, not by the console.
 */

export interface Grant {
  nodeId: string;
  role: string;
  permissions: Permission[];
}

/** An operator's grants with the permissions each role gives now (custom roles may change). */
export async function grantsOf(db: Db, operatorId: string): Promise<Grant[]> {
  const rows = await db`select node_id, role_code from operator_grants where operator_id = ${operatorId} order by node_id, role_code`;
  if (rows.length === 0) return [];
  const roles = await rolePermissions(db);
  return rows.map((r) => ({ nodeId: r.node_id as string, role: r.role_code as string, permissions: [...(roles.get(r.role_code as string) ?? [])].sort() }));
}

interface HasGrants {
  grants: readonly Grant[];
}

/** Nodes where `permission` is granted directly (their subtrees are the scope). */
export function grantNodes(op: HasGrants, permission: Permission): string[] {
  return [...new Set(op.grants.filter((g) => g.permissions.includes(permission)).map((g) => g.nodeId))];
}

/** Ids of every node in the subtrees of `roots`. */
export async function subtreesOf(db: Db, roots: readonly string[]): Promise<string[]> {
  if (roots.length === 0) return [];
  const rows = await db`
    with recursive t as (select id from org_nodes where id = any(${[...roots]}::text[])
      union select n.id from org_nodes n join t on n.parent_id = t.id)
    select id from t`;
  return rows.map((r) => r.id as string);
}

/** The org nodes where `op` may use `permission`: the union of the subtrees of their grants that hold it. */
export async function scopeOf(db: Db, op: HasGrants, permission: Permission): Promise<string[]> {
  return subtreesOf(db, grantNodes(op, permission));
}

/** `nodeId` and every node above it, nearest first. */
export async function ancestorsOf(db: Db, nodeId: string): Promise<string[]> {
  const rows = await db`
    with recursive t as (select id, parent_id, 0 as depth from org_nodes where id = ${nodeId}
      union all select n.id, n.parent_id, t.depth + 1 from org_nodes n join t on n.id = t.parent_id)
    select id from t order by depth`;
  return rows.map((r) => r.id as string);
}

/** Permissions `op` holds at `nodeId` (through grants at it or above it). */
export async function permissionsAt(db: Db, op: HasGrants, nodeId: string): Promise<Set<Permission>> {
  const above = new Set(await ancestorsOf(db, nodeId));
  return new Set(op.grants.filter((g) => above.has(g.nodeId)).flatMap((g) => g.permissions));
}

/** Whether `op` holds `permission` at `nodeId`. */
export async function allowedAt(db: Db, op: HasGrants, permission: Permission, nodeId: string): Promise<boolean> {
  return (await permissionsAt(db, op, nodeId)).has(permission);
}

/** Throws FORBIDDEN unless `op` holds `permission` at `nodeId`. */
export async function requireAt(db: Db, op: HasGrants, permission: Permission, nodeId: string, what = `node ${nodeId}`): Promise<void> {
  if (!(await allowedAt(db, op, permission, nodeId))) throw new DomainError('FORBIDDEN', `you may not use ${permission} at ${what}: it is outside your part of the chain`);
}

/** The roles `op` holds at `nodeId` (or at any node above it), for the audit log. */
export async function rolesAt(db: Db, op: HasGrants, nodeId: string | null): Promise<string[]> {
  const above = new Set(nodeId ? await ancestorsOf(db, nodeId) : []);
  const roles = op.grants.filter((g) => above.has(g.nodeId)).map((g) => g.role);
  return [...new Set(roles.length > 0 ? roles : op.grants.map((g) => g.role))].sort();
}
