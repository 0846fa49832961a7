import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import type { TopUpDocument, TopUpRefundDocument } from '../../../core/top-up';
import { saleLookupFromWire, saleLookupToWire, topUpLookupFromWire, topUpLookupToWire, WireValidationError, type TopUpLookup } from './codec';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from './proto-path';

type Method = { responseSerialize: (m: unknown) => Buffer; responseDeserialize: (b: Buffer) => unknown };
const service = loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)['onecard.sync.v1.TerminalSync'] as Record<string, Method>;

/** Through real protobuf bytes of TopUpLookup / ListMemberTopUpsResponse, as HQ sends them. */
const getTopUpOverTheWire = (l: TopUpLookup) => service.GetTopUp!.responseDeserialize(service.GetTopUp!.responseSerialize(topUpLookupToWire(l)));

const topUp: TopUpDocument = {
  id: 'top-up-sh-1', storeId: 'store-sh-01', terminalId: 't-sh-01-1', currency: 'CNY', memberId: 'm-0002', cardId: 'c-0002',
  tender: 'bank_card', principalMinor: 60_000, bonusMinor: 5_000, completedAt: 1_763_800_000_000,
};
const refund: TopUpRefundDocument = {
  id: 'top-up-refund-1', topUpId: 'top-up-sh-1', storeId: 'store-hz-01', terminalId: '', currency: 'CNY', memberId: 'm-0002', cardId: 'c-0002',
  tender: 'bank_card', principalMinor: 60_000, bonusClawedBackMinor: 5_000, principalHoldId: null, bonusHoldId: null, completedAt: 1_763_800_100_000,
};

describe('top-up lookup codec (GetTopUp, ListMemberTopUps)', () => {
  it('a top-up, its store name and its refund read back exactly as pushed, through protobuf bytes; one not given back has no refund', () => {
    const given: TopUpLookup = { topUp, terminalId: 't-sh-01-1', storeName: '上海人民广场店', refund };
    expect(topUpLookupFromWire(getTopUpOverTheWire(given))).toEqual(given);
    const open: TopUpLookup = { ...given, storeName: '', refund: null };
    expect(topUpLookupFromWire(getTopUpOverTheWire(open))).toEqual(open);
    const list = service.ListMemberTopUps!;
    const wire = list.responseDeserialize(list.responseSerialize({ topUps: [given, open].map(topUpLookupToWire) })) as { topUps: unknown[] };
    expect(wire.topUps.map(topUpLookupFromWire)).toEqual([given, open]);
  });

  it('refuses a refund of another top-up and a malformed top-up, naming the field', () => {
    const wire = topUpLookupToWire({ topUp, terminalId: 't-sh-01-1', storeName: '', refund: { ...refund, topUpId: 'other' } });
    expect(() => topUpLookupFromWire(wire)).toThrow(/refund top-up-refund-1 is of top-up other/);
    const bad = { ...topUpLookupToWire({ topUp, terminalId: 't-sh-01-1', storeName: '', refund: null }), topUp: { ...(topUpLookupToWire({ topUp, terminalId: 't', storeName: '', refund: null }).topUp as object), principal: 'lots' } };
    expect(() => topUpLookupFromWire(bad)).toThrow(WireValidationError);
  });

  it('a sale lookup carries its store name when HQ has one', () => {
    const l = saleLookupFromWire(saleLookupToWire({ sale: { id: 's', storeId: 'store-sh-01', terminalId: 't', currency: 'CNY', memberId: null, cardId: null, lines: [{ lineNo: 1, sku: 'A', barcode: '1', name: 'x', quantity: 1, unitPriceMinor: 100, amountMinor: 100, eligibleForMemberBenefits: true }], totalMinor: 100, tenders: [{ kind: 'cash', amountMinor: 100, tenderedMinor: 100, changeMinor: 0 }], pointsEarned: 0, completedAt: 1 }, terminalId: 't', refunds: [], storeName: '上海人民广场店' }));
    expect(l.storeName).toBe('上海人民广场店');
  });
});
