import { z } from 'zod';
import { cardAccounts, cardBonusAccountId, cardPrincipalAccountId, memberAccounts, memberPointsAccountId } from '../core/accounts';
import { assertCardUsable, nextCardStatus, postCardReplacement, type CardAction } from '../core/card';
import type { Card, CardMedium, CardStatus, Member } from '../core/chain';
import { DomainError, invariant } from '../core/errors';
import { uuidv7, type Clock } from '../core/ids';
import { availableCreditBalance, type Transfer } from '../core/ledger';
import { splitStoredValuePayment } from '../core/stored-value';
import { localTime } from '../core/time';
import { recordChanges, type ChangeRef } from './change-log';
import type { Db, Sql } from './database';
import { createAccounts, LedgerTx, MEMBER_ACCOUNT_CODES, readBalances, type AccountBalance } from './ledger';
import { hashSecret } from './seed';
import { readSetting } from './settings';

/**
 * The member desk (会员服务台): register members, issue cards, freeze / unfreeze / report lost /
 * replace, move stored value between a member's cards. Terminals call it over gRPC, HQ staff
 * over REST; both go through here. Each call carries a request id: a retry with the same id
 * answers the first response and changes nothing. Every change goes to the pull feed and the
 * audit log (who: terminal and/or operator; what: before and after).
 */

/** Who is at the desk: a terminal (with the cashier it names) or an HQ operator, and where. */
export interface DeskActor {
  terminalId: string | null;
  operatorId: string | null;
  /** The org node the change is made from (the terminal's store, the operator's node). */
  nodeId: string;
}

export interface DeskResult {
  member: Member;
  cards: Array<Card & { memberId: string }>;
  balances: AccountBalance[];
}

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => {
    const t = Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
    return new Date(t).toISOString().slice(0, 10) === d;
  }, 'is not a calendar date');
const optionalDate = z.union([z.literal(''), date]).optional().transform((d) => (d ? d : null));
const requestId = z.string().min(1, 'is required').max(128);

export const cardInputSchema = z.object({
  cardNo: z.string().trim().min(4, 'must have at least 4 characters').max(64).regex(/^[0-9A-Za-z-]+$/, 'letters, digits and dashes only'),
  medium: z.enum(['mifare', 'em4100', 'magstripe', 'barcode', 'virtual'], { message: 'must be mifare, em4100, magstripe, barcode or virtual' }),
  pin: z.union([z.literal(''), z.string().regex(/^\d{4,12}$/, 'must be 4 to 12 digits')]).optional().transform((p) => (p ? p : null)),
  expiresOn: optionalDate,
});
export type CardInput = z.output<typeof cardInputSchema>;

export const registerMemberSchema = z.object({
  requestId,
  name: z.string().trim().min(1, 'is required').max(100),
  phone: z.string().trim().regex(/^\+?\d{5,20}$/, 'must be a phone number of digits'),
  birthday: optionalDate,
  card: cardInputSchema.nullish().transform((c) => c ?? null),
});
export type RegisterMemberInput = z.output<typeof registerMemberSchema> & { homeStoreId?: string };

export const issueCardSchema = cardInputSchema.extend({ requestId, memberId: z.string().min(1, 'is required').max(128) });
export type IssueCardInput = z.output<typeof issueCardSchema>;

export const changeCardStatusSchema = z.object({
  requestId,
  cardId: z.string().min(1, 'is required').max(128),
  action: z.enum(['freeze', 'unfreeze', 'report_lost', 'replace'], { message: 'must be freeze, unfreeze, report_lost or replace' }),
  reason: z.string().max(500).optional().transform((r) => r ?? ''),
  newCard: cardInputSchema.nullish().transform((c) => c ?? null),
});
export type ChangeCardStatusInput = z.output<typeof changeCardStatusSchema> & { operatorId?: string | null };

/** `amount` is checked by the caller's transport (int64 string on gRPC, JSON integer in REST). */
export interface TransferBalanceInput {
  requestId: string;
  fromCardId: string;
  toCardId: string;
  /** Minor units; 0 moves everything. */
  amount: number;
}

/** The member, every card of theirs and their balances, as the desk answers. */
export async function deskResult(db: Db, memberId: string): Promise<DeskResult> {
  const [m] = await db`select id, name, phone, birthday, level_code, home_store_id from members where id = ${memberId}`;
  if (!m) throw new DomainError('NOT_FOUND', `no member ${memberId}`);
  const cards = await db`select id, member_id, card_no, medium, status, expires_on, pin_hash from cards where member_id = ${memberId} order by issued_at, id`;
  const accountIds = [memberPointsAccountId(memberId), ...cards.flatMap((c) => [cardPrincipalAccountId(c.id), cardBonusAccountId(c.id)])];
  return {
    member: { id: m.id, name: m.name, phone: m.phone, birthday: m.birthday, levelCode: m.level_code, homeStoreId: m.home_store_id },
    cards: cards.map((c) => ({ id: c.id, memberId: c.member_id, cardNo: c.card_no, medium: c.medium as CardMedium, status: c.status as CardStatus, expiresOn: c.expires_on, pinHash: c.pin_hash })),
    balances: await readBalances(db, accountIds),
  };
}

/**
 * Runs `change` once per request id. A retry (same id, same caller, same method and request)
 * answers the stored response; the same id with anything else is a CONFLICT.
 */
async function once(sql: Sql, requestIdValue: string, method: string, actor: DeskActor, request: unknown, change: (tx: Db) => Promise<DeskResult>): Promise<DeskResult> {
  const caller = actor.terminalId ? `terminal:${actor.terminalId}` : `operator:${actor.operatorId ?? ''}`;
  const requestJson = JSON.parse(JSON.stringify(request)) as unknown;
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${'desk:' + requestIdValue}))`;
    const [done] = await tx`select method, caller, request, response from member_desk_requests where request_id = ${requestIdValue}`;
    if (done) {
      if (done.method !== method || done.caller !== caller || canonical(done.request) !== canonical(requestJson)) {
        throw new DomainError('CONFLICT', `request ${requestIdValue} was made before with other details`);
      }
      return done.response as DeskResult;
    }
    const result = await change(tx);
    await tx`insert into member_desk_requests (request_id, method, caller, request, response)
      values (${requestIdValue}, ${method}, ${caller}, ${tx.json(requestJson as never)}, ${tx.json(JSON.parse(JSON.stringify(result)) as never)})`;
    return result;
  });
}

/** JSON with object keys sorted (jsonb does not keep the order they came in). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Stored with a request instead of the PIN itself: whether one was given. */
const withoutPin = <T extends { pin?: string | null }>(c: T | null) => (c ? { ...c, pin: c.pin ? '(given)' : null } : null);

async function audit(tx: Db, actor: DeskActor, action: string, details: Record<string, unknown>): Promise<void> {
  await tx`insert into audit_log (operator_id, terminal_id, node_id, action, details)
    values (${actor.operatorId}, ${actor.terminalId}, ${actor.nodeId}, ${action}, ${tx.json(JSON.parse(JSON.stringify(details)) as never)})`;
}

async function chainCurrency(tx: Db): Promise<string> {
  const [c] = await tx`select currency from chain`;
  invariant(c, 'the chain is seeded');
  return c.currency as string;
}

async function todayAt(tx: Db, nodeId: string, clock: Clock): Promise<string> {
  const [n] = await tx`select time_zone from org_nodes where id = ${nodeId}`;
  return localTime(clock.now(), (n?.time_zone as string | undefined) ?? 'UTC').date;
}

/** Inserts a card with its accounts; CONFLICT when the number is taken. */
async function insertCard(tx: Db, memberId: string, card: CardInput, pinHash: string | null, today: string, changes: ChangeRef[]): Promise<string> {
  if (card.expiresOn !== null && card.expiresOn < today) throw new DomainError('VALIDATION_FAILED', `expires_on ${card.expiresOn} is in the past`);
  const [taken] = await tx`select id from cards where card_no = ${card.cardNo}`;
  if (taken) throw new DomainError('CONFLICT', `card number ${card.cardNo} is already issued`);
  const id = uuidv7();
  await tx`insert into cards (id, member_id, card_no, medium, status, expires_on, pin_hash)
    values (${id}, ${memberId}, ${card.cardNo}, ${card.medium}, 'active', ${card.expiresOn}, ${pinHash})`;
  const accounts = cardAccounts(id, await chainCurrency(tx));
  await createAccounts(tx, accounts.map((a) => ({ ...a, owner: id })));
  changes.push({ kind: 'card', key: id }, ...accounts.map((a) => ({ kind: 'balance' as const, key: a.id })));
  return id;
}

const pinHashOf = (card: CardInput | null) => (card?.pin ? hashSecret(card.pin) : Promise.resolve(null));

/** Registers a member at `actor`'s store (or `homeStoreId`), with a first card when given. */
export async function registerMember(sql: Sql, actor: DeskActor, input: RegisterMemberInput, clock: Clock): Promise<DeskResult> {
  const pinHash = await pinHashOf(input.card);
  const homeStoreId = input.homeStoreId ?? actor.nodeId;
  const request = { ...input, card: withoutPin(input.card), homeStoreId };
  return once(sql, input.requestId, 'RegisterMember', actor, request, async (tx) => {
    const [store] = await tx`select kind from org_nodes where id = ${homeStoreId}`;
    if (!store || store.kind !== 'store') throw new DomainError('VALIDATION_FAILED', `home store ${homeStoreId} is not a store`);
    const [entry] = await tx`select code from member_levels order by rank limit 1`;
    if (!entry) throw new DomainError('NOT_FOUND', 'no member levels are configured');
    const memberId = uuidv7();
    const changes: ChangeRef[] = [{ kind: 'member', key: memberId }];
    await tx`insert into members (id, name, phone, birthday, level_code, home_store_id)
      values (${memberId}, ${input.name}, ${input.phone}, ${input.birthday}, ${entry.code}, ${homeStoreId})`;
    const accounts = memberAccounts(memberId);
    await createAccounts(tx, accounts.map((a) => ({ ...a, owner: memberId })));
    changes.push(...accounts.map((a) => ({ kind: 'balance' as const, key: a.id })));
    let cardId: string | null = null;
    if (input.card) cardId = await insertCard(tx, memberId, input.card, pinHash, await todayAt(tx, actor.nodeId, clock), changes);
    const result = await deskResult(tx, memberId);
    await audit(tx, actor, 'member.registered', { memberId, cardId, before: null, after: { member: result.member, cards: result.cards.map(({ pinHash: _, ...c }) => c) } });
    await recordChanges(tx, changes);
    return result;
  });
}

/** Issues another card to a member. */
export async function issueCard(sql: Sql, actor: DeskActor, input: IssueCardInput, clock: Clock): Promise<DeskResult> {
  const pinHash = await pinHashOf(input);
  return once(sql, input.requestId, 'IssueCard', actor, withoutPin(input), async (tx) => {
    const [m] = await tx`select id from members where id = ${input.memberId} for update`;
    if (!m) throw new DomainError('NOT_FOUND', `no member ${input.memberId}`);
    const changes: ChangeRef[] = [];
    const cardId = await insertCard(tx, input.memberId, input, pinHash, await todayAt(tx, actor.nodeId, clock), changes);
    await audit(tx, actor, 'card.issued', { memberId: input.memberId, cardId, before: null, after: { cardNo: input.cardNo, medium: input.medium, expiresOn: input.expiresOn, pin: input.pin !== null } });
    await recordChanges(tx, changes);
    return deskResult(tx, input.memberId);
  });
}

/** Whose stored value this is and how much of each part is free to move (posted less held). */
async function lockCardBalances(ledger: LedgerTx, cardIds: readonly string[], extra: readonly string[] = []) {
  await ledger.lockAccounts([...cardIds.flatMap((id) => [cardPrincipalAccountId(id), cardBonusAccountId(id)]), ...extra]);
  const free = (cardId: string) => ({
    principal: ledger.account(cardPrincipalAccountId(cardId)) ? availableCreditBalance(ledger.balances(cardPrincipalAccountId(cardId))) : 0,
    bonus: ledger.account(cardBonusAccountId(cardId)) ? availableCreditBalance(ledger.balances(cardBonusAccountId(cardId))) : 0,
  });
  return free;
}

function requireApplied(statuses: readonly string[], what: string): void {
  const bad = statuses.find((s) => s !== 'created' && s !== 'exists');
  if (bad === 'exceeds_credits') throw new DomainError('INSUFFICIENT_BALANCE', `${what}: the balance is short`);
  invariant(bad === undefined, `${what} refused by the ledger: ${bad}`);
}

/**
 * Freeze, unfreeze, report lost, or replace a card. A replacement is a new card for the same
 * member; the old one becomes 'replaced' and its free stored value moves over part by part
 * (what holds reserve stays until they are captured or released).
 */
export async function changeCardStatus(sql: Sql, actor: DeskActor, input: ChangeCardStatusInput, clock: Clock): Promise<DeskResult> {
  if (input.action === 'replace' && !input.newCard) throw new DomainError('VALIDATION_FAILED', 'new_card: is required to replace a card');
  if (input.action !== 'replace' && input.newCard) throw new DomainError('VALIDATION_FAILED', 'new_card: only a replacement issues a new card');
  const pinHash = await pinHashOf(input.newCard);
  const request = { ...input, newCard: withoutPin(input.newCard) };
  return once(sql, input.requestId, 'ChangeCardStatus', actor, request, async (tx) => {
    if (input.operatorId) {
      const [op] = await tx`select id from operators where id = ${input.operatorId} and disabled_at is null`;
      if (!op) throw new DomainError('VALIDATION_FAILED', `operator_id: no active operator ${input.operatorId}`);
    }
    const [card] = await tx`select id, member_id, card_no, status from cards where id = ${input.cardId} for update`;
    if (!card) throw new DomainError('UNKNOWN_CARD', `card ${input.cardId} is not known at HQ`);
    const status = nextCardStatus(card.status as CardStatus, input.action as CardAction);
    const changes: ChangeRef[] = [{ kind: 'card', key: card.id }];
    const who = { ...actor, operatorId: input.operatorId ?? actor.operatorId };
    let moved: { newCardId: string; principalMinor: number; bonusMinor: number } | null = null;
    if (input.action === 'replace') {
      const newCardId = await insertCard(tx, card.member_id, input.newCard!, pinHash, await todayAt(tx, actor.nodeId, clock), changes);
      const ledger = new LedgerTx(tx);
      const free = (await lockCardBalances(ledger, [card.id, newCardId]))(card.id);
      // Held value would be stranded on the old card if its hold were released after the move.
      const held = [cardPrincipalAccountId(card.id), cardBonusAccountId(card.id)].reduce((sum, id) => sum + (ledger.account(id) ? ledger.balances(id).debitsPending : 0), 0);
      if (held > 0) throw new DomainError('CONFLICT', `card ${card.card_no} has ${held} held by a sale in progress; finish or cancel it (holds lapse after 10 minutes), then replace the card`);
      const documentId = `card-replacement:${input.requestId}`;
      let i = 0;
      const transfers = postCardReplacement(
        { documentId, currency: await chainCurrency(tx), oldCardId: card.id, newCardId, principalMinor: free.principal, bonusMinor: free.bonus, at: clock.now(), terminalId: actor.terminalId },
        () => `${documentId}/${i++}`,
      );
      await ledger.load(transfers);
      const applied = await ledger.apply(transfers, { atomic: true });
      requireApplied(applied.statuses, 'card replacement');
      for (const id of applied.touched) if (MEMBER_ACCOUNT_CODES.has(ledger.accountCode(id)!)) changes.push({ kind: 'balance', key: id });
      moved = { newCardId, principalMinor: free.principal, bonusMinor: free.bonus };
    }
    await tx`update cards set status = ${status}, replaced_by = ${moved?.newCardId ?? null} where id = ${card.id}`;
    await audit(tx, who, `card.${input.action}`, { cardId: card.id, memberId: card.member_id, reason: input.reason, before: { status: card.status }, after: { status, ...(moved ?? {}) } });
    await recordChanges(tx, changes);
    return deskResult(tx, card.member_id);
  });
}

/**
 * Moves stored value between two cards of one member, principal to principal and bonus to
 * bonus: `amount` split by the chain's spending order, or everything free when 0.
 */
export async function transferBalance(sql: Sql, actor: DeskActor, input: TransferBalanceInput, clock: Clock): Promise<DeskResult> {
  if (!Number.isSafeInteger(input.amount) || input.amount < 0) throw new DomainError('VALIDATION_FAILED', 'amount: must be a whole number of minor units, 0 for everything');
  if (input.fromCardId === input.toCardId) throw new DomainError('VALIDATION_FAILED', 'to_card_id: must be another card than from_card_id');
  return once(sql, input.requestId, 'TransferBalance', actor, input, async (tx) => {
    const cards = await tx`select id, member_id, card_no, status, expires_on from cards where id = any(${[input.fromCardId, input.toCardId]}::text[]) order by id for update`;
    const from = cards.find((c) => c.id === input.fromCardId);
    const to = cards.find((c) => c.id === input.toCardId);
    if (!from) throw new DomainError('UNKNOWN_CARD', `card ${input.fromCardId} is not known at HQ`);
    if (!to) throw new DomainError('UNKNOWN_CARD', `card ${input.toCardId} is not known at HQ`);
    if (from.member_id !== to.member_id) throw new DomainError('VALIDATION_FAILED', 'both cards must belong to the same member');
    const today = await todayAt(tx, actor.nodeId, clock);
    const usable = (c: typeof from) => ({ cardNo: c.card_no as string, status: c.status as CardStatus, expiresOn: c.expires_on as string | null });
    // Money may leave a lost card (that is often why it is moved), never a frozen or expired one.
    if (from.status !== 'lost') assertCardUsable(usable(from), today);
    assertCardUsable(usable(to), today);
    const ledger = new LedgerTx(tx);
    const free = (await lockCardBalances(ledger, [from.id, to.id]))(from.id);
    const legs =
      input.amount === 0
        ? [
            { part: 'principal' as const, amount: free.principal },
            { part: 'bonus' as const, amount: free.bonus },
          ].filter((l) => l.amount > 0)
        : splitStoredValuePayment(from.id, input.amount, free, await readSetting(tx, 'spendingOrder'));
    if (legs.length === 0) throw new DomainError('INSUFFICIENT_BALANCE', `card ${from.card_no} has no stored value to move`);
    const documentId = `balance-transfer:${input.requestId}`;
    const currency = await chainCurrency(tx);
    const account = (cardId: string, part: 'principal' | 'bonus') => (part === 'principal' ? cardPrincipalAccountId(cardId) : cardBonusAccountId(cardId));
    const transfers: Transfer[] = legs.map((l) => ({
      id: `${documentId}/${l.part}`,
      kind: 'single',
      debitAccountId: account(from.id, l.part),
      creditAccountId: account(to.id, l.part),
      ledger: currency,
      amount: l.amount,
      code: 'BALANCE_TRANSFER',
      pendingId: null,
      timestamp: clock.now(),
      originTerminalId: actor.terminalId,
      documentId,
    }));
    await ledger.load(transfers);
    const applied = await ledger.apply(transfers, { atomic: true });
    requireApplied(applied.statuses, 'balance transfer');
    await audit(tx, actor, 'card.balance_transferred', {
      memberId: from.member_id,
      fromCardId: from.id,
      toCardId: to.id,
      before: { from: free },
      after: { moved: Object.fromEntries(legs.map((l) => [l.part, l.amount])) },
    });
    await recordChanges(tx, applied.touched.map((key) => ({ kind: 'balance' as const, key })));
    return deskResult(tx, from.member_id);
  });
}
