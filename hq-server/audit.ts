import type { Db } from './database';

/**
 * The audit log: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE; no API edits it).
 * One row per change at HQ: who (operator and the roles they acted under), where (node,
 * terminal), when, what (action, entity, before/after JSON).
 */

export interface AuditActor {
  operatorId: string | null;
  /** The node the change concerns (scope for reading it back); null for chain-wide jobs. */
  nodeId: string | null;
  /** The role(s) the operator acted under, comma-separated. */
  role?: string | null;
  terminalId?: string | null;
}

export interface AuditEntry {
  action: string;
  entityKind?: string | null;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
}

const jsonOrNull = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

/** Appends one entry; call it inside the transaction that makes the change. */
export async function audit(db: Db, who: AuditActor, entry: AuditEntry): Promise<void> {
  await db`insert into audit_log (operator_id, role, node_id, terminal_id, action, entity_kind, entity_id, before, after, details)
    values (${who.operatorId}, ${who.role ?? null}, ${who.nodeId}, ${who.terminalId ?? null}, ${entry.action},
      ${entry.entityKind ?? null}, ${entry.entityId ?? null}, ${jsonOrNull(entry.before)}::text::jsonb, ${jsonOrNull(entry.after)}::text::jsonb,
      ${JSON.stringify(entry.details ?? {})}::text::jsonb)`;
}

export interface AuditRow {
  id: number;
  at: string;
  operatorId: string | null;
  role: string | null;
  nodeId: string | null;
  terminalId: string | null;
  action: string;
  entityKind: string | null;
  entityId: string | null;
  before: unknown;
  after: unknown;
  details: unknown;
}

export interface AuditFilter {
  operatorId?: string;
  nodeId?: string;
  action?: string;
  entityKind?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  /** Entries with an id below this (paging backwards). */
  beforeId?: number;
  limit: number;
}

/**
 * Entries newest first, limited to `scopeNodes` (entries of nodes in the reader's subtree).
 * Entries with no node (chain-wide jobs) are shown only when `chainWide` (a grant at the root).
 */
export async function searchAudit(db: Db, scopeNodes: readonly string[], chainWide: boolean, f: AuditFilter): Promise<AuditRow[]> {
  const rows = await db`
    select * from audit_log
    where (node_id = any(${[...scopeNodes]}::text[]) or (${chainWide} and node_id is null))
      and (${f.operatorId ?? null}::text is null or operator_id = ${f.operatorId ?? null})
      and (${f.nodeId ?? null}::text is null or node_id = ${f.nodeId ?? null})
      and (${f.action ?? null}::text is null or action = ${f.action ?? null} or action like ${`${f.action ?? ''}.%`})
      and (${f.entityKind ?? null}::text is null or entity_kind = ${f.entityKind ?? null})
      and (${f.entityId ?? null}::text is null or entity_id = ${f.entityId ?? null})
      and (${f.from ?? null}::timestamptz is null or at >= ${f.from ?? null})
      and (${f.to ?? null}::timestamptz is null or at < ${f.to ?? null})
      and (${f.beforeId ?? null}::bigint is null or id < ${f.beforeId ?? null})
    order by id desc limit ${f.limit}`;
  return rows.map((r) => ({
    id: r.id,
    at: (r.at as Date).toISOString(),
    operatorId: r.operator_id,
    role: r.role,
    nodeId: r.node_id,
    terminalId: r.terminal_id,
    action: r.action,
    entityKind: r.entity_kind,
    entityId: r.entity_id,
    before: r.before,
    after: r.after,
    details: r.details,
  }));
}
