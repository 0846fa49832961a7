import { randomBytes } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import { DomainError } from '../core/errors';
import { grantsOf, type Grant } from './access';
import { audit } from './audit';
import { recordChanges } from './change-log';
import type { Db, Sql } from './database';
import { BUILT_IN_ROLES } from './roles';
import { hashSecret, sha256 } from './seed';

/** Built-in role → permissions (hq-server/roles.ts holds the list, custom roles live in `roles`). */
export const ROLE_PERMISSIONS: Record<string, readonly string[]> = Object.fromEntries(Object.entries(BUILT_IN_ROLES).map(([code, r]) => [code, r.permissions]));

export type { Permission } from './roles';

export interface Operator {
  id: string;
  name: string;
  login: string;
  /** The operator's home node (where they belong; their grants may be elsewhere). */
  nodeId: string;
  /** Every role they hold at some node. */
  roles: string[];
  /** Roles held AT nodes: each reaches its node's subtree. */
  grants: Grant[];
}

/** Every permission the operator holds at some node (where it applies is `scopeOf`). */
export function permissionsOf(op: Operator): Set<string> {
  return new Set(op.grants.flatMap((g) => g.permissions));
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Consecutive wrong passwords that lock an account until an operator with operator.manage unlocks it. */
export const MAX_FAILED_SIGN_INS = 20;

let dummyHash: Promise<string> | null = null;

async function loadOperator(db: Db, row: { id: string; name: string; login: string; node_id: string }): Promise<Operator> {
  const grants = await grantsOf(db, row.id);
  return { id: row.id, name: row.name, login: row.login, nodeId: row.node_id, roles: [...new Set(grants.map((g) => g.role))].sort(), grants };
}

export class AccountLocked extends DomainError {
  constructor(login: string) {
    super('ACCOUNT_LOCKED', `account ${login} is locked after ${MAX_FAILED_SIGN_INS} wrong passwords; ask an administrator to unlock it`);
  }
}

/**
 * Checks a login and password; a new session token when they match (only its hash is kept).
 * The 20th wrong password in a row locks the account (audited) until an administrator unlocks
 * it; a locked account is refused even with the right password.
 */
export async function signIn(db: Sql, login: string, password: string): Promise<{ token: string; operator: Operator; expiresAt: Date } | null> {
  const [row] = await db`select id, name, login, node_id, password_hash, locked_at from operators where login = ${login} and disabled_at is null`;
  if (!row) {
    // Spend the same effort on an unknown login, so timing does not tell which logins exist.
    await argon2Verify(await (dummyHash ??= hashSecret(randomBytes(16).toString('hex'))), password).catch(() => false);
    return null;
  }
  const ok = await argon2Verify(row.password_hash, password).catch(() => false);
  if (row.locked_at) throw new AccountLocked(login);
  if (!ok) {
    const [after] = await db`
      update operators set failed_sign_ins = failed_sign_ins + 1,
        locked_at = case when failed_sign_ins + 1 >= ${MAX_FAILED_SIGN_INS} then now() else locked_at end
      where id = ${row.id} and locked_at is null returning failed_sign_ins, locked_at`;
    await audit(db, { operatorId: row.id, nodeId: row.node_id }, { action: 'operator.sign_in_failed', entityKind: 'operator', entityId: row.id, details: { failedSignIns: after?.failed_sign_ins ?? null } });
    if (after?.locked_at) {
      await db.begin(async (tx) => {
        await audit(tx, { operatorId: row.id, nodeId: row.node_id }, { action: 'operator.locked', entityKind: 'operator', entityId: row.id, before: { locked: false }, after: { locked: true }, details: { reason: `${MAX_FAILED_SIGN_INS} wrong passwords in a row` } });
        await recordChanges(tx, [{ kind: 'operator', key: row.id }]);
      });
      throw new AccountLocked(login);
    }
    return null;
  }
  await db`update operators set failed_sign_ins = 0 where id = ${row.id} and failed_sign_ins <> 0`;
  const token = randomBytes(32).toString('base64url');
  const [session] = await db`
    insert into sessions (token_hash, operator_id, expires_at)
    values (${sha256(token)}, ${row.id}, now() + make_interval(secs => ${SESSION_TTL_MS / 1000}))
    returning expires_at`;
  await db`insert into audit_log (operator_id, node_id, action) values (${row.id}, ${row.node_id}, 'operator.signed_in')`;
  return { token, operator: await loadOperator(db, row as never), expiresAt: session!.expires_at };
}

/** The operator a live session token belongs to, or null. */
export async function operatorOfSession(db: Db, token: string): Promise<Operator | null> {
  const [row] = await db`
    select o.id, o.name, o.login, o.node_id from sessions s join operators o on o.id = s.operator_id
    where s.token_hash = ${sha256(token)} and s.expires_at > now() and o.disabled_at is null and o.locked_at is null`;
  return row ? loadOperator(db, row as never) : null;
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
