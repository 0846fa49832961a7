import Decimal from 'decimal.js';
import type { Db, Sql } from './database';
import type { Column, Row } from './exports';
import { promotionReport } from './promotion-reports';
import { chainTimeZone, dayBounds } from './reconciliation';

/**
 * Reports for HQ and regional managers. Each is a table (columns typed for export: money is integer
 * fen) over a period of business days in the chain's time zone, limited to the stores of the
 * caller's scope. The console draws them as inline SVG charts and exports them (exports.ts).
 *
 * Cashier performance attributes each sale and refund to the cashier it records (the operator
 * signed in when it completed); a document from a terminal that did not record one goes to the
 * cashier whose shift was open on its till then; outside any shift it stays with the till.
 * Promotion performance sums promotion-reports.ts (read from the sales' `promotionUses`) per promotion.
 */

export interface ReportScope {
  storeIds: string[];
  /** The caller's scope is the whole chain: chain-level flows (openings, rebates, adjustments) are included. */
  chainWide: boolean;
}

export interface ReportParams extends ReportScope {
  from: string;
  to: string;
}

export interface ReportDefinition {
  name: string;
  title: string;
  columns: Column[];
  /** How the console charts it: the x column and the series (numeric columns). */
  chart: { kind: 'bar' | 'line'; x: string; series: string[] } | null;
  note?: string;
  rows(db: Sql, p: ReportParams & { from_ms: number; to_ms: number; tz: string }): AsyncIterable<Row>;
  count?(db: Sql, p: ReportParams & { from_ms: number; to_ms: number; tz: string }): Promise<number>;
}

async function* arrayRows(rows: Promise<Row[]>): AsyncIterable<Row> {
  for (const r of await rows) yield r;
}

/** The average of `total` over `n`, rounded half-up to the fen (0 when n is 0). */
const average = (total: number, n: number) => (n === 0 ? 0 : new Decimal(total).div(n).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber());
const share = (part: number, whole: number) => (whole === 0 ? 0 : new Decimal(part).div(whole).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toNumber());

/** Every date from `from` to `to` (YYYY-MM-DD, inclusive). */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

const salesByDay: ReportDefinition = {
  name: 'sales-by-day',
  title: 'Sales by day 每日销售',
  columns: [
    { key: 'date', header: 'Date 日期', type: 'text', width: 12 },
    { key: 'sale_count', header: 'Sales 笔数', type: 'integer' },
    { key: 'sales_minor', header: 'Sales 销售额', type: 'money' },
    { key: 'refunds_minor', header: 'Refunds 退货额', type: 'money' },
    { key: 'net_minor', header: 'Net 净额', type: 'money' },
  ],
  chart: { kind: 'line', x: 'date', series: ['sales_minor', 'net_minor'] },
  rows: (db, p) =>
    arrayRows(
      (async () => {
        const rows = await db`
          with s as (select to_char(to_timestamp(completed_at / 1000.0) at time zone ${p.tz}, 'YYYY-MM-DD') as d, count(*)::bigint as n, sum(total_minor)::bigint as t
              from sales where store_id = any(${p.storeIds}::text[]) and completed_at >= ${p.from_ms} and completed_at < ${p.to_ms} group by 1),
            r as (select to_char(to_timestamp(completed_at / 1000.0) at time zone ${p.tz}, 'YYYY-MM-DD') as d, sum(total_minor)::bigint as t
              from refunds where store_id = any(${p.storeIds}::text[]) and completed_at >= ${p.from_ms} and completed_at < ${p.to_ms} group by 1)
          select coalesce(s.d, r.d) as d, coalesce(s.n, 0) as n, coalesce(s.t, 0) as s, coalesce(r.t, 0) as r from s full join r on r.d = s.d`;
        const byDate = new Map(rows.map((r) => [r.d as string, r]));
        return datesBetween(p.from, p.to).map((date) => {
          const r = byDate.get(date);
          const sales = (r?.s as number | undefined) ?? 0;
          const refunds = (r?.r as number | undefined) ?? 0;
          return { date, sale_count: (r?.n as number | undefined) ?? 0, sales_minor: sales, refunds_minor: refunds, net_minor: sales - refunds };
        });
      })(),
    ),
};

async function salesByStoreRows(db: Sql, p: ReportParams & { from_ms: number; to_ms: number }): Promise<Array<Row & { region_id: string; region_name: string }>> {
  const rows = await db`
    select st.id, st.name, st.franchisee, reg.id as region_id, reg.name as region_name,
      (select count(*) from sales s where s.store_id = st.id and s.completed_at >= ${p.from_ms} and s.completed_at < ${p.to_ms})::bigint as n,
      (select coalesce(sum(total_minor), 0) from sales s where s.store_id = st.id and s.completed_at >= ${p.from_ms} and s.completed_at < ${p.to_ms})::bigint as s,
      (select coalesce(sum(total_minor), 0) from refunds r where r.store_id = st.id and r.completed_at >= ${p.from_ms} and r.completed_at < ${p.to_ms})::bigint as r
    from org_nodes st left join org_nodes reg on reg.id = st.parent_id
    where st.kind = 'store' and st.id = any(${p.storeIds}::text[]) order by st.id`;
  return rows.map((r) => ({
    store_id: r.id,
    store_name: r.name,
    franchisee: r.franchisee ?? '',
    region_id: r.region_id ?? '',
    region_name: r.region_name ?? '',
    sale_count: r.n,
    sales_minor: r.s,
    refunds_minor: r.r,
    net_minor: r.s - r.r,
    average_ticket_minor: average(r.s, r.n),
  }));
}

const salesByStore: ReportDefinition = {
  name: 'sales-by-store',
  title: 'Sales by store 门店销售',
  columns: [
    { key: 'store_id', header: 'Store 门店', type: 'text', width: 14 },
    { key: 'store_name', header: 'Name 名称', type: 'text' },
    { key: 'region_name', header: 'Region 区域', type: 'text', width: 10 },
    { key: 'franchisee', header: 'Franchisee 加盟商', type: 'text' },
    { key: 'sale_count', header: 'Sales 笔数', type: 'integer' },
    { key: 'sales_minor', header: 'Sales 销售额', type: 'money' },
    { key: 'refunds_minor', header: 'Refunds 退货额', type: 'money' },
    { key: 'net_minor', header: 'Net 净额', type: 'money' },
    { key: 'average_ticket_minor', header: 'Avg ticket 客单价', type: 'money' },
  ],
  chart: { kind: 'bar', x: 'store_name', series: ['sales_minor'] },
  rows: (db, p) => arrayRows(salesByStoreRows(db, p)),
};

const salesByRegion: ReportDefinition = {
  name: 'sales-by-region',
  title: 'Sales by region 区域销售',
  columns: [
    { key: 'region_name', header: 'Region 区域', type: 'text' },
    { key: 'stores', header: 'Stores 门店数', type: 'integer' },
    { key: 'sale_count', header: 'Sales 笔数', type: 'integer' },
    { key: 'sales_minor', header: 'Sales 销售额', type: 'money' },
    { key: 'refunds_minor', header: 'Refunds 退货额', type: 'money' },
    { key: 'net_minor', header: 'Net 净额', type: 'money' },
  ],
  chart: { kind: 'bar', x: 'region_name', series: ['sales_minor'] },
  rows: (db, p) =>
    arrayRows(
      (async () => {
        const byRegion = new Map<string, { region_name: string; stores: number; sale_count: number; sales_minor: number; refunds_minor: number; net_minor: number }>();
        for (const s of await salesByStoreRows(db, p)) {
          const r = byRegion.get(s.region_id) ?? { region_name: s.region_name, stores: 0, sale_count: 0, sales_minor: 0, refunds_minor: 0, net_minor: 0 };
          r.stores += 1;
          r.sale_count += s.sale_count as number;
          r.sales_minor += s.sales_minor as number;
          r.refunds_minor += s.refunds_minor as number;
          r.net_minor += s.net_minor as number;
          byRegion.set(s.region_id, r);
        }
        return [...byRegion.values()];
      })(),
    ),
};

const memberGrowth: ReportDefinition = {
  name: 'member-growth',
  title: 'Member growth 会员增长',
  columns: [
    { key: 'date', header: 'Date 日期', type: 'text', width: 12 },
    { key: 'new_members', header: 'New 新增会员', type: 'integer' },
    { key: 'total_members', header: 'Total 会员总数', type: 'integer' },
  ],
  chart: { kind: 'line', x: 'date', series: ['total_members'] },
  rows: (db, p) =>
    arrayRows(
      (async () => {
        const [before] = await db`select count(*)::bigint as n from members where home_store_id = any(${p.storeIds}::text[]) and created_at < to_timestamp(${p.from_ms} / 1000.0)`;
        const rows = await db`
          select to_char(created_at at time zone ${p.tz}, 'YYYY-MM-DD') as d, count(*)::bigint as n from members
          where home_store_id = any(${p.storeIds}::text[]) and created_at >= to_timestamp(${p.from_ms} / 1000.0) and created_at < to_timestamp(${p.to_ms} / 1000.0) group by 1`;
        const byDate = new Map(rows.map((r) => [r.d as string, r.n as number]));
        let total = (before?.n as number | undefined) ?? 0;
        return datesBetween(p.from, p.to).map((date) => {
          const n = byDate.get(date) ?? 0;
          total += n;
          return { date, new_members: n, total_members: total };
        });
      })(),
    ),
};

const FLOW_COLUMNS: Array<{ code: string; key: string; header: string; sign: 1 | -1 | 0 }> = [
  { code: 'OPENING_BALANCE', key: 'opening_minor', header: 'Openings 期初导入', sign: 1 },
  { code: 'TOPUP', key: 'top_up_minor', header: 'Top-ups 充值本金', sign: 1 },
  { code: 'TOPUP_BONUS', key: 'bonus_minor', header: 'Bonus 赠送', sign: 1 },
  { code: 'REBATE', key: 'rebate_minor', header: 'Rebates 返利', sign: 1 },
  { code: 'STORED_VALUE_ADJUSTED', key: 'adjusted_minor', header: 'Adjustments 调整', sign: 0 },
  { code: 'SALE_STORED_VALUE', key: 'redeemed_minor', header: 'Redeemed 消费', sign: -1 },
  { code: 'REFUND_STORED_VALUE', key: 'refunded_minor', header: 'Refunded to cards 退回储值', sign: 1 },
  { code: 'TOPUP_REFUND', key: 'top_up_refund_minor', header: 'Top-up refunds 退充值', sign: -1 },
  { code: 'TOPUP_BONUS_CLAWBACK', key: 'clawback_minor', header: 'Bonus clawed back 收回赠送', sign: -1 },
];

const storedValueFlow: ReportDefinition = {
  name: 'stored-value-flow',
  title: 'Stored-value flow 储值流水',
  note: 'Signed change of member stored value (card principal + bonus) by day. Chain-level flows (openings, rebates, adjustments) and the closing balance only for a chain-wide scope.',
  columns: [
    { key: 'date', header: 'Date 日期', type: 'text', width: 12 },
    ...FLOW_COLUMNS.map((f) => ({ key: f.key, header: f.header, type: 'money' as const })),
    { key: 'net_change_minor', header: 'Net change 净变动', type: 'money' },
    { key: 'closing_minor', header: 'Closing 期末余额', type: 'money' },
  ],
  chart: { kind: 'bar', x: 'date', series: ['top_up_minor', 'redeemed_minor'] },
  rows: (db, p) =>
    arrayRows(
      (async () => {
        // Store-made flows are scoped by their document's store; chain-level ones need a chain-wide scope.
        const rows = await db`
          select to_char(to_timestamp(t."timestamp" / 1000.0) at time zone ${p.tz}, 'YYYY-MM-DD') as d, t.code,
            sum(case when ca.code in ('CARD_PRINCIPAL', 'CARD_BONUS') then t.amount else 0 end - case when da.code in ('CARD_PRINCIPAL', 'CARD_BONUS') then t.amount else 0 end)::bigint as net
          from transfers t join accounts da on da.id = t.debit_account_id join accounts ca on ca.id = t.credit_account_id
            left join sales s on s.id = t.document_id left join refunds r on r.id = t.document_id
            left join top_ups u on u.id = t.document_id left join top_up_refunds ur on ur.id = t.document_id
          where t.kind in ('single', 'post_pending') and t."timestamp" >= ${p.from_ms} and t."timestamp" < ${p.to_ms}
            and (da.code in ('CARD_PRINCIPAL', 'CARD_BONUS') or ca.code in ('CARD_PRINCIPAL', 'CARD_BONUS'))
            and (${p.chainWide} or coalesce(s.store_id, r.store_id, u.store_id, ur.store_id) = any(${p.storeIds}::text[]))
          group by 1, 2`;
        let closing: number | null = null;
        if (p.chainWide) {
          const [o] = await db`
            select coalesce(sum(case when ca.code in ('CARD_PRINCIPAL', 'CARD_BONUS') then t.amount else 0 end - case when da.code in ('CARD_PRINCIPAL', 'CARD_BONUS') then t.amount else 0 end), 0)::bigint as s
            from transfers t join accounts da on da.id = t.debit_account_id join accounts ca on ca.id = t.credit_account_id
            where t.kind in ('single', 'post_pending') and t."timestamp" < ${p.from_ms}`;
          closing = o!.s as number;
        }
        return datesBetween(p.from, p.to).map((date) => {
          const row: Row = { date };
          let net = 0;
          for (const f of FLOW_COLUMNS) {
            const v = rows.filter((r) => r.d === date && r.code === f.code).reduce((s, r) => s + (r.net as number), 0);
            row[f.key] = v;
            net += v;
          }
          row.net_change_minor = net;
          if (closing !== null) closing += net;
          row.closing_minor = closing;
          return row;
        });
      })(),
    ),
};

const POINTS_COLUMNS: Array<{ code: string; key: string; header: string }> = [
  { code: 'POINTS_EARNED', key: 'earned', header: 'Earned 获得' },
  { code: 'POINTS_REDEEMED', key: 'redeemed', header: 'Paid with 抵现' },
  { code: 'GIFT_REDEMPTION', key: 'gifts', header: 'Gifts 兑换礼品' },
  { code: 'POINTS_EXPIRED', key: 'expired', header: 'Expired 过期' },
  { code: 'POINTS_REVERSED', key: 'reversed', header: 'Reversed by refunds 退货扣回' },
  { code: 'POINTS_RESTORED', key: 'restored', header: 'Restored by refunds 退货退回' },
  { code: 'POINTS_ADJUSTED', key: 'adjusted', header: 'Adjusted 调整' },
];

const pointsReport: ReportDefinition = {
  name: 'points',
  title: 'Points 积分',
  note: 'Points into (+) and out of (−) members’ points accounts, by day; members of the stores in scope.',
  columns: [{ key: 'date', header: 'Date 日期', type: 'text', width: 12 }, ...POINTS_COLUMNS.map((c) => ({ key: c.key, header: c.header, type: 'points' as const })), { key: 'net', header: 'Net 净变动', type: 'points' }],
  chart: { kind: 'bar', x: 'date', series: ['earned', 'redeemed', 'expired'] },
  rows: (db, p) =>
    arrayRows(
      (async () => {
        const rows = await db`
          select to_char(to_timestamp(t."timestamp" / 1000.0) at time zone ${p.tz}, 'YYYY-MM-DD') as d, t.code,
            sum(case when ca.code = 'MEMBER_POINTS' then t.amount else 0 end - case when da.code = 'MEMBER_POINTS' then t.amount else 0 end)::bigint as net
          from transfers t join accounts da on da.id = t.debit_account_id join accounts ca on ca.id = t.credit_account_id
            join members m on m.id = coalesce(substring(case when ca.code = 'MEMBER_POINTS' then ca.id else da.id end from '^member:(.*):points$'), '')
          where t.kind in ('single', 'post_pending') and t.ledger = 'POINTS' and t."timestamp" >= ${p.from_ms} and t."timestamp" < ${p.to_ms}
            and (da.code = 'MEMBER_POINTS' or ca.code = 'MEMBER_POINTS') and m.home_store_id = any(${p.storeIds}::text[])
          group by 1, 2`;
        return datesBetween(p.from, p.to).map((date) => {
          const row: Row = { date };
          let net = 0;
          for (const c of POINTS_COLUMNS) {
            const v = rows.filter((r) => r.d === date && r.code === c.code).reduce((s, r) => s + (r.net as number), 0);
            row[c.key] = v;
            net += v;
          }
          row.net = net;
          return row;
        });
      })(),
    ),
};

const cashierPerformance: ReportDefinition = {
  name: 'cashier-performance',
  title: 'Cashier performance 收银绩效',
  note: 'By cashier and till: each sale and refund goes to the cashier signed in when it completed; one that records no cashier (older terminals) goes to the cashier whose shift was open on that till at the time (till.shift.opened / closed in the audit log), and outside any shift it is listed under the till with no cashier.',
  columns: [
    { key: 'operator_id', header: 'Cashier 收银员', type: 'text', width: 20 },
    { key: 'operator_name', header: 'Name 姓名', type: 'text', width: 18 },
    { key: 'terminal_id', header: 'Terminal 收银台', type: 'text', width: 12 },
    { key: 'store_id', header: 'Store 门店', type: 'text', width: 14 },
    { key: 'sale_count', header: 'Sales 笔数', type: 'integer' },
    { key: 'sales_minor', header: 'Sales 销售额', type: 'money' },
    { key: 'average_ticket_minor', header: 'Avg ticket 客单价', type: 'money' },
    { key: 'member_share', header: 'Member sales 会员占比', type: 'percent' },
    { key: 'refund_count', header: 'Refunds 退货笔数', type: 'integer' },
    { key: 'refunds_minor', header: 'Refunds 退货额', type: 'money' },
  ],
  chart: { kind: 'bar', x: 'label', series: ['sales_minor'] },
  rows: (db, p) =>
    arrayRows(
      (async () => {
        const rows = await db`
          with shifts as (
            select o.terminal_id, o.operator_id, (o.details ->> 'at')::bigint as opened,
              (select min((c.details ->> 'at')::bigint) from audit_log c
                where c.action = 'till.shift.closed' and c.terminal_id = o.terminal_id and c.details ->> 'shiftId' = o.details ->> 'shiftId') as closed
            from audit_log o join terminals t on t.id = o.terminal_id
            where o.action = 'till.shift.opened' and t.store_id = any(${p.storeIds}::text[])
          ), docs as (
            select 'sale' as kind, s.terminal_id, s.store_id, s.member_id, s.total_minor, s.completed_at, s.cashier_id from sales s
              where s.store_id = any(${p.storeIds}::text[]) and s.completed_at >= ${p.from_ms} and s.completed_at < ${p.to_ms}
            union all select 'refund', r.terminal_id, r.store_id, r.member_id, r.total_minor, r.completed_at, r.cashier_id from refunds r
              where r.store_id = any(${p.storeIds}::text[]) and r.completed_at >= ${p.from_ms} and r.completed_at < ${p.to_ms}
          ), attributed as (
            select d.*, coalesce(d.cashier_id, (select sh.operator_id from shifts sh where sh.terminal_id = d.terminal_id and sh.opened <= d.completed_at
                and (sh.closed is null or sh.closed > d.completed_at) order by sh.opened desc limit 1)) as operator_id
            from docs d
          )
          select a.terminal_id, a.store_id, a.operator_id, o.name as operator_name,
            count(*) filter (where a.kind = 'sale')::bigint as n,
            count(*) filter (where a.kind = 'sale' and a.member_id is not null)::bigint as members,
            coalesce(sum(a.total_minor) filter (where a.kind = 'sale'), 0)::bigint as s,
            count(*) filter (where a.kind = 'refund')::bigint as rn,
            coalesce(sum(a.total_minor) filter (where a.kind = 'refund'), 0)::bigint as r
          from attributed a left join operators o on o.id = a.operator_id
          group by a.terminal_id, a.store_id, a.operator_id, o.name
          order by a.terminal_id, a.operator_id nulls last`;
        return rows.map((r) => ({
          operator_id: r.operator_id ?? '',
          operator_name: r.operator_name ?? '(no shift)',
          label: `${r.operator_name ?? '—'} @ ${r.terminal_id}`,
          terminal_id: r.terminal_id,
          store_id: r.store_id,
          sale_count: r.n,
          sales_minor: r.s,
          average_ticket_minor: average(r.s, r.n),
          member_share: share(r.members, r.n),
          refund_count: r.rn,
          refunds_minor: r.r,
        }));
      })(),
    ),
};

const salesDetail: ReportDefinition = {
  name: 'sales-detail',
  title: 'Sales detail 销售明细',
  note: 'Every sale of the period: the large export (streamed).',
  columns: [
    { key: 'completed_at', header: 'Time 时间', type: 'text', width: 20 },
    { key: 'sale_id', header: 'Sale 单号', type: 'text', width: 38 },
    { key: 'store_id', header: 'Store 门店', type: 'text', width: 14 },
    { key: 'terminal_id', header: 'Terminal 收银台', type: 'text', width: 12 },
    { key: 'member_id', header: 'Member 会员', type: 'text', width: 12 },
    { key: 'total_minor', header: 'Total 金额', type: 'money' },
    { key: 'cash_minor', header: 'Cash 现金', type: 'money' },
    { key: 'bank_card_minor', header: 'Bank card 银行卡', type: 'money' },
    { key: 'stored_value_minor', header: 'Stored value 储值', type: 'money' },
    { key: 'points_value_minor', header: 'Points 积分抵现', type: 'money' },
    { key: 'points_earned', header: 'Points earned 获得积分', type: 'points' },
  ],
  chart: null,
  count: async (db, p) => {
    const [r] = await db`select count(*)::bigint as n from sales where store_id = any(${p.storeIds}::text[]) and completed_at >= ${p.from_ms} and completed_at < ${p.to_ms}`;
    return r!.n as number;
  },
  async *rows(db, p) {
    const cursor = db`
      select id, store_id, terminal_id, member_id, total_minor, points_earned,
        to_char(to_timestamp(completed_at / 1000.0) at time zone ${p.tz}, 'YYYY-MM-DD HH24:MI:SS') as at,
        (select coalesce(sum((t ->> 'amountMinor')::bigint) filter (where t ->> 'kind' = 'cash'), 0) from jsonb_array_elements((body #>> '{}')::jsonb -> 'tenders') t)::bigint as cash,
        (select coalesce(sum((t ->> 'amountMinor')::bigint) filter (where t ->> 'kind' = 'bank_card'), 0) from jsonb_array_elements((body #>> '{}')::jsonb -> 'tenders') t)::bigint as bank,
        (select coalesce(sum((t ->> 'amountMinor')::bigint) filter (where t ->> 'kind' = 'stored_value'), 0) from jsonb_array_elements((body #>> '{}')::jsonb -> 'tenders') t)::bigint as sv,
        (select coalesce(sum((t ->> 'amountMinor')::bigint) filter (where t ->> 'kind' = 'points'), 0) from jsonb_array_elements((body #>> '{}')::jsonb -> 'tenders') t)::bigint as pts
      from sales where store_id = any(${p.storeIds}::text[]) and completed_at >= ${p.from_ms} and completed_at < ${p.to_ms}
      order by completed_at, id`.cursor(500);
    for await (const batch of cursor) {
      for (const r of batch) {
        yield { completed_at: r.at, sale_id: r.id, store_id: r.store_id, terminal_id: r.terminal_id, member_id: r.member_id ?? '', total_minor: r.total_minor, cash_minor: r.cash, bank_card_minor: r.bank, stored_value_minor: r.sv, points_value_minor: r.pts, points_earned: r.points_earned };
      }
    }
  },
};

const promotionPerformance: ReportDefinition = {
  name: 'promotion-performance',
  title: 'Promotion performance 促销效果',
  note: 'Per promotion over the period, from the promotions each sale used (promotion-reports.ts; by store and day at GET /api/v1/promotion-reports). Refunds are not netted out; members are summed over store-days (a member on two days counts twice).',
  columns: [
    { key: 'promotion_id', header: 'Promotion 促销', type: 'text', width: 18 },
    { key: 'promotion_name', header: 'Name 名称', type: 'text', width: 30 },
    { key: 'stores', header: 'Stores 门店数', type: 'integer' },
    { key: 'uses', header: 'Sales using it 使用笔数', type: 'integer' },
    { key: 'discount_minor', header: 'Discount given 优惠金额', type: 'money' },
    { key: 'sales_with_minor', header: 'Sales with it 参与销售额', type: 'money' },
    { key: 'members', header: 'Members 会员数', type: 'integer' },
    { key: 'new_members', header: 'First-time members 首购会员', type: 'integer' },
  ],
  chart: { kind: 'bar', x: 'promotion_name', series: ['discount_minor', 'sales_with_minor'] },
  rows: (db, p) =>
    arrayRows(
      (async () => {
        const by = new Map<string, { promotion_id: string; promotion_name: string; stores: Set<string>; uses: number; discount_minor: number; sales_with_minor: number; members: number; new_members: number }>();
        for (const r of await promotionReport(db, p.storeIds, { from: p.from, to: p.to })) {
          const x = by.get(r.promotionId) ?? { promotion_id: r.promotionId, promotion_name: r.promotionName, stores: new Set<string>(), uses: 0, discount_minor: 0, sales_with_minor: 0, members: 0, new_members: 0 };
          x.stores.add(r.storeId);
          x.uses += r.uses;
          x.discount_minor += r.discountMinor;
          x.sales_with_minor += r.salesWithMinor;
          // Members per store and day may repeat across days: this is member-days, said in the header's note.
          x.members += r.members;
          x.new_members += r.newMembers;
          by.set(r.promotionId, x);
        }
        return [...by.values()].map((x) => ({ ...x, stores: x.stores.size }));
      })(),
    ),
};

export const REPORTS: readonly ReportDefinition[] = [salesByDay, salesByStore, salesByRegion, memberGrowth, storedValueFlow, pointsReport, cashierPerformance, promotionPerformance, salesDetail];

/** Reports not built, and why (shown by the console). */
export const REPORTS_NOT_DONE: Array<{ name: string; why: string }> = [];

export function reportByName(name: string): ReportDefinition | undefined {
  return REPORTS.find((r) => r.name === name);
}

/** The period's bounds (Unix ms) and the chain's time zone, for a report's queries. */
export async function reportContext(db: Db, p: ReportParams): Promise<ReportParams & { from_ms: number; to_ms: number; tz: string }> {
  const tz = await chainTimeZone(db);
  return { ...p, tz, from_ms: (await dayBounds(db, p.from, tz)).from, to_ms: (await dayBounds(db, p.to, tz)).to };
}

/** A whole report as JSON rows (the console's charts and tables). */
export async function runReport(db: Sql, def: ReportDefinition, p: ReportParams): Promise<{ name: string; title: string; note: string | null; columns: Column[]; chart: ReportDefinition['chart']; rows: Row[] }> {
  const ctx = await reportContext(db, p);
  const rows: Row[] = [];
  for await (const r of def.rows(db, ctx)) rows.push(r);
  return { name: def.name, title: def.title, note: def.note ?? null, columns: def.columns, chart: def.chart, rows };
}
