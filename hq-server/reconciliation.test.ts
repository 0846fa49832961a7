import Decimal from 'decimal.js';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { DEFAULT_DEMO_MONTH, enrollDemoTerminals, generateDemoMonth, pushDemoMonth, type DemoMonthOptions } from '../fixtures/data/demo-month';
import { eventToWire, type SyncEvent } from '../protocols/sync/v1/codec';
import { chainOver } from '../protocols/sync/v1/day-close';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';
import type { Difference, ReconciliationReport } from './reconciliation';

/** A seeded month of the demo chain pushed through the real PushEvents, then reconciled day by day over REST. */
async function monthAtHq(options: DemoMonthOptions, push: Parameters<typeof pushDemoMonth>[3] = {}) {
  const hq = await startTestHq(demoChain, { jobs: false });
  const client = createTestSyncClient(hq.grpcAddress);
  const month = generateDemoMonth(demoChain, options);
  const credentials = await enrollDemoTerminals(client, demoChain, (t) => hq.enrollmentCode(t));
  const notApplied = await pushDemoMonth(client, credentials, month, push);
  const res = await fetch(`${hq.httpUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'finance', password: 'onecard-demo' }) });
  const token = ((await res.json()) as { token: string }).token;
  const reconcile = async (date: string): Promise<ReconciliationReport> => {
    const r = await fetch(`${hq.httpUrl}/api/v1/reconciliation?date=${date}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as ReconciliationReport;
  };
  return { hq, client, month, notApplied, reconcile, token };
}

describe('reconciliation of a seeded month (4 terminals, 30 days)', () => {
  let ctx: Awaited<ReturnType<typeof monthAtHq>>;
  beforeAll(async () => {
    ctx = await monthAtHq(DEFAULT_DEMO_MONTH);
  }, 120_000);
  afterAll(async () => {
    ctx?.client.close();
    await ctx?.hq.stop();
  });

  it('applies every event of the month, day closes included', () => {
    expect(ctx.notApplied).toEqual([]);
    expect(ctx.month.terminals.reduce((s, t) => s + t.events.length, 0)).toBeGreaterThan(1000);
  });

  it('reports zero differences on every day, with each terminal closed and the liability rolled forward', async () => {
    for (const date of ctx.month.dates) {
      const report = await ctx.reconcile(date);
      expect(report.differences, date).toEqual([]);
      expect(report.terminals.map((t) => t.terminalId)).toEqual(['t-gz-01-1', 't-hz-01-1', 't-sh-01-1', 't-sh-01-2']);
      expect(report.terminals.every((t) => t.dayClose !== null && t.hqChain === t.dayClose.eventsChain)).toBe(true);
      expect(report.liability!.closingFromFlowsMinor).toBe(report.liability!.memberBalancesMinor);
    }
    const last = await ctx.reconcile(ctx.month.dates.at(-1)!);
    expect(last.liability!.cachedNowMinor).toBe(last.liability!.transfersNowMinor);
    // Each matched close left a checkpoint of the chain, so the next day hashes only its own events.
    const [{ n } = { n: 0 }] = await ctx.hq.sql`select count(*)::int as n from event_chain_checkpoints`;
    expect(n).toBe(4 * 30);
  });

  it('a regional manager sees only the terminals of their region, without the chain-wide liability', async () => {
    const res = await fetch(`${ctx.hq.httpUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'south.manager', password: 'onecard-demo' }) });
    const token = ((await res.json()) as { token: string }).token;
    const r = (await (await fetch(`${ctx.hq.httpUrl}/api/v1/reconciliation?date=${ctx.month.dates[3]}`, { headers: { authorization: `Bearer ${token}` } })).json()) as ReconciliationReport;
    expect(r.terminals.map((t) => t.terminalId)).toEqual(['t-gz-01-1']);
    expect(r.liability).toBeNull();
  });

  it('reports add up to what the month generated; the sales detail streams as .xlsx with typed amounts', async () => {
    const get = (path: string) => fetch(`${ctx.hq.httpUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${ctx.token}` } });
    const from = ctx.month.dates[0]!;
    const to = ctx.month.dates.at(-1)!;
    const byDay = (await (await get(`/reports/sales-by-day?from=${from}&to=${to}`)).json()) as { rows: Array<{ sale_count: number; sales_minor: number; refunds_minor: number }> };
    expect(byDay.rows).toHaveLength(30);
    expect(byDay.rows.reduce((s, r) => s + r.sales_minor, 0)).toBe(ctx.month.totals.salesMinor);
    expect(byDay.rows.reduce((s, r) => s + r.refunds_minor, 0)).toBe(ctx.month.totals.refundsMinor);
    const byRegion = (await (await get(`/reports/sales-by-region?from=${from}&to=${to}`)).json()) as { rows: Array<{ sales_minor: number }> };
    expect(byRegion.rows.reduce((s, r) => s + r.sales_minor, 0)).toBe(ctx.month.totals.salesMinor);
    const flow = (await (await get(`/reports/stored-value-flow?from=${from}&to=${to}`)).json()) as { rows: Array<{ top_up_minor: number; bonus_minor: number; closing_minor: number }> };
    expect(flow.rows.reduce((s, r) => s + r.top_up_minor, 0)).toBe(ctx.month.totals.topUpPrincipalMinor);
    expect(flow.rows.reduce((s, r) => s + r.bonus_minor, 0)).toBe(ctx.month.totals.topUpBonusMinor);
    const last = await ctx.reconcile(to);
    expect(flow.rows.at(-1)!.closing_minor).toBe(last.liability!.memberBalancesMinor);
    const all = ctx.month.terminals.flatMap((t) => t.events);
    const earned = all.reduce((s, e) => s + (e.body.type === 'sale' ? e.body.sale.pointsEarned : 0), 0);
    const reversed = all.reduce((s, e) => s + (e.body.type === 'refund' ? e.body.refund.pointsReversed : 0), 0);
    const points = (await (await get(`/reports/points?from=${from}&to=${to}`)).json()) as { rows: Array<{ earned: number; reversed: number; net: number }> };
    expect(points.rows.reduce((s, r) => s + r.earned, 0)).toBe(earned);
    expect(points.rows.reduce((s, r) => s + r.reversed, 0)).toBe(-reversed);
    expect(points.rows.reduce((s, r) => s + r.net, 0)).toBe(earned - reversed);
    // The seeded members joined when the chain was seeded (now), after the month.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const growth = (await (await get(`/reports/member-growth?from=${from}&to=${today}`)).json()) as { rows: Array<{ new_members: number; total_members: number }> };
    expect(growth.rows[0]!.total_members).toBe(0);
    expect(growth.rows.at(-1)!.total_members).toBe(demoChain.members.length);
    expect(growth.rows.reduce((s, r) => s + r.new_members, 0)).toBe(demoChain.members.length);
    const cashiers = (await (await get(`/reports/cashier-performance?from=${from}&to=${to}`)).json()) as { rows: Array<{ sale_count: number }>; note: string };
    expect(cashiers.rows.reduce((s, r) => s + r.sale_count, 0)).toBe(ctx.month.totals.saleCount);
    expect(cashiers.note).toMatch(/shift/);

    const res = await get(`/reports/sales-detail?from=${from}&to=${to}&format=xlsx`);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-export-rows'))).toBe(ctx.month.totals.saleCount);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    expect(sheet.rowCount).toBe(ctx.month.totals.saleCount + 1);
    let fen = 0;
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      const cell = row.getCell(6);
      expect(cell.type).toBe(ExcelJS.ValueType.Number);
      fen += new Decimal(cell.value as number).times(100).toNumber();
    });
    expect(fen).toBe(ctx.month.totals.salesMinor);
    const csv = await (await get(`/reports/sales-detail?from=${from}&to=${to}&format=csv`)).text();
    expect(csv.trimEnd().split('\r\n')).toHaveLength(ctx.month.totals.saleCount + 1);
  });

  it('the dashboard shows members, stored value and points outstanding, and terminals', async () => {
    const d = (await (await fetch(`${ctx.hq.httpUrl}/api/v1/dashboard`, { headers: { authorization: `Bearer ${ctx.token}` } })).json()) as { members: number; storedValueOutstanding: { totalMinor: number }; terminals: { total: number; enrolled: number } };
    expect(d.members).toBe(demoChain.members.length);
    const last = await ctx.reconcile(ctx.month.dates.at(-1)!);
    expect(d.storedValueOutstanding.totalMinor).toBe(last.liability!.cachedNowMinor);
    expect(d.terminals).toMatchObject({ total: 4, enrolled: 4 });
  });

  it('promotion performance sums the promotions the sales used, per promotion (run last: it adds sales)', async () => {
    const body = (uses: unknown[]) => JSON.stringify({ promotionUses: uses });
    await ctx.hq.sql`insert into sales (id, terminal_id, event_seq, store_id, member_id, card_id, currency, total_minor, points_earned, completed_at, body) values
      ('promo-sale-1', 't-hz-01-1', 900001, 'store-hz-01', 'm-0011', null, 'CNY', 9_000, 0, ${Date.parse('2026-10-15T12:00:00+08:00')}, ${body([{ promotionId: 'demo-100-10', memberUses: 1, budgetKind: 'quantity', budgetDrawn: 1, discountMinor: 1_000 }])}::text::jsonb),
      ('promo-sale-2', 't-gz-01-1', 900001, 'store-gz-01', null, null, 'CNY', 19_000, 0, ${Date.parse('2026-10-16T12:00:00+08:00')}, ${body([{ promotionId: 'demo-100-10', memberUses: 1, budgetKind: 'quantity', budgetDrawn: 2, discountMinor: 2_000 }])}::text::jsonb)`;
    const r = (await (await fetch(`${ctx.hq.httpUrl}/api/v1/reports/promotion-performance?from=2026-10-01&to=2026-10-30`, { headers: { authorization: `Bearer ${ctx.token}` } })).json()) as { rows: unknown[] };
    expect(r.rows).toEqual([{ promotion_id: 'demo-100-10', promotion_name: 'demo-100-10', stores: 2, uses: 2, discount_minor: 3_000, sales_with_minor: 28_000, members: 1, new_members: 0 }]);
  });

  it('cashier performance gives a till’s sales to the cashier whose shift was open (from the till’s shift events)', async () => {
    const day = ctx.month.dates[2]!;
    const opened = Date.parse(`${day}T08:00:00+08:00`);
    const closed = Date.parse(`${day}T23:00:00+08:00`);
    const shift = (action: string, at: number) => ctx.hq.sql`insert into audit_log (operator_id, node_id, terminal_id, action, entity_kind, entity_id, details)
      values ('op-sh-01-cashier-1', 'store-sh-01', 't-sh-01-1', ${action}, 'operator', 'op-sh-01-cashier-1', ${JSON.stringify({ at, shiftId: 'shift-demo-1' })}::text::jsonb)`;
    await shift('till.shift.opened', opened);
    await shift('till.shift.closed', closed);
    const till = ctx.month.terminals.find((t) => t.terminalId === 't-sh-01-1')!;
    const expected = till.events.filter((e) => e.body.type === 'sale' && e.occurredAt >= opened && e.occurredAt < closed);
    const r = (await (await fetch(`${ctx.hq.httpUrl}/api/v1/reports/cashier-performance?from=${ctx.month.dates[0]}&to=${ctx.month.dates.at(-1)}`, { headers: { authorization: `Bearer ${ctx.token}` } })).json()) as { rows: Array<{ operator_id: string; terminal_id: string; sale_count: number; sales_minor: number }> };
    const gu = r.rows.find((x) => x.operator_id === 'op-sh-01-cashier-1')!;
    expect(gu).toMatchObject({ terminal_id: 't-sh-01-1', sale_count: expected.length, sales_minor: expected.reduce((s, e) => s + (e.body.type === 'sale' ? e.body.sale.totalMinor : 0), 0) });
    expect(r.rows.reduce((s, x) => s + x.sale_count, 0)).toBe(ctx.month.totals.saleCount + 2); // + the two promotion sales above
  });

  it('a day close an older HQ quarantined is listed with its seq, and applies when retried', async () => {
    const till = ctx.month.terminals.find((t) => t.terminalId === 't-gz-01-1')!;
    const last = till.events.at(-1)!;
    const dayClose = { id: 'dc-old-hq', storeId: 'store-gz-01', terminalId: 't-gz-01-1', businessDate: '2026-10-31', tenders: [], saleCount: 0, refundCount: 0, topUpTotalMinor: 0, firstSeq: last.seq, lastSeq: last.seq, eventsChain: chainOver(till.events), closedAt: Date.parse('2026-10-31T22:00:00+08:00') };
    const wire = eventToWire({ seq: last.seq + 1, id: '01a00000-0000-7000-8000-000000000001', occurredAt: dayClose.closedAt, body: { type: 'day_close', dayClose }, transfers: [] });
    await ctx.hq.sql`insert into events (terminal_id, seq, event_id, kind, body, status, reason)
      values ('t-gz-01-1', ${last.seq + 1}, ${wire.id as string}, 'day_close', ${JSON.stringify(wire)}, 'quarantined', 'day close events are not reconciled by this HQ yet')`;
    const before = await ctx.reconcile('2026-10-31');
    expect(before.differences).toEqual([expect.objectContaining({ kind: 'quarantined_event', terminalId: 't-gz-01-1', seqs: [{ fromSeq: last.seq + 1, toSeq: last.seq + 1 }] })]);
    const retried = await fetch(`${ctx.hq.httpUrl}/api/v1/events/t-gz-01-1/${last.seq + 1}/retry`, { method: 'POST', headers: { authorization: `Bearer ${ctx.token}` } });
    expect(((await retried.json()) as { status: string }).status).toBe('applied');
    const after = await ctx.reconcile('2026-10-31');
    expect(after.differences).toEqual([]);
    expect(after.terminals.find((t) => t.terminalId === 't-gz-01-1')?.dayClose?.id).toBe('dc-old-hq');
  });

  it('refuses a malformed date', async () => {
    const r = await fetch(`${ctx.hq.httpUrl}/api/v1/reconciliation?date=10/01/2026`, { headers: { authorization: `Bearer ${ctx.token}` } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('reconciliation flags a lost event, an altered total and an offline overdraft, with where and how much', () => {
  const DROP = { terminalId: 't-hz-01-1', day: 9 };
  const ALTER = { terminalId: 't-gz-01-1', day: 4, extraCashMinor: 1_234 };
  const OVERDRAFT = { terminalId: 't-sh-01-2', dayIndex: 19, cardId: 'c-0014', beyondBalanceMinor: 2_500 };
  let ctx: Awaited<ReturnType<typeof monthAtHq>>;
  let dropped: SyncEvent;
  beforeAll(async () => {
    const month = generateDemoMonth(demoChain, { ...DEFAULT_DEMO_MONTH, overdraft: OVERDRAFT });
    const date = (day: number) => month.dates[day]!;
    const hz = month.terminals.find((t) => t.terminalId === DROP.terminalId)!;
    // The first cash sale of the day on the Hangzhou till never reaches HQ.
    const refunded = new Set(hz.events.flatMap((e) => (e.body.type === 'refund' ? [e.body.refund.saleId] : [])));
    dropped = hz.events.find((e) => e.body.type === 'sale' && !refunded.has(e.body.sale.id) && e.body.sale.tenders[0]!.kind === 'cash' && new Date(e.occurredAt + 8 * 3_600_000).toISOString().startsWith(date(DROP.day)))!;
    ctx = await monthAtHq({ ...DEFAULT_DEMO_MONTH, overdraft: OVERDRAFT }, {
      keep: (terminalId, e) => !(terminalId === DROP.terminalId && e.seq === dropped.seq),
      alter: (terminalId, e) => {
        if (terminalId !== ALTER.terminalId || e.body.type !== 'day_close' || e.body.dayClose.businessDate !== date(ALTER.day)) return e;
        const dc = e.body.dayClose;
        return { ...e, body: { type: 'day_close', dayClose: { ...dc, tenders: dc.tenders.map((t) => (t.kind === 'cash' ? { ...t, salesMinor: t.salesMinor + ALTER.extraCashMinor } : t)) } } };
      },
    });
  }, 120_000);
  afterAll(async () => {
    ctx?.client.close();
    await ctx?.hq.stop();
  });

  const only = (ds: Difference[], terminalId: string) => ds.filter((d) => d.terminalId === terminalId);

  it('the lost event: its seq is missing, the chain differs, and cash taken in is short by the sale', async () => {
    expect(dropped.body.type).toBe('sale');
    const total = dropped.body.type === 'sale' ? dropped.body.sale.totalMinor : 0;
    const report = await ctx.reconcile(ctx.month.dates[DROP.day]!);
    const ds = only(report.differences, DROP.terminalId);
    expect(ds.find((d) => d.kind === 'missing_events')).toMatchObject({ storeId: 'store-hz-01', seqs: [{ fromSeq: dropped.seq, toSeq: dropped.seq }] });
    expect(ds.find((d) => d.kind === 'chain_mismatch')).toBeDefined();
    expect(ds.find((d) => d.kind === 'tender_total')).toMatchObject({ tender: 'cash', amountMinor: -total, hqHas: expect.any(Number), terminalSays: expect.any(Number) });
    expect(ds.find((d) => d.kind === 'count')).toMatchObject({ terminalSays: expect.any(Number), amountMinor: null });
    // The gap stays visible on later days: every later close covers it.
    const later = await ctx.reconcile(ctx.month.dates[DROP.day + 1]!);
    expect(only(later.differences, DROP.terminalId).map((d) => d.kind).sort()).toEqual(['chain_mismatch', 'missing_events']);
    // Other days before it are clean.
    expect((await ctx.reconcile(ctx.month.dates[DROP.day - 1]!)).differences.filter((d) => d.terminalId === DROP.terminalId)).toEqual([]);
  });

  it('the altered total: Guangzhou says ¥12.34 more cash than HQ applied', async () => {
    const report = await ctx.reconcile(ctx.month.dates[ALTER.day]!);
    const ds = only(report.differences, ALTER.terminalId);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ kind: 'tender_total', storeId: 'store-gz-01', tender: 'cash', amountMinor: -ALTER.extraCashMinor });
    expect(ds[0]!.terminalSays! - ds[0]!.hqHas!).toBe(ALTER.extraCashMinor);
    // The same as a workbook: the amount a number of yuan.
    const res = await fetch(`${ctx.hq.httpUrl}/api/v1/reconciliation?date=${ctx.month.dates[ALTER.day]}&format=xlsx`, { headers: { authorization: `Bearer ${ctx.token}` } });
    expect(res.headers.get('x-export-rows')).toBe(String(report.differences.length));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const row = workbook.worksheets[0]!.getRow(2);
    expect(row.getCell(1).value).toBe('tender_total');
    expect(row.getCell(7).type).toBe(ExcelJS.ValueType.Number);
    expect(row.getCell(7).value).toBe(-12.34);
  });

  it('the offline overdraft: card c-0014 overdrawn by ¥25.00 at Shanghai till 2, booked to the store', async () => {
    const report = await ctx.reconcile(ctx.month.dates[OVERDRAFT.dayIndex]!);
    const ds = only(report.differences, OVERDRAFT.terminalId);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ kind: 'offline_overdraft', storeId: 'store-sh-01', accountId: 'card:c-0014:principal', amountMinor: OVERDRAFT.beyondBalanceMinor });
    // The member's balances still equal the liability: the store's exposure, not the card, carries it.
    expect(report.differences.filter((d) => d.kind === 'liability' || d.kind === 'account_cache')).toEqual([]);
  });

  it('a cached balance that no longer matches its transfers is flagged with the account and by how much (run last: it tampers)', async () => {
    const last = ctx.month.dates.at(-1)!;
    await ctx.hq.sql`update accounts set credits_posted = credits_posted + 777 where id = 'card:c-0002:bonus'`;
    try {
      const report = await ctx.reconcile(last);
      expect(report.differences.filter((d) => d.kind === 'account_cache')).toEqual([
        expect.objectContaining({ accountId: 'card:c-0002:bonus', amountMinor: 777 }),
      ]);
      expect(report.liability!.cachedNowMinor - report.liability!.transfersNowMinor).toBe(777);
    } finally {
      await ctx.hq.sql`update accounts set credits_posted = credits_posted - 777 where id = 'card:c-0002:bonus'`;
    }
  });

  it('everything else reconciles', async () => {
    const days = ctx.month.dates.filter((_, i) => i !== DROP.day && i !== ALTER.day && i !== OVERDRAFT.dayIndex);
    for (const date of days) {
      const ds = (await ctx.reconcile(date)).differences.filter((d) => !(d.terminalId === DROP.terminalId && (d.kind === 'missing_events' || d.kind === 'chain_mismatch')));
      expect(ds, date).toEqual([]);
    }
  });
});
