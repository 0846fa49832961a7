import { describe, expect, it } from 'vitest';
import { cardAccounts, cardBonusAccountId, cardPrincipalAccountId, storeAccounts } from './accounts';
import { assertCardUsable, nextCardStatus, postCardReplacement } from './card';
import { DomainError } from './errors';
import { creditBalance, LedgerBook } from './ledger';
import { postTopUp } from './top-up';

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as DomainError).code;
  }
}

describe('card lifecycle', () => {
  it('only an active, unexpired card pays', () => {
    const card = { cardNo: '04A1B2C3', expiresOn: '2026-12-31' };
    expect(codeOf(() => assertCardUsable({ ...card, status: 'active' }, '2026-11-22'))).toBe('ok');
    expect(codeOf(() => assertCardUsable({ ...card, status: 'active' }, '2026-12-31'))).toBe('ok');
    expect(codeOf(() => assertCardUsable({ ...card, status: 'active' }, '2027-01-01'))).toBe('CARD_EXPIRED');
    expect(codeOf(() => assertCardUsable({ ...card, status: 'frozen' }, '2026-11-22'))).toBe('CARD_FROZEN');
    expect(codeOf(() => assertCardUsable({ ...card, status: 'lost' }, '2026-11-22'))).toBe('CARD_LOST');
    expect(codeOf(() => assertCardUsable({ ...card, status: 'replaced' }, '2026-11-22'))).toBe('CARD_INACTIVE');
  });

  it('moves between states only along the allowed paths', () => {
    expect(nextCardStatus('active', 'freeze')).toBe('frozen');
    expect(nextCardStatus('frozen', 'unfreeze')).toBe('active');
    expect(nextCardStatus('frozen', 'report_lost')).toBe('lost');
    expect(nextCardStatus('lost', 'replace')).toBe('replaced');
    expect(codeOf(() => nextCardStatus('lost', 'unfreeze'))).toBe('CARD_STATUS_CHANGE_NOT_ALLOWED');
    expect(codeOf(() => nextCardStatus('replaced', 'freeze'))).toBe('CARD_STATUS_CHANGE_NOT_ALLOWED');
  });

  it('replacing a lost card moves principal and bonus to the new card, part by part', () => {
    const book = new LedgerBook();
    for (const a of [...cardAccounts('old', 'CNY'), ...cardAccounts('new', 'CNY'), ...storeAccounts('s1', 'CNY'), { id: 'chain:topup_bonus:CNY', ledger: 'CNY', code: 'CHAIN_TOPUP_BONUS' as const, debitsMustNotExceedCredits: false }]) book.createAccount(a);
    let n = 0;
    const newId = () => `t${++n}`;
    book.createTransfers(postTopUp({ id: 'tu', storeId: 's1', terminalId: 't', currency: 'CNY', memberId: 'm', cardId: 'old', tender: 'cash', principalMinor: 100_000, bonusMinor: 15_000, completedAt: 1 }, newId));
    const moves = postCardReplacement({ documentId: 'rep-1', currency: 'CNY', oldCardId: 'old', newCardId: 'new', principalMinor: 100_000, bonusMinor: 15_000, at: 2, terminalId: null }, newId);
    expect(book.createTransfers(moves)).toEqual(['created', 'created']);
    expect(creditBalance(book.balances(cardPrincipalAccountId('new')))).toBe(100_000);
    expect(creditBalance(book.balances(cardBonusAccountId('new')))).toBe(15_000);
    expect(creditBalance(book.balances(cardPrincipalAccountId('old')))).toBe(0);
    expect(creditBalance(book.balances(cardBonusAccountId('old')))).toBe(0);
  });
});
