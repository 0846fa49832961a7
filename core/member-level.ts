import type { MemberLevel } from './chain';

/** What it takes to hold a level: rolling 12-month spend in minor units (0 for the entry level). */
export interface LevelThreshold {
  code: string;
  minRollingSpendMinor: number;
}

/** The highest level whose threshold `rollingSpendMinor` reaches. */
export function levelEarned(rollingSpendMinor: number, levels: readonly MemberLevel[], thresholds: readonly LevelThreshold[]): MemberLevel {
  const byRank = [...levels].sort((a, b) => a.rank - b.rank);
  let earned = byRank[0];
  if (!earned) throw new RangeError('no member levels configured');
  for (const level of byRank) {
    const t = thresholds.find((x) => x.code === level.code);
    if (t && rollingSpendMinor >= t.minRollingSpendMinor) earned = level;
  }
  return earned;
}

/**
 * A member's level after a change in spend: upgrades happen at once, downgrades only at the
 * yearly review, so a member does not lose a level mid-year.
 */
export function reviewLevel(
  currentCode: string,
  rollingSpendMinor: number,
  levels: readonly MemberLevel[],
  thresholds: readonly LevelThreshold[],
  yearlyReview: boolean,
): MemberLevel {
  const earned = levelEarned(rollingSpendMinor, levels, thresholds);
  const current = levels.find((l) => l.code === currentCode) ?? earned;
  if (earned.rank > current.rank) return earned;
  if (yearlyReview) return earned;
  return current;
}
