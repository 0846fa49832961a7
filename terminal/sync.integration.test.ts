import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
// Tests only: the terminal's code never imports HQ.
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from '../hq-server/index';
import { startTerminal, terminalIsEnrolled, type RunningTerminal } from './index';
import { signInTill, tillCredentials } from './testing-staff';

const COLA = '6901028001014'; // ¥3.00
const CIGARETTES = '6901050000177'; // ¥45.00, earns no points
const FACE_MASKS = '4902111000114'; // ¥59.90
const DIAMOND_CARD = '8F3A21C4'; // c-0001 / m-0001, points ×2

describe('terminal against a real HQ (embedded PostgreSQL, gRPC over loopback)', () => {
  let hqDir: string;
  let terminalDir: string;
  let hq: RunningHq;
  let terminal: RunningTerminal;
  const logs: string[] = [];

  beforeAll(async () => {
    hqDir = await mkdtemp(join(tmpdir(), 'onecard-terminal-hq-'));
    terminalDir = await mkdtemp(join(tmpdir(), 'onecard-terminal-'));
    hq = await startHq({ dataDir: hqDir, httpPort: 0, grpcPort: 0, log: () => {} });
    await seedChain(hq.sql, demoChain);
    const code = await createEnrollmentCode(hq.sql, 't-sh-01-1');
    terminal = await startTerminal({ dataDir: terminalDir, hqAddress: hq.grpcAddress, enrollmentCode: code, syncIntervalMs: 600_000, log: (m) => logs.push(m) });
    // The store's cashier, from HQ's operator feed.
    await terminal.syncNow();
    await signInTill(terminal.uiUrl, terminal.token, tillCredentials(demoChain, terminal.storeId).cashier);
  });
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

  async function hqBalance(accountId: string) {
    const [row] = await hq.sql`select credits_posted - debits_posted as posted, debits_pending as held from accounts where id = ${accountId}`;
    return { posted: Number(row!.posted), held: Number(row!.held) };
  }

  it('enrolls, pulls the chain, and reports HQ online', async () => {
    expect(terminal.terminalId).toBe('t-sh-01-1');
    expect(terminal.storeId).toBe('store-sh-01');
    const health = await (await fetch(new URL('/api/health', terminal.uiUrl))).json();
    expect(health).toMatchObject({ status: 'ok', hq: 'online', outboxDepth: 0 });
    const card = await call('GET', `/api/cards/${DIAMOND_CARD}`);
    expect(card.json).toMatchObject({ principalMinor: 186000, bonusMinor: 28000, points: 18650, level: { code: 'diamond' } });
    expect((await call('GET', '/api/products?query=6901028001014')).json.products).toHaveLength(1);
  });

  it('a member pays part of a sale by stored value: HQ holds it, the push captures it once, points once', async () => {
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: FACE_MASKS });
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: CIGARETTES });
    await call('POST', `/api/sales/${sale.id}/member`, { cardNo: DIAMOND_CARD });
    const sv = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 8000 });
    expect(sv.status).toBe(200);
    expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: 186000, held: 8000 });
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 2490, tenderedMinor: 3000 });
    const done = await call('POST', `/api/sales/${sale.id}/complete`);
    expect(done.json.status).toBe('completed');
    expect(done.json.pointsEarned).toBe(119); // ¥59.90 × 2, cigarettes excluded

    await terminal.syncNow();
    expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: 178000, held: 0 });
    expect(await hqBalance(cardBonusAccountId('c-0001'))).toEqual({ posted: 28000, held: 0 });
    expect((await hqBalance(memberPointsAccountId('m-0001'))).posted).toBe(18650 + 119);
    const health = await (await fetch(new URL('/api/health', terminal.uiUrl))).json();
    expect(health.outboxDepth).toBe(0);
    // The terminal's view, now from HQ's figures: counted once, not twice.
    expect((await call('GET', `/api/cards/${DIAMOND_CARD}`)).json).toMatchObject({ principalMinor: 178000, points: 18650 + 119 });

    await terminal.syncNow();
    expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: 178000, held: 0 });
    expect((await hqBalance(memberPointsAccountId('m-0001'))).posted).toBe(18650 + 119);
  });

  it('cancelling a sale releases its hold at HQ', async () => {
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await call('POST', `/api/sales/${sale.id}/member`, { cardNo: DIAMOND_CARD });
    await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 300 });
    expect((await hqBalance(cardPrincipalAccountId('c-0001'))).held).toBe(300);
    // A sale with a payment on it: the cashier cancels with the store manager's PIN.
    expect((await call('POST', `/api/sales/${sale.id}/cancel`, { supervisor: tillCredentials(demoChain, terminal.storeId).manager })).json.status).toBe('cancelled');
    expect((await hqBalance(cardPrincipalAccountId('c-0001'))).held).toBe(0);
    await terminal.syncNow(); // the holds_released event too; applying it again at HQ changes nothing
    expect(await hqBalance(cardPrincipalAccountId('c-0001'))).toEqual({ posted: 178000, held: 0 });
  });

  it('HQ refusals reach the cashier with HQ’s code and change nothing', async () => {
    await hq.sql`update cards set status = 'frozen' where id = 'c-0002'`; // frozen at HQ, not yet known here
    const sale = (await call('POST', '/api/sales')).json;
    await call('POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await call('POST', `/api/sales/${sale.id}/member`, { cardNo: '5B7E0D92' });
    const r = await call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: 300 });
    expect([r.status, r.json.error.code]).toEqual([422, 'CARD_FROZEN']);
    expect((await call('GET', `/api/sales/${sale.id}`)).json.tenders).toEqual([]);
    expect(await hqBalance(cardPrincipalAccountId('c-0002'))).toEqual({ posted: 52300, held: 0 });
  });

  it('a top-up reaches HQ; after a restart without a code the terminal is still enrolled and its outbox intact', async () => {
    const r = await call('POST', '/api/top-ups', { cardNo: '8888000100000014', principalMinor: 50_000, tender: 'cash' });
    expect(r.json).toMatchObject({ principalMinor: 50_000, bonusMinor: 5_000 });
    await terminal.stop();
    expect(terminalIsEnrolled(terminalDir)).toBe(true);
    terminal = await startTerminal({ dataDir: terminalDir, hqAddress: hq.grpcAddress, syncIntervalMs: 600_000, log: (m) => logs.push(m) });
    expect(terminal.terminalId).toBe('t-sh-01-1');
    await terminal.syncNow();
    expect(await hqBalance(cardPrincipalAccountId('c-0003'))).toEqual({ posted: 12800 + 50_000, held: 0 });
    expect(await hqBalance(cardBonusAccountId('c-0003'))).toEqual({ posted: 1000 + 5_000, held: 0 });
    const [events] = await hq.sql`select count(*)::int as n, max(seq)::int as last from events where terminal_id = 't-sh-01-1'`;
    expect(events).toEqual({ n: 4, last: 4 }); // sale, the manager's approval of the cancel, holds released, top-up
  });
});
