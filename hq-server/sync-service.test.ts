import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import type { Transfer } from '../core/ledger';
import { postSale, type SaleDocument } from '../core/sale';
import { postTopUp, type TopUpDocument } from '../core/top-up';
import { eventToWire, transferFromWire, transferToWire, type SyncEvent } from '../protocols/sync/v1/codec';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from './index';
import { releaseExpiredHolds } from './holds';
import { pruneChangeLog } from './pull-changes';
import { revokeTerminal } from './terminals';
import { createTestSyncClient, type CallError, type TestSyncClient } from './testing/sync-client';

const STORE = 'store-sh-01';
const TERMINAL = 't-sh-01-1';

describe('TerminalSync over gRPC with embedded PostgreSQL', () => {
  let dataDir: string;
  let hq: RunningHq;
  let client: TestSyncClient;
  let credential: string;
  let credential2: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'onecard-hq-sync-'));
    hq = await startHq({ dataDir, httpPort: 0, grpcPort: 0, log: () => {} });
    await seedChain(hq.sql, demoChain);
    client = createTestSyncClient(hq.grpcAddress);
    const code = await createEnrollmentCode(hq.sql, TERMINAL);
    credential = (await client.call('Enroll', { enrollmentCode: code, deviceName: 'test till' })).credential;
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function refused(p: Promise<unknown>): Promise<CallError> {
    try {
      await p;
    } catch (e) {
      return e as CallError;
    }
    throw new Error('the call was expected to fail');
  }

  async function balance(accountId: string) {
    const [row] = await hq.sql`select credits_posted - debits_posted as posted, debits_pending as held from accounts where id = ${accountId}`;
    return { posted: row!.posted as number, held: row!.held as number };
  }

  const memberOf = (cardId: string) => demoChain.members.find((m) => m.cards.some((c) => c.id === cardId))!.id;

  function saleEvent(seq: number, sale: SaleDocument): SyncEvent {
    return { seq, id: uuidv7(), occurredAt: sale.completedAt, body: { type: 'sale', sale }, transfers: postSale(sale, () => uuidv7()) };
  }

  function cashSale(id: string, amount: number, storeId = STORE): SaleDocument {
    return {
      id, storeId, terminalId: TERMINAL, currency: 'CNY', memberId: null, cardId: null,
      lines: [{ lineNo: 1, sku: 'SKU-0001', barcode: '6901028001014', name: 'Cola', quantity: 1, unitPriceMinor: amount, amountMinor: amount, eligibleForMemberBenefits: true }],
      totalMinor: amount, tenders: [{ kind: 'cash', amountMinor: amount, tenderedMinor: amount, changeMinor: 0 }], pointsEarned: 0, completedAt: 1_763_800_000_000,
    };
  }

  const push = (events: SyncEvent[] | unknown[], cred = credential) =>
    client.call('PushEvents', { events: events.map((e) => ((e as SyncEvent).body ? eventToWire(e as SyncEvent) : e)) }, cred);

  describe('Enroll', () => {
    it('turns a good code into a credential, once', async () => {
      const code = await createEnrollmentCode(hq.sql, 't-sh-01-2');
      const r = await client.call('Enroll', { enrollmentCode: code.toLowerCase(), deviceName: 'till 2' });
      expect(r).toMatchObject({ terminalId: 't-sh-01-2', storeId: STORE, currency: 'CNY', chainName: demoChain.chainName });
      expect(r.credential.length).toBeGreaterThanOrEqual(43);
      credential2 = r.credential;
      const again = await refused(client.call('Enroll', { enrollmentCode: code, deviceName: 'till 2' }));
      expect(again.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(again.onecardCode).toBe('ENROLLMENT_CODE_INVALID');
    });

    it('refuses a wrong or expired code', async () => {
      const wrong = await refused(client.call('Enroll', { enrollmentCode: 'AAAA-BBBB-CCCC', deviceName: '' }));
      expect([wrong.code, wrong.onecardCode]).toEqual([grpc.status.UNAUTHENTICATED, 'ENROLLMENT_CODE_INVALID']);
      const code = await createEnrollmentCode(hq.sql, 't-hz-01-1', { ttlMs: 60_000 });
      await hq.sql`update enrollment_codes set expires_at = now() - interval '1 second' where terminal_id = 't-hz-01-1'`;
      const expired = await refused(client.call('Enroll', { enrollmentCode: code, deviceName: '' }));
      expect(expired.onecardCode).toBe('ENROLLMENT_CODE_INVALID');
    });

    it('refuses an empty code as a malformed request', async () => {
      const e = await refused(client.call('Enroll', { enrollmentCode: '', deviceName: '' }));
      expect([e.code, e.onecardCode]).toEqual([grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
      expect(e.details).toMatch(/enrollment_code/);
    });
  });

  describe('authentication', () => {
    it('refuses calls without a credential or with an unknown one', async () => {
      for (const cred of [null, 'not-a-credential']) {
        const e = await refused(client.call('PullChanges', { cursor: '0', limit: 1 }, cred));
        expect([e.code, e.onecardCode]).toEqual([grpc.status.UNAUTHENTICATED, 'UNAUTHENTICATED']);
      }
    });

    it('refuses a revoked terminal and records its last contact', async () => {
      const code = await createEnrollmentCode(hq.sql, 't-gz-01-1');
      const { credential: gz } = await client.call('Enroll', { enrollmentCode: code, deviceName: '' });
      await client.call('PullChanges', { cursor: '0', limit: 1 }, gz);
      await revokeTerminal(hq.sql, 't-gz-01-1');
      const e = await refused(client.call('Authorize', { holdId: uuidv7(), cardId: 'c-0001', amount: '100', saleId: 's' }, gz));
      expect([e.code, e.onecardCode]).toEqual([grpc.status.PERMISSION_DENIED, 'TERMINAL_REVOKED']);
      const [t] = await hq.sql`select last_contact_at from terminals where id = 't-gz-01-1'`;
      expect(t!.last_contact_at).toBeInstanceOf(Date);
    });
  });

  describe('a sale paid partly by stored value', () => {
    it('drops the card balance by exactly the stored-value part and credits points once; a re-push changes nothing', async () => {
      const cardId = 'c-0001';
      const memberId = memberOf(cardId);
      const principalBefore = await balance(cardPrincipalAccountId(cardId));
      const pointsBefore = await balance(memberPointsAccountId(memberId));
      const saleId = uuidv7();
      const holdId = uuidv7();
      const auth = await client.call('Authorize', { holdId, cardId, amount: '5000', saleId }, credential);
      expect(auth.holdId).toBe(holdId);
      expect(auth.holds).toHaveLength(1);
      expect(auth.holds[0]).toMatchObject({ id: `${holdId}/principal`, kind: 'pending', amount: '5000', debitAccountId: cardPrincipalAccountId(cardId), creditAccountId: `store:${STORE}:sales` });
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual({ posted: principalBefore.posted, held: 5000 });

      const hold = transferFromWire(auth.holds[0], TERMINAL);
      const sale: SaleDocument = {
        id: saleId, storeId: STORE, terminalId: TERMINAL, currency: 'CNY', memberId, cardId,
        lines: [{ lineNo: 1, sku: 'SKU-0030', barcode: '6907028100122', name: 'Milk', quantity: 1, unitPriceMinor: 6000, amountMinor: 6000, eligibleForMemberBenefits: true }],
        totalMinor: 6000,
        tenders: [
          { kind: 'stored_value', amountMinor: 5000, cardId, legs: [{ accountId: hold.debitAccountId, part: 'principal', amount: 5000, holdId: hold.id }] },
          { kind: 'cash', amountMinor: 1000, tenderedMinor: 1000, changeMinor: 0 },
        ],
        pointsEarned: 120,
        completedAt: 1_763_800_000_000,
      };
      const batch = [saleEvent(1, sale)];
      const first = await push(batch);
      expect(first.results).toEqual([{ seq: '1', status: 'applied', reason: '' }]);
      expect(first.ackedSeq).toBe('1');
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual({ posted: principalBefore.posted - 5000, held: 0 });
      expect((await balance(memberPointsAccountId(memberId))).posted).toBe(pointsBefore.posted + 120);
      const [h] = await hq.sql`select state from holds where hold_id = ${holdId}`;
      expect(h!.state).toBe('captured');

      const again = await push(batch);
      expect(again.results).toEqual([{ seq: '1', status: 'duplicate', reason: '' }]);
      expect(again.ackedSeq).toBe('1');
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual({ posted: principalBefore.posted - 5000, held: 0 });
      expect((await balance(memberPointsAccountId(memberId))).posted).toBe(pointsBefore.posted + 120);
      const [n] = await hq.sql`select count(*)::int as n from sales where id = ${saleId}`;
      expect(n!.n).toBe(1);
    });

    it('acknowledges only the contiguous seqs and reports the gap', async () => {
      const r = await push([saleEvent(2, cashSale(uuidv7(), 300)), saleEvent(4, cashSale(uuidv7(), 400))]);
      expect(r.results.map((x: { status: string }) => x.status)).toEqual(['applied', 'applied']);
      expect(r.ackedSeq).toBe('2');
      expect(r.gaps).toEqual([{ fromSeq: '3', toSeq: '3' }]);
      const filled = await push([saleEvent(3, cashSale(uuidv7(), 350))]);
      expect(filled.ackedSeq).toBe('4');
      expect(filled.gaps).toEqual([]);
    });

    it('quarantines a poison event with its reason and applies the ones after it', async () => {
      const cardId = 'c-0022';
      const memberId = memberOf(cardId);
      const before = await balance(cardPrincipalAccountId(cardId));
      // A capture of a hold HQ never made: the ledger refuses it. (An offline debit beyond the
      // balance is applied, with the overdraft as exposure: see member-money.test.ts.)
      const overdraft: SaleDocument = {
        ...cashSale(uuidv7(), 1_000_000),
        memberId, cardId,
        tenders: [{ kind: 'stored_value', amountMinor: 1_000_000, cardId, legs: [{ accountId: cardPrincipalAccountId(cardId), part: 'principal', amount: 1_000_000, holdId: 'no-such-hold/principal' }] }],
      };
      const wrongStore = cashSale(uuidv7(), 500, 'store-hz-01');
      const tampered = saleEvent(7, cashSale(uuidv7(), 800));
      tampered.transfers = tampered.transfers.map((t) => ({ ...t, amount: t.amount + 1 }));
      const good = saleEvent(9, cashSale(uuidv7(), 900));
      const r = await push([saleEvent(5, overdraft), saleEvent(6, wrongStore), tampered, { seq: '8', id: 'e-8', occurredAt: '1', transfers: [] }, good]);
      const byStatus = r.results.map((x: { seq: string; status: string }) => `${x.seq}:${x.status}`);
      expect(byStatus).toEqual(['5:quarantined', '6:quarantined', '7:quarantined', '8:quarantined', '9:applied']);
      expect(r.results[0].reason).toMatch(/exceeds_credits|pending_transfer_not_found/);
      expect(r.results[1].reason).toMatch(/store/);
      expect(r.results[2].reason).toMatch(/do not match/);
      expect(r.results[3].reason).toMatch(/exactly one body/);
      expect(r.ackedSeq).toBe('9');
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual(before);
      const q = await hq.sql`select seq, reason from events where terminal_id = ${TERMINAL} and status = 'quarantined' order by seq`;
      expect(q.map((x) => x.seq)).toEqual([5, 6, 7, 8]);
      const [sales] = await hq.sql`select count(*)::int as n from sales where id = ${overdraft.id}`;
      expect(sales!.n).toBe(0);
    });

    it('never applies a different event under a seq already stored', async () => {
      const r = await push([saleEvent(9, cashSale(uuidv7(), 901))]);
      expect(r.results[0].status).toBe('quarantined');
      expect(r.results[0].reason).toMatch(/already holds event/);
    });

    it('applies a top-up into principal and bonus', async () => {
      const cardId = 'c-0002';
      const memberId = memberOf(cardId);
      const before = [await balance(cardPrincipalAccountId(cardId)), await balance(cardBonusAccountId(cardId))];
      const topUp: TopUpDocument = { id: uuidv7(), storeId: STORE, terminalId: TERMINAL, currency: 'CNY', memberId, cardId, tender: 'cash', principalMinor: 100_000, bonusMinor: 15_000, completedAt: 1 };
      const r = await push([{ seq: 10, id: uuidv7(), occurredAt: 1, body: { type: 'top_up', topUp }, transfers: postTopUp(topUp, () => uuidv7()) }]);
      expect(r.results[0].status).toBe('applied');
      expect((await balance(cardPrincipalAccountId(cardId))).posted).toBe(before[0]!.posted + 100_000);
      expect((await balance(cardBonusAccountId(cardId))).posted).toBe(before[1]!.posted + 15_000);
    });

    it('refuses a push whose events have no readable seq', async () => {
      const e = await refused(push([{ seq: '0', id: 'x', occurredAt: '1', transfers: [] }]));
      expect([e.code, e.onecardCode]).toEqual([grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
      expect(e.details).toMatch(/seq/);
    });
  });

  describe('Authorize, Capture and Void', () => {
    it('refuses unknown, frozen and lost cards and a short balance with their codes', async () => {
      const ask = (cardId: string, amount: string) => refused(client.call('Authorize', { holdId: uuidv7(), cardId, amount, saleId: uuidv7() }, credential));
      const unknown = await ask('c-nope', '100');
      expect([unknown.code, unknown.onecardCode]).toEqual([grpc.status.NOT_FOUND, 'UNKNOWN_CARD']);
      const frozen = await ask('c-0008', '100');
      expect([frozen.code, frozen.onecardCode]).toEqual([grpc.status.FAILED_PRECONDITION, 'CARD_FROZEN']);
      expect((await ask('c-0005', '100')).onecardCode).toBe('CARD_LOST');
      expect((await ask('c-0015', '100')).onecardCode).toBe('CARD_EXPIRED');
      const short = await ask('c-0022', '999999');
      expect([short.code, short.onecardCode]).toEqual([grpc.status.FAILED_PRECONDITION, 'INSUFFICIENT_BALANCE']);
      const [n] = await hq.sql`select count(*)::int as n from holds where card_id = 'c-0022'`;
      expect(n!.n).toBe(0);
    });

    it('a retried Authorize returns the same holds and reserves nothing more', async () => {
      const cardId = 'c-0002';
      const request = { holdId: uuidv7(), cardId, amount: '70000', saleId: uuidv7() };
      const before = await balance(cardPrincipalAccountId(cardId));
      const first = await client.call('Authorize', request, credential);
      const second = await client.call('Authorize', request, credential);
      expect(second).toEqual(first);
      const [n] = await hq.sql`select count(*)::int as n from holds where hold_id = ${request.holdId}`;
      expect(n!.n).toBe(1);
      expect((await balance(cardPrincipalAccountId(cardId))).held).toBe(before.held + Math.min(70000, before.posted - before.held));
    });

    it('spends principal first, then bonus, and captures idempotently', async () => {
      const cardId = 'c-0022'; // 3000 principal, no bonus
      const c = 'c-0001';
      const p = await balance(cardPrincipalAccountId(c));
      const b = await balance(cardBonusAccountId(c));
      const amount = p.posted - p.held + 1000;
      const holdId = uuidv7();
      const auth = await client.call('Authorize', { holdId, cardId: c, amount: String(amount), saleId: uuidv7() }, credential);
      expect(auth.holds.map((t: { id: string; amount: string }) => [t.id, t.amount])).toEqual([[`${holdId}/principal`, String(p.posted - p.held)], [`${holdId}/bonus`, '1000']]);
      const posts = auth.holds.map((w: unknown) => {
        const t = transferFromWire(w, TERMINAL);
        return transferToWire({ ...t, id: uuidv7(), kind: 'post_pending', pendingId: t.id });
      });
      expect((await client.call('Capture', { holdId, transfers: posts }, credential)).statuses).toEqual(['created', 'created']);
      expect((await client.call('Capture', { holdId, transfers: posts }, credential)).statuses).toEqual(['exists', 'exists']);
      expect(await balance(cardBonusAccountId(c))).toEqual({ posted: b.posted - 1000, held: 0 });
      const [h] = await hq.sql`select state from holds where hold_id = ${holdId}`;
      expect(h!.state).toBe('captured');
      void cardId;
    });

    it('Void releases the hold; capturing it afterwards is refused', async () => {
      const cardId = 'c-0002';
      const before = await balance(cardPrincipalAccountId(cardId));
      const holdId = uuidv7();
      const auth = await client.call('Authorize', { holdId, cardId, amount: '1500', saleId: uuidv7() }, credential);
      const leg = transferFromWire(auth.holds[0], TERMINAL);
      const voidT: Transfer = { ...leg, id: uuidv7(), kind: 'void_pending', pendingId: leg.id };
      expect((await client.call('Void', { holdId, transfers: [transferToWire(voidT)] }, credential)).statuses).toEqual(['created']);
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual(before);
      const [h] = await hq.sql`select state from holds where hold_id = ${holdId}`;
      expect(h!.state).toBe('voided');
      const post = transferToWire({ ...leg, id: uuidv7(), kind: 'post_pending', pendingId: leg.id });
      const e = await refused(client.call('Capture', { holdId, transfers: [post] }, credential));
      expect([e.code, e.onecardCode]).toEqual([grpc.status.FAILED_PRECONDITION, 'HOLD_NOT_PENDING']);
    });

    it('a holds_released event voids the holds of a cancelled sale', async () => {
      const cardId = 'c-0002';
      const before = await balance(cardPrincipalAccountId(cardId));
      const holdId = uuidv7();
      const saleId = uuidv7();
      await client.call('Authorize', { holdId, cardId, amount: '2500', saleId }, credential);
      const r = await push([{ seq: 11, id: uuidv7(), occurredAt: 1, body: { type: 'holds_released', saleId, holdIds: [holdId] }, transfers: [] }]);
      expect(r.results[0].status).toBe('applied');
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual(before);
      const [h] = await hq.sql`select state from holds where hold_id = ${holdId}`;
      expect(h!.state).toBe('voided');
    });

    it("holds a member's points and a sale paid with them captures the hold", async () => {
      const cardId = 'c-0001';
      const memberId = memberOf(cardId);
      const before = await balance(memberPointsAccountId(memberId));
      const holdId = uuidv7();
      const saleId = uuidv7();
      const auth = await client.call('Authorize', { holdId, cardId, amount: '500', saleId, asset: 'points' }, credential);
      expect(auth.holds.map((t: any) => [t.id, t.debitAccountId, t.creditAccountId, t.ledger, t.amount])).toEqual([[`${holdId}/points`, memberPointsAccountId(memberId), 'chain:points_issued', 'POINTS', '500']]);
      expect(await balance(memberPointsAccountId(memberId))).toEqual({ posted: before.posted, held: 500 });
      const sale: SaleDocument = { ...cashSale(saleId, 500), memberId, cardId, tenders: [{ kind: 'points', amountMinor: 500, points: 500, holdId: `${holdId}/points` }] };
      const r = await push([saleEvent(16, sale)]);
      expect(r.results[0]).toMatchObject({ status: 'applied' });
      expect(await balance(memberPointsAccountId(memberId))).toEqual({ posted: before.posted - 500, held: 0 });
      const [h] = await hq.sql`select state, asset from holds where hold_id = ${holdId}`;
      expect(h).toMatchObject({ state: 'captured', asset: 'points' });
      const short = await refused(client.call('Authorize', { holdId: uuidv7(), cardId, amount: String(before.posted), saleId: uuidv7(), asset: 'points' }, credential));
      expect(short.onecardCode).toBe('INSUFFICIENT_BALANCE');
      const bad = await refused(client.call('Authorize', { holdId: uuidv7(), cardId, amount: '1', saleId: uuidv7(), asset: 'coupons' }, credential));
      expect([bad.code, bad.onecardCode]).toEqual([grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
      expect(bad.details).toMatch(/asset/);
    });

    it('refuses a malformed Authorize naming the field', async () => {
      const e = await refused(client.call('Authorize', { holdId: uuidv7(), cardId: 'c-0001', amount: '-5', saleId: 's' }, credential));
      expect([e.code, e.onecardCode]).toEqual([grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
      expect(e.details).toMatch(/amount/);
      const noCard = await refused(client.call('Authorize', { holdId: uuidv7(), cardId: '', amount: '5', saleId: 's' }, credential));
      expect(noCard.details).toMatch(/card_id/);
    });

    it('refuses malformed Pull, Capture and Void requests as INVALID_ARGUMENT naming the field', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        ['PullChanges', { cursor: '-1', limit: 10 }, /cursor/],
        ['Capture', { holdId: uuidv7(), transfers: [] }, /transfers/],
        ['Void', { holdId: '', transfers: [] }, /hold_id/],
        ['Capture', { holdId: uuidv7(), transfers: [{ id: 'x', kind: 'post_pending', debitAccountId: 'a', creditAccountId: 'b', ledger: 'CNY', amount: '0', code: 'SALE_STORED_VALUE', pendingId: 'p', timestamp: '1', documentId: '' }] }, /amount/],
        ['Void', { holdId: 'h', transfers: [{ id: 'x', kind: 'post_pending', debitAccountId: 'a', creditAccountId: 'b', ledger: 'CNY', amount: '5', code: 'SALE_STORED_VALUE', pendingId: 'h/principal', timestamp: '1', documentId: '' }] }, /kind/],
      ];
      for (const [method, request, field] of cases) {
        const e = await refused(client.call(method, request, credential));
        expect([method, e.code, e.onecardCode]).toEqual([method, grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
        expect(e.details).toMatch(field);
      }
    });

    it("refuses capturing another hold's legs", async () => {
      const holdId = uuidv7();
      const auth = await client.call('Authorize', { holdId, cardId: 'c-0002', amount: '100', saleId: uuidv7() }, credential);
      const leg = transferFromWire(auth.holds[0], TERMINAL);
      const e = await refused(client.call('Capture', { holdId: uuidv7(), transfers: [transferToWire({ ...leg, id: uuidv7(), kind: 'post_pending', pendingId: leg.id })] }, credential));
      expect(e.onecardCode).toBe('VALIDATION_FAILED');
    });
  });

  describe('hold expiry', () => {
    async function authorizeAndExpire(cardId: string, amount: number) {
      const holdId = uuidv7();
      const saleId = uuidv7();
      const auth = await client.call('Authorize', { holdId, cardId, amount: String(amount), saleId }, credential);
      await hq.sql`update holds set expires_at = now() - interval '1 second' where hold_id = ${holdId}`;
      const released = await releaseExpiredHolds(hq.sql, Date.now());
      expect(released).toContain(holdId);
      expect(await releaseExpiredHolds(hq.sql, Date.now())).not.toContain(holdId);
      return { holdId, saleId, leg: transferFromWire(auth.holds[0], TERMINAL) };
    }
    function storedValueSale(saleId: string, cardId: string, leg: Transfer): SaleDocument {
      return {
        ...cashSale(saleId, leg.amount), memberId: memberOf(cardId), cardId,
        tenders: [{ kind: 'stored_value', amountMinor: leg.amount, cardId, legs: [{ accountId: leg.debitAccountId, part: 'principal', amount: leg.amount, holdId: leg.id }] }],
      };
    }

    it('HQ releases an uncaptured hold after it expires; a late sale still takes the money if it is there', async () => {
      const cardId = 'c-0021';
      const before = await balance(cardPrincipalAccountId(cardId));
      const { holdId, saleId, leg } = await authorizeAndExpire(cardId, 1200);
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual(before);
      const [h] = await hq.sql`select state from holds where hold_id = ${holdId}`;
      expect(h!.state).toBe('voided');
      const r = await push([saleEvent(13, storedValueSale(saleId, cardId, leg))]);
      expect(r.results[0].status).toBe('applied');
      expect(await balance(cardPrincipalAccountId(cardId))).toEqual({ posted: before.posted - 1200, held: 0 });
      const [e] = await hq.sql`select reason from events where terminal_id = ${TERMINAL} and seq = 13`;
      expect(e!.reason).toMatch(/expired/);
    });

    it('releasing a hold HQ already expired is applied, not quarantined', async () => {
      const { holdId, saleId, leg } = await authorizeAndExpire('c-0021', 300);
      const voidT = transferToWire({ ...leg, id: uuidv7(), kind: 'void_pending', pendingId: leg.id });
      const r = await push([{ seq: 15, id: uuidv7(), occurredAt: 1, body: { type: 'holds_released', saleId, holdIds: [holdId] }, transfers: [transferFromWire(voidT, TERMINAL)] }]);
      expect(r.results[0]).toMatchObject({ status: 'applied' });
    });

    it('a late sale against an expired hold the balance no longer covers is quarantined, not lost', async () => {
      const cardId = 'c-0023';
      const { posted } = await balance(cardPrincipalAccountId(cardId));
      const { saleId, leg } = await authorizeAndExpire(cardId, posted);
      await client.call('Authorize', { holdId: uuidv7(), cardId, amount: '1', saleId: uuidv7() }, credential);
      const r = await push([saleEvent(14, storedValueSale(saleId, cardId, leg))]);
      expect(r.results[0].status).toBe('quarantined');
      expect(r.results[0].reason).toMatch(/exceeds_credits|pending_transfer_not_found/);
    });
  });

  describe('concurrency', () => {
    it('two concurrent pushes of the same batch apply it exactly once', async () => {
      const cardId = 'c-0002';
      const memberId = memberOf(cardId);
      const before = await balance(memberPointsAccountId(memberId));
      const sale: SaleDocument = { ...cashSale(uuidv7(), 2000), memberId, cardId, pointsEarned: 40 };
      const batch = [saleEvent(1, sale)];
      const [a, b] = await Promise.all([push(batch, credential2), push(batch, credential2)]);
      expect([a.results[0].status, b.results[0].status].sort()).toEqual(['applied', 'duplicate']);
      expect((await balance(memberPointsAccountId(memberId))).posted).toBe(before.posted + 40);
    });

    it('two tills authorizing the same balance at once cannot both have it', async () => {
      const cardId = 'c-0021';
      const available = (await balance(cardPrincipalAccountId(cardId))).posted + (await balance(cardBonusAccountId(cardId))).posted;
      const amount = String(Math.floor(available / 2) + 1);
      const ask = (cred: string) => client.call('Authorize', { holdId: uuidv7(), cardId, amount, saleId: uuidv7() }, cred).then(() => 'held', (e: CallError) => e.onecardCode);
      const outcomes = await Promise.all([ask(credential), ask(credential2), ask(credential), ask(credential2)]);
      expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'INSUFFICIENT_BALANCE')).toHaveLength(3);
    });
  });

  describe('PullChanges and Subscribe', () => {
    it('pages through compacted changes with has_more, balances and the applied seq', async () => {
      const seen = new Map<string, any>();
      let cursor = '0';
      let pages = 0;
      let last: any;
      do {
        last = await client.call('PullChanges', { cursor, limit: 25 }, credential);
        pages++;
        expect(last.changes.length).toBeLessThanOrEqual(25);
        for (const c of last.changes) {
          // Whichever body the change carries, named by its kind and identity.
          const kind = ['member', 'card', 'balance', 'product', 'level', 'setting', 'operator', 'promotion'].find((k) => c[k]);
          const body = c[kind!];
          const key = `${kind!.slice(0, 1)}:${body.id ?? body.accountId ?? body.sku ?? body.code ?? body.key}`;
          expect(seen.has(key)).toBe(false);
          seen.set(key, c);
        }
        if (last.hasMore) expect(last.changes).toHaveLength(25);
        cursor = last.nextCursor;
      } while (last.hasMore);
      expect(pages).toBeGreaterThan(2);
      expect(seen.get('p:SKU-0001').product.price).toBe('300');
      expect(seen.get('l:gold').level.discountRate).toBe('0.95');
      expect(seen.get('c:c-0008').card.status).toBe('frozen');
      const principal = await balance(cardPrincipalAccountId('c-0001'));
      expect(seen.get(`b:${cardPrincipalAccountId('c-0001')}`).balance).toMatchObject({ posted: String(principal.posted), held: String(principal.held) });
      const [t] = await hq.sql`select acked_seq from terminals where id = ${TERMINAL}`;
      expect(last.appliedSeq).toBe(String(t!.acked_seq));
      const empty = await client.call('PullChanges', { cursor, limit: 0 }, credential);
      expect(empty).toMatchObject({ changes: [], hasMore: false, nextCursor: cursor });
    });

    it('pruning superseded feed rows changes no pull result', async () => {
      const pullAll = async () => {
        const state = new Map<string, unknown>();
        let cursor = '0';
        let page: any;
        do {
          page = await client.call('PullChanges', { cursor, limit: 40 }, credential);
          for (const c of page.changes) {
            const { seq: _seq, ...rest } = c;
            state.set(JSON.stringify([c.body, c[c.body]?.id ?? c[c.body]?.accountId ?? c[c.body]?.sku ?? c[c.body]?.code]), rest);
          }
          cursor = page.nextCursor;
        } while (page.hasMore);
        return state;
      };
      const before = await pullAll();
      expect(await pruneChangeLog(hq.sql)).toBeGreaterThan(0);
      expect(await pullAll()).toEqual(before);
      expect(await pruneChangeLog(hq.sql)).toBe(0);
    });

    it('nudges a subscribed terminal when something changes', async () => {
      const stream = client.subscribe(credential);
      const nudges: number[] = [];
      let wake: (() => void) | null = null;
      stream.on('data', (n: { latestSeq: string }) => {
        nudges.push(Number(n.latestSeq));
        wake?.();
      });
      stream.on('error', () => {});
      const next = async (count: number) => {
        while (nudges.length < count) await new Promise<void>((resolve) => (wake = resolve));
      };
      await next(1);
      const start = nudges[0]!;
      await push([saleEvent(12, cashSale(uuidv7(), 100))]);
      // A cash sale touches no member balance and a hold feeds nothing: a hold released does.
      const holdId = uuidv7();
      const held = await client.call('Authorize', { holdId, cardId: 'c-0002', amount: '100', saleId: uuidv7() }, credential);
      const voids = (held.holds as Array<Parameters<typeof transferFromWire>[0]>).map((h) => {
        const hold = transferFromWire(h, TERMINAL);
        return transferToWire({ ...hold, id: uuidv7(), kind: 'void_pending', pendingId: hold.id });
      });
      await client.call('Void', { holdId, transfers: voids }, credential);
      await next(2);
      expect(nudges[1]!).toBeGreaterThan(start);
      stream.cancel();
    });

    it('after everything above, every ledger still balances and no member account is below zero', async () => {
      const rows = await hq.sql`
        select ledger, sum(debits_posted)::bigint as dp, sum(credits_posted)::bigint as cp
        from accounts group by ledger order by ledger`;
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const r of rows) expect([r.ledger, r.dp]).toEqual([r.ledger, r.cp]);
      const [negative] = await hq.sql`select count(*)::int as n from accounts where debits_must_not_exceed_credits and debits_posted + debits_pending > credits_posted`;
      expect(negative!.n).toBe(0);
      // Cached balances are what the transfers say.
      const [drift] = await hq.sql`
        select count(*)::int as n from accounts a
        where a.debits_posted <> coalesce((select sum(amount) from transfers t where t.debit_account_id = a.id and (t.kind in ('single', 'post_pending'))), 0)
           or a.credits_posted <> coalesce((select sum(amount) from transfers t where t.credit_account_id = a.id and (t.kind in ('single', 'post_pending'))), 0)
           or a.debits_pending <> coalesce((select sum(amount) from transfers t where t.debit_account_id = a.id and t.kind = 'pending' and t.pending_state = 'pending' and a.debits_must_not_exceed_credits), 0)
           or a.credits_pending <> coalesce((select sum(amount) from transfers t where t.credit_account_id = a.id and t.kind = 'pending' and t.pending_state = 'pending' and a.debits_must_not_exceed_credits), 0)`;
      expect(drift!.n).toBe(0);
      // Pending totals are cached on limited accounts only; holds are still open, so the member side has some.
      const [held] = await hq.sql`select coalesce(sum(debits_pending), 0)::bigint as n from accounts where debits_must_not_exceed_credits`;
      expect(held!.n).toBeGreaterThan(0);
    });

    it('reports SERVING on the standard health service', async () => {
      expect(await client.health('')).toBe('SERVING');
      expect(await client.health('onecard.sync.v1.TerminalSync')).toBe('SERVING');
    });
  });
});
