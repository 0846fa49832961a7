import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPrincipalAccountId, memberPointsAccountId, storeCashAccountId, storeSalesAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import { postSale, type SaleDocument } from '../core/sale';
import { eventToWire } from '../protocols/sync/v1/codec';
import { demoChain } from '../fixtures/data/demo-chain';
import { computeGaps, pushEvents } from './push-events';
import { seedChain } from './seed';
import { startTestDatabase, type TestDatabase } from './testing/pg';
import { writeSetting } from './settings';
import { startTestHq } from './testing/hq';
import { auditLedger, line, Scenario, type Till } from './testing/scenario';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';

const terminal = { terminalId: 't-hz-01-1', storeId: 'store-hz-01' };
const CARD = 'c-0001';
const MEMBER = 'm-0001';

function storedValueSale(id: string, amount: number, points: number): SaleDocument {
  return {
    id, storeId: terminal.storeId, terminalId: terminal.terminalId, currency: 'CNY', memberId: MEMBER, cardId: CARD,
    lines: [{ lineNo: 1, sku: 'SKU-0001', barcode: '6901028001014', name: 'Cola', quantity: 1, unitPriceMinor: amount, amountMinor: amount, eligibleForMemberBenefits: true }],
    totalMinor: amount,
    tenders: [{ kind: 'stored_value', amountMinor: amount, cardId: CARD, legs: [{ accountId: cardPrincipalAccountId(CARD), part: 'principal', amount, holdId: null }] }],
    pointsEarned: points,
    completedAt: 1_763_800_000_000,
  };
}
const wire = (seq: number, sale: SaleDocument) => eventToWire({ seq, id: uuidv7(), occurredAt: 1, body: { type: 'sale', sale }, transfers: postSale(sale, () => uuidv7()) });

describe('PushEvents batches', () => {
  let db: TestDatabase;
  let seq = 0;
  beforeAll(async () => {
    db = await startTestDatabase();
    await seedChain(db.sql, demoChain);
  });
  afterAll(async () => {
    await db?.stop();
  });

  const posted = async (accountId: string) => (await db.sql`select credits_posted - debits_posted as p from accounts where id = ${accountId}`)[0]!.p as number;

  it('a batch of hundreds of events applies each once, in one transaction', async () => {
    const before = [await posted(cardPrincipalAccountId(CARD)), await posted(memberPointsAccountId(MEMBER))];
    const events = Array.from({ length: 300 }, () => wire(++seq, storedValueSale(uuidv7(), 100, 1)));
    const r = await pushEvents(db.sql, terminal, events);
    expect(r.ackedSeq).toBe(seq);
    expect(r.results.every((x) => x.status === 'applied')).toBe(true);
    expect(await posted(cardPrincipalAccountId(CARD))).toBe(before[0]! - 30_000);
    expect(await posted(memberPointsAccountId(MEMBER))).toBe(before[1]! + 300);
    const again = await pushEvents(db.sql, terminal, events);
    expect(again.results.every((x) => x.status === 'duplicate')).toBe(true);
    expect(await posted(cardPrincipalAccountId(CARD))).toBe(before[0]! - 30_000);
  });

  it('a sale id recorded twice in one batch is applied once and the second quarantined', async () => {
    const sale = storedValueSale(uuidv7(), 100, 0);
    const first = wire(++seq, sale);
    const second = { ...wire(++seq, sale) };
    const r = await pushEvents(db.sql, terminal, [first, second]);
    expect(r.results.map((x) => x.status)).toEqual(['applied', 'quarantined']);
    expect(r.results[1]!.reason).toMatch(/already recorded/);
  });

  it('when the database refuses the bulk write, events are applied one by one and only the refused one is quarantined', async () => {
    // Fault injection: the database refuses one sale for a reason HQ's own checks cannot see.
    await db.sql.unsafe(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin if new.id = 'poison' then raise exception 'poison sale refused'; end if; return new; end $$;
      create trigger refuse_poison before insert on sales for each row execute function refuse_poison();`);
    try {
      const before = await posted(cardPrincipalAccountId(CARD));
      const logs: string[] = [];
      const r = await pushEvents(db.sql, terminal, [wire(++seq, storedValueSale(uuidv7(), 500, 0)), wire(++seq, storedValueSale('poison', 700, 0)), wire(++seq, storedValueSale(uuidv7(), 900, 0))], (m) => logs.push(m));
      expect(r.results.map((x) => x.status)).toEqual(['applied', 'quarantined', 'applied']);
      expect(r.results[1]!.reason).toMatch(/refused by the database: poison sale refused/);
      expect(r.ackedSeq).toBe(seq);
      expect(logs.join('\n')).toMatch(/one by one/);
      expect(await posted(cardPrincipalAccountId(CARD))).toBe(before - 1400);
      const [t] = await db.sql`select count(*)::int as n from transfers where document_id = 'poison'`;
      expect(t!.n).toBe(0);
    } finally {
      await db.sql.unsafe('drop trigger refuse_poison on sales; drop function refuse_poison()');
    }
  });

  it('a batch of several write slices with a refused event in a middle slice applies every other event once; re-sent after a lost ack it changes nothing', async () => {
    await db.sql.unsafe(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin if new.id = 'poison-2' then raise exception 'poison sale refused'; end if; return new; end $$;
      create trigger refuse_poison before insert on sales for each row execute function refuse_poison();`);
    try {
      const before = await posted(cardPrincipalAccountId(CARD));
      const first = seq + 1;
      // 250 events: slices of 100 reach PostgreSQL while later ones are still being checked.
      const sales = Array.from({ length: 250 }, (_, i) => storedValueSale(i === 150 ? 'poison-2' : uuidv7(), 10, 0));
      const events = sales.map((s, i) => (i === 60 ? wire(++seq, { ...s, memberId: 'm-0002' }) : wire(++seq, s)));
      const logs: string[] = [];
      const r = await pushEvents(db.sql, terminal, events, (m) => logs.push(m));
      expect(logs.join('\n')).toMatch(/one by one/);
      expect(r.ackedSeq).toBe(seq);
      expect(r.results.filter((x) => x.status !== 'applied').map((x) => [x.seq - first, x.status])).toEqual([
        [60, 'quarantined'],
        [150, 'quarantined'],
      ]);
      expect(r.results[60]!.reason).toMatch(/belongs to member m-0001/);
      expect(r.results[150]!.reason).toMatch(/refused by the database: poison sale refused/);
      expect(await posted(cardPrincipalAccountId(CARD))).toBe(before - 248 * 10);
      const stored = async () => {
        const [e] = await db.sql`select count(*)::int as n, count(*) filter (where status = 'applied')::int as applied from events where terminal_id = ${terminal.terminalId} and seq between ${first} and ${seq}`;
        const [s] = await db.sql`select count(*)::int as n from sales where id = any(${sales.map((x) => x.id)}::text[])`;
        const [t] = await db.sql`select count(*)::int as n from transfers where document_id = any(${sales.map((x) => x.id)}::text[])`;
        return { events: e!.n, applied: e!.applied, sales: s!.n, transfers: t!.n };
      };
      expect(await stored()).toEqual({ events: 250, applied: 248, sales: 248, transfers: 248 });

      // The terminal never heard the answer and pushes the same batch again.
      const again = await pushEvents(db.sql, terminal, events);
      expect(again.ackedSeq).toBe(seq);
      expect(again.results.every((x) => x.status === 'duplicate')).toBe(true);
      expect(await posted(cardPrincipalAccountId(CARD))).toBe(before - 248 * 10);
      expect(await stored()).toEqual({ events: 250, applied: 248, sales: 248, transfers: 248 });
    } finally {
      await db.sql.unsafe('drop trigger refuse_poison on sales; drop function refuse_poison()');
    }
  });

  it('a batch of several write slices without a refusal is written in bulk, each event once', async () => {
    const before = await posted(cardPrincipalAccountId(CARD));
    const first = seq + 1;
    const events = Array.from({ length: 333 }, () => wire(++seq, storedValueSale(uuidv7(), 3, 0)));
    const logs: string[] = [];
    const r = await pushEvents(db.sql, terminal, events, (m) => logs.push(m));
    expect(logs).toEqual([]);
    expect(r.results.every((x) => x.status === 'applied')).toBe(true);
    expect(await posted(cardPrincipalAccountId(CARD))).toBe(before - 333 * 3);
    const [e] = await db.sql`select count(*)::int as n, count(distinct event_id)::int as ids from events where terminal_id = ${terminal.terminalId} and seq between ${first} and ${seq}`;
    expect(e).toEqual({ n: 333, ids: 333 });
    const [s] = await db.sql`select count(*)::int as n, min(jsonb_typeof(body)) as form from sales where terminal_id = ${terminal.terminalId} and event_seq between ${first} and ${seq}`;
    // Bodies keep the form every reader expects (JSON text inside jsonb).
    expect(s).toEqual({ n: 333, form: 'string' });
  });

  it('acknowledges the highest contiguous seq and reports the missing ranges as they fill in', async () => {
    const till = { terminalId: 't-gaps', storeId: terminal.storeId };
    await db.sql`insert into terminals (id, store_id, name) values (${till.terminalId}, ${till.storeId}, 'gaps')`;
    const push = (seqs: number[]) => pushEvents(db.sql, till, seqs.map((s) => wire(s, storedValueSale(uuidv7(), 1, 0))));
    const a = await push([1, 2, 4, 7, 8]);
    expect([a.ackedSeq, a.gaps]).toEqual([2, [{ fromSeq: 3, toSeq: 3 }, { fromSeq: 5, toSeq: 6 }]]);
    const b = await push([3]);
    expect([b.ackedSeq, b.gaps]).toEqual([4, [{ fromSeq: 5, toSeq: 6 }]]);
    const c = await push([6, 5]);
    expect([c.ackedSeq, c.gaps]).toEqual([8, []]);
    const [t] = await db.sql`select acked_seq from terminals where id = ${till.terminalId}`;
    expect(t!.acked_seq).toBe(8);
    const again = await push([9]);
    expect([again.ackedSeq, again.gaps]).toEqual([9, []]);
  });

  it("quarantines a sale or top-up whose card is not the member's", async () => {
    const sale = { ...storedValueSale(uuidv7(), 100, 1), memberId: 'm-0002' };
    const r = await pushEvents(db.sql, terminal, [wire(++seq, sale)]);
    expect(r.results[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/belongs to member m-0001/) });
    const unknown = { ...storedValueSale(uuidv7(), 100, 0), cardId: 'c-nope' };
    const r2 = await pushEvents(db.sql, terminal, [wire(++seq, unknown)]);
    expect(r2.results[0]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/not known/) });
  });

  it('four tills pushing offline debits of one card at once neither deadlock nor take the card below zero; the rest is exposure', async () => {
    const cardId = 'c-0024';
    const memberId = demoChain.members.find((m) => m.cards.some((c) => c.id === cardId))!.id;
    const principal = cardPrincipalAccountId(cardId);
    const start = await posted(principal);
    const tills = [
      { terminalId: 't-sh-01-1', storeId: 'store-sh-01' },
      { terminalId: 't-sh-01-2', storeId: 'store-sh-01' },
      { terminalId: 't-gz-01-1', storeId: 'store-gz-01' },
      { terminalId: 't-hz-01-1', storeId: 'store-hz-01' },
    ];
    const nextSeq = new Map<string, number>();
    for (const t of tills) {
      const [row] = await db.sql`select acked_seq from terminals where id = ${t.terminalId}`;
      nextSeq.set(t.terminalId, row!.acked_seq as number);
    }
    const amount = 3000;
    const batches = tills.flatMap((t) =>
      [0, 1, 2].map(() =>
        Array.from({ length: 5 }, () => {
          const sale: SaleDocument = {
            ...storedValueSale(uuidv7(), amount, 0), storeId: t.storeId, terminalId: t.terminalId, memberId, cardId,
            tenders: [{ kind: 'stored_value', amountMinor: amount, cardId, legs: [{ accountId: principal, part: 'principal', amount, holdId: null }] }],
          };
          const seqNo = nextSeq.get(t.terminalId)! + 1;
          nextSeq.set(t.terminalId, seqNo);
          return { till: t, event: eventToWire({ seq: seqNo, id: uuidv7(), occurredAt: 1, body: { type: 'sale', sale }, transfers: postSale(sale, () => uuidv7()) }) };
        }),
      ),
    );
    // Each till pushes its batches in order; the tills run at the same time.
    const results = await Promise.all(
      tills.map(async (t) => {
        const mine = batches.filter((b) => b[0]!.till === t);
        const out = [];
        for (const b of mine) out.push(...(await pushEvents(db.sql, t, b.map((x) => x.event))).results);
        return out;
      }),
    );
    // Offline debits (no hold) all apply: the card gives what it has and never goes below zero;
    // the rest is the accepting stores' exposure.
    expect(results.flat().map((r) => r.status)).toEqual(Array(60).fill('applied'));
    expect(await posted(principal)).toBe(Math.max(0, start - 60 * amount));
    const [over] = await db.sql`select coalesce(sum(amount), 0)::bigint as n from transfers where code = 'OFFLINE_OVERDRAFT' and debit_account_id like 'store:%:offline_exposure' and document_id in (select id from sales where card_id = ${cardId})`;
    expect(over!.n).toBe(Math.max(0, 60 * amount - start));
  });

  it("a store's tills check their sales while its accounts are locked by another write, wait only to write them, and the balances hold every batch", async () => {
    const store = 'store-sh-01';
    const tills = [{ terminalId: 't-sh-01-1', storeId: store }, { terminalId: 't-sh-01-2', storeId: store }];
    const cash = storeCashAccountId(store);
    const sales = storeSalesAccountId(store);
    const before = { cash: await posted(cash), sales: await posted(sales) };
    const product = demoChain.products[0]!;
    const batches = await Promise.all(
      tills.map(async (t) => {
        const [row] = await db.sql`select acked_seq from terminals where id = ${t.terminalId}`;
        return Array.from({ length: 150 }, (_, i) => {
          const sale: SaleDocument = {
            id: uuidv7(), storeId: store, terminalId: t.terminalId, currency: 'CNY', memberId: null, cardId: null,
            lines: [{ lineNo: 1, sku: product.sku, barcode: product.barcode, name: product.name, quantity: 1, unitPriceMinor: product.priceMinor, amountMinor: product.priceMinor, eligibleForMemberBenefits: true }],
            totalMinor: product.priceMinor, tenders: [{ kind: 'cash', amountMinor: product.priceMinor, tenderedMinor: product.priceMinor, changeMinor: 0 }], pointsEarned: 0, completedAt: 1_763_800_000_000,
          };
          return eventToWire({ seq: (row!.acked_seq as number) + i + 1, id: uuidv7(), occurredAt: 1, body: { type: 'sale', sale }, transfers: postSale(sale, () => uuidv7()) });
        });
      }),
    );
    // Another write of the store's cash and sales, not yet committed.
    let locked!: () => void;
    let release!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const released = new Promise<void>((r) => (release = r));
    const holder = db.sql.begin(async (tx) => {
      await tx`select id from accounts where id = any(${[cash, sales]}::text[]) order by id for no key update`;
      locked();
      await released;
    });
    await isLocked;
    const pushes = tills.map((t, i) => pushEvents(db.sql, t, batches[i]!));
    // Both batches are checked and wait at the write of those two accounts, not at their first lock.
    const waitingToWrite = async () =>
      (await db.sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'select id from accounts where id = any%for no key update'`)[0]!.n as number;
    try {
      for (let tries = 0; (await waitingToWrite()) < 2; tries++) {
        expect(tries, 'both batches reach the write of the store accounts').toBeLessThan(3000);
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      release();
      await holder;
    }
    const results = await Promise.all(pushes);
    expect(results.flatMap((r) => r.results.map((x) => x.status))).toEqual(Array(300).fill('applied'));
    expect(await posted(cash)).toBe(before.cash - 300 * product.priceMinor);
    expect(await posted(sales)).toBe(before.sales + 300 * product.priceMinor);
    expect(await auditLedger(db.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
  });

  it('reports gaps as ranges of missing seqs', () => {
    expect(computeGaps(2, [4])).toEqual([{ fromSeq: 3, toSeq: 3 }]);
    expect(computeGaps(0, [3, 4, 7, 10])).toEqual([{ fromSeq: 1, toSeq: 2 }, { fromSeq: 5, toSeq: 6 }, { fromSeq: 8, toSeq: 9 }]);
    expect(computeGaps(5, [])).toEqual([]);
  });
});

describe('PushEvents bulk batches with HQ-made holds', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let till: Till;
  let s: Scenario;
  beforeAll(async () => {
    hq = await startTestHq(demoChain, { jobs: false });
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    till = await s.enroll('t-sh-01-1', 'store-sh-01', await hq.enrollmentCode('t-sh-01-1'));
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  it('a rebate held and released in one batch, slices apart, is written as it ends up; the batch re-sent changes nothing', async () => {
    await hq.sql.begin((tx) => writeSetting(tx, 'rebate', { rate: '0.05', waitingDays: 30 }, { operatorId: null, nodeId: null }));
    try {
      const [kept, returned] = [await s.newMember(till), await s.newMember(till)];
      const cash = (amountMinor: number) => [{ kind: 'cash' as const, amountMinor, tenderedMinor: amountMinor, changeMinor: 0 }];
      const keptSale = s.saleDoc(till, kept, [line(1, 1, 1_000)], cash(1_000), 10);
      const returnedSale = s.saleDoc(till, returned, [line(1, 2, 1_000)], cash(2_000), 20);
      const events = [
        s.event(till, { type: 'sale', sale: returnedSale }, postSale(returnedSale, () => uuidv7())),
        s.event(till, { type: 'sale', sale: keptSale }, postSale(keptSale, () => uuidv7())),
        // Enough cash sales that the refund lands two write slices after its sale.
        ...Array.from({ length: 230 }, () => {
          const sale = s.saleDoc(till, null, [line(1, 1, 100)], cash(100), 0);
          return s.event(till, { type: 'sale', sale }, postSale(sale, () => uuidv7()));
        }),
        s.refundEvent(till, s.refundDoc(till, returnedSale, [], [{ lineNo: 1, quantity: 2 }])),
      ];
      const logs: string[] = [];
      const r = await pushEvents(hq.sql, till, events.map(eventToWire), (m) => logs.push(m));
      expect(logs).toEqual([]);
      expect(r.results.filter((x) => x.status !== 'applied')).toEqual([]);
      const holds = async () =>
        Object.fromEntries((await hq.sql`select id, pending_state from transfers where id like 'rebate:%' and id in (${`rebate:${keptSale.id}`}, ${`rebate:${returnedSale.id}`}, ${`rebate:${returnedSale.id}/void`})`).map((x) => [x.id, x.pending_state]));
      const want = { [`rebate:${keptSale.id}`]: 'pending', [`rebate:${returnedSale.id}`]: 'voided', [`rebate:${returnedSale.id}/void`]: null };
      expect(await holds()).toEqual(want);
      expect((await hq.sql`select sale_id, state from rebates where sale_id in (${keptSale.id}, ${returnedSale.id}) order by state`).map((x) => x.state)).toEqual(['pending', 'voided']);
      const count = async () => (await hq.sql`select count(*)::int as n from transfers`)[0]!.n as number;
      const before = await count();

      const again = await pushEvents(hq.sql, till, events.map(eventToWire));
      expect(again.results.every((x) => x.status === 'duplicate')).toBe(true);
      expect(await count()).toBe(before);
      expect(await holds()).toEqual(want);
      expect(await auditLedger(hq.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
    } finally {
      await hq.sql.begin((tx) => writeSetting(tx, 'rebate', null, { operatorId: null, nodeId: null }));
    }
  });
});
