import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import type { Db } from './database';
import type { MemberProfile } from './members';

/**
 * What of a member is regional (hq-server/README.md, "Member data and scope"): a member's
 * profile, cards and balances are chain-wide (they shop anywhere), but their transactions are
 * seen only by operators whose scope holds the store where each was made. A transfer made at
 * HQ (opening balance, adjustment, expiry, rebate, level job) has no terminal: it counts as made
 * at the member's home store.
 */
export async function scopedMemberTransactions(db: Db, memberId: string, scopeNodes: readonly string[], limit = 20): Promise<MemberProfile['transactions']> {
  const [m] = await db`select home_store_id from members where id = ${memberId}`;
  if (!m) return [];
  const cards = await db`select id from cards where member_id = ${memberId}`;
  const accountIds = [memberPointsAccountId(memberId), ...cards.flatMap((c) => [cardPrincipalAccountId(c.id), cardBonusAccountId(c.id)])];
  const homeInScope = scopeNodes.includes(m.home_store_id);
  const rows = await db`
    select t.* from transfers t left join terminals k on k.id = t.origin_terminal_id
    where (t.debit_account_id = any(${accountIds}::text[]) or t.credit_account_id = any(${accountIds}::text[]))
      and (case when t.origin_terminal_id is null then ${homeInScope} else k.store_id = any(${[...scopeNodes]}::text[]) end)
    order by t.recorded_at desc, t.id desc limit ${limit}`;
  const mine = new Set(accountIds);
  return rows.map((t) => {
    const credit = mine.has(t.credit_account_id);
    return {
      id: t.id,
      at: t.timestamp,
      kind: t.kind,
      code: t.code,
      accountId: credit ? t.credit_account_id : t.debit_account_id,
      ledger: t.ledger,
      amount: credit ? t.amount : -t.amount,
      pendingState: t.pending_state,
      documentId: t.document_id,
      terminalId: t.origin_terminal_id,
    };
  });
}

/** The store a sale, refund or top-up was made at, or null when there is no such document. */
export async function documentStore(db: Db, documentId: string): Promise<{ kind: 'sale' | 'refund' | 'top_up'; storeId: string; memberId: string | null } | null> {
  const [r] = await db`
    select 'sale' as kind, store_id, member_id from sales where id = ${documentId}
    union all select 'refund', store_id, member_id from refunds where id = ${documentId}
    union all select 'top_up', store_id, member_id from top_ups where id = ${documentId}
    limit 1`;
  return r ? { kind: r.kind, storeId: r.store_id, memberId: r.member_id } : null;
}
