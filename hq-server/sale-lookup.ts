import { DomainError } from '../core/errors';
import type { RefundDocument } from '../core/refund';
import type { SaleDocument } from '../core/sale';
import type { SaleLookup } from '../protocols/sync/v1/codec';
import type { Db } from './database';
import { jsonOf } from './push-events';

/**
 * Sales as HQ holds them, for a refund at another terminal or store (GetSale, ListMemberSales):
 * the sale document exactly as its terminal pushed it and the refunds of it HQ has applied, in
 * the order HQ applied them — the same inputs push-events gives core's planRefund when it checks
 * the refund the asking terminal will push. Quarantined refunds are not applied, so not listed.
 */

/** Most sales ListMemberSales answers; its default when the terminal asks for 0. */
export const MEMBER_SALES_MAX = 50;
export const MEMBER_SALES_DEFAULT = 20;

async function refundsOf(db: Db, saleIds: readonly string[]): Promise<Map<string, RefundDocument[]>> {
  const out = new Map<string, RefundDocument[]>();
  if (saleIds.length === 0) return out;
  for (const r of await db`select sale_id, body from refunds where sale_id = any(${[...saleIds]}::text[]) order by received_at, terminal_id, event_seq`) {
    out.set(r.sale_id as string, [...(out.get(r.sale_id as string) ?? []), jsonOf(r.body) as RefundDocument]);
  }
  return out;
}

/** A sale with its applied refunds; NOT_FOUND when HQ has no such sale (yet). */
export async function getSale(db: Db, saleId: string): Promise<SaleLookup> {
  const [row] = await db`select s.id, s.terminal_id, s.body, n.name as store_name from sales s left join org_nodes n on n.id = s.store_id where s.id = ${saleId}`;
  if (!row) {
    throw new DomainError('NOT_FOUND', `HQ has no sale ${saleId}: check the receipt, or wait until the till that made it has synced`, { saleId });
  }
  const refunds = await refundsOf(db, [saleId]);
  return { sale: jsonOf(row.body) as SaleDocument, terminalId: row.terminal_id as string, refunds: refunds.get(saleId) ?? [], storeName: (row.store_name as string | null) ?? '' };
}

/** A member's sales anywhere in the chain, newest first, each with its applied refunds. */
export async function listMemberSales(db: Db, memberId: string, limit: number): Promise<SaleLookup[]> {
  const n = limit <= 0 ? MEMBER_SALES_DEFAULT : Math.min(limit, MEMBER_SALES_MAX);
  const rows = await db`select s.id, s.terminal_id, s.body, n.name as store_name from sales s left join org_nodes n on n.id = s.store_id
    where s.member_id = ${memberId} order by s.completed_at desc, s.received_at desc, s.id desc limit ${n}`;
  const refunds = await refundsOf(db, rows.map((r) => r.id as string));
  return rows.map((r) => ({ sale: jsonOf(r.body) as SaleDocument, terminalId: r.terminal_id as string, refunds: refunds.get(r.id as string) ?? [], storeName: (r.store_name as string | null) ?? '' }));
}
