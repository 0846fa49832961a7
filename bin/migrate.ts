import Database from 'better-sqlite3';
import { migrate, openDatabase } from '../hq-server/database';
import { migrateTerminalDb } from '../terminal/db';
import { say } from './lifecycle';

export async function runMigrate(o: { databaseUrl: string | undefined; dataDir: string; terminalDb: string | undefined }): Promise<void> {
  if (o.terminalDb) {
    const db = new Database(o.terminalDb);
    try {
      migrateTerminalDb(db);
      say(`terminal database ${o.terminalDb} is up to date`);
    } finally {
      db.close();
    }
    return;
  }
  const db = await openDatabase({ databaseUrl: o.databaseUrl, dataDir: o.dataDir, log: () => {} });
  try {
    await migrate(db.sql);
    say('HQ database is up to date');
  } finally {
    await db.close();
  }
}
