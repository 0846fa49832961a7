import { DomainError } from './errors';
import { assertMinor } from './money';

/**
 * What a terminal may debit from a card while HQ is unreachable. HQ sets these per member
 * level and per store; the terminal enforces them so that exposure stays bounded.
 */
export interface OfflineLimits {
  /** Per card per store-local day (the member level's offline limit). */
  perCardDailyMinor: number;
  perTransactionMinor: number;
  /** Offline debits this terminal has made that HQ has not yet acknowledged. */
  perTerminalUnsyncedTotalMinor: number;
  perTerminalUnsyncedCount: number;
}

export interface OfflineUsage {
  /** This card's offline debits at this terminal today. */
  cardOfflineTodayMinor: number;
  terminalUnsyncedTotalMinor: number;
  terminalUnsyncedCount: number;
  /** Last balance HQ reported, less this terminal's own debits since. */
  knownBalanceMinor: number;
}

/** Refuses an offline debit of `amount` that would pass any limit, naming the limit. */
export function assertOfflineDebitAllowed(amount: number, limits: OfflineLimits, usage: OfflineUsage): void {
  assertMinor(amount);
  const refuse = (limit: string, room: number) => {
    throw new DomainError('OFFLINE_LIMIT_EXCEEDED', `HQ is unreachable and this payment is over the ${limit} (room left ${Math.max(0, room)})`, { limit, roomMinor: Math.max(0, room) });
  };
  if (amount > usage.knownBalanceMinor) {
    throw new DomainError('INSUFFICIENT_BALANCE', `stored value ${usage.knownBalanceMinor} is short of the ${amount} asked for`, { available: usage.knownBalanceMinor, requested: amount });
  }
  if (amount > limits.perTransactionMinor) refuse('offline limit per payment', limits.perTransactionMinor);
  if (usage.cardOfflineTodayMinor + amount > limits.perCardDailyMinor) refuse("card's daily offline limit", limits.perCardDailyMinor - usage.cardOfflineTodayMinor);
  if (usage.terminalUnsyncedTotalMinor + amount > limits.perTerminalUnsyncedTotalMinor) refuse("terminal's offline total", limits.perTerminalUnsyncedTotalMinor - usage.terminalUnsyncedTotalMinor);
  if (usage.terminalUnsyncedCount + 1 > limits.perTerminalUnsyncedCount) refuse("terminal's offline payment count", 0);
}
