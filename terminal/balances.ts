import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { availableCreditBalance, type AccountCode, type Balances } from '../core/ledger';
import { stmt, type TerminalDb } from './db';

/**
 * A member account's balance as this terminal sees it: HQ's figures, plus the effect of
 * this terminal's own work HQ had not seen when it sent them. The one place that says so.
 *
 * HQ sends (posted, held) for an account as of `as_of_applied_seq` = S (the highest seq of our
 * events it had applied) and the pull that brought it (`snapshot_gen`). We add:
 *  - every transfer effect of our outbox events with seq > S (sales, top-ups, releases), and
 *  - the creation of every hold HQ granted us after that pull began (its pending amount),
 *    whatever became of the hold since: its capture or release is in an event above, and
 *    cancels it out. A hold granted before the pull began is already in `held`.
 * A hold granted while a pull was under way counts twice until the next pull: that errs on
 * the side of spending less, never more.
 */

/** Accounts whose truth is at HQ; the terminal only adds its own later work to them. */
export const HQ_HELD_CODES: ReadonlySet<AccountCode> = new Set(['CARD_PRINCIPAL', 'CARD_BONUS', 'MEMBER_POINTS']);

interface HqRow {
  posted: number;
  held: number;
  as_of_applied_seq: number;
  snapshot_gen: number;
}

interface SumRow {
  dp: number;
  cp: number;
  dq: number;
  cq: number;
}

export function hqHeldBalances(db: TerminalDb, accountId: string): Balances {
  const hq = (stmt(db, 'SELECT posted, held, as_of_applied_seq, snapshot_gen FROM hq_balances WHERE account_id = ?').get(accountId) as HqRow | undefined) ?? {
    posted: 0,
    held: 0,
    as_of_applied_seq: 0,
    snapshot_gen: 0,
  };
  const later = stmt(
    db,
    `SELECT COALESCE(SUM(debits_posted), 0) AS dp, COALESCE(SUM(credits_posted), 0) AS cp,
              COALESCE(SUM(debits_pending), 0) AS dq, COALESCE(SUM(credits_pending), 0) AS cq
         FROM transfer_effects WHERE account_id = ? AND event_seq > ?`,
  ).get(accountId, hq.as_of_applied_seq) as SumRow;
  const newHolds = stmt(
    db,
    `SELECT COALESCE(SUM(l.amount), 0) AS amount FROM hold_legs l JOIN holds h ON h.hold_id = l.hold_id
        WHERE l.account_id = ? AND h.authorized_gen >= ?`,
  ).get(accountId, hq.snapshot_gen) as { amount: number };
  return {
    debitsPosted: Math.max(0, -hq.posted) + later.dp,
    creditsPosted: Math.max(0, hq.posted) + later.cp,
    debitsPending: hq.held + later.dq + newHolds.amount,
    creditsPending: later.cq,
  };
}

/** What a card may still spend, by part: posted − held, with our later work on top. */
export function cardSpendable(db: TerminalDb, cardId: string): { principal: number; bonus: number } {
  return {
    principal: availableCreditBalance(hqHeldBalances(db, cardPrincipalAccountId(cardId))),
    bonus: availableCreditBalance(hqHeldBalances(db, cardBonusAccountId(cardId))),
  };
}

/** A member's points as this terminal sees them. */
export function memberPoints(db: TerminalDb, memberId: string): number {
  return availableCreditBalance(hqHeldBalances(db, memberPointsAccountId(memberId)));
}
