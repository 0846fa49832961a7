import { migrate, openDatabase } from '../hq-server/database';
import { openTerminalDb } from '../terminal';
import { say } from './lifecycle';

export async function runMigrate(o: { databaseUrl: string | undefined; dataDir: string; terminalDb: string | undefined }): Promise<void> {
  if (o.terminalDb) {
    // Opening the terminal database applies its migrations, with the pragmas a till uses.
    const db = openTerminalDb(o.terminalDb);
    try {
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
