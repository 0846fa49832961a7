import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import type { Log, Sql } from './database';
import { scopeOf } from './access';
import { permissionsOf, type Operator } from './operators';
import type { Permission } from './roles';
import { writeCsv, writeXlsx, yuanText, type Column, type Row, type Table } from './exports';
import { chainTimeZone, dayBounds, reconcileDate } from './reconciliation';
import { REPORTS, REPORTS_NOT_DONE, reportByName, reportContext, runReport } from './reports';
import { confirmStatement, generateStatements, getStatement, listStatements, statementLineColumns, type Statement } from './settlement';

/**
 * Finance routes under /api/v1 (mounted after the sign-in check): reconciliation, settlement,
 * reports and their exports, the dashboard. Scope is the signed-in operator's subtree; chain-wide
 * figures (the stored-value liability) only for an operator at the root.
 *
 * Permissions: reconciliation needs `event.read`; reports, the dashboard and settlement
 * statements need `report.read`; confirming a statement needs `member.adjust` at the root
 * (HQ finance and HQ admin) — a dedicated `settlement.confirm` permission is not in roles.ts yet.
 */

const dateField = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const reconciliationQuery = z.object({ date: dateField, format: z.enum(['json', 'xlsx', 'csv']).optional() });

/** Columns of the reconciliation differences export. */
const DIFFERENCE_COLUMNS: Column[] = [
  { key: 'kind', header: 'Kind 类型', type: 'text', width: 18 },
  { key: 'terminal_id', header: 'Terminal 终端', type: 'text', width: 12 },
  { key: 'store_id', header: 'Store 门店', type: 'text', width: 14 },
  { key: 'tender', header: 'Tender 支付', type: 'text', width: 12 },
  { key: 'terminal_says', header: 'Terminal says 终端报告', type: 'text', width: 14 },
  { key: 'hq_has', header: 'HQ has 总部', type: 'text', width: 14 },
  { key: 'amount_minor', header: 'Amount 金额', type: 'money' },
  { key: 'seqs', header: 'Seqs 序号', type: 'text', width: 14 },
  { key: 'detail', header: 'Detail 说明', type: 'text', width: 80 },
];
const periodQuery = z.object({ periodStart: dateField.optional(), periodEnd: dateField.optional() }).refine((q) => (q.periodStart === undefined) === (q.periodEnd === undefined), { message: 'give both periodStart and periodEnd, or neither' });
const periodBody = z.object({ periodStart: dateField, periodEnd: dateField }).strict().refine((b) => b.periodEnd >= b.periodStart, { message: 'periodEnd is before periodStart', path: ['periodEnd'] });
const reportQuery = z.object({ from: dateField, to: dateField, format: z.enum(['json', 'xlsx', 'csv']).optional() }).refine((q) => q.to >= q.from, { message: 'to is before from', path: ['to'] });
const exportQuery = z.object({ format: z.enum(['xlsx', 'csv']).optional() });
const idParams = z.object({ id: z.string().min(1).max(128) });
const nameParams = z.object({ name: z.string().min(1).max(64) });

/** Columns of a settlement statement export (amounts in fen in the rows; yuan in the files). */
export const STATEMENT_COLUMNS: Column[] = [
  { key: 'line_no', header: 'Line 行', type: 'integer', width: 6 },
  { key: 'kind', header: 'Kind 类型', type: 'text', width: 11 },
  { key: 'store_id', header: 'Store 门店', type: 'text', width: 14 },
  { key: 'description', header: 'Description 说明', type: 'text', width: 40 },
  { key: 'issued_principal_minor', header: 'Issued principal 充值本金', type: 'money' },
  { key: 'issued_bonus_minor', header: 'Issued bonus 赠送', type: 'money' },
  { key: 'redeemed_principal_minor', header: 'Redeemed principal 消费本金', type: 'money' },
  { key: 'redeemed_bonus_minor', header: 'Redeemed bonus 消费赠送', type: 'money' },
  { key: 'bonus_funded_minor', header: 'Bonus funded 承担赠送', type: 'money' },
  { key: 'bonus_reimbursed_minor', header: 'Bonus reimbursed 补偿赠送', type: 'money' },
  { key: 'service_fee_minor', header: 'Service fee 服务费', type: 'money' },
  { key: 'points_reimbursed_minor', header: 'Points accepted 积分抵现', type: 'money' },
  { key: 'net_minor', header: 'Net 净额 (+HQ pays)', type: 'money' },
];

/** A statement as export rows: its lines, then a total row. */
export function statementRows(st: Statement): Row[] {
  const rows: Row[] = st.lines.map((l) => statementLineColumns(l));
  const total: Row = { line_no: null, kind: '', store_id: '', description: `Total 合计 — ${st.party} ${st.periodStart}…${st.periodEnd} (${st.state})` };
  for (const c of STATEMENT_COLUMNS) if (c.type === 'money') total[c.key] = rows.reduce((s, r) => s + (r[c.key] as number), 0);
  rows.push(total);
  return rows;
}

/** Streams `table` as an attachment; the row count (when known) goes in X-Export-Rows so the console can show progress. */
async function sendTable(res: Response, table: Table, format: 'xlsx' | 'csv', filename: string, rowCount: number | null, log: Log): Promise<void> {
  res.status(200);
  res.set('Content-Type', format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}.${format}"; filename*=UTF-8''${encodeURIComponent(filename)}.${format}`);
  res.set('Cache-Control', 'no-store');
  if (rowCount !== null) res.set('X-Export-Rows', String(rowCount));
  try {
    if (format === 'xlsx') await writeXlsx(res, [table]);
    else await writeCsv(res, table);
    res.end();
  } catch (e) {
    // Headers are gone: the client sees a cut download, and the log says why.
    log(`export ${filename}.${format} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    res.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}

export function parseQuery<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new DomainError('VALIDATION_FAILED', `${where}: ${path}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}

export const operatorOf = (res: Response): Operator => (res.locals as { operator: Operator }).operator;

export function requirePermission(res: Response, permission: Permission): Operator {
  const op = operatorOf(res);
  if (!permissionsOf(op).has(permission)) throw new DomainError('FORBIDDEN', `your roles do not allow ${permission}`);
  return op;
}

/** The stores where the operator holds `permission` (their grants' subtrees), and whether that reaches the whole chain. */
export async function storeScope(sql: Sql, op: Operator, permission: Permission): Promise<{ storeIds: string[]; nodeIds: string[]; chainWide: boolean }> {
  const nodeIds = await scopeOf(sql, op, permission);
  const stores = await sql`select id from org_nodes where kind = 'store' and id = any(${nodeIds}::text[]) order by id`;
  const [root] = await sql`select id from org_nodes where parent_id is null order by id limit 1`;
  return { storeIds: stores.map((s) => s.id as string), nodeIds, chainWide: !!root && nodeIds.includes(root.id as string) };
}

/** Adds the finance routes to the /api/v1 router (after its sign-in check). */
export function registerFinanceRoutes(r: express.Router, deps: { sql: Sql; log: Log; clock?: Clock }): void {
  const { sql } = deps;

  r.get('/reconciliation', async (req: Request, res: Response) => {
    const op = requirePermission(res, 'event.read');
    const q = parseQuery(reconciliationQuery, req.query, 'query');
    const scope = await storeScope(sql, op, 'event.read');
    const report = await reconcileDate(sql, q.date, scope.storeIds, scope.chainWide);
    if ((q.format ?? 'json') === 'json') return void res.json(report);
    // Counts are not money: terminal/HQ figures go out as text in the export ("12" sales, "¥1.50" as 150 fen → "1.50").
    const figure = (d: (typeof report.differences)[number], v: number | undefined) => (v === undefined ? '' : d.kind === 'count' ? String(v) : yuanText(v));
    const rows: Row[] = report.differences.map((d) => ({
      kind: d.kind,
      terminal_id: d.terminalId ?? '',
      store_id: d.storeId ?? '',
      tender: d.tender ?? '',
      terminal_says: figure(d, d.terminalSays),
      hq_has: figure(d, d.hqHas),
      amount_minor: d.amountMinor,
      seqs: (d.seqs ?? []).map((r) => (r.fromSeq === r.toSeq ? `${r.fromSeq}` : `${r.fromSeq}-${r.toSeq}`)).join(' '),
      detail: d.detail,
    }));
    await sendTable(res, { title: `Reconciliation ${q.date}`, columns: DIFFERENCE_COLUMNS, rows }, q.format === 'csv' ? 'csv' : 'xlsx', `reconciliation_${q.date}`, rows.length, deps.log);
  });

  r.get('/dashboard', async (_req: Request, res: Response) => {
    const op = requirePermission(res, 'report.read');
    const scope = await storeScope(sql, op, 'report.read');
    const tz = await chainTimeZone(sql);
    const clock = deps.clock ?? { now: () => Date.now() };
    const [{ today } = { today: '' }] = await sql`select to_char(to_timestamp(${clock.now()} / 1000.0) at time zone ${tz}, 'YYYY-MM-DD') as today`;
    const day = await dayBounds(sql, today as string, tz);
    const stores = scope.storeIds;
    const [sales] = await sql`select count(*)::bigint as n, coalesce(sum(total_minor), 0)::bigint as t from sales where store_id = any(${stores}::text[]) and completed_at >= ${day.from} and completed_at < ${day.to}`;
    const [members] = await sql`select count(*)::bigint as n from members where home_store_id = any(${stores}::text[])`;
    const [latest] = await sql`select to_char(to_timestamp(max(completed_at) / 1000.0) at time zone ${tz}, 'YYYY-MM-DD') as d from sales where store_id = any(${stores}::text[])`;
    const [sv] = await sql`
      select coalesce(sum(a.credits_posted - a.debits_posted) filter (where a.code = 'CARD_PRINCIPAL'), 0)::bigint as principal,
             coalesce(sum(a.credits_posted - a.debits_posted) filter (where a.code = 'CARD_BONUS'), 0)::bigint as bonus
      from accounts a join cards c on a.id in ('card:' || c.id || ':principal', 'card:' || c.id || ':bonus') join members m on m.id = c.member_id
      where m.home_store_id = any(${stores}::text[])`;
    const [points] = await sql`
      select coalesce(sum(a.credits_posted - a.debits_posted), 0)::bigint as p from accounts a join members m on a.id = 'member:' || m.id || ':points'
      where m.home_store_id = any(${stores}::text[])`;
    const [exposure] = await sql`
      select coalesce(sum(o.amount - o.refunded) filter (where o.ledger <> 'POINTS'), 0)::bigint as money, coalesce(sum(o.amount - o.refunded) filter (where o.ledger = 'POINTS'), 0)::bigint as points
      from offline_overdrafts o join sales s on s.id = o.sale_id where s.store_id = any(${stores}::text[])`;
    const [terminals] = await sql`
      select count(*)::bigint as total, count(*) filter (where revoked_at is null and credential_hash is not null)::bigint as enrolled,
        count(*) filter (where revoked_at is null and last_contact_at > now() - interval '2 minutes')::bigint as online
      from terminals where store_id = any(${stores}::text[])`;
    res.json({
      date: today,
      timeZone: tz,
      todaySales: { count: sales!.n, totalMinor: sales!.t },
      lastSaleDate: (latest?.d as string | null | undefined) ?? null,
      members: members!.n,
      storedValueOutstanding: { principalMinor: sv!.principal, bonusMinor: sv!.bonus, totalMinor: sv!.principal + sv!.bonus },
      pointsOutstanding: points!.p,
      offlineExposure: { outstandingMinor: exposure!.money, outstandingPoints: exposure!.points },
      terminals: { total: terminals!.total, enrolled: terminals!.enrolled, online: terminals!.online, onlineMeans: 'in contact with HQ in the last 2 minutes' },
    });
  });

  /** The promotions a member's sales used, at the stores of the caller's scope (member 360° view). */
  r.get('/members/:id/promotions', async (req: Request, res: Response) => {
    const op = requirePermission(res, 'member.read');
    const { id } = parseQuery(idParams, req.params, 'path');
    const [m] = await sql`select id from members where id = ${id}`;
    if (!m) throw new DomainError('NOT_FOUND', `no member ${id}`);
    const scope = await storeScope(sql, op, 'member.read');
    const rows = await sql`
      with s as (
        select s.id, s.completed_at, (case when jsonb_typeof(s.body) = 'string' then (s.body #>> '{}')::jsonb else s.body end) -> 'promotionUses' as uses
        from sales s where s.member_id = ${id} and s.store_id = any(${scope.storeIds}::text[]))
      select e ->> 'promotionId' as promotion_id, coalesce(p.definition ->> 'name', e ->> 'promotionId') as name,
        count(distinct s.id)::bigint as sales, coalesce(sum((e ->> 'discountMinor')::bigint), 0)::bigint as discount, max(s.completed_at)::bigint as last_at
      from s cross join lateral jsonb_array_elements(case when jsonb_typeof(s.uses) = 'array' then s.uses else '[]'::jsonb end) e
        left join promotions p on p.id = e ->> 'promotionId'
      group by 1, 2 order by last_at desc`;
    res.json({ promotions: rows.map((x) => ({ promotionId: x.promotion_id, name: x.name, sales: x.sales, discountMinor: x.discount, lastAt: x.last_at })), coupons: null, couponsNote: 'coupons are not modelled yet' });
  });

  r.get('/reports', (_req: Request, res: Response) => {
    requirePermission(res, 'report.read');
    res.json({ reports: REPORTS.map((d) => ({ name: d.name, title: d.title, note: d.note ?? null, chart: d.chart, columns: d.columns })), notDone: REPORTS_NOT_DONE });
  });

  r.get('/reports/:name', async (req: Request, res: Response) => {
    const op = requirePermission(res, 'report.read');
    const { name } = parseQuery(nameParams, req.params, 'path');
    const def = reportByName(name);
    if (!def) throw new DomainError('NOT_FOUND', `no report ${name}; known: ${REPORTS.map((d) => d.name).join(', ')}`);
    const q = parseQuery(reportQuery, req.query, 'query');
    const scope = await storeScope(sql, op, 'report.read');
    const params = { from: q.from, to: q.to, storeIds: scope.storeIds, chainWide: scope.chainWide };
    const format = q.format ?? 'json';
    if (format === 'json') return void res.json(await runReport(sql, def, params));
    const ctx = await reportContext(sql, params);
    const count = def.count ? await def.count(sql, ctx) : null;
    await sendTable(res, { title: def.title, columns: def.columns, rows: def.rows(sql, ctx) }, format, `${def.name}_${q.from}_${q.to}`, count, deps.log);
  });

  r.get('/settlement/statements', async (req: Request, res: Response) => {
    const op = requirePermission(res, 'report.read');
    const q = parseQuery(periodQuery, req.query, 'query');
    const scope = await storeScope(sql, op, 'report.read');
    res.json({ statements: await listStatements(sql, scope.storeIds, q.periodStart && q.periodEnd ? { start: q.periodStart, end: q.periodEnd } : undefined) });
  });

  /** Statements are made and confirmed at HQ: `member.adjust` over the whole chain. */
  async function requireFinanceAtRoot(res: Response): Promise<Operator> {
    const op = requirePermission(res, 'member.adjust');
    if (!(await storeScope(sql, op, 'member.adjust')).chainWide) throw new DomainError('FORBIDDEN', 'settlement statements are made and confirmed at HQ only');
    return op;
  }

  r.post('/settlement/statements', async (req: Request, res: Response) => {
    const op = await requireFinanceAtRoot(res);
    const b = parseQuery(periodBody, req.body, 'body');
    const statements = await generateStatements(sql, { start: b.periodStart, end: b.periodEnd });
    await sql`insert into audit_log (operator_id, node_id, action, details)
      values (${op.id}, ${op.nodeId}, 'settlement.generated', ${JSON.stringify({ periodStart: b.periodStart, periodEnd: b.periodEnd, statements: statements.map((st) => ({ id: st.id, party: st.party, state: st.state, netMinor: st.netMinor })) })}::text::jsonb)`;
    res.status(201).json({ statements });
  });

  async function statementInScope(res: Response, id: string): Promise<Statement> {
    const op = requirePermission(res, 'report.read');
    const st = await getStatement(sql, id);
    if (!st) throw new DomainError('NOT_FOUND', `no settlement statement ${id}`);
    const scope = await storeScope(sql, op, 'report.read');
    if (!st.lines.every((l) => scope.storeIds.includes(l.storeId))) throw new DomainError('FORBIDDEN', `statement ${id} covers stores outside your part of the chain`);
    return st;
  }

  r.get('/settlement/statements/:id', async (req: Request, res: Response) => {
    const { id } = parseQuery(idParams, req.params, 'path');
    res.json(await statementInScope(res, id));
  });

  r.post('/settlement/statements/:id/confirm', async (req: Request, res: Response) => {
    const op = await requireFinanceAtRoot(res);
    const { id } = parseQuery(idParams, req.params, 'path');
    const result = await confirmStatement(sql, id, op);
    if (result === 'not_found') throw new DomainError('NOT_FOUND', `no settlement statement ${id}`);
    if (result === 'already_confirmed') throw new DomainError('CONFLICT', `statement ${id} is already confirmed; corrections go into the next period`);
    res.json(result);
  });

  r.get('/settlement/statements/:id/export', async (req: Request, res: Response) => {
    const { id } = parseQuery(idParams, req.params, 'path');
    const q = parseQuery(exportQuery, req.query, 'query');
    const st = await statementInScope(res, id);
    const rows = statementRows(st);
    const safeParty = st.party.replace(/[^\p{L}\p{N}_-]+/gu, '-');
    await sendTable(res, { title: `Statement ${st.periodStart}`, columns: STATEMENT_COLUMNS, rows }, q.format ?? 'xlsx', `settlement_${safeParty}_${st.periodStart}_${st.periodEnd}`, rows.length, deps.log);
  });

}
