import { describe, expect, it } from 'vitest';
import { cardAccounts, cardBonusAccountId, chainAccounts } from './accounts';
import { availableCreditBalance, creditBalance, LedgerBook } from './ledger';
import { holdRebate, rebateAmount, rebateLeftAfterRefund, rebateMaturesAt } from './rebate';

describe('rebates (返利): 2% back as bonus after 7 days', () => {
  const rule = { rate: '0.02', waitingDays: 7 };

  it('rounds the rebate down to the fen', () => {
    expect(rebateAmount(12_345, rule)).toBe(246); // 246.9
    expect(rebateAmount(0, rule)).toBe(0);
  });

  it('is held pending, spendable only once posted, and released if the sale is refunded', () => {
    const book = new LedgerBook();
    for (const a of [...cardAccounts('c1', 'CNY'), ...chainAccounts('CNY')]) book.createAccount(a);
    let n = 0;
    const newId = () => `t${++n}`;
    const hold = holdRebate({ saleId: 's1', cardId: 'c1', currency: 'CNY', amountMinor: 246, at: 0, terminalId: null }, newId);
    expect(book.createTransfers([hold])).toEqual(['created']);
    expect(availableCreditBalance(book.balances(cardBonusAccountId('c1')))).toBe(0);
    // Half the sale is refunded within the week: the rebate shrinks to the half kept.
    const left = rebateLeftAfterRefund(246, 12_345, 6_000);
    expect(left).toBe(126);
    expect(book.createTransfers([{ ...hold, id: newId(), kind: 'post_pending', pendingId: hold.id, amount: left }])).toEqual(['created']);
    expect(creditBalance(book.balances(cardBonusAccountId('c1')))).toBe(126);
    expect(rebateMaturesAt(0, rule)).toBe(7 * 86_400_000);
    expect(rebateLeftAfterRefund(246, 12_345, 12_345)).toBe(0);
  });
});
