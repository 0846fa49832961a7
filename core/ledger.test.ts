import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cardAccounts, cardPrincipalAccountId, chainAccounts, memberAccounts, storeAccounts, storeCashAccountId, storeSalesAccountId } from './accounts';
import { availableCreditBalance, LedgerBook, type Account, type Transfer, type TransferKind } from './ledger';

const CARDS = ['c1', 'c2', 'c3'];

function newBook(): { book: LedgerBook; accounts: Account[] } {
  const book = new LedgerBook();
  const accounts = [
    ...CARDS.flatMap((c) => cardAccounts(c, 'CNY')),
    ...memberAccounts('m1'),
    ...storeAccounts('s1', 'CNY'),
    ...storeAccounts('s2', 'CNY'),
    ...chainAccounts('CNY'),
  ];
  for (const a of accounts) book.createAccount(a);
  return { book, accounts };
}

/** Random transfers between CNY accounts, including holds and their capture or release. */
const transferArb = (accountIds: string[]) =>
  fc.record({
    debit: fc.constantFrom(...accountIds),
    credit: fc.constantFrom(...accountIds),
    amount: fc.integer({ min: -5, max: 50_000 }),
    kind: fc.constantFrom<TransferKind>('single', 'single', 'pending', 'post_pending', 'void_pending'),
    settlePick: fc.nat(),
    postPart: fc.integer({ min: 1, max: 100 }),
  });

function buildBatch(
  book: LedgerBook,
  specs: Array<{ debit: string; credit: string; amount: number; kind: TransferKind; settlePick: number; postPart: number }>,
): Transfer[] {
  const made: Transfer[] = [];
  let n = 0;
  for (const s of specs) {
    const id = `t${++n}`;
    const base = { id, ledger: 'CNY', code: 'SALE_STORED_VALUE' as const, timestamp: n, originTerminalId: 'term-1', documentId: null };
    if (s.kind === 'post_pending' || s.kind === 'void_pending') {
      const pendings = made.filter((t) => t.kind === 'pending');
      const p = pendings.length ? pendings[s.settlePick % pendings.length]! : undefined;
      if (!p) continue;
      const amount = s.kind === 'void_pending' ? p.amount : Math.max(1, Math.floor((p.amount * s.postPart) / 100));
      made.push({ ...base, kind: s.kind, debitAccountId: p.debitAccountId, creditAccountId: p.creditAccountId, amount, pendingId: p.id });
    } else {
      made.push({ ...base, kind: s.kind, debitAccountId: s.debit, creditAccountId: s.credit, amount: s.amount, pendingId: null });
    }
  }
  return made;
}

function snapshot(book: LedgerBook) {
  return JSON.stringify(book.allAccounts().map((a) => [a.id, book.balances(a.id)]));
}

describe('ledger invariants (property tests)', () => {
  const { accounts } = newBook();
  const cnyIds = accounts.filter((a) => a.ledger === 'CNY').map((a) => a.id);
  const batches = fc.array(transferArb(cnyIds), { minLength: 1, maxLength: 80 });

  it('every transfer debits exactly what it credits, so ledger-wide debits equal credits', () => {
    fc.assert(
      fc.property(batches, (specs) => {
        const { book } = newBook();
        book.createTransfers(buildBatch(book, specs));
        const all = book.allAccounts().map((a) => book.balances(a.id));
        const sum = (f: (b: (typeof all)[number]) => number) => all.reduce((s, b) => s + f(b), 0);
        expect(sum((b) => b.debitsPosted)).toBe(sum((b) => b.creditsPosted));
        expect(sum((b) => b.debitsPending)).toBe(sum((b) => b.creditsPending));
        // Posted balances are exactly the sum of the created transfers that post.
        const postedByTransfers = book
          .allTransfers()
          .filter((t) => t.kind === 'single' || t.kind === 'post_pending')
          .reduce((s, t) => s + t.amount, 0);
        expect(sum((b) => b.debitsPosted)).toBe(postedByTransfers);
      }),
    );
  });

  it('replaying any transfer id, in any order, changes nothing', () => {
    fc.assert(
      fc.property(batches, fc.nat(), (specs, seed) => {
        const { book } = newBook();
        const batch = buildBatch(book, specs);
        book.createTransfers(batch);
        const created = book.allTransfers();
        const before = snapshot(book);
        const shuffled = [...created].sort((a, b) => ((a.timestamp * 7919 + seed) % 101) - ((b.timestamp * 7919 + seed) % 101));
        expect(book.createTransfers(shuffled).every((s) => s === 'exists')).toBe(true);
        expect(snapshot(book)).toBe(before);
        expect(book.allTransfers()).toHaveLength(created.length);
      }),
    );
  });

  it('a member balance never goes below zero through an online debit', () => {
    fc.assert(
      fc.property(batches, (specs) => {
        const { book } = newBook();
        for (const t of buildBatch(book, specs)) {
          book.createTransfers([t]);
          for (const a of book.allAccounts().filter((x) => x.debitsMustNotExceedCredits)) {
            expect(availableCreditBalance(book.balances(a.id))).toBeGreaterThanOrEqual(0);
          }
        }
      }),
    );
  });
});

describe('ledger rules', () => {
  const base = { ledger: 'CNY', code: 'TOPUP' as const, timestamp: 1, originTerminalId: null, documentId: null, pendingId: null };

  it('refuses a debit beyond a member card balance and a changed replay of an id', () => {
    const { book } = newBook();
    const topUp: Transfer = { ...base, id: 'a', kind: 'single', debitAccountId: storeCashAccountId('s1'), creditAccountId: cardPrincipalAccountId('c1'), amount: 1000 };
    expect(book.createTransfers([topUp])).toEqual(['created']);
    const spend = { ...base, id: 'b', kind: 'single' as const, code: 'SALE_STORED_VALUE' as const, debitAccountId: cardPrincipalAccountId('c1'), creditAccountId: storeSalesAccountId('s1'), amount: 1001 };
    expect(book.createTransfers([spend])).toEqual(['exceeds_credits']);
    expect(book.createTransfers([{ ...spend, amount: 1000 }])).toEqual(['created']);
    expect(book.createTransfers([{ ...topUp, amount: 5 }])).toEqual(['exists_with_different_fields']);
  });

  it('a hold reserves balance; posting part of it releases the rest; a posted hold cannot be voided', () => {
    const { book } = newBook();
    book.createTransfers([{ ...base, id: 'a', kind: 'single', debitAccountId: storeCashAccountId('s1'), creditAccountId: cardPrincipalAccountId('c1'), amount: 1000 }]);
    const hold = { ...base, id: 'h', kind: 'pending' as const, code: 'SALE_STORED_VALUE' as const, debitAccountId: cardPrincipalAccountId('c1'), creditAccountId: storeSalesAccountId('s1'), amount: 800 };
    expect(book.createTransfers([hold])).toEqual(['created']);
    expect(availableCreditBalance(book.balances(cardPrincipalAccountId('c1')))).toBe(200);
    expect(book.createTransfers([{ ...hold, id: 'h2', amount: 201 }])).toEqual(['exceeds_credits']);
    expect(book.createTransfers([{ ...hold, id: 'p', kind: 'post_pending', pendingId: 'h', amount: 500 }])).toEqual(['created']);
    expect(availableCreditBalance(book.balances(cardPrincipalAccountId('c1')))).toBe(500);
    expect(book.createTransfers([{ ...hold, id: 'v', kind: 'void_pending', pendingId: 'h', amount: 800 }])).toEqual(['pending_transfer_already_posted']);
  });
});
