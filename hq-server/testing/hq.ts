import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainSeed } from '../../core/chain';
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from '../index';

/**
 * A whole HQ for a test (embedded PostgreSQL in a fresh temp folder, gRPC and HTTP on free
 * loopback ports), seeded with `seed`. Call stop() in afterAll: it stops PostgreSQL and
 * removes the folder.
 */
export async function startTestHq(seed: ChainSeed, options: { log?: (msg: string) => void; jobs?: boolean } = {}): Promise<RunningHq & {
  dataDir: string;
  /** A fresh one-time enrollment code for a seeded terminal. */
  enrollmentCode(terminalId: string): Promise<string>;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'onecard-test-hq-'));
  let hq: RunningHq;
  try {
    hq = await startHq({ dataDir, log: options.log ?? (() => {}), jobs: options.jobs });
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  try {
    await seedChain(hq.sql, seed);
  } catch (e) {
    await hq.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...hq,
    dataDir,
    enrollmentCode: (terminalId) => createEnrollmentCode(hq.sql, terminalId),
    stop: async () => {
      await hq.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
