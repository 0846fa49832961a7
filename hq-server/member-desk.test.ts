import * as grpc from '@grpc/grpc-js';
import { verify as argon2Verify } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import { changeFromWire } from '../protocols/sync/v1/codec';
import { demoChain } from '../fixtures/data/demo-chain';
import { auditLedger, Scenario, type Till } from './testing/scenario';
import { startTestHq } from './testing/hq';
import { createTestSyncClient, type CallError, type TestSyncClient } from './testing/sync-client';

/**
 * The member desk at HQ: the terminal RPCs (RegisterMember, IssueCard, ChangeCardStatus,
 * TransferBalance), the same operations and manual adjustments in REST, chain settings, and how
 * each refuses bad input with a stable code while changing nothing.
 */

describe('member desk', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  let client: TestSyncClient;
  let s: Scenario;
  let till: Till;
  let enrolled: Record<string, string>;
  let admin: string;
  let finance: string;

  beforeAll(async () => {
    hq = await startTestHq(demoChain);
    client = createTestSyncClient(hq.grpcAddress);
    s = new Scenario(hq.sql, client);
    enrolled = await client.call('Enroll', { enrollmentCode: await hq.enrollmentCode('t-sh-01-1'), deviceName: 'desk' });
    till = { terminalId: 't-sh-01-1', storeId: 'store-sh-01', credential: enrolled.credential!, seq: 0 };
    admin = await signIn('admin');
    finance = await signIn('finance');
  });
  afterAll(async () => {
    client?.close();
    await hq?.stop();
  });

  async function rest(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(hq.httpUrl + path, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async function signIn(login: string): Promise<string> {
    return (await rest('POST', '/api/v1/sessions', undefined, { login, password: 'onecard-demo' })).body.token;
  }
  async function refused(p: Promise<unknown>): Promise<CallError> {
    try {
      await p;
    } catch (e) {
      return e as CallError;
    }
    throw new Error('the call was expected to fail');
  }
  const desk = (method: string, request: Record<string, unknown>) => client.call(method, request, till.credential);
  const card = (cardNo: string, extra: Record<string, unknown> = {}) => ({ cardNo, medium: 'mifare', pin: '', expiresOn: '', ...extra });
  /** Everything a refused call could have changed. */
  const snapshot = async () => ({
    members: (await hq.sql`select count(*)::int as n from members`)[0]!.n,
    cards: await hq.sql`select id, status from cards order by id`,
    accounts: await hq.sql`select id, debits_posted, credits_posted, debits_pending from accounts order by id`,
    adjustments: await hq.sql`select id, state from adjustments order by id`,
    settings: await hq.sql`select key, value from settings order by key`,
  });

  it('Enroll tells the terminal its store’s time zone', () => {
    expect(enrolled.timeZone).toBe('Asia/Shanghai');
  });

  describe('RegisterMember and IssueCard', () => {
    it('registers a member with a first card and a PIN kept only as an argon2id hash; a retry answers the same', async () => {
      const requestId = uuidv7();
      const request = { requestId, name: '赵敏', phone: '13600000001', birthday: '1995-05-20', card: card('AB12CD34', { pin: '246810' }) };
      const r = await desk('RegisterMember', request);
      expect(r.member).toMatchObject({ name: '赵敏', phone: '13600000001', birthday: '1995-05-20', levelCode: 'regular', homeStoreId: 'store-sh-01' });
      expect(r.cards).toHaveLength(1);
      expect(r.cards[0]).toMatchObject({ cardNo: 'AB12CD34', medium: 'mifare', status: 'active' });
      expect(r.cards[0].pinHash).toMatch(/^\$argon2id\$/);
      expect(await argon2Verify(r.cards[0].pinHash, '246810')).toBe(true);
      expect(r.balances.map((b: { accountId: string; posted: string }) => [b.accountId, b.posted]).sort()).toEqual(
        [[cardBonusAccountId(r.cards[0].id), '0'], [cardPrincipalAccountId(r.cards[0].id), '0'], [memberPointsAccountId(r.member.id), '0']].sort(),
      );
      const again = await desk('RegisterMember', request);
      expect(again).toEqual(r);
      expect((await hq.sql`select count(*)::int as n from members where phone = '13600000001'`)[0]!.n).toBe(1);
      // The same request id with other details is a conflict.
      const e = await refused(desk('RegisterMember', { ...request, name: '赵敏敏' }));
      expect(e.onecardCode).toBe('CONFLICT');
      const [audit] = await hq.sql`select terminal_id, action, details from audit_log where action = 'member.registered' and details->>'memberId' = ${r.member.id}`;
      expect(audit).toMatchObject({ terminal_id: 't-sh-01-1' });

      // The new member and card reach terminals through the feed, the card with its PIN hash.
      const pulled = await client.call('PullChanges', { cursor: '0', limit: 2000 }, till.credential);
      const changes = pulled.changes.map(changeFromWire);
      const cardChange = changes.find((c: { body: { type: string; card?: { id: string } } }) => c.body.type === 'card' && c.body.card?.id === r.cards[0].id);
      expect(cardChange?.body).toMatchObject({ type: 'card', card: { cardNo: 'AB12CD34', pinHash: r.cards[0].pinHash } });
      expect(changes.some((c: { body: { type: string; member?: { id: string } } }) => c.body.type === 'member' && c.body.member?.id === r.member.id)).toBe(true);
      // Settings are in the feed too, each parsed by the terminal's own schema.
      expect(changes.filter((c: { body: { type: string } }) => c.body.type === 'setting').length).toBeGreaterThanOrEqual(10);
    });

    it('refuses a card number already issued, an unknown member, bad PINs, dates and media, changing nothing', async () => {
      const before = await snapshot();
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['IssueCard', { requestId: uuidv7(), memberId: 'm-0001', ...card('8F3A21C4') }, 'CONFLICT'],
        ['IssueCard', { requestId: uuidv7(), memberId: 'no-such-member', ...card('NEWCARD1') }, 'NOT_FOUND'],
        ['IssueCard', { requestId: uuidv7(), memberId: 'm-0001', ...card('NEWCARD2', { pin: '12' }) }, 'VALIDATION_FAILED'],
        ['IssueCard', { requestId: uuidv7(), memberId: 'm-0001', ...card('NEWCARD3', { expiresOn: '2026-02-30' }) }, 'VALIDATION_FAILED'],
        ['IssueCard', { requestId: uuidv7(), memberId: 'm-0001', ...card('NEWCARD4', { expiresOn: '2001-01-01' }) }, 'VALIDATION_FAILED'],
        ['IssueCard', { requestId: uuidv7(), memberId: 'm-0001', ...card('NEWCARD5', { medium: 'floppy' }) }, 'VALIDATION_FAILED'],
        ['IssueCard', { requestId: '', memberId: 'm-0001', ...card('NEWCARD6') }, 'VALIDATION_FAILED'],
        ['RegisterMember', { requestId: uuidv7(), name: '', phone: '13600000002', birthday: '', card: null }, 'VALIDATION_FAILED'],
        ['RegisterMember', { requestId: uuidv7(), name: '某人', phone: 'call me', birthday: '', card: null }, 'VALIDATION_FAILED'],
        ['RegisterMember', { requestId: uuidv7(), name: '某人', phone: '13600000003', birthday: '', card: card('5B7E0D92') }, 'CONFLICT'],
      ];
      for (const [method, request, code] of cases) {
        const e = await refused(desk(method, request));
        expect([method, request, e.onecardCode]).toEqual([method, request, code]);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('issues a second card to a member', async () => {
      const r = await desk('IssueCard', { requestId: uuidv7(), memberId: 'm-0004', ...card('8888000100009999', { medium: 'barcode', expiresOn: '2030-12-31' }) });
      expect(r.cards.map((c: { cardNo: string }) => c.cardNo)).toEqual(['8888000100000022', '8888000100009999']);
    });
  });

  describe('ChangeCardStatus', () => {
    it('freeze stops Authorize with CARD_FROZEN, unfreeze lets it pay again; a frozen card cannot be frozen twice', async () => {
      const who = await s.newMember(till);
      await s.topUp(till, who, 5_000, 0);
      const frozen = await desk('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'freeze', reason: 'member asked', operatorId: 'op-sh-01-cashier-1' });
      expect(frozen.cards[0].status).toBe('frozen');
      const e = await refused(s.authorize(till, who.cardId, 100, uuidv7()));
      expect([e.code, e.onecardCode]).toEqual([grpc.status.FAILED_PRECONDITION, 'CARD_FROZEN']);
      const twice = await refused(desk('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'freeze', reason: '', operatorId: '' }));
      expect(twice.onecardCode).toBe('CARD_STATUS_CHANGE_NOT_ALLOWED');
      const [audit] = await hq.sql`select operator_id, terminal_id, details from audit_log where action = 'card.freeze' and details->>'cardId' = ${who.cardId}`;
      expect(audit).toMatchObject({ operator_id: 'op-sh-01-cashier-1', terminal_id: 't-sh-01-1', details: { before: { status: 'active' }, after: { status: 'frozen' }, reason: 'member asked' } });
      await desk('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'unfreeze', reason: '', operatorId: '' });
      await s.authorize(till, who.cardId, 100, uuidv7());
    });

    it('replacing a lost card issues a new one, marks the old replaced and moves principal and bonus apart', async () => {
      const who = await s.newMember(till);
      await s.topUp(till, who, 20_000, 3_000);
      await desk('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'report_lost', reason: 'lost on the metro', operatorId: '' });
      const r = await desk('ChangeCardStatus', { requestId: uuidv7(), cardId: who.cardId, action: 'replace', reason: 'replacement', operatorId: '', newCard: card(`R${Date.now()}`) });
      const fresh = r.cards.find((c: { id: string }) => c.id !== who.cardId);
      expect(r.cards.find((c: { id: string }) => c.id === who.cardId).status).toBe('replaced');
      expect(fresh.status).toBe('active');
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 0, points: 0 });
      expect(await s.wallet({ memberId: who.memberId, cardId: fresh.id })).toEqual({ principal: 20_000, bonus: 3_000, points: 0 });
      const e = await refused(s.authorize(till, who.cardId, 100, uuidv7()));
      expect(e.onecardCode).toBe('CARD_INACTIVE');
      // A replacement needs the new card.
      const none = await refused(desk('ChangeCardStatus', { requestId: uuidv7(), cardId: fresh.id, action: 'replace', reason: '', operatorId: '' }));
      expect(none.onecardCode).toBe('VALIDATION_FAILED');
    });
  });

  describe('TransferBalance', () => {
    it('moves an amount principal-first between two cards of one member, or everything with 0, principal and bonus apart', async () => {
      const who = await s.newMember(till);
      await s.topUp(till, who, 10_000, 2_000);
      const second = await desk('IssueCard', { requestId: uuidv7(), memberId: who.memberId, ...card(`S${Date.now()}`) });
      const to = second.cards.find((c: { id: string }) => c.id !== who.cardId).id as string;
      await desk('TransferBalance', { requestId: uuidv7(), fromCardId: who.cardId, toCardId: to, amount: '10500' });
      expect(await s.wallet(who)).toEqual({ principal: 0, bonus: 1_500, points: 0 });
      expect(await s.wallet({ memberId: who.memberId, cardId: to })).toEqual({ principal: 10_000, bonus: 500, points: 0 });
      await desk('TransferBalance', { requestId: uuidv7(), fromCardId: who.cardId, toCardId: to, amount: '0' });
      expect(await s.wallet({ memberId: who.memberId, cardId: to })).toEqual({ principal: 10_000, bonus: 2_000, points: 0 });
    });

    it('refuses other members’ cards, negative or excessive amounts and a frozen card, changing nothing', async () => {
      const a = await s.newMember(till);
      const b = await s.newMember(till);
      await s.topUp(till, a, 1_000, 0);
      const before = await snapshot();
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ fromCardId: a.cardId, toCardId: b.cardId, amount: '100' }, 'VALIDATION_FAILED'],
        [{ fromCardId: a.cardId, toCardId: a.cardId, amount: '100' }, 'VALIDATION_FAILED'],
        [{ fromCardId: a.cardId, toCardId: 'c-0002', amount: '-100' }, 'VALIDATION_FAILED'],
        [{ fromCardId: a.cardId, toCardId: 'c-0002', amount: '1.5' }, 'VALIDATION_FAILED'],
        [{ fromCardId: 'no-such-card', toCardId: a.cardId, amount: '1' }, 'UNKNOWN_CARD'],
      ];
      for (const [request, code] of cases) {
        const e = await refused(desk('TransferBalance', { requestId: uuidv7(), ...request }));
        expect([request, e.onecardCode]).toEqual([request, code]);
      }
      const second = await desk('IssueCard', { requestId: uuidv7(), memberId: a.memberId, ...card(`X${Date.now()}`) });
      const to = second.cards.find((c: { id: string }) => c.id !== a.cardId).id as string;
      const mid = await snapshot();
      expect((await refused(desk('TransferBalance', { requestId: uuidv7(), fromCardId: a.cardId, toCardId: to, amount: '1001' }))).onecardCode).toBe('INSUFFICIENT_BALANCE');
      await desk('ChangeCardStatus', { requestId: uuidv7(), cardId: to, action: 'freeze', reason: '', operatorId: '' });
      const frozen = await snapshot();
      expect((await refused(desk('TransferBalance', { requestId: uuidv7(), fromCardId: a.cardId, toCardId: to, amount: '100' }))).onecardCode).toBe('CARD_FROZEN');
      expect(await snapshot()).toEqual(frozen);
      expect(mid.members).toBe(before.members);
    });
  });

  describe('REST for HQ staff', () => {
    it('registers a member, freezes a card and moves balance as the signed-in operator, within their part of the chain', async () => {
      const r = await rest('POST', '/api/v1/members', admin, { name: '孙丽', phone: '13600000009', homeStoreId: 'store-gz-01', card: { cardNo: 'REST0001', medium: 'virtual' } });
      expect(r.status).toBe(201);
      expect(r.body.member.homeStoreId).toBe('store-gz-01');
      const cardId = r.body.cards[0].id;
      // The east region's manager cannot touch a Guangzhou member.
      const east = await signIn('east.manager');
      const other = await rest('POST', `/api/v1/cards/${cardId}/status`, east, { action: 'freeze' });
      expect([other.status, other.body.error.code]).toEqual([403, 'FORBIDDEN']);
      const gz = await signIn('gz01.manager');
      const frozen = await rest('POST', `/api/v1/cards/${cardId}/status`, gz, { action: 'freeze', reason: '会员挂失前冻结' });
      expect([frozen.status, frozen.body.cards[0].status]).toEqual([200, 'frozen']);
      const cashier = await signIn('gz01.cashier1');
      expect((await rest('POST', '/api/v1/members', cashier, { name: 'x', phone: '13600000010', homeStoreId: 'store-gz-01' })).status).toBe(403);
    });

    it('rejects non-integer, zero and negative amounts in JSON with VALIDATION_FAILED', async () => {
      const before = await snapshot();
      for (const amountMinor of [12.5, -1, '100']) {
        const r = await rest('POST', '/api/v1/balance-transfers', admin, { fromCardId: 'c-0001', toCardId: 'c-0002', amountMinor });
        expect([amountMinor, r.status, r.body.error.code]).toEqual([amountMinor, 400, 'VALIDATION_FAILED']);
      }
      for (const amount of [0, 0.01, 10.5]) {
        const r = await rest('POST', '/api/v1/adjustments', admin, { asset: 'points', memberId: 'm-0001', amount, reason: 'test' });
        expect([amount, r.status, r.body.error.code]).toEqual([amount, 400, 'VALIDATION_FAILED']);
      }
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('manual adjustments with a second approver', () => {
    it('posts nothing until another operator with member.adjust approves; the asker approving is refused with 403', async () => {
      const who = await s.newMember(till);
      await s.topUp(till, who, 10_000, 0);
      const asked = await rest('POST', '/api/v1/adjustments', admin, { asset: 'stored_value', memberId: who.memberId, cardId: who.cardId, part: 'principal', amount: 2_345, reason: '收银少找零，补偿会员' });
      expect(asked.status).toBe(201);
      expect(asked.body).toMatchObject({ state: 'pending', amount: 2_345, requestedBy: 'op-admin' });
      expect((await s.wallet(who)).principal).toBe(10_000);
      const before = await snapshot();
      const self = await rest('POST', `/api/v1/adjustments/${asked.body.id}/approve`, admin);
      expect([self.status, self.body.error.code]).toEqual([403, 'FORBIDDEN']);
      const noRight = await rest('POST', `/api/v1/adjustments/${asked.body.id}/approve`, await signIn('east.manager'));
      expect(noRight.status).toBe(403);
      expect(await snapshot()).toEqual(before);
      const ok = await rest('POST', `/api/v1/adjustments/${asked.body.id}/approve`, finance);
      expect(ok.body).toMatchObject({ state: 'approved', approvedBy: 'op-finance', transferId: `adjustment:${asked.body.id}` });
      expect((await s.wallet(who)).principal).toBe(12_345);
      const [t] = await hq.sql`select code, debit_account_id from transfers where id = ${`adjustment:${asked.body.id}`}`;
      expect(t).toMatchObject({ code: 'STORED_VALUE_ADJUSTED', debit_account_id: 'chain:adjustments:CNY' });
      expect((await rest('POST', `/api/v1/adjustments/${asked.body.id}/approve`, finance)).body.error.code).toBe('CONFLICT');

      // Points down by more than the member has: the approval is refused and nothing moves.
      const down = await rest('POST', '/api/v1/adjustments', finance, { asset: 'points', memberId: who.memberId, amount: -5, reason: '误积分' });
      const refusedApproval = await rest('POST', `/api/v1/adjustments/${down.body.id}/approve`, admin);
      expect([refusedApproval.status, refusedApproval.body.error.code]).toEqual([422, 'INSUFFICIENT_BALANCE']);
      expect((await rest('GET', '/api/v1/adjustments?state=pending', admin)).body.adjustments.map((a: { id: string }) => a.id)).toContain(down.body.id);
    });
  });

  describe('settings', () => {
    it('validates a change with the shared schema, records it in the feed and the audit log', async () => {
      const bad = await rest('PUT', '/api/v1/settings/pointsTender', admin, { value: { pointsPerUnit: 0, unitValueMinor: 100, maxShareOfSale: '0.5' } });
      expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect((await rest('PUT', '/api/v1/settings/noSuchKey', admin, { value: 1 })).status).toBe(404);
      expect((await rest('PUT', '/api/v1/settings/spendingOrder', await signIn('east.manager'), { value: 'bonus_first' })).status).toBe(403);
      const [{ seq }] = (await hq.sql`select coalesce(max(seq), 0)::bigint as seq from change_log`) as unknown as [{ seq: number }];
      const ok = await rest('PUT', '/api/v1/settings/pointsTender', admin, { value: { pointsPerUnit: 50, unitValueMinor: 100, maxShareOfSale: '0.3' } });
      expect(ok.status).toBe(200);
      expect((await rest('GET', '/api/v1/settings/pointsTender', finance)).body).toEqual({ key: 'pointsTender', value: { pointsPerUnit: 50, unitValueMinor: 100, maxShareOfSale: '0.3' } });
      const pulled = await client.call('PullChanges', { cursor: String(seq), limit: 100 }, till.credential);
      expect(pulled.changes.map(changeFromWire).map((c: { body: unknown }) => c.body)).toContainEqual({ type: 'setting', key: 'pointsTender', value: { pointsPerUnit: 50, unitValueMinor: 100, maxShareOfSale: '0.3' } });
      const [audit] = await hq.sql`select operator_id, details from audit_log where action = 'setting.changed' order by id desc limit 1`;
      expect(audit).toMatchObject({ operator_id: 'op-admin', details: { key: 'pointsTender', before: { pointsPerUnit: 100 } } });
    });
  });

  it('after everything above, every ledger balances and no member account is below zero', async () => {
    expect(await auditLedger(hq.sql)).toEqual({ unbalancedLedgers: [], negativeMembers: [], cacheMismatches: [] });
  });
});
