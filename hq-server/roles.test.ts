import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotion } from '../core/pricing';
import { demoChain } from '../fixtures/data/demo-chain';
import { createApiRouter } from './http-server';
import { BUILT_IN_ROLES, type Permission } from './roles';
import { startTestRest, type RestReply } from './testing/rest';

/**
 * Every built-in role against every REST route. Targets sit in store-sh-01, which is inside every
 * role's subtree (HQ, region-east, the store itself), so the only thing that differs is the role.
 * A = hq_admin, F = hq_finance, R = regional_manager (east), S = store_manager, C = cashier.
 */

type RoleKey = 'A' | 'F' | 'R' | 'S' | 'C';
const ROLE_OF: Record<RoleKey, { login: string; operatorId: string; role: string }> = {
  A: { login: 'admin', operatorId: 'op-admin', role: 'hq_admin' },
  F: { login: 'finance', operatorId: 'op-finance', role: 'hq_finance' },
  R: { login: 'east.manager', operatorId: 'op-east-manager', role: 'regional_manager' },
  S: { login: 'sh01.manager', operatorId: 'op-sh-01-manager', role: 'store_manager' },
  C: { login: 'sh01.cashier1', operatorId: 'op-sh-01-cashier-1', role: 'cashier' },
};
const ROLES = Object.keys(ROLE_OF) as RoleKey[];

interface Call {
  method: string;
  path: string;
  body?: unknown;
  /** Use this token instead of the role's (a fresh session to end). */
  token?: string;
}
interface RouteCase {
  route: string;
  /** The permission the route needs (null: any signed-in operator, or public). */
  permission: Permission | null;
  /** Roles allowed, as letters. */
  allowed: string;
  /** What an allowed role gets. */
  expect: number;
  /** Whether an allowed call changes something (and so must leave an audit entry). */
  change?: boolean;
  /** What a role without the permission gets, when not 403 (a route that hides what the caller may not read). */
  denied?: number;
  call(role: RoleKey): Promise<Call> | Call;
}

describe('built-in roles × REST routes', () => {
  let t: Awaited<ReturnType<typeof startTestRest>>;
  const token = {} as Record<RoleKey, string>;
  const req = (c: Call, role: RoleKey): Promise<RestReply> => t.request(c.method, `/api/v1${c.path}`, { token: c.token ?? token[role], body: c.body });

  beforeAll(async () => {
    t = await startTestRest(demoChain);
    for (const r of ROLES) token[r] = await t.signIn(ROLE_OF[r].login);
    // Nodes and roles the org routes work on, one per role that may change them.
    for (const r of ROLES) {
      await t.request('POST', '/api/v1/org/nodes', { token: token.A, body: { id: `fix-${r}`, parentId: 'region-east', kind: 'region', name: `fixture ${r}` } });
      await t.request('POST', '/api/v1/roles', { token: token.A, body: { code: `fix_${r.toLowerCase()}`, name: `fixture ${r}`, permissions: ['member.read'] } });
      const made = await t.request('POST', '/api/v1/operators', {
        token: token.A,
        body: { id: `op-fix-${r}`, nodeId: 'store-sh-01', name: `fixture ${r}`, login: `fix.${r.toLowerCase()}`, password: 'fixture-pass-1', pin: '9000', grants: [{ nodeId: 'store-sh-01', role: 'cashier' }] },
      });
      expect(made.status).toBe(201);
    }
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  let seq = 0;
  const uid = (r: RoleKey) => `${r.toLowerCase()}${++seq}`;

  /** A promotion draft at store-sh-01 as a REST body (hq-server/promotions.ts). */
  const promotionBody = (id: string) => {
    const { status: _status, ...p } = promotion(id, { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 20000, offMinor: 3000 }], repeat: false, capMinor: null }, { orgNodeId: 'store-sh-01', name: `Spend 200 get 30 off (${id})`, nameZh: '满200减30' });
    return p;
  };
  /** A promotion made (and submitted) by someone else than `r`, so that `r` may approve it. */
  async function promotionFor(r: RoleKey, submitted: boolean): Promise<string> {
    const id = `promo-${uid(r)}`;
    const author = r === 'A' ? token.R : token.A;
    const made = await t.request('POST', '/api/v1/promotions', { token: author, body: promotionBody(id) });
    expect(made.status).toBe(201);
    if (submitted) expect((await t.request('POST', `/api/v1/promotions/${id}/submit`, { token: author })).status).toBe(200);
    return id;
  }

  const cases: RouteCase[] = [
    { route: 'get /health', permission: null, allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/health' }) },
    { route: 'get /openapi.json', permission: null, allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/openapi.json' }) },
    { route: 'post /sessions', permission: null, allowed: 'AFRSC', expect: 201, call: (r) => ({ method: 'POST', path: '/sessions', body: { login: ROLE_OF[r].login, password: 'onecard-demo' } }) },
    { route: 'delete /sessions/current', permission: null, allowed: 'AFRSC', expect: 204, call: async (r) => ({ method: 'DELETE', path: '/sessions/current', token: await t.signIn(ROLE_OF[r].login) }) },
    { route: 'post /sessions/current/password', permission: null, allowed: 'AFRSC', expect: 400, call: () => ({ method: 'POST', path: '/sessions/current/password', body: { oldPassword: 'onecard-demo', newPassword: 'short' } }) },
    { route: 'get /members', permission: 'member.read', allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/members?query=138' }) },
    { route: 'get /members/{id}', permission: 'member.read', allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/members/m-0001' }) },
    { route: 'get /members/{id}/transactions', permission: 'member.read', allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/members/m-0001/transactions' }) },
    { route: 'get /sales/{id}', permission: 'member.read', allowed: 'AFRSC', expect: 404, call: () => ({ method: 'GET', path: '/sales/no-such-sale' }) },
    {
      route: 'post /members', permission: 'member.write', allowed: 'ARS', expect: 201, change: true,
      call: (r) => ({ method: 'POST', path: '/members', body: { name: `member ${r}`, phone: `1390000${1000 + ++seq}`, homeStoreId: 'store-sh-01' } }),
    },
    {
      route: 'post /members/{id}/cards', permission: 'member.write', allowed: 'ARS', expect: 201, change: true,
      call: (r) => ({ method: 'POST', path: '/members/m-0004/cards', body: { cardNo: `CARD${uid(r)}X`, medium: 'barcode' } }),
    },
    {
      route: 'post /cards/{id}/status', permission: 'member.write', allowed: 'ARS', expect: 200, change: true,
      call: (r) => ({ method: 'POST', path: `/cards/${{ A: 'c-0001', F: 'c-0001', R: 'c-0002', S: 'c-0003', C: 'c-0003' }[r]}/status`, body: { action: 'freeze', reason: 'test' } }),
    },
    {
      route: 'post /balance-transfers', permission: 'member.write', allowed: 'ARS', expect: 200, change: true,
      call: async (r) => {
        const cardNo = `MOVE${uid(r)}X`;
        const card = await t.request('POST', '/api/v1/members/m-0006/cards', { token: token.A, body: { cardNo, medium: 'barcode' } });
        const to = (card.body.cards as Array<{ id: string; cardNo: string }>).find((c) => c.cardNo === cardNo)!.id;
        // Each transfer moves m-0006's stored value on from wherever the last one left it.
        const profile = await t.request('GET', '/api/v1/members/m-0006', { token: token.A });
        const from = (profile.body.cards as Array<{ id: string; principal: { posted: number }; bonus: { posted: number } }>).find((c) => c.id !== to && c.principal.posted + c.bonus.posted > 0)!.id;
        return { method: 'POST', path: '/balance-transfers', body: { fromCardId: from, toCardId: to, amountMinor: 0 } };
      },
    },
    {
      route: 'post /adjustments', permission: 'member.adjust', allowed: 'AF', expect: 201, change: true,
      call: () => ({ method: 'POST', path: '/adjustments', body: { asset: 'points', memberId: 'm-0002', amount: 5, reason: 'goodwill' } }),
    },
    { route: 'get /adjustments', permission: 'member.adjust', allowed: 'AF', expect: 200, call: () => ({ method: 'GET', path: '/adjustments' }) },
    {
      route: 'post /adjustments/{id}/approve', permission: 'member.adjust', allowed: 'AF', expect: 200, change: true,
      call: async (r) => {
        // The second operator approves: finance's request for the admin, the admin's for everyone else.
        const asker = r === 'A' ? token.F : token.A;
        const a = await t.request('POST', '/api/v1/adjustments', { token: asker, body: { asset: 'points', memberId: 'm-0003', amount: 7, reason: `for ${r}` } });
        return { method: 'POST', path: `/adjustments/${a.body.id}/approve` };
      },
    },
    { route: 'get /exposure', permission: 'exposure.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/exposure' }) },
    { route: 'get /settings', permission: 'setting.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/settings' }) },
    { route: 'get /products/{sku}', permission: 'catalog.write', allowed: 'A', expect: 200, call: () => ({ method: 'GET', path: '/products/SKU-0067' }) },
    {
      route: 'put /products/{sku}', permission: 'catalog.write', allowed: 'A', expect: 200, change: true,
      call: (r) => ({ method: 'PUT', path: `/products/SKU-W-${r}`, body: { barcode: '6999991000059', name: 'Pears', nameZh: '梨', category: 'produce', priceMinor: 990, plu: '10009', soldBy: 'weight', pricePerKgMinor: 990 } }),
    },
    { route: 'get /settings/{key}', permission: 'setting.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/settings/spendingOrder' }) },
    { route: 'put /settings/{key}', permission: 'setting.write', allowed: 'A', expect: 200, change: true, call: () => ({ method: 'PUT', path: '/settings/spendingOrder', body: { value: 'principal_first' } }) },
    { route: 'get /terminals', permission: 'terminal.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/terminals' }) },
    { route: 'post /terminals/{id}/enrollment-codes', permission: 'terminal.enroll', allowed: 'ARS', expect: 201, change: true, call: () => ({ method: 'POST', path: '/terminals/t-sh-01-1/enrollment-codes', body: {} }) },
    { route: 'post /terminals/{id}/revocation', permission: 'terminal.revoke', allowed: 'AR', expect: 204, change: true, call: () => ({ method: 'POST', path: '/terminals/t-sh-01-2/revocation' }) },
    { route: 'get /events', permission: 'event.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/events' }) },
    { route: 'post /events/{terminalId}/{seq}/retry', permission: 'event.retry', allowed: 'AF', expect: 404, call: () => ({ method: 'POST', path: '/events/t-sh-01-1/999/retry' }) },
    { route: 'get /org/nodes', permission: 'org.read', allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/org/nodes' }) },
    { route: 'get /org/nodes/{id}', permission: 'org.read', allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/org/nodes/store-sh-01' }) },
    {
      route: 'post /org/nodes', permission: 'org.manage', allowed: 'A', expect: 201, change: true,
      call: (r) => ({ method: 'POST', path: '/org/nodes', body: { id: `sub-${uid(r)}`, parentId: 'region-east', kind: 'region', name: 'sub-region' } }),
    },
    { route: 'patch /org/nodes/{id}', permission: 'org.manage', allowed: 'A', expect: 200, change: true, call: (r) => ({ method: 'PATCH', path: `/org/nodes/fix-${r}`, body: { name: `renamed ${r}` } }) },
    { route: 'post /org/nodes/{id}/move', permission: 'org.manage', allowed: 'A', expect: 200, change: true, call: (r) => ({ method: 'POST', path: `/org/nodes/fix-${r}/move`, body: { parentId: 'region-south' } }) },
    { route: 'get /roles', permission: 'operator.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/roles' }) },
    { route: 'get /roles/{code}', permission: 'operator.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/roles/cashier' }) },
    { route: 'post /roles', permission: 'role.manage', allowed: 'A', expect: 201, change: true, call: (r) => ({ method: 'POST', path: '/roles', body: { code: `role_${uid(r)}`, name: 'custom', permissions: ['member.read', 'report.read'] } }) },
    { route: 'patch /roles/{code}', permission: 'role.manage', allowed: 'A', expect: 200, change: true, call: (r) => ({ method: 'PATCH', path: `/roles/fix_${r.toLowerCase()}`, body: { permissions: ['member.read', 'audit.read'] } }) },
    { route: 'delete /roles/{code}', permission: 'role.manage', allowed: 'A', expect: 204, change: true, call: (r) => ({ method: 'DELETE', path: `/roles/fix_${r.toLowerCase()}` }) },
    { route: 'get /operators', permission: 'operator.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/operators' }) },
    { route: 'get /operators/{id}', permission: 'operator.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/operators/op-sh-01-cashier-2' }) },
    {
      route: 'post /operators', permission: 'operator.manage', allowed: 'ARS', expect: 201, change: true,
      call: (r) => {
        const id = uid(r);
        return { method: 'POST', path: '/operators', body: { id: `op-new-${id}`, nodeId: 'store-sh-01', name: 'new cashier', login: `new.${id}`, password: 'new-cashier-pw-1', pin: '4321', grants: [{ nodeId: 'store-sh-01', role: 'cashier' }] } };
      },
    },
    { route: 'patch /operators/{id}', permission: 'operator.manage', allowed: 'ARS', expect: 200, change: true, call: (r) => ({ method: 'PATCH', path: `/operators/op-fix-${r}`, body: { name: `renamed by ${r}` } }) },
    { route: 'post /operators/{id}/grants', permission: 'operator.manage', allowed: 'ARS', expect: 201, change: true, call: (r) => ({ method: 'POST', path: `/operators/op-fix-${r}/grants`, body: { nodeId: 'store-sh-01', role: 'store_manager' } }) },
    { route: 'delete /operators/{id}/grants/{nodeId}/{role}', permission: 'operator.manage', allowed: 'ARS', expect: 204, change: true, call: (r) => ({ method: 'DELETE', path: `/operators/op-fix-${r}/grants/store-sh-01/cashier` }) },
    { route: 'post /operators/{id}/unlock', permission: 'operator.manage', allowed: 'ARS', expect: 200, change: true, call: (r) => ({ method: 'POST', path: `/operators/op-fix-${r}/unlock` }) },
    { route: 'get /audit', permission: 'audit.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/audit?limit=5' }) },
    // Reconciliation, dashboard, reports, settlement (routes-finance.ts).
    { route: 'get /reconciliation', permission: 'event.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/reconciliation?date=2026-11-20' }) },
    { route: 'get /members/{id}/promotions', permission: 'member.read', allowed: 'AFRSC', expect: 200, call: () => ({ method: 'GET', path: '/members/m-0001/promotions' }) },
    { route: 'get /dashboard', permission: 'report.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/dashboard' }) },
    { route: 'get /reports', permission: 'report.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/reports' }) },
    { route: 'get /reports/{name}', permission: 'report.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/reports/sales-by-day?from=2026-11-01&to=2026-11-30' }) },
    { route: 'get /settlement/statements', permission: 'report.read', allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/settlement/statements' }) },
    { route: 'post /settlement/statements', permission: 'member.adjust', allowed: 'AF', expect: 201, change: true, call: () => ({ method: 'POST', path: '/settlement/statements', body: { periodStart: '2026-11-01', periodEnd: '2026-11-30' } }) },
    { route: 'get /settlement/statements/{id}', permission: 'report.read', allowed: 'AFRS', expect: 404, call: () => ({ method: 'GET', path: '/settlement/statements/no-such-statement' }) },
    { route: 'post /settlement/statements/{id}/confirm', permission: 'member.adjust', allowed: 'AF', expect: 404, call: () => ({ method: 'POST', path: '/settlement/statements/no-such-statement/confirm' }) },
    { route: 'get /settlement/statements/{id}/export', permission: 'report.read', allowed: 'AFRS', expect: 404, call: () => ({ method: 'GET', path: '/settlement/statements/no-such-statement/export?format=xlsx' }) },
    // Promotions (routes-promotions.ts): read with promotion.write, promotion.approve or report.read.
    { route: 'get /promotions', permission: null, allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/promotions' }) },
    { route: 'post /promotions', permission: 'promotion.write', allowed: 'AR', expect: 201, change: true, call: (r) => ({ method: 'POST', path: '/promotions', body: promotionBody(`promo-${uid(r)}`) }) },
    { route: 'get /promotions/{id}', permission: null, allowed: 'AFRS', expect: 200, denied: 404, call: async (r) => ({ method: 'GET', path: `/promotions/${await promotionFor(r, false)}` }) },
    { route: 'get /promotions/{id}/budget', permission: null, allowed: 'AFRS', expect: 404, denied: 404, call: async (r) => ({ method: 'GET', path: `/promotions/${await promotionFor(r, false)}/budget` }) },
    {
      route: 'put /promotions/{id}', permission: 'promotion.write', allowed: 'AR', expect: 200, change: true,
      call: async (r) => {
        const id = await promotionFor(r, false);
        return { method: 'PUT', path: `/promotions/${id}`, body: { ...promotionBody(id), name: 'changed' } };
      },
    },
    // Their promotion is no coupon promotion: a role that may issue is told so (400), others are refused.
    { route: 'post /promotions/{id}/coupons', permission: 'promotion.write', allowed: 'AR', expect: 400, call: async (r) => ({ method: 'POST', path: `/promotions/${await promotionFor(r, false)}/coupons`, body: { count: 1 } }) },
    { route: 'get /promotions/{id}/coupons', permission: null, allowed: 'AFRS', expect: 200, denied: 404, call: async (r) => ({ method: 'GET', path: `/promotions/${await promotionFor(r, false)}/coupons` }) },
    { route: 'post /promotions/{id}/submit', permission: 'promotion.write', allowed: 'AR', expect: 200, change: true, call: async (r) => ({ method: 'POST', path: `/promotions/${await promotionFor(r, false)}/submit` }) },
    { route: 'post /promotions/{id}/approve', permission: 'promotion.approve', allowed: 'AF', expect: 200, change: true, call: async (r) => ({ method: 'POST', path: `/promotions/${await promotionFor(r, true)}/approve` }) },
    { route: 'post /promotions/{id}/reject', permission: 'promotion.approve', allowed: 'AF', expect: 200, change: true, call: async (r) => ({ method: 'POST', path: `/promotions/${await promotionFor(r, true)}/reject`, body: { reason: 'not now' } }) },
    { route: 'post /promotions/{id}/end', permission: null, allowed: 'AFR', expect: 200, change: true, call: async (r) => ({ method: 'POST', path: `/promotions/${await promotionFor(r, false)}/end`, body: { reason: 'over' } }) },
    { route: 'get /promotion-reports', permission: null, allowed: 'AFRS', expect: 200, call: () => ({ method: 'GET', path: '/promotion-reports?from=2026-11-01&to=2026-11-30' }) },
  ];

  it('covers every route of the router', () => {
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
    const routes = new Set<string>();
    // Routes mounted directly and those of routers mounted without a path (routes-finance.ts).
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.handle?.stack) walk(layer.handle.stack);
        if (!layer.route) continue;
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') routes.add(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      }
    };
    walk((createApiRouter({ sql: t.sql, log: () => {} }) as unknown as { stack: Layer[] }).stack);
    expect(cases.map((c) => c.route).sort()).toEqual([...routes].sort());
  });

  it('the table agrees with the built-in roles’ permissions', () => {
    for (const c of cases) {
      if (!c.permission) continue;
      const byMatrix = ROLES.filter((r) => BUILT_IN_ROLES[ROLE_OF[r].role]!.permissions.includes(c.permission!)).join('');
      expect({ route: c.route, allowed: byMatrix }).toEqual({ route: c.route, allowed: c.allowed });
    }
  });

  for (const c of cases) {
    for (const r of ROLES) {
      const allowed = c.allowed.includes(r);
      it(`${ROLE_OF[r].role} ${allowed ? 'may' : 'may not'} ${c.route}`, async () => {
        const call = await c.call(r);
        const [mark] = await t.sql`select coalesce(max(id), 0)::bigint as id from audit_log`;
        const reply = await req(call, r);
        if (allowed) {
          expect({ status: reply.status, body: reply.status === c.expect ? null : reply.body }).toEqual({ status: c.expect, body: null });
          if (c.change) {
            // Every change leaves an entry by this operator.
            const entries = await t.sql`select action from audit_log where id > ${mark!.id} and operator_id = ${ROLE_OF[r].operatorId} and action <> 'operator.signed_in'`;
            expect(entries.length, `${c.route} by ${ROLE_OF[r].role} left no audit entry`).toBeGreaterThan(0);
          }
        } else {
          const code = c.denied === 404 ? 'NOT_FOUND' : 'FORBIDDEN';
          expect(reply).toEqual({ status: c.denied ?? 403, body: { error: { code, message: expect.any(String) } } });
          const entries = await t.sql`select action from audit_log where id > ${mark!.id} and operator_id = ${ROLE_OF[r].operatorId} and action <> 'operator.signed_in'`;
          expect(entries.map((e) => e.action)).toEqual([]);
        }
      });
    }
  }
});
