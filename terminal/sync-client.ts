import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { z } from 'zod';
import { DomainError, ERROR_CODES, type ErrorCode } from '../core/errors';
import type { Clock } from '../core/ids';
import type { Transfer } from '../core/ledger';
import { changeFromWire, UnknownSettingChange, eventToWire, saleLookupFromWire, topUpLookupFromWire, transferFromWire, transferToWire, type SaleLookup, type SyncChange, type TopUpLookup } from '../protocols/sync/v1/codec';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from '../protocols/sync/v1/proto-path';
import type { TerminalDb } from './db';
import type { AuthorizeRequest, AuthorizeResult, HqLink, LinkState, MemberDeskCall, MemberDeskResult, NewCardRequest } from './hq-link';
import { applyChange } from './master-data';
import { markAcked, outboxDepth, unackedEvents } from './outbox';

/**
 * The terminal's side of onecard.sync.v1.TerminalSync: pushes the outbox in seq order,
 * pulls master data and balances, listens for nudges, and serves checkout's online holds.
 * Online after a call HQ answered (even with a refusal), offline after one it did not.
 */

/** Most events in one PushEvents call. */
export const MAX_PUSH_BATCH = 500;
const PULL_PAGE = 500;

type Callback = (err: grpc.ServiceError | null, res: unknown) => void;
type UnaryMethod = (req: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;
type SyncServiceClient = grpc.Client & {
  Enroll: UnaryMethod;
  PushEvents: UnaryMethod;
  PullChanges: UnaryMethod;
  Authorize: UnaryMethod;
  Capture: UnaryMethod;
  Void: UnaryMethod;
  RegisterMember: UnaryMethod;
  IssueCard: UnaryMethod;
  ChangeCardStatus: UnaryMethod;
  TransferBalance: UnaryMethod;
  GetSale: UnaryMethod;
  ListMemberSales: UnaryMethod;
  GetTopUp: UnaryMethod;
  ListMemberTopUps: UnaryMethod;
  Subscribe: (req: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;
};

let clientConstructor: grpc.ServiceClientConstructor | null = null;

function syncClientConstructor(): grpc.ServiceClientConstructor {
  if (!clientConstructor) {
    const pkg = grpc.loadPackageDefinition(loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)) as unknown as {
      onecard: { sync: { v1: { TerminalSync: grpc.ServiceClientConstructor } } };
    };
    clientConstructor = pkg.onecard.sync.v1.TerminalSync;
  }
  return clientConstructor;
}

function isLoopbackAddress(address: string): boolean {
  const host = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.split(':')[0]!;
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** TLS to HQ: the CA (or HQ's own self-signed certificate) that HQ's certificate must chain to. */
export interface HqTls {
  caPem: Buffer;
  /** The name HQ's certificate is issued for, when it differs from the host in the address. */
  serverName?: string;
}

function newClient(address: string, log: (msg: string) => void, tls?: HqTls): SyncServiceClient {
  if (!tls && !isLoopbackAddress(address)) {
    log(`WARNING: talking to HQ at ${address} without TLS; the terminal credential crosses the network in clear (give the terminal HQ's CA with --hq-ca)`);
  }
  const Ctor = syncClientConstructor();
  const options: grpc.ChannelOptions = {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
  };
  if (tls?.serverName) options['grpc.ssl_target_name_override'] = tls.serverName;
  const credentials = tls ? grpc.credentials.createSsl(tls.caPem) : grpc.credentials.createInsecure();
  return new Ctor(address, credentials, options) as unknown as SyncServiceClient;
}

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/**
 * A failed call as a DomainError: HQ's own code from the "onecard-code" trailer when it sent
 * one; otherwise HQ_OFFLINE (it did not answer). `answered` tells which.
 */
function fromServiceError(err: grpc.ServiceError, method: string): { error: DomainError; answered: boolean } {
  const raw = err.metadata?.get('onecard-code')[0];
  const code = typeof raw === 'string' ? raw : raw ? raw.toString('utf8') : '';
  const reason = err.metadata?.get('onecard-reason')[0];
  if (KNOWN_CODES.has(code)) return { error: new DomainError(code as ErrorCode, err.details || err.message, { method, ...(reason === undefined ? {} : { reason: String(reason) }) }), answered: true };
  if (err.code === grpc.status.UNAUTHENTICATED) return { error: new DomainError('UNAUTHENTICATED', err.details || 'HQ refused the terminal credential', { method }), answered: true };
  if (err.code === grpc.status.PERMISSION_DENIED) return { error: new DomainError('TERMINAL_REVOKED', err.details || 'HQ refused this terminal', { method }), answered: true };
  if (err.code === grpc.status.INVALID_ARGUMENT) return { error: new DomainError('VALIDATION_FAILED', err.details || err.message, { method }), answered: true };
  return { error: new DomainError('HQ_OFFLINE', `HQ did not answer ${method}: ${err.details || err.message}`, { method, grpcCode: err.code }), answered: false };
}

type RpcMethod = 'Enroll' | 'PushEvents' | 'PullChanges' | 'Authorize' | 'Capture' | 'Void' | 'GetSale' | 'ListMemberSales' | 'GetTopUp' | 'ListMemberTopUps' | MemberDeskCall['method'];

function callUnary<Res>(
  client: SyncServiceClient,
  method: RpcMethod,
  request: unknown,
  metadata: grpc.Metadata,
  timeoutMs: number,
  calls?: Set<grpc.ClientUnaryCall>,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const call = client[method](request, metadata, { deadline: Date.now() + timeoutMs }, (err, res) => {
      calls?.delete(call);
      if (err) reject(err);
      else resolve(res as Res);
    });
    calls?.add(call);
  });
}

const int64 = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v);
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) {
    ctx.addIssue({ code: 'custom', message: `not a safe integer: ${text}` });
    return z.NEVER;
  }
  return n;
});
const enrollResponse = z.object({
  terminalId: z.string().min(1),
  storeId: z.string().min(1),
  credential: z.string().min(1),
  currency: z.string().length(3),
  chainName: z.string(),
  storeName: z.string(),
  // Older HQs do not send it; the terminal then assumes the default zone.
  timeZone: z.string().max(64).optional().default(''),
});
const pushResponse = z.object({
  ackedSeq: int64,
  results: z.array(z.object({ seq: int64, status: z.string(), reason: z.string() })),
  gaps: z.array(z.object({ fromSeq: int64, toSeq: int64 })),
});
const pullResponse = z.object({ changes: z.array(z.unknown()), nextCursor: int64, hasMore: z.boolean(), appliedSeq: int64 });
const authorizeResponse = z.object({ holdId: z.string(), holds: z.array(z.unknown()), expiresAt: int64 });
const memberDeskResponse = z.object({ member: z.unknown(), cards: z.array(z.unknown()), balances: z.array(z.unknown()) });

function newCardToWire(c: NewCardRequest | null, memberId = ''): Record<string, unknown> | null {
  return c && { requestId: c.requestId, memberId, cardNo: c.cardNo, medium: c.medium, pin: c.pin ?? '', expiresOn: c.expiresOn ?? '' };
}

/** A member-desk call onto the wire (sync.proto field names in camelCase). */
function memberDeskToWire(c: MemberDeskCall): Record<string, unknown> {
  switch (c.method) {
    case 'RegisterMember':
      return { requestId: c.request.requestId, name: c.request.name, phone: c.request.phone, birthday: c.request.birthday ?? '', card: newCardToWire(c.request.card) };
    case 'IssueCard':
      return newCardToWire(c.request, c.request.memberId)!;
    case 'ChangeCardStatus':
      return { requestId: c.request.requestId, cardId: c.request.cardId, action: c.request.action, reason: c.request.reason, operatorId: c.request.operatorId, newCard: newCardToWire(c.request.newCard) };
    case 'TransferBalance':
      return { requestId: c.request.requestId, fromCardId: c.request.fromCardId, toCardId: c.request.toCardId, amount: String(c.request.amountMinor) };
  }
}

/** HQ's MemberDeskResponse, validated field by field as the same changes a pull would bring. */
function memberDeskFromWire(res: unknown): MemberDeskResult {
  const r = checked(memberDeskResponse, res, 'member desk');
  const change = (body: Record<string, unknown>) => changeFromWire({ seq: '0', deleted: false, ...body }).body;
  const member = change({ member: r.member });
  if (member.type !== 'member') throw new Error('HQ answered the member desk without a member');
  return {
    member: member.member,
    cards: r.cards.map((c) => {
      const b = change({ card: c });
      if (b.type !== 'card') throw new Error('malformed card');
      return b.card;
    }),
    balances: r.balances.map((x) => {
      const b = change({ balance: x });
      if (b.type !== 'balance') throw new Error('malformed balance');
      return b.balance;
    }),
  };
}

/** A sale HQ answered, validated by the shared codec; a malformed one is HQ's fault, not a refusal. */
function lookupFromWire(res: unknown, method: string): SaleLookup {
  try {
    return saleLookupFromWire(res);
  } catch (e) {
    throw new Error(`HQ answered ${method} with a malformed message: ${(e as Error).message}`);
  }
}

function topUpFromWire(res: unknown, method: string): TopUpLookup {
  try {
    return topUpLookupFromWire(res);
  } catch (e) {
    throw new Error(`HQ answered ${method} with a malformed message: ${(e as Error).message}`);
  }
}

function checked<S extends z.ZodType>(schema: S, value: unknown, method: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`HQ answered ${method} with a malformed message: ${r.error.issues[0]?.message ?? 'malformed'}`);
  return r.data;
}

export type EnrollResult = z.output<typeof enrollResponse>;

/** Turns a one-time enrollment code into this terminal's identity and credential. */
export async function enrollTerminal(
  hqAddress: string,
  enrollmentCode: string,
  deviceName: string,
  o: { timeoutMs?: number; log?: (msg: string) => void; tls?: HqTls } = {},
): Promise<EnrollResult> {
  const client = newClient(hqAddress, o.log ?? (() => {}), o.tls);
  try {
    const res = await callUnary<unknown>(client, 'Enroll', { enrollmentCode, deviceName }, new grpc.Metadata(), o.timeoutMs ?? 10_000).catch((e: grpc.ServiceError) => {
      throw fromServiceError(e, 'Enroll').error;
    });
    return checked(enrollResponse, res, 'Enroll');
  } finally {
    client.close();
  }
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref?.();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SyncClientOptions {
  db: TerminalDb;
  hqAddress: string;
  /** TLS to HQ; plaintext without it (meant for loopback only). */
  tls?: HqTls;
  credential: string;
  currency: string;
  clock: Clock;
  log: (msg: string) => void;
  /** Pause between background syncs while all is well (default 5000). */
  syncIntervalMs?: number;
  /** Back-off after failures: base × 2^n, at most max, times a jitter in [0.5, 1). */
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
  timers?: Timers;
  callTimeoutMs?: number;
  pushBatchSize?: number;
  /** Runs after each successful sync, while HQ is known to answer (checkout's loose ends). */
  afterSync?: () => Promise<unknown>;
}

/**
 * The sync loop and HQ link of one terminal. `start()` runs it in the background: a sync
 * now, then every interval (sooner when HQ nudges or checkout asks), backing off with jitter
 * while HQ is unreachable. `syncNow()` runs one push-then-pull and says how it went.
 */
export class SyncClient implements HqLink {
  private readonly client: SyncServiceClient;
  private link: LinkState = 'offline';
  private lastContact: number | null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private failures = 0;
  private timer: unknown = null;
  private subscribeTimer: unknown = null;
  private subscription: grpc.ClientReadableStream<unknown> | null = null;
  private subscribeFailures = 0;
  private stopped = true;
  private closed = false;
  /** Calls under way, cancelled by stop() so it never waits out a deadline. */
  private readonly calls = new Set<grpc.ClientUnaryCall>();
  private readonly timers: Timers;
  private readonly random: () => number;

  constructor(private readonly o: SyncClientOptions) {
    this.client = newClient(o.hqAddress, o.log, o.tls);
    this.timers = o.timers ?? realTimers;
    this.random = o.random ?? Math.random;
    const row = o.db.prepare('SELECT last_contact_at FROM sync_state').get() as { last_contact_at: number | null };
    this.lastContact = row.last_contact_at;
  }

  state(): LinkState {
    return this.link;
  }

  lastContactAt(): number | null {
    return this.lastContact;
  }

  private metadata(): grpc.Metadata {
    const m = new grpc.Metadata();
    m.set('authorization', `Bearer ${this.o.credential}`);
    return m;
  }

  /** One call to HQ; updates the link state by whether HQ answered. */
  private async call<Res>(method: Exclude<RpcMethod, 'Enroll'>, request: unknown, timeoutMs?: number): Promise<Res> {
    try {
      const res = await callUnary<Res>(this.client, method, request, this.metadata(), timeoutMs ?? this.o.callTimeoutMs ?? 5_000, this.calls);
      this.contact();
      return res;
    } catch (e) {
      if (e instanceof DomainError) throw e;
      const { error, answered } = fromServiceError(e as grpc.ServiceError, method);
      if (answered) this.contact();
      else this.link = 'offline';
      throw error;
    }
  }

  private contact(): void {
    this.link = 'online';
    this.lastContact = this.o.clock.now();
    this.o.db.prepare('UPDATE sync_state SET last_contact_at = ?').run(this.lastContact);
  }

  async authorize(r: AuthorizeRequest): Promise<AuthorizeResult> {
    const res = await this.call<unknown>(
      'Authorize',
      { holdId: r.holdId, cardId: r.cardId, amount: String(r.amountMinor), saleId: r.saleId, asset: r.asset ?? 'stored_value', part: r.part ?? '', topUpId: r.topUpId ?? '' },
      10_000,
    );
    const a = checked(authorizeResponse, res, 'Authorize');
    return { holdId: a.holdId, holds: a.holds.map((t) => transferFromWire(t, null)), expiresAt: a.expiresAt };
  }

  async voidHold(holdId: string, transfers: Transfer[]): Promise<void> {
    await this.call<unknown>('Void', { holdId, transfers: transfers.map(transferToWire) });
  }

  async memberDesk(c: MemberDeskCall): Promise<MemberDeskResult> {
    return memberDeskFromWire(await this.call<unknown>(c.method, memberDeskToWire(c), 10_000));
  }

  async getSale(saleId: string): Promise<SaleLookup> {
    return lookupFromWire(await this.call<unknown>('GetSale', { saleId }), 'GetSale');
  }

  async listMemberSales(memberId: string, limit: number): Promise<SaleLookup[]> {
    const res = checked(z.object({ sales: z.array(z.unknown()) }), await this.call<unknown>('ListMemberSales', { memberId, limit }), 'ListMemberSales');
    return res.sales.map((x) => lookupFromWire(x, 'ListMemberSales'));
  }

  async getTopUp(topUpId: string): Promise<TopUpLookup> {
    return topUpFromWire(await this.call<unknown>('GetTopUp', { topUpId }), 'GetTopUp');
  }

  async listMemberTopUps(memberId: string, limit: number): Promise<TopUpLookup[]> {
    const res = checked(z.object({ topUps: z.array(z.unknown()) }), await this.call<unknown>('ListMemberTopUps', { memberId, limit }), 'ListMemberTopUps');
    return res.topUps.map((x) => topUpFromWire(x, 'ListMemberTopUps'));
  }

  requestSync(): void {
    if (this.stopped) return;
    this.syncNow().catch(() => {
      // Logged in syncOnce; the loop retries with back-off.
    });
  }

  /**
   * Pushes every unacknowledged event, then pulls until HQ has no more. A call made while a
   * sync runs waits for it and then runs once more, so what was committed before the call
   * is pushed by the time it resolves. Rejects with HQ_OFFLINE (or HQ's code) on failure.
   */
  syncNow(): Promise<void> {
    if (this.queued) return this.queued;
    const previous = this.running ?? Promise.resolve();
    const next: Promise<void> = previous
      .catch(() => {})
      .then(() => {
        this.queued = null;
        this.running = next;
        return this.syncOnce();
      })
      .finally(() => {
        if (this.running === next) this.running = null;
      });
    this.queued = next;
    return next;
  }

  private async syncOnce(): Promise<void> {
    if (this.closed) throw new DomainError('HQ_OFFLINE', 'the sync client is stopped');
    try {
      await this.pushAll();
      await this.pullAll();
      if (this.failures > 0) this.o.log(`sync with HQ at ${this.o.hqAddress} works again after ${this.failures} failed attempts`);
      this.failures = 0;
      if (this.o.afterSync) await this.o.afterSync().catch((e: Error) => this.o.log(`after sync: ${e.message}`));
    } catch (e) {
      this.failures += 1;
      // Every failure while HQ is away would flood the log: the first, then every 20th.
      if (this.failures % 20 === 1) this.o.log(`sync with HQ at ${this.o.hqAddress} failed (${this.failures} in a row): ${(e as Error).message}`);
      throw e;
    }
  }

  private async pushAll(): Promise<void> {
    const batchSize = Math.min(this.o.pushBatchSize ?? MAX_PUSH_BATCH, MAX_PUSH_BATCH);
    for (;;) {
      const events = unackedEvents(this.o.db, batchSize);
      if (events.length === 0) return;
      const res = checked(pushResponse, await this.call<unknown>('PushEvents', { events: events.map(eventToWire), outboxDepth: String(outboxDepth(this.o.db)) }, 30_000), 'PushEvents');
      for (const r of res.results) {
        if (r.status === 'quarantined') this.o.log(`HQ quarantined event seq ${r.seq}: ${r.reason}`);
      }
      if (res.gaps.length > 0) this.o.log(`HQ reports missing seqs: ${res.gaps.map((g) => `${g.fromSeq}–${g.toSeq}`).join(', ')}`);
      markAcked(this.o.db, res.ackedSeq, this.o.clock.now());
      if (res.ackedSeq < events[events.length - 1]!.seq) {
        // HQ did not take the whole batch: leave the rest for the next round rather than loop.
        if (res.ackedSeq < events[0]!.seq) throw new Error(`HQ acknowledged nothing of seqs ${events[0]!.seq}–${events[events.length - 1]!.seq} (acked ${res.ackedSeq})`);
        return;
      }
    }
  }

  private async pullAll(): Promise<void> {
    for (;;) {
      // Which pull brought a balance decides which of our holds it already counts (balances.ts).
      const gen = this.o.db.transaction(() => {
        this.o.db.prepare('UPDATE sync_state SET pulls_started = pulls_started + 1').run();
        return (this.o.db.prepare('SELECT pulls_started, pull_cursor FROM sync_state').get() as { pulls_started: number; pull_cursor: number });
      })();
      const res = checked(pullResponse, await this.call<unknown>('PullChanges', { cursor: String(gen.pull_cursor), limit: PULL_PAGE, outboxDepth: String(outboxDepth(this.o.db)) }, 30_000), 'PullChanges');
      const changes: SyncChange[] = [];
      for (const wire of res.changes) {
        try {
          changes.push(changeFromWire(wire));
        } catch (e) {
          // A newer HQ's setting means nothing to this version; the rest of the pull still applies.
          if (!(e instanceof UnknownSettingChange)) throw e;
          this.o.log(`${e.message}: passed over`);
        }
      }
      this.o.db.transaction(() => {
        const ctx = { currency: this.o.currency, appliedSeq: res.appliedSeq, snapshotGen: gen.pulls_started, at: this.o.clock.now() };
        for (const c of changes) applyChange(this.o.db, c, ctx);
        this.o.db.prepare('UPDATE sync_state SET pull_cursor = ?').run(res.nextCursor);
      })();
      if (!res.hasMore) return;
    }
  }

  /** Starts the background loop (first round after one interval) and the nudge subscription. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.delayAfter(this.failures));
    this.subscribe();
  }

  /** Pause before the next background sync: the interval, or a jittered back-off after failures. */
  delayAfter(failures: number): number {
    const interval = this.o.syncIntervalMs ?? 5_000;
    if (failures === 0) return interval;
    const { baseMs, maxMs } = this.o.backoff ?? { baseMs: 500, maxMs: 30_000 };
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 20));
    return Math.max(1, Math.round(ceiling * (0.5 + this.random() / 2)));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.syncNow().then(
        () => this.schedule(this.delayAfter(0)),
        () => this.schedule(this.delayAfter(this.failures)),
      );
    }, ms);
  }

  private subscribe(): void {
    if (this.stopped) return;
    const stream = this.client.Subscribe({}, this.metadata());
    this.subscription = stream;
    stream.on('data', () => {
      this.subscribeFailures = 0;
      this.requestSync();
    });
    const retry = (why: string) => {
      if (this.subscription !== stream || this.stopped) return;
      this.subscription = null;
      this.subscribeFailures += 1;
      const delay = Math.max(1, Math.round(Math.min(30_000, 500 * 2 ** Math.min(this.subscribeFailures - 1, 10)) * (0.5 + this.random() / 2)));
      if (this.subscribeFailures === 1) this.o.log(`HQ nudges stopped (${why}); resubscribing`);
      this.subscribeTimer = this.timers.setTimeout(() => {
        this.subscribeTimer = null;
        this.subscribe();
      }, delay);
    };
    stream.on('error', (e: Error) => retry(e.message));
    stream.on('end', () => retry('stream ended'));
  }

  /** Stops the loop and the subscription, waits for a sync under way, closes the channel. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.closed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    if (this.subscribeTimer !== null) this.timers.clearTimeout(this.subscribeTimer);
    this.timer = this.subscribeTimer = null;
    const sub = this.subscription;
    this.subscription = null;
    sub?.cancel();
    for (const call of this.calls) call.cancel();
    await (this.queued ?? this.running ?? Promise.resolve()).catch(() => {});
    this.client.close();
  }
}
