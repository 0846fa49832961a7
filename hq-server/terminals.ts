import { randomBytes } from 'node:crypto';
import { DomainError } from '../core/errors';
import type { Db, Sql } from './database';
import { normalizeEnrollmentCode, sha256 } from './seed';

/** The terminal on the other end of a call, as its credential proves. */
export interface TerminalIdentity {
  terminalId: string;
  storeId: string;
}

export interface Enrollment extends TerminalIdentity {
  credential: string;
  currency: string;
  chainName: string;
  storeName: string;
}

/**
 * Trades a one-time enrollment code for a new credential (32 random bytes; only its hash is
 * kept). Enrolling again replaces the old credential and lifts a revocation: HQ issued the code.
 */
export async function enrollTerminal(sql: Sql, code: string, deviceName: string): Promise<Enrollment> {
  return sql.begin(async (tx) => {
    const [used] = await tx`
      update enrollment_codes set used_at = now()
      where code_hash = ${sha256(normalizeEnrollmentCode(code))} and used_at is null and expires_at > now()
      returning terminal_id`;
    if (!used) throw new DomainError('ENROLLMENT_CODE_INVALID', 'this enrollment code is unknown, already used or expired; ask HQ for a new one');
    const credential = randomBytes(32).toString('base64url');
    const [t] = await tx`
      update terminals set credential_hash = ${sha256(credential)}, enrolled_at = now(), revoked_at = null,
        device_name = ${deviceName || null}, last_contact_at = now()
      where id = ${used.terminal_id} returning id, store_id`;
    const [store] = await tx`select name, currency from org_nodes where id = ${t!.store_id}`;
    const [chain] = await tx`select name, currency from chain`;
    await tx`insert into audit_log (terminal_id, node_id, action, details)
      values (${t!.id}, ${t!.store_id}, 'terminal.enrolled', ${tx.json({ deviceName })})`;
    return {
      terminalId: t!.id,
      storeId: t!.store_id,
      credential,
      currency: store?.currency ?? chain?.currency ?? '',
      chainName: chain?.name ?? '',
      storeName: store?.name ?? '',
    };
  });
}

/** The terminal a credential belongs to; refuses unknown credentials and revoked terminals. */
export async function authenticateTerminal(db: Db, credential: string | null): Promise<TerminalIdentity> {
  if (!credential) throw new DomainError('UNAUTHENTICATED', 'this call needs the terminal credential ("authorization: Bearer …")');
  const [t] = await db`
    update terminals set last_contact_at = now() where credential_hash = ${sha256(credential)}
    returning id, store_id, revoked_at`;
  if (!t) throw new DomainError('UNAUTHENTICATED', 'unknown terminal credential; enroll the terminal again');
  if (t.revoked_at) throw new DomainError('TERMINAL_REVOKED', `terminal ${t.id} has been revoked at HQ`);
  return { terminalId: t.id, storeId: t.store_id };
}

/** Revokes a terminal: its credential is refused from now on. */
export async function revokeTerminal(db: Db, terminalId: string, operatorId: string | null = null): Promise<void> {
  const [t] = await db`update terminals set revoked_at = coalesce(revoked_at, now()) where id = ${terminalId} returning id, store_id`;
  if (!t) throw new DomainError('NOT_FOUND', `no terminal ${terminalId}`);
  await db`insert into audit_log (operator_id, terminal_id, node_id, action) values (${operatorId}, ${terminalId}, ${t.store_id}, 'terminal.revoked')`;
}
