import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { DomainError, isDomainError, type ErrorCode } from '../core/errors';
import { systemClock, type Clock } from '../core/ids';
import { changeToWire, saleLookupToWire, topUpLookupToWire, transferFromWire, transferToWire, WireValidationError } from '../protocols/sync/v1/codec';
import { NOTIFY_CHANNEL } from './change-log';
import type { Log, Sql } from './database';
import { authorizeHold, settleHold } from './holds';
import {
  changeCardStatus,
  changeCardStatusSchema,
  issueCard,
  issueCardSchema,
  registerMember,
  registerMemberSchema,
  transferBalance,
  type DeskActor,
  type DeskResult,
} from './member-desk';
import { pullChanges, latestChangeSeq } from './pull-changes';
import { topUpAllotments } from './promotion-budgets';
import { pushEvents } from './push-events';
import { getSale, listMemberSales } from './sale-lookup';
import { getTopUp, listMemberTopUps } from './top-up-lookup';
import { authenticateTerminal, enrollTerminal, recordTerminalSyncStatus, type TerminalIdentity } from './terminals';

/** gRPC status of each OneCard error code; the code itself travels in trailer "onecard-code". */
const GRPC_STATUS: Partial<Record<ErrorCode, grpc.status>> = {
  VALIDATION_FAILED: grpc.status.INVALID_ARGUMENT,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  ENROLLMENT_CODE_INVALID: grpc.status.UNAUTHENTICATED,
  TERMINAL_REVOKED: grpc.status.PERMISSION_DENIED,
  UNKNOWN_CARD: grpc.status.NOT_FOUND,
  NOT_FOUND: grpc.status.NOT_FOUND,
  HOLD_NOT_FOUND: grpc.status.NOT_FOUND,
  SALE_NOT_FOUND: grpc.status.NOT_FOUND,
};

export function toServiceError(e: unknown, log: Log, method: string): Partial<grpc.ServiceError> {
  let code: ErrorCode | 'INTERNAL';
  let message: string;
  if (isDomainError(e)) {
    code = e.code;
    message = e.message;
  } else if (e instanceof WireValidationError) {
    code = 'VALIDATION_FAILED';
    message = e.message;
  } else {
    code = 'INTERNAL';
    message = 'HQ could not complete the call; it has been logged';
    log(`gRPC ${method} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  const metadata = new grpc.Metadata();
  metadata.set('onecard-code', code);
  // Why, where one code covers several cases (CONFLICT: already_refunded, refund_in_progress).
  const reason = isDomainError(e) ? e.details.reason : undefined;
  if (typeof reason === 'string') metadata.set('onecard-reason', reason);
  const status = code === 'INTERNAL' ? grpc.status.INTERNAL : (GRPC_STATUS[code] ?? grpc.status.FAILED_PRECONDITION);
  return { code: status, details: message, metadata };
}

function credentialOf(metadata: grpc.Metadata): string | null {
  const value = metadata.get('authorization')[0];
  const text = typeof value === 'string' ? value : value ? value.toString('utf8') : '';
  const m = /^Bearer\s+(\S+)$/i.exec(text.trim());
  return m ? m[1]! : null;
}

// Request shapes, validated at the boundary; int64 arrives as a decimal string.
const int64 = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v);
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) {
    ctx.addIssue({ code: 'custom', message: `not a safe integer: ${text}` });
    return z.NEVER;
  }
  return n;
});
const id = z.string().min(1, 'is required').max(128);
// A hold's legs are `${holdId}/principal|bonus|points` and must fit a transfer id (128).
const holdId = z.string().min(1, 'is required').max(100);
const enrollSchema = z.object({ enrollmentCode: z.string().min(1, 'is required').max(64), deviceName: z.string().max(200) });
const authorizeSchema = z.object({
  holdId,
  cardId: id,
  amount: int64.refine((n) => n > 0, 'must be more than zero'),
  saleId: id,
  asset: z
    .enum(['', 'stored_value', 'points'], { message: 'must be stored_value or points' })
    .optional()
    .transform((a): 'stored_value' | 'points' => (a === 'points' ? 'points' : 'stored_value')),
  part: z
    .enum(['', 'principal', 'bonus'], { message: 'must be principal or bonus' })
    .optional()
    .transform((p): 'principal' | 'bonus' | null => (p === 'principal' || p === 'bonus' ? p : null)),
  // Empty (and absent, from older tills) for payments: no top-up is claimed.
  topUpId: z.string().max(128).optional().transform((t) => (t ? t : null)),
}).refine((r) => r.part === null || r.asset === 'stored_value', { message: 'part applies to stored value only', path: ['part'] })
  .refine((r) => r.topUpId === null || r.asset === 'stored_value', { message: 'a top-up is given back from stored value only', path: ['topUpId'] });
const settleSchema = z.object({ holdId, transfers: z.array(z.unknown()).min(1, 'at least one is needed').max(8) });
const transferBalanceSchema = z.object({
  requestId: id,
  fromCardId: id,
  toCardId: id,
  amount: int64.refine((n) => n >= 0, 'must not be negative (0 moves everything)'),
});
const operatorIdSchema = z.object({ operatorId: z.string().max(128).optional().transform((o) => (o ? o : null)) });
const outboxDepthField = int64.refine((n) => n >= 0, 'must not be negative').default(0);
const pullSchema = z.object({ cursor: int64.refine((n) => n >= 0, 'must not be negative'), limit: z.number().int().min(0), outboxDepth: outboxDepthField });
const pushSchema = z.object({ events: z.array(z.unknown()).max(1000), outboxDepth: outboxDepthField });
const getSaleSchema = z.object({ saleId: id });
const listMemberSalesSchema = z.object({ memberId: id, limit: z.number().int().min(0).default(0) });
const getTopUpSchema = z.object({ topUpId: id });
const listMemberTopUpsSchema = z.object({ memberId: id, limit: z.number().int().min(0).default(0) });

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.map((p) => snake(String(p))).join('.') : '(root)';
    throw new DomainError('VALIDATION_FAILED', `invalid ${what}: ${path}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}

/** Live nudges: every HQ instance LISTENs, so a change made through any of them reaches all streams. */
export class ChangeNudger {
  private readonly streams = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly sql: Sql, private readonly log: Log) {}

  async start(): Promise<void> {
    const listener = await this.sql.listen(NOTIFY_CHANNEL, (payload) => this.nudge(Number(payload)));
    this.unlisten = () => listener.unlisten();
  }

  add(stream: grpc.ServerWritableStream<unknown, unknown>, latestSeq: number): void {
    this.streams.add(stream);
    const drop = () => this.streams.delete(stream);
    stream.on('cancelled', drop);
    stream.on('close', drop);
    stream.on('error', drop);
    stream.write({ latestSeq: String(latestSeq) });
  }

  get subscriberCount(): number {
    return this.streams.size;
  }

  private nudge(latestSeq: number): void {
    if (!Number.isSafeInteger(latestSeq)) return;
    for (const stream of this.streams) {
      try {
        stream.write({ latestSeq: String(latestSeq) });
      } catch (e) {
        this.log(`nudge failed: ${(e as Error).message}`);
        this.streams.delete(stream);
      }
    }
  }

  /** Ends every stream (server shutdown) and stops listening. */
  async stop(): Promise<void> {
    for (const stream of this.streams) {
      try {
        stream.end();
      } catch {
        // Already gone.
      }
    }
    this.streams.clear();
    if (this.unlisten) await this.unlisten().catch(() => {});
    this.unlisten = null;
  }
}

export interface SyncServiceDeps {
  sql: Sql;
  log: Log;
  nudger: ChangeNudger;
  clock?: Clock;
}

type Unary = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => void;

const deskActor = (terminal: TerminalIdentity): DeskActor => ({ terminalId: terminal.terminalId, operatorId: null, nodeId: terminal.storeId });

/** A member desk answer as MemberDeskResponse. */
export function deskToWire(r: DeskResult): Record<string, unknown> {
  return {
    member: { ...r.member, birthday: r.member.birthday ?? '' },
    cards: r.cards.map((c) => ({ id: c.id, memberId: c.memberId, cardNo: c.cardNo, medium: c.medium, status: c.status, expiresOn: c.expiresOn ?? '', pinHash: c.pinHash ?? '' })),
    balances: r.balances.map((b) => ({ accountId: b.accountId, ledger: b.ledger, posted: String(b.posted), held: String(b.held) })),
  };
}

/** Handlers of onecard.sync.v1.TerminalSync. */
export function syncServiceHandlers(deps: SyncServiceDeps): grpc.UntypedServiceImplementation {
  const { sql, log, nudger } = deps;
  const clock = deps.clock ?? systemClock;

  const unary = (method: string, handler: (request: any, terminal: TerminalIdentity | null) => Promise<unknown>, needsAuth = true): Unary =>
    (call, callback) => {
      (async () => {
        const terminal = needsAuth ? await authenticateTerminal(sql, credentialOf(call.metadata)) : null;
        return handler(call.request, terminal);
      })().then(
        (response) => callback(null, response),
        (e: unknown) => callback(toServiceError(e, log, method)),
      );
    };

  return {
    Enroll: unary(
      'Enroll',
      async (request) => {
        const r = parse(enrollSchema, request, 'EnrollRequest');
        const e = await enrollTerminal(sql, r.enrollmentCode, r.deviceName);
        log(`terminal ${e.terminalId} enrolled (${r.deviceName || 'unnamed device'})`);
        return { terminalId: e.terminalId, storeId: e.storeId, credential: e.credential, currency: e.currency, chainName: e.chainName, storeName: e.storeName, timeZone: e.timeZone };
      },
      false,
    ),

    PushEvents: unary('PushEvents', async (request, terminal) => {
      const r = parse(pushSchema, request, 'PushEventsRequest');
      // The outbox depth is written with the batch, in its transaction.
      const result = await pushEvents(sql, terminal!, r.events, { log, outboxDepth: Math.max(0, r.outboxDepth - r.events.length) });
      return {
        ackedSeq: String(result.ackedSeq),
        results: result.results.map((x) => ({ seq: String(x.seq), status: x.status, reason: x.reason })),
        gaps: result.gaps.map((g) => ({ fromSeq: String(g.fromSeq), toSeq: String(g.toSeq) })),
      };
    }),

    PullChanges: unary('PullChanges', async (request, terminal) => {
      const r = parse(pullSchema, request, 'PullChangesRequest');
      // Budget allotments are topped up as the terminal asks, so this very pull carries them.
      await topUpAllotments(sql, terminal!);
      const result = await pullChanges(sql, terminal!, r.cursor, r.limit);
      await recordTerminalSyncStatus(sql, terminal!.terminalId, { outboxDepth: r.outboxDepth, pullCursor: result.nextCursor });
      return {
        changes: result.changes.map(changeToWire),
        nextCursor: String(result.nextCursor),
        hasMore: result.hasMore,
        appliedSeq: String(result.appliedSeq),
      };
    }),

    Subscribe: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      (async () => {
        await authenticateTerminal(sql, credentialOf(call.metadata));
        nudger.add(call, await latestChangeSeq(sql));
      })().catch((e: unknown) => call.emit('error', toServiceError(e, log, 'Subscribe')));
    },

    RegisterMember: unary('RegisterMember', async (request, terminal) => {
      const r = parse(registerMemberSchema, request, 'RegisterMemberRequest');
      return deskToWire(await registerMember(sql, deskActor(terminal!), r, clock));
    }),

    IssueCard: unary('IssueCard', async (request, terminal) => {
      const r = parse(issueCardSchema, request, 'IssueCardRequest');
      return deskToWire(await issueCard(sql, deskActor(terminal!), r, clock));
    }),

    ChangeCardStatus: unary('ChangeCardStatus', async (request, terminal) => {
      const r = parse(changeCardStatusSchema, request, 'ChangeCardStatusRequest');
      const { operatorId } = parse(operatorIdSchema, request, 'ChangeCardStatusRequest');
      return deskToWire(await changeCardStatus(sql, { ...deskActor(terminal!), operatorId }, { ...r, operatorId }, clock));
    }),

    TransferBalance: unary('TransferBalance', async (request, terminal) => {
      const r = parse(transferBalanceSchema, request, 'TransferBalanceRequest');
      return deskToWire(await transferBalance(sql, deskActor(terminal!), r, clock));
    }),

    // A refund at another terminal or store (sale-lookup.ts): any sale of the chain, to any enrolled terminal.
    GetSale: unary('GetSale', async (request) => {
      const r = parse(getSaleSchema, request, 'GetSaleRequest');
      return saleLookupToWire(await getSale(sql, r.saleId));
    }),

    ListMemberSales: unary('ListMemberSales', async (request) => {
      const r = parse(listMemberSalesSchema, request, 'ListMemberSalesRequest');
      return { sales: (await listMemberSales(sql, r.memberId, r.limit)).map(saleLookupToWire) };
    }),

    // A top-up given back at any terminal or store (top-up-lookup.ts); read-only.
    GetTopUp: unary('GetTopUp', async (request) => {
      const r = parse(getTopUpSchema, request, 'GetTopUpRequest');
      return topUpLookupToWire(await getTopUp(sql, r.topUpId));
    }),

    ListMemberTopUps: unary('ListMemberTopUps', async (request) => {
      const r = parse(listMemberTopUpsSchema, request, 'ListMemberTopUpsRequest');
      return { topUps: (await listMemberTopUps(sql, r.memberId, r.limit)).map(topUpLookupToWire) };
    }),

    Authorize: unary('Authorize', async (request, terminal) => {
      const r = parse(authorizeSchema, request, 'AuthorizeRequest');
      const hold = await authorizeHold(sql, terminal!, r, clock.now());
      return { holdId: hold.holdId, holds: hold.holds.map(transferToWire), expiresAt: String(hold.expiresAt) };
    }),

    Capture: unary('Capture', async (request, terminal) => {
      const r = parse(settleSchema, request, 'CaptureRequest');
      const transfers = r.transfers.map((t) => transferFromWire(t, terminal!.terminalId));
      return { statuses: await settleHold(sql, terminal!, r.holdId, transfers, 'post_pending') };
    }),

    Void: unary('Void', async (request, terminal) => {
      const r = parse(settleSchema, request, 'VoidRequest');
      const transfers = r.transfers.map((t) => transferFromWire(t, terminal!.terminalId));
      return { statuses: await settleHold(sql, terminal!, r.holdId, transfers, 'void_pending') };
    }),
  };
}
