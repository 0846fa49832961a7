import { mkdtemp, rm } from 'node:fs/promises';
import { jsonCaller } from './testing-http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from '../hq-server/index';
import { startTerminal, type RunningTerminal } from './index';

/**
 * Operators from HQ to the till: the pull feed brings who may sign in at the store (hashes only),
 * the terminal signs them in offline, and a change at HQ (a new operator card, a lock) reaches it.
 */
describe('operators: terminal against a real HQ', () => {
  const dirs: string[] = [];
  let hq: RunningHq;
  let terminal: RunningTerminal;
  let hqToken: string;

  const hqCall = jsonCaller(() => `${hq.httpUrl}/api/v1`, () => hqToken);
  const till = jsonCaller(() => terminal.uiUrl, () => terminal.token);

  beforeAll(async () => {
    const hqDir = await mkdtemp(join(tmpdir(), 'onecard-staff-hq-'));
    const tDir = await mkdtemp(join(tmpdir(), 'onecard-staff-terminal-'));
    dirs.push(hqDir, tDir);
    hq = await startHq({ dataDir: hqDir, httpPort: 0, grpcPort: 0, log: () => {}, jobs: false });
    await seedChain(hq.sql, demoChain);
    hqToken = (await hqCall('POST', '/sessions', { login: 'admin', password: 'onecard-demo' })).json.token;
    terminal = await startTerminal({ dataDir: tDir, hqAddress: hq.grpcAddress, enrollmentCode: await createEnrollmentCode(hq.sql, 't-sh-01-1'), syncIntervalMs: 600_000, log: () => {} });
    await terminal.syncNow();
  }, 60_000);
  afterAll(async () => {
    await terminal?.stop();
    await hq?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('lists the operators who may sign in at this store: its own, its region’s and HQ’s, not other stores’', async () => {
    const ops = (await till('GET', '/api/session/operators')).json.operators as Array<{ id: string }>;
    expect(ops.map((o) => o.id).sort()).toEqual(['op-admin', 'op-east-manager', 'op-finance', 'op-sh-01-cashier-1', 'op-sh-01-cashier-2', 'op-sh-01-manager']);
  });

  it('a cashier signs in with the PIN HQ hashed; a new operator card issued at HQ works after the next pull', async () => {
    expect(await till('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' })).toMatchObject({ status: 201, json: { session: { operator: { id: 'op-sh-01-cashier-1' } } } });
    expect((await till('POST', '/api/session', { cardNo: 'MGRCARD01' })).status).toBe(401);
    expect((await hqCall('PATCH', '/operators/op-sh-01-manager', { cardNo: 'MGRCARD01' })).status).toBe(200);
    await terminal.syncNow();
    expect(await till('POST', '/api/session', { cardNo: 'MGRCARD01' })).toMatchObject({ status: 201, json: { session: { method: 'card', operator: { id: 'op-sh-01-manager' } } } });
  });

  it('a cashier cannot void without a supervisor; the store manager’s card from HQ allows it', async () => {
    await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '5102' });
    const sale = (await till('POST', '/api/sales')).json;
    await till('POST', `/api/sales/${sale.id}/items`, { barcode: '6901028001014' });
    // The till's own void (DELETE of the line), as the cashier app calls it.
    expect((await till('DELETE', `/api/sales/${sale.id}/items/1`)).status).toBe(403);
    expect((await till('GET', `/api/sales/${sale.id}`)).json.lines).toHaveLength(1);
    expect(await till('DELETE', `/api/sales/${sale.id}/items/1`, { supervisor: { cardNo: 'MGRCARD01' } })).toMatchObject({ status: 200, json: { lines: [], approval: { approvedBy: 'op-sh-01-manager', method: 'card' } } });
  });

  it('the override reaches HQ’s audit log with the next push: who was signed in, who approved, what', async () => {
    await terminal.syncNow();
    const r = await hqCall('GET', '/audit?action=till.override.granted');
    expect(r.json.entries).toMatchObject([
      { operatorId: 'op-sh-01-cashier-2', terminalId: 't-sh-01-1', nodeId: 'store-sh-01', details: { supervisorId: 'op-sh-01-manager', permission: 'sale.void', method: 'card', action: 'void_line', lineNo: 1 } },
    ]);
    // The east manager reads it (their region); the south manager does not.
    const south = (await hqCall('POST', '/sessions', { login: 'south.manager', password: 'onecard-demo' })).json.token as string;
    const res = await fetch(`${hq.httpUrl}/api/v1/audit?action=till.override.granted`, { headers: { authorization: `Bearer ${south}` } });
    expect(((await res.json()) as { entries: unknown[] }).entries).toEqual([]);
  });

  it('20 wrong PINs at the till lock the cashier there, and HQ’s audit log holds the lock after the next push', async () => {
    for (let i = 0; i < 19; i++) expect((await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '0000' })).json.error.code).toBe('WRONG_PIN');
    expect((await till('POST', '/api/session', { login: 'sh01.cashier2', pin: '0000' })).json.error.code).toBe('PIN_LOCKED');
    await terminal.syncNow();
    const r = await hqCall('GET', '/audit?action=till.operator.locked');
    expect(r.json.entries).toMatchObject([{ operatorId: 'op-sh-01-cashier-2', terminalId: 't-sh-01-1', nodeId: 'store-sh-01', details: { failures: 20 } }]);
  });

  it('an account locked at HQ is refused at the till after the next pull', async () => {
    for (let i = 0; i < 20; i++) await hqCall('POST', '/sessions', { login: 'sh01.cashier1', password: 'wrong' });
    await terminal.syncNow();
    expect(await till('POST', '/api/session', { login: 'sh01.cashier1', pin: '5101' })).toMatchObject({ status: 422, json: { error: { code: 'PIN_LOCKED' } } });
  });
});
