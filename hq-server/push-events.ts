import { cardBonusAccountId, cardPrincipalAccountId, chainRebateAccountId } from '../core/accounts';
import { DomainError, invariant, isDomainError } from '../core/errors';
import { POINTS_LEDGER, type Transfer } from '../core/ledger';
import { holdRebate, rebateAmount, rebateLeftAfterRefund, rebateMaturesAt, type RebateRule } from '../core/rebate';
import type { PointsTenderRule } from '../core/points-tender';
import type { RefundDocument } from '../core/refund';
import type { ChainSettings } from '../core/settings';
import { postSale, type SaleDocument } from '../core/sale';
import { linesBeforeManualDiscounts, manualDiscountProblem } from '../core/manual-discount';
import { weighedLineProblem } from '../core/weighed';
import { postTopUp, type TopUpDocument } from '../core/top-up';
import { eventFromWire, WireValidationError, type EventBody, type SyncEvent } from '../protocols/sync/v1/codec';
import { recordChanges, type ChangeRef } from './change-log';
import type { Db, Sql, Tx } from './database';
import { expiryVoidId, holdIdsOf, holdLegIds, refreshHoldStates } from './holds';
import { createAccounts, isApplied, LedgerTx, MEMBER_ACCOUNT_CODES } from './ledger';
import { reviewLevelsAfterSpend } from './jobs/member-levels';
import { coverOfflineDebits, exposureAccountFor, isOfflineMemberDebit, overdraftFromRow, overdraftId, overdraftRow, repayOverdrafts, storeOfflinePointsExposureAccount, type Overdraft } from './offline-exposure';
import { Quarantine, requireSameTransfers } from './quarantine';
import { saleBudgetDrawRows, salePromotionProblem } from './promotion-budgets';
import { recordCouponUses } from './coupons';
import { AWAITING_SALE, checkGiftRedemption, checkRefund, checkTopUpRefund, checkTopUpRefundHolds } from './refunds';
import { readSettingsOf } from './settings';
import { recordDayClose } from './reconciliation';
import { recordTerminalAudit } from './terminal-audit';
import type { TerminalIdentity } from './terminals';

/**
 * A terminal's outbox arriving at HQ. One PostgreSQL transaction per batch; each
 * (terminal, seq) is stored once. An event that cannot be applied is quarantined with its
 * reason (its effects rolled back to a savepoint) and does not hold up the ones after it.
 *
 * Every document is checked against core's rules and what HQ holds (refunds against the stored
 * sale and its earlier refunds, top-up refunds against the stored top-up). HQ adds its own
 * transfers atomically with the terminal's: the overdraft of an offline debit the balance no
 * longer covers (and its pay-back on refund), a sale's held rebate and its shrinking on refund.
 * After the batch, the levels of members whose spend changed are reviewed (upgrades only); after
 * commit, refunds that were waiting for a sale the batch recorded are applied.
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

/**
 * The wire event as JSON text. jsonb refuses U+0000, so it becomes U+FFFD: a quarantined body
 * is kept for people to read, not re-parsed.
 */
function wireText(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  return text.includes('\\u0000') ? text.replace(/\\u0000/g, '\\ufffd') : text;
}

function checkSale(sale: SaleDocument, transfers: readonly Transfer[], terminal: TerminalIdentity): void {
  if (sale.storeId !== terminal.storeId) throw new Quarantine(`sale store ${sale.storeId} is not this terminal's store ${terminal.storeId}`);
  // Promotion shares explain each line's amount before the cashier's manual discounts.
  const promotionProblem = salePromotionProblem(sale.manualDiscounts?.length ? { ...sale, lines: linesBeforeManualDiscounts(sale.lines) } : sale);
  if (promotionProblem) throw new Quarantine(`sale promotions: ${promotionProblem}`);
  const manualProblem = manualDiscountProblem(sale);
  if (manualProblem) throw new Quarantine(`sale manual discounts: ${manualProblem}`);
  for (const line of sale.lines) {
    const weighed = weighedLineProblem(line);
    if (weighed) throw new Quarantine(`sale ${weighed}`);
  }
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

/** The card of a stored-value account id (card:{id}:principal|bonus), or null. */
function cardOfAccount(accountId: string): string | null {
  const m = /^card:(.+):(principal|bonus)$/.exec(accountId);
  return m ? m[1]! : null;
}

/** Points pay in whole redemption units, each worth the rule's value. */
function checkPointsTender(sale: SaleDocument, rule: PointsTenderRule): void {
  for (const t of sale.tenders) {
    if (t.kind !== 'points') continue;
    if (t.points <= 0 || t.points % rule.pointsPerUnit !== 0) {
      throw new Quarantine(`POINTS_BELOW_REDEMPTION_UNIT: ${t.points} points are not whole units of ${rule.pointsPerUnit}`);
    }
    const value = (t.points / rule.pointsPerUnit) * rule.unitValueMinor;
    if (t.amountMinor !== value) throw new Quarantine(`points tender: ${t.points} points are worth ${value}, not ${t.amountMinor}`);
  }
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

export interface PushOptions {
  log?: (msg: string) => void;
  /** HQ's clock (Unix ms): the rolling window of member levels ends here. */
  now?: number;
  /** The outbox depth the terminal reports after this batch: recorded in the batch's transaction. */
  outboxDepth?: number;
}

/** Applies a pushed batch for `terminal`; see the module comment for the guarantees. */
export async function pushEvents(sql: Sql, terminal: TerminalIdentity, wireEvents: readonly unknown[], logOrOptions?: ((msg: string) => void) | PushOptions): Promise<PushResult> {
  const options: PushOptions = typeof logOrOptions === 'function' ? { log: logOrOptions } : (logOrOptions ?? {});
  const log = options.log;
  const now = options.now ?? Date.now();
  const parsed: Parsed[] = wireEvents.map((wire, index) => parseWire(wire, index, terminal.terminalId));
  let outcome: BatchOutcome;
  try {
    outcome = await sql.begin((tx) => applyBatch(tx, terminal, parsed, 'bulk', now, { outboxDepth: options.outboxDepth }));
  } catch (e) {
    if (!isPostgresError(e)) throw e;
    log?.(`push of ${parsed.length} event(s) from ${terminal.terminalId}: bulk write refused (${e.message}); applying them one by one`);
    outcome = await sql.begin((tx) => applyBatch(tx, terminal, parsed, 'isolated', now, { outboxDepth: options.outboxDepth }));
  }
  if (outcome.salesRecorded.length > 0) await applyRefundsAwaiting(sql, outcome.salesRecorded, now, log);
  return outcome.result;
}

/**
 * Document and event bodies are written as JSON text, which the driver stores as a jsonb string;
 * read either form.
 */
export function jsonOf(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function parseWire(wire: unknown, index: number, terminalId: string): Parsed {
  const seq = seqOf(wire, index);
  try {
    const event = eventFromWire(wire, terminalId);
    return { index, seq, eventId: event.id, wire, event, invalid: null };
  } catch (e) {
    if (e instanceof WireValidationError) return { index, seq, eventId: idOf(wire), wire, event: null, invalid: e.message };
    throw e;
  }
}

/**
 * A refund can reach HQ before its sale (pushed by another terminal that was offline): it is kept
 * quarantined as "awaiting sale". When the sale arrives, each such refund is applied in its own
 * transaction, in the order its terminal pushed them; one that still fails keeps its reason.
 */
async function applyRefundsAwaiting(sql: Sql, saleIds: readonly string[], now: number, log?: (msg: string) => void): Promise<void> {
  const waiting = await sql`
    select e.terminal_id, e.seq, t.store_id from events e join terminals t on t.id = e.terminal_id
    where e.status = 'quarantined' and e.kind = 'refund' and e.reason like ${AWAITING_SALE + '%'}
      and (case when jsonb_typeof(e.body) = 'string' then (e.body #>> '{}')::jsonb else e.body end) -> 'refund' ->> 'saleId' = any(${[...saleIds]}::text[])
    order by e.terminal_id, e.seq`;
  for (const w of waiting) {
    try {
      await retryStoredEvent(sql, w.terminal_id, w.seq, now);
    } catch (e) {
      log?.(`refund event ${w.terminal_id}#${w.seq} awaiting its sale could not be applied: ${(e as Error).message}`);
    }
  }
}

/**
 * Applies a quarantined event again (its cause fixed: the sale arrived, a balance was adjusted…)
 * exactly as if it had just been pushed, in its own transaction. Its stored row becomes applied,
 * or keeps quarantined with the new reason. An event already applied is answered as such.
 */
export async function retryEvent(sql: Sql, terminalId: string, seq: number, now: number, log?: (msg: string) => void): Promise<EventResult> {
  const outcome = await retryStoredEvent(sql, terminalId, seq, now);
  // A sale applied now may be what refunds were waiting for.
  if (outcome.salesRecorded.length > 0) await applyRefundsAwaiting(sql, outcome.salesRecorded, now, log);
  return outcome.result.results[0]!;
}

async function retryStoredEvent(sql: Sql, terminalId: string, seq: number, now: number): Promise<BatchOutcome> {
  return sql.begin(async (tx) => {
    const [t] = await tx`select store_id from terminals where id = ${terminalId} for no key update`;
    const [row] = t ? await tx`select body, status from events where terminal_id = ${terminalId} and seq = ${seq}` : [];
    if (!t || !row) throw new DomainError('NOT_FOUND', `no event ${seq} of terminal ${terminalId}`);
    if (row.status !== 'quarantined') return { result: { ackedSeq: 0, results: [{ seq, status: 'duplicate' as const, reason: 'already applied' }], gaps: [] }, salesRecorded: [] };
    const p = parseWire(jsonOf(row.body), 0, terminalId);
    return applyBatch(tx, { terminalId, storeId: t.store_id }, [p], 'isolated', now, { reapply: true });
  });
}

interface RebateState {
  saleId: string;
  memberId: string;
  cardId: string;
  currency: string;
  paidMinor: number;
  heldMinor: number;
  leftMinor: number;
  refundedMinor: number;
  heldAt: number;
  maturesAt: number;
  state: 'pending' | 'posted' | 'voided';
}

const rebateRow = (r: RebateState) => ({
  sale_id: r.saleId,
  member_id: r.memberId,
  card_id: r.cardId,
  currency: r.currency,
  paid_minor: r.paidMinor,
  held_minor: r.heldMinor,
  left_minor: r.leftMinor,
  refunded_minor: r.refundedMinor,
  held_at: r.heldAt,
  matures_at: r.maturesAt,
  state: r.state,
});

type DocumentTable = 'sales' | 'top_ups' | 'refunds' | 'top_up_refunds' | 'gift_redemptions';
const DOCUMENT_TABLES: readonly DocumentTable[] = ['sales', 'top_ups', 'refunds', 'top_up_refunds', 'gift_redemptions'];

interface BatchContext {
  tx: Db;
  mode: BatchMode;
  ledger: LedgerTx;
  terminal: TerminalIdentity;
  /** Ids of documents (sales, top-ups, refunds, top-up refunds, gift redemptions) recorded before or earlier in this batch. */
  documents: Set<string>;
  /** Member of each card the batch's documents name. */
  cardOwners: ReadonlyMap<string, string>;
  /** Sales the batch's refunds name (and those it records), with the refunds of each so far. */
  sales: Map<string, SaleDocument>;
  refundsBySale: Map<string, RefundDocument[]>;
  topUps: Map<string, TopUpDocument>;
  refundedTopUps: Set<string>;
  rebateRule: RebateRule | null;
  /** The chain's 积分抵现 rule, when the batch has a sale paid with points. */
  pointsTenderRule: PointsTenderRule | null;
  rebates: Map<string, RebateState>;
  /** Offline overdrafts of the sales the batch's refunds name (and those it makes), by sale. */
  overdrafts: Map<string, Overdraft[]>;
  overdraftsChanged: Map<string, Overdraft>;
  /** Replaced cards the batch's refunds credit, and the card that now carries their value. */
  replacements: ReadonlyMap<string, string>;
  /** Rebates created or changed by the batch. */
  rebatesChanged: Set<string>;
  eventRows: Array<Record<string, unknown>>;
  documentRows: Record<DocumentTable, Array<Record<string, unknown>>>;
  /** What the batch's sales drew on promotion budgets (sale_budget_draws), written after their sales. */
  budgetDrawRows: Array<Record<string, unknown>>;
  /** Bulk inserts sent and not yet awaited (writeRows). */
  writes: Array<Promise<unknown>>;
  /** Members whose spend changed (their level is reviewed after the batch). */
  spenders: Set<string>;
  salesRecorded: string[];
  /** Re-applying a stored quarantined event: its row is updated, not inserted. */
  reapply: boolean;
}

interface BatchOutcome {
  result: PushResult;
  salesRecorded: string[];
}

const rebateHoldId = (saleId: string) => `rebate:${saleId}`;
export const rebateTransferIds = { hold: rebateHoldId, void: (saleId: string) => `${rebateHoldId(saleId)}/void`, post: (saleId: string) => `${rebateHoldId(saleId)}/post` };

/** Money a member paid for a sale apart from points: what a rebate is a share of. */
const paidForRebate = (tenders: ReadonlyArray<{ kind: string; amountMinor: number }>) => tenders.filter((t) => t.kind !== 'points').reduce((s, t) => s + t.amountMinor, 0);

async function applyBatch(tx: Tx, terminal: TerminalIdentity, parsed: readonly Parsed[], mode: BatchMode, now: number, options: { reapply?: boolean; outboxDepth?: number } = {}): Promise<BatchOutcome> {
  const reapply = options.reapply === true;
  // The terminal's reported sync state moves with its acked seq: no statement (and no commit) of its own.
  const outboxDepth = options.outboxDepth ?? null;
  // One push at a time per terminal: the acked seq and the event keys are its to move.
  // NO KEY UPDATE, not UPDATE: the key-share lock an Authorize of this terminal takes on its row (the
  // hold's foreign key) stays free, so a batch waiting for card accounts that Authorize holds cannot deadlock with it.
  // Sent together (one round trip); the keys are read once the lock is held. The chain settings
  // are read for every event of the batch, new or not: a few rows, and no second round trip.
  const sent = parsed.flatMap((p) => (p.event ? [p.event.body] : []));
  const wanted: Array<'rebate' | 'pointsTender'> = [];
  if (sent.some((b) => b.type === 'sale' && b.sale.memberId && b.sale.cardId)) wanted.push('rebate');
  if (sent.some((b) => b.type === 'sale' && b.sale.tenders.some((t) => t.kind === 'points'))) wanted.push('pointsTender');
  const [[me], stored, settings] = await Promise.all([
    tx`select acked_seq from terminals where id = ${terminal.terminalId} for no key update`,
    reapply ? [] : tx`select seq, event_id from events where terminal_id = ${terminal.terminalId} and seq = any(${parsed.map((p) => String(p.seq))}::bigint[])`,
    wanted.length > 0 ? readSettingsOf(tx, wanted) : ({} as Partial<Pick<ChainSettings, 'rebate' | 'pointsTender'>>),
  ]);
  const storedAcked = me ? (me.acked_seq as number) : 0;
  const existing = new Map<number, string>();
  for (const r of stored) existing.set(r.seq, r.event_id);
  const fresh = parsed.filter((p) => p.event && !existing.has(p.seq)).map((p) => p.event!);
  const bodies = fresh.map((e) => e.body);

  // The documents HQ holds that the batch's refunds and top-up refunds are checked against.
  const saleIdsRefunded = [...new Set(bodies.flatMap((b) => (b.type === 'refund' ? [b.refund.saleId] : [])))];
  const sales = new Map<string, SaleDocument>();
  const refundsBySale = new Map<string, RefundDocument[]>();
  const rebates = new Map<string, RebateState>();
  const overdrafts = new Map<string, Overdraft[]>();
  if (saleIdsRefunded.length > 0) {
    // One round trip.
    const [saleRows, refundRows, overdraftRows, rebateRows] = await Promise.all([
      tx`select id, body from sales where id = any(${saleIdsRefunded}::text[])`,
      tx`select sale_id, body from refunds where sale_id = any(${saleIdsRefunded}::text[]) order by received_at, terminal_id, event_seq`,
      tx`select * from offline_overdrafts where sale_id = any(${saleIdsRefunded}::text[]) order by transfer_id`,
      tx`select * from rebates where sale_id = any(${saleIdsRefunded}::text[])`,
    ]);
    for (const r of saleRows) sales.set(r.id, jsonOf(r.body) as SaleDocument);
    for (const r of refundRows) {
      refundsBySale.set(r.sale_id, [...(refundsBySale.get(r.sale_id) ?? []), jsonOf(r.body) as RefundDocument]);
    }
    for (const r of overdraftRows) {
      const o = overdraftFromRow(r);
      overdrafts.set(o.saleId, [...(overdrafts.get(o.saleId) ?? []), o]);
    }
    for (const r of rebateRows) {
      rebates.set(r.sale_id, { saleId: r.sale_id, memberId: r.member_id, cardId: r.card_id, currency: r.currency, paidMinor: r.paid_minor, heldMinor: r.held_minor, leftMinor: r.left_minor, refundedMinor: r.refunded_minor, heldAt: r.held_at, maturesAt: r.matures_at, state: r.state });
    }
  }
  // Value a refund returns to a card that has since been replaced goes to its replacement.
  const refundedCards = [...new Set(fresh.flatMap((e) => (e.body.type === 'refund' ? e.transfers.filter((t) => t.code === 'REFUND_STORED_VALUE').map((t) => cardOfAccount(t.creditAccountId)) : [])).filter((c): c is string => c !== null))];
  const replacements = new Map<string, string>();
  if (refundedCards.length > 0) {
    for (const r of await tx`
      with recursive chain as (
        select id as origin, replaced_by as card, 1 as depth from cards where id = any(${refundedCards}::text[]) and replaced_by is not null
        union all select c.origin, k.replaced_by, c.depth + 1 from chain c join cards k on k.id = c.card where k.replaced_by is not null and c.depth < 20
      )
      select distinct on (origin) origin, card from chain order by origin, depth desc`) replacements.set(r.origin, r.card);
  }
  const topUpIds = [...new Set(bodies.flatMap((b) => (b.type === 'top_up_refund' ? [b.topUpRefund.topUpId] : [])))];
  const topUps = new Map<string, TopUpDocument>();
  const refundedTopUps = new Set<string>();
  if (topUpIds.length > 0) {
    const [topUpRows, refundedRows] = await Promise.all([
      tx`select id, body from top_ups where id = any(${topUpIds}::text[])`,
      tx`select top_up_id from top_up_refunds where top_up_id = any(${topUpIds}::text[])`,
    ]);
    for (const r of topUpRows) topUps.set(r.id, jsonOf(r.body) as TopUpDocument);
    for (const r of refundedRows) refundedTopUps.add(r.top_up_id);
  }
  const rebateRule = settings.rebate ?? null;
  const pointsTenderRule = settings.pointsTender ?? null;

  // Lock every account the batch may touch, once and in id order.
  const transfers = fresh.flatMap((e) => e.transfers);
  const releasedHoldIds = fresh.flatMap((e) => (e.body.type === 'holds_released' ? e.body.holdIds : []));
  const legIds = releasedHoldIds.flatMap(holdLegIds);
  const legAccounts = legIds.length
    ? (await tx`select debit_account_id, credit_account_id from transfers where id = any(${legIds}::text[])`).flatMap((r) => [r.debit_account_id as string, r.credit_account_id as string])
    : [];
  const extraAccounts: string[] = [...legAccounts, ...[...replacements.values()].flatMap((c) => [cardPrincipalAccountId(c), cardBonusAccountId(c)])];
  const extraTransfers: string[] = [];
  for (const { body: b, transfers: carried } of fresh) {
    if (b.type === 'sale') {
      const s = b.sale;
      for (const t of carried) {
        if (!isOfflineMemberDebit(t)) continue;
        extraAccounts.push(exposureAccountFor(t, s.storeId));
        extraTransfers.push(overdraftId(t.id));
      }
      if (rebateRule && s.memberId && s.cardId) {
        extraAccounts.push(chainRebateAccountId(s.currency), cardBonusAccountId(s.cardId));
        extraTransfers.push(rebateHoldId(s.id));
      }
    } else if (b.type === 'refund') {
      for (const o of overdrafts.get(b.refund.saleId) ?? []) extraAccounts.push(o.exposureAccountId);
      for (const t of carried) if (t.code === 'REFUND_STORED_VALUE' || t.code === 'POINTS_RESTORED') extraTransfers.push(overdraftId(t.id));
      const rebate = rebates.get(b.refund.saleId);
      if (rebate) {
        extraAccounts.push(chainRebateAccountId(rebate.currency), cardBonusAccountId(rebate.cardId));
        extraTransfers.push(rebateHoldId(rebate.saleId), rebateTransferIds.void(rebate.saleId));
      }
      // Its sale may be earlier in this batch, holding a rebate (whose accounts it locks) that this refund releases.
      extraTransfers.push(rebateTransferIds.void(b.refund.saleId));
    }
  }
  // HQ's own points exposure account is not among core's store accounts: make it when first needed.
  const pointsExposure = [...new Set(extraAccounts.filter((id) => id.endsWith(':offline_exposure:points')))];
  if (pointsExposure.length > 0) {
    const stores = await tx`select id from org_nodes where id = any(${pointsExposure.map((id) => id.slice('store:'.length, -':offline_exposure:points'.length))}::text[])`;
    await createAccounts(tx, stores.map((r) => ({ ...storeOfflinePointsExposureAccount(r.id as string), owner: r.id as string })));
  }
  // A capture may find its hold released by HQ's expiry sweep; see applyEvent.
  const capturedLegs = transfers.filter((t) => t.kind === 'post_pending' && t.pendingId).map((t) => expiryVoidId(t.pendingId!));
  const accountIds = [...extraAccounts, ...transfers.flatMap((t) => [t.debitAccountId, t.creditAccountId])];
  const transferIds = [...transfers.flatMap((t) => (t.pendingId ? [t.id, t.pendingId] : [t.id])), ...legIds, ...legIds.map(releaseId), ...capturedLegs, ...extraTransfers];
  // Sales and top-ups are checked against the balances of accounts with a limit only: a store's
  // limit-free accounts are locked when the batch writes them, so the tills of one store are
  // checked side by side. Refunds, releases and the rest are checked against what other batches
  // of the store write (the sale's earlier refunds…): those batches keep every lock from the start.
  const limitFreeAtWrite = bodies.every((b) => b.type === 'sale' || b.type === 'top_up');
  const loadLedger = async () => {
    const ledger = new LedgerTx(tx);
    // Sent together: PostgreSQL runs them in order, so the transfers are read once the accounts they move are locked.
    await Promise.all([limitFreeAtWrite ? ledger.lockAccountsLimitFreeAtWrite(accountIds) : ledger.lockAccounts(accountIds), ledger.loadTransfers(transferIds)]);
    return ledger;
  };
  const documentIds = bodies.map(documentIdOf).filter((id): id is string => id !== null);
  const cardIds = bodies.flatMap((b) => (b.type === 'sale' && b.sale.cardId ? [b.sale.cardId] : b.type === 'top_up' ? [b.topUp.cardId] : b.type === 'top_up_refund' ? [b.topUpRefund.cardId] : []));
  // The ledger, the documents already recorded and the owners of the cards named, in one round trip.
  const [ledger, recorded, owners] = await Promise.all([
    loadLedger(),
    documentIds.length === 0 ? [] : tx`
      select id from sales where id = any(${documentIds}::text[]) union all select id from top_ups where id = any(${documentIds}::text[])
      union all select id from refunds where id = any(${documentIds}::text[]) union all select id from top_up_refunds where id = any(${documentIds}::text[])
      union all select id from gift_redemptions where id = any(${documentIds}::text[])`,
    cardIds.length === 0 ? [] : tx`select id, member_id from cards where id = any(${cardIds}::text[])`,
  ]);
  const documents = new Set<string>(recorded.map((r) => r.id as string));
  const cardOwners = new Map<string, string>(owners.map((r) => [r.id as string, r.member_id as string]));

  const ctx: BatchContext = {
    tx, mode, ledger, terminal, documents, cardOwners, sales, refundsBySale, topUps, refundedTopUps, rebateRule, pointsTenderRule, rebates,
    overdrafts, overdraftsChanged: new Map(), replacements, rebatesChanged: new Set(), eventRows: [], documentRows: { sales: [], top_ups: [], refunds: [], top_up_refunds: [], gift_redemptions: [] },
    budgetDrawRows: [], writes: [], spenders: new Set(), salesRecorded: [], reapply,
  };
  const results: EventResult[] = [];
  const changes: ChangeRef[] = [];
  const settledHolds = new Set<string>();
  const quarantine = async (p: Parsed, reason: string) => {
    await writeEventRow(ctx, eventRow(terminal, p, 'quarantined', reason), mode === 'bulk');
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
    if (mode === 'bulk' && ctx.eventRows.length >= WRITE_EVERY) writeRows(ctx);
  }

  if (mode === 'bulk') {
    writeRows(ctx);
    ctx.writes.push(writeRebates(ctx), writeOverdrafts(ctx), ctx.ledger.flush());
  }
  // Everything below is sent behind the bulk writes, which PostgreSQL runs first: the statements
  // of a batch's end share one round trip. A refused write fails them all.
  const written = Promise.all(ctx.writes);
  written.catch(() => {});
  await refreshHoldStates(tx, [...settledHolds]);
  for (const c of await reviewLevelsAfterSpend(tx, [...ctx.spenders], now)) changes.push({ kind: 'member', key: c.memberId });

  // Acknowledge the highest contiguous seq (the stored seqs above the acked one that are each
  // one more than the last); report what is missing below the highest stored.
  const acknowledging = tx`
    with later as (
      select seq, row_number() over (order by seq) as n from events where terminal_id = ${terminal.terminalId} and seq > ${storedAcked}::bigint),
    acked as (select coalesce(max(seq), ${storedAcked}::bigint) as seq from later where seq = ${storedAcked}::bigint + n),
    moved as (
      update terminals t set acked_seq = acked.seq,
        outbox_depth = coalesce(${outboxDepth}::bigint, t.outbox_depth),
        sync_status_at = case when ${outboxDepth}::bigint is null then t.sync_status_at else now() end
      from acked where t.id = ${terminal.terminalId} and (acked.seq > ${storedAcked}::bigint or ${outboxDepth}::bigint is not null))
    select acked.seq as acked, coalesce((select json_agg(seq order by seq) from later where later.seq > acked.seq), '[]'::json) as above from acked`;
  const [[ack]] = await Promise.all([acknowledging, written]);
  const acked = ack!.acked as number;
  await recordChanges(tx, changes);
  return { result: { ackedSeq: acked, results, gaps: computeGaps(acked, ack!.above as number[]) }, salesRecorded: ctx.salesRecorded };
}

function documentIdOf(b: EventBody): string | null {
  switch (b.type) {
    case 'sale':
      return b.sale.id;
    case 'top_up':
      return b.topUp.id;
    case 'refund':
      return b.refund.id;
    case 'top_up_refund':
      return b.topUpRefund.id;
    case 'gift_redemption':
      return b.gift.id;
    case 'day_close':
      return b.dayClose.id;
    case 'operator_audit':
      return b.audit.id;
    case 'holds_released':
      return null;
  }
}

/**
 * Rows of a bulk batch are sent every WRITE_EVERY events and awaited before it commits:
 * PostgreSQL stores one slice while the next is checked here.
 */
const WRITE_EVERY = 100;

/**
 * Sends the event, document and final transfer rows collected so far, without waiting. A refused insert aborts
 * the transaction, so whatever runs after it fails too and the batch is applied again one event
 * at a time (pushEvents); until then the failure is only held, to be awaited at the end.
 */
function writeRows(ctx: BatchContext): void {
  const hold = (write: Promise<unknown> | null) => {
    if (!write) return;
    write.catch(() => {});
    ctx.writes.push(write);
  };
  // A slice is at most WRITE_EVERY rows a table, well within PostgreSQL's 65,535 parameters.
  const insert = (table: string, rows: Array<Record<string, unknown>>) => (rows.length === 0 ? null : ctx.tx`insert into ${ctx.tx(table)} ${ctx.tx(rows)}`);
  hold(insert('events', ctx.eventRows));
  ctx.eventRows = [];
  for (const table of DOCUMENT_TABLES) {
    hold(insert(table, ctx.documentRows[table]));
    ctx.documentRows[table] = [];
  }
  // Behind the sales slice they reference: the inserts run in the order they are sent. A sale
  // may name up to 200 promotions, so these go in parts of at most 10,000 rows (40,000 parameters).
  for (let i = 0; i < ctx.budgetDrawRows.length; i += 10_000) hold(insert('sale_budget_draws', ctx.budgetDrawRows.slice(i, i + 10_000)));
  ctx.budgetDrawRows = [];
  hold(ctx.ledger.sendFinalTransfers());
}

async function writeEventRow(ctx: BatchContext, row: Record<string, unknown>, deferred: boolean): Promise<void> {
  const { tx } = ctx;
  if (ctx.reapply) {
    await tx`update events set status = ${row.status as string}, reason = ${row.reason as string | null} where terminal_id = ${row.terminal_id as string} and seq = ${row.seq as number}`;
  } else if (deferred) ctx.eventRows.push(row);
  else await tx`insert into events ${tx(row)}`;
}

async function writeOverdrafts(ctx: BatchContext): Promise<void> {
  const rows = [...ctx.overdraftsChanged.values()].map(overdraftRow);
  ctx.overdraftsChanged.clear();
  if (rows.length === 0) return;
  await ctx.tx`insert into offline_overdrafts ${ctx.tx(rows)} on conflict (transfer_id) do update set refunded = excluded.refunded`;
}

async function writeRebates(ctx: BatchContext): Promise<void> {
  const rows = [...ctx.rebatesChanged].map((id) => rebateRow(ctx.rebates.get(id)!));
  ctx.rebatesChanged.clear();
  if (rows.length === 0) return;
  await ctx.tx`insert into rebates ${ctx.tx(rows)} on conflict (sale_id) do update set
    left_minor = excluded.left_minor, refunded_minor = excluded.refunded_minor, state = excluded.state`;
}

function eventRow(terminal: TerminalIdentity, p: Parsed, status: 'applied' | 'quarantined', reason: string | null): Record<string, unknown> {
  return {
    terminal_id: terminal.terminalId,
    seq: p.seq,
    event_id: p.eventId,
    kind: p.event?.body.type ?? null,
    body: wireText(p.wire),
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
 * Checks one new event, applies its transfers (and HQ's own: offline overdrafts, rebates) and
 * records it with its document; throws Quarantine to refuse it. In bulk mode rows are collected
 * for the batch's final write.
 */
async function applyEvent(ctx: BatchContext, p: Parsed, event: SyncEvent): Promise<{ accounts: string[]; holds: string[] }> {
  const { tx, ledger, terminal } = ctx;
  const body = event.body;
  let transfers = event.transfers;
  const notes: string[] = [];
  // HQ's own transfers, applied atomically with the event's.
  const extra: Transfer[] = [];
  let rebate: RebateState | null = null;
  let overdraftsMade: Overdraft[] = [];
  switch (body.type) {
    case 'sale':
      checkSale(body.sale, transfers, terminal);
      if (ctx.pointsTenderRule) checkPointsTender(body.sale, ctx.pointsTenderRule);
      break;
    case 'top_up':
      checkTopUp(body.topUp, transfers, terminal);
      break;
    case 'holds_released':
      transfers = await releaseTransfers(tx, ledger, terminal, p, body.holdIds, transfers);
      break;
    case 'refund':
      checkRefund(body.refund, transfers, terminal, ctx.sales.get(body.refund.saleId), ctx.refundsBySale.get(body.refund.saleId) ?? []);
      break;
    case 'top_up_refund':
      checkTopUpRefund(body.topUpRefund, transfers, terminal, ctx.topUps.get(body.topUpRefund.topUpId), ctx.refundedTopUps.has(body.topUpRefund.topUpId));
      await checkTopUpRefundHolds(tx, body.topUpRefund, terminal);
      break;
    case 'gift_redemption':
      checkGiftRedemption(body.gift, transfers, terminal);
      break;
    case 'day_close':
      // Stored for reconciliation (reconciliation.ts); a close moves no money.
      await recordDayClose(tx, body.dayClose, transfers, terminal, p.seq);
      break;
    case 'operator_audit':
      // Overrides, PIN locks and shifts at the till, into HQ's audit log (terminal-audit.ts).
      await recordTerminalAudit(tx, body.audit, transfers, terminal);
      break;
  }
  const documentId = documentIdOf(body);
  const card =
    body.type === 'sale' ? { cardId: body.sale.cardId, memberId: body.sale.memberId }
    : body.type === 'top_up' ? { cardId: body.topUp.cardId, memberId: body.topUp.memberId }
    : body.type === 'top_up_refund' ? { cardId: body.topUpRefund.cardId, memberId: body.topUpRefund.memberId }
    : null;
  if (card?.cardId) {
    const owner = ctx.cardOwners.get(card.cardId);
    if (owner === undefined) throw new Quarantine(`card ${card.cardId} is not known at HQ`);
    if (owner !== card.memberId) throw new Quarantine(`card ${card.cardId} belongs to member ${owner}, not ${card.memberId ?? '(none)'}`);
  }
  if (documentId !== null && ctx.documents.has(documentId)) throw new Quarantine(`${body.type.replace(/_/g, ' ')} ${documentId} was already recorded by another event`);

  if (body.type === 'sale') {
    // Taken offline: the card (or the member's points) gives what it holds, the store's exposure the rest.
    const covered = coverOfflineDebits(ledger, transfers, body.sale.storeId);
    transfers = covered.transfers;
    overdraftsMade = covered.overdrafts;
    for (const [ledgerName, short] of covered.shortfall) notes.push(`offline debit beyond the balance: ${short} ${ledgerName === POINTS_LEDGER ? 'points' : 'minor units'} booked as overdraft to store ${body.sale.storeId}'s offline exposure`);
    const s = body.sale;
    if (ctx.rebateRule && s.memberId && s.cardId) {
      const paidMinor = paidForRebate(s.tenders);
      const held = rebateAmount(paidMinor, ctx.rebateRule);
      if (held > 0) {
        extra.push(holdRebate({ saleId: s.id, cardId: s.cardId, currency: s.currency, amountMinor: held, at: s.completedAt, terminalId: null }, () => rebateHoldId(s.id)));
        rebate = { saleId: s.id, memberId: s.memberId, cardId: s.cardId, currency: s.currency, paidMinor, heldMinor: held, leftMinor: held, refundedMinor: 0, heldAt: s.completedAt, maturesAt: rebateMaturesAt(s.completedAt, ctx.rebateRule), state: 'pending' };
      }
    }
  } else if (body.type === 'refund') {
    // What an offline debit overdrew is paid back to the store's exposure before the member gets anything.
    const owed = ctx.overdrafts.get(body.refund.saleId) ?? [];
    if (owed.length > 0) {
      const repaid = repayOverdrafts(transfers, owed);
      transfers = repaid.transfers;
      overdraftsMade = repaid.overdrafts;
      if (repaid.repaid > 0) notes.push(`${repaid.repaid} paid back to the offline exposure of sale ${body.refund.saleId} before the member`);
    }
    // A card replaced since the sale: its value now lives on the replacement.
    transfers = transfers.map((t) => {
      const card = t.code === 'REFUND_STORED_VALUE' ? cardOfAccount(t.creditAccountId) : null;
      const now = card ? ctx.replacements.get(card) : undefined;
      if (!card || !now) return t;
      notes.push(`card ${card} was replaced: ${t.amount} returned to card ${now}`);
      return { ...t, creditAccountId: t.creditAccountId === cardPrincipalAccountId(card) ? cardPrincipalAccountId(now) : cardBonusAccountId(now) };
    });
    // A refund while the sale's rebate is still held shrinks it to the share of what the member kept.
    const before = ctx.rebates.get(body.refund.saleId);
    if (before && before.state === 'pending') {
      const refundedMinor = before.refundedMinor + paidForRebate(body.refund.tenders);
      const leftMinor = rebateLeftAfterRefund(before.heldMinor, before.paidMinor, refundedMinor);
      rebate = { ...before, refundedMinor, leftMinor };
      if (leftMinor === 0) {
        const hold = ledger.transfer(rebateHoldId(before.saleId));
        invariant(hold, `rebate hold of sale ${before.saleId} is in the ledger`);
        extra.push({ ...hold, id: rebateTransferIds.void(before.saleId), kind: 'void_pending', pendingId: hold.id, timestamp: body.refund.completedAt, originTerminalId: null, documentId: body.refund.id });
        rebate.state = 'voided';
      }
      notes.push(`rebate of sale ${before.saleId}: ${before.leftMinor} → ${leftMinor}`);
    }
  }

  const defer = ctx.mode === 'bulk';
  let applied = await ledger.apply([...transfers, ...extra], { atomic: true, defer });
  const expired = new Set(
    transfers
      .filter((t, i) => applied.statuses[i] === 'pending_transfer_already_voided' && t.kind === 'post_pending' && ledger.transfer(expiryVoidId(t.pendingId!)))
      .map((t) => t.id),
  );
  if (!applied.ok && expired.size > 0 && applied.statuses.every((s, i) => isApplied(s) || expired.has(transfers[i]?.id ?? ''))) {
    // The sale was completed against a hold that ran out before the event arrived: the member
    // still owes it, so take it as a direct debit if the balance covers it; otherwise quarantine.
    transfers = transfers.map((t) => (expired.has(t.id) ? { ...t, kind: 'single' as const, pendingId: null } : t));
    applied = await ledger.apply([...transfers, ...extra], { atomic: true, defer });
    notes.push(`hold expired at HQ before this capture; ${expired.size} leg(s) taken as direct debits`);
  }
  if (!applied.ok) {
    const all = [...transfers, ...extra];
    const refused = applied.statuses
      .map((s, i) => (s === 'created' || s === 'exists' ? null : `${all[i]!.id}: ${s}`))
      .filter((s) => s !== null);
    throw new Quarantine(`ledger refused ${refused.join(', ')}`);
  }

  await writeEventRow(ctx, eventRow(terminal, p, 'applied', notes.length ? notes.join('; ') : null), defer);
  const doc = documentRow(terminal, p.seq, body);
  if (doc) {
    if (defer) ctx.documentRows[doc.table].push(doc.row);
    else await tx`insert into ${tx(doc.table)} ${tx(doc.row)}`;
  }
  // What the sale drew on promotion budgets, beside it (nothing when it drew none). A sale is
  // recorded once (the documents check above; a re-applied quarantined event had no sale row),
  // so its draws are too: no conflict to handle.
  if (body.type === 'sale') {
    const draws = saleBudgetDrawRows(body.sale.id, terminal.terminalId, body.sale.promotionUses);
    if (draws.length > 0) {
      if (defer) ctx.budgetDrawRows.push(...draws);
      else await tx`insert into sale_budget_draws ${tx(draws)}`;
    }
  }
  // Coupon codes are single use: the first sale naming one uses it everywhere (coupons.ts).
  if (body.type === 'sale' && body.sale.couponsUsed?.length) await recordCouponUses(tx, body.sale, new Date(body.sale.completedAt));
  if (overdraftsMade.length > 0) {
    const saleId = overdraftsMade[0]!.saleId;
    ctx.overdrafts.set(saleId, overdraftsMade);
    for (const o of overdraftsMade) ctx.overdraftsChanged.set(o.transferId, o);
    if (!defer) await writeOverdrafts(ctx);
  }
  // In-memory state last, once everything above has been accepted.
  if (rebate) {
    ctx.rebates.set(rebate.saleId, rebate);
    ctx.rebatesChanged.add(rebate.saleId);
    if (!defer) await writeRebates(ctx);
  }
  if (documentId !== null) ctx.documents.add(documentId);
  if (body.type === 'sale') {
    ctx.sales.set(body.sale.id, body.sale);
    ctx.salesRecorded.push(body.sale.id);
    if (body.sale.memberId) ctx.spenders.add(body.sale.memberId);
  } else if (body.type === 'refund') {
    ctx.refundsBySale.set(body.refund.saleId, [...(ctx.refundsBySale.get(body.refund.saleId) ?? []), body.refund]);
    if (body.refund.memberId) ctx.spenders.add(body.refund.memberId);
  } else if (body.type === 'top_up_refund') {
    ctx.refundedTopUps.add(body.topUpRefund.topUpId);
  }
  return { accounts: applied.touched, holds: holdIdsOf([...transfers, ...extra].map((t) => t.pendingId)) };
}

/** The row recording an applied event's document. */
function documentRow(terminal: TerminalIdentity, seq: number, body: EventBody): { table: DocumentTable; row: Record<string, unknown> } | null {
  const base = { terminal_id: terminal.terminalId, event_seq: seq };
  switch (body.type) {
    case 'sale': {
      const s = body.sale;
      return { table: 'sales', row: { id: s.id, ...base, store_id: s.storeId, member_id: s.memberId, card_id: s.cardId, currency: s.currency, total_minor: s.totalMinor, points_earned: s.pointsEarned, completed_at: s.completedAt, cashier_id: s.cashierId ?? null, body: JSON.stringify(s) } };
    }
    case 'top_up': {
      const t = body.topUp;
      return { table: 'top_ups', row: { id: t.id, ...base, store_id: t.storeId, member_id: t.memberId, card_id: t.cardId, currency: t.currency, principal_minor: t.principalMinor, bonus_minor: t.bonusMinor, completed_at: t.completedAt, body: JSON.stringify(t) } };
    }
    case 'refund': {
      const r = body.refund;
      return { table: 'refunds', row: { id: r.id, ...base, sale_id: r.saleId, store_id: r.storeId, member_id: r.memberId, currency: r.currency, total_minor: r.totalMinor, points_reversed: r.pointsReversed, completed_at: r.completedAt, cashier_id: r.cashierId ?? null, body: JSON.stringify(r) } };
    }
    case 'top_up_refund': {
      const r = body.topUpRefund;
      return { table: 'top_up_refunds', row: { id: r.id, ...base, top_up_id: r.topUpId, store_id: r.storeId, member_id: r.memberId, card_id: r.cardId, principal_minor: r.principalMinor, bonus_clawed_back_minor: r.bonusClawedBackMinor, completed_at: r.completedAt, body: JSON.stringify(r) } };
    }
    case 'gift_redemption': {
      const g = body.gift;
      return { table: 'gift_redemptions', row: { id: g.id, ...base, store_id: g.storeId, member_id: g.memberId, gift_sku: g.giftSku, quantity: g.quantity, points: g.points, completed_at: g.completedAt } };
    }
    case 'day_close':
    case 'operator_audit':
    case 'holds_released':
      return null;
  }
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
