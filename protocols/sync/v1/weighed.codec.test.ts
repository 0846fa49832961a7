import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { changeFromWire, changeToWire, eventFromWire, eventToWire, type SyncChange, type SyncEvent } from './codec';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from './proto-path';

type Method = { requestSerialize: (m: unknown) => Buffer; requestDeserialize: (b: Buffer) => any; responseSerialize: (m: unknown) => Buffer; responseDeserialize: (b: Buffer) => any };
const service = loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)['onecard.sync.v1.TerminalSync'] as Record<string, Method>;

const apples = { sku: 'SKU-APPLE', barcode: '2000000100014', name: 'Apples (per kg)', nameZh: '苹果', category: 'produce', priceMinor: 0, excludedFromMemberBenefits: false, active: true, plu: '10001', soldBy: 'weight' as const, pricePerKgMinor: 1280 };
const cola = { sku: 'SKU-COLA', barcode: '6901234567892', name: 'Cola', nameZh: '可乐', category: 'drinks', priceMinor: 300, excludedFromMemberBenefits: false, active: true };

describe('sync codec: items sold by weight', () => {
  it('a weighed product and a unit product round-trip through protobuf as they were', () => {
    const pull = service.PullChanges!;
    const changes: SyncChange[] = [
      { seq: 1, deleted: false, body: { type: 'product', product: apples } },
      { seq: 2, deleted: false, body: { type: 'product', product: cola } },
    ];
    const decoded = pull.responseDeserialize(pull.responseSerialize({ changes: changes.map(changeToWire), nextCursor: '2', hasMore: false, appliedSeq: '0' }));
    expect(decoded.changes.map(changeFromWire)).toEqual(changes);
  });

  it('refuses a product sold by weight without its price per kg, and a PLU that is not digits', () => {
    const wire = changeToWire({ seq: 3, deleted: false, body: { type: 'product', product: apples } }) as { product: Record<string, unknown> };
    expect(() => changeFromWire({ ...wire, product: { ...wire.product, pricePerKg: '0' } })).toThrow(/price per kg/);
    expect(() => changeFromWire({ ...wire, product: { ...wire.product, plu: '10A01' } })).toThrow(/plu/);
  });

  it("a sale's weighed line keeps its weight and price per kg over the wire; a unit line gets none", () => {
    const event: SyncEvent = {
      seq: 4, id: 'e-4', occurredAt: 9,
      body: { type: 'sale', sale: {
        id: 's-4', storeId: 'store-1', terminalId: 't-1', currency: 'CNY', memberId: null, cardId: null,
        lines: [
          { lineNo: 1, sku: 'SKU-APPLE', barcode: '2810001012347', name: '苹果', quantity: 1, unitPriceMinor: 1580, amountMinor: 1580, eligibleForMemberBenefits: true, measure: { grams: 1234, pricePerKgMinor: 1280 } },
          { lineNo: 2, sku: 'SKU-DELI', barcode: '2100201023452', name: '熟食', quantity: 1, unitPriceMinor: 2345, amountMinor: 2345, eligibleForMemberBenefits: true, measure: { grams: 500, pricePerKgMinor: 4690, weightDerived: true } },
          { lineNo: 3, sku: 'SKU-COLA', barcode: '6901234567892', name: '可乐', quantity: 2, unitPriceMinor: 300, amountMinor: 600, eligibleForMemberBenefits: true },
        ],
        totalMinor: 4525, tenders: [{ kind: 'cash', amountMinor: 4525, tenderedMinor: 5000, changeMinor: 475 }], pointsEarned: 0, completedAt: 9,
      } },
      transfers: [],
    };
    const push = service.PushEvents!;
    const wire = push.requestDeserialize(push.requestSerialize({ events: [eventToWire(event)] })).events[0];
    expect(eventFromWire(wire, 't-1')).toEqual(event);
    expect(() => eventFromWire({ ...wire, sale: { ...wire.sale, lines: [{ ...wire.sale.lines[0], grams: 100_000 }] } }, 't-1')).toThrow(/grams/);
  });
});
