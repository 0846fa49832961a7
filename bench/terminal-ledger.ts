import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainAccounts, memberAccounts, storeAccounts, storeCashAccountId, storeSalesAccountId, chainPointsIssuedAccountId, memberPointsAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import { POINTS_LEDGER, type Transfer } from '../core/ledger';
import { openTerminalDb } from '../terminal/db';
import { applyTransfers, ensureAccounts } from '../terminal/ledger';

/**
 * Terminal ledger postings per second, against a bare better-sqlite3 insert loop of the
 * same rows with the same durability settings, in the same run. A posting is one cash
 * sale with points: two transfers, checked by the core rules and applied with balances.
 */

function saleTransfers(i: number): Transfer[] {
  const base = { kind: 'single' as const, pendingId: null, timestamp: i, originTerminalId: 't-bench', documentId: `sale-${i}` };
  return [
    { ...base, id: uuidv7(), ledger: 'CNY', code: 'SALE_CASH', debitAccountId: storeCashAccountId('s1'), creditAccountId: storeSalesAccountId('s1'), amount: 1_000 + (i % 500) },
    { ...base, id: uuidv7(), ledger: POINTS_LEDGER, code: 'POINTS_EARNED', debitAccountId: chainPointsIssuedAccountId(), creditAccountId: memberPointsAccountId('m1'), amount: 10 + (i % 5) },
  ];
}

function timeIt(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function ledgerRun(dir: string, sales: Transfer[][], perTransaction: number): number {
  const db = openTerminalDb(join(dir, `ledger-${perTransaction}.sqlite`));
  ensureAccounts(db, [...storeAccounts('s1', 'CNY'), ...chainAccounts('CNY'), ...memberAccounts('m1')]);
  const post = db.transaction((batch: Transfer[][]) => {
    for (const transfers of batch) applyTransfers(db, transfers, { eventSeq: null });
  });
  const seconds = timeIt(() => {
    for (let i = 0; i < sales.length; i += perTransaction) post(sales.slice(i, i + perTransaction));
  });
  db.close();
  return sales.length / seconds;
}

function bareRun(dir: string, sales: Transfer[][], perTransaction: number): number {
  const db = new Database(join(dir, `bare-${perTransaction}.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE transfers (id TEXT PRIMARY KEY, kind TEXT, debit_account_id TEXT, credit_account_id TEXT, ledger TEXT,
    amount INTEGER, code TEXT, pending_id TEXT, timestamp INTEGER, origin_terminal_id TEXT, document_id TEXT)`);
  const insert = db.prepare('INSERT INTO transfers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const post = db.transaction((batch: Transfer[][]) => {
    for (const transfers of batch) for (const t of transfers) insert.run(t.id, t.kind, t.debitAccountId, t.creditAccountId, t.ledger, t.amount, t.code, t.pendingId, t.timestamp, t.originTerminalId, t.documentId);
  });
  const seconds = timeIt(() => {
    for (let i = 0; i < sales.length; i += perTransaction) post(sales.slice(i, i + perTransaction));
  });
  db.close();
  return sales.length / seconds;
}

export async function benchTerminalLedger(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onecard-bench-'));
  try {
    for (const [label, count, perTransaction] of [
      ['one sale per transaction (as at the till: each sale durable on commit)', 2_000, 1],
      ['1,000 sales per transaction (CPU cost of the rules)', 20_000, 1_000],
    ] as const) {
      const sales = Array.from({ length: count }, (_, i) => saleTransfers(i));
      const bare = bareRun(dir, sales, perTransaction);
      const ledger = ledgerRun(dir, sales, perTransaction);
      console.log(`terminal ledger, ${label}:`);
      console.log(`  ledger postings/s ${ledger.toFixed(0)}   bare inserts of the same rows/s ${bare.toFixed(0)}   ratio ${(ledger / bare).toFixed(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
