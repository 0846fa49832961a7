import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../core/ids';

/** The terminal's SQLite connection (better-sqlite3). */
export type TerminalDb = Database.Database;

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/terminal/', import.meta.url));

/**
 * Opens (creating if needed) the terminal database with the settings a till needs:
 * WAL so the UI can read while sync writes, synchronous=FULL so a completed sale is on
 * disk when its transaction returns (it survives a power cut), foreign keys enforced.
 */
export function openTerminalDb(file: string, clock: Clock = systemClock): TerminalDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateTerminalDb(db, clock);
  return db;
}

interface Migration {
  version: number;
  name: string;
  sql: string;
}

function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .map((file) => /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2]!, sql: readFileSync(`${dir}/${m[0]}`, 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies forward-only migrations from migrations/terminal not yet recorded in
 * schema_migrations, each in its own transaction. Returns the versions it applied.
 */
export function migrateTerminalDb(db: TerminalDb, clock: Clock = systemClock, dir: string = MIGRATIONS_DIR): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const done: number[] = [];
  for (const m of readMigrations(dir)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, clock.now());
    })();
    done.push(m.version);
  }
  return done;
}

const statements = new WeakMap<TerminalDb, Map<string, Database.Statement>>();

/** A prepared statement for `text`, prepared once per connection (hot paths: ledger, outbox). */
export function stmt(db: TerminalDb, text: string): Database.Statement {
  let byText = statements.get(db);
  if (!byText) {
    byText = new Map();
    statements.set(db, byText);
  }
  let s = byText.get(text);
  if (!s) {
    s = db.prepare(text);
    byText.set(text, s);
  }
  return s;
}
