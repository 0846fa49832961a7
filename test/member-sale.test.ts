import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq, type Sql } from '../hq-server';
import { CliProcess } from './support/cli-process';
import { signInTillWhenFed, tillCredentials } from '../terminal/testing-staff';

/**
 * One member sale from terminal to HQ, across real parts: embedded PostgreSQL, gRPC over
 * loopback, the terminal as its own process with its SQLite file, driven through its local API.
 */

const TERMINAL_ID = 't-sh-01-1';
const product = demoChain.products.find((p) => !p.excludedFromMemberBenefits && p.priceMinor >= 500)!;
const opening = demoChain.openingBalances.find((b) => {
  const card = demoChain.members.flatMap((m) => m.cards).find((c) => c.id === b.cardId);
  return card?.status === 'active' && b.principalMinor >= 2_000 && b.bonusMinor > 0 && (card.expiresOn === null || card.expiresOn > '2030');
})!;
const member = demoChain.members.find((m) => m.cards.some((c) => c.id === opening.cardId))!;
const card = member.cards.find((c) => c.id === opening.cardId)!;
const frozenCard = demoChain.members.flatMap((m) => m.cards).find((c) => c.status === 'frozen')!;

type Json = Record<string, any>;

class TerminalUnderTest {
  private constructor(readonly process: CliProcess, readonly ui: string, readonly token: string) {}

  static async start(dataDir: string, hqAddress: string, extra: string[] = [], env: Record<string, string> = {}): Promise<TerminalUnderTest> {
    const p = new CliProcess(['terminal', '--hq', hqAddress, '--data-dir', dataDir, '--port', '0', ...extra], env);
    const ui = (await p.waitFor(/cashier UI: (http:\/\/\S+?)\/?\s/))[1]!;
    const token = (await p.waitFor(/local API token: (\S+)/))[1]!;
    return new TerminalUnderTest(p, ui, token);
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${this.ui}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Json };
  }

  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const r = await this.call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  stop() {
    return this.process.stop('SIGINT');
  }
}

/** Polls `check` until it holds; the guard only bounds a broken run, no assertion depends on it. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, guardMs = 60_000): Promise<T> {
  const deadline = Date.now() + guardMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a member sale from terminal to HQ', () => {
  const root = mkdtempSync(join(tmpdir(), 'onecard-sale-'));
  const terminalDir = join(root, 'terminal');
  let hq: Awaited<ReturnType<typeof startHq>>;
  let sql: Sql;
  let terminal: TerminalUnderTest | null = null;

  const available = async (accountId: string) => {
    const [row] = await sql<Array<{ posted: number; held: number }>>`select credits_posted - debits_posted as posted, debits_pending as held from accounts where id = ${accountId}`;
    return row!;
  };
  const appliedEvents = async () => {
    const [row] = await sql<Array<{ n: number }>>`select count(*)::int as n from events where terminal_id = ${TERMINAL_ID} and status = 'applied'`;
    return row!.n;
  };
  const transferCount = async () => (await sql<Array<{ n: number }>>`select count(*)::int as n from transfers`)[0]!.n;
  const openTerminalFile = () => new Database(join(terminalDir, 'terminal.sqlite'));

  beforeAll(async () => {
    hq = await startHq({ dataDir: join(root, 'hq'), httpPort: 0, grpcPort: 0, log: () => {} });
    sql = hq.sql;
    await seedChain(sql, demoChain);
    const code = await createEnrollmentCode(sql, TERMINAL_ID);
    terminal = await TerminalUnderTest.start(terminalDir, hq.grpcAddress, ['--enroll', code]);
    // The store manager, from HQ's operator feed: sells, and cancels a sale with lines (a void). The session outlives restarts.
    await signInTillWhenFed(terminal.ui, terminal.token, tillCredentials(demoChain, 'store-sh-01').manager);
  });

  afterAll(async () => {
    await terminal?.stop();
    await hq?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('pays part of a sale by stored value online: HQ drops the card by exactly that, points credited once', async () => {
    const t = terminal!;
    const principalBefore = await available(cardPrincipalAccountId(card.id));
    const bonusBefore = await available(cardBonusAccountId(card.id));
    const pointsBefore = await available(memberPointsAccountId(member.id));

    const sale = await t.ok('POST', '/api/sales');
    await t.ok('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode, quantity: 3 });
    const withMember = await t.ok('POST', `/api/sales/${sale.id}/member`, { cardNo: card.cardNo });
    expect(withMember.member).toMatchObject({ memberId: member.id, cardId: card.id });
    const total = withMember.totalMinor as number;
    expect(total).toBe(product.priceMinor * 3);

    const storedValue = total - 150;
    await t.ok('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: storedValue });
    // A hold is on the card at HQ while the sale is open.
    const held = (await available(cardPrincipalAccountId(card.id))).held + (await available(cardBonusAccountId(card.id))).held;
    expect(held).toBe(storedValue);
    await t.ok('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: 150, tenderedMinor: 200 });
    const done = await t.ok('POST', `/api/sales/${sale.id}/complete`);
    expect(done.status).toBe('completed');
    expect(done.changeMinor).toBe(50);
    expect(done.pointsEarned).toBeGreaterThan(0);

    await eventually(async () => (await appliedEvents()) >= 1, 'HQ applies the sale');
    const principalAfter = await available(cardPrincipalAccountId(card.id));
    const bonusAfter = await available(cardBonusAccountId(card.id));
    expect(principalBefore.posted + bonusBefore.posted - (principalAfter.posted + bonusAfter.posted)).toBe(storedValue);
    expect(principalAfter.held + bonusAfter.held).toBe(0);
    expect((await available(memberPointsAccountId(member.id))).posted - pointsBefore.posted).toBe(done.pointsEarned);
  });

  it('a terminal killed between the SQLite commit and the push loses nothing and duplicates nothing', async () => {
    await terminal!.stop();
    terminal = await TerminalUnderTest.start(terminalDir, hq.grpcAddress, [], { ONECARD_FAULT: 'kill-after-sale-commit' });
    const t = terminal;
    const eventsBefore = await appliedEvents();
    const pointsBefore = (await available(memberPointsAccountId(member.id))).posted;

    const sale = await t.ok('POST', '/api/sales');
    await t.ok('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode, quantity: 2 });
    await t.ok('POST', `/api/sales/${sale.id}/member`, { cardNo: card.cardNo });
    await t.ok('POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: product.priceMinor * 2, tenderedMinor: product.priceMinor * 2 });
    await expect(t.call('POST', `/api/sales/${sale.id}/complete`)).rejects.toThrow();
    expect((await t.process.exited).signal).toBe('SIGKILL');

    // The sale and its outbox event are on disk; HQ has not seen them.
    const db = openTerminalFile();
    const saved = db.prepare('SELECT status, points_earned, event_seq FROM sales WHERE id = ?').get(sale.id) as { status: string; points_earned: number; event_seq: number };
    const unacked = (db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE acked_at IS NULL').get() as { n: number }).n;
    db.close();
    expect(saved.status).toBe('completed');
    expect(unacked).toBe(1);
    expect(await appliedEvents()).toBe(eventsBefore);

    terminal = await TerminalUnderTest.start(terminalDir, hq.grpcAddress);
    await eventually(async () => (await appliedEvents()) === eventsBefore + 1, 'HQ applies the sale after restart');
    expect((await available(memberPointsAccountId(member.id))).posted - pointsBefore).toBe(saved.points_earned);
    const [row] = await sql<Array<{ n: number }>>`select count(*)::int as n from sales where id = ${sale.id}`;
    expect(row!.n).toBe(1);
  });

  it('pushing the same events again (their acks lost) changes nothing at HQ', async () => {
    await terminal!.stop();
    const eventsBefore = await appliedEvents();
    const transfersBefore = await transferCount();
    const balancesBefore = [await available(cardPrincipalAccountId(card.id)), await available(cardBonusAccountId(card.id)), await available(memberPointsAccountId(member.id))];

    const db = openTerminalFile();
    const total = (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
    db.prepare('UPDATE outbox SET acked_at = NULL').run();
    db.prepare('UPDATE sync_state SET last_acked_seq = 0').run();
    db.close();
    expect(total).toBeGreaterThanOrEqual(2);

    terminal = await TerminalUnderTest.start(terminalDir, hq.grpcAddress);
    await eventually(async () => {
      const check = openTerminalFile();
      const n = (check.prepare('SELECT COUNT(*) AS n FROM outbox WHERE acked_at IS NULL').get() as { n: number }).n;
      check.close();
      return n === 0;
    }, 'the terminal re-pushes and HQ acknowledges every event');
    expect(await appliedEvents()).toBe(eventsBefore);
    expect(await transferCount()).toBe(transfersBefore);
    expect([await available(cardPrincipalAccountId(card.id)), await available(cardBonusAccountId(card.id)), await available(memberPointsAccountId(member.id))]).toEqual(balancesBefore);
  });

  it('bad input gets a clear error with a stable code and changes nothing', async () => {
    const t = terminal!;
    const health = await t.ok('GET', '/api/health');
    const sale = await t.ok('POST', '/api/sales');
    const unknownBarcode = await t.call('POST', `/api/sales/${sale.id}/items`, { barcode: '6900000000000' });
    expect(unknownBarcode.json.error.code).toBe('UNKNOWN_BARCODE');
    const unknownCard = await t.call('POST', `/api/sales/${sale.id}/member`, { cardNo: 'NO-SUCH-CARD' });
    expect(unknownCard.json.error.code).toBe('UNKNOWN_CARD');
    const frozen = await t.call('POST', `/api/sales/${sale.id}/member`, { cardNo: frozenCard.cardNo });
    expect(frozen.json.error.code).toBe('CARD_FROZEN');
    const malformed = await t.call('POST', `/api/sales/${sale.id}/items`, '{"barcode": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('VALIDATION_FAILED');
    const negative = await t.call('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode, quantity: -1 });
    expect(negative.json.error.code).toBe('VALIDATION_FAILED');

    await t.ok('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode, quantity: 1 });
    await t.ok('POST', `/api/sales/${sale.id}/member`, { cardNo: card.cardNo });
    const before = await available(cardPrincipalAccountId(card.id));
    const bonus = await available(cardBonusAccountId(card.id));
    const tooMuch = before.posted + bonus.posted + 1;
    // Offer more than the card holds: a sale this big needs more items first.
    await t.ok('POST', `/api/sales/${sale.id}/items`, { barcode: product.barcode, quantity: Math.ceil(tooMuch / product.priceMinor) + 1 });
    const short = await t.call('POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: tooMuch });
    expect(short.json.error.code).toBe('INSUFFICIENT_BALANCE');
    expect(await available(cardPrincipalAccountId(card.id))).toEqual(before);

    const after = await t.ok('GET', `/api/sales/${sale.id}`);
    expect(after.tenders).toEqual([]);
    await t.ok('POST', `/api/sales/${sale.id}/cancel`);
    // Cancelling a sale with lines is a void: its approval (the store manager's own) is reported to HQ, nothing else.
    expect((await t.ok('GET', '/api/health')).outboxDepth).toBeLessThanOrEqual(health.outboxDepth + 1);
  });
});
