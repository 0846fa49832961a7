import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, type Database } from '../database';

/**
 * A real embedded PostgreSQL in a fresh temp folder, migrated, for one test file.
 * Call `stop()` in afterAll so no server outlives the tests.
 */
export interface TestDatabase extends Database {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'onecard-hq-test-'));
  const db = await openDatabase({ dataDir, log: () => {} });
  if (options.migrate !== false) await migrate(db.sql);
  return {
    ...db,
    dataDir,
    stop: async () => {
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
