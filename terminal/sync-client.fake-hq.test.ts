import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { changeToWire, eventFromWire, type SyncEvent } from '../protocols/sync/v1/codec';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from '../protocols/sync/v1/proto-path';
import { DomainError } from '../core/errors';
import { cardSpendable } from './balances';
import { allEvents, outboxDepth } from './outbox';
import { loadSetting } from './settings';
import { SyncClient } from './sync-client';
import { openTestTerminal, seedChanges } from './testing';
import type { Checkout } from './checkout';

/**
 * A scripted TerminalSync over real gRPC on loopback, to drive the client through what a
 * real HQ rarely does on cue: partial acks, many pages, nudges, refusals with a code.
 */
class FakeHq {
  readonly server = new grpc.Server();
  address = '';
  readonly batches: number[] = [];
  readonly received: SyncEvent[] = [];
  /** Highest seq to acknowledge, whatever was sent; null = all of it. */
  ackCeiling: number | null = null;
  changes = seedChanges(demoChain);
  appliedSeq = 0;
  pageSize = 40;
  pulls = 0;
  /** When set, PushEvents never answers (a black-holed HQ). */
  hangPush = false;
  readonly pushStarted: Array<() => void> = [];
  credentialSeen: string[] = [];
  private subscribers: Array<grpc.ServerWritableStream<unknown, unknown>> = [];
  private onPull: Array<() => void> = [];
  private onSubscribe: Array<() => void> = [];

  async start(): Promise<void> {
    const pkg = grpc.loadPackageDefinition(loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)) as any;
    const auth = (call: { metadata: grpc.Metadata }) => this.credentialSeen.push(String(call.metadata.get('authorization')[0] ?? ''));
    this.server.addService(pkg.onecard.sync.v1.TerminalSync.service, {
      PushEvents: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        auth(call);
        for (const wake of this.pushStarted.splice(0)) wake();
        if (this.hangPush) return;
        const events = (call.request.events as unknown[]).map((e) => eventFromWire(e, 't-test-1'));
        this.batches.push(events.length);
        for (const e of events) if (!this.received.some((r) => r.seq === e.seq)) this.received.push(e);
        const top = Math.max(0, ...this.received.map((e) => e.seq));
        const acked = this.ackCeiling === null ? top : Math.min(top, this.ackCeiling);
        cb(null, { ackedSeq: String(acked), results: events.map((e) => ({ seq: String(e.seq), status: 'applied', reason: '' })), gaps: [] });
      },
      PullChanges: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        auth(call);
        this.pulls += 1;
        const cursor = Number(call.request.cursor);
        const page = this.changes.filter((c) => c.seq > cursor).slice(0, this.pageSize);
        const hasMore = this.changes.some((c) => c.seq > (page.at(-1)?.seq ?? cursor));
        cb(null, { changes: page.map(changeToWire), nextCursor: String(page.at(-1)?.seq ?? cursor), hasMore, appliedSeq: String(this.appliedSeq) });
        for (const wake of this.onPull.splice(0)) wake();
      },
      Subscribe: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        this.subscribers.push(call);
        for (const wake of this.onSubscribe.splice(0)) wake();
      },
      Authorize: (_call: unknown, cb: grpc.sendUnaryData<any>) => {
        const metadata = new grpc.Metadata();
        metadata.set('onecard-code', 'INSUFFICIENT_BALANCE');
        cb({ code: grpc.status.FAILED_PRECONDITION, details: 'the card balance is short of the amount', metadata });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.address = `127.0.0.1:${port}`;
  }

  nextPull(): Promise<void> {
    return new Promise((resolve) => this.onPull.push(resolve));
  }

  subscribed(): Promise<void> {
    return this.subscribers.length > 0 ? Promise.resolve() : new Promise((resolve) => this.onSubscribe.push(resolve));
  }

  nudge(): void {
    for (const s of this.subscribers) s.write({ latestSeq: '1' });
  }

  stop(): Promise<void> {
    for (const s of this.subscribers) s.end();
    this.server.forceShutdown();
    return Promise.resolve();
  }
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setUp() {
  const hq = new FakeHq();
  await hq.start();
  const t = openTestTerminal(demoChain);
  t.db.exec('DELETE FROM products; DELETE FROM members; DELETE FROM cards; DELETE FROM hq_balances; DELETE FROM member_levels;');
  // Timers the test drives: nothing waits on the wall clock.
  const timers = { setTimeout: () => 0, clearTimeout: () => {} };
  const sync = new SyncClient({ db: t.db, hqAddress: hq.address, credential: 'cred-1', currency: 'CNY', clock: t.clock, log: () => {}, timers });
  cleanup.push(() => sync.stop(), () => hq.stop());
  return { hq, t, sync };
}

function topUps(checkout: Checkout, n: number) {
  for (let i = 0; i < n; i++) checkout.topUp({ cardNo: '5B7E0D92', principalMinor: 100, tender: 'cash' });
}

describe('sync client against a scripted HQ over gRPC', () => {
  it('pulls the whole chain page by page, with its credential, and becomes online', async () => {
    const { hq, t, sync } = await setUp();
    expect(sync.state()).toBe('offline');
    await sync.syncNow();
    expect(sync.state()).toBe('online');
    expect(hq.pulls).toBe(Math.ceil(hq.changes.length / hq.pageSize));
    expect(hq.credentialSeen.every((c) => c === 'Bearer cred-1')).toBe(true);
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM products').get()).toEqual({ n: demoChain.products.length });
    expect(t.db.prepare('SELECT pull_cursor FROM sync_state').get()).toEqual({ pull_cursor: hq.changes.length });
    expect(cardSpendable(t.db, 'c-0002')).toEqual({ principal: 52300, bonus: 8000 });
    // Applying the same changes again (a cursor reset) changes nothing.
    t.db.prepare('UPDATE sync_state SET pull_cursor = 0').run();
    await sync.syncNow();
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM cards').get()).toEqual({ n: demoChain.members.reduce((n, m) => n + m.cards.length, 0) });
    expect(cardSpendable(t.db, 'c-0002')).toEqual({ principal: 52300, bonus: 8000 });
  });

  it("passes over a setting a newer HQ knows and this till does not, and applies the rest of the pull; a malformed known setting still stops it", async () => {
    const { hq, t } = await setUp();
    const logged: string[] = [];
    const sync = new SyncClient({ db: t.db, hqAddress: hq.address, credential: 'cred-1', currency: 'CNY', clock: t.clock, log: (m) => logged.push(m), timers: { setTimeout: () => 0, clearTimeout: () => {} } });
    cleanup.push(() => sync.stop());
    const last = hq.changes.length;
    const setting = (seq: number, key: string, value: unknown) => ({ seq, deleted: false, body: { type: 'setting', key, value } }) as unknown as (typeof hq.changes)[number];
    hq.changes = [...hq.changes, setting(last + 1, 'tipJarRules', { enabled: true }), setting(last + 2, 'refundLimitMinor', 80_000)];
    await sync.syncNow();
    expect(sync.state()).toBe('online');
    expect(loadSetting(t.db, 'refundLimitMinor')).toBe(80_000);
    expect(t.db.prepare('SELECT pull_cursor FROM sync_state').get()).toEqual({ pull_cursor: last + 2 });
    expect(logged.some((m) => m.includes('"tipJarRules"'))).toBe(true);

    // A known key with a value this version cannot read is HQ's mistake: the page is not applied.
    hq.changes = [...hq.changes, setting(last + 3, 'refundLimitMinor', -1), setting(last + 4, 'cardPinRequiredAboveMinor', 5_000)];
    await expect(sync.syncNow()).rejects.toThrow(/refundLimitMinor/);
    expect(t.db.prepare('SELECT pull_cursor FROM sync_state').get()).toEqual({ pull_cursor: last + 2 });
    expect(loadSetting(t.db, 'refundLimitMinor')).toBe(80_000);
  });

  it('pushes the outbox in seq order in batches of at most 500 and marks what HQ acknowledged', async () => {
    const { hq, t, sync } = await setUp();
    await sync.syncNow();
    topUps(t.checkout, 1_203);
    await sync.syncNow();
    expect(hq.batches).toEqual([500, 500, 203]);
    expect(hq.received.map((e) => e.seq)).toEqual(allEvents(t.db).map((e) => e.seq));
    expect(outboxDepth(t.db)).toBe(0);
  });

  it('keeps what HQ did not acknowledge and sends it again next time, from where HQ stopped', async () => {
    const { hq, t, sync } = await setUp();
    await sync.syncNow();
    topUps(t.checkout, 5);
    hq.ackCeiling = 3;
    await sync.syncNow();
    expect(outboxDepth(t.db)).toBe(2);
    expect(t.db.prepare('SELECT last_acked_seq FROM sync_state').get()).toEqual({ last_acked_seq: 3 });
    hq.ackCeiling = null;
    await sync.syncNow();
    expect(hq.batches).toEqual([5, 2]);
    expect(outboxDepth(t.db)).toBe(0);
  });

  it('pulls when HQ nudges', async () => {
    const { hq, sync } = await setUp();
    sync.start();
    await hq.subscribed();
    const pulled = hq.nextPull();
    hq.nudge();
    await pulled;
    expect(hq.pulls).toBeGreaterThan(0);
  });

  it('stop() cancels a call HQ never answers instead of waiting out its deadline', async () => {
    const { hq, t, sync } = await setUp();
    await sync.syncNow();
    topUps(t.checkout, 1);
    hq.hangPush = true;
    const pushing = new Promise<void>((resolve) => hq.pushStarted.push(resolve));
    const syncing = sync.syncNow().then(() => null, (e: unknown) => e);
    await pushing;
    await sync.stop();
    expect(await syncing).toBeInstanceOf(DomainError);
    expect(outboxDepth(t.db)).toBe(1);
  });

  it('brings HQ refusals back with HQ’s code, and stays online', async () => {
    const { sync } = await setUp();
    await sync.syncNow();
    const err = await sync.authorize({ holdId: 'h-1', cardId: 'c-0002', amountMinor: 100, saleId: 's-1' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('INSUFFICIENT_BALANCE');
    expect(sync.state()).toBe('online');
  });
});
