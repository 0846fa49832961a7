import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { changeFromWire, type TerminalOperator } from '../protocols/sync/v1/codec';
import { MAX_FAILED_SIGN_INS } from './operators';
import { startTestHq } from './testing/hq';
import { line, Scenario, type Till } from './testing/scenario';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';

/**
 * Organisation and scope against a whole HQ: sales pushed by real tills over gRPC, read back
 * through REST by operators of different regions; a store moved between regions; the operator
 * feed; brute force and the lock; the audit log and its append-only trigger.
 */
describe('organisation, scope and audit', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let s: Scenario;
  let gz: Till;
  let sh: Till;
  let gzSaleId: string;
  let shSaleId: string;
  const token: Record<string, string> = {};

  async function request(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${hq.httpUrl}/api/v1${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : (text as any) };
  }
  const as = (who: string) => ({
    get: (path: string) => request('GET', path, { token: token[who] }),
    post: (path: string, body?: unknown) => request('POST', path, { token: token[who], body }),
    patch: (path: string, body: unknown) => request('PATCH', path, { token: token[who], body }),
  });
  async function signIn(login: string, password = 'onecard-demo') {
    return request('POST', '/sessions', { body: { login, password } });
  }
  async function operatorsPulledBy(till: Till): Promise<Map<string, { deleted: boolean; operator: TerminalOperator }>> {
    const pulled = await client.call('PullChanges', { cursor: '0', limit: 2000 }, till.credential);
    const out = new Map<string, { deleted: boolean; operator: TerminalOperator }>();
    for (const c of pulled.changes.map(changeFromWire)) if (c.body.type === 'operator') out.set(c.body.operator.id, { deleted: c.deleted, operator: c.body.operator });
    return out;
  }

  beforeAll(async () => {
    hq = await startTestHq(demoChain, { jobs: false });
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    gz = await s.enroll('t-gz-01-1', 'store-gz-01', await hq.enrollmentCode('t-gz-01-1'));
    sh = await s.enroll('t-sh-01-1', 'store-sh-01', await hq.enrollmentCode('t-sh-01-1'));
    // m-0017 (home store in the south) shops only in the south; m-0001 (east) in both regions.
    gzSaleId = (await s.onlineStoredValueSale(gz, { memberId: 'm-0017', cardId: 'c-0019' }, [line(1, 1, 500)], 5)).id;
    await s.topUp(gz, { memberId: 'm-0001', cardId: 'c-0001' }, 10_000, 0);
    shSaleId = (await s.onlineStoredValueSale(sh, { memberId: 'm-0001', cardId: 'c-0001' }, [line(1, 1, 300)], 3)).id;
    for (const [who, login] of [['admin', 'admin'], ['east', 'east.manager'], ['south', 'south.manager'], ['finance', 'finance']] as const) {
      token[who] = (await signIn(login)).body.token;
    }
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  describe('member data: profile, cards and balances chain-wide, transactions regional', () => {
    it('a regional manager of the east sees a south member’s profile, cards and balances, but none of their transactions', async () => {
      const r = await as('east').get('/members/m-0017');
      expect(r.status).toBe(200);
      expect(r.body.cards.map((c: { id: string }) => c.id)).toEqual(['c-0019']);
      expect(r.body.cards[0].principal.posted).toBeGreaterThanOrEqual(0);
      expect(r.body.transactions).toEqual([]);
      expect((await as('east').get('/members/m-0017/transactions')).body).toEqual({ transactions: [] });
      expect((await as('south').get('/members/m-0017/transactions')).body.transactions.some((t: { documentId: string }) => t.documentId === gzSaleId)).toBe(true);
    });

    it('cannot read a south sale, and cannot change the south member’s cards', async () => {
      expect(await as('east').get(`/sales/${gzSaleId}`)).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect(await as('south').get(`/sales/${gzSaleId}`)).toMatchObject({ status: 200, body: { id: gzSaleId, storeId: 'store-gz-01' } });
      expect(await as('east').post('/cards/c-0019/status', { action: 'freeze', reason: 'not mine' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect(await as('east').post('/members/m-0017/cards', { cardNo: 'EASTX0001', medium: 'barcode' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      const [card] = await hq.sql`select status from cards where id = 'c-0019'`;
      expect(card!.status).toBe('active');
    });

    it('an east member who shopped in the south: the east manager sees the east sale, not the south top-up', async () => {
      const mine = (await as('east').get('/members/m-0001')).body.transactions as Array<{ documentId: string | null; terminalId: string | null }>;
      expect(mine.some((t) => t.documentId === shSaleId)).toBe(true);
      expect(mine.every((t) => t.terminalId !== 't-gz-01-1')).toBe(true);
      const all = (await as('admin').get('/members/m-0001')).body.transactions as Array<{ terminalId: string | null }>;
      expect(all.some((t) => t.terminalId === 't-gz-01-1')).toBe(true);
    });

    it('events, terminals and exposure of the south are not listed for the east', async () => {
      const events = (await as('east').get('/events')).body.events as Array<{ terminalId: string }>;
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.terminalId.startsWith('t-sh') || e.terminalId.startsWith('t-hz'))).toBe(true);
      const terminals = (await as('east').get('/terminals')).body.terminals as Array<{ storeId: string }>;
      expect(new Set(terminals.map((t) => t.storeId))).toEqual(new Set(['store-sh-01', 'store-hz-01']));
    });
  });

  describe('the operator feed', () => {
    it('a terminal gets the operators who may sign in at its store, with the permissions their grants give there, hashes only', async () => {
      const ops = await operatorsPulledBy(gz);
      const live = [...ops.values()].filter((o) => !o.deleted).map((o) => o.operator.id).sort();
      expect(live).toEqual(['op-admin', 'op-finance', 'op-gz-01-cashier-1', 'op-gz-01-cashier-2', 'op-gz-01-manager', 'op-south-manager']);
      expect(ops.get('op-east-manager')?.deleted).toBe(true);
      const cashier = ops.get('op-gz-01-cashier-1')!.operator;
      expect(cashier.permissions).toEqual(['member.read', 'org.read', 'sale.create', 'sale.refund']);
      expect(cashier.pinHash).toMatch(/^\$argon2id\$/);
      expect(cashier.locked).toBe(false);
      expect(ops.get('op-gz-01-manager')!.operator.permissions).toContain('sale.void');
    });

    it('a new grant, a card number and a PIN reach the terminal', async () => {
      const made = await as('admin').post('/operators', {
        id: 'op-gz-01-cashier-3', nodeId: 'store-gz-01', name: '收银员 新', login: 'gz01.cashier3', password: 'cashier-pass-3', pin: '5829', cardNo: 'OPCARD7303',
        grants: [{ nodeId: 'store-gz-01', role: 'cashier' }],
      });
      expect(made.status).toBe(201);
      const o = (await operatorsPulledBy(gz)).get('op-gz-01-cashier-3')!;
      expect(o).toMatchObject({ deleted: false, operator: { cardNo: 'OPCARD7303', login: 'gz01.cashier3' } });
      expect(JSON.stringify(o)).not.toContain('5829'); // the PIN itself never travels, only its hash
      expect((await operatorsPulledBy(sh)).get('op-gz-01-cashier-3')?.deleted ?? true).toBe(true);
    });

    it('a store manager cannot grant more than they hold, nor outside their store', async () => {
      token.gzManager = (await signIn('gz01.manager')).body.token;
      expect(await as('gzManager').post('/operators/op-gz-01-cashier-3/grants', { nodeId: 'store-gz-01', role: 'regional_manager' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect(await as('gzManager').post('/operators/op-gz-01-cashier-3/grants', { nodeId: 'region-south', role: 'cashier' })).toMatchObject({ status: 403 });
      expect(await as('gzManager').post('/operators/op-gz-01-cashier-3/grants', { nodeId: 'store-gz-01', role: 'store_manager' })).toMatchObject({ status: 201 });
    });
  });

  describe('custom roles and grants at different nodes', () => {
    it('a custom role granted at another region gives its permissions there only, and reaches that region’s terminals', async () => {
      const role = await as('admin').post('/roles', { code: 'south_auditor', name: 'South auditor', permissions: ['member.read', 'audit.read', 'event.read'] });
      expect(role).toMatchObject({ status: 201, body: { code: 'south_auditor', builtIn: false } });
      expect(await as('admin').post('/roles', { code: 'bad_role', name: 'x', permissions: ['member.read', 'no.such'] })).toMatchObject({ status: 400 });
      // A regional manager may not grant it at a region that is not theirs.
      expect(await as('east').post('/operators/op-east-manager/grants', { nodeId: 'region-south', role: 'south_auditor' })).toMatchObject({ status: 403 });
      expect(await as('admin').post('/operators/op-east-manager/grants', { nodeId: 'region-south', role: 'south_auditor' })).toMatchObject({ status: 201 });
      // Now the east manager reads the south's sale and events, but still cannot change the south's members.
      expect(await as('east').get(`/sales/${gzSaleId}`)).toMatchObject({ status: 200 });
      expect(((await as('east').get('/events')).body.events as Array<{ terminalId: string }>).some((e) => e.terminalId === 't-gz-01-1')).toBe(true);
      expect(await as('east').post('/cards/c-0019/status', { action: 'freeze', reason: 'still not mine' })).toMatchObject({ status: 403 });
      // The south's till now lists the east manager, with the auditor's permissions only.
      const there = (await operatorsPulledBy(gz)).get('op-east-manager')!;
      expect(there).toMatchObject({ deleted: false, operator: { permissions: ['audit.read', 'event.read', 'member.read'] } });
      // Taking the grant back takes it all back.
      expect((await request('DELETE', '/operators/op-east-manager/grants/region-south/south_auditor', { token: token.admin })).status).toBe(204);
      expect(await as('east').get(`/sales/${gzSaleId}`)).toMatchObject({ status: 403 });
      expect((await operatorsPulledBy(gz)).get('op-east-manager')?.deleted).toBe(true);
      expect(await request('DELETE', '/roles/south_auditor', { token: token.admin })).toMatchObject({ status: 204 });
    });
  });

  describe('org.manage is scoped too', () => {
    it('a region’s own organiser adds and renames stores in their region, cannot move one out, nor touch another region; built-in roles stay as they are', async () => {
      expect((await as('admin').post('/roles', { code: 'east_org', name: 'East organiser', permissions: ['org.read', 'org.manage'] })).status).toBe(201);
      expect((await as('admin').post('/operators/op-east-manager/grants', { nodeId: 'region-east', role: 'east_org' })).status).toBe(201);
      const made = await as('east').post('/org/nodes', { id: 'store-nj-01', parentId: 'region-east', kind: 'store', name: '南京新街口店', franchisee: '南京果然好贸易' });
      expect(made).toMatchObject({ status: 201, body: { id: 'store-nj-01', kind: 'store', timeZone: 'Asia/Shanghai', currency: 'CNY', franchisee: '南京果然好贸易' } });
      const [accounts] = await hq.sql`select count(*)::int as n from accounts where owner = 'store-nj-01'`;
      expect(accounts!.n).toBeGreaterThan(0);
      expect(await as('east').post('/org/nodes', { id: 't-nj-01-1', parentId: 'store-nj-01', kind: 'terminal', name: '1号收银台' })).toMatchObject({ status: 201, body: { kind: 'terminal', storeId: 'store-nj-01' } });
      expect(await as('east').patch('/org/nodes/store-nj-01', { name: '南京新街口旗舰店' })).toMatchObject({ status: 200 });
      expect(await as('east').post('/org/nodes/store-nj-01/move', { parentId: 'region-south' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect(await as('east').patch('/org/nodes/store-gz-01', { name: 'not mine' })).toMatchObject({ status: 403 });
      expect(await as('east').post('/org/nodes', { id: 'region-x', parentId: 'hq', kind: 'region', name: 'x' })).toMatchObject({ status: 403 });
      expect(await as('admin').patch('/roles/cashier', { permissions: ['sale.void'] })).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
      expect(await request('DELETE', '/roles/hq_admin', { token: token.admin })).toMatchObject({ status: 409 });
      expect(await request('DELETE', '/roles/east_org', { token: token.admin })).toMatchObject({ status: 409 }); // still held
      expect((await request('DELETE', '/operators/op-east-manager/grants/region-east/east_org', { token: token.admin })).status).toBe(204);
    });
  });

  describe('moving a store', () => {
    it('refuses moving HQ, a cycle, and a store as a parent', async () => {
      await as('admin').post('/org/nodes', { id: 'region-east-north', parentId: 'region-east', kind: 'region', name: '华东北片' });
      expect(await as('admin').post('/org/nodes/hq/move', { parentId: 'region-east' })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      expect(await as('admin').post('/org/nodes/region-east/move', { parentId: 'region-east-north' })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      expect(await as('admin').post('/org/nodes/region-east/move', { parentId: 'region-east' })).toMatchObject({ status: 400 });
      expect(await as('admin').post('/org/nodes/region-east-north/move', { parentId: 'store-sh-01' })).toMatchObject({ status: 400 });
      const [n] = await hq.sql`select parent_id from org_nodes where id = 'region-east'`;
      expect(n!.parent_id).toBe('hq');
    });

    it('keeps the store’s history and hands it to the new region: the east sees it, the south no longer does', async () => {
      const before = await hq.sql`select count(*)::int as n from sales where store_id = 'store-gz-01'`;
      const moved = await as('admin').post('/org/nodes/store-gz-01/move', { parentId: 'region-east-north' });
      expect(moved).toMatchObject({ status: 200, body: { id: 'store-gz-01', parentId: 'region-east-north', franchisee: '广州鲜达商贸有限公司' } });
      expect(await hq.sql`select count(*)::int as n from sales where store_id = 'store-gz-01'`).toEqual(before);
      expect(await as('east').get(`/sales/${gzSaleId}`)).toMatchObject({ status: 200, body: { id: gzSaleId } });
      expect(await as('south').get(`/sales/${gzSaleId}`)).toMatchObject({ status: 403 });
      expect((await as('east').get('/members/m-0017/transactions')).body.transactions.length).toBeGreaterThan(0);
      expect((await as('south').get('/members/m-0017/transactions')).body.transactions).toEqual([]);
      const node = await as('admin').get('/org/nodes/store-gz-01');
      expect(node.body.moves).toEqual([{ fromParentId: 'region-south', toParentId: 'region-east-north', movedBy: 'op-admin', movedAt: expect.any(String) }]);
      // Who may sign in at the store follows: the east manager now, the south manager no longer.
      const ops = await operatorsPulledBy(gz);
      expect(ops.get('op-east-manager')?.deleted).toBe(false);
      expect(ops.get('op-south-manager')?.deleted).toBe(true);
    });

    it('renames, sets the time zone and marks the franchise, each audited with before and after', async () => {
      const r = await as('admin').patch('/org/nodes/store-gz-01', { name: '广州天河店', timeZone: 'Asia/Hong_Kong', franchisee: null });
      expect(r).toMatchObject({ status: 200, body: { name: '广州天河店', timeZone: 'Asia/Hong_Kong', franchisee: null } });
      expect(await as('admin').patch('/org/nodes/store-gz-01', { timeZone: 'Mars/Olympus' })).toMatchObject({ status: 400 });
      expect(await as('admin').patch('/org/nodes/store-gz-01', { currency: 'HKD' })).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
      const audit = await as('admin').get('/audit?entityKind=org_node&entityId=store-gz-01');
      const actions = (audit.body.entries as Array<{ action: string; before: any; after: any; role: string }>).map((e) => e.action);
      expect(actions).toEqual(['org.node_updated', 'org.node_moved']);
      const [updated, movedEntry] = audit.body.entries;
      expect(updated.before).toMatchObject({ franchisee: '广州鲜达商贸有限公司', timeZone: 'Asia/Shanghai' });
      expect(updated.after).toMatchObject({ franchisee: null, timeZone: 'Asia/Hong_Kong' });
      expect(movedEntry).toMatchObject({ before: { parentId: 'region-south' }, after: { parentId: 'region-east-north' }, role: 'hq_admin', operatorId: 'op-admin' });
    });
  });

  describe('HQ sign-in', () => {
    it(`${MAX_FAILED_SIGN_INS} wrong passwords lock the account until it is unlocked, and the lock is audited`, async () => {
      for (let i = 1; i < MAX_FAILED_SIGN_INS; i++) expect((await signIn('hz01.cashier1', `wrong-${i}`)).status).toBe(401);
      expect(await signIn('hz01.cashier1', 'wrong-last')).toMatchObject({ status: 423, body: { error: { code: 'ACCOUNT_LOCKED' } } });
      expect(await signIn('hz01.cashier1')).toMatchObject({ status: 423, body: { error: { code: 'ACCOUNT_LOCKED' } } });
      const locked = await as('admin').get('/audit?action=operator.locked&operatorId=op-hz-01-cashier-1');
      expect(locked.body.entries).toHaveLength(1);
      expect(locked.body.entries[0]).toMatchObject({ entityId: 'op-hz-01-cashier-1', before: { locked: false }, after: { locked: true } });
      // The east manager (hz is theirs) sees it too; the south manager does not.
      expect((await as('east').get('/audit?action=operator.locked')).body.entries).toHaveLength(1);
      expect((await as('south').get('/audit?action=operator.locked')).body.entries).toHaveLength(0);
      const unlocked = await as('east').post('/operators/op-hz-01-cashier-1/unlock');
      expect(unlocked).toMatchObject({ status: 200, body: { locked: false, failedSignIns: 0 } });
      expect((await signIn('hz01.cashier1')).status).toBe(201);
      expect((await as('admin').get('/audit?action=operator.unlocked')).body.entries).toHaveLength(1);
    });

    it('a right password resets the count of wrong ones', async () => {
      for (let i = 0; i < MAX_FAILED_SIGN_INS - 1; i++) expect((await signIn('hz01.cashier2', 'nope')).status).toBe(401);
      expect((await signIn('hz01.cashier2')).status).toBe(201);
      expect((await signIn('hz01.cashier2', 'nope')).status).toBe(401);
      const [o] = await hq.sql`select failed_sign_ins, locked_at from operators where id = 'op-hz-01-cashier-2'`;
      expect(o).toEqual({ failed_sign_ins: 1, locked_at: null });
    });

    it('changes a password with the old one; weak ones are refused; other sessions end', async () => {
      const first = (await signIn('sh01.cashier2')).body.token as string;
      const second = (await signIn('sh01.cashier2')).body.token as string;
      const weak = await request('POST', '/sessions/current/password', { token: first, body: { oldPassword: 'onecard-demo', newPassword: 'abcdefghij' } });
      expect(weak).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      expect(await request('POST', '/sessions/current/password', { token: first, body: { oldPassword: 'not-it', newPassword: 'new-secret-42' } })).toMatchObject({ status: 403 });
      expect((await request('POST', '/sessions/current/password', { token: first, body: { oldPassword: 'onecard-demo', newPassword: 'new-secret-42' } })).status).toBe(204);
      expect((await signIn('sh01.cashier2')).status).toBe(401);
      expect((await signIn('sh01.cashier2', 'new-secret-42')).status).toBe(201);
      expect((await request('GET', '/org/nodes', { token: second })).status).toBe(401);
      expect((await request('GET', '/org/nodes', { token: first })).status).toBe(200);
      expect((await as('admin').get('/audit?action=operator.password_changed')).body.entries).toMatchObject([{ operatorId: 'op-sh-01-cashier-2' }]);
    });
  });

  describe('the audit log', () => {
    it('refuses UPDATE, DELETE and TRUNCATE, whoever asks', async () => {
      const [row] = await hq.sql`select id from audit_log order by id limit 1`;
      await expect(hq.sql`update audit_log set action = 'x' where id = ${row!.id}`).rejects.toThrow(/append-only/);
      await expect(hq.sql`delete from audit_log where id = ${row!.id}`).rejects.toThrow(/append-only/);
      await expect(hq.sql`truncate audit_log`).rejects.toThrow(/append-only/);
      const [still] = await hq.sql`select action from audit_log where id = ${row!.id}`;
      expect(still!.action).not.toBe('x');
    });

    it('is searchable by operator, node, action and time, and a reader sees only their part of the chain', async () => {
      const all = await as('admin').get('/audit?operatorId=op-admin&limit=1000');
      expect(all.body.entries.length).toBeGreaterThan(3);
      expect(all.body.entries.every((e: { operatorId: string }) => e.operatorId === 'op-admin')).toBe(true);
      const future = await as('admin').get(`/audit?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
      expect(future.body.entries).toEqual([]);
      const south = await as('south').get('/audit?limit=1000');
      expect(south.status).toBe(200);
      const southNodes = new Set(['region-south']);
      expect(south.body.entries.every((e: { nodeId: string }) => southNodes.has(e.nodeId))).toBe(true);
      expect(await as('south').get('/audit?nodeId=store-sh-01')).toMatchObject({ status: 200, body: { entries: [] } });
      // There is no route that edits it.
      expect((await request('DELETE', '/audit', { token: token.admin })).status).toBe(404);
      expect((await request('PATCH', '/audit', { token: token.admin, body: {} })).status).toBe(404);
    });

    it('holds an entry for every change made through the REST API in this file', async () => {
      const actions = (await hq.sql`select distinct action from audit_log`).map((r) => r.action as string);
      for (const a of ['operator.created', 'operator.grant_added', 'org.node_created', 'org.node_moved', 'org.node_updated', 'operator.locked', 'operator.unlocked', 'operator.password_changed', 'operator.sign_in_failed']) {
        expect(actions).toContain(a);
      }
    });
  });
});
