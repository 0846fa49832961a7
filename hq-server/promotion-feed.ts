import type { Promotion } from '../core/pricing';
import type { Db } from './database';

/**
 * Promotions as a terminal pulls them: only those whose org node is its store or above it, and
 * only once approved (scheduled, active; ended ones come as deleted). Anything else named in the
 * feed — another region's promotion, a draft — reaches it as a deletion of a blank stub, so a
 * terminal never learns another region's promotions yet forgets one that no longer concerns it.
 */

export interface FedPromotion {
  promotion: Promotion;
  /** Whether the terminal should drop it (ended). */
  ended: boolean;
  /** The terminal's cumulative allotment of the budget (0 without one). */
  allotment: number;
}

/** The promotions among `keys` that concern `terminal`'s store, with its allotments. */
export async function promotionsForTerminal(tx: Db, terminal: { terminalId: string; storeId: string }, keys: readonly string[]): Promise<Map<string, FedPromotion>> {
  if (keys.length === 0) return new Map();
  const rows = await tx`
    with recursive up as (select id, parent_id from org_nodes where id = ${terminal.storeId}
      union all select n.id, n.parent_id from org_nodes n join up on n.id = up.parent_id)
    select p.id, p.status, p.definition, a.allotted
    from promotions p left join promotion_allotments a on a.promotion_id = p.id and a.terminal_id = ${terminal.terminalId}
    where p.id = any(${[...keys]}::text[]) and p.org_node_id in (select id from up)
      and p.status in ('scheduled', 'active', 'ended') and p.approved_by is not null`;
  return new Map(
    rows.map((r) => {
      const def = (typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition) as Promotion;
      return [r.id as string, { promotion: { ...def, status: r.status }, ended: r.status === 'ended', allotment: r.allotted === null || r.allotted === undefined ? 0 : Number(r.allotted) }];
    }),
  );
}

/** A valid, inert promotion carrying only an id: the body of a deletion. */
export function forgottenPromotion(id: string): Promotion {
  return {
    id,
    name: '-',
    nameZh: '-',
    orgNodeId: '-',
    status: 'ended',
    priority: 0,
    group: 'exclusive',
    validFrom: null,
    validTo: null,
    daysOfWeek: null,
    hours: null,
    perMemberLimit: null,
    budget: null,
    rule: { type: 'specialPrice', items: [{ sku: '-', priceMinor: 0 }] },
  };
}
