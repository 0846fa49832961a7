import { DomainError } from '../core/errors';
import type { TopUpDocument, TopUpRefundDocument } from '../core/top-up';
import type { TopUpLookup } from '../protocols/sync/v1/codec';
import type { Db } from './database';
import { jsonOf } from './push-events';

/**
 * Top-ups as HQ holds them, for giving one back at any terminal or store (GetTopUp,
 * ListMemberTopUps): the document exactly as its terminal pushed it, the store's name, and the
 * refund of it HQ applied — the same facts push-events checks the refund against. A top-up
 * still in its till's outbox is not here yet; a quarantined refund was not applied, so not listed.
 */

/** Most top-ups ListMemberTopUps answers; its default when the terminal asks for 0. */
export const MEMBER_TOP_UPS_MAX = 50;
export const MEMBER_TOP_UPS_DEFAULT = 20;

type Row = { id: string; terminal_id: string; body: unknown; store_name: string | null; refund: unknown };

const lookupOf = (r: Row): TopUpLookup => ({
  topUp: jsonOf(r.body) as TopUpDocument,
  terminalId: r.terminal_id,
  storeName: r.store_name ?? '',
  refund: r.refund == null ? null : { ...(jsonOf(r.refund) as TopUpRefundDocument), principalHoldId: null, bonusHoldId: null },
});

/** A top-up with its refund if any; NOT_FOUND when HQ has no such top-up (yet). */
export async function getTopUp(db: Db, topUpId: string): Promise<TopUpLookup> {
  const [row] = await db<Row[]>`select t.id, t.terminal_id, t.body, n.name as store_name, r.body as refund
    from top_ups t left join org_nodes n on n.id = t.store_id left join top_up_refunds r on r.top_up_id = t.id
    where t.id = ${topUpId}`;
  if (!row) throw new DomainError('NOT_FOUND', `HQ has no top-up ${topUpId}: wait until the till that made it has synced`, { topUpId });
  return lookupOf(row);
}

/** A member's top-ups anywhere in the chain, newest first, each with its refund if any. */
export async function listMemberTopUps(db: Db, memberId: string, limit: number): Promise<TopUpLookup[]> {
  const n = limit <= 0 ? MEMBER_TOP_UPS_DEFAULT : Math.min(limit, MEMBER_TOP_UPS_MAX);
  const rows = await db<Row[]>`select t.id, t.terminal_id, t.body, n.name as store_name, r.body as refund
    from top_ups t left join org_nodes n on n.id = t.store_id left join top_up_refunds r on r.top_up_id = t.id
    where t.member_id = ${memberId} order by t.completed_at desc, t.received_at desc, t.id desc limit ${n}`;
  return rows.map(lookupOf);
}
