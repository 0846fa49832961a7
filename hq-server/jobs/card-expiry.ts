import { nextCardStatus } from '../../core/card';
import type { CardStatus } from '../../core/chain';
import { localTime } from '../../core/time';
import { recordChanges } from '../change-log';
import type { Sql } from '../database';

/**
 * Cards past their expiry date (会员卡到期) become 'expired' — the day after `expires_on` in the
 * member's home store's zone — so terminals see it in the card feed rather than only at payment.
 * Active and frozen cards only (core's `expire` transition); a second run finds nothing.
 */
export async function expireCards(sql: Sql, now: number): Promise<string[]> {
  const expired: string[] = [];
  for (const { time_zone: zone } of await sql`select distinct time_zone from org_nodes where kind = 'store'`) {
    const today = localTime(now, zone).date;
    await sql.begin(async (tx) => {
      const due = await tx`
        select c.id, c.status, c.expires_on from cards c join members m on m.id = c.member_id join org_nodes o on o.id = m.home_store_id
        where o.time_zone = ${zone} and c.status in ('active', 'frozen') and c.expires_on is not null and c.expires_on < ${today}
        order by c.id for update of c`;
      for (const c of due) {
        const status = nextCardStatus(c.status as CardStatus, 'expire');
        await tx`update cards set status = ${status} where id = ${c.id}`;
        await tx`insert into audit_log (action, details) values ('card.expire', ${tx.json({ cardId: c.id, expiresOn: c.expires_on, before: { status: c.status }, after: { status } })})`;
        expired.push(c.id);
      }
      await recordChanges(tx, due.map((c) => ({ kind: 'card' as const, key: c.id as string })));
    });
  }
  return expired;
}
