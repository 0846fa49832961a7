import Decimal from 'decimal.js';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import { postSale } from '../core/sale';
import { demoChain } from '../fixtures/data/demo-chain';
import { confirmStatement, generateStatements, settlePeriod, type Statement } from './settlement';
import { Scenario, line, type Till } from './testing/scenario';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type TestSyncClient } from './testing/sync-client';

/** The worked example of hq-server/SETTLEMENT.md, through PushEvents, to the fen. */

const at = (date: string, hhmm: string) => Date.parse(`${date}T${hhmm}:00+08:00`);
const GZ = '广州鲜达商贸有限公司';

describe('settlement worked example (SETTLEMENT.md)', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let s: Scenario;
  let now = at('2026-11-03', '10:00');
  const tills: Record<string, Till> = {};
  let a: { memberId: string; cardId: string };
  let november: Statement[];

  /** A stored-value sale the till took offline, legs as given (principal, bonus). */
  async function storedValueSale(till: Till, who: { memberId: string; cardId: string }, principal: number, bonus: number) {
    const legs = [
      ...(principal > 0 ? [{ accountId: cardPrincipalAccountId(who.cardId), part: 'principal' as const, amount: principal, holdId: null }] : []),
      ...(bonus > 0 ? [{ accountId: cardBonusAccountId(who.cardId), part: 'bonus' as const, amount: bonus, holdId: null }] : []),
    ];
    const total = principal + bonus;
    const sale = s.saleDoc(till, who, [line(1, 1, total)], [{ kind: 'stored_value', amountMinor: total, cardId: who.cardId, legs }], 0);
    const r = await s.pushOne(till, { type: 'sale', sale }, postSale(sale, () => uuidv7()));
    expect(r.status, r.reason).toBe('applied');
  }

  beforeAll(async () => {
    hq = await startTestHq(demoChain, { jobs: false });
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client, () => now);
    for (const [id, store] of [['t-sh-01-1', 'store-sh-01'], ['t-gz-01-1', 'store-gz-01'], ['t-hz-01-1', 'store-hz-01']] as const) {
      tills[id] = await s.enroll(id, store, await hq.enrollmentCode(id));
    }
    a = await s.newMember(tills['t-sh-01-1']!, '会员甲');
    const b = await s.newMember(tills['t-gz-01-1']!, '会员乙');
    // 1. 会员甲 tops up ¥1,000.00 in Shanghai and gets the ¥150.00 tier bonus.
    now = at('2026-11-03', '10:00');
    await s.topUp(tills['t-sh-01-1']!, a, 100_000, 15_000);
    // 2. 会员乙 tops up ¥500.00 in Guangzhou (+¥50.00).
    now = at('2026-11-05', '11:00');
    await s.topUp(tills['t-gz-01-1']!, b, 50_000, 5_000);
    // 3. 会员甲 spends ¥1,082.50 in Guangzhou: all ¥1,000.00 principal, then ¥82.50 bonus.
    now = at('2026-11-12', '15:30');
    await storedValueSale(tills['t-gz-01-1']!, a, 100_000, 8_250);
    // 4. 会员乙 spends ¥333.33 in Shanghai, principal.
    now = at('2026-11-20', '18:00');
    await storedValueSale(tills['t-sh-01-1']!, b, 33_333, 0);
    // 5. 会员甲 spends ¥50.00 of bonus in Hangzhou.
    now = at('2026-11-25', '12:00');
    await storedValueSale(tills['t-hz-01-1']!, a, 0, 5_000);
    // 6. 郑浩 (m-0022) pays ¥50.00 in Guangzhou: 2,000 points (¥20.00, funded by the chain) and ¥30.00 cash.
    now = at('2026-11-27', '19:00');
    const zheng = { memberId: 'm-0022', cardId: 'c-0024' };
    const pointsSale = s.saleDoc(tills['t-gz-01-1']!, zheng, [line(1, 1, 5_000)], [{ kind: 'points', amountMinor: 2_000, points: 2_000, holdId: null }, { kind: 'cash', amountMinor: 3_000, tenderedMinor: 3_000, changeMinor: 0 }], 0);
    const pr = await s.pushOne(tills['t-gz-01-1']!, { type: 'sale', sale: pointsSale }, postSale(pointsSale, () => uuidv7()));
    expect(pr.status, pr.reason).toBe('applied');
    november = await generateStatements(hq.sql, { start: '2026-11-01', end: '2026-11-30' });
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  const statementOf = (list: Statement[], party: string) => list.find((x) => x.party === party)!;

  it('one statement per franchisee and per company store, each line to the fen', () => {
    expect(november.map((x) => x.party)).toEqual(['store-hz-01', 'store-sh-01', GZ]);
    expect(statementOf(november, GZ)).toMatchObject({ franchisee: GZ, state: 'draft', netMinor: 59_600 });
    expect(statementOf(november, GZ).lines).toEqual([
      expect.objectContaining({ kind: 'store', storeId: 'store-gz-01', issuedPrincipalMinor: 50_000, issuedBonusMinor: 5_000, redeemedPrincipalMinor: 100_000, redeemedBonusMinor: 8_250, bonusFundedMinor: 0, bonusReimbursedMinor: 8_250, serviceFeeMinor: 650, pointsReimbursedMinor: 2_000, netMinor: 59_600 }),
    ]);
    expect(statementOf(november, 'store-sh-01').lines).toEqual([
      expect.objectContaining({ storeId: 'store-sh-01', issuedPrincipalMinor: 100_000, issuedBonusMinor: 15_000, redeemedPrincipalMinor: 33_333, redeemedBonusMinor: 0, serviceFeeMinor: 0, netMinor: -66_667 }),
    ]);
    expect(statementOf(november, 'store-hz-01').lines).toEqual([
      expect.objectContaining({ storeId: 'store-hz-01', redeemedBonusMinor: 5_000, bonusReimbursedMinor: 5_000, serviceFeeMinor: 0, netMinor: 5_000 }),
    ]);
  });

  it('when issuing stores fund bonus, Shanghai pays the ¥132.50 of its bonus spent elsewhere', async () => {
    const settled = await settlePeriod(hq.sql, { start: '2026-11-01', end: '2026-11-30' }, { bonusFundedBy: 'issuing_store', franchiseServiceFeeRate: '0.006' });
    expect(settled.find((x) => x.storeId === 'store-sh-01')).toMatchObject({ bonusFundedMinor: 13_250, netMinor: -79_917 });
    expect(settled.find((x) => x.storeId === 'store-gz-01')).toMatchObject({ bonusFundedMinor: 0, pointsReimbursedMinor: 2_000, netMinor: 59_600 });
  });

  it('the statement downloads as a real .xlsx: typed numeric cells in yuan with a currency format, and a total row', async () => {
    const signIn = await fetch(`${hq.httpUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'finance', password: 'onecard-demo' }) });
    const token = ((await signIn.json()) as { token: string }).token;
    const gz = statementOf(november, GZ);
    const res = await fetch(`${hq.httpUrl}/api/v1/settlement/statements/${gz.id}/export?format=xlsx`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/spreadsheetml/);
    expect(res.headers.get('x-export-rows')).toBe('2');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const col = (startsWith: string) => header.findIndex((h) => String(h).startsWith(startsWith)) + 1;
    const line = sheet.getRow(2);
    const fen = (v: unknown) => new Decimal(v as number).times(100).toNumber();
    for (const [name, expected] of [['Issued principal', 50_000], ['Redeemed principal', 100_000], ['Redeemed bonus', 8_250], ['Service fee', 650], ['Points accepted', 2_000], ['Net', 59_600]] as const) {
      const cell = line.getCell(col(name));
      expect(cell.type, name).toBe(ExcelJS.ValueType.Number);
      expect(fen(cell.value), name).toBe(expected);
      expect(cell.numFmt).toContain('¥');
    }
    expect(line.getCell(col('Net')).value).toBe(596);
    expect(line.getCell(col('Service fee')).value).toBe(6.5);
    const total = sheet.getRow(3);
    expect(String(total.getCell(col('Description')).value)).toMatch(/^Total 合计/);
    expect(total.getCell(col('Net')).type).toBe(ExcelJS.ValueType.Number);
    expect(fen(total.getCell(col('Net')).value)).toBe(59_600);
    const csv = await (await fetch(`${hq.httpUrl}/api/v1/settlement/statements/${statementOf(november, 'store-sh-01').id}/export?format=csv`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(csv.split('\r\n')[1]).toBe('1,store,store-sh-01,2026-11-01…2026-11-30,1000.00,150.00,333.33,0.00,0.00,0.00,0.00,0.00,-666.67');
  });

  it('a confirmed statement never changes; a late sale of its period comes as a correction line in the next statement, once', async () => {
    for (const st of november) expect(await confirmStatement(hq.sql, st.id, { id: 'op-finance', nodeId: 'hq' })).toMatchObject({ state: 'confirmed' });
    const hz = statementOf(november, 'store-hz-01');
    await expect(hq.sql`update settlement_statements set net_minor = 0 where id = ${hz.id}`).rejects.toThrow(/confirmed/);
    await expect(hq.sql`update settlement_lines set net_minor = 0 where statement_id = ${hz.id}`).rejects.toThrow(/confirmed/);
    await expect(hq.sql`delete from settlement_lines where statement_id = ${hz.id}`).rejects.toThrow(/confirmed/);
    expect(await confirmStatement(hq.sql, hz.id, { id: 'op-finance', nodeId: 'hq' })).toBe('already_confirmed');
    // Regenerating November leaves the confirmed statements alone.
    expect((await generateStatements(hq.sql, { start: '2026-11-01', end: '2026-11-30' })).map((x) => x.id).sort()).toEqual(november.map((x) => x.id).sort());

    // 6. A Hangzhou sale of 28 November (¥17.50 of 会员甲's bonus) reaches HQ only in December.
    now = at('2026-11-28', '20:00');
    await storedValueSale(tills['t-hz-01-1']!, a, 0, 1_750);
    now = at('2026-12-02', '09:00');
    const december = await generateStatements(hq.sql, { start: '2026-12-01', end: '2026-12-31' });
    expect(december.map((x) => x.party)).toEqual(['store-hz-01']);
    expect(december[0]!.lines).toEqual([
      expect.objectContaining({ kind: 'adjustment', storeId: 'store-hz-01', redeemedBonusMinor: 1_750, bonusReimbursedMinor: 1_750, netMinor: 1_750, correctsStatementId: hz.id }),
    ]);
    expect(december[0]!.netMinor).toBe(1_750);
    // Regenerated, still once; confirmed, not carried again into January.
    const again = await generateStatements(hq.sql, { start: '2026-12-01', end: '2026-12-31' });
    expect(again[0]!.lines).toHaveLength(1);
    await confirmStatement(hq.sql, again[0]!.id, { id: 'op-finance', nodeId: 'hq' });
    expect(await generateStatements(hq.sql, { start: '2027-01-01', end: '2027-01-31' })).toEqual([]);
    const [audit] = await hq.sql`select count(*)::int as n from audit_log where action = 'settlement.confirmed'`;
    expect(audit!.n).toBe(4);
  });
});
