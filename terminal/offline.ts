import type { MemberLevel } from '../core/chain';
import type { OfflineLimits, OfflineUsage } from '../core/offline-limits';
import type { ChainSettings } from '../core/settings';
import { stmt, type TerminalDb } from './db';

/**
 * Stored value and points taken while HQ is unreachable (offline_debits), and how much of the
 * offline limits they use. A row counts against the per-terminal caps while its sale is open
 * and until HQ acknowledges the sale's event; against the card's daily limit for the store-local
 * day it was taken, synced or not. A cancelled sale's rows count for nothing.
 *
 * Points paid offline count as their money value against the same caps as stored value: the
 * per-payment limit, the card's daily limit (stored value and points together) and the
 * terminal's unsynced total and count. Both are member money HQ cannot check until the sync,
 * so both are bounded by one budget the chain sets.
 */

/** The limits that apply to `level`'s cards at this terminal; no level → no offline spending. */
export function offlineLimits(settings: ChainSettings, level: MemberLevel | null): OfflineLimits {
  return { perCardDailyMinor: level?.offlineLimitMinor ?? 0, ...settings.offline };
}

/** What this card and this terminal have already used of the offline limits (knownBalance left to the caller). */
export function offlineUsage(db: TerminalDb, cardId: string, localDate: string): Omit<OfflineUsage, 'knownBalanceMinor'> {
  const card = stmt(
    db,
    `SELECT COALESCE(SUM(d.amount_minor), 0) AS total FROM offline_debits d JOIN sales s ON s.id = d.sale_id
      WHERE d.card_id = ? AND d.local_date = ? AND s.status <> 'cancelled'`,
  ).get(cardId, localDate) as { total: number };
  const terminal = unsyncedOfflineDebits(db);
  return { cardOfflineTodayMinor: card.total, terminalUnsyncedTotalMinor: terminal.totalMinor, terminalUnsyncedCount: terminal.count };
}

/** Offline debits HQ has not acknowledged yet (open sales included). */
export function unsyncedOfflineDebits(db: TerminalDb): { totalMinor: number; count: number } {
  const r = stmt(
    db,
    `SELECT COALESCE(SUM(d.amount_minor), 0) AS total, COUNT(*) AS n FROM offline_debits d JOIN sales s ON s.id = d.sale_id
       LEFT JOIN outbox o ON o.seq = s.event_seq
      WHERE s.status = 'open' OR (s.status = 'completed' AND o.acked_at IS NULL)`,
  ).get() as { total: number; n: number };
  return { totalMinor: r.total, count: r.n };
}

/**
 * Offline tenders of open sales: taken from the card, not yet in the journal (the sale's
 * transfers are written when it completes), so the spendable balance must leave them out.
 */
export function openOfflineSpend(db: TerminalDb, o: { cardId?: string; memberId?: string }): { principal: number; bonus: number; points: number } {
  const r = stmt(
    db,
    `SELECT COALESCE(SUM(d.principal_minor), 0) AS principal, COALESCE(SUM(d.bonus_minor), 0) AS bonus, COALESCE(SUM(d.points), 0) AS points
       FROM offline_debits d JOIN sales s ON s.id = d.sale_id
      WHERE s.status = 'open' AND (d.card_id = @card OR d.member_id = @member)`,
  ).get({ card: o.cardId ?? null, member: o.memberId ?? null }) as { principal: number; bonus: number; points: number };
  return r;
}
