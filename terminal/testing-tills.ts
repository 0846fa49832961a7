import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTerminal, type RunningTerminal } from './index';
import { signInTill, tillCredentials } from './testing-staff';
import type { ChainSeed } from '../core/chain';

/** What the tills need of a test HQ: where it listens and a way to enroll them. */
interface EnrollingHq {
  grpcAddress: string;
  enrollmentCode(terminalId: string): Promise<string>;
}

/**
 * Real tills (SQLite, local API, sync client) for tests against a real HQ. A new till is enrolled,
 * fed and signed in as its store's cashier; one started again on an existing folder keeps its
 * enrollment and session (e.g. cut off from HQ). stop() ends them all and removes their folders.
 */
export class TestTills {
  private readonly dirs: string[] = [];
  private readonly running: RunningTerminal[] = [];

  constructor(
    private readonly hq: () => EnrollingHq,
    private readonly chain: ChainSeed,
    private readonly folderPrefix: string,
  ) {}

  async start(terminalId: string, o: { dir?: string; hqAddress?: string } = {}): Promise<{ t: RunningTerminal; dir: string }> {
    const dir = o.dir ?? (await mkdtemp(join(tmpdir(), this.folderPrefix)));
    if (!o.dir) this.dirs.push(dir);
    const enrollmentCode = o.dir ? undefined : await this.hq().enrollmentCode(terminalId);
    const t = await startTerminal({ dataDir: dir, hqAddress: o.hqAddress ?? this.hq().grpcAddress, enrollmentCode, syncIntervalMs: 600_000, log: () => {} });
    this.running.push(t);
    if (!o.dir) {
      // The store's cashier, from HQ's operator feed (the session outlives a restart).
      await t.syncNow();
      await signInTill(t.uiUrl, t.token, tillCredentials(this.chain, t.storeId).cashier);
    }
    return { t, dir };
  }

  /** Stops one till (its folder stays, to start it again). */
  async stopOne(t: RunningTerminal): Promise<void> {
    await t.stop();
    this.running.splice(this.running.indexOf(t), 1);
  }

  async stop(): Promise<void> {
    for (const t of this.running.splice(0)) await t.stop();
    for (const dir of this.dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}
