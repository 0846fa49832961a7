import { refundLine, type PricedLine } from '../core/pricing';
import type { RefundDocument } from '../core/refund';
import type { SaleDocument } from '../core/sale';
import type { Db } from './database';

/**
 * Promotion reports (issue 5 item 6): per promotion, per store, per business day (the store's
 * local date of the sale), read from the sale documents HQ received — what each sale's engine
 * drew and gave (`promotionUses`) and its total — never from counters that could drift.
 *
 * - uses: sales that used the promotion; units: budget units (or uses) they drew;
 * - discountMinor: what it took off those sales (its adjustments; gifts and points multipliers give 0);
 * - salesWith / salesWithMinor: those sales and their totals;
 * - salesWithout / salesWithoutMinor: the store's other sales that day;
 * - members: distinct members among the sales with it; newMembers: those for whom such a sale
 *   was their first sale at the chain (the members the promotion may have brought in).
 * - refundedDiscountMinor: the discount reversed by refunds of those sales (each returned
 *   line gives back its share, as core/pricing `refundLine` works it out), counted on the day of
 *   the sale, not of the refund, so a day's row shows what its offers finally cost.
 */

export interface PromotionReportRow {
  promotionId: string;
  promotionName: string;
  storeId: string;
  day: string;
  uses: number;
  units: number;
  discountMinor: number;
  refundedDiscountMinor: number;
  salesWith: number;
  salesWithMinor: number;
  salesWithout: number;
  salesWithoutMinor: number;
  members: number;
  newMembers: number;
}

export interface PromotionReportFilter {
  /** Store-local dates, inclusive. */
  from: string;
  to: string;
  promotionId?: string;
  storeId?: string;
}

/** Rows for the stores in `storeIds` (the reader's scope), by promotion, store, day. */
export async function promotionReport(db: Db, storeIds: readonly string[], f: PromotionReportFilter): Promise<PromotionReportRow[]> {
  const rows = await db`
    with s as (
      select s.id, s.store_id, s.member_id, s.total_minor, s.completed_at,
        (case when jsonb_typeof(s.body) = 'string' then (s.body #>> '{}')::jsonb else s.body end) -> 'promotionUses' as uses,
        (to_timestamp(s.completed_at / 1000) at time zone n.time_zone)::date as day
      from sales s join org_nodes n on n.id = s.store_id
      where s.store_id = any(${[...storeIds]}::text[])
        and (${f.storeId ?? null}::text is null or s.store_id = ${f.storeId ?? null})
        -- a day either side in UTC, then the exact local dates below
        and s.completed_at >= (extract(epoch from ${f.from}::date - 1) * 1000)::bigint
        and s.completed_at < (extract(epoch from ${f.to}::date + 2) * 1000)::bigint
    ), d as (
      select * from s where day between ${f.from}::date and ${f.to}::date
    ), day_totals as (
      select store_id, day, count(*)::bigint as sales, sum(total_minor)::bigint as amount from d group by store_id, day
    ), u as (
      select d.*, e->>'promotionId' as promotion_id, coalesce((e->>'discountMinor')::bigint, 0) as discount, coalesce((e->>'budgetDrawn')::bigint, 0) as drawn
      from d cross join lateral jsonb_array_elements(case when jsonb_typeof(d.uses) = 'array' then d.uses else '[]'::jsonb end) e
      where ${f.promotionId ?? null}::text is null or e->>'promotionId' = ${f.promotionId ?? null}
    ), firsts as (
      select distinct on (member_id) member_id, id as first_sale_id from sales
      where member_id in (select member_id from u where member_id is not null)
      order by member_id, completed_at, id
    )
    select u.promotion_id, coalesce(p.definition->>'name', u.promotion_id) as promotion_name, u.store_id, u.day::text as day,
      count(distinct u.id)::bigint as uses, sum(u.drawn)::bigint as units, sum(u.discount)::bigint as discount,
      sum(u.total_minor)::bigint as sales_with_minor,
      t.sales - count(distinct u.id) as sales_without, t.amount - sum(u.total_minor) as sales_without_minor,
      count(distinct u.member_id)::bigint as members,
      count(distinct u.member_id) filter (where f.first_sale_id = u.id)::bigint as new_members
    from u join day_totals t on t.store_id = u.store_id and t.day = u.day
      left join promotions p on p.id = u.promotion_id
      left join firsts f on f.member_id = u.member_id
    group by u.promotion_id, p.definition->>'name', u.store_id, u.day, t.sales, t.amount
    order by u.promotion_id, u.store_id, u.day`;
  const out = rows.map((r): PromotionReportRow => ({
    promotionId: r.promotion_id,
    promotionName: r.promotion_name,
    storeId: r.store_id,
    day: r.day,
    uses: Number(r.uses),
    units: Number(r.units),
    discountMinor: Number(r.discount),
    refundedDiscountMinor: 0,
    salesWith: Number(r.uses),
    salesWithMinor: Number(r.sales_with_minor),
    salesWithout: Number(r.sales_without),
    salesWithoutMinor: Number(r.sales_without_minor),
    members: Number(r.members),
    newMembers: Number(r.new_members),
  }));
  await addRefundedDiscounts(db, storeIds, f, out);
  return out;
}

const docOf = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

/** Adds to each row what refunds of its sales gave back of its promotion's discount. */
async function addRefundedDiscounts(db: Db, storeIds: readonly string[], f: PromotionReportFilter, rows: PromotionReportRow[]): Promise<void> {
  if (rows.length === 0) return;
  const byKey = new Map(rows.map((r) => [`${r.promotionId}\u0000${r.storeId}\u0000${r.day}`, r]));
  const refunds = await db`
    select r.sale_id, r.body as refund, s.body as sale, s.store_id, (to_timestamp(s.completed_at / 1000) at time zone n.time_zone)::date::text as day
    from refunds r join sales s on s.id = r.sale_id join org_nodes n on n.id = s.store_id
    where s.store_id = any(${[...storeIds]}::text[])
      and (${f.storeId ?? null}::text is null or s.store_id = ${f.storeId ?? null})
      and s.completed_at >= (extract(epoch from ${f.from}::date - 1) * 1000)::bigint
      and s.completed_at < (extract(epoch from ${f.to}::date + 2) * 1000)::bigint
    order by r.sale_id, r.completed_at, r.id`;
  const returned = new Map<string, number>(); // sale id + line → units returned before
  for (const r of refunds) {
    const sale = docOf(r.sale) as SaleDocument;
    const refund = docOf(r.refund) as RefundDocument;
    for (const rl of refund.lines) {
      const line = sale.lines.find((l) => l.lineNo === rl.lineNo);
      const lineKey = `${sale.id}\u0000${rl.lineNo}`;
      const before = returned.get(lineKey) ?? 0;
      returned.set(lineKey, before + rl.quantity);
      if (!line?.promotions?.length) continue;
      const discount = line.promotions.reduce((s, p) => s + p.discountMinor, 0);
      const priced: PricedLine = {
        lineNo: line.lineNo, sku: line.sku, quantity: line.quantity, unitPriceMinor: line.unitPriceMinor,
        grossMinor: line.quantity * line.unitPriceMinor, discountMinor: discount, amountMinor: line.amountMinor,
        adjustments: line.promotions.map((p) => ({ promotionId: p.promotionId, amountMinor: p.discountMinor })),
      };
      if (before + rl.quantity > line.quantity) continue; // HQ refused such a refund; never count it
      for (const back of refundLine(priced, rl.quantity, before).adjustments) {
        const row = byKey.get(`${back.promotionId}\u0000${r.store_id}\u0000${r.day}`);
        if (row) row.refundedDiscountMinor += back.amountMinor;
      }
    }
  }
}

const CSV_COLUMNS: Array<[keyof PromotionReportRow, string]> = [
  ['promotionId', 'promotion_id'],
  ['promotionName', 'promotion_name'],
  ['storeId', 'store_id'],
  ['day', 'day'],
  ['uses', 'uses'],
  ['units', 'units'],
  ['discountMinor', 'discount_minor'],
  ['refundedDiscountMinor', 'refunded_discount_minor'],
  ['salesWith', 'sales_with'],
  ['salesWithMinor', 'sales_with_minor'],
  ['salesWithout', 'sales_without'],
  ['salesWithoutMinor', 'sales_without_minor'],
  ['members', 'members'],
  ['newMembers', 'new_members'],
];

function csvField(v: string | number): string {
  const text = String(v);
  // Quote what needs it; a leading = + - @ is defused so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof v === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The report as CSV (RFC 4180, CRLF line ends, amounts in minor units). */
export function promotionReportCsv(rows: readonly PromotionReportRow[]): string {
  const lines = [CSV_COLUMNS.map(([, h]) => h).join(',')];
  for (const r of rows) lines.push(CSV_COLUMNS.map(([k]) => csvField(r[k])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
