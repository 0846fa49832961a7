import type { TerminalOperator } from '../protocols/sync/v1/codec';
import { ancestorsOf } from './access';
import type { Db } from './database';
import { rolePermissions } from './roles';

/**
 * Operators as one terminal's store sees them (pull feed, kind `operator`): those with a grant at
 * the store or any node above it, with the permissions those grants give there, the argon2id PIN
 * hash, the operator card number and the locked flag. Anyone else (no grant reaching the store,
 * disabled) is sent as deleted, so the terminal forgets them.
 */
export async function operatorsForStore(db: Db, storeId: string, operatorIds: readonly string[]): Promise<Map<string, TerminalOperator>> {
  const out = new Map<string, TerminalOperator>();
  if (operatorIds.length === 0) return out;
  const above = await ancestorsOf(db, storeId);
  const rows = await db`
    select o.id, o.name, o.login, o.pin_hash, o.card_no, o.locked_at, o.unlocked_at, array_agg(distinct g.role_code) as roles
    from operators o join operator_grants g on g.operator_id = o.id
    where o.id = any(${[...operatorIds]}::text[]) and o.disabled_at is null and g.node_id = any(${above}::text[])
    group by o.id`;
  if (rows.length === 0) return out;
  const roles = await rolePermissions(db);
  for (const r of rows) {
    const permissions = [...new Set((r.roles as string[]).flatMap((code) => [...(roles.get(code) ?? [])]))].sort();
    out.set(r.id, { id: r.id, name: r.name, login: r.login, pinHash: r.pin_hash || null, cardNo: r.card_no ?? null, permissions, locked: r.locked_at !== null, ...(r.unlocked_at ? { unlockedAt: new Date(r.unlocked_at as string | Date).getTime() } : {}) });
  }
  return out;
}

/** The tombstone for an operator a terminal should forget. */
export const forgottenOperator = (id: string): TerminalOperator => ({ id, name: '', login: id, pinHash: null, cardNo: null, permissions: [], locked: true });
