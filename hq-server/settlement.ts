import { settleStores, type SettlementRules, type StoredValueMovement, type StoreSettlement } from '../core/settlement';
import { uuidv7 } from '../core/ids';
import type { Db, Sql } from './database';
import { chainTimeZone, dayBounds } from './reconciliation';
import { readSetting } from './settings';

/**
 * Settlement statements (结算单) per period, from the ledger. The rules are core/settlement.ts;
 * this module decides which transfer is which movement at which store (SETTLEMENT.md):
 *
 * - TOPUP → issued principal at the top-up's store; TOPUP_REFUND → minus, at the refund's store;
 * - TOPUP_BONUS → issued bonus at the top-up's store; TOPUP_BONUS_CLAWBACK → minus, at the refund's store;
 * - SALE_STORED_VALUE out of a card's principal / bonus → redeemed principal / bonus at the sale's store;
 *   REFUND_STORED_VALUE back into them → minus, at the refund's store;
 * - redeemed bonus is attributed to the store of the card's latest top-up that gave bonus at or
 *   before the redemption; bonus with no such top-up (opening balances, rebates, adjustments) to
 *   the member's home store;
 * - SALE_POINTS (points a sale took as payment) → points reimbursed at the sale's store, HQ pays it
 *   (the chain funds points); REFUND_POINTS_VALUE → minus, at the refund's store. No service fee on it;
 * - opening balances, rebates, adjustments, card replacements and balance transfers are the chain's
 *   and settle with no store; offline overdrafts are the store's own exposure and are not reimbursed.
 *
 * A transfer belongs to the period of its origin timestamp, in the chain's time zone. One statement
 * per party: a franchisee (all its stores) or a company-owned store. A confirmed statement never
 * changes (a trigger refuses it); what changes later for a confirmed period is carried into the next
 * statement generated for the party as correction lines.
 */

export interface Period {
  start: string;
  end: string;
}

/** A store's settlement with the value of the points it accepted, which the chain funds. */
export type StoreSettlementWithPoints = StoreSettlement & { pointsReimbursedMinor: number };

export type StatementLine = Omit<StoreSettlementWithPoints, 'franchisee'> & {
  lineNo: number;
  kind: 'store' | 'adjustment';
  description: string;
  correctsStatementId: string | null;
};

export interface Statement {
  id: string;
  periodStart: string;
  periodEnd: string;
  party: string;
  franchisee: string | null;
  currency: string;
  rules: SettlementRules;
  netMinor: number;
  state: 'draft' | 'confirmed';
  confirmedAt: string | null;
  confirmedBy: string | null;
  lines: StatementLine[];
}

const MOVEMENT_CODES = ['TOPUP', 'TOPUP_BONUS', 'TOPUP_REFUND', 'TOPUP_BONUS_CLAWBACK', 'SALE_STORED_VALUE', 'REFUND_STORED_VALUE'];

/** The stored-value movements of a period, attributed to stores as the module comment says. */
export async function movementsOf(db: Db, period: Period): Promise<StoredValueMovement[]> {
  const tz = await chainTimeZone(db);
  const from = (await dayBounds(db, period.start, tz)).from;
  const to = (await dayBounds(db, period.end, tz)).to;
  const rows = await db`
    select t.id, t.code, t.amount, t."timestamp", t.document_id, da.code as debit_code, ca.code as credit_code,
      case when da.code in ('CARD_PRINCIPAL', 'CARD_BONUS') then t.debit_account_id else t.credit_account_id end as card_account,
      coalesce(s.store_id, r.store_id, u.store_id, ur.store_id) as store_id
    from transfers t
      join accounts da on da.id = t.debit_account_id
      join accounts ca on ca.id = t.credit_account_id
      left join sales s on s.id = t.document_id
      left join refunds r on r.id = t.document_id
      left join top_ups u on u.id = t.document_id
      left join top_up_refunds ur on ur.id = t.document_id
    where t.kind in ('single', 'post_pending') and t.code = any(${MOVEMENT_CODES})
      and t."timestamp" >= ${from} and t."timestamp" < ${to}
      and (da.code in ('CARD_PRINCIPAL', 'CARD_BONUS') or ca.code in ('CARD_PRINCIPAL', 'CARD_BONUS'))
    order by t."timestamp", t.id`;
  const bonusCards = [...new Set(rows.filter((r) => (r.code === 'SALE_STORED_VALUE' || r.code === 'REFUND_STORED_VALUE') && String(r.card_account).endsWith(':bonus')).map((r) => cardOf(r.card_account)))];
  const bonusTopUps = new Map<string, Array<{ at: number; storeId: string }>>();
  const homeStore = new Map<string, string>();
  if (bonusCards.length > 0) {
    for (const u of await db`select card_id, completed_at, store_id from top_ups where bonus_minor > 0 and card_id = any(${bonusCards}::text[]) order by completed_at`) {
      const list = bonusTopUps.get(u.card_id) ?? [];
      list.push({ at: u.completed_at, storeId: u.store_id });
      bonusTopUps.set(u.card_id, list);
    }
    for (const c of await db`select c.id, m.home_store_id from cards c join members m on m.id = c.member_id where c.id = any(${bonusCards}::text[])`) homeStore.set(c.id, c.home_store_id);
  }
  const bonusIssuedAt = (cardId: string, at: number): string => {
    const list = bonusTopUps.get(cardId) ?? [];
    let store: string | null = null;
    for (const u of list) if (u.at <= at) store = u.storeId;
    return store ?? homeStore.get(cardId) ?? 'unknown';
  };
  const out: StoredValueMovement[] = [];
  for (const r of rows) {
    if (!r.store_id) continue; // not made by a store's document (cannot happen for these codes; kept safe)
    const storeId = r.store_id as string;
    const amount = r.amount as number;
    const bonus = String(r.card_account).endsWith(':bonus');
    switch (r.code as string) {
      case 'TOPUP':
        out.push({ storeId, kind: 'issued_principal', amountMinor: amount });
        break;
      case 'TOPUP_REFUND':
        out.push({ storeId, kind: 'issued_principal', amountMinor: -amount });
        break;
      case 'TOPUP_BONUS':
        out.push({ storeId, kind: 'issued_bonus', amountMinor: amount });
        break;
      case 'TOPUP_BONUS_CLAWBACK':
        out.push({ storeId, kind: 'issued_bonus', amountMinor: -amount });
        break;
      case 'SALE_STORED_VALUE':
      case 'REFUND_STORED_VALUE': {
        const signed = r.code === 'SALE_STORED_VALUE' ? amount : -amount;
        if (bonus) out.push({ storeId, kind: 'redeemed_bonus', amountMinor: signed, bonusIssuedAtStoreId: bonusIssuedAt(cardOf(r.card_account), r.timestamp) });
        else out.push({ storeId, kind: 'redeemed_principal', amountMinor: signed });
        break;
      }
    }
  }
  return out;
}

const cardOf = (accountId: string) => accountId.replace(/^card:/, '').replace(/:(principal|bonus)$/, '');

async function franchisees(db: Db): Promise<Map<string, string | null>> {
  const rows = await db`select id, franchisee from org_nodes where kind = 'store'`;
  return new Map(rows.map((r) => [r.id as string, (r.franchisee as string | null) ?? null]));
}

/** A store's settlement party: its franchisee, or the store itself when company-owned. */
const partyOf = (storeId: string, franchisee: string | null) => franchisee ?? storeId;

/** Value of points each store accepted as payment in the period, less what refunds gave back. */
export async function pointsTenderOf(db: Db, period: Period): Promise<Map<string, number>> {
  const tz = await chainTimeZone(db);
  const from = (await dayBounds(db, period.start, tz)).from;
  const to = (await dayBounds(db, period.end, tz)).to;
  const rows = await db`
    select a.owner as store_id, sum(case when t.code = 'SALE_POINTS' then t.amount else -t.amount end)::bigint as value
    from transfers t join accounts a on a.id = case when t.code = 'SALE_POINTS' then t.debit_account_id else t.credit_account_id end
    where t.kind in ('single', 'post_pending') and t.code in ('SALE_POINTS', 'REFUND_POINTS_VALUE') and a.code = 'STORE_POINTS_TENDER'
      and t."timestamp" >= ${from} and t."timestamp" < ${to}
    group by a.owner`;
  return new Map(rows.map((r) => [r.store_id as string, r.value as number]));
}

/** Core's settleStores over the ledger's movements, plus the points each store is paid for. */
function withPoints(settled: StoreSettlement[], points: ReadonlyMap<string, number>, franchiseeOf: (s: string) => string | null): StoreSettlementWithPoints[] {
  const out: StoreSettlementWithPoints[] = settled.map((s) => {
    const p = points.get(s.storeId) ?? 0;
    return { ...s, pointsReimbursedMinor: p, netMinor: s.netMinor + p };
  });
  for (const [storeId, p] of points) {
    if (p === 0 || out.some((s) => s.storeId === storeId)) continue;
    out.push({ storeId, franchisee: franchiseeOf(storeId), issuedPrincipalMinor: 0, issuedBonusMinor: 0, redeemedPrincipalMinor: 0, redeemedBonusMinor: 0, bonusFundedMinor: 0, bonusReimbursedMinor: 0, serviceFeeMinor: 0, pointsReimbursedMinor: p, netMinor: p });
  }
  return out.sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0));
}

/** Settles a period's stores: core's settleStores over the ledger's movements, and the points they accepted. */
export async function settlePeriod(db: Db, period: Period, rules: SettlementRules): Promise<StoreSettlementWithPoints[]> {
  const f = await franchisees(db);
  const franchiseeOf = (s: string) => f.get(s) ?? null;
  return withPoints(settleStores(await movementsOf(db, period), franchiseeOf, rules), await pointsTenderOf(db, period), franchiseeOf);
}

const AMOUNT_FIELDS = ['issuedPrincipalMinor', 'issuedBonusMinor', 'redeemedPrincipalMinor', 'redeemedBonusMinor', 'bonusFundedMinor', 'bonusReimbursedMinor', 'serviceFeeMinor', 'pointsReimbursedMinor', 'netMinor'] as const;
type Amounts = Record<(typeof AMOUNT_FIELDS)[number], number>;
const zeroAmounts = (): Amounts => Object.fromEntries(AMOUNT_FIELDS.map((k) => [k, 0])) as Amounts;

function lineFromRow(r: Record<string, any>): StatementLine {
  return {
    lineNo: r.line_no,
    kind: r.kind,
    storeId: r.store_id,
    description: r.description,
    issuedPrincipalMinor: r.issued_principal_minor,
    issuedBonusMinor: r.issued_bonus_minor,
    redeemedPrincipalMinor: r.redeemed_principal_minor,
    redeemedBonusMinor: r.redeemed_bonus_minor,
    bonusFundedMinor: r.bonus_funded_minor,
    bonusReimbursedMinor: r.bonus_reimbursed_minor,
    serviceFeeMinor: r.service_fee_minor,
    pointsReimbursedMinor: r.points_reimbursed_minor ?? 0,
    netMinor: r.net_minor,
    correctsStatementId: r.corrects_statement_id ?? null,
  };
}

/** A statement line's figures under their column names: the row stored and the row exported. */
export function statementLineColumns(l: StatementLine) {
  return {
    line_no: l.lineNo,
    kind: l.kind,
    store_id: l.storeId,
    description: l.description,
    issued_principal_minor: l.issuedPrincipalMinor,
    issued_bonus_minor: l.issuedBonusMinor,
    redeemed_principal_minor: l.redeemedPrincipalMinor,
    redeemed_bonus_minor: l.redeemedBonusMinor,
    bonus_funded_minor: l.bonusFundedMinor,
    bonus_reimbursed_minor: l.bonusReimbursedMinor,
    service_fee_minor: l.serviceFeeMinor,
    points_reimbursed_minor: l.pointsReimbursedMinor,
    net_minor: l.netMinor,
  };
}

function lineRow(statementId: string, l: StatementLine): Record<string, unknown> {
  return { statement_id: statementId, ...statementLineColumns(l), corrects_statement_id: l.correctsStatementId };
}

async function loadStatement(db: Db, row: Record<string, any>): Promise<Statement> {
  const lines = await db`select * from settlement_lines where statement_id = ${row.id} order by line_no`;
  return {
    id: row.id,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    party: row.party,
    franchisee: row.franchisee,
    currency: row.currency,
    rules: typeof row.rules === 'string' ? JSON.parse(row.rules) : row.rules,
    netMinor: row.net_minor,
    state: row.state,
    confirmedAt: row.confirmed_at ? (row.confirmed_at as Date).toISOString() : null,
    confirmedBy: row.confirmed_by,
    lines: lines.map(lineFromRow),
  };
}

export async function getStatement(db: Db, id: string): Promise<Statement | null> {
  const [row] = await db`select * from settlement_statements where id = ${id}`;
  return row ? loadStatement(db, row) : null;
}

/** Statements of a period (or all, newest first) whose stores are all within `storeIds`. */
export async function listStatements(db: Db, storeIds: readonly string[], period?: Period): Promise<Statement[]> {
  const rows = await db`
    select s.* from settlement_statements s
    where (${period?.start ?? null}::text is null or (s.period_start = ${period?.start ?? null} and s.period_end = ${period?.end ?? null}))
      and not exists (select 1 from settlement_lines l where l.statement_id = s.id and not (l.store_id = any(${[...storeIds]}::text[])))
    order by s.period_start desc, s.party`;
  return Promise.all(rows.map((r) => loadStatement(db, r)));
}

/**
 * (Re)generates the draft statements of a period, one per party with movements or corrections.
 * Confirmed statements of the period are left as they are. Returns the period's statements.
 */
export async function generateStatements(sql: Sql, period: Period): Promise<Statement[]> {
  if (period.end < period.start) throw new RangeError(`period ${period.start}..${period.end} ends before it starts`);
  const rules = await readSetting(sql, 'settlement');
  const [chain] = await sql`select currency from chain`;
  const currency = (chain?.currency as string | undefined) ?? 'CNY';
  const ids = await sql.begin(async (tx) => {
    // One generator at a time: drafts are replaced as a whole.
    await tx`select pg_advisory_xact_lock(7262847009)`;
    const f = await franchisees(tx);
    const franchiseeOf = (s: string) => f.get(s) ?? null;
    const settled = withPoints(settleStores(await movementsOf(tx, period), franchiseeOf, rules), await pointsTenderOf(tx, period), franchiseeOf);
    const byParty = new Map<string, { franchisee: string | null; lines: StatementLine[] }>();
    const party = (storeId: string) => {
      const franchisee = f.get(storeId) ?? null;
      const key = partyOf(storeId, franchisee);
      let p = byParty.get(key);
      if (!p) byParty.set(key, (p = { franchisee, lines: [] }));
      return p;
    };
    for (const s of settled) {
      const p = party(s.storeId);
      p.lines.push({ ...s, lineNo: 0, kind: 'store', description: `${period.start}…${period.end}`, correctsStatementId: null });
    }
    // Corrections: confirmed earlier statements recomputed now, less what earlier corrections carried.
    const confirmedBefore = await tx`select * from settlement_statements where state = 'confirmed' and period_end < ${period.start} order by period_start`;
    for (const old of confirmedBefore) {
      const oldLines = (await tx`select * from settlement_lines where statement_id = ${old.id} and kind = 'store'`).map(lineFromRow);
      const carried = (await tx`select l.* from settlement_lines l join settlement_statements s on s.id = l.statement_id
        where l.corrects_statement_id = ${old.id} and s.state = 'confirmed'`).map(lineFromRow);
      const oldRules = (typeof old.rules === 'string' ? JSON.parse(old.rules) : old.rules) as SettlementRules;
      const oldPeriod = { start: old.period_start as string, end: old.period_end as string };
      const now = withPoints(settleStores(await movementsOf(tx, oldPeriod), franchiseeOf, oldRules), await pointsTenderOf(tx, oldPeriod), franchiseeOf);
      const stores = new Set([...oldLines.map((l) => l.storeId), ...now.map((n) => n.storeId)].filter((s) => partyOf(s, f.get(s) ?? null) === old.party));
      for (const storeId of [...stores].sort()) {
        const then = zeroAmounts();
        for (const l of [...oldLines, ...carried]) if (l.storeId === storeId) for (const k of AMOUNT_FIELDS) then[k] += l[k];
        const current = now.find((n) => n.storeId === storeId);
        const delta = zeroAmounts();
        for (const k of AMOUNT_FIELDS) delta[k] = (current?.[k] ?? 0) - then[k];
        if (AMOUNT_FIELDS.every((k) => delta[k] === 0)) continue;
        party(storeId).lines.push({ ...delta, storeId, lineNo: 0, kind: 'adjustment', description: `correction of confirmed ${old.period_start}…${old.period_end} (found after confirmation)`, correctsStatementId: old.id });
      }
    }
    const ids: string[] = [];
    const existing = await tx`select id, party, state from settlement_statements where period_start = ${period.start} and period_end = ${period.end}`;
    for (const e of existing) {
      if (e.state !== 'draft') continue;
      await tx`delete from settlement_lines where statement_id = ${e.id}`;
      await tx`delete from settlement_statements where id = ${e.id}`;
    }
    for (const [name, p] of [...byParty.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const confirmed = existing.find((e) => e.party === name && e.state === 'confirmed');
      if (confirmed) {
        ids.push(confirmed.id);
        continue;
      }
      const id = uuidv7();
      p.lines.sort((a, b) => (a.kind === b.kind ? (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0) : a.kind === 'store' ? -1 : 1));
      p.lines.forEach((l, i) => (l.lineNo = i + 1));
      const net = p.lines.reduce((s, l) => s + l.netMinor, 0);
      await tx`insert into settlement_statements ${tx({ id, period_start: period.start, period_end: period.end, party: name, franchisee: p.franchisee, currency, rules: JSON.stringify(rules), net_minor: net, state: 'draft' })}`;
      await tx`insert into settlement_lines ${tx(p.lines.map((l) => lineRow(id, l)))}`;
      ids.push(id);
    }
    return ids;
  });
  const out: Statement[] = [];
  for (const id of ids) out.push((await getStatement(sql, id))!);
  return out;
}

/** Confirms a draft; from then on the statement and its lines never change. */
export async function confirmStatement(sql: Sql, id: string, operator: { id: string; nodeId: string }): Promise<Statement | 'not_found' | 'already_confirmed'> {
  const result = await sql.begin(async (tx) => {
    const [row] = await tx`select state, party, period_start, period_end, net_minor from settlement_statements where id = ${id} for update`;
    if (!row) return 'not_found' as const;
    if (row.state === 'confirmed') return 'already_confirmed' as const;
    await tx`update settlement_statements set state = 'confirmed', confirmed_at = now(), confirmed_by = ${operator.id} where id = ${id}`;
    await tx`insert into audit_log (operator_id, node_id, action, details)
      values (${operator.id}, ${operator.nodeId}, 'settlement.confirmed', ${JSON.stringify({ statementId: id, party: row.party, periodStart: row.period_start, periodEnd: row.period_end, netMinor: row.net_minor })}::text::jsonb)`;
    return 'ok' as const;
  });
  if (result !== 'ok') return result;
  return (await getStatement(sql, id))!;
}
