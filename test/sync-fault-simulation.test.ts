import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq, type Sql } from '../hq-server';
import { CliProcess } from './support/cli-process';
import { SyncProxy, type FaultDecision } from './support/sync-proxy';
import { signInTillWhenFed, tillCredentials } from '../terminal/testing-staff';

/**
 * Fault simulation of the whole chain: three store terminals (each its own process, its own
 * SQLite file) and HQ (embedded PostgreSQL) run sales, stored-value payments, top-ups and refunds while
 * the network between them drops requests, loses responses after HQ acted, duplicates and
 * delays calls, and is cut; terminals are killed with SIGKILL and restarted; HQ is restarted.
 * At the end every HQ balance equals the sum of its transfers, no event is applied twice or
 * lost, and every terminal's view of the balances converges on HQ's.
 *
 * Every decision (operation, amounts, faults, kills) comes from one seeded generator; the seed
 * is printed, and ONECARD_SIM_SEED=<seed> replays the same decisions. (Process scheduling is
 * the operating system's, so the interleaving of concurrent calls can still differ.)
 */

const SEED = Number(process.env.ONECARD_SIM_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPERATIONS = Number(process.env.ONECARD_SIM_OPERATIONS ?? 2000);

/** mulberry32: a small, fast, seeded generator. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

const TERMINALS = ['t-sh-01-1', 't-hz-01-1', 't-gz-01-1'] as const;
const products = demoChain.products.filter((p) => !p.excludedFromMemberBenefits).slice(0, 20);
const activeCards = demoChain.members.flatMap((m) => m.cards.filter((c) => c.status === 'active' && (c.expiresOn === null || c.expiresOn > '2030')).map((c) => ({ card: c, member: m })));

interface Lane {
  terminalId: string;
  /** Completed sales of this lane, with what is left to return per line. */
  sales: Array<{ id: string; lines: Array<{ lineNo: number; left: number }> }>;
  dir: string;
  process: CliProcess | null;
  ui: string;
  token: string;
}

describe(`chain under network and process faults (seed ${SEED})`, () => {
  const root = mkdtempSync(join(tmpdir(), 'onecard-sim-'));
  const rng = seeded(SEED);
  let hq: Awaited<ReturnType<typeof startHq>>;
  let grpcPort = 0;
  let httpPort = 0;
  let proxy: SyncProxy;
  const lanes: Lane[] = [];
  const tally = { sales: 0, storedValueSales: 0, topUps: 0, refunds: 0, refusedOrFailed: 0, terminalKills: 0, hqRestarts: 0, cuts: 0 };

  afterAll(async () => {
    for (const lane of lanes) await lane.process?.stop('SIGKILL');
    await proxy?.stop();
    await hq?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function startHqAgain(): Promise<void> {
    hq = await startHq({ dataDir: join(root, 'hq'), httpPort, grpcPort, log: () => {} });
    grpcPort = Number(hq.grpcAddress.split(':').pop());
    httpPort = Number(new URL(hq.httpUrl).port);
  }

  async function startLane(lane: Lane, enrollmentCode?: string): Promise<void> {
    // The lanes' devices play no part in sync: the tills run without them.
    const args = ['terminal', '--hq', proxy.address, '--data-dir', lane.dir, '--port', '0', '--no-devices'];
    if (enrollmentCode) args.push('--enroll', enrollmentCode);
    const p = new CliProcess(args);
    lane.process = p;
    lane.ui = (await p.waitFor(/cashier UI: (http:\/\/\S+?)\/?\s/))[1]!;
    lane.token = (await p.waitFor(/local API token: (\S+)/))[1]!;
  }

  async function api(lane: Lane, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
    const res = await fetch(`${lane.ui}${path}`, {
      method,
      headers: { authorization: `Bearer ${lane.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  }

  async function killAndRestart(lane: Lane): Promise<void> {
    await lane.process!.stop('SIGKILL');
    tally.terminalKills += 1;
    await startLane(lane);
  }

  /** One cashier action chosen by the generator; refusals (HQ unreachable, short balance) are normal outcomes. */
  async function operate(lane: Lane, killMidSale: boolean): Promise<void> {
    const { card, member } = rng.pick(activeCards);
    const returnable = lane.sales.filter((s) => s.lines.some((l) => l.left > 0));
    if (returnable.length > 0 && rng.chance(0.1)) {
      // A customer brings back part of an earlier purchase.
      const sale = rng.pick(returnable);
      const line = rng.pick(sale.lines.filter((l) => l.left > 0));
      const quantity = 1 + rng.int(line.left);
      const r = await api(lane, 'POST', '/api/refunds', { saleId: sale.id, lines: [{ lineNo: line.lineNo, quantity }], withReceipt: true });
      if (r.status < 300) {
        line.left -= quantity;
        tally.refunds += 1;
      } else tally.refusedOrFailed += 1;
      return;
    }
    if (rng.chance(0.15)) {
      const r = await api(lane, 'POST', '/api/top-ups', { cardNo: card.cardNo, principalMinor: (1 + rng.int(20)) * 1_000, tender: 'cash' });
      if (r.status < 300) tally.topUps += 1;
      else tally.refusedOrFailed += 1;
      return;
    }
    const sale = (await api(lane, 'POST', '/api/sales')).json;
    const lines = 1 + rng.int(3);
    for (let i = 0; i < lines; i++) await api(lane, 'POST', `/api/sales/${sale.id}/items`, { barcode: rng.pick(products).barcode, quantity: 1 + rng.int(2) });
    let view = (await api(lane, 'POST', `/api/sales/${sale.id}/member`, { cardNo: card.cardNo })).json;
    void member;
    if (rng.chance(0.5)) {
      const part = Math.max(1, Math.floor((view.totalMinor as number) * (0.2 + rng.next() * 0.8)));
      const sv = await api(lane, 'POST', `/api/sales/${sale.id}/tenders`, { kind: 'stored_value', amountMinor: part });
      if (sv.status < 300) {
        view = sv.json;
        tally.storedValueSales += 1;
      }
    }
    if (killMidSale) {
      // The till dies with the sale open and, perhaps, a hold on the card at HQ.
      await killAndRestart(lane);
      return;
    }
    if (rng.chance(0.05)) {
      // The customer walks away: the sale is cancelled and any hold released.
      await api(lane, 'POST', `/api/sales/${sale.id}/cancel`);
      return;
    }
    const due = view.dueMinor as number;
    if (due > 0) await api(lane, 'POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: due, tenderedMinor: due });
    const done = await api(lane, 'POST', `/api/sales/${sale.id}/complete`);
    if (done.status < 300) {
      tally.sales += 1;
      lane.sales.push({ id: sale.id, lines: (done.json.lines as Array<{ lineNo: number; quantity: number }>).map((l) => ({ lineNo: l.lineNo, left: l.quantity })) });
    }
    else {
      tally.refusedOrFailed += 1;
      await api(lane, 'POST', `/api/sales/${sale.id}/cancel`);
    }
  }

  async function outboxDepth(lane: Lane): Promise<number> {
    return (await api(lane, 'GET', '/api/health')).json.outboxDepth as number;
  }

  it('loses no event, applies none twice, and every view converges', async () => {
    process.stdout.write(`fault simulation seed: ${SEED} (replay with ONECARD_SIM_SEED=${SEED})\n`);
    await startHqAgain();
    await seedChain(hq.sql, demoChain);
    proxy = await SyncProxy.start(`127.0.0.1:${grpcPort}`, {
      decide(): FaultDecision {
        const roll = rng.next();
        const delayMs = rng.chance(0.2) ? rng.int(40) : 0;
        if (roll < 0.05) return { fault: 'drop_request', delayMs };
        if (roll < 0.1) return { fault: 'lose_response', delayMs };
        if (roll < 0.15) return { fault: 'duplicate', delayMs };
        return { fault: 'pass', delayMs };
      },
    });
    for (const terminalId of TERMINALS) {
      const lane: Lane = { terminalId, dir: join(root, terminalId), sales: [], process: null, ui: '', token: '' };
      lanes.push(lane);
      // Enrollment goes straight to HQ: a lost Enroll answer would burn the one-time code.
      const saved = proxy.policy;
      proxy.policy = { decide: () => ({ fault: 'pass', delayMs: 0 }) };
      await startLane(lane, await createEnrollmentCode(hq.sql, terminalId));
      // The store manager, from HQ's operator feed (sells, cancels, refunds above the limit); the session outlives kills and restarts.
      await signInTillWhenFed(lane.ui, lane.token, tillCredentials(demoChain, demoChain.terminals.find((t) => t.id === terminalId)!.storeId).manager);
      proxy.policy = saved;
    }

    let cutLeft = 0;
    for (let op = 0; op < OPERATIONS; op++) {
      const lane = rng.pick(lanes);
      const roll = rng.next();
      // Whatever the seed, at least one kill mid-sale, one kill between sales and one HQ restart.
      if (roll < 0.004 || op === Math.floor(OPERATIONS / 4)) {
        await killAndRestart(lane);
      } else if ((roll < 0.006 && tally.hqRestarts < 2) || (op === Math.floor(OPERATIONS / 2) && tally.hqRestarts === 0)) {
        await hq.stop();
        tally.hqRestarts += 1;
        await startHqAgain();
      } else if (roll < 0.012 && cutLeft === 0) {
        proxy.cut();
        tally.cuts += 1;
        cutLeft = 5 + rng.int(30);
      }
      if (cutLeft > 0 && --cutLeft === 0) proxy.heal();
      await operate(lane, rng.chance(0.004) || op === Math.floor((OPERATIONS * 3) / 4));
    }

    // The network heals; every terminal drains its outbox on its own.
    proxy.heal();
    proxy.policy = { decide: () => ({ fault: 'pass', delayMs: 0 }) };
    const deadline = Date.now() + 240_000;
    for (const lane of lanes) {
      while ((await outboxDepth(lane)) > 0) {
        if (Date.now() > deadline) throw new Error(`terminal ${lane.terminalId} never drained its outbox`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    process.stdout.write(`fault simulation: ${JSON.stringify({ ...tally, proxy: proxy.counts })}\n`);
    expect(tally.sales).toBeGreaterThan(OPERATIONS / 3);

    const sql: Sql = hq.sql;
    // 1. Every cached balance at HQ equals the sum of its transfers.
    const drift = await sql`
      select a.id from accounts a
      left join (select debit_account_id id, sum(amount) s from transfers where kind in ('single','post_pending') group by 1) d on d.id = a.id
      left join (select credit_account_id id, sum(amount) s from transfers where kind in ('single','post_pending') group by 1) c on c.id = a.id
      where a.debits_posted <> coalesce(d.s, 0) or a.credits_posted <> coalesce(c.s, 0)`;
    expect(drift).toEqual([]);

    for (const lane of lanes) {
      await lane.process!.stop('SIGINT');
      lane.process = null;
      const db = new Database(join(lane.dir, 'terminal.sqlite'), { readonly: true });
      const outbox = (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
      const completed = (db.prepare("SELECT COUNT(*) AS n FROM sales WHERE status = 'completed'").get() as { n: number }).n;
      const localTransfers = db.prepare('SELECT id, amount FROM transfers WHERE event_seq IS NOT NULL').all() as Array<{ id: string; amount: number }>;
      db.close();
      // 2. No event lost or applied twice: HQ holds seqs 1..N, each once, all applied.
      const events = await sql<Array<{ seq: number; status: string; reason: string | null }>>`select seq, status, reason from events where terminal_id = ${lane.terminalId} order by seq`;
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: outbox }, (_, i) => i + 1));
      expect(events.filter((e) => e.status !== 'applied')).toEqual([]);
      const [sales] = await sql<Array<{ n: number }>>`select count(*)::int as n from sales where terminal_id = ${lane.terminalId}`;
      expect(sales!.n).toBe(completed);
      // 3. Every transfer the terminal made is at HQ once, with the same amount — an offline
      // debit the card could not cover is split at HQ into the card's part (same id) and the
      // store's exposure (`${id}/overdraft`), which add up to what the terminal took.
      const ids = localTransfers.map((t) => t.id);
      const overdraftIds = ids.map((id) => `${id}/overdraft`);
      const atHq = ids.length ? await sql<Array<{ id: string; amount: number }>>`select id, amount from transfers where id = any(${ids}) or id = any(${overdraftIds})` : [];
      const hqAmount = new Map<string, number>();
      for (const t of atHq) {
        const origin = t.id.endsWith('/overdraft') ? t.id.slice(0, -'/overdraft'.length) : t.id;
        hqAmount.set(origin, (hqAmount.get(origin) ?? 0) + t.amount);
      }
      expect(hqAmount).toEqual(new Map(localTransfers.map((t) => [t.id, t.amount])));
    }

    // 4. Every terminal's view of the member balances converges on HQ's after a last sync.
    for (const lane of lanes) await startLane(lane);
    const hqBalances = new Map(
      (await sql<Array<{ id: string; posted: number; held: number }>>`select id, credits_posted - debits_posted as posted, debits_pending as held from accounts where id like 'card:%' or id like 'member:%'`).map((r) => [r.id, `${r.posted}/${r.held}`]),
    );
    for (const lane of lanes) {
      let lastDiff: string[] = [];
      const until = Date.now() + 60_000;
      for (;;) {
        const db = new Database(join(lane.dir, 'terminal.sqlite'), { readonly: true });
        const rows = db.prepare('SELECT account_id, posted, held FROM hq_balances').all() as Array<{ account_id: string; posted: number; held: number }>;
        db.close();
        lastDiff = rows.filter((r) => hqBalances.get(r.account_id) !== `${r.posted}/${r.held}`).map((r) => `${r.account_id}: terminal ${r.posted}/${r.held}, HQ ${hqBalances.get(r.account_id)}`);
        if (lastDiff.length === 0 && rows.length > 0) break;
        if (Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(lastDiff).toEqual([]);
    }
  }, 900_000);
});
