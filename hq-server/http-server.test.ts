import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import type { Sql } from './database';
import { housekeepOnce } from './housekeeping';
import { createApiRouter, createHttpApp } from './http-server';
import { openApiDocument } from './openapi';
import { pushEvents } from './push-events';
import { seedChain } from './seed';
import { startTestDatabase, type TestDatabase } from './testing/pg';

describe('HQ REST API', () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  let adminToken: string;

  beforeAll(async () => {
    db = await startTestDatabase();
    await seedChain(db.sql, demoChain);
    server = createHttpApp({ sql: db.sql, log: () => {} }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    adminToken = (await signIn('admin', 'onecard-demo')).body.token;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await db?.stop();
  });

  async function request(method: string, path: string, options: { token?: string; body?: unknown; raw?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)) });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: res.headers };
  }
  const signIn = (login: string, password: string) => request('POST', '/api/v1/sessions', { body: { login, password } });
  const expectError = (r: { status: number; body: any }, status: number, code: string) => {
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: { code, message: expect.any(String) } });
  };

  it('health answers 200 with the database up', async () => {
    const r = await request('GET', '/api/v1/health');
    expect(r).toMatchObject({ status: 200, body: { status: 'ok', database: 'up' } });
  });

  it('health answers 503 with the database down', async () => {
    const broken = (() => Promise.reject(new Error('connection refused'))) as unknown as Sql;
    const app = createHttpApp({ sql: broken, log: () => {} }).listen(0, '127.0.0.1');
    await new Promise((resolve) => app.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/api/v1/health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', database: 'down' });
    } finally {
      await new Promise((resolve) => app.close(resolve));
    }
  });

  it('the OpenAPI document describes every route and only those', async () => {
    const router = createApiRouter({ sql: db.sql, log: () => {} }) as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
    const routes = new Set<string>();
    for (const layer of router.stack) {
      if (!layer.route) continue;
      for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') routes.add(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(openApiDocument.paths)) for (const method of Object.keys(item)) documented.add(`${method} ${path}`);
    expect([...routes].sort()).toEqual([...documented].sort());
    expect(routes.size).toBeGreaterThanOrEqual(9);
    const served = await request('GET', '/api/v1/openapi.json');
    expect(served.status).toBe(200);
    expect(served.body.openapi).toBe('3.1.0');
    expect(Object.keys(served.body.paths)).toEqual(Object.keys(openApiDocument.paths));
  });

  it('signs an operator in and refuses wrong passwords and malformed bodies', async () => {
    const ok = await signIn('admin', 'onecard-demo');
    expect(ok.status).toBe(201);
    expect(ok.body.operator).toMatchObject({ login: 'admin', nodeId: 'hq', roles: ['hq_admin'] });
    expect(ok.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expectError(await signIn('admin', 'wrong'), 401, 'UNAUTHENTICATED');
    expectError(await signIn('nobody', 'onecard-demo'), 401, 'UNAUTHENTICATED');
    const missing = await request('POST', '/api/v1/sessions', { body: { login: 'admin' } });
    expectError(missing, 400, 'VALIDATION_FAILED');
    expect(missing.body.error.message).toMatch(/password/);
    expectError(await request('POST', '/api/v1/sessions', { raw: '{"login": ' }), 400, 'VALIDATION_FAILED');
  });

  it('needs a live session for everything else; signing out ends it', async () => {
    expectError(await request('GET', '/api/v1/terminals'), 401, 'UNAUTHENTICATED');
    expectError(await request('GET', '/api/v1/terminals', { token: 'forged' }), 401, 'UNAUTHENTICATED');
    const { token } = (await signIn('finance', 'onecard-demo')).body;
    expect((await request('GET', '/api/v1/terminals', { token })).status).toBe(200);
    expect((await request('DELETE', '/api/v1/sessions/current', { token })).status).toBe(204);
    expectError(await request('GET', '/api/v1/terminals', { token }), 401, 'UNAUTHENTICATED');
    await db.sql`update sessions set expires_at = now() - interval '1 second'`;
    expectError(await request('GET', '/api/v1/terminals', { token: adminToken }), 401, 'UNAUTHENTICATED');
    adminToken = (await signIn('admin', 'onecard-demo')).body.token;
  });

  it('housekeeping forgets sessions that ended more than a day ago', async () => {
    const { token } = (await signIn('finance', 'onecard-demo')).body;
    await db.sql`update sessions set expires_at = now() - interval '2 days' where operator_id = 'op-finance'`;
    const logs: string[] = [];
    await housekeepOnce(db.sql, (m) => logs.push(m), Date.now());
    expect(logs).toEqual([]);
    const [n] = await db.sql`select count(*)::int as n from sessions where operator_id = 'op-finance'`;
    expect(n!.n).toBe(0);
    expectError(await request('GET', '/api/v1/terminals', { token }), 401, 'UNAUTHENTICATED');
  });

  it('finds members by phone, name and card number', async () => {
    const m = demoChain.members[0]!;
    for (const q of [m.phone.slice(0, 7), m.name, m.cards[0]!.cardNo.toLowerCase()]) {
      const r = await request('GET', `/api/v1/members?query=${encodeURIComponent(q)}`, { token: adminToken });
      expect(r.status).toBe(200);
      expect(r.body.members.map((x: { id: string }) => x.id)).toContain(m.id);
    }
    expectError(await request('GET', '/api/v1/members', { token: adminToken }), 400, 'VALIDATION_FAILED');
    const none = await request('GET', '/api/v1/members?query=%25', { token: adminToken });
    expect(none.body.members).toEqual([]);
  });

  it('shows a member with cards, stored value, points and transactions; 404 for unknown ids', async () => {
    const m = demoChain.members[0]!;
    const opening = demoChain.openingBalances.find((b) => b.cardId === m.cards[0]!.id)!;
    const r = await request('GET', `/api/v1/members/${m.id}`, { token: adminToken });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: m.id, name: m.name, level: { code: m.levelCode } });
    expect(r.body.cards[0]).toMatchObject({ cardNo: m.cards[0]!.cardNo, currency: 'CNY', principal: { posted: opening.principalMinor, held: 0 }, bonus: { posted: opening.bonusMinor } });
    expect(r.body.points.posted).toBe(demoChain.openingPoints.find((p) => p.memberId === m.id)!.points);
    expect(r.body.transactions.some((t: { code: string }) => t.code === 'OPENING_BALANCE')).toBe(true);
    expectError(await request('GET', '/api/v1/members/no-such-member', { token: adminToken }), 404, 'NOT_FOUND');
    expectError(await request('GET', '/api/v1/no-such-route', { token: adminToken }), 404, 'NOT_FOUND');
  });

  it('lists terminals within the operator’s part of the chain and issues enrollment codes', async () => {
    const all = await request('GET', '/api/v1/terminals', { token: adminToken });
    expect(all.body.terminals.map((t: { id: string }) => t.id).sort()).toEqual(demoChain.terminals.map((t) => t.id).sort());
    expect(all.body.terminals[0]).toMatchObject({ enrolled: false, revoked: false, ackedSeq: 0, lastContactAt: null });
    const south = (await signIn('south.manager', 'onecard-demo')).body.token;
    const theirs = await request('GET', '/api/v1/terminals', { token: south });
    expect(theirs.body.terminals.map((t: { storeId: string }) => t.storeId)).toEqual(['store-gz-01']);
    expectError(await request('POST', '/api/v1/terminals/t-sh-01-1/enrollment-codes', { token: south, body: {} }), 403, 'FORBIDDEN');

    const code = await request('POST', '/api/v1/terminals/t-sh-01-1/enrollment-codes', { token: adminToken, body: { ttlMinutes: 30 } });
    expect(code.status).toBe(201);
    expect(code.body.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(Date.parse(code.body.expiresAt)).toBeGreaterThan(Date.now());
    expectError(await request('POST', '/api/v1/terminals/no-such/enrollment-codes', { token: adminToken, body: {} }), 404, 'NOT_FOUND');
    expectError(await request('POST', '/api/v1/terminals/t-sh-01-1/enrollment-codes', { token: adminToken, body: { ttlMinutes: 'soon' } }), 400, 'VALIDATION_FAILED');
    const cashier = (await signIn('sh01.cashier1', 'onecard-demo')).body.token;
    expectError(await request('GET', '/api/v1/terminals', { token: cashier }), 403, 'FORBIDDEN');
  });

  it('revokes a terminal', async () => {
    expect((await request('POST', '/api/v1/terminals/t-hz-01-1/revocation', { token: adminToken })).status).toBe(204);
    const list = await request('GET', '/api/v1/terminals', { token: adminToken });
    expect(list.body.terminals.find((t: { id: string }) => t.id === 't-hz-01-1')).toMatchObject({ revoked: true });
  });

  it('lists quarantined events with their reasons', async () => {
    await pushEvents(db.sql, { terminalId: 't-sh-01-1', storeId: 'store-sh-01' }, [{ seq: '1', id: 'bad-event', occurredAt: '1', transfers: [] }]);
    const r = await request('GET', '/api/v1/events?status=quarantined', { token: adminToken });
    expect(r.status).toBe(200);
    expect(r.body.events).toHaveLength(1);
    expect(r.body.events[0]).toMatchObject({ terminalId: 't-sh-01-1', seq: 1, eventId: 'bad-event', status: 'quarantined', reason: expect.stringMatching(/body/) });
    expectError(await request('GET', '/api/v1/events?status=lost', { token: adminToken }), 400, 'VALIDATION_FAILED');
  });

  it('serves the console page', async () => {
    const r = await request('GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.body).toContain('OneCard HQ');
    expect(r.body).toContain('/api/v1');
  });
});
