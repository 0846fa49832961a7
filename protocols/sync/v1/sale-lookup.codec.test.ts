import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import type { RefundDocument } from '../../../core/refund';
import type { SaleDocument } from '../../../core/sale';
import { refundFromWire, refundToWire, saleFromWire, saleLookupFromWire, saleLookupToWire, saleToWire, WireValidationError, type SaleLookup } from './codec';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from './proto-path';

type Method = { responseSerialize: (m: unknown) => Buffer; responseDeserialize: (b: Buffer) => unknown };
const service = loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)['onecard.sync.v1.TerminalSync'] as Record<string, Method>;

/** Through real protobuf bytes of GetSaleResponse / ListMemberSalesResponse, as HQ sends them. */
const getSaleOverTheWire = (l: SaleLookup) => service.GetSale!.responseDeserialize(service.GetSale!.responseSerialize(saleLookupToWire(l)));

const sale: SaleDocument = {
  id: 'sale-hz-1', storeId: 'store-hz-01', terminalId: 't-hz-01-1', currency: 'CNY', memberId: 'm-0002', cardId: 'c-0002',
  lines: [
    { lineNo: 1, sku: 'SKU-0030', barcode: '6907028100122', name: '纯牛奶 250ml×12', quantity: 2, unitPriceMinor: 5_990, amountMinor: 10_980, eligibleForMemberBenefits: true, promotions: [{ promotionId: 'promo-1', discountMinor: 1_000 }] },
    { lineNo: 2, sku: 'SKU-0001', barcode: '6901028001014', name: '可乐', quantity: 1, unitPriceMinor: 300, amountMinor: 300, eligibleForMemberBenefits: false },
  ],
  totalMinor: 11_280,
  tenders: [
    { kind: 'points', amountMinor: 1_000, points: 1_000, holdId: 'hp/points' },
    { kind: 'stored_value', amountMinor: 5_000, cardId: 'c-0002', legs: [{ accountId: 'card:c-0002:principal', part: 'principal', amount: 4_000, holdId: 'h/principal' }, { accountId: 'card:c-0002:bonus', part: 'bonus', amount: 1_000, holdId: 'h/bonus' }] },
    { kind: 'cash', amountMinor: 5_280, tenderedMinor: 6_000, changeMinor: 720 },
  ],
  pointsEarned: 164,
  completedAt: 1_763_800_000_000,
  promotionUses: [{ promotionId: 'promo-1', memberUses: 1, budgetKind: 'amount', budgetDrawn: 1_000, discountMinor: 1_000 }],
};

const refund: RefundDocument = {
  id: 'refund-1', saleId: 'sale-hz-1', storeId: 'store-sh-01', terminalId: '', currency: 'CNY', memberId: 'm-0002',
  lines: [{ lineNo: 1, quantity: 1, amountMinor: 5_490, eligibleForMemberBenefits: true }],
  totalMinor: 5_490,
  tenders: [
    { tenderIndex: 0, kind: 'points', amountMinor: 487, legs: [], points: 487 },
    { tenderIndex: 1, kind: 'stored_value', amountMinor: 2_433, legs: [{ accountId: 'card:c-0002:principal', part: 'principal', amount: 1_946 }, { accountId: 'card:c-0002:bonus', part: 'bonus', amount: 487 }], points: 0 },
    { tenderIndex: 2, kind: 'cash', amountMinor: 2_570, legs: [], points: 0 },
  ],
  pointsReversed: 82,
  completedAt: 1_763_800_100_000,
  withReceipt: false,
};

describe('sale lookup codec (GetSale, ListMemberSales)', () => {
  it('a sale and its refunds read back exactly as the till pushed them, through protobuf bytes', () => {
    expect(saleFromWire(saleToWire(sale), 't-hz-01-1')).toEqual(sale);
    expect(refundFromWire(refundToWire(refund))).toEqual(refund);
    expect(saleLookupFromWire(getSaleOverTheWire({ sale, terminalId: 't-hz-01-1', refunds: [refund] }))).toEqual({ sale, terminalId: 't-hz-01-1', refunds: [refund] });
    const list = service.ListMemberSales!;
    const wire = list.responseDeserialize(list.responseSerialize({ sales: [saleLookupToWire({ sale, terminalId: 't-hz-01-1', refunds: [] })] })) as { sales: unknown[] };
    expect(wire.sales.map(saleLookupFromWire)).toEqual([{ sale, terminalId: 't-hz-01-1', refunds: [] }]);
  });

  it('refuses a lookup without a sale, with a refund of another sale, or with a malformed sale, naming the field', () => {
    const good = saleLookupToWire({ sale, terminalId: 't-hz-01-1', refunds: [refund] });
    expect(() => saleLookupFromWire({ ...good, sale: null })).toThrow(/invalid sale: \(root\): is required/);
    expect(() => saleLookupFromWire({ ...good, refunds: [refundToWire({ ...refund, saleId: 'other' })] })).toThrow(/refund refund-1 is of sale other, not sale-hz-1/);
    const bad = { ...(good.sale as Record<string, unknown>), total: '-1' };
    expect(() => saleLookupFromWire({ ...good, sale: bad })).toThrow(WireValidationError);
    expect(() => saleLookupFromWire({ ...good, sale: bad })).toThrow(/invalid sale: sale\.total/);
    expect(() => saleLookupFromWire({ ...good, terminalId: '' })).toThrow(WireValidationError);
  });
});
