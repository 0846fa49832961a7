import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../core/ids';
import { promotion } from '../core/pricing';
import { postSale, type SaleDocument, type SalePromotionUse } from '../core/sale';
import { eventToWire } from '../protocols/sync/v1/codec';
import { demoChain } from '../fixtures/data/demo-chain';
import { createHttpApp } from './http-server';
import { budgetState, recordSaleBudgetDraws, salePromotionProblem, topUpAllotments } from './promotion-budgets';
import { promotionReport, promotionReportCsv } from './promotion-reports';
import { advancePromotions } from './promotions';
import { pullChanges } from './pull-changes';
import { pushEvents } from './push-events';
import { seedChain } from './seed';
import { startTestDatabase, type TestDatabase } from './testing/pg';

// 2026-11-22 12:00 in Shanghai.
const NOW = Date.UTC(2026, 10, 22, 4, 0);
const clock = { now: () => NOW };

/** A definition as a REST body: the engine's Promotion without id and status. */
function body(id: string, orgNodeId: string, extra: Record<string, unknown> = {}) {
  const { status: _status, ...p } = promotion(id, { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 20000, offMinor: 3000 }], repeat: false, capMinor: null }, { orgNodeId, name: `Spend 200 get 30 off (${id})`, nameZh: '满200减30' });
  return { ...p, ...extra };
}

describe('promotions at HQ: scope, approval, feed, budgets, reports', () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    db = await startTestDatabase();
    await seedChain(db.sql, demoChain);
    server = createHttpApp({ sql: db.sql, log: () => {}, clock }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const login of ['admin', 'finance', 'east.manager', 'south.manager', 'sh01.manager']) {
      tokens[login] = (await request('POST', '/api/v1/sessions', { body: { login, password: 'onecard-demo' } })).body.token;
    }
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await db?.stop();
  });

  async function request(method: string, path: string, options: { as?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = {};
    if (options.as) headers.authorization = `Bearer ${tokens[options.as]}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: res.headers };
  }

  const sh01 = { terminalId: 't-sh-01-1', storeId: 'store-sh-01' };
  const gz01 = { terminalId: 't-gz-01-1', storeId: 'store-gz-01' };

  it('a regional manager creates drafts in their region only; others are 403 FORBIDDEN', async () => {
    const made = await request('POST', '/api/v1/promotions', { as: 'east.manager', body: body('east-200', 'region-east') });
    expect(made.status).toBe(201);
    expect(made.body.promotion).toMatchObject({ id: 'east-200', status: 'draft', orgNodeId: 'region-east' });
    expect(made.body.createdBy).toBe('op-east-manager');

    for (const node of ['region-south', 'store-gz-01', 'hq']) {
      const refused = await request('POST', '/api/v1/promotions', { as: 'east.manager', body: body(`east-at-${node}`, node) });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    // A store manager has no promotion.write at all.
    expect((await request('POST', '/api/v1/promotions', { as: 'sh01.manager', body: body('sh-own', 'store-sh-01') })).status).toBe(403);
    // The south manager cannot change or submit the east draft.
    expect((await request('PUT', '/api/v1/promotions/east-200', { as: 'south.manager', body: body('east-200', 'region-east') })).status).toBe(403);
    expect((await request('POST', '/api/v1/promotions/east-200/submit', { as: 'south.manager' })).status).toBe(403);
    // Nor move it into the south region.
    expect((await request('PUT', '/api/v1/promotions/east-200', { as: 'east.manager', body: body('east-200', 'region-south') })).status).toBe(403);
  });

  it('refuses a definition the pricing engine would refuse, naming the field', async () => {
    const r = await request('POST', '/api/v1/promotions', { as: 'east.manager', body: body('bad', 'region-east', { validFrom: '2026-12-01', validTo: '2026-11-01' }) });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/validTo/) });
    const r2 = await request('POST', '/api/v1/promotions', { as: 'east.manager', body: body('bad2', 'region-east', { rule: { type: 'secondItem', rate: '1.5', scope: {} } }) });
    expect(r2.status).toBe(400);
    expect(r2.body.error.message).toMatch(/rule\.rate/);
  });

  it('approval: only another operator with promotion.approve; the draft then goes live and into the feed of its region only', async () => {
    // Nothing in the feed for a draft.
    expect((await pullChanges(db.sql, sh01, 0, 2000)).changes.filter((c) => c.body.type === 'promotion')).toEqual([]);
    expect((await request('POST', '/api/v1/promotions/east-200/approve', { as: 'admin' })).status).toBe(409); // not submitted yet
    const submitted = await request('POST', '/api/v1/promotions/east-200/submit', { as: 'east.manager' });
    expect(submitted.body.promotion.status).toBe('pending_approval');
    // The regional manager's role has no promotion.approve.
    expect((await request('POST', '/api/v1/promotions/east-200/approve', { as: 'east.manager' })).status).toBe(403);

    const approved = await request('POST', '/api/v1/promotions/east-200/approve', { as: 'admin' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ approvedBy: 'op-admin', promotion: { status: 'active' } });
    // Live promotions are not edited.
    expect((await request('PUT', '/api/v1/promotions/east-200', { as: 'east.manager', body: body('east-200', 'region-east') })).status).toBe(409);

    const east = (await pullChanges(db.sql, sh01, 0, 2000)).changes.filter((c) => c.body.type === 'promotion');
    expect(east).toHaveLength(1);
    expect(east[0]).toMatchObject({ deleted: false, body: { type: 'promotion', promotion: { id: 'east-200', status: 'active' } } });
    const south = (await pullChanges(db.sql, gz01, 0, 2000)).changes.filter((c) => c.body.type === 'promotion');
    expect(south).toHaveLength(1);
    expect(south[0]).toMatchObject({ deleted: true, body: { promotion: { id: 'east-200', orgNodeId: '-' } } });

    const audit = await db.sql`select action, operator_id from audit_log where entity_kind = 'promotion' and entity_id = 'east-200' order by id`;
    expect(audit.map((a) => `${a.action} ${a.operator_id}`)).toEqual(['promotion.created op-east-manager', 'promotion.submitted op-east-manager', 'promotion.approved op-admin']);
  });

  it('an approver cannot approve a promotion they wrote or submitted', async () => {
    expect((await request('POST', '/api/v1/promotions', { as: 'admin', body: body('hq-own', 'hq') })).status).toBe(201);
    await request('POST', '/api/v1/promotions/hq-own/submit', { as: 'admin' });
    const own = await request('POST', '/api/v1/promotions/hq-own/approve', { as: 'admin' });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toMatch(/another operator/);
    const rejected = await request('POST', '/api/v1/promotions/hq-own/reject', { as: 'finance', body: { reason: 'overlaps the east offer' } });
    expect(rejected.body.promotion.status).toBe('draft');
  });

  it('a future window is scheduled, starts and ends by the calendar of its node', async () => {
    await request('POST', '/api/v1/promotions', { as: 'east.manager', body: body('east-dec', 'region-east', { validFrom: '2026-12-01', validTo: '2026-12-02' }) });
    await request('POST', '/api/v1/promotions/east-dec/submit', { as: 'east.manager' });
    expect((await request('POST', '/api/v1/promotions/east-dec/approve', { as: 'finance' })).body.promotion.status).toBe('scheduled');
    // Scheduled promotions already travel: the engine starts them on time even offline.
    expect((await pullChanges(db.sql, sh01, 0, 2000)).changes.some((c) => c.body.type === 'promotion' && c.body.promotion.id === 'east-dec' && !c.deleted)).toBe(true);

    expect(await advancePromotions(db.sql, Date.UTC(2026, 10, 30, 15, 59))).toEqual([]); // 23:59 on 30 Nov in Shanghai
    expect(await advancePromotions(db.sql, Date.UTC(2026, 10, 30, 16, 0))).toEqual([{ id: 'east-dec', from: 'scheduled', to: 'active' }]);
    expect(await advancePromotions(db.sql, Date.UTC(2026, 11, 2, 16, 0))).toEqual([{ id: 'east-dec', from: 'active', to: 'ended' }]);
    const ended = (await pullChanges(db.sql, sh01, 0, 2000)).changes.find((c) => c.body.type === 'promotion' && c.body.promotion.id === 'east-dec');
    expect(ended?.deleted).toBe(true);
  });

  it('ending by hand reaches the terminals as a deletion', async () => {
    const ended = await request('POST', '/api/v1/promotions/east-200/end', { as: 'east.manager', body: { reason: 'stock ran out' } });
    expect(ended.body).toMatchObject({ endedBy: 'op-east-manager', promotion: { status: 'ended' } });
    const change = (await pullChanges(db.sql, sh01, 0, 2000)).changes.find((c) => c.body.type === 'promotion' && c.body.promotion.id === 'east-200');
    expect(change?.deleted).toBe(true);
  });

  describe('budgets', () => {
    let saleNo = 0;
    /** A sale as HQ records it from a terminal's event, drawing `drawn` on `promotionId`. */
    async function recordSale(terminalId: string, storeId: string, promotionId: string, drawn: number, extra: Partial<SaleDocument> = {}) {
      saleNo += 1;
      const sale: SaleDocument = {
        id: `sale-b-${saleNo}`, storeId, terminalId, currency: 'CNY', memberId: null, cardId: null,
        lines: [{ lineNo: 1, sku: 'SKU-1', barcode: '1', name: 'x', quantity: drawn || 1, unitPriceMinor: 100, amountMinor: 100 * (drawn || 1), eligibleForMemberBenefits: true }],
        totalMinor: 100 * (drawn || 1), tenders: [{ kind: 'cash', amountMinor: 100 * (drawn || 1), tenderedMinor: 100 * (drawn || 1), changeMinor: 0 }], pointsEarned: 0,
        completedAt: NOW, promotionUses: [{ promotionId, memberUses: drawn, budgetKind: 'quantity', budgetDrawn: drawn, discountMinor: 10 * drawn }],
        ...extra,
      };
      await db.sql`insert into sales (id, terminal_id, event_seq, store_id, member_id, card_id, currency, total_minor, points_earned, completed_at, body)
        values (${sale.id}, ${terminalId}, ${saleNo}, ${storeId}, ${sale.memberId}, ${sale.cardId}, 'CNY', ${sale.totalMinor}, 0, ${sale.completedAt}, ${JSON.stringify(sale)}::text::jsonb)`;
      await recordSaleBudgetDraws(db.sql, sale.id, terminalId, sale.promotionUses);
      return sale;
    }

    it('allotments are topped up from what the sales drew and never add up to more than the budget', async () => {
      const limited = { ...body('east-cola', 'region-east'), rule: { type: 'limitedQuantitySpecial', items: [{ sku: 'SKU-1', priceMinor: 50 }] }, budget: { kind: 'quantity', total: 30 } };
      expect((await request('POST', '/api/v1/promotions', { as: 'east.manager', body: limited })).status).toBe(201);
      await request('POST', '/api/v1/promotions/east-cola/submit', { as: 'east.manager' });
      await request('POST', '/api/v1/promotions/east-cola/approve', { as: 'admin' });

      // Three east terminals: each gets 30 / (2 × 3) = 5 at its first pull.
      expect(await topUpAllotments(db.sql, sh01)).toEqual(['east-cola']);
      expect(await topUpAllotments(db.sql, sh01)).toEqual([]); // nothing drawn yet
      expect(await topUpAllotments(db.sql, gz01)).toEqual([]); // another region
      const fed = (await pullChanges(db.sql, sh01, 0, 2000)).changes.find((c) => c.body.type === 'promotion' && c.body.promotion.id === 'east-cola');
      expect(fed?.body).toMatchObject({ type: 'promotion', allotment: 5 });

      await recordSale('t-sh-01-1', 'store-sh-01', 'east-cola', 3);
      expect(await topUpAllotments(db.sql, sh01)).toEqual(['east-cola']); // 2 left ≤ half of 5: back up to 5 unspent
      expect((await budgetState(db.sql, 'east-cola'))!.terminals).toEqual([{ terminalId: 't-sh-01-1', allotted: 8, used: 3 }]);

      // Busy terminals draw everything they are given; the allotments stop at the budget.
      for (let round = 0; round < 10; round += 1) {
        for (const t of [sh01, { terminalId: 't-sh-01-2', storeId: 'store-sh-01' }, { terminalId: 't-hz-01-1', storeId: 'store-hz-01' }]) {
          await topUpAllotments(db.sql, t);
          const s = (await budgetState(db.sql, 'east-cola'))!.terminals.find((x) => x.terminalId === t.terminalId);
          if (s && s.allotted > s.used) await recordSale(t.terminalId, t.storeId, 'east-cola', s.allotted - s.used);
        }
      }
      const state = (await budgetState(db.sql, 'east-cola'))!;
      expect(state).toMatchObject({ total: 30, allotted: 30, used: 30, unallotted: 0, outstanding: 0 });
    });

    it('a pushed sale records its draws with it: counted per terminal, none for a sale without draws, once for a batch sent twice', async () => {
      const limited = { ...body('east-push', 'region-east'), rule: { type: 'limitedQuantitySpecial', items: [{ sku: 'SKU-1', priceMinor: 50 }] }, budget: { kind: 'quantity', total: 20 } };
      expect((await request('POST', '/api/v1/promotions', { as: 'east.manager', body: limited })).status).toBe(201);
      await request('POST', '/api/v1/promotions/east-push/submit', { as: 'east.manager' });
      await request('POST', '/api/v1/promotions/east-push/approve', { as: 'admin' });
      const hz = { terminalId: 't-hz-01-1', storeId: 'store-hz-01' };
      let seq = 0;
      /** A cash sale at hz-01 ten days back (out of the reports test's day), using `uses`, as its till pushes it. */
      const pushed = (id: string, uses: SalePromotionUse[] | undefined) => {
        const sale: SaleDocument = {
          id, storeId: hz.storeId, terminalId: hz.terminalId, currency: 'CNY', memberId: null, cardId: null,
          lines: [{ lineNo: 1, sku: 'SKU-1', barcode: '1', name: 'x', quantity: 1, unitPriceMinor: 100, amountMinor: 100, eligibleForMemberBenefits: true }],
          totalMinor: 100, tenders: [{ kind: 'cash', amountMinor: 100, tenderedMinor: 100, changeMinor: 0 }], pointsEarned: 0,
          completedAt: NOW - 10 * 86_400_000, ...(uses ? { promotionUses: uses } : {}),
        };
        return eventToWire({ seq: ++seq, id: uuidv7(), occurredAt: sale.completedAt, body: { type: 'sale', sale }, transfers: postSale(sale, () => uuidv7()) });
      };
      const draw = (promotionId: string, budgetDrawn: number): SalePromotionUse => ({ promotionId, memberUses: 1, budgetKind: budgetDrawn > 0 ? 'quantity' : null, budgetDrawn, discountMinor: 0 });
      const drawRows = async (saleIds: string[]) => (await db.sql`select sale_id, promotion_id, terminal_id, drawn from sale_budget_draws where sale_id = any(${saleIds}::text[]) order by sale_id`).map((r) => ({ ...r }));
      const usedByHz = async () => (await budgetState(db.sql, 'east-push'))!.terminals.filter((t) => t.terminalId === hz.terminalId).map((t) => t.used);

      // In bulk: one sale draws 2, one uses a promotion without a budget, one uses none.
      const batch = [pushed('push-draw-1', [draw('east-push', 2), draw('no-budget', 0)]), pushed('push-nodraw-1', [draw('no-budget', 0)]), pushed('push-plain-1', undefined)];
      const first = await pushEvents(db.sql, hz, batch);
      expect(first.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
      expect(await usedByHz()).toEqual([2]);
      expect(await drawRows(['push-draw-1', 'push-nodraw-1', 'push-plain-1'])).toEqual([{ sale_id: 'push-draw-1', promotion_id: 'east-push', terminal_id: hz.terminalId, drawn: 2 }]);
      // The till never heard the answer and sends the batch again.
      expect((await pushEvents(db.sql, hz, batch)).results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(await usedByHz()).toEqual([2]);
      expect(await drawRows(['push-draw-1', 'push-nodraw-1', 'push-plain-1'])).toHaveLength(1);

      // One by one (the database refuses a sale of the batch): the applied sale's draws count, the refused one's do not.
      await db.sql.unsafe(`
        create function refuse_poison() returns trigger language plpgsql as $$
        begin if new.id = 'push-poison' then raise exception 'poison sale refused'; end if; return new; end $$;
        create trigger refuse_poison before insert on sales for each row execute function refuse_poison();`);
      try {
        const r = await pushEvents(db.sql, hz, [pushed('push-draw-2', [draw('east-push', 3)]), pushed('push-poison', [draw('east-push', 1)])]);
        expect(r.results.map((x) => x.status)).toEqual(['applied', 'quarantined']);
      } finally {
        await db.sql.unsafe('drop trigger refuse_poison on sales; drop function refuse_poison()');
      }
      expect(await usedByHz()).toEqual([5]);
      expect(await drawRows(['push-draw-2', 'push-poison'])).toEqual([{ sale_id: 'push-draw-2', promotion_id: 'east-push', terminal_id: hz.terminalId, drawn: 3 }]);
    });
  });

  describe('reports', () => {
    it('per promotion, store and day, from the sale documents; CSV alike', async () => {
      const day = '2026-11-22';
      const rows = await promotionReport(db.sql, ['store-sh-01', 'store-hz-01', 'store-gz-01'], { from: day, to: day, promotionId: 'east-cola' });
      const sh = rows.find((r) => r.storeId === 'store-sh-01')!;
      const drawn = (await budgetState(db.sql, 'east-cola'))!.terminals.filter((t) => t.terminalId.startsWith('t-sh')).reduce((s, t) => s + t.used, 0);
      expect(sh).toMatchObject({ promotionId: 'east-cola', day, units: drawn, discountMinor: 10 * drawn, salesWithout: 0 });
      expect(sh.uses).toBe(sh.salesWith);

      // A member's first sale at the chain with the promotion counts them as new; a sale without it counts as "without".
      const uses = [{ promotionId: 'east-cola', memberUses: 1, budgetKind: 'quantity', budgetDrawn: 1, discountMinor: 50 }];
      await db.sql`insert into sales (id, terminal_id, event_seq, store_id, member_id, card_id, currency, total_minor, points_earned, completed_at, body)
        values ('sale-r-1', 't-hz-01-1', 9001, 'store-hz-01', 'm-new', null, 'CNY', 500, 0, ${NOW}, ${JSON.stringify({ promotionUses: uses })}::text::jsonb),
               ('sale-r-2', 't-hz-01-1', 9002, 'store-hz-01', 'm-new', null, 'CNY', 700, 0, ${NOW + 1000}, '{}'::jsonb)`;
      await recordSaleBudgetDraws(db.sql, 'sale-r-1', 't-hz-01-1', uses);
      const hz = (await promotionReport(db.sql, ['store-hz-01'], { from: day, to: day, promotionId: 'east-cola' }))[0]!;
      expect(hz).toMatchObject({ members: 1, newMembers: 1, salesWithout: 1, salesWithoutMinor: 700 });
      // Out of the reader's scope: nothing.
      expect(await promotionReport(db.sql, ['store-gz-01'], { from: day, to: day })).toEqual([]);

      const csv = promotionReportCsv([hz]);
      expect(csv.split('\r\n')[0]).toBe('promotion_id,promotion_name,store_id,day,uses,units,discount_minor,refunded_discount_minor,sales_with,sales_with_minor,sales_without,sales_without_minor,members,new_members');
      expect(csv.split('\r\n')[1]).toMatch(/^east-cola,"?Spend 200 get 30 off \(east-cola\)"?,store-hz-01,2026-11-22,/);

      const viaRest = await request('GET', `/api/v1/promotion-reports?from=${day}&to=${day}&promotionId=east-cola&format=csv`, { as: 'east.manager' });
      expect(viaRest.status).toBe(200);
      expect(viaRest.headers.get('content-type')).toMatch(/text\/csv/);
      expect(viaRest.body).toContain('store-hz-01');
      const southView = await request('GET', `/api/v1/promotion-reports?from=${day}&to=${day}&promotionId=east-cola`, { as: 'south.manager' });
      expect(southView.body.rows).toEqual([]);
      expect((await request('GET', `/api/v1/promotion-reports?from=${day}&to=${day}&storeId=store-sh-01`, { as: 'south.manager' })).status).toBe(403);
    });
  });
  it('concurrent pulls of every terminal in scope never hand out more than the budget', async () => {
    const amountBudget = { ...body('hq-amount', 'hq'), rule: { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 1000, offMinor: 100 }], repeat: true, capMinor: null }, budget: { kind: 'amount', total: 7 } };
    expect((await request('POST', '/api/v1/promotions', { as: 'admin', body: amountBudget })).status).toBe(201);
    await request('POST', '/api/v1/promotions/hq-amount/submit', { as: 'admin' });
    await request('POST', '/api/v1/promotions/hq-amount/approve', { as: 'finance' });
    const terminals = (await db.sql`select id, store_id from terminals order by id`).map((t) => ({ terminalId: t.id as string, storeId: t.store_id as string }));
    for (let round = 0; round < 5; round += 1) {
      await Promise.all([...terminals, ...terminals].map((t) => topUpAllotments(db.sql, t)));
      const state = (await budgetState(db.sql, 'hq-amount'))!;
      expect(state.allotted).toBeLessThanOrEqual(7);
      // Each terminal spends what it holds, so the next round tops up from what is left.
      for (const t of state.terminals) {
        if (t.allotted <= t.used) continue;
        const id = `sale-amt-${round}-${t.terminalId}`;
        const uses = [{ promotionId: 'hq-amount', memberUses: 0, budgetKind: 'amount', budgetDrawn: t.allotted - t.used, discountMinor: t.allotted - t.used }];
        await db.sql`insert into sales (id, terminal_id, event_seq, store_id, currency, total_minor, points_earned, completed_at, body)
          values (${id}, ${t.terminalId}, ${10_000 + round}, ${terminals.find((x) => x.terminalId === t.terminalId)!.storeId}, 'CNY', 1000, 0, ${NOW}, ${JSON.stringify({ promotionUses: uses })}::text::jsonb)`;
        await recordSaleBudgetDraws(db.sql, id, t.terminalId, uses);
      }
    }
    expect(await budgetState(db.sql, 'hq-amount')).toMatchObject({ total: 7, allotted: 7, used: 7, outstanding: 0 });
  });
});

describe('a store moved to another region', () => {
  it("its terminals drop the old region's promotions and take the new one's at their next pull", async () => {
    const db = await startTestDatabase();
    try {
      await seedChain(db.sql, demoChain);
      const { moveNode } = await import('./org');
      const { createPromotion, submitPromotion, approvePromotion } = await import('./promotions');
      for (const [id, node, author] of [['east-1', 'region-east', 'op-east-manager'], ['south-1', 'region-south', 'op-south-manager']] as const) {
        await createPromotion(db.sql, { id: author }, body(id, node), clock);
        await submitPromotion(db.sql, { id: author }, id);
        await approvePromotion(db.sql, { id: 'op-admin' }, id, clock);
      }
      const hz = { terminalId: 't-hz-01-1', storeId: 'store-hz-01' };
      const live = (changes: Awaited<ReturnType<typeof pullChanges>>['changes']) =>
        changes.filter((c) => c.body.type === 'promotion' && !c.deleted).map((c) => (c.body as { promotion: { id: string } }).promotion.id);
      const first = await pullChanges(db.sql, hz, 0, 2000);
      expect(live(first.changes)).toEqual(['east-1']);
      await db.sql.begin((tx) => moveNode(tx, 'store-hz-01', 'region-south', 'op-admin'));
      const after = await pullChanges(db.sql, hz, first.nextCursor, 2000);
      expect(live(after.changes)).toEqual(['south-1']);
      expect(after.changes.filter((c) => c.body.type === 'promotion' && c.deleted).map((c) => (c.body as { promotion: { id: string } }).promotion.id)).toEqual(['east-1']);
    } finally {
      await db.stop();
    }
  });
});

describe('coupons', () => {
  it('issued into wallets or as bearer codes, fed to the region that has the promotion, used once by the first sale that names them', async () => {
    const db = await startTestDatabase();
    try {
      await seedChain(db.sql, demoChain);
      const { createPromotion, submitPromotion, approvePromotion } = await import('./promotions');
      const { issueCoupons, listCoupons, recordCouponUses } = await import('./coupons');
      const voucher = { ...body('east-10-off', 'region-east'), rule: { type: 'coupon', benefit: { kind: 'amount', amountMinor: 1000 }, minSpendMinor: 5000, maxPerBasket: 1 } };
      await createPromotion(db.sql, { id: 'op-east-manager' }, voucher, clock);
      await expect(issueCoupons(db.sql, { id: 'op-east-manager' }, 'east-10-off', { count: 2 })).rejects.toMatchObject({ code: 'CONFLICT' }); // not approved yet
      await submitPromotion(db.sql, { id: 'op-east-manager' }, 'east-10-off');
      await approvePromotion(db.sql, { id: 'op-admin' }, 'east-10-off', clock);
      await expect(issueCoupons(db.sql, { id: 'op-south-manager' }, 'east-10-off', { count: 2 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const wallet = await issueCoupons(db.sql, { id: 'op-east-manager' }, 'east-10-off', { memberIds: ['m-0001', 'm-0002'], validTo: '2026-12-31' });
      const bearer = await issueCoupons(db.sql, { id: 'op-east-manager' }, 'east-10-off', { count: 3 });
      expect(wallet.map((c) => [c.memberId, c.validTo])).toEqual([['m-0001', '2026-12-31'], ['m-0002', '2026-12-31']]);
      expect(new Set([...wallet, ...bearer].map((c) => c.code)).size).toBe(5);
      expect(bearer.every((c) => /^[A-HJKMNP-Z2-9]{12}$/.test(c.code) && c.memberId === null)).toBe(true);

      const fed = (t: { terminalId: string; storeId: string }, cursor = 0) => pullChanges(db.sql, t, cursor, 2000);
      const east = await fed({ terminalId: 't-sh-01-1', storeId: 'store-sh-01' });
      expect(east.changes.filter((c) => c.body.type === 'coupon' && !c.deleted)).toHaveLength(5);
      const south = await fed({ terminalId: 't-gz-01-1', storeId: 'store-gz-01' });
      expect(south.changes.filter((c) => c.body.type === 'coupon' && !c.deleted)).toHaveLength(0);

      const code = bearer[0]!.code;
      await db.sql.begin((tx) => recordCouponUses(tx, { id: 'sale-c-1', couponsUsed: [code] }, new Date(NOW)));
      await db.sql.begin((tx) => recordCouponUses(tx, { id: 'sale-c-2', couponsUsed: [code] }, new Date(NOW))); // another till, offline
      await db.sql.begin((tx) => recordCouponUses(tx, { id: 'sale-c-1', couponsUsed: [code] }, new Date(NOW))); // the same sale again
      expect((await listCoupons(db.sql, 'east-10-off', { used: true, limit: 10 })).map((c) => [c.code, c.usedSaleId, c.reusedBySaleIds])).toEqual([[code, 'sale-c-1', ['sale-c-2']]]);
      const after = await fed({ terminalId: 't-sh-01-1', storeId: 'store-sh-01' }, east.nextCursor);
      expect(after.changes.map((c) => [c.body.type, c.deleted, (c.body as { coupon: { code: string } }).coupon.code])).toEqual([['coupon', true, code]]);
    } finally {
      await db.stop();
    }
  });
});

describe('a pushed sale whose promotion fields do not add up is quarantined, not counted', () => {
  const line = { lineNo: 1, quantity: 4, unitPriceMinor: 300, amountMinor: 1040, promotions: [{ promotionId: 'p', discountMinor: 160 }] };
  const use = { promotionId: 'p', memberUses: 0, budgetDrawn: 0, discountMinor: 160 };
  it.each([
    ['shares explain the amount', { lines: [line], promotionUses: [use] }, null],
    ['no promotions at all', { lines: [{ ...line, promotions: undefined, amountMinor: 1200 }] }, null],
    ['shares do not explain the amount', { lines: [{ ...line, amountMinor: 1000 }], promotionUses: [use] }, /line 1: promotion shares 160/],
    ['more discount than the line', { lines: [{ ...line, amountMinor: 0, promotions: [{ promotionId: 'p', discountMinor: 1300 }] }], promotionUses: [use] }, /line 1/],
    ['a share of a promotion the sale did not use', { lines: [line], promotionUses: [] }, /not among the sale's promotion uses/],
    ['a negative draw', { lines: [line], promotionUses: [{ ...use, budgetDrawn: -1 }] }, /whole and not negative/],
  ])('%s', (_what, sale, expected) => {
    const problem = salePromotionProblem(sale);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});
