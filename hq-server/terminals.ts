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
  /** IANA zone of the terminal's store. */
  timeZone: string;
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
    const [store] = await tx`select name, currency, time_zone from org_nodes where id = ${t!.store_id}`;
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
      timeZone: store?.time_zone ?? 'UTC',
    };
  });
}

/** The terminal a credential belongs to; refuses unknown credentials and revoked terminals. */
export async function authenticateTerminal(db: Db, credential: string | null): Promise<TerminalIdentity> {
  if (!credential) throw new DomainError('UNAUTHENTICATED', 'this call needs the terminal credential ("authorization: Bearer …")');
  // Last contact is written at most every few seconds, so a terminal's calls do not queue
  // behind the row lock its own PushEvents transaction holds.
  const [t] = await db`
    with t as (select id, store_id, revoked_at, last_contact_at from terminals where credential_hash = ${sha256(credential)}),
    touched as (
      update terminals set last_contact_at = now() from t
      where terminals.id = t.id and (t.last_contact_at is null or t.last_contact_at < now() - interval '5 seconds')
    )
    select id, store_id, revoked_at from t`;
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

export interface TerminalSummary {
  id: string;
  storeId: string;
  storeName: string;
  name: string;
  deviceName: string | null;
  enrolled: boolean;
  enrolledAt: string | null;
  revoked: boolean;
  revokedAt: string | null;
  lastContactAt: string | null;
  ackedSeq: number;
  quarantinedEvents: number;
  /** Events the terminal said it had not had acknowledged, when it last called (null: never said). */
  outboxDepth: number | null;
  /** How far the terminal's change-feed cursor is behind the newest change. */
  cursorLag: number | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Terminals of the given org nodes' stores. */
export async function listTerminals(db: Db, nodeIds: readonly string[]): Promise<TerminalSummary[]> {
  const rows = await db`
    select t.*, s.name as store_name,
      (select count(*) from events e where e.terminal_id = t.id and e.status = 'quarantined')::int as quarantined,
      greatest(0, (select coalesce(max(seq), 0) from change_log) - t.pull_cursor) as cursor_lag
    from terminals t join org_nodes s on s.id = t.store_id
    where t.store_id = any(${[...nodeIds]}::text[]) order by t.store_id, t.id`;
  return rows.map((t) => ({
    id: t.id,
    storeId: t.store_id,
    storeName: t.store_name,
    name: t.name,
    deviceName: t.device_name,
    enrolled: t.credential_hash !== null,
    enrolledAt: iso(t.enrolled_at),
    revoked: t.revoked_at !== null,
    revokedAt: iso(t.revoked_at),
    lastContactAt: iso(t.last_contact_at),
    ackedSeq: t.acked_seq,
    quarantinedEvents: t.quarantined,
    outboxDepth: t.outbox_depth ?? null,
    cursorLag: t.cursor_lag ?? null,
  }));
}

export async function terminalStore(db: Db, terminalId: string): Promise<string | null> {
  const [t] = await db`select store_id from terminals where id = ${terminalId}`;
  return t ? (t.store_id as string) : null;
}

export interface StoredEvent {
  terminalId: string;
  seq: number;
  eventId: string;
  kind: string | null;
  status: string;
  reason: string | null;
  receivedAt: string;
  body: unknown;
}

/** Pushed events of the given stores' terminals, newest first. */
export async function listEvents(db: Db, nodeIds: readonly string[], filter: { status?: 'applied' | 'quarantined'; terminalId?: string; limit: number }): Promise<StoredEvent[]> {
  const rows = await db`
    select e.* from events e join terminals t on t.id = e.terminal_id
    where t.store_id = any(${[...nodeIds]}::text[])
      and (${filter.status ?? null}::text is null or e.status = ${filter.status ?? null})
      and (${filter.terminalId ?? null}::text is null or e.terminal_id = ${filter.terminalId ?? null})
    order by e.received_at desc, e.terminal_id, e.seq desc limit ${filter.limit}`;
  return rows.map((e) => ({
    terminalId: e.terminal_id,
    seq: e.seq,
    eventId: e.event_id,
    kind: e.kind,
    status: e.status,
    reason: e.reason,
    receivedAt: (e.received_at as Date).toISOString(),
    body: e.body,
  }));
}

/** Records what a terminal reported of its own sync state with a push or a pull. */
export async function recordTerminalSyncStatus(db: Db, terminalId: string, status: { outboxDepth: number; pullCursor?: number }): Promise<void> {
  await db`update terminals set outbox_depth = ${status.outboxDepth}, sync_status_at = now(),
    pull_cursor = coalesce(${status.pullCursor ?? null}::bigint, pull_cursor) where id = ${terminalId}`;
}
