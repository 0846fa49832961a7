import { randomBytes } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import type { Db } from './database';
import { hashSecret, sha256 } from './seed';

/** What a role lets an operator do at HQ (DESIGN §6); scoped further to the subtree of their node. */
export const ROLE_PERMISSIONS: Record<string, readonly string[]> = {
  hq_admin: ['member.read', 'member.write', 'member.adjust', 'terminal.read', 'terminal.enroll', 'terminal.revoke', 'event.read', 'event.retry', 'exposure.read', 'setting.read', 'setting.write'],
  hq_finance: ['member.read', 'member.adjust', 'terminal.read', 'event.read', 'event.retry', 'exposure.read', 'setting.read'],
  regional_manager: ['member.read', 'member.write', 'terminal.read', 'terminal.enroll', 'terminal.revoke', 'event.read', 'exposure.read', 'setting.read'],
  store_manager: ['member.read', 'member.write', 'terminal.read', 'terminal.enroll', 'event.read', 'exposure.read', 'setting.read'],
  cashier: ['member.read'],
};

export type Permission =
  | 'member.read'
  | 'member.write'
  | 'member.adjust'
  | 'terminal.read'
  | 'terminal.enroll'
  | 'terminal.revoke'
  | 'event.read'
  | 'event.retry'
  | 'exposure.read'
  | 'setting.read'
  | 'setting.write';

export interface Operator {
  id: string;
  name: string;
  login: string;
  nodeId: string;
  roles: string[];
}

export function permissionsOf(op: Operator): Set<string> {
  return new Set(op.roles.flatMap((r) => ROLE_PERMISSIONS[r] ?? []));
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

let dummyHash: Promise<string> | null = null;

/** Checks a login and password; a new session token when they match (only its hash is kept). */
export async function signIn(db: Db, login: string, password: string): Promise<{ token: string; operator: Operator; expiresAt: Date } | null> {
  const [row] = await db`select id, name, login, node_id, roles, password_hash from operators where login = ${login} and disabled_at is null`;
  if (!row) {
    // Spend the same effort on an unknown login, so timing does not tell which logins exist.
    await argon2Verify(await (dummyHash ??= hashSecret(randomBytes(16).toString('hex'))), password).catch(() => false);
    return null;
  }
  if (!(await argon2Verify(row.password_hash, password).catch(() => false))) return null;
  const token = randomBytes(32).toString('base64url');
  const [session] = await db`
    insert into sessions (token_hash, operator_id, expires_at)
    values (${sha256(token)}, ${row.id}, now() + make_interval(secs => ${SESSION_TTL_MS / 1000}))
    returning expires_at`;
  await db`insert into audit_log (operator_id, node_id, action) values (${row.id}, ${row.node_id}, 'operator.signed_in')`;
  return { token, operator: { id: row.id, name: row.name, login: row.login, nodeId: row.node_id, roles: row.roles }, expiresAt: session!.expires_at };
}

/** The operator a live session token belongs to, or null. */
export async function operatorOfSession(db: Db, token: string): Promise<Operator | null> {
  const [row] = await db`
    select o.id, o.name, o.login, o.node_id, o.roles from sessions s join operators o on o.id = s.operator_id
    where s.token_hash = ${sha256(token)} and s.expires_at > now() and o.disabled_at is null`;
  return row ? { id: row.id, name: row.name, login: row.login, nodeId: row.node_id, roles: row.roles } : null;
}

export async function signOut(db: Db, token: string): Promise<void> {
  await db`delete from sessions where token_hash = ${sha256(token)}`;
}

/** Ids of `nodeId` and every node below it. */
export async function subtreeOf(db: Db, nodeId: string): Promise<string[]> {
  const rows = await db`
    with recursive t as (select id from org_nodes where id = ${nodeId}
      union all select n.id from org_nodes n join t on n.parent_id = t.id)
    select id from t`;
  return rows.map((r) => r.id as string);
}

/** Forgets sessions and enrollment codes that ended more than a day ago. */
export async function forgetExpiredSecrets(db: Db): Promise<void> {
  await db`delete from sessions where expires_at < now() - interval '1 day'`;
  await db`delete from enrollment_codes where expires_at < now() - interval '1 day'`;
}
