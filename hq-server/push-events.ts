import { cardBonusAccountId, cardPrincipalAccountId } from '../core/accounts';
import { isDomainError } from '../core/errors';
import type { Transfer } from '../core/ledger';
import { postSale, type SaleDocument } from '../core/sale';
import { postTopUp, type TopUpDocument } from '../core/top-up';
import { eventFromWire, WireValidationError, type SyncEvent } from '../protocols/sync/v1/codec';
import { recordChanges, type ChangeRef } from './change-log';
import type { Db, Sql, Tx } from './database';
import { expiryVoidId, holdIdsOf, holdLegIds, refreshHoldStates } from './holds';
import { isApplied, LedgerTx, MEMBER_ACCOUNT_CODES } from './ledger';
import type { TerminalIdentity } from './terminals';

/**
 * A terminal's outbox arriving at HQ. One PostgreSQL transaction per batch; each
 * (terminal, seq) is stored once. An event that cannot be applied is quarantined with its
 * reason (its effects rolled back to a savepoint) and does not hold up the ones after it.
 */

export type EventStatus = 'applied' | 'duplicate' | 'quarantined';

export interface EventResult {
  seq: number;
  status: EventStatus;
  reason: string;
}

export interface PushResult {
  ackedSeq: number;
  results: EventResult[];
  gaps: Array<{ fromSeq: number; toSeq: number }>;
}

/** Why an event is refused; stored with it. */
class Quarantine extends Error {}

/** The seq of a wire event, which must be readable for the event to be stored at all. */
function seqOf(wire: unknown, index: number): number {
  const raw = wire && typeof wire === 'object' ? (wire as { seq?: unknown }).seq : undefined;
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new WireValidationError(`invalid event: events.${index}.seq: must be an integer from 1`);
  }
  return n;
}

function idOf(wire: unknown): string {
  const raw = wire && typeof wire === 'object' ? (wire as { id?: unknown }).id : undefined;
  return typeof raw === 'string' ? raw.slice(0, 128) : '';
}

/** jsonb refuses U+0000; a quarantined body is kept for people to read, not re-parsed. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null).replace(/\\u0000/g, '\\ufffd'));
}

const signature = (t: Pick<Transfer, 'kind' | 'debitAccountId' | 'creditAccountId' | 'ledger' | 'amount' | 'code' | 'pendingId'>) =>
  [t.kind, t.debitAccountId, t.creditAccountId, t.ledger, t.amount, t.code, t.pendingId ?? ''].join('|');

/** The transfers carried must be exactly those the document makes (ids aside). */
function requireSameTransfers(expected: readonly Transfer[], carried: readonly Transfer[], documentId: string, what: string): void {
  for (const [i, t] of carried.entries()) {
    if (t.documentId !== documentId) throw new Quarantine(`transfer ${i} (${t.id}) belongs to document ${t.documentId ?? '(none)'}, not ${what} ${documentId}`);
  }
  const want = expected.map(signature).sort();
  const got = carried.map(signature).sort();
  if (want.length !== got.length || want.some((s, i) => s !== got[i])) {
    throw new Quarantine(`transfers do not match the ${what}: expected [${want.join('; ')}], got [${got.join('; ')}]`);
  }
}

function checkSale(sale: SaleDocument, transfers: readonly Transfer[], terminal: TerminalIdentity): void {
  if (sale.storeId !== terminal.storeId) throw new Quarantine(`sale store ${sale.storeId} is not this terminal's store ${terminal.storeId}`);
  for (const tender of sale.tenders) {
    if (tender.kind !== 'stored_value') continue;
    for (const leg of tender.legs) {
      const account = leg.part === 'principal' ? cardPrincipalAccountId(tender.cardId) : cardBonusAccountId(tender.cardId);
      if (leg.accountId !== account) throw new Quarantine(`stored-value leg ${leg.accountId} is not the ${leg.part} of card ${tender.cardId}`);
    }
  }
  let expected: Transfer[];
  try {
    // Ids aside, the transfers of a sale are what core's posting rules make of it.
    let i = 0;
    expected = postSale(sale, () => `expected-${i++}`);
  } catch (e) {
    throw new Quarantine(`sale does not add up: ${(e as Error).message}`);
  }
  requireSameTransfers(expected, transfers, sale.id, 'sale');
}

function checkTopUp(topUp: TopUpDocument, transfers: readonly Transfer[], terminal: TerminalIdentity): void {
  if (topUp.storeId !== terminal.storeId) throw new Quarantine(`top-up store ${topUp.storeId} is not this terminal's store ${terminal.storeId}`);
  let expected: Transfer[];
  try {
    let i = 0;
    expected = postTopUp(topUp, () => `expected-${i++}`);
  } catch (e) {
    throw new Quarantine(`top-up is not valid: ${(e as Error).message}`);
  }
  requireSameTransfers(expected, transfers, topUp.id, 'top-up');
}

interface Parsed {
  index: number;
  seq: number;
  eventId: string;
  wire: unknown;
  event: SyncEvent | null;
  invalid: string | null;
}

/**
 * How a batch is written. "bulk": everything is decided in memory (the ledger's rules, document
 * ids) and written at the end in a few statements: the fast path. "isolated": each event in its
 * own SAVEPOINT, so one the database refuses is quarantined alone; taken only when the database
 * refused a bulk write, which the checks before it should make impossible.
 */
export type BatchMode = 'bulk' | 'isolated';

/** Applies a pushed batch for `terminal`; see the module comment for the guarantees. */
export async function pushEvents(sql: Sql, terminal: TerminalIdentity, wireEvents: readonly unknown[], log?: (msg: string) => void): Promise<PushResult> {
  const parsed: Parsed[] = wireEvents.map((wire, index) => {
    const seq = seqOf(wire, index);
    try {
      const event = eventFromWire(wire, terminal.terminalId);
      return { index, seq, eventId: event.id, wire, event, invalid: null };
    } catch (e) {
      if (e instanceof WireValidationError) return { index, seq, eventId: idOf(wire), wire, event: null, invalid: e.message };
      throw e;
    }
  });
  try {
    return await sql.begin((tx) => applyBatch(tx, terminal, parsed, 'bulk'));
  } catch (e) {
    if (!isPostgresError(e)) throw e;
    log?.(`push of ${parsed.length} event(s) from ${terminal.terminalId}: bulk write refused (${e.message}); applying them one by one`);
    return sql.begin((tx) => applyBatch(tx, terminal, parsed, 'isolated'));
  }
}

interface BatchContext {
  tx: Db;
  mode: BatchMode;
  ledger: LedgerTx;
  terminal: TerminalIdentity;
  /** Sale and top-up ids recorded before or earlier in this batch. */
  documents: Set<string>;
  /** Member of each card the batch's documents name. */
  cardOwners: ReadonlyMap<string, string>;
  eventRows: Array<Record<string, unknown>>;
  saleRows: Array<Record<string, unknown>>;
  topUpRows: Array<Record<string, unknown>>;
}

async function applyBatch(tx: Tx, terminal: TerminalIdentity, parsed: readonly Parsed[], mode: BatchMode): Promise<PushResult> {
  // One push at a time per terminal: the acked seq and the event keys are its to move.
  const [me] = await tx`select acked_seq from terminals where id = ${terminal.terminalId} for update`;
  const storedAcked = me ? (me.acked_seq as number) : 0;
  const existing = new Map<number, string>();
  for (const r of await tx`select seq, event_id from events where terminal_id = ${terminal.terminalId} and seq = any(${parsed.map((p) => String(p.seq))}::bigint[])`) {
    existing.set(r.seq, r.event_id);
  }

  // Lock every account the batch may touch, once and in id order.
  const fresh = parsed.filter((p) => p.event && !existing.has(p.seq)).map((p) => p.event!);
  const transfers = fresh.flatMap((e) => e.transfers);
  const releasedHoldIds = fresh.flatMap((e) => (e.body.type === 'holds_released' ? e.body.holdIds : []));
  const legIds = releasedHoldIds.flatMap(holdLegIds);
  const legAccounts = legIds.length
    ? (await tx`select debit_account_id, credit_account_id from transfers where id = any(${legIds}::text[])`).flatMap((r) => [r.debit_account_id as string, r.credit_account_id as string])
    : [];
  // A capture may find its hold released by HQ's expiry sweep; see applyEvent.
  const capturedLegs = transfers.filter((t) => t.kind === 'post_pending' && t.pendingId).map((t) => expiryVoidId(t.pendingId!));
  const loadLedger = async () => {
    const ledger = new LedgerTx(tx);
    await ledger.load(transfers, legAccounts);
    await ledger.loadTransfers([...legIds, ...legIds.map(releaseId), ...capturedLegs]);
    return ledger;
  };
  const ledger = await loadLedger();
  const documentIds = fresh.flatMap((e) => (e.body.type === 'sale' ? [e.body.sale.id] : e.body.type === 'top_up' ? [e.body.topUp.id] : []));
  const documents = new Set<string>();
  if (documentIds.length > 0) {
    for (const r of await tx`select id from sales where id = any(${documentIds}::text[]) union all select id from top_ups where id = any(${documentIds}::text[])`) documents.add(r.id);
  }

  const cardIds = fresh.flatMap((e) => (e.body.type === 'sale' && e.body.sale.cardId ? [e.body.sale.cardId] : e.body.type === 'top_up' ? [e.body.topUp.cardId] : []));
  const cardOwners = new Map<string, string>();
  if (cardIds.length > 0) for (const r of await tx`select id, member_id from cards where id = any(${cardIds}::text[])`) cardOwners.set(r.id, r.member_id);

  const ctx: BatchContext = { tx, mode, ledger, terminal, documents, cardOwners, eventRows: [], saleRows: [], topUpRows: [] };
  const results: EventResult[] = [];
  const changes: ChangeRef[] = [];
  const settledHolds = new Set<string>();
  const quarantine = async (p: Parsed, reason: string) => {
    const row = eventRow(terminal, p, 'quarantined', reason);
    if (mode === 'bulk') ctx.eventRows.push(row);
    else await tx`insert into events ${tx(row)}`;
    existing.set(p.seq, p.eventId);
    results.push({ seq: p.seq, status: 'quarantined', reason });
  };

  for (const p of parsed) {
    const already = existing.get(p.seq);
    if (already !== undefined) {
      if (already === p.eventId) results.push({ seq: p.seq, status: 'duplicate', reason: '' });
      else results.push({ seq: p.seq, status: 'quarantined', reason: `seq ${p.seq} already holds event ${already}; event ${p.eventId || '(no id)'} was not applied` });
      continue;
    }
    if (!p.event) {
      await quarantine(p, p.invalid ?? 'invalid event');
      continue;
    }
    const event = p.event;
    try {
      const touched = mode === 'bulk' ? await applyEvent(ctx, p, event) : await tx.savepoint((sp) => applyEvent({ ...ctx, tx: sp }, p, event));
      for (const id of touched.accounts) if (MEMBER_ACCOUNT_CODES.has(ctx.ledger.accountCode(id)!)) changes.push({ kind: 'balance', key: id });
      for (const h of touched.holds) settledHolds.add(h);
      existing.set(p.seq, p.eventId);
      results.push({ seq: p.seq, status: 'applied', reason: '' });
    } catch (e) {
      if (e instanceof Quarantine) await quarantine(p, e.message);
      else if (isDomainError(e)) await quarantine(p, `${e.code}: ${e.message}`);
      else if (mode === 'isolated' && isPostgresError(e)) {
        await quarantine(p, `refused by the database: ${e.message}`);
        // The savepoint took back what the ledger had written; read its view again.
        ctx.ledger = await loadLedger();
      } else throw e;
    }
  }

  if (mode === 'bulk') {
    for (let i = 0; i < ctx.eventRows.length; i += 1000) await tx`insert into events ${tx(ctx.eventRows.slice(i, i + 1000))}`;
    for (let i = 0; i < ctx.saleRows.length; i += 1000) await tx`insert into sales ${tx(ctx.saleRows.slice(i, i + 1000))}`;
    for (let i = 0; i < ctx.topUpRows.length; i += 1000) await tx`insert into top_ups ${tx(ctx.topUpRows.slice(i, i + 1000))}`;
    await ctx.ledger.flush();
  }
  await refreshHoldStates(tx, [...settledHolds]);

  // Acknowledge the highest contiguous seq; report what is missing below the highest stored.
  const later = (await tx`select seq from events where terminal_id = ${terminal.terminalId} and seq > ${storedAcked} order by seq`).map((r) => r.seq as number);
  let acked = storedAcked;
  for (const seq of later) {
    if (seq !== acked + 1) break;
    acked = seq;
  }
  if (acked !== storedAcked) await tx`update terminals set acked_seq = ${acked} where id = ${terminal.terminalId}`;
  await recordChanges(tx, changes);
  return { ackedSeq: acked, results, gaps: computeGaps(acked, later) };
}

function eventRow(terminal: TerminalIdentity, p: Parsed, status: 'applied' | 'quarantined', reason: string | null): Record<string, unknown> {
  return {
    terminal_id: terminal.terminalId,
    seq: p.seq,
    event_id: p.eventId,
    kind: p.event?.body.type ?? null,
    body: JSON.stringify(jsonSafe(p.wire)),
    status,
    reason,
  };
}

/** Missing seq ranges above `acked` and below the highest stored seq. */
export function computeGaps(acked: number, storedAbove: readonly number[]): Array<{ fromSeq: number; toSeq: number }> {
  const gaps: Array<{ fromSeq: number; toSeq: number }> = [];
  let expect = acked + 1;
  for (const seq of [...storedAbove].sort((a, b) => a - b)) {
    if (seq < expect) continue;
    if (seq > expect) gaps.push({ fromSeq: expect, toSeq: seq - 1 });
    expect = seq + 1;
  }
  return gaps;
}

function isPostgresError(e: unknown): e is Error & { code: string } {
  return e instanceof Error && e.name === 'PostgresError';
}

/**
 * Checks one new event, applies its transfers and records it with its document; throws
 * Quarantine to refuse it. In bulk mode rows are collected for the batch's final write.
 */
async function applyEvent(ctx: BatchContext, p: Parsed, event: SyncEvent): Promise<{ accounts: string[]; holds: string[] }> {
  const { tx, ledger, terminal } = ctx;
  const body = event.body;
  let transfers = event.transfers;
  let documentId: string | null = null;
  if (body.type === 'sale') {
    checkSale(body.sale, transfers, terminal);
    documentId = body.sale.id;
  } else if (body.type === 'top_up') {
    checkTopUp(body.topUp, transfers, terminal);
    documentId = body.topUp.id;
  } else if (body.type === 'holds_released') {
    transfers = await releaseTransfers(tx, ledger, terminal, p, body.holdIds, transfers);
  } else {
    // Kept, never lost: quarantined until this HQ applies the kind (see the member money model issue).
    throw new Quarantine(`${body.type} events are not applied by this HQ yet`);
  }
  const card = body.type === 'sale' ? { cardId: body.sale.cardId, memberId: body.sale.memberId } : body.type === 'top_up' ? { cardId: body.topUp.cardId, memberId: body.topUp.memberId } : null;
  if (card?.cardId) {
    const owner = ctx.cardOwners.get(card.cardId);
    if (owner === undefined) throw new Quarantine(`card ${card.cardId} is not known at HQ`);
    if (owner !== card.memberId) throw new Quarantine(`card ${card.cardId} belongs to member ${owner}, not ${card.memberId ?? '(none)'}`);
  }
  if (documentId !== null && ctx.documents.has(documentId)) throw new Quarantine(`${body.type === 'sale' ? 'sale' : 'top-up'} ${documentId} was already recorded by another event`);

  const defer = ctx.mode === 'bulk';
  let note: string | null = null;
  let applied = await ledger.apply(transfers, { atomic: true, defer });
  const expired = new Set(
    transfers
      .filter((t, i) => applied.statuses[i] === 'pending_transfer_already_voided' && t.kind === 'post_pending' && ledger.transfer(expiryVoidId(t.pendingId!)))
      .map((t) => t.id),
  );
  if (!applied.ok && expired.size > 0 && applied.statuses.every((s, i) => isApplied(s) || expired.has(transfers[i]!.id))) {
    // The sale was completed against a hold that ran out before the event arrived: the member
    // still owes it, so take it as a direct debit if the balance covers it; otherwise quarantine.
    transfers = transfers.map((t) => (expired.has(t.id) ? { ...t, kind: 'single' as const, pendingId: null } : t));
    applied = await ledger.apply(transfers, { atomic: true, defer });
    note = `hold expired at HQ before this capture; ${expired.size} stored-value leg(s) taken as direct debits`;
  }
  if (!applied.ok) {
    const refused = applied.statuses
      .map((s, i) => (s === 'created' || s === 'exists' ? null : `${transfers[i]!.id}: ${s}`))
      .filter((s) => s !== null);
    throw new Quarantine(`ledger refused ${refused.join(', ')}`);
  }

  const rows: Array<[string, Record<string, unknown>]> = [['events', eventRow(terminal, p, 'applied', note)]];
  if (body.type === 'sale') {
    const s = body.sale;
    rows.push(['sales', { id: s.id, terminal_id: terminal.terminalId, event_seq: p.seq, store_id: s.storeId, member_id: s.memberId, card_id: s.cardId, currency: s.currency, total_minor: s.totalMinor, points_earned: s.pointsEarned, completed_at: s.completedAt, body: JSON.stringify(s) }]);
  } else if (body.type === 'top_up') {
    const t = body.topUp;
    rows.push(['top_ups', { id: t.id, terminal_id: terminal.terminalId, event_seq: p.seq, store_id: t.storeId, member_id: t.memberId, card_id: t.cardId, currency: t.currency, principal_minor: t.principalMinor, bonus_minor: t.bonusMinor, completed_at: t.completedAt, body: JSON.stringify(t) }]);
  }
  for (const [table, row] of rows) {
    if (ctx.mode === 'bulk') (table === 'events' ? ctx.eventRows : table === 'sales' ? ctx.saleRows : ctx.topUpRows).push(row);
    else await tx`insert into ${tx(table)} ${tx(row)}`;
  }
  if (documentId !== null) ctx.documents.add(documentId);
  return { accounts: applied.touched, holds: holdIdsOf(transfers.map((t) => t.pendingId)) };
}

/** HQ's own void of a hold leg a holds_released event left pending. */
const releaseId = (legId: string) => `release:${legId}`;

/**
 * A cancelled sale lets go of its holds: the void_pending transfers the terminal carried, plus
 * HQ's own void for any leg of those holds still pending.
 */
async function releaseTransfers(tx: Db, ledger: LedgerTx, terminal: TerminalIdentity, p: Parsed, holdIds: readonly string[], carried: readonly Transfer[]): Promise<Transfer[]> {
  const holds = await tx`select hold_id, terminal_id from holds where hold_id = any(${[...holdIds]}::text[])`;
  for (const id of holdIds) {
    const hold = holds.find((h) => h.hold_id === id);
    if (!hold) throw new Quarantine(`hold ${id} is not known at HQ`);
    if (hold.terminal_id !== terminal.terminalId) throw new Quarantine(`hold ${id} belongs to another terminal`);
  }
  const legs = new Set(holdIds.flatMap(holdLegIds));
  for (const [i, t] of carried.entries()) {
    if (t.kind !== 'void_pending' || !t.pendingId || !legs.has(t.pendingId)) {
      throw new Quarantine(`transfer ${i} (${t.id}) does not release a leg of the holds named`);
    }
  }
  // A leg HQ already released (its expiry sweep, or a Void under other ids) stays released:
  // the terminal's own void of it is moot, not an error. One already captured is refused below.
  const moot = (t: Transfer) => !ledger.transfer(t.id) && ledger.pendingStatus(t.pendingId!) === 'voided';
  const kept = carried.filter((t) => !moot(t));
  const covered = new Set(carried.map((t) => t.pendingId));
  const extra: Transfer[] = [];
  for (const legId of legs) {
    const leg = ledger.transfer(legId);
    if (!leg || covered.has(legId) || ledger.pendingStatus(legId) !== 'pending') continue;
    extra.push({
      id: releaseId(legId),
      kind: 'void_pending',
      debitAccountId: leg.debitAccountId,
      creditAccountId: leg.creditAccountId,
      ledger: leg.ledger,
      amount: leg.amount,
      code: leg.code,
      pendingId: legId,
      timestamp: p.event?.occurredAt ?? leg.timestamp,
      originTerminalId: terminal.terminalId,
      documentId: leg.documentId,
    });
  }
  return [...kept, ...extra];
}
