import { chainPointsIssuedAccountId, memberPointsAccountId } from '../../core/accounts';
import { availableCreditBalance, POINTS_LEDGER, type Transfer } from '../../core/ledger';
import { pointsExpiring, type PointsLot } from '../../core/points-expiry';
import { localTime } from '../../core/time';
import { recordChanges } from '../change-log';
import type { Sql } from '../database';
import { LedgerTx } from '../ledger';
import { readSetting } from '../settings';

/**
 * Points expiry (积分过期). A member's lots are the points credited to them as earned, opening or
 * adjusted, each dated by the store-local date of the member's home store; everything taken out
 * since (spent, reversed, given for gifts, adjusted down, expired before — less what refunds
 * restored) is consumed from the oldest lots first. What is left of lots past their last valid
 * day expires through one POINTS_EXPIRED transfer per member and local day, id
 * `points-expiry:{member}:{date}`, so running the job again that day (or on another HQ
 * instance) changes nothing, and the next day finds nothing more to expire.
 */

export const pointsExpiryId = (memberId: string, localDate: string) => `points-expiry:${memberId}:${localDate}`;

export interface ExpiryOutcome {
  memberId: string;
  localDate: string;
  points: number;
}

const LOT_CODES = ['POINTS_EARNED', 'OPENING_POINTS', 'POINTS_ADJUSTED'];

/**
 * Expires what is due at `now` for every member (or just `memberIds`); returns what expired.
 * With `oncePerDay` (the periodic job), each time zone's members are gone through once per local
 * day (claimed in job_runs): what expires only changes when the date does, and a day missed is
 * caught up the next, since everything past its last valid day expires.
 */
export async function expirePoints(sql: Sql, now: number, memberIds?: readonly string[], options: { oncePerDay?: boolean } = {}): Promise<ExpiryOutcome[]> {
  const rule = await readSetting(sql, 'pointsExpiry');
  if (rule.kind === 'never') return [];
  let zones: string[] | null = null;
  if (options.oncePerDay) {
    zones = [];
    for (const { time_zone: zone } of await sql`select distinct time_zone from org_nodes where kind = 'store'`) {
      const period = `${localTime(now, zone).date}@${zone}`;
      const [claimed] = await sql`insert into job_runs (job, period) values ('points-expiry', ${period}) on conflict do nothing returning period`;
      if (claimed) zones.push(zone);
    }
    if (zones.length === 0) return [];
  }
  const members = await sql`
    select m.id, o.time_zone from members m join org_nodes o on o.id = m.home_store_id
    join accounts a on a.id = 'member:' || m.id || ':points'
    where a.credits_posted > a.debits_posted
      and (${memberIds ? [...memberIds] : null}::text[] is null or m.id = any(${memberIds ? [...memberIds] : null}::text[]))
      and (${zones}::text[] is null or o.time_zone = any(${zones}::text[]))
    order by m.id`;
  const out: ExpiryOutcome[] = [];
  for (const m of members) {
    const account = memberPointsAccountId(m.id);
    const today = localTime(now, m.time_zone).date;
    const id = pointsExpiryId(m.id, today);
    const made = await sql.begin(async (tx) => {
      const ledger = new LedgerTx(tx);
      await ledger.lockAccounts([account, chainPointsIssuedAccountId()]);
      await ledger.loadTransfers([id]);
      if (ledger.transfer(id)) return 0;
      const lots: PointsLot[] = (
        await tx`select amount, "timestamp" from transfers where credit_account_id = ${account} and code = any(${LOT_CODES}::text[]) and kind = 'single'`
      ).map((r) => ({ earnedOn: localTime(r.timestamp as number, m.time_zone).date, points: r.amount as number }));
      const [restored] = await tx`select coalesce(sum(amount), 0)::bigint as n from transfers where credit_account_id = ${account} and code = 'POINTS_RESTORED'`;
      const balances = ledger.balances(account);
      const consumed = balances.debitsPosted - (restored!.n as number);
      const due = Math.min(pointsExpiring(lots, consumed, today, rule), availableCreditBalance(balances));
      if (due <= 0) return 0;
      const t: Transfer = {
        id,
        kind: 'single',
        debitAccountId: account,
        creditAccountId: chainPointsIssuedAccountId(),
        ledger: POINTS_LEDGER,
        amount: due,
        code: 'POINTS_EXPIRED',
        pendingId: null,
        timestamp: now,
        originTerminalId: null,
        documentId: `points-expiry:${today}`,
      };
      const applied = await ledger.apply([t], { atomic: true });
      if (!applied.ok) throw new Error(`points expiry of member ${m.id} refused: ${applied.statuses.join(', ')}`);
      await tx`insert into audit_log (action, details) values ('points.expired', ${tx.json({ memberId: m.id, localDate: today, points: due, rule })})`;
      await recordChanges(tx, [{ kind: 'balance', key: account }]);
      return due;
    });
    if (made > 0) out.push({ memberId: m.id, localDate: today, points: made });
  }
  return out;
}
