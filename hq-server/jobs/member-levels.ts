import type { MemberLevel } from '../../core/chain';
import { localTime } from '../../core/time';
import { reviewLevel, type LevelThreshold } from '../../core/member-level';
import { DEFAULT_CHAIN_SETTINGS } from '../../core/settings';
import { recordChanges } from '../change-log';
import type { Db, Sql } from '../database';

/**
 * Member levels (会员等级) from rolling 12-month spend: sales minus refunds completed in the
 * 365 days up to `now`. An applied sale can upgrade a member at once; only the yearly review
 * (first run in a new year, by the chain's HQ time zone) moves anyone down.
 */

export const ROLLING_WINDOW_MS = 365 * 86_400_000;

export interface LevelChange {
  memberId: string;
  from: string;
  to: string;
  rollingSpendMinor: number;
}

/** Rolling spend of each member in `memberIds` over the window ending at `now`. */
export async function rollingSpend(db: Db, memberIds: readonly string[], now: number): Promise<Map<string, number>> {
  const from = now - ROLLING_WINDOW_MS;
  const rows = await db`
    select m.id,
      coalesce((select sum(total_minor) from sales s where s.member_id = m.id and s.completed_at > ${from} and s.completed_at <= ${now}), 0)::bigint
      - coalesce((select sum(total_minor) from refunds r where r.member_id = m.id and r.completed_at > ${from} and r.completed_at <= ${now}), 0)::bigint as spend
    from members m where m.id = any(${[...memberIds]}::text[])`;
  return new Map(rows.map((r) => [r.id as string, Math.max(0, r.spend as number)]));
}

/**
 * Reviews the levels of `memberIds` inside `tx`: writes each change, its audit entry, and
 * returns the changes (the caller records them in the feed with its other changes).
 */
async function review(tx: Db, memberIds: readonly string[], now: number, yearly: boolean, actor: string): Promise<LevelChange[]> {
  if (memberIds.length === 0) return [];
  // One round trip for the levels and thresholds, one for the members with their rolling spend.
  const [config] = await tx`
    select (select coalesce(json_agg(json_build_object('code', code, 'name', name, 'rank', rank, 'discountRate', discount_rate,
              'pointsMultiplier', points_multiplier, 'offlineLimitMinor', offline_limit_minor) order by rank), '[]'::json) from member_levels) as levels,
           (select value from settings where key = 'levelThresholds') as thresholds`;
  const all = (config?.levels ?? []) as MemberLevel[];
  if (all.length === 0) return [];
  const thresholds = (config?.thresholds ?? DEFAULT_CHAIN_SETTINGS.levelThresholds) as LevelThreshold[];
  const from = now - ROLLING_WINDOW_MS;
  const current = await tx`
    select m.id, m.level_code,
      coalesce((select sum(total_minor) from sales s where s.member_id = m.id and s.completed_at > ${from} and s.completed_at <= ${now}), 0)::bigint
      - coalesce((select sum(total_minor) from refunds r where r.member_id = m.id and r.completed_at > ${from} and r.completed_at <= ${now}), 0)::bigint as spend
    from members m where m.id = any(${[...memberIds]}::text[]) order by m.id`;
  const changes: LevelChange[] = [];
  for (const m of current) {
    const rollingSpendMinor = Math.max(0, m.spend as number);
    const next = reviewLevel(m.level_code, rollingSpendMinor, all, thresholds, yearly);
    if (next.code === m.level_code) continue;
    const [moved] = await tx`update members set level_code = ${next.code} where id = ${m.id} and level_code = ${m.level_code} returning id`;
    if (!moved) continue;
    changes.push({ memberId: m.id, from: m.level_code, to: next.code, rollingSpendMinor });
    await tx`insert into audit_log (action, details) values (${'member.level_changed'}, ${tx.json({ memberId: m.id, before: m.level_code, after: next.code, rollingSpendMinor, by: actor })})`;
  }
  return changes;
}

/** After sales or refunds of `memberIds`: upgrades at once (never a downgrade). */
export function reviewLevelsAfterSpend(tx: Db, memberIds: readonly string[], now: number): Promise<LevelChange[]> {
  return review(tx, memberIds, now, false, 'sale');
}

/**
 * The yearly review: every member's level follows their rolling spend, up or down. Runs once per
 * calendar year of the chain's HQ zone (recorded in job_runs); a second call that year changes
 * nothing. The first year HQ ever runs only records a baseline (levels came with the chain's data,
 * not from spend HQ has seen). Returns the changes made.
 */
export async function yearlyLevelReview(sql: Sql, now: number): Promise<LevelChange[]> {
  const [hq] = await sql`select time_zone from org_nodes where parent_id is null order by id limit 1`;
  const year = localTime(now, (hq?.time_zone as string | undefined) ?? 'UTC').date.slice(0, 4);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(7262847002)`;
    const [first] = await tx`select count(*)::int as n from job_runs where job = 'level-review'`;
    const [claimed] = await tx`insert into job_runs (job, period, details) values ('level-review', ${year}, ${tx.json({ baseline: first!.n === 0 })}) on conflict do nothing returning period`;
    if (!claimed) return [];
    // The first year HQ runs is a baseline: levels came with the chain's data, not from spend HQ saw.
    if (first!.n === 0) return [];
    const ids = (await tx`select id from members order by id`).map((r) => r.id as string);
    const changes: LevelChange[] = [];
    for (let i = 0; i < ids.length; i += 1000) changes.push(...(await review(tx, ids.slice(i, i + 1000), now, true, 'yearly review')));
    await tx`update job_runs set details = ${tx.json({ changed: changes.length })} where job = 'level-review' and period = ${year}`;
    await recordChanges(tx, changes.map((c) => ({ kind: 'member' as const, key: c.memberId })));
    return changes;
  });
}
