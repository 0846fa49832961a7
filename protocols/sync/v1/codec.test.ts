import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { promotion } from '../../../core/pricing/builders';
import { DEFAULT_CHAIN_SETTINGS } from '../../../core/settings';
import { changeFromWire, changeToWire, eventFromWire, eventToWire, type SyncChange, type SyncEvent } from './codec';
import { parseSetting } from './settings-schema';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from './proto-path';

const service = loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)['onecard.sync.v1.TerminalSync'] as Record<string, { requestSerialize: (m: unknown) => Buffer; requestDeserialize: (b: Buffer) => unknown; responseSerialize: (m: unknown) => Buffer; responseDeserialize: (b: Buffer) => any }>;

/** Through real protobuf bytes, as a peer would send them. */
function overTheWire(events: SyncEvent[]): unknown[] {
  const push = service.PushEvents!;
  const decoded = push.requestDeserialize(push.requestSerialize({ events: events.map(eventToWire) })) as { events: unknown[] };
  return decoded.events;
}

const sale: SyncEvent = {
  seq: 7,
  id: '01931234-5678-7abc-8def-0123456789ab',
  occurredAt: 1_763_800_000_000,
  body: {
    type: 'sale',
    sale: {
      id: 'sale-1', storeId: 'store-sh-01', terminalId: 't-1', currency: 'CNY', memberId: 'm-0001', cardId: 'c-0001',
      lines: [{ lineNo: 1, sku: 'SKU-0001', barcode: '6901234567892', name: '绿茶 Green tea', quantity: 3, unitPriceMinor: 350, amountMinor: 1050, eligibleForMemberBenefits: true }],
      totalMinor: 1050,
      tenders: [
        { kind: 'stored_value', amountMinor: 1000, cardId: 'c-0001', legs: [{ accountId: 'card:c-0001:principal', part: 'principal', amount: 1000, holdId: 'h-1' }] },
        { kind: 'cash', amountMinor: 50, tenderedMinor: 100, changeMinor: 50 },
      ],
      pointsEarned: 10,
      completedAt: 1_763_800_000_000,
    },
  },
  transfers: [
    { id: 'x-1', kind: 'post_pending', debitAccountId: 'card:c-0001:principal', creditAccountId: 'store:store-sh-01:sales', ledger: 'CNY', amount: 1000, code: 'SALE_STORED_VALUE', pendingId: 'h-1', timestamp: 1_763_800_000_000, originTerminalId: 't-1', documentId: 'sale-1' },
  ],
};

describe('sync codec', () => {
  it('a sale event survives protobuf encoding unchanged, bound to the sending terminal', () => {
    const [wire] = overTheWire([sale]);
    expect(eventFromWire(wire, 't-1')).toEqual(sale);
  });

  it('a top-up event and a holds-released event round-trip', () => {
    const topUp: SyncEvent = { seq: 8, id: 'e-8', occurredAt: 5, body: { type: 'top_up', topUp: { id: 'tu', storeId: 's', terminalId: 't-1', currency: 'CNY', memberId: 'm', cardId: 'c', tender: 'cash', principalMinor: 100_000, bonusMinor: 15_000, completedAt: 5 } }, transfers: [] };
    const released: SyncEvent = { seq: 9, id: 'e-9', occurredAt: 6, body: { type: 'holds_released', saleId: 's1', holdIds: ['h1', 'h2'] }, transfers: [] };
    const wire = overTheWire([topUp, released]);
    expect(eventFromWire(wire[0], 't-1')).toEqual(topUp);
    expect(eventFromWire(wire[1], 't-1')).toEqual(released);
  });

  it('refuses malformed events with a reason naming the field', () => {
    const wire = overTheWire([sale])[0] as Record<string, any>;
    expect(() => eventFromWire({ ...wire, seq: '0' }, 't')).toThrow(/seq/);
    expect(() => eventFromWire({ ...wire, sale: null }, 't')).toThrow(/exactly one body/);
    expect(() => eventFromWire({ ...wire, transfers: [{ ...wire.transfers[0], amount: '-5' }] }, 't')).toThrow(/transfer 0.*amount/);
    expect(() => eventFromWire({ ...wire, transfers: [{ ...wire.transfers[0], amount: '9007199254740993' }] }, 't')).toThrow(/out of range/);
    expect(() => eventFromWire({ ...wire, transfers: [{ ...wire.transfers[0], code: 'FREE_MONEY' }] }, 't')).toThrow(/code/);
    expect(() => eventFromWire('garbage', 't')).toThrow(/invalid event/);
  });

  it('master-data changes round-trip through protobuf', () => {
    const pull = service.PullChanges!;
    const changes = [
      { seq: 1, deleted: false, body: { type: 'card' as const, card: { id: 'c', memberId: 'm', cardNo: '04A1B2C3', medium: 'mifare' as const, status: 'frozen' as const, expiresOn: null, pinHash: null } } },
      { seq: 2, deleted: false, body: { type: 'balance' as const, balance: { accountId: 'card:c:principal', ledger: 'CNY', posted: 12_345, held: 100 } } },
      { seq: 3, deleted: false, body: { type: 'level' as const, level: { code: 'gold', name: 'Gold', rank: 2, discountRate: '0.95', pointsMultiplier: '1.5', offlineLimitMinor: 100_000 } } },
    ];
    const decoded = pull.responseDeserialize(pull.responseSerialize({ changes: changes.map(changeToWire), nextCursor: '3', hasMore: false, appliedSeq: '0' }));
    expect(decoded.changes.map(changeFromWire)).toEqual(changes);
  });

  it('a refund, a gift redemption and a sale paid with points round-trip', () => {
    const refund: SyncEvent = {
      seq: 10, id: 'e-10', occurredAt: 7,
      body: { type: 'refund', refund: {
        id: 'r-1', saleId: 'sale-1', storeId: 'store-sh-01', terminalId: 't-1', currency: 'CNY', memberId: 'm-0001',
        lines: [{ lineNo: 1, quantity: 1, amountMinor: 350, eligibleForMemberBenefits: true }], totalMinor: 350,
        tenders: [
          { tenderIndex: 0, kind: 'stored_value', amountMinor: 300, legs: [{ accountId: 'card:c-0001:principal', part: 'principal', amount: 300 }], points: 0 },
          { tenderIndex: 1, kind: 'points', amountMinor: 50, legs: [], points: 50 },
        ],
        pointsReversed: 3, completedAt: 7, withReceipt: false,
      } },
      transfers: [],
    };
    const gift: SyncEvent = { seq: 11, id: 'e-11', occurredAt: 8, body: { type: 'gift_redemption', gift: { id: 'g-1', memberId: 'm-0001', storeId: 'store-sh-01', terminalId: 't-1', giftSku: 'GIFT-MUG', quantity: 1, points: 2_000, completedAt: 8 } }, transfers: [] };
    const withPoints: SyncEvent = { ...sale, seq: 12, body: { type: 'sale', sale: { ...(sale.body as { sale: any }).sale, tenders: [
      { kind: 'points', amountMinor: 50, points: 5_000, holdId: 'h-p' },
      { kind: 'cash', amountMinor: 1_000, tenderedMinor: 1_000, changeMinor: 0 },
    ] } } };
    const topUpRefund: SyncEvent = {
      seq: 13, id: 'e-13', occurredAt: 9,
      body: { type: 'top_up_refund', topUpRefund: { id: 'tr-1', topUpId: 'tu-1', storeId: 'store-sh-01', terminalId: 't-1', currency: 'CNY', memberId: 'm-0001', cardId: 'c-0001', tender: 'cash', principalMinor: 95_000, bonusClawedBackMinor: 10_000, principalHoldId: 'h-p', bonusHoldId: 'h-b', completedAt: 9 } },
      transfers: [
        { id: 'x-p', kind: 'post_pending', debitAccountId: 'card:c-0001:principal', creditAccountId: 'store:store-sh-01:cash', ledger: 'CNY', amount: 95_000, code: 'TOPUP_REFUND', pendingId: 'h-p', timestamp: 9, originTerminalId: 't-1', documentId: 'tr-1' },
        { id: 'x-b', kind: 'post_pending', debitAccountId: 'card:c-0001:bonus', creditAccountId: 'chain:topup_bonus:CNY', ledger: 'CNY', amount: 10_000, code: 'TOPUP_BONUS_CLAWBACK', pendingId: 'h-b', timestamp: 9, originTerminalId: 't-1', documentId: 'tr-1' },
      ],
    };
    const dayClose: SyncEvent = {
      seq: 14, id: 'e-14', occurredAt: 10,
      body: { type: 'day_close', dayClose: { id: 'dc-1', storeId: 'store-sh-01', terminalId: 't-1', businessDate: '2026-11-22', tenders: [{ kind: 'cash', salesMinor: 123_400, refundsMinor: 1_000 }, { kind: 'stored_value', salesMinor: 50_000, refundsMinor: 0 }], saleCount: 42, refundCount: 1, topUpTotalMinor: 100_000, firstSeq: 1, lastSeq: 13, eventsChain: 'ab'.repeat(32), closedAt: 10 } },
      transfers: [],
    };
    const wire = overTheWire([refund, gift, withPoints, topUpRefund, dayClose]);
    expect(eventFromWire(wire[4], 't-1')).toEqual(dayClose);
    expect(eventFromWire(wire[3], 't-1')).toEqual(topUpRefund);
    expect(eventFromWire(wire[0], 't-1')).toEqual(refund);
    expect(eventFromWire(wire[1], 't-1')).toEqual(gift);
    expect(eventFromWire(wire[2], 't-1')).toEqual(withPoints);
  });

  it('settings travel as validated JSON; a malformed setting is refused with the field named', () => {
    const pull = service.PullChanges!;
    const changes: SyncChange[] = [
      { seq: 4, deleted: false, body: { type: 'setting', key: 'topUpBonusTiers', value: DEFAULT_CHAIN_SETTINGS.topUpBonusTiers } },
      { seq: 5, deleted: false, body: { type: 'setting', key: 'pointsEarn', value: DEFAULT_CHAIN_SETTINGS.pointsEarn } },
      { seq: 6, deleted: false, body: { type: 'card', card: { id: 'c', memberId: 'm', cardNo: '04A1B2C3', medium: 'mifare', status: 'active', expiresOn: null, pinHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def' } } },
      { seq: 7, deleted: false, body: { type: 'operator', operator: { id: 'op-1', name: '李娜', login: 'sh01.cashier1', pinHash: '$argon2id$x', cardNo: null, permissions: ['sale.create'], locked: false } } },
    ];
    const decoded = pull.responseDeserialize(pull.responseSerialize({ changes: changes.map(changeToWire), nextCursor: '6', hasMore: false, appliedSeq: '0' }));
    expect(decoded.changes.map(changeFromWire)).toEqual(changes);
    expect(() => parseSetting('topUpBonusTiers', '[{"minPrincipalMinor": 1.5, "bonusMinor": 1}]')).toThrow(/topUpBonusTiers": 0\.minPrincipalMinor/);
    expect(() => parseSetting('noSuchSetting', '1')).toThrow(/unknown setting/);
    expect(() => changeFromWire({ seq: '7', deleted: false, setting: { key: 'spendingOrder', valueJson: '"newest_first"' } })).toThrow(/seq 7.*spendingOrder/);
  });

  it('promotions travel as validated JSON', () => {
    const pull = service.PullChanges!;
    const spend200 = promotion('spend200', { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor: 20000, offMinor: 3000 }], repeat: false, capMinor: null }, { orgNodeId: 'region-east' });
    const changes: SyncChange[] = [{ seq: 8, deleted: false, body: { type: 'promotion', promotion: spend200 } }];
    const decoded = pull.responseDeserialize(pull.responseSerialize({ changes: changes.map(changeToWire), nextCursor: '8', hasMore: false, appliedSeq: '0' }));
    expect(decoded.changes.map(changeFromWire)).toEqual(changes);
    expect(() => changeFromWire({ seq: '9', deleted: false, promotion: { id: 'x', json: '{"id":"x"}' } })).toThrow(/seq 9: promotion x/);
    expect(() => changeFromWire({ seq: '9', deleted: false, promotion: { id: 'y', json: JSON.stringify(spend200) } })).toThrow(/≠ y/);
  });

  it("a promotion carries the receiving terminal's budget allotment", () => {
    const pull = service.PullChanges!;
    const limited = promotion('limited', { type: 'limitedQuantitySpecial', items: [{ sku: 'cola', priceMinor: 100 }] }, { budget: { kind: 'quantity', total: 500 } });
    const changes: SyncChange[] = [{ seq: 10, deleted: false, body: { type: 'promotion', promotion: limited, allotment: 40 } }];
    const decoded = pull.responseDeserialize(pull.responseSerialize({ changes: changes.map(changeToWire), nextCursor: '10', hasMore: false, appliedSeq: '0' }));
    expect(decoded.changes.map(changeFromWire)).toEqual(changes);
  });

  it('a sale carries its promotion shares per line and what it drew on each promotion', () => {
    const base = sale.body as Extract<SyncEvent['body'], { type: 'sale' }>;
    const line = base.sale.lines[0]!;
    const priced: SyncEvent = {
      ...sale,
      body: {
        type: 'sale',
        sale: {
          ...base.sale,
          lines: [{ ...line, promotions: [{ promotionId: 'gold', discountMinor: 50 }] }, ...base.sale.lines.slice(1)],
          promotionUses: [
            { promotionId: 'gold', memberUses: 0, budgetKind: null, budgetDrawn: 0, discountMinor: 50 },
            { promotionId: 'limited', memberUses: 2, budgetKind: 'quantity', budgetDrawn: 2, discountMinor: 0 },
          ],
        },
      },
    };
    const [wire] = overTheWire([priced]);
    expect(eventFromWire(wire, 't-1')).toEqual(priced);
    const withCoupons: SyncEvent = { ...priced, body: { type: 'sale', sale: { ...(priced.body as typeof base).sale, couponsUsed: ['K7QM3XPA9RTD'] } } };
    expect(eventFromWire(overTheWire([withCoupons])[0], 't-1')).toEqual(withCoupons);
  });

  it('coupon codes travel in the feed: a member wallet code and a bearer code', () => {
    const pull = service.PullChanges!;
    const changes: SyncChange[] = [
      { seq: 11, deleted: false, body: { type: 'coupon', coupon: { code: 'K7QM3XPA9RTD', promotionId: 'c10', memberId: 'm-0001', validTo: '2026-12-31' } } },
      { seq: 12, deleted: true, body: { type: 'coupon', coupon: { code: 'Q2W3E4R5T6Y7', promotionId: 'c10', memberId: null, validTo: null } } },
    ];
    const decoded = pull.responseDeserialize(pull.responseSerialize({ changes: changes.map(changeToWire), nextCursor: '12', hasMore: false, appliedSeq: '0' }));
    expect(decoded.changes.map(changeFromWire)).toEqual(changes);
  });
});
