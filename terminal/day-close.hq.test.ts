import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from '../hq-server/index';
import { reconcileDate } from '../hq-server/reconciliation';
import { startTerminal, type RunningTerminal } from './index';
import { signInTill, tillCredentials } from './testing-staff';

const COLA = '6901028001014'; // ¥3.00
const FACE_MASKS = '4902111000114'; // ¥59.90
const DIAMOND_CARD = '8F3A21C4';

describe('day close from a real terminal, reconciled by a real HQ', () => {
  let hqDir: string;
  let terminalDir: string;
  let hq: RunningHq;
  let terminal: RunningTerminal;

  beforeAll(async () => {
    hqDir = await mkdtemp(join(tmpdir(), 'onecard-dayclose-hq-'));
    terminalDir = await mkdtemp(join(tmpdir(), 'onecard-dayclose-t-'));
    hq = await startHq({ dataDir: hqDir, httpPort: 0, grpcPort: 0, log: () => {}, jobs: false });
    await seedChain(hq.sql, demoChain);
    terminal = await startTerminal({ dataDir: terminalDir, hqAddress: hq.grpcAddress, enrollmentCode: await createEnrollmentCode(hq.sql, 't-sh-01-1'), syncIntervalMs: 600_000, log: () => {} });
    // The store's cashier, from HQ's operator feed.
    await terminal.syncNow();
    await signInTill(terminal.uiUrl, terminal.token, tillCredentials(demoChain, terminal.storeId).cashier);
  }, 120_000);
  afterAll(async () => {
    await terminal?.stop();
    await hq?.stop();
    for (const dir of [hqDir, terminalDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(new URL(path, terminal.uiUrl), {
      method,
      headers: { authorization: `Bearer ${terminal.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  }

  async function sale(barcode: string, tender: Record<string, unknown>, cardNo?: string) {
    const s = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${s.id}/items`, { barcode });
    if (cardNo) await call('POST', `/api/sales/${s.id}/member`, { cardNo });
    const v = (await call('GET', `/api/sales/${s.id}`)).json;
    expect((await call('POST', `/api/sales/${s.id}/tenders`, { ...tender, amountMinor: v.totalMinor, ...(tender.kind === 'cash' ? { tenderedMinor: v.totalMinor } : {}) })).status).toBe(200);
    expect((await call('POST', `/api/sales/${s.id}/complete`)).status).toBe(200);
  }

  it('the close matches what HQ applied: no differences; a close HQ cannot match is flagged', async () => {
    await sale(COLA, { kind: 'cash' });
    await sale(FACE_MASKS, { kind: 'bank_card', reference: 'RRN123456789' });
    await sale(COLA, { kind: 'stored_value' }, DIAMOND_CARD);
    expect((await call('POST', '/api/top-ups', { cardNo: DIAMOND_CARD, principalMinor: 50_000, tender: 'cash' })).status).toBe(201);
    // Nobody signed in: the till refuses to close the day and records nothing.
    expect((await fetch(new URL('/api/session', terminal.uiUrl), { method: 'DELETE', headers: { authorization: `Bearer ${terminal.token}` } })).status).toBe(204);
    const depth = async () => (await (await fetch(new URL('/api/health', terminal.uiUrl))).json()).outboxDepth as number;
    // The sales' own pushes settle first, so the depth below moves only if the close recorded something.
    await terminal.syncNow();
    const queued = await depth();
    expect(await call('POST', '/api/day-close', {})).toMatchObject({ status: 401, json: { error: { code: 'NOT_SIGNED_IN' } } });
    expect(await depth()).toBe(queued);
    await signInTill(terminal.uiUrl, terminal.token, tillCredentials(demoChain, terminal.storeId).cashier);
    const closed = await call('POST', '/api/day-close', {});
    expect(closed.status).toBe(201);
    const dc = closed.json.dayClose;
    expect(dc).toMatchObject({ terminalId: 't-sh-01-1', storeId: 'store-sh-01', saleCount: 3, topUpTotalMinor: 50_000, firstSeq: 1, lastSeq: closed.json.seq - 1 });
    expect(dc.tenders).toEqual(expect.arrayContaining([{ kind: 'cash', salesMinor: 300 + 50_000, refundsMinor: 0 }, { kind: 'bank_card', salesMinor: 5_990, refundsMinor: 0 }, { kind: 'stored_value', salesMinor: expect.any(Number), refundsMinor: 0 }]));
    await terminal.syncNow();
    expect((await (await fetch(new URL('/api/health', terminal.uiUrl))).json()).outboxDepth).toBe(0);
    const [stored] = await hq.sql`select id, first_seq, last_seq, events_chain from day_closes where terminal_id = 't-sh-01-1'`;
    expect(stored).toMatchObject({ id: dc.id, first_seq: dc.firstSeq, last_seq: dc.lastSeq, events_chain: dc.eventsChain });
    const report = await reconcileDate(hq.sql, dc.businessDate, ['store-sh-01'], true);
    expect(report.differences).toEqual([]);
    expect(report.terminals.find((t) => t.terminalId === 't-sh-01-1')).toMatchObject({ differences: 0, hqChain: dc.eventsChain });
    expect((await call('POST', '/api/day-close', { businessDate: '26-11-22' })).status).toBe(400);
  });
});
