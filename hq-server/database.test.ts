import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './database';
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
