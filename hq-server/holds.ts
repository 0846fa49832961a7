import { cardBonusAccountId, cardPrincipalAccountId, chainPointsIssuedAccountId, memberPointsAccountId, storeSalesAccountId } from '../core/accounts';
import { DomainError, invariant } from '../core/errors';
import { availableCreditBalance, type Transfer, type TransferStatus } from '../core/ledger';
import { splitStoredValuePayment, type SpendingOrder } from '../core/stored-value';
import type { PendingQuery, Row } from 'postgres';
import { changeLogInsert, recordChanges } from './change-log';
import type { Db, Sql } from './database';
import { LedgerTx, MEMBER_ACCOUNT_CODES } from './ledger';
import { readSetting } from './settings';
import type { TerminalIdentity } from './terminals';

/** How long HQ keeps an uncaptured hold. */
export const HOLD_TTL_MS = 10 * 60 * 1000;

/** The pending transfer of a hold's leg: deterministic, so a retried Authorize finds it. */
export type HoldPart = 'principal' | 'bonus' | 'points';
export const HOLD_PARTS: readonly HoldPart[] = ['principal', 'bonus', 'points'];
export const holdLegId = (holdId: string, part: HoldPart) => `${holdId}/${part}`;
/** Every leg id a hold may have. */
export const holdLegIds = (holdId: string) => HOLD_PARTS.map((part) => holdLegId(holdId, part));

/** What a hold reserves: a card's stored value, or the points of the card's member. */
export type HoldAsset = 'stored_value' | 'points';

export interface AuthorizeInput {
  holdId: string;
  cardId: string;
  /** Minor units of stored value, or points. */
  amount: number;
  saleId: string;
  asset: HoldAsset;
  /** Stored value only: hold just this part (a top-up refund holds principal and bonus apart); null = by spending order. */
  part?: 'principal' | 'bonus' | null;
  /** The top-up this hold gives back (a top-up refund, saleId being the refund's id); null for payments. */
  topUpId?: string | null;
}

export interface AuthorizedHold {
  holdId: string;
  holds: Transfer[];
  expiresAt: number;
}

/** Today's date (YYYY-MM-DD) in `timeZone`. */
function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

interface CardRow {
  id: string;
  member_id: string;
  status: string;
  expires_on: string | null;
  time_zone: string;
}

/** A card with what deciding whether it may pay at `storeId` needs (undefined: unknown card). */
async function cardAtStore(db: Db, cardId: string, storeId: string): Promise<CardRow | undefined> {
  const [card] = await db<CardRow[]>`
    select c.id, c.member_id, c.status, c.expires_on, coalesce(s.time_zone, 'UTC') as time_zone
    from cards c left join org_nodes s on s.id = ${storeId} where c.id = ${cardId}`;
  return card;
}

/** Refuses a card that may not pay: unknown, frozen, lost, expired or replaced. */
export async function requireActiveCard(db: Db, cardId: string, storeId: string, now: number): Promise<{ id: string; memberId: string }> {
  return activeCard(await cardAtStore(db, cardId, storeId), cardId, now);
}

function activeCard(card: CardRow | undefined, cardId: string, now: number): { id: string; memberId: string } {
  if (!card) throw new DomainError('UNKNOWN_CARD', `card ${cardId} is not known at HQ`);
  switch (card.status as string) {
    case 'frozen':
      throw new DomainError('CARD_FROZEN', 'this card is frozen; the member should contact the service desk');
    case 'lost':
      throw new DomainError('CARD_LOST', 'this card was reported lost and cannot be used');
    case 'expired':
      throw new DomainError('CARD_EXPIRED', 'this card has expired');
    case 'active':
      break;
    default:
      throw new DomainError('CARD_INACTIVE', `this card is ${card.status} and cannot be used`);
  }
  if (card.expires_on && card.expires_on < localDate(now, card.time_zone)) {
    throw new DomainError('CARD_EXPIRED', `this card expired on ${card.expires_on}`);
  }
  return { id: card.id, memberId: card.member_id };
}

/** Recomputes the state of holds from their legs' pending transfers. */
export async function refreshHoldStates(tx: Db, holdIds: readonly string[]): Promise<void> {
  if (holdIds.length === 0) return;
  await tx`
    update holds h set state = s.state
    from (
      select h.hold_id,
        case when bool_or(t.pending_state = 'pending') then 'pending'
             when bool_or(t.pending_state = 'posted') then 'captured'
             else 'voided' end as state
      from holds h join transfers t on t.id in (h.hold_id || '/principal', h.hold_id || '/bonus', h.hold_id || '/points')
      where h.hold_id = any(${[...new Set(holdIds)]}::text[])
      group by h.hold_id
    ) s
    where h.hold_id = s.hold_id and h.state <> s.state`;
}

/** Hold ids named by pending ids of the form `${holdId}/principal|bonus|points`. */
export function holdIdsOf(pendingIds: Iterable<string | null>): string[] {
  const out = new Set<string>();
  for (const id of pendingIds) {
    const m = id ? /^(.+)\/(principal|bonus|points)$/.exec(id) : null;
    if (m) out.add(m[1]!);
  }
  return [...out];
}

/** What a transaction answers, and its last write, not yet sent: it goes out together with COMMIT. */
interface Outcome<T> {
  value: T;
  last?: PendingQuery<Row[]> | null;
}

/**
 * Runs `work` in a transaction on a connection of its own and sends its last write together with
 * COMMIT, in one round trip. That write is the feed's insert (recordChanges), which takes a
 * chain-wide lock held to commit: sent with COMMIT, the lock is held for PostgreSQL's own time
 * only, never for a round trip to HQ and back — under load that round trip is what made every
 * Authorize of the chain queue on it. Everything else `work` wrote was checked before.
 * BEGIN goes out with `work`'s first reads; `work` awaits `begun` with them, before any write.
 */
async function inTransaction<T>(sql: Sql, work: (tx: Db, begun: Promise<unknown>) => Promise<Outcome<T>>): Promise<T> {
  const tx = await sql.reserve();
  let open = true;
  try {
    const begun = tx`begin`.execute();
    begun.catch(() => {}); // seen by work's await; never an unhandled rejection
    const { value, last } = await work(tx, begun);
    // Handed to the connection now, in this order; if the last write fails, PostgreSQL answers COMMIT with a rollback.
    const writing = last ? last.execute() : null;
    const committing = tx`commit`.execute();
    const [written, committed] = await Promise.allSettled([writing, committing]);
    if (committed.status === 'rejected') throw committed.reason;
    open = false;
    if (written.status === 'rejected') throw written.reason;
    invariant(committed.value.command === 'COMMIT', `the transaction ended with ${committed.value.command}, not COMMIT`);
    return value;
  } catch (e) {
    if (open) await tx`rollback`.catch(() => {});
    throw e;
  } finally {
    tx.release();
  }
}

function memberBalanceChanges(ledger: LedgerTx, touched: readonly string[]) {
  return touched.filter((id) => MEMBER_ACCOUNT_CODES.has(ledger.accountCode(id)!)).map((key) => ({ kind: 'balance' as const, key }));
}

/**
 * Reserves `amount` of a card's stored value (principal first) for a sale at the caller's store,
 * one pending transfer per part into the store's sales; or `amount` points of the card's member,
 * one pending transfer back to the chain. A retry with the same hold id answers the same holds
 * and reserves nothing more.
 *
 * Only the member's accounts are locked (the no-overdraw check reads them); the store's sales and
 * the chain's points take holds without a lock (LedgerTx.lockHoldAccounts), so Authorizes for
 * different members never wait for each other. The reads go out together, pipelined on the
 * transaction's connection: the lock is handed to it first, so what follows reads current rows.
 * Three round trips in all: BEGIN with the reads, the writes, COMMIT (no feed entry, see below).
 */
export async function authorizeHold(sql: Sql, terminal: TerminalIdentity, input: AuthorizeInput, now: number): Promise<AuthorizedHold> {
  return inTransaction(sql, async (tx, begun): Promise<Outcome<AuthorizedHold>> => {
    const ledger = new LedgerTx(tx);
    const principal = cardPrincipalAccountId(input.cardId);
    const bonus = cardBonusAccountId(input.cardId);
    const sales = storeSalesAccountId(terminal.storeId);
    const legIds = holdLegIds(input.holdId);
    const part = input.asset === 'stored_value' ? (input.part ?? null) : null;
    const topUpId = input.topUpId ?? null;
    const readHold = () => tx`select card_id, terminal_id, sale_id, amount, asset, part, top_up_id, expires_at from holds where hold_id = ${input.holdId}`;
    let pointsAccount: string | null = null;
    let card: CardRow | undefined;
    let existingRows: Awaited<ReturnType<typeof readHold>>;
    let spendingOrder: SpendingOrder | null = null;
    if (input.asset === 'points') {
      // The member's points account is named by the card's member: one round trip more.
      const [, [owner]] = await Promise.all([begun, tx`select member_id from cards where id = ${input.cardId}`]);
      pointsAccount = owner ? memberPointsAccountId(owner.member_id as string) : null;
      [, card, existingRows] = await Promise.all([
        ledger.lockHoldAccounts([pointsAccount ?? principal, chainPointsIssuedAccountId()]),
        cardAtStore(tx, input.cardId, terminal.storeId),
        readHold(),
        ledger.loadTransfers(legIds),
      ]);
    } else {
      [, card, existingRows, , spendingOrder] = await Promise.all([
        ledger.lockHoldAccounts([principal, bonus, sales]),
        cardAtStore(tx, input.cardId, terminal.storeId),
        readHold(),
        ledger.loadTransfers(legIds),
        part ? null : readSetting(tx, 'spendingOrder'),
        begun,
      ]);
    }
    const [existing] = existingRows;
    if (existing) {
      if (
        existing.card_id !== input.cardId ||
        existing.terminal_id !== terminal.terminalId ||
        existing.amount !== input.amount ||
        existing.sale_id !== input.saleId ||
        existing.asset !== input.asset ||
        existing.part !== part ||
        existing.top_up_id !== topUpId
      ) {
        throw new DomainError('CONFLICT', `hold ${input.holdId} was authorized before with other details`);
      }
      const holds = legIds.map((id) => ledger.transfer(id)).filter((t): t is Transfer => t !== undefined);
      return { value: { holdId: input.holdId, holds, expiresAt: (existing.expires_at as Date).getTime() } };
    }
    // After the retry check: a hold already made is answered even if the card changed since.
    activeCard(card, input.cardId, now);
    if (topUpId !== null) await claimTopUp(tx, topUpId, input);

    const base = { kind: 'pending' as const, pendingId: null, timestamp: now, originTerminalId: terminal.terminalId, documentId: input.saleId };
    let holds: Transfer[];
    if (input.asset === 'points') {
      const account = pointsAccount ? ledger.account(pointsAccount) : undefined;
      if (!account || !ledger.account(chainPointsIssuedAccountId())) throw new DomainError('NO_MEMBER', `card ${input.cardId} has no points account at HQ`);
      const available = availableCreditBalance(ledger.balances(account.id));
      if (input.amount > available) {
        throw new DomainError('INSUFFICIENT_BALANCE', `the member has ${available} points, fewer than the ${input.amount} asked for`, { available, requested: input.amount });
      }
      holds = [{ ...base, id: holdLegId(input.holdId, 'points'), debitAccountId: account.id, creditAccountId: chainPointsIssuedAccountId(), ledger: account.ledger, amount: input.amount, code: 'POINTS_REDEEMED' }];
    } else {
      const principalAccount = ledger.account(principal);
      if (!principalAccount || !ledger.account(bonus)) throw new DomainError('UNKNOWN_CARD', `card ${input.cardId} has no stored-value accounts at HQ`);
      if (!ledger.account(sales)) throw new DomainError('NOT_FOUND', `store ${terminal.storeId} has no sales account`);
      const available = { principal: availableCreditBalance(ledger.balances(principal)), bonus: availableCreditBalance(ledger.balances(bonus)) };
      const legs = part
        ? splitStoredValuePayment(input.cardId, input.amount, { ...available, [part === 'principal' ? 'bonus' : 'principal']: 0 }, part === 'principal' ? 'principal_first' : 'bonus_first')
        : splitStoredValuePayment(input.cardId, input.amount, available, spendingOrder!);
      holds = legs.map((leg) => ({ ...base, id: holdLegId(input.holdId, leg.part), debitAccountId: leg.accountId, creditAccountId: sales, ledger: principalAccount.ledger, amount: leg.amount, code: 'SALE_STORED_VALUE' as const }));
    }
    const expiresAt = now + HOLD_TTL_MS;
    // The hold's row goes out with its transfers (one round trip); a refused hold rolls it back.
    const [applied] = await Promise.all([
      ledger.apply(holds, { atomic: true }),
      tx`insert into holds (hold_id, card_id, terminal_id, sale_id, amount, asset, part, top_up_id, expires_at, state)
        values (${input.holdId}, ${input.cardId}, ${terminal.terminalId}, ${input.saleId}, ${input.amount}, ${input.asset}, ${part}, ${topUpId}, ${new Date(expiresAt)}, 'pending')`.execute(),
    ]);
    if (!applied.ok) {
      const status = applied.statuses.find((s) => s !== 'created' && s !== 'exists')!;
      if (status === 'exceeds_credits') throw new DomainError('INSUFFICIENT_BALANCE', 'the balance is short of the amount');
      throw new DomainError('CONFLICT', `hold ${input.holdId} could not be made: ${status}`);
    }
    // No feed entry: a hold moves no posted money, and its only reader is the terminal that asked
    // (it counts its own holds, terminal/balances.ts). Capture, Void and expiry feed the account,
    // and any pull reads the held total as it stands. Left out, Authorize never takes the feed's
    // chain-wide ordering lock, so the chain's Authorizes commit side by side.
    return { value: { holdId: input.holdId, holds, expiresAt } };
  });
}

/**
 * Claims a top-up for the refund `input.saleId` before its hold is made, so that one give-back
 * per top-up gets past HQ before any till pays out. The top-up must be at HQ, on this card, and
 * not given back yet. The claim is one row per top-up (top_up_refund_claims, migration 0047):
 * the refund's principal and bonus holds share it; another refund takes it over only when every
 * hold of the claiming refund is voided (released or expired). Two tills asking at once meet on
 * the row's key: the second insert waits for the first transaction and then finds its claim.
 */
async function claimTopUp(tx: Db, topUpId: string, input: AuthorizeInput): Promise<void> {
  if (input.asset !== 'stored_value') throw new DomainError('VALIDATION_FAILED', 'top_up_id: only a stored-value hold gives back a top-up');
  const [[topUp], [refund]] = await Promise.all([
    tx`select card_id from top_ups where id = ${topUpId}`.execute(),
    tx`select id from top_up_refunds where top_up_id = ${topUpId}`.execute(),
  ]);
  if (!topUp) throw new DomainError('NOT_FOUND', `top-up ${topUpId} is not known at HQ`, { topUpId });
  if (topUp.card_id !== input.cardId) throw new DomainError('VALIDATION_FAILED', `top-up ${topUpId} was not made on card ${input.cardId}`, { topUpId });
  if (refund) throw new DomainError('CONFLICT', `top-up ${topUpId} was already given back; nothing was paid out`, { topUpId, reason: 'already_refunded', topUpRefundId: refund.id });
  // Pipelined: the busy check reads after the row lock is granted, so it sees what the previous claimant committed.
  const [, [claim], busy] = await Promise.all([
    tx`insert into top_up_refund_claims (top_up_id, refund_id) values (${topUpId}, ${input.saleId}) on conflict (top_up_id) do nothing`.execute(),
    tx`select refund_id from top_up_refund_claims where top_up_id = ${topUpId} for update`.execute(),
    tx`select h.sale_id from top_up_refund_claims c join holds h on h.top_up_id = c.top_up_id and h.sale_id = c.refund_id
      where c.top_up_id = ${topUpId} and c.refund_id <> ${input.saleId} and h.state in ('pending', 'captured') limit 1`.execute(),
  ]);
  invariant(claim !== undefined, `the claim of top-up ${topUpId} is missing after its insert`);
  if (claim.refund_id === input.saleId) return;
  if (busy.length > 0) {
    throw new DomainError('CONFLICT', `top-up ${topUpId} is being given back at another till; nothing was paid out`, { topUpId, reason: 'refund_in_progress' });
  }
  await tx`update top_up_refund_claims set refund_id = ${input.saleId}, claimed_at = now() where top_up_id = ${topUpId}`;
}

function settleRefusal(status: TransferStatus, holdId: string): DomainError {
  switch (status) {
    case 'pending_transfer_already_posted':
    case 'pending_transfer_already_voided':
      return new DomainError('HOLD_NOT_PENDING', `hold ${holdId} is already ${status.endsWith('posted') ? 'captured' : 'released'}`);
    case 'pending_transfer_not_found':
      return new DomainError('HOLD_NOT_FOUND', `hold ${holdId} has no such leg`);
    case 'exists_with_different_fields':
      return new DomainError('CONFLICT', `a transfer id was used before with other details`);
    default:
      return new DomainError('VALIDATION_FAILED', `transfers: ${status}`);
  }
}

/**
 * Captures (post_pending) or releases (void_pending) a hold of the caller with the terminal's
 * own transfers; a transfer id seen before answers "exists" and changes nothing.
 */
export async function settleHold(
  sql: Sql,
  terminal: TerminalIdentity,
  holdId: string,
  transfers: readonly Transfer[],
  kind: 'post_pending' | 'void_pending',
): Promise<TransferStatus[]> {
  if (transfers.length === 0) throw new DomainError('VALIDATION_FAILED', 'transfers: at least one is needed');
  const legs = new Set(holdLegIds(holdId));
  transfers.forEach((t, i) => {
    if (t.kind !== kind) throw new DomainError('VALIDATION_FAILED', `transfers[${i}].kind: must be ${kind}`);
    if (!t.pendingId || !legs.has(t.pendingId)) throw new DomainError('VALIDATION_FAILED', `transfers[${i}].pending_id: must name a leg of hold ${holdId}`);
  });
  return inTransaction(sql, async (tx, begun): Promise<Outcome<TransferStatus[]>> => {
    const ledger = new LedgerTx(tx);
    const accountIds = transfers.flatMap((t) => [t.debitAccountId, t.creditAccountId]);
    // One round trip: BEGIN, the hold, the locks, then the transfers (read after the locks). A release
    // changes no cached total of a limit-free account, so it locks only the member's accounts.
    const [, [hold]] = await Promise.all([
      begun,
      tx`select terminal_id from holds where hold_id = ${holdId}`.execute(),
      kind === 'void_pending' ? ledger.lockHoldAccounts(accountIds) : ledger.lockAccounts(accountIds),
      ledger.loadTransfers(transfers.flatMap((t) => [t.id, t.pendingId!])),
    ]);
    if (!hold || hold.terminal_id !== terminal.terminalId) throw new DomainError('HOLD_NOT_FOUND', `no hold ${holdId} for this terminal`);
    // The hold's state is recomputed in the same round trip as the write (refused, all is rolled back).
    const [applied] = await Promise.all([ledger.apply(transfers, { atomic: true }), refreshHoldStates(tx, [holdId])]);
    if (!applied.ok) throw settleRefusal(applied.statuses.find((s) => s !== 'created' && s !== 'exists')!, holdId);
    return { value: applied.statuses, last: changeLogInsert(tx, memberBalanceChanges(ledger, applied.touched)) };
  });
}

/** HQ's own void of a leg whose hold expired uncaptured: deterministic, so every HQ instance makes the same one. */
export const expiryVoidId = (legId: string) => `expire:${legId}`;

/**
 * Releases holds whose time ran out without a capture (a till that crashed mid-sale, a lost
 * cancel): each pending leg gets HQ's void. Several HQ instances may sweep at once; the
 * deterministic ids make the second one's voids "exist". Returns the hold ids released.
 */
export async function releaseExpiredHolds(sql: Sql, now: number, batchSize = 100): Promise<string[]> {
  const due = await sql`
    select hold_id from holds where state = 'pending' and expires_at < ${new Date(now)}
    order by expires_at limit ${batchSize}`;
  const released: string[] = [];
  for (const { hold_id: holdId } of due) {
    await sql.begin(async (tx) => {
      const legIds = holdLegIds(holdId);
      const legs = await tx`select debit_account_id, credit_account_id from transfers where id = any(${legIds}::text[])`;
      const ledger = new LedgerTx(tx);
      await ledger.lockHoldAccounts(legs.flatMap((l) => [l.debit_account_id as string, l.credit_account_id as string]));
      await ledger.loadTransfers([...legIds, ...legIds.map(expiryVoidId)]);
      const voids: Transfer[] = [];
      for (const legId of legIds) {
        const leg = ledger.transfer(legId);
        if (!leg || ledger.pendingStatus(legId) !== 'pending') continue;
        voids.push({ ...leg, id: expiryVoidId(legId), kind: 'void_pending', pendingId: legId, timestamp: now, originTerminalId: null });
      }
      const applied = await ledger.apply(voids, { atomic: true });
      invariant(applied.ok, `expiry of hold ${holdId} refused: ${applied.statuses.join(', ')}`);
      await refreshHoldStates(tx, [holdId]);
      await tx`insert into audit_log (terminal_id, action, details) select terminal_id, 'hold.expired', ${tx.json({ holdId })} from holds where hold_id = ${holdId}`;
      await recordChanges(tx, memberBalanceChanges(ledger, applied.touched));
    });
    released.push(holdId);
  }
  return released;
}
