import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { startTestHq } from '../hq-server/testing/hq';
import { startTerminal } from '../terminal';

/**
 * A change at HQ reaches every online terminal at once: a card frozen at the HQ console is
 * frozen at two stores' tills. The terminals' own background sync is set to once an hour, so
 * only HQ's Subscribe nudge can bring the change; the time it took is printed (the target is
 * under 2 s; about 0.1 s here) rather than asserted, as no test here depends on timing.
 */
describe('live changes from HQ', () => {
  const root = mkdtempSync(join(tmpdir(), 'onecard-live-'));
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  const terminals: Array<Awaited<ReturnType<typeof startTerminal>>> = [];
  const card = demoChain.members.flatMap((m) => m.cards).find((c) => c.status === 'active' && c.expiresOn === null)!;

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    for (const id of ['t-sh-01-2', 't-gz-01-1']) {
      terminals.push(await startTerminal({ dataDir: join(root, id), hqAddress: hq.grpcAddress, enrollmentCode: await hq.enrollmentCode(id), httpPort: 0, syncIntervalMs: 3_600_000, log: () => {} }));
    }
  });

  afterAll(async () => {
    for (const t of terminals) await t.stop();
    await hq?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const cardStatusAt = async (t: (typeof terminals)[number]) => {
    const res = await fetch(`${t.uiUrl.replace(/\/$/, '')}/api/cards/${card.cardNo}`, { headers: { authorization: `Bearer ${t.token}` } });
    return ((await res.json()) as { status: string }).status;
  };

  it('a card frozen at HQ is frozen at every online terminal by the nudge, without waiting for a sync', async () => {
    for (const t of terminals) expect(await cardStatusAt(t)).toBe('active');
    const session = await (await fetch(`${hq.httpUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: 'onecard-demo' }) })).json() as { token: string };
    const frozenAt = Date.now();
    const res = await fetch(`${hq.httpUrl}/api/v1/cards/${card.id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ action: 'freeze', reason: 'member reported it stolen' }),
    });
    expect(res.status).toBe(200);

    const arrivals: number[] = [];
    for (const t of terminals) {
      // The guard only ends a broken run: with hourly syncs, anything sooner is the nudge.
      while ((await cardStatusAt(t)) !== 'frozen') {
        if (Date.now() - frozenAt > 30_000) throw new Error('the freeze never reached the terminal');
        await new Promise((r) => setTimeout(r, 20));
      }
      arrivals.push(Date.now() - frozenAt);
    }
    process.stdout.write(`card freeze reached the terminals after ${arrivals.join(' ms and ')} ms (target: under 2,000 ms)\n`);
    expect(arrivals).toHaveLength(2);
  });
});
