import type { DayCloseDocument } from '../core/day-close';
import { compareDayCloseTotals, dayCloseTotals, type DayCloseEntry, type DayCloseMismatch, type DayCloseTotals } from '../core/day-close-totals';
import type { Transfer } from '../core/ledger';
import { CHAIN_START, chainOver } from '../protocols/sync/v1/day-close';
import type { Db } from './database';
import { Quarantine } from './quarantine';
import type { TerminalIdentity } from './terminals';

/**
 * Reconciliation (对账). Each terminal closes its day with totals by tender and a hash chain over
 * the events it sent (core/day-close.ts); HQ stores the close and compares it with what it applied:
 * sequence numbers it never received, a chain that differs, totals that differ (which tender, by
 * how much), events still quarantined, offline overdrafts. The chain-wide check per day: member
 * stored value (card principal + bonus) equals the liability rolled forward from the flows by
 * transfer code, and every account's cached balance equals the sum of its transfers.
 */

// ---------------------------------------------------------------- storing a day close

/** Checks a pushed day close and stores it (called from PushEvents; throws Quarantine to keep it unapplied). */
export async function recordDayClose(tx: Db, dc: DayCloseDocument, transfers: readonly Transfer[], terminal: TerminalIdentity, seq: number): Promise<void> {
  if (dc.storeId !== terminal.storeId) throw new Quarantine(`day close store ${dc.storeId} is not this terminal's store ${terminal.storeId}`);
  if (transfers.length > 0) throw new Quarantine('a day close moves no money: it carries no transfers');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dc.businessDate)) throw new Quarantine(`day close business date ${dc.businessDate} is not YYYY-MM-DD`);
  if (!/^[0-9a-f]{64}$/.test(dc.eventsChain)) throw new Quarantine('day close events chain is not 64 hex digits');
  if (dc.lastSeq < dc.firstSeq || dc.firstSeq < 0) throw new Quarantine(`day close seq range ${dc.firstSeq}..${dc.lastSeq} is empty or negative`);
  if (dc.lastSeq >= seq) throw new Quarantine(`day close covers seq ${dc.lastSeq}, not before its own event ${seq}`);
  const [known] = await tx`select terminal_id, event_seq from day_closes where id = ${dc.id}`;
  if (known) throw new Quarantine(`day close ${dc.id} was already recorded by event ${known.terminal_id}#${known.event_seq}`);
  await tx`insert into day_closes ${tx({
    id: dc.id,
    terminal_id: terminal.terminalId,
    event_seq: seq,
    store_id: dc.storeId,
    business_date: dc.businessDate,
    first_seq: dc.firstSeq,
    last_seq: dc.lastSeq,
    events_chain: dc.eventsChain,
    sale_count: dc.saleCount,
    refund_count: dc.refundCount,
    top_up_total_minor: dc.topUpTotalMinor,
    tenders: JSON.stringify(dc.tenders),
    closed_at: dc.closedAt,
  })}`;
}

// ---------------------------------------------------------------- the report

export type DifferenceKind =
  | 'day_close_missing' // a terminal did business that day and sent no close
  | 'missing_events' // seqs the close covers that HQ never received
  | 'chain_mismatch' // the terminal's hash chain ≠ the chain over the events HQ holds
  | 'quarantined_event' // an event the close covers that HQ kept unapplied
  | 'tender_total' // a tender's sales or refunds differ
  | 'count' // number of sales or refunds differs
  | 'top_up_total' // principal topped up differs
  | 'offline_overdraft' // an offline stored-value debit the card could not cover: the store's exposure
  | 'liability' // member stored value ≠ liability rolled forward from the flows
  | 'unexpected_card_flow' // a transfer moved card value with a code that may not, or the wrong way
  | 'account_cache'; // an account's cached balance ≠ the sum of its transfers

export interface Difference {
  kind: DifferenceKind;
  terminalId: string | null;
  storeId: string | null;
  /** For tender differences: cash, bank_card, stored_value, points. */
  tender?: string;
  /** Terminal's figure and HQ's, when there are two to compare (minor units, or a count). */
  terminalSays?: number;
  hqHas?: number;
  /** How much (minor units): HQ's figure − the terminal's, the overdraft, the event's document total… null when not money. */
  amountMinor: number | null;
  seqs?: Array<{ fromSeq: number; toSeq: number }>;
  accountId?: string;
  detail: string;
}

export interface TerminalReconciliation {
  terminalId: string;
  storeId: string;
  dayClose: null | { id: string; eventSeq: number; firstSeq: number; lastSeq: number; closedAt: number; reported: DayCloseTotals; eventsChain: string };
  /** HQ's totals over the documents it applied from the close's seq range (or the day, without a close). */
  hq: DayCloseTotals;
  hqChain: string | null;
  differences: number;
}

export interface LiabilityCheck {
  /** Start and end (Unix ms, exclusive end) of the business day in the chain's time zone. */
  from: number;
  to: number;
  openingMinor: number;
  flows: Array<{ code: string; amountMinor: number }>;
  /** Opening + flows. */
  closingFromFlowsMinor: number;
  /** Sum of card principal + bonus balances at the end of the day, from their transfers. */
  memberBalancesMinor: number;
  /** Sum of the cached balances of card accounts now, and the same from all transfers. */
  cachedNowMinor: number;
  transfersNowMinor: number;
}

export interface ReconciliationReport {
  date: string;
  timeZone: string;
  terminals: TerminalReconciliation[];
  /** Chain-wide checks; only for an operator whose scope is the whole chain. */
  liability: LiabilityCheck | null;
  differences: Difference[];
}

const CARD_CODES = ['CARD_PRINCIPAL', 'CARD_BONUS'];
/** Transfer codes that may move member stored value, and which way (+ into cards, − out of them, ± either, 0 card to card). */
export const CARD_FLOW_SIGN: Readonly<Record<string, '+' | '-' | '±' | '0'>> = {
  OPENING_BALANCE: '+',
  TOPUP: '+',
  TOPUP_BONUS: '+',
  REBATE: '+',
  REFUND_STORED_VALUE: '+',
  STORED_VALUE_ADJUSTED: '±',
  SALE_STORED_VALUE: '-',
  TOPUP_REFUND: '-',
  TOPUP_BONUS_CLAWBACK: '-',
  CARD_REPLACEMENT: '0',
  BALANCE_TRANSFER: '0',
};

const rangeText = (r: { fromSeq: number; toSeq: number }) => (r.fromSeq === r.toSeq ? `${r.fromSeq}` : `${r.fromSeq}–${r.toSeq}`);

/** Missing ranges of 1..lastSeq given the seqs held (sorted ascending). */
function missingRanges(held: readonly number[], fromSeq: number, lastSeq: number): Array<{ fromSeq: number; toSeq: number }> {
  const out: Array<{ fromSeq: number; toSeq: number }> = [];
  let expect = fromSeq;
  for (const s of held) {
    if (s < expect) continue;
    if (s > lastSeq) break;
    if (s > expect) out.push({ fromSeq: expect, toSeq: s - 1 });
    expect = s + 1;
  }
  if (expect <= lastSeq) out.push({ fromSeq: expect, toSeq: lastSeq });
  return out;
}

/** The chain's time zone (its root node's). */
export async function chainTimeZone(db: Db): Promise<string> {
  const [root] = await db`select time_zone from org_nodes where parent_id is null order by id limit 1`;
  return (root?.time_zone as string | undefined) ?? 'UTC';
}

/** Unix ms of local midnight starting `date` (YYYY-MM-DD) and the next one, in `timeZone`. */
export async function dayBounds(db: Db, date: string, timeZone: string): Promise<{ from: number; to: number }> {
  const [r] = await db`
    select extract(epoch from (${date}::date::timestamp at time zone ${timeZone})) * 1000 as f,
           extract(epoch from ((${date}::date + 1)::timestamp at time zone ${timeZone})) * 1000 as t`;
  return { from: Number(r!.f), to: Number(r!.t) };
}

const parseBody = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** Documents HQ applied from one terminal, as day-close entries: by event seq range, or by completion time. */
async function appliedEntries(db: Db, terminalId: string, where: { fromSeq: number; toSeq: number } | { from: number; to: number }): Promise<DayCloseEntry[]> {
  const bySeq = 'fromSeq' in where;
  const lo = bySeq ? where.fromSeq : where.from;
  const hi = bySeq ? where.toSeq : where.to - 1;
  const rows = await db`
    select 'sale' as type, body, event_seq from sales where terminal_id = ${terminalId} and ${bySeq ? db`event_seq` : db`completed_at`} between ${lo} and ${hi}
    union all select 'refund', body, event_seq from refunds where terminal_id = ${terminalId} and ${bySeq ? db`event_seq` : db`completed_at`} between ${lo} and ${hi}
    union all select 'top_up', body, event_seq from top_ups where terminal_id = ${terminalId} and ${bySeq ? db`event_seq` : db`completed_at`} between ${lo} and ${hi}
    union all select 'top_up_refund', body, event_seq from top_up_refunds where terminal_id = ${terminalId} and ${bySeq ? db`event_seq` : db`completed_at`} between ${lo} and ${hi}`;
  return rows.map((r) => {
    const doc = parseBody<never>(r.body);
    switch (r.type as DayCloseEntry['type']) {
      case 'sale':
        return { type: 'sale', sale: doc };
      case 'refund':
        return { type: 'refund', refund: doc };
      case 'top_up':
        return { type: 'top_up', topUp: doc };
      case 'top_up_refund':
        return { type: 'top_up_refund', topUpRefund: doc };
    }
  });
}

/** The money a quarantined event's document names, read from its stored wire body when it has one. */
function wireAmount(body: unknown): number | null {
  const e = parseBody<Record<string, Record<string, unknown> | undefined>>(body);
  if (!e || typeof e !== 'object') return null;
  const pick = e.sale?.total ?? e.refund?.total ?? e.topUp?.principal ?? e.topUpRefund?.principal;
  const n = typeof pick === 'string' || typeof pick === 'number' ? Number(pick) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

const mismatchText: Record<DayCloseMismatch['field'], string> = {
  tender_sales: 'taken in',
  tender_refunds: 'paid back',
  sale_count: 'sales',
  refund_count: 'refunds',
  top_up_total: 'top-up principal',
};

/** Reconciles business date `date` for the terminals of `storeIds`; `chainWide` adds the liability checks. */
export async function reconcileDate(db: Db, date: string, storeIds: readonly string[], chainWide: boolean): Promise<ReconciliationReport> {
  const timeZone = await chainTimeZone(db);
  const differences: Difference[] = [];
  const terminals: TerminalReconciliation[] = [];
  const terminalRows = await db`
    select t.id, t.store_id, s.time_zone from terminals t join org_nodes s on s.id = t.store_id
    where t.store_id = any(${[...storeIds]}::text[]) order by t.id`;
  for (const t of terminalRows) {
    const terminalId = t.id as string;
    const storeId = t.store_id as string;
    const before = differences.length;
    const [dc] = await db`select * from day_closes where terminal_id = ${terminalId} and business_date = ${date} order by event_seq desc limit 1`;
    if (!dc) {
      // A close HQ kept unapplied (an HQ from before day closes were reconciled quarantined them all): retry it.
      const kept = await db`
        select seq, reason from events where terminal_id = ${terminalId} and kind = 'day_close' and status = 'quarantined'
          and (case when jsonb_typeof(body) = 'string' then (body #>> '{}')::jsonb else body end) -> 'dayClose' ->> 'businessDate' = ${date}
        order by seq`;
      for (const k of kept) {
        differences.push({ kind: 'quarantined_event', terminalId, storeId, amountMinor: null, seqs: [{ fromSeq: k.seq, toSeq: k.seq }], detail: `${terminalId} seq ${k.seq}: its day close of ${date} is quarantined: ${k.reason ?? ''}` });
      }
      const day = await dayBounds(db, date, t.time_zone as string);
      const entries = await appliedEntries(db, terminalId, day);
      if (entries.length === 0) {
        if (kept.length > 0) terminals.push({ terminalId, storeId, dayClose: null, hq: dayCloseTotals([]), hqChain: null, differences: differences.length - before });
        continue;
      }
      const hq = dayCloseTotals(entries);
      const taken = hq.tenders.reduce((s, x) => s + x.salesMinor, 0);
      differences.push({ kind: 'day_close_missing', terminalId, storeId, amountMinor: taken, detail: `${terminalId} did ${entries.length} document(s) on ${date} (¥ taken in ${taken} fen at HQ) and sent no day close` });
      terminals.push({ terminalId, storeId, dayClose: null, hq, hqChain: null, differences: differences.length - before });
      continue;
    }
    const firstSeq = dc.first_seq as number;
    const lastSeq = dc.last_seq as number;
    const reported: DayCloseTotals = { tenders: parseBody(dc.tenders), saleCount: dc.sale_count, refundCount: dc.refund_count, topUpTotalMinor: dc.top_up_total_minor };
    // The chain up to the latest checkpoint (every event before it stored) is known; hash from there.
    const [checkpoint] = await db`select seq, chain from event_chain_checkpoints where terminal_id = ${terminalId} and seq < ${firstSeq} order by seq desc limit 1`;
    const startSeq = (checkpoint?.seq as number | undefined) ?? 0;
    const start = (checkpoint?.chain as string | undefined) ?? CHAIN_START;
    const events = await db`select seq, event_id, status, reason, kind, body from events where terminal_id = ${terminalId} and seq > ${startSeq} and seq <= ${lastSeq} order by seq`;
    const held = events.map((e) => e.seq as number);
    const missing = missingRanges(held, startSeq + 1, lastSeq);
    if (missing.length > 0) {
      const count = missing.reduce((s, r) => s + r.toSeq - r.fromSeq + 1, 0);
      differences.push({ kind: 'missing_events', terminalId, storeId, amountMinor: null, seqs: missing, detail: `${terminalId}: ${count} event(s) up to seq ${lastSeq} never reached HQ: seq ${missing.map(rangeText).join(', ')}` });
    }
    const hqChain = chainOver(events.map((e) => ({ seq: e.seq as number, id: e.event_id as string })), start);
    if (missing.length === 0 && lastSeq > startSeq) {
      await db`insert into event_chain_checkpoints (terminal_id, seq, chain) values (${terminalId}, ${lastSeq}, ${hqChain}) on conflict do nothing`;
    }
    if (hqChain !== dc.events_chain) {
      differences.push({ kind: 'chain_mismatch', terminalId, storeId, amountMinor: null, detail: `${terminalId}: the events HQ holds up to seq ${lastSeq} do not hash to the terminal's chain (${String(dc.events_chain).slice(0, 12)}… ≠ ${hqChain.slice(0, 12)}…)` });
    }
    for (const e of events) {
      if (e.status !== 'quarantined' || (e.seq as number) < firstSeq) continue;
      const amount = wireAmount(e.body);
      differences.push({ kind: 'quarantined_event', terminalId, storeId, amountMinor: amount, seqs: [{ fromSeq: e.seq, toSeq: e.seq }], detail: `${terminalId} seq ${e.seq} (${e.kind ?? 'unreadable'}${amount !== null ? `, ${amount} fen` : ''}) is quarantined: ${e.reason ?? ''}` });
    }
    const hq = dayCloseTotals(await appliedEntries(db, terminalId, { fromSeq: firstSeq, toSeq: lastSeq }));
    for (const m of compareDayCloseTotals(reported, hq)) {
      const kind: DifferenceKind = m.field === 'tender_sales' || m.field === 'tender_refunds' ? 'tender_total' : m.field === 'top_up_total' ? 'top_up_total' : 'count';
      const money = kind !== 'count';
      differences.push({
        kind,
        terminalId,
        storeId,
        ...(m.tender ? { tender: m.tender } : {}),
        terminalSays: m.terminalSays,
        hqHas: m.hqHas,
        amountMinor: money ? m.hqHas - m.terminalSays : null,
        detail: `${terminalId}: ${m.tender ? `${m.tender} ` : ''}${mismatchText[m.field]} — terminal says ${m.terminalSays}, HQ applied ${m.hqHas}${money ? ` (difference ${m.hqHas - m.terminalSays} fen)` : ''}`,
      });
    }
    const overdrafts = await db`
      select o.transfer_id, o.sale_id, o.account_id, o.ledger, o.amount, o.refunded, s.member_id, s.event_seq
      from offline_overdrafts o join sales s on s.id = o.sale_id
      where s.terminal_id = ${terminalId} and s.event_seq between ${firstSeq} and ${lastSeq} order by s.event_seq`;
    for (const o of overdrafts) {
      const points = o.ledger === 'POINTS';
      differences.push({
        kind: 'offline_overdraft',
        terminalId,
        storeId,
        accountId: o.account_id,
        amountMinor: points ? null : o.amount,
        seqs: [{ fromSeq: o.event_seq, toSeq: o.event_seq }],
        detail: `${terminalId} seq ${o.event_seq}: offline sale ${o.sale_id} overdrew ${o.account_id} (member ${o.member_id ?? '?'}) by ${o.amount} ${points ? 'points' : 'fen'}${o.refunded ? `, ${o.refunded} paid back by refunds` : ''}; booked to ${storeId}'s offline exposure`,
      });
    }
    terminals.push({
      terminalId,
      storeId,
      dayClose: { id: dc.id, eventSeq: dc.event_seq, firstSeq, lastSeq, closedAt: dc.closed_at, reported, eventsChain: dc.events_chain },
      hq,
      hqChain,
      differences: differences.length - before,
    });
  }
  const liability = chainWide ? await liabilityCheck(db, date, timeZone, differences) : null;
  return { date, timeZone, terminals, liability, differences };
}

/** The chain-wide stored-value checks for one business day; differences are appended to `out`. */
async function liabilityCheck(db: Db, date: string, timeZone: string, out: Difference[]): Promise<LiabilityCheck> {
  const { from, to } = await dayBounds(db, date, timeZone);
  // Each posted transfer touching a card account, with its effect on member stored value.
  const rows = await db`
    select t.code,
      sum(case when t."timestamp" < ${from} then (case when ca.code = any(${CARD_CODES}) then t.amount else 0 end) - (case when da.code = any(${CARD_CODES}) then t.amount else 0 end) else 0 end)::bigint as before,
      sum(case when t."timestamp" >= ${from} and t."timestamp" < ${to} and ca.code = any(${CARD_CODES}) then t.amount else 0 end)::bigint as into_cards,
      sum(case when t."timestamp" >= ${from} and t."timestamp" < ${to} and da.code = any(${CARD_CODES}) then t.amount else 0 end)::bigint as out_of_cards,
      sum(case when t."timestamp" >= ${from} and t."timestamp" < ${to} and ca.code = any(${CARD_CODES}) and not (da.code = any(${CARD_CODES})) then 1 else 0 end)::bigint as n_in,
      sum(case when t."timestamp" >= ${from} and t."timestamp" < ${to} and da.code = any(${CARD_CODES}) and not (ca.code = any(${CARD_CODES})) then 1 else 0 end)::bigint as n_out
    from transfers t join accounts da on da.id = t.debit_account_id join accounts ca on ca.id = t.credit_account_id
    where t.kind in ('single', 'post_pending') and (da.code = any(${CARD_CODES}) or ca.code = any(${CARD_CODES})) and t."timestamp" < ${to}
    group by t.code order by t.code`;
  let openingMinor = 0;
  let memberBalancesMinor = 0;
  const flows: Array<{ code: string; amountMinor: number }> = [];
  for (const r of rows) {
    const code = r.code as string;
    openingMinor += r.before as number;
    const net = (r.into_cards as number) - (r.out_of_cards as number);
    memberBalancesMinor += (r.before as number) + net;
    const sign = CARD_FLOW_SIGN[code];
    // The liability side counts each flow by what its code means; a code moving value the wrong
    // way (or one that may not touch cards at all) is left out here and flagged, so it shows as a difference.
    let counted = 0;
    if (sign === '+') counted = r.into_cards;
    else if (sign === '-') counted = -r.out_of_cards;
    else if (sign === '±' || sign === '0') counted = net;
    if (sign === undefined && (r.into_cards > 0 || r.out_of_cards > 0)) {
      out.push({ kind: 'unexpected_card_flow', terminalId: null, storeId: null, amountMinor: net, detail: `transfers coded ${code} moved ${net} fen of member stored value on ${date}; that code may not touch cards` });
    } else if ((sign === '+' && r.n_out > 0) || (sign === '-' && r.n_in > 0)) {
      out.push({ kind: 'unexpected_card_flow', terminalId: null, storeId: null, amountMinor: sign === '+' ? -r.out_of_cards : r.into_cards, detail: `transfers coded ${code} moved member stored value the wrong way on ${date}` });
    } else if (sign === '0' && net !== 0) {
      out.push({ kind: 'unexpected_card_flow', terminalId: null, storeId: null, amountMinor: net, detail: `${code} should move value between cards only, yet changed member stored value by ${net} fen on ${date}` });
    }
    if (counted !== 0) flows.push({ code, amountMinor: counted });
  }
  const closingFromFlowsMinor = openingMinor + flows.reduce((s, f) => s + f.amountMinor, 0);
  if (closingFromFlowsMinor !== memberBalancesMinor) {
    out.push({ kind: 'liability', terminalId: null, storeId: null, amountMinor: memberBalancesMinor - closingFromFlowsMinor, detail: `member stored value at the end of ${date} is ${memberBalancesMinor} fen; the liability from the flows is ${closingFromFlowsMinor} fen` });
  }
  const [now] = await db`
    select coalesce(sum(credits_posted - debits_posted), 0)::bigint as cached from accounts where code = any(${CARD_CODES})`;
  const [fromTransfers] = await db`
    select coalesce(sum(case when ca.code = any(${CARD_CODES}) then t.amount else 0 end) - sum(case when da.code = any(${CARD_CODES}) then t.amount else 0 end), 0)::bigint as s
    from transfers t join accounts da on da.id = t.debit_account_id join accounts ca on ca.id = t.credit_account_id
    where t.kind in ('single', 'post_pending')`;
  const cachedNowMinor = now!.cached as number;
  const transfersNowMinor = fromTransfers!.s as number;
  for (const a of await accountCacheMismatches(db)) {
    out.push({ kind: 'account_cache', terminalId: null, storeId: a.id.startsWith('store:') ? a.owner : null, accountId: a.id, amountMinor: a.cached - a.fromTransfers, detail: `account ${a.id}: cached balance ${a.cached}, its transfers add up to ${a.fromTransfers} (${a.ledger})` });
  }
  return { from, to, openingMinor, flows, closingFromFlowsMinor, memberBalancesMinor, cachedNowMinor, transfersNowMinor };
}

/**
 * Accounts whose cached posted (and pending) totals differ from their transfers. A limit-free
 * account caches no pending total (ledger.ts cachesPending): its pending columns must be zero.
 */
export async function accountCacheMismatches(db: Db): Promise<Array<{ id: string; owner: string | null; ledger: string; cached: number; fromTransfers: number }>> {
  const rows = await db`
    with posted as (
      select account, sum(dp)::bigint as dp, sum(cp)::bigint as cp, sum(dq)::bigint as dq, sum(cq)::bigint as cq from (
        select debit_account_id as account, case when kind in ('single', 'post_pending') then amount else 0 end as dp, 0 as cp,
          case when kind = 'pending' and pending_state = 'pending' then amount else 0 end as dq, 0 as cq from transfers
        union all select credit_account_id, 0, case when kind in ('single', 'post_pending') then amount else 0 end,
          0, case when kind = 'pending' and pending_state = 'pending' then amount else 0 end from transfers
      ) x group by account)
    select a.id, a.owner, a.ledger, a.credits_posted - a.debits_posted as cached, coalesce(p.cp, 0) - coalesce(p.dp, 0) as from_transfers
    from accounts a left join posted p on p.account = a.id
    where a.debits_posted <> coalesce(p.dp, 0) or a.credits_posted <> coalesce(p.cp, 0)
       or a.debits_pending <> case when a.debits_must_not_exceed_credits then coalesce(p.dq, 0) else 0 end
       or a.credits_pending <> case when a.debits_must_not_exceed_credits then coalesce(p.cq, 0) else 0 end
    order by a.id`;
  return rows.map((r) => ({ id: r.id, owner: r.owner, ledger: r.ledger, cached: r.cached, fromTransfers: r.from_transfers }));
}
