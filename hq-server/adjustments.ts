import { cardBonusAccountId, cardPrincipalAccountId, chainAdjustmentsAccountId, memberPointsAccountId } from '../core/accounts';
import { DomainError, invariant } from '../core/errors';
import { uuidv7, type Clock } from '../core/ids';
import { creditBalance, POINTS_LEDGER, type Transfer } from '../core/ledger';
import { recordChanges } from './change-log';
import type { Db, Sql } from './database';
import { LedgerTx } from './ledger';

/**
 * Manual adjustments (人工调整) of a member's stored value or points at HQ: one operator asks,
 * with a reason; a second operator approves, and only then is the transfer posted against
 * chain:adjustments. Nobody approves their own request.
 */

/** The approver is the requester (or otherwise may not approve): answered 403. */
export class ApprovalRefused extends Error {}

export interface AdjustmentRequest {
  asset: 'stored_value' | 'points';
  memberId: string;
  /** Stored value only. */
  cardId: string | null;
  part: 'principal' | 'bonus' | null;
  /** Signed, non-zero: + credits the member, − debits them. Minor units, or points. */
  amount: number;
  reason: string;
}

export interface Adjustment extends AdjustmentRequest {
  id: string;
  state: 'pending' | 'approved';
  requestedBy: string;
  requestedAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  transferId: string | null;
}

const adjustmentTransferId = (id: string) => `adjustment:${id}`;

function fromRow(r: Record<string, any>): Adjustment {
  return {
    id: r.id,
    asset: r.asset,
    memberId: r.member_id,
    cardId: r.card_id,
    part: r.part,
    amount: r.amount,
    reason: r.reason,
    state: r.state,
    requestedBy: r.requested_by,
    requestedAt: (r.requested_at as Date).toISOString(),
    approvedBy: r.approved_by,
    approvedAt: r.approved_at ? (r.approved_at as Date).toISOString() : null,
    transferId: r.state === 'approved' ? adjustmentTransferId(r.id) : null,
  };
}

/** Records a pending adjustment; nothing moves until someone else approves it. */
export async function requestAdjustment(sql: Sql, operator: { id: string; nodeId: string }, input: AdjustmentRequest): Promise<Adjustment> {
  if (!Number.isSafeInteger(input.amount) || input.amount === 0) throw new DomainError('VALIDATION_FAILED', 'amount: must be a whole number other than zero');
  if (input.reason.trim() === '') throw new DomainError('VALIDATION_FAILED', 'reason: is required');
  return sql.begin(async (tx) => {
    const [m] = await tx`select id from members where id = ${input.memberId}`;
    if (!m) throw new DomainError('NOT_FOUND', `no member ${input.memberId}`);
    if (input.asset === 'stored_value') {
      if (!input.cardId || !input.part) throw new DomainError('VALIDATION_FAILED', 'cardId and part: are required for stored value');
      const [c] = await tx`select member_id from cards where id = ${input.cardId}`;
      if (!c) throw new DomainError('UNKNOWN_CARD', `card ${input.cardId} is not known at HQ`);
      if (c.member_id !== input.memberId) throw new DomainError('VALIDATION_FAILED', `card ${input.cardId} is not member ${input.memberId}'s`);
    } else if (input.cardId || input.part) {
      throw new DomainError('VALIDATION_FAILED', 'cardId and part: apply to stored value only');
    }
    const id = uuidv7();
    const [row] = await tx`
      insert into adjustments (id, asset, member_id, card_id, part, amount, reason, requested_by, state)
      values (${id}, ${input.asset}, ${input.memberId}, ${input.cardId}, ${input.part}, ${input.amount}, ${input.reason.trim()}, ${operator.id}, 'pending')
      returning *`;
    await tx`insert into audit_log (operator_id, node_id, action, details) values (${operator.id}, ${operator.nodeId}, 'adjustment.requested', ${tx.json({ id, ...input })})`;
    return fromRow(row!);
  });
}

export async function getAdjustment(db: Db, id: string): Promise<Adjustment | null> {
  const [row] = await db`select * from adjustments where id = ${id}`;
  return row ? fromRow(row) : null;
}

export async function listAdjustments(db: Db, filter: { state?: 'pending' | 'approved'; memberIds?: readonly string[] | null; limit: number }): Promise<Adjustment[]> {
  const rows = await db`
    select * from adjustments
    where (${filter.state ?? null}::text is null or state = ${filter.state ?? null})
      and (${filter.memberIds ? [...filter.memberIds] : null}::text[] is null or member_id = any(${filter.memberIds ? [...filter.memberIds] : null}::text[]))
    order by requested_at desc, id limit ${filter.limit}`;
  return rows.map(fromRow);
}

/**
 * Approves a pending adjustment and posts it (STORED_VALUE_ADJUSTED or POINTS_ADJUSTED against
 * chain:adjustments:{ledger}). A debit the member's balance cannot cover is refused with
 * INSUFFICIENT_BALANCE and the request stays pending.
 */
export async function approveAdjustment(sql: Sql, approver: { id: string; nodeId: string }, id: string, clock: Clock): Promise<Adjustment> {
  return sql.begin(async (tx) => {
    const [row] = await tx`select * from adjustments where id = ${id} for update`;
    if (!row) throw new DomainError('NOT_FOUND', `no adjustment ${id}`);
    const a = fromRow(row);
    if (a.requestedBy === approver.id) throw new ApprovalRefused('an adjustment needs a second operator: you asked for this one, so someone else must approve it');
    if (a.state !== 'pending') throw new DomainError('CONFLICT', `adjustment ${id} is already ${a.state}`);
    const [chain] = await tx`select currency from chain`;
    invariant(chain, 'the chain is seeded');
    const ledgerName = a.asset === 'points' ? POINTS_LEDGER : (chain.currency as string);
    const member = a.asset === 'points' ? memberPointsAccountId(a.memberId) : a.part === 'principal' ? cardPrincipalAccountId(a.cardId!) : cardBonusAccountId(a.cardId!);
    const chainAccount = chainAdjustmentsAccountId(ledgerName);
    const transfer: Transfer = {
      id: adjustmentTransferId(id),
      kind: 'single',
      debitAccountId: a.amount > 0 ? chainAccount : member,
      creditAccountId: a.amount > 0 ? member : chainAccount,
      ledger: ledgerName,
      amount: Math.abs(a.amount),
      code: a.asset === 'points' ? 'POINTS_ADJUSTED' : 'STORED_VALUE_ADJUSTED',
      pendingId: null,
      timestamp: clock.now(),
      originTerminalId: null,
      documentId: `adjustment:${id}`,
    };
    const ledger = new LedgerTx(tx);
    await ledger.load([transfer]);
    const before = creditBalance(ledger.balances(member));
    const applied = await ledger.apply([transfer], { atomic: true });
    if (!applied.ok) {
      if (applied.statuses[0] === 'exceeds_credits') throw new DomainError('INSUFFICIENT_BALANCE', `the member's balance ${before} cannot give up ${Math.abs(a.amount)}`);
      throw new DomainError('CONFLICT', `adjustment ${id} could not be posted: ${applied.statuses[0]}`);
    }
    const [done] = await tx`update adjustments set state = 'approved', approved_by = ${approver.id}, approved_at = now() where id = ${id} returning *`;
    await tx`insert into audit_log (operator_id, node_id, action, details)
      values (${approver.id}, ${approver.nodeId}, 'adjustment.approved', ${tx.json({ id, accountId: member, reason: a.reason, requestedBy: a.requestedBy, before, after: creditBalance(ledger.balances(member)) })})`;
    await recordChanges(tx, [{ kind: 'balance', key: member }]);
    return fromRow(done!);
  });
}
