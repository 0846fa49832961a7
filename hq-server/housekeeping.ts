import type { Log, Sql } from './database';
import { releaseExpiredHolds } from './holds';
import { forgetExpiredSecrets } from './operators';
import { pruneChangeLog } from './pull-changes';

export const HOUSEKEEPING_INTERVAL_MS = 30_000;

/** One round: release expired holds, prune the change feed, forget dead sessions and codes. */
export async function housekeepOnce(sql: Sql, log: Log, now: number): Promise<void> {
  const step = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      log(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  await step('hold expiry', async () => {
    const released = await releaseExpiredHolds(sql, now);
    if (released.length > 0) log(`released ${released.length} expired hold(s)`);
  });
  await step('change feed pruning', () => pruneChangeLog(sql));
  await step('session clean-up', () => forgetExpiredSecrets(sql));
}

/**
 * Runs housekeeping every `intervalMs`. Every HQ instance runs it; each step is idempotent.
 * stop() waits for a round in progress, so the pool is not closed under it.
 */
export function startHousekeeping(sql: Sql, log: Log, intervalMs = HOUSEKEEPING_INTERVAL_MS): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= housekeepOnce(sql, log, Date.now()).finally(() => {
      running = null;
    });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
