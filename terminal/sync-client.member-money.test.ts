import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { DomainError } from '../core/errors';
import { changeToWire } from '../protocols/sync/v1/codec';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from '../protocols/sync/v1/proto-path';
import { loadSettings } from './settings';
import { enrollTerminal, SyncClient } from './sync-client';
import { openTestTerminal } from './testing';

/**
 * Transport of the member-money calls over real gRPC against a scripted server: which fields go
 * on the wire, and how answers and refusals come back. HQ's business rules are not modelled
 * here; they are tested against the real HQ (member-money.hq.test.ts).
 */

type Handler = (request: any) => { error?: { code: grpc.status; onecardCode?: string; details: string }; response?: unknown };

class ScriptedHq {
  readonly server = new grpc.Server();
  address = '';
  readonly requests: Array<{ method: string; request: any }> = [];
  readonly handlers = new Map<string, Handler>();

  async start(): Promise<void> {
    const pkg = grpc.loadPackageDefinition(loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)) as any;
    const methods = ['Enroll', 'PushEvents', 'PullChanges', 'Authorize', 'Capture', 'Void', 'RegisterMember', 'IssueCard', 'ChangeCardStatus', 'TransferBalance'];
    const impl: Record<string, unknown> = { Subscribe: () => {} };
    for (const m of methods) {
      impl[m] = (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        this.requests.push({ method: m, request: call.request });
        const r = this.handlers.get(m)?.(call.request) ?? { error: { code: grpc.status.UNIMPLEMENTED, details: 'not scripted' } };
        if (r.error) {
          const metadata = new grpc.Metadata();
          if (r.error.onecardCode) metadata.set('onecard-code', r.error.onecardCode);
          cb({ code: r.error.code, details: r.error.details, metadata });
        } else cb(null, r.response);
      };
    }
    this.server.addService(pkg.onecard.sync.v1.TerminalSync.service, impl as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.address = `127.0.0.1:${port}`;
  }
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setUp() {
  const hq = new ScriptedHq();
  await hq.start();
  const t = openTestTerminal(demoChain);
  const timers = { setTimeout: () => 0, clearTimeout: () => {} };
  const sync = new SyncClient({ db: t.db, hqAddress: hq.address, credential: 'cred-1', currency: 'CNY', clock: t.clock, log: () => {}, timers });
  cleanup.push(() => sync.stop(), async () => void hq.server.forceShutdown());
  return { hq, t, sync };
}

const deskAnswer = {
  member: { id: 'm-0100', name: '赵敏', phone: '13700000001', birthday: '1990-01-02', levelCode: 'regular', homeStoreId: 'store-sh-01' },
  cards: [{ id: 'c-0100', memberId: 'm-0100', cardNo: 'NEW0001', medium: 'barcode', status: 'active', expiresOn: '', pinHash: '' }],
  balances: [{ accountId: 'card:c-0100:principal', ledger: 'CNY', posted: '0', held: '0' }],
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('sync client: member-money calls on the wire', () => {
  it('Authorize carries the asset and the part', async () => {
    const { hq, sync } = await setUp();
    hq.handlers.set('Authorize', () => ({ error: { code: grpc.status.FAILED_PRECONDITION, onecardCode: 'INSUFFICIENT_BALANCE', details: 'short' } }));
    expect(await codeOf(sync.authorize({ holdId: 'h1', cardId: 'c-0001', amountMinor: 500, saleId: 's1', asset: 'points' }))).toBe('INSUFFICIENT_BALANCE');
    expect(await codeOf(sync.authorize({ holdId: 'h2', cardId: 'c-0001', amountMinor: 500, saleId: 'r1', asset: 'stored_value', part: 'bonus' }))).toBe('INSUFFICIENT_BALANCE');
    expect(hq.requests.map((r) => [r.request.asset, r.request.part])).toEqual([['points', ''], ['stored_value', 'bonus']]);
  });

  it("member-desk calls send their fields, answer member, cards and balances, and pass HQ's refusal code through", async () => {
    const { hq, sync } = await setUp();
    hq.handlers.set('RegisterMember', () => ({ response: deskAnswer }));
    const r = await sync.memberDesk({ method: 'RegisterMember', request: { requestId: 'rq1', name: '赵敏', phone: '13700000001', birthday: '1990-01-02', card: { requestId: 'rq2', cardNo: 'NEW0001', medium: 'barcode', pin: '1234', expiresOn: null } } });
    expect(r.member).toEqual({ ...deskAnswer.member });
    expect(r.cards).toEqual([{ id: 'c-0100', memberId: 'm-0100', cardNo: 'NEW0001', medium: 'barcode', status: 'active', expiresOn: null, pinHash: null }]);
    expect(r.balances).toEqual([{ accountId: 'card:c-0100:principal', ledger: 'CNY', posted: 0, held: 0 }]);
    expect(hq.requests[0]!.request).toMatchObject({ requestId: 'rq1', name: '赵敏', birthday: '1990-01-02', card: { requestId: 'rq2', cardNo: 'NEW0001', medium: 'barcode', pin: '1234', expiresOn: '' } });

    hq.handlers.set('ChangeCardStatus', () => ({ error: { code: grpc.status.FAILED_PRECONDITION, onecardCode: 'CARD_STATUS_CHANGE_NOT_ALLOWED', details: 'an active card cannot be unfrozen' } }));
    expect(await codeOf(sync.memberDesk({ method: 'ChangeCardStatus', request: { requestId: 'rq3', cardId: 'c-0001', action: 'unfreeze', reason: '', operatorId: '', newCard: null } }))).toBe('CARD_STATUS_CHANGE_NOT_ALLOWED');
    hq.handlers.set('TransferBalance', () => ({ response: { ...deskAnswer, member: { ...deskAnswer.member, id: '' } } }));
    await expect(sync.memberDesk({ method: 'TransferBalance', request: { requestId: 'rq4', fromCardId: 'c-1', toCardId: 'c-2', amountMinor: 0 } })).rejects.toThrow(/invalid change/);
    expect(hq.requests.at(-1)!.request).toMatchObject({ fromCardId: 'c-1', toCardId: 'c-2', amount: '0' });
  });

  it('member-desk calls to an HQ that does not answer are HQ_OFFLINE', async () => {
    const t = openTestTerminal(demoChain);
    const sync = new SyncClient({ db: t.db, hqAddress: '127.0.0.1:1', credential: 'c', currency: 'CNY', clock: t.clock, log: () => {}, timers: { setTimeout: () => 0, clearTimeout: () => {} }, callTimeoutMs: 2_000 });
    cleanup.push(() => sync.stop());
    expect(await codeOf(sync.memberDesk({ method: 'IssueCard', request: { requestId: 'r', memberId: 'm-0001', cardNo: 'X1', medium: 'barcode', pin: null, expiresOn: null } }))).toBe('HQ_OFFLINE');
  });

  it('a pull applies setting changes; a malformed one fails the page and changes nothing', async () => {
    const { hq, t, sync } = await setUp();
    const pages: unknown[][] = [
      [changeToWire({ seq: 1, deleted: false, body: { type: 'setting', key: 'cardPinRequiredAboveMinor', value: 20_000 } })],
    ];
    hq.handlers.set('PushEvents', () => ({ response: { ackedSeq: '0', results: [], gaps: [] } }));
    hq.handlers.set('PullChanges', (req) => {
      const cursor = Number(req.cursor);
      const page = pages[cursor] ?? [];
      return { response: { changes: page, nextCursor: String(cursor + (page.length ? 1 : 0)), hasMore: false, appliedSeq: '0' } };
    });
    await sync.syncNow();
    expect(loadSettings(t.db).cardPinRequiredAboveMinor).toBe(20_000);
    pages.push([{ seq: '2', deleted: false, setting: { key: 'spendingOrder', valueJson: '"newest_first"' } }]);
    await expect(sync.syncNow()).rejects.toThrow(/spendingOrder/);
    expect(loadSettings(t.db).spendingOrder).toBe('principal_first');
  });

  it('enrollment answers the store time zone (empty from an HQ that does not send it)', async () => {
    const hq = new ScriptedHq();
    await hq.start();
    cleanup.push(async () => void hq.server.forceShutdown());
    const answer = { terminalId: 't1', storeId: 's1', credential: 'c', currency: 'CNY', chainName: 'x', storeName: 'y', timeZone: 'Asia/Urumqi' };
    hq.handlers.set('Enroll', () => ({ response: answer }));
    expect((await enrollTerminal(hq.address, 'code', 'dev')).timeZone).toBe('Asia/Urumqi');
    hq.handlers.set('Enroll', () => ({ response: { ...answer, timeZone: '' } }));
    expect((await enrollTerminal(hq.address, 'code', 'dev')).timeZone).toBe('');
  });
});
