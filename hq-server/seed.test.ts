import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain } from './seed';
import { startTestDatabase, type TestDatabase } from './testing/pg';

const TABLES = ['chain', 'org_nodes', 'member_levels', 'products', 'members', 'cards', 'accounts', 'transfers', 'terminals', 'operators', 'change_log'];

describe('seeding a chain', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await startTestDatabase();
  });
  afterAll(async () => {
    await db?.stop();
  });

  async function snapshot() {
    const counts: Record<string, number> = {};
    for (const t of TABLES) counts[t] = (await db.sql.unsafe(`select count(*)::int as n from ${t}`))[0]!.n;
    const balances = await db.sql`select id, debits_posted, credits_posted, debits_pending, credits_pending from accounts order by id`;
    const hashes = await db.sql`select id, password_hash, pin_hash from operators order by id`;
    return { counts, balances, hashes };
  }

  it('loads the demo chain with opening balances and points as ledger transfers', async () => {
    await seedChain(db.sql, demoChain);
    const first = demoChain.openingBalances[0]!;
    const [p] = await db.sql`select credits_posted - debits_posted as posted from accounts where id = ${cardPrincipalAccountId(first.cardId)}`;
    expect(p!.posted).toBe(first.principalMinor);
    const [b] = await db.sql`select credits_posted - debits_posted as posted from accounts where id = ${cardBonusAccountId(first.cardId)}`;
    expect(b!.posted).toBe(first.bonusMinor);
    const pts = demoChain.openingPoints[0]!;
    const [m] = await db.sql`select credits_posted as posted from accounts where id = ${memberPointsAccountId(pts.memberId)}`;
    expect(m!.posted).toBe(pts.points);
    const [t] = await db.sql`select code, debit_account_id from transfers where id = ${`opening:${first.cardId}:principal`}`;
    expect(t).toMatchObject({ code: 'OPENING_BALANCE', debit_account_id: 'chain:opening:CNY' });
    const [op] = await db.sql`select password_hash, pin_hash from operators where login = 'admin'`;
    expect(op!.password_hash).toMatch(/^\$argon2id\$/);
    expect(op!.password_hash).not.toContain('onecard-demo');
    // Stored value owed to members equals what the chain brought over.
    const [liability] = await db.sql`select sum(credits_posted - debits_posted)::bigint as owed from accounts where code in ('CARD_PRINCIPAL', 'CARD_BONUS')`;
    const [opening] = await db.sql`select debits_posted as out from accounts where id = 'chain:opening:CNY'`;
    expect(liability!.owed).toBe(opening!.out);
  });

  it('a second seeding changes nothing', async () => {
    const before = await snapshot();
    await seedChain(db.sql, demoChain);
    expect(await snapshot()).toEqual(before);
  });

  it('enrollment codes are random, one per call, and stored only as a hash', async () => {
    const a = await createEnrollmentCode(db.sql, 't-sh-01-1');
    const b = await createEnrollmentCode(db.sql, 't-sh-01-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const rows = await db.sql`select code_hash from enrollment_codes`;
    expect(rows.some((r) => r.code_hash.includes(a) || r.code_hash.includes(a.replace(/-/g, '')))).toBe(false);
    await expect(createEnrollmentCode(db.sql, 'no-such-terminal')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
