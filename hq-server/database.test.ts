import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HQ_MIGRATIONS_DIR, migrate, openDatabase } from './database';
import { budgetDrawn } from './promotion-budgets';
import { startTestDatabase, type TestDatabase } from './testing/pg';

describe('HQ database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await startTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('applies the migrations once; running them again is a no-op', async () => {
    const first = await migrate(db.sql);
    expect(first[0]).toBe('0001_init');
    const rows = await db.sql`select version, name from schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(first.map((f) => f.slice(0, 4)));
    expect(await migrate(db.sql)).toEqual([]);
    const again = await db.sql`select count(*)::int as n from schema_migrations`;
    expect(again[0]!.n).toBe(first.length);
  });

  it('several instances migrating at once apply each migration exactly once', async () => {
    const results = await Promise.all([migrate(db.sql), migrate(db.sql), migrate(db.sql)]);
    expect(results.flat()).toEqual([]);
  });

  it('returns BIGINT as checked integers', async () => {
    const [row] = await db.sql`select 9007199254740991::bigint as big, count(*) as n from schema_migrations`;
    expect(row!.big).toBe(9007199254740991);
    expect(typeof row!.n).toBe('number');
    await expect(db.sql`select 9007199254740993::bigint as too_big`).rejects.toThrow(/safe integer/);
  });

  it('a second HQ on the same data folder uses the running server and leaves it running when it closes', async () => {
    const second = await openDatabase({ dataDir: db.dataDir, log: () => {} });
    expect(second.url).toBe(db.url);
    await second.sql`select 1`;
    await second.close();
    const [row] = await db.sql`select 1 as one`;
    expect(row!.one).toBe(1);
  });

  // Last: it stops the server beforeAll started (afterAll's stop is then a no-op).
  it('a second start on the same data folder reuses the cluster and its data', async () => {
    await db.sql`create table if not exists reuse_probe (x int)`;
    await db.sql`insert into reuse_probe values (42)`;
    await db.close();
    const again = await openDatabase({ dataDir: db.dataDir, log: () => {} });
    try {
      const [row] = await again.sql`select x from reuse_probe`;
      expect(row!.x).toBe(42);
      expect(again.embedded).toBe(true);
    } finally {
      await again.close();
    }
  });
});

describe('HQ migration 0045 (sale budget draws)', () => {
  let db: TestDatabase;
  let before: string;
  beforeAll(async () => {
    db = await startTestDatabase({ migrate: false });
    // The migrations before 0045, to hold sales recorded before it.
    before = await mkdtemp(join(tmpdir(), 'onecard-hq-migrations-'));
    for (const f of await readdir(HQ_MIGRATIONS_DIR)) if (/^\d{4}_/.test(f) && f < '0045') await copyFile(join(HQ_MIGRATIONS_DIR, f), join(before, f));
  });
  afterAll(async () => {
    await db?.stop();
    if (before) await rm(before, { recursive: true, force: true });
  });

  it("carries the budget draws of the sales recorded before it and drops the sales' promotion index", async () => {
    await migrate(db.sql, before);
    await db.sql`insert into org_nodes (id, parent_id, kind, name, time_zone, currency) values ('hq', null, 'hq', 'HQ', 'Asia/Shanghai', 'CNY'), ('store-1', 'hq', 'store', 'Store 1', 'Asia/Shanghai', 'CNY')`;
    await db.sql`insert into terminals (id, store_id, name) values ('t-1', 'store-1', 'Till 1'), ('t-2', 'store-1', 'Till 2')`;
    const use = (promotionId: string, budgetDrawn: number) => ({ promotionId, memberUses: 1, budgetKind: budgetDrawn > 0 ? 'quantity' : null, budgetDrawn, discountMinor: 10 });
    const sale = (id: string, terminalId: string, body: unknown, asText: boolean) => db.sql`
      insert into sales (id, terminal_id, event_seq, store_id, currency, total_minor, points_earned, completed_at, body)
      values (${id}, ${terminalId}, 1, 'store-1', 'CNY', 100, 0, 0, ${asText ? db.sql`to_jsonb(${JSON.stringify(body)}::text)` : db.sql`${JSON.stringify(body)}::text::jsonb`})`;
    // Bodies as JSON text (what push-events writes) and as objects; a promotion named twice; no draws; no uses.
    await sale('s-1', 't-1', { promotionUses: [use('p-1', 2), use('p-2', 0)] }, true);
    await sale('s-2', 't-1', { promotionUses: [use('p-1', 3), use('p-1', 1)] }, false);
    await sale('s-3', 't-2', { promotionUses: [use('p-1', 4), use('p-3', 5)] }, true);
    await sale('s-4', 't-2', { promotionUses: [use('p-2', 0)] }, true);
    await sale('s-5', 't-2', {}, false);
    expect((await db.sql`select jsonb_typeof(body) as form from sales where id in ('s-1', 's-2') order by id`).map((r) => r.form)).toEqual(['string', 'object']);
    expect(await db.sql`select 1 from pg_indexes where indexname = 'sales_promotion_uses'`).toHaveLength(1);

    // The later migrations follow it; 0045 is the one under test.
    expect((await migrate(db.sql)).at(0)).toBe('0045_sale_budget_draws');
    const rows = await db.sql`select promotion_id, terminal_id, sale_id, drawn from sale_budget_draws order by sale_id, promotion_id`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { promotion_id: 'p-1', terminal_id: 't-1', sale_id: 's-1', drawn: 2 },
      { promotion_id: 'p-1', terminal_id: 't-1', sale_id: 's-2', drawn: 4 },
      { promotion_id: 'p-1', terminal_id: 't-2', sale_id: 's-3', drawn: 4 },
      { promotion_id: 'p-3', terminal_id: 't-2', sale_id: 's-3', drawn: 5 },
    ]);
    const drawn = await budgetDrawn(db.sql, ['p-1', 'p-2', 'p-3']);
    expect(Object.fromEntries([...drawn].map(([id, m]) => [id, Object.fromEntries(m)]))).toEqual({ 'p-1': { 't-1': 6, 't-2': 4 }, 'p-2': {}, 'p-3': { 't-2': 5 } });
    expect((await budgetDrawn(db.sql, ['p-1'], 't-2')).get('p-1')).toEqual(new Map([['t-2', 4]]));
    expect(await db.sql`select 1 from pg_indexes where indexname = 'sales_promotion_uses'`).toHaveLength(0);
  });
});
