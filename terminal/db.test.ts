import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { migrateTerminalDb, openTerminalDb } from './db';
import { tempDir } from './testing';

describe('terminal database', () => {
  it('applies each migration once and records it', () => {
    const file = join(tempDir(), 'terminal.sqlite');
    const db = openTerminalDb(file);
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
    // Every file of migrations/terminal, in version order (several people add migrations at once).
    const files = readdirSync(fileURLToPath(new URL('../migrations/terminal/', import.meta.url)))
      .map((f) => /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ version: Number(m[1]), name: m[2]! }))
      .sort((x, y) => x.version - y.version);
    expect(files.slice(0, 3)).toEqual([{ version: 1, name: 'init' }, { version: 2, name: 'member_money' }, { version: 5, name: 'payment_journal' }]);
    expect(rows).toEqual(files);
    expect(migrateTerminalDb(db)).toEqual([]);
    db.close();
    const again = openTerminalDb(file);
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: files.length });
    again.close();
  });

  it('runs in WAL with synchronous=FULL and foreign keys on', () => {
    const db = openTerminalDb(join(tempDir(), 'terminal.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('a failing migration leaves nothing behind and is not recorded', () => {
    const dir = tempDir();
    const migrations = tempDir('onecard-migrations-');
    writeFileSync(join(migrations, '0001_good.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(migrations, '0002_bad.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
    const db = new Database(join(dir, 't.sqlite'));
    expect(() => migrateTerminalDb(db, undefined, migrations)).toThrow();
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });
});

describe('migration 0002 (member money)', () => {
  it('keeps the holds, hold legs and tenders a 0001 database already had, with their foreign keys intact', () => {
    const only0001 = tempDir('onecard-migrations-');
    copyFileSync(fileURLToPath(new URL('../migrations/terminal/0001_init.sql', import.meta.url)), join(only0001, '0001_init.sql'));
    const file = join(tempDir(), 'terminal.sqlite');
    const old = new Database(file);
    old.pragma('foreign_keys = ON');
    migrateTerminalDb(old, undefined, only0001);
    old.exec(`
      INSERT INTO accounts (id, ledger, code, debits_must_not_exceed_credits) VALUES ('card:c1:principal', 'CNY', 'CARD_PRINCIPAL', 1), ('store:s1:sales', 'CNY', 'STORE_SALES', 0);
      INSERT INTO sales (id, status, opened_at, member_id, card_id, total_minor) VALUES ('sale-1', 'open', 1, 'm1', 'c1', 500);
      INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, ledger, amount, code, timestamp) VALUES ('h1/principal', 'pending', 'card:c1:principal', 'store:s1:sales', 'CNY', 300, 'SALE_STORED_VALUE', 1);
      INSERT INTO holds (hold_id, sale_id, card_id, amount_minor, status, created_at) VALUES ('h1', 'sale-1', 'c1', 300, 'authorized', 1);
      INSERT INTO hold_legs (transfer_id, hold_id, account_id, part, amount) VALUES ('h1/principal', 'h1', 'card:c1:principal', 'principal', 300);
      INSERT INTO sale_tenders (sale_id, tender_no, kind, amount_minor, card_id, hold_id) VALUES ('sale-1', 1, 'stored_value', 300, 'c1', 'h1'), ('sale-1', 2, 'cash', 200, NULL, NULL);
    `);
    old.close();

    const db = openTerminalDb(file);
    expect(db.prepare('SELECT hold_id, sale_id, purpose, asset, part, status FROM holds').all()).toEqual([{ hold_id: 'h1', sale_id: 'sale-1', purpose: 'sale', asset: 'stored_value', part: null, status: 'authorized' }]);
    expect(db.prepare('SELECT transfer_id, hold_id, part, amount FROM hold_legs').all()).toEqual([{ transfer_id: 'h1/principal', hold_id: 'h1', part: 'principal', amount: 300 }]);
    expect(db.prepare('SELECT tender_no, kind, amount_minor, hold_id, points, offline FROM sale_tenders ORDER BY tender_no').all()).toEqual([
      { tender_no: 1, kind: 'stored_value', amount_minor: 300, hold_id: 'h1', points: 0, offline: 0 },
      { tender_no: 2, kind: 'cash', amount_minor: 200, hold_id: null, points: 0, offline: 0 },
    ]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(() => db.prepare("INSERT INTO hold_legs (transfer_id, hold_id, account_id, part, amount) VALUES ('nope', 'h1', 'x', 'points', 1)").run()).toThrow(/FOREIGN KEY/);
    expect(db.prepare("SELECT time_zone FROM terminal_identity").all()).toEqual([]);
    db.close();
  });
});
