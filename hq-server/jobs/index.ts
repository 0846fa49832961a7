import type { Clock } from '../../core/ids';
import { systemClock } from '../../core/ids';
import type { Log, Sql } from '../database';
import { expireCards } from './card-expiry';
import { yearlyLevelReview } from './member-levels';
import { expirePoints } from './points-expiry';
import { postMaturedRebates } from './rebates';
import { advancePromotions } from '../promotions';

export { expirePoints, pointsExpiryId } from './points-expiry';
export { postMaturedRebates } from './rebates';
export { expireCards } from './card-expiry';
export { reviewLevelsAfterSpend, rollingSpend, yearlyLevelReview } from './member-levels';

export const JOBS_INTERVAL_MS = 15 * 60 * 1000;

/** One round of every periodic job at `now`; each step is idempotent, so every HQ instance may run it. */
export async function runJobsOnce(sql: Sql, log: Log, now: number): Promise<void> {
  const step = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      log(`job ${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  };
  await step('points expiry', async () => {
    const expired = await expirePoints(sql, now, undefined, { oncePerDay: true });
    if (expired.length > 0) log(`expired points of ${expired.length} member(s)`);
  });
  await step('rebates', async () => {
    const r = await postMaturedRebates(sql, now);
    if (r.posted + r.voided > 0) log(`rebates: ${r.posted} posted, ${r.voided} released`);
  });
  await step('promotion calendar', async () => {
    const moves = await advancePromotions(sql, now);
    if (moves.length > 0) log(`promotions: ${moves.map((m) => `${m.id} ${m.from} → ${m.to}`).join(', ')}`);
  });
  await step('card expiry', async () => {
    const cards = await expireCards(sql, now);
    if (cards.length > 0) log(`${cards.length} card(s) expired`);
  });
  await step('yearly level review', async () => {
    const changes = await yearlyLevelReview(sql, now);
    if (changes.length > 0) log(`yearly level review moved ${changes.length} member(s)`);
  });
}

/** Runs the jobs every `intervalMs` (first round at once); stop() waits for a round in progress. */
export function startJobs(sql: Sql, log: Log, options: { intervalMs?: number; clock?: Clock } = {}): { stop(): Promise<void> } {
  const clock = options.clock ?? systemClock;
  let running: Promise<void> | null = null;
  const tick = () => {
    running ??= runJobsOnce(sql, log, clock.now()).finally(() => {
      running = null;
    });
  };
  const timer = setInterval(tick, options.intervalMs ?? JOBS_INTERVAL_MS);
  timer.unref();
  tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
