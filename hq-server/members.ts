import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import type { Db } from './database';

export interface MemberSummary {
  id: string;
  name: string;
  phone: string;
  levelCode: string;
  homeStoreId: string;
  cardNos: string[];
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Members whose phone, name or card number matches `query` (phone and card number by prefix). */
export async function searchMembers(db: Db, query: string, limit = 50): Promise<MemberSummary[]> {
  const q = query.trim();
  const prefix = `${likeEscape(q)}%`;
  const contains = `%${likeEscape(q)}%`;
  const rows = await db`
    select m.id, m.name, m.phone, m.level_code, m.home_store_id,
      coalesce(array_agg(c.card_no order by c.card_no) filter (where c.id is not null), '{}') as card_nos
    from members m left join cards c on c.member_id = m.id
    where m.phone like ${prefix} or m.name ilike ${contains} or m.id = ${q}
      or exists (select 1 from cards k where k.member_id = m.id and upper(k.card_no) like upper(${prefix}))
    group by m.id order by m.name, m.id limit ${limit}`;
  return rows.map((r) => ({ id: r.id, name: r.name, phone: r.phone, levelCode: r.level_code, homeStoreId: r.home_store_id, cardNos: r.card_nos }));
}

export interface MemberProfile {
  id: string;
  name: string;
  phone: string;
  birthday: string | null;
  level: { code: string; name: string };
  homeStore: { id: string; name: string };
  points: { accountId: string; posted: number; held: number };
  cards: Array<{
    id: string;
    cardNo: string;
    medium: string;
    status: string;
    expiresOn: string | null;
    currency: string;
    principal: { accountId: string; posted: number; held: number };
    bonus: { accountId: string; posted: number; held: number };
  }>;
  transactions: Array<{
    id: string;
    at: number;
    kind: string;
    code: string;
    accountId: string;
    ledger: string;
    /** Signed, as the member sees it: + into their account, − out of it. */
    amount: number;
    pendingState: string | null;
    documentId: string | null;
    terminalId: string | null;
  }>;
}

/** A member with cards, stored value (principal/bonus per card), points and latest transactions. */
export async function memberProfile(db: Db, memberId: string, transactionLimit = 20): Promise<MemberProfile | null> {
  const [m] = await db`
    select m.*, l.name as level_name, s.name as store_name from members m
    join member_levels l on l.code = m.level_code join org_nodes s on s.id = m.home_store_id where m.id = ${memberId}`;
  if (!m) return null;
  const cards = await db`select * from cards where member_id = ${memberId} order by issued_at, id`;
  const accountIds = [memberPointsAccountId(memberId), ...cards.flatMap((c) => [cardPrincipalAccountId(c.id), cardBonusAccountId(c.id)])];
  const balances = new Map(
    (await db`select id, ledger, credits_posted - debits_posted as posted, debits_pending as held from accounts where id = any(${accountIds}::text[])`).map((r) => [
      r.id as string,
      { accountId: r.id as string, ledger: r.ledger as string, posted: r.posted as number, held: r.held as number },
    ]),
  );
  const zero = (accountId: string) => ({ accountId, ledger: '', posted: 0, held: 0 });
  const bal = (id: string) => {
    const b = balances.get(id) ?? zero(id);
    return { accountId: b.accountId, posted: b.posted, held: b.held };
  };
  const transfers = await db`
    select * from transfers where debit_account_id = any(${accountIds}::text[]) or credit_account_id = any(${accountIds}::text[])
    order by recorded_at desc, id desc limit ${transactionLimit}`;
  const mine = new Set(accountIds);
  return {
    id: m.id,
    name: m.name,
    phone: m.phone,
    birthday: m.birthday,
    level: { code: m.level_code, name: m.level_name },
    homeStore: { id: m.home_store_id, name: m.store_name },
    points: bal(memberPointsAccountId(memberId)),
    cards: cards.map((c) => ({
      id: c.id,
      cardNo: c.card_no,
      medium: c.medium,
      status: c.status,
      expiresOn: c.expires_on,
      currency: balances.get(cardPrincipalAccountId(c.id))?.ledger ?? '',
      principal: bal(cardPrincipalAccountId(c.id)),
      bonus: bal(cardBonusAccountId(c.id)),
    })),
    transactions: transfers.map((t) => {
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
    }),
  };
}
