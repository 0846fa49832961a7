import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrateTerminalDb, openTerminalDb } from './db';
import { tempDir } from './testing';

describe('terminal database', () => {
  it('applies each migration once and records it', () => {
    const file = join(tempDir(), 'terminal.sqlite');
    const db = openTerminalDb(file);
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
    expect(rows).toEqual([{ version: 1, name: 'init' }, { version: 2, name: 'member_money' }]);
    expect(migrateTerminalDb(db)).toEqual([]);
    db.close();
    const again = openTerminalDb(file);
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: 2 });
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
