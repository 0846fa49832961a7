import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { DomainError } from '../core/errors';
import { startTerminal, terminalIsEnrolled } from './index';
import { SyncClient } from './sync-client';
import { openTestTerminal, tempDir } from './testing';

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('sync client', () => {
  it('goes offline when HQ does not answer, and syncNow says so with HQ_OFFLINE; the outbox stays', async () => {
    const t = openTestTerminal(demoChain);
    const logs: string[] = [];
    const sync = new SyncClient({ db: t.db, hqAddress: `127.0.0.1:${await deadPort()}`, credential: 'x', currency: 'CNY', clock: t.clock, log: (m) => logs.push(m), callTimeoutMs: 2_000 });
    t.checkout.topUp({ cardNo: '5B7E0D92', principalMinor: 1_000, tender: 'cash' });
    const err = await sync.syncNow().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('HQ_OFFLINE');
    expect(sync.state()).toBe('offline');
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE acked_at IS NULL').get()).toEqual({ n: 1 });
    expect(logs.some((l) => l.includes('sync with HQ'))).toBe(true);
    await sync.stop();
  });

  it('backs off with jitter after failures, up to the ceiling, and returns to the interval after a success', () => {
    const t = openTestTerminal(demoChain);
    const sync = new SyncClient({ db: t.db, hqAddress: '127.0.0.1:1', credential: 'x', currency: 'CNY', clock: t.clock, log: () => {}, syncIntervalMs: 5_000, backoff: { baseMs: 100, maxMs: 1_000 }, random: () => 0.999 });
    expect(sync.delayAfter(0)).toBe(5_000);
    expect(sync.delayAfter(1)).toBe(100);
    expect(sync.delayAfter(2)).toBe(200);
    expect(sync.delayAfter(5)).toBe(1_000);
    expect(sync.delayAfter(50)).toBe(1_000);
    const low = new SyncClient({ db: t.db, hqAddress: '127.0.0.1:1', credential: 'x', currency: 'CNY', clock: t.clock, log: () => {}, backoff: { baseMs: 100, maxMs: 1_000 }, random: () => 0 });
    expect(low.delayAfter(3)).toBe(200); // half of 400
    void sync.stop();
    void low.stop();
  });

  it('refuses to start a terminal that is not enrolled when no enrollment code is given', async () => {
    const dir = tempDir();
    await expect(startTerminal({ dataDir: dir, hqAddress: '127.0.0.1:1', log: () => {} })).rejects.toThrow(/not enrolled/);
    expect(terminalIsEnrolled(dir)).toBe(false);
    expect(terminalIsEnrolled(join(dir, 'nothing-here'))).toBe(false);
  });
});
