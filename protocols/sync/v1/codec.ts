import { z } from 'zod';
import { TRANSFER_CODES, type Transfer } from '../../../core/ledger';
import type { DayCloseDocument } from '../../../core/day-close';
import { promotionSchema, type Promotion } from '../../../core/pricing';
import type { GiftRedemptionDocument } from '../../../core/gift';
import type { RefundDocument } from '../../../core/refund';
import type { SaleDocument, SaleTender } from '../../../core/sale';
import type { SaleManualDiscount } from '../../../core/manual-discount';
import type { Rounding } from '../../../core/money';
import type { ChainSettingKey, ChainSettings } from '../../../core/settings';
import { parseSetting, UnknownSettingKey } from './settings-schema';
import type { TopUpDocument, TopUpRefundDocument } from '../../../core/top-up';
import type { Card, Member, MemberLevel, Product } from '../../../core/chain';
import { MAX_WEIGHT_GRAMS } from '../../../core/weighed';

/**
 * Converts between the wire messages of sync.proto (as @grpc/proto-loader yields them:
 * camelCase fields, int64 as decimal strings) and the domain shapes of core/.
 * Everything coming off the wire is validated here; a bad message is a VALIDATION_FAILED
 * with a reason that names the field.
 */

/** The most a message may carry; a terminal keeps its documents within these. */
export const SYNC_LIMITS = {
  linesPerSale: 1000,
  tendersPerSale: 20,
  legsPerTender: 8,
  holdIdsPerRelease: 8,
  transfersPerEvent: 100,
  manualDiscountsPerSale: 20,
} as const;

/**
 * int64 on the wire (string, number or bigint) → safe integer, refusing anything else; `least`
 * (with its message) bounds it from below. One check per field, in place of a union, a transform
 * and a refinement: every event field goes through here. The messages are the ones that chain
 * gave (a value of another type is "Invalid input").
 */
function wireInt64(least?: { min: number; message: string }): z.ZodType<number, string | number | bigint> {
  return z.unknown().transform((v, ctx) => {
    let text: string;
    if (typeof v === 'string') text = v;
    else if (typeof v === 'number' && Number.isFinite(v)) text = String(v);
    else if (typeof v === 'bigint') text = String(v);
    else {
      ctx.addIssue({ code: 'custom', message: 'Invalid input' });
      return z.NEVER;
    }
    if (!/^-?\d+$/.test(text)) {
      ctx.addIssue({ code: 'custom', message: `not an integer: ${text}` });
      return z.NEVER;
    }
    const n = Number(text);
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: 'custom', message: `integer out of range: ${text}` });
      return z.NEVER;
    }
    if (least && n < least.min) {
      ctx.addIssue({ code: 'custom', message: least.message });
      return z.NEVER;
    }
    return n;
  }) as unknown as z.ZodType<number, string | number | bigint>;
}
const int64 = wireInt64();
const nonNegative = wireInt64({ min: 0, message: 'must not be negative' });
const positive = wireInt64({ min: 1, message: 'must be more than zero' });
const id = z.string().min(1).max(128);
// An id a message may leave empty: checked as a string, and read as null where the domain shape
// is built (orNull), so no transform runs per field.
const optionalId = z.string().max(128);
const orNull = (s: string): string | null => (s === '' ? null : s);

export const wireTransferSchema = z.object({
  id,
  kind: z.enum(['single', 'pending', 'post_pending', 'void_pending']),
  debitAccountId: id,
  creditAccountId: id,
  ledger: z.string().min(1).max(16),
  amount: positive,
  code: z.enum(TRANSFER_CODES),
  pendingId: optionalId,
  timestamp: nonNegative,
  documentId: optionalId,
});

export type WireTransfer = z.input<typeof wireTransferSchema>;

/** The terminal that made a transfer comes from the authenticated caller, not from the message. */
export function transferFromWire(wire: unknown, originTerminalId: string | null): Transfer {
  const t = parseOrThrow(wireTransferSchema, wire, 'transfer');
  return { ...t, pendingId: orNull(t.pendingId), documentId: orNull(t.documentId), originTerminalId };
}

export function transferToWire(t: Transfer): WireTransfer {
  return {
    id: t.id,
    kind: t.kind,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    ledger: t.ledger,
    amount: String(t.amount),
    code: t.code,
    pendingId: t.pendingId ?? '',
    timestamp: String(t.timestamp),
    documentId: t.documentId ?? '',
  };
}

const saleLineSchema = z.object({
  lineNo: z.number().int().min(1),
  sku: id,
  barcode: z.string().max(64),
  name: z.string().max(200),
  quantity: z.number().int().min(1).max(100_000),
  unitPrice: nonNegative,
  amount: nonNegative,
  eligibleForMemberBenefits: z.boolean(),
  promotions: z.array(z.object({ promotionId: id, discount: nonNegative })).max(100).nullish(),
  // A weighed line (core/weighed.ts); all zero for items sold by unit and from senders before weights.
  grams: z.number().int().min(0).max(MAX_WEIGHT_GRAMS).default(0),
  pricePerKg: nonNegative.default(0),
  weightDerived: z.boolean().default(false),
  manualDiscounts: z.array(z.object({ discountId: id, discount: nonNegative })).max(SYNC_LIMITS.manualDiscountsPerSale).nullish(),
  priceOverride: z.object({ listUnitPrice: nonNegative, reason: z.string().min(1).max(200), overrideId: id, approvedBy: id }).nullish(),
});

const rounding = z.enum(['HALF_UP', 'HALF_EVEN', 'DOWN', 'UP']);
const manualDiscountSchema = z.object({
  id,
  lineNo: z.number().int().min(0),
  kind: z.enum(['amount', 'percent']),
  amount: nonNegative.default(0),
  percent: z.string().max(12).default(''),
  rounding: z.union([rounding, z.literal('')]).default(''),
  discount: nonNegative,
  reason: z.string().min(1).max(200),
  overrideId: id,
  approvedBy: id,
}).superRefine((d, ctx) => {
  if (d.kind === 'amount' && d.amount <= 0) ctx.addIssue({ code: 'custom', message: 'an amount discount needs its amount', path: ['amount'] });
  if (d.kind === 'percent' && (!/^\d{1,3}(\.\d{1,4})?$/.test(d.percent) || d.rounding === '')) ctx.addIssue({ code: 'custom', message: 'a percent discount needs its percent and rounding', path: ['percent'] });
});

const promotionUseSchema = z.object({
  promotionId: id,
  memberUses: z.number().int().min(0),
  budgetKind: z.enum(['quantity', 'amount', '']),
  budgetDrawn: nonNegative,
  discount: nonNegative,
});

const legSchema = z.object({ accountId: id, part: z.enum(['principal', 'bonus']), amount: nonNegative, holdId: optionalId });

const tenderSchema = z.object({
  kind: z.enum(['cash', 'bank_card', 'stored_value', 'points']),
  amount: nonNegative,
  tendered: nonNegative,
  change: nonNegative,
  reference: z.string().max(128),
  cardId: z.string().max(128),
  legs: z.array(legSchema).max(SYNC_LIMITS.legsPerTender),
  points: nonNegative.default(0),
  holdId: optionalId.optional(),
});

const saleSchema = z.object({
  id,
  storeId: id,
  currency: z.string().length(3),
  memberId: optionalId,
  cardId: optionalId,
  lines: z.array(saleLineSchema).min(1).max(SYNC_LIMITS.linesPerSale),
  total: nonNegative,
  tenders: z.array(tenderSchema).min(1).max(SYNC_LIMITS.tendersPerSale),
  pointsEarned: nonNegative,
  completedAt: nonNegative,
  promotionUses: z.array(promotionUseSchema).max(200).nullish(),
  couponsUsed: z.array(z.string().min(1).max(64)).max(50).nullish(),
  cashierId: z.string().max(128).nullish(),
  manualDiscounts: z.array(manualDiscountSchema).max(SYNC_LIMITS.manualDiscountsPerSale).nullish(),
});

const topUpSchema = z.object({
  id,
  storeId: id,
  currency: z.string().length(3),
  memberId: id,
  cardId: id,
  tender: z.enum(['cash', 'bank_card']),
  principal: positive,
  bonus: nonNegative,
  completedAt: nonNegative,
});

const holdsReleasedSchema = z.object({ saleId: id, holdIds: z.array(id).min(1).max(SYNC_LIMITS.holdIdsPerRelease) });

const refundSchema = z.object({
  id,
  saleId: id,
  storeId: id,
  currency: z.string().length(3),
  memberId: optionalId,
  lines: z.array(z.object({ lineNo: z.number().int().min(1), quantity: z.number().int().min(1), amount: nonNegative, eligibleForMemberBenefits: z.boolean() })).min(1).max(SYNC_LIMITS.linesPerSale),
  total: nonNegative,
  tenders: z.array(z.object({
    tenderIndex: z.number().int().min(0),
    kind: z.enum(['cash', 'bank_card', 'stored_value', 'points']),
    amount: nonNegative,
    legs: z.array(z.object({ accountId: id, part: z.enum(['principal', 'bonus']), amount: nonNegative })).max(SYNC_LIMITS.legsPerTender),
    points: nonNegative,
  })).max(SYNC_LIMITS.tendersPerSale),
  pointsReversed: nonNegative,
  completedAt: nonNegative,
  withReceipt: z.boolean(),
  cashierId: z.string().max(128).nullish(),
});

const topUpRefundSchema = z.object({
  id,
  topUpId: id,
  storeId: id,
  currency: z.string().length(3),
  memberId: id,
  cardId: id,
  tender: z.enum(['cash', 'bank_card']),
  principal: positive,
  bonusClawedBack: nonNegative,
  completedAt: nonNegative,
});

const dayCloseSchema = z.object({
  id,
  storeId: id,
  businessDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  tenders: z.array(z.object({ kind: z.enum(['cash', 'bank_card', 'stored_value', 'points']), sales: nonNegative, refunds: nonNegative })).max(10),
  saleCount: nonNegative,
  refundCount: nonNegative,
  topUpTotal: nonNegative,
  firstSeq: nonNegative,
  lastSeq: nonNegative,
  eventsChain: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex'),
  closedAt: nonNegative,
});

const giftRedemptionSchema = z.object({
  id,
  memberId: id,
  storeId: id,
  giftSku: id,
  quantity: z.number().int().min(1).max(10_000),
  points: positive,
  completedAt: nonNegative,
});

const operatorAuditSchema = z.object({
  id,
  action: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'an action such as override.granted').max(64),
  operatorId: z.string().max(128),
  supervisorId: z.string().max(128),
  permission: z.string().max(64),
  method: z.string().max(16),
  detailsJson: z.string().max(10_000),
  at: nonNegative,
});

/** What operators did at the till that HQ's audit log must hold (overrides, PIN locks, shifts). */
export interface OperatorAuditEntry {
  id: string;
  action: string;
  operatorId: string | null;
  supervisorId: string | null;
  permission: string | null;
  method: string | null;
  details: Record<string, unknown>;
  at: number;
}

const wireEventSchema = z.object({
  seq: wireInt64({ min: 1, message: 'seq starts at 1' }),
  id,
  occurredAt: nonNegative,
  sale: saleSchema.nullish(),
  topUp: topUpSchema.nullish(),
  holdsReleased: holdsReleasedSchema.nullish(),
  refund: refundSchema.nullish(),
  giftRedemption: giftRedemptionSchema.nullish(),
  topUpRefund: topUpRefundSchema.nullish(),
  dayClose: dayCloseSchema.nullish(),
  operatorAudit: operatorAuditSchema.nullish(),
  transfers: z.array(z.unknown()).max(SYNC_LIMITS.transfersPerEvent),
});

/** What an outbox event carries. */
export type EventBody =
  | { type: 'sale'; sale: SaleDocument }
  | { type: 'top_up'; topUp: TopUpDocument }
  | { type: 'holds_released'; saleId: string; holdIds: string[] }
  | { type: 'refund'; refund: RefundDocument }
  | { type: 'gift_redemption'; gift: GiftRedemptionDocument }
  | { type: 'top_up_refund'; topUpRefund: TopUpRefundDocument }
  | { type: 'day_close'; dayClose: DayCloseDocument }
  | { type: 'operator_audit'; audit: OperatorAuditEntry };

/** One outbox entry, as the terminal writes it and HQ applies it. */
export interface SyncEvent {
  seq: number;
  id: string;
  occurredAt: number;
  body: EventBody;
  transfers: Transfer[];
}

/** Refusal of a wire message; `code` is always VALIDATION_FAILED. */
export class WireValidationError extends Error {
  readonly code = 'VALIDATION_FAILED' as const;
  constructor(message: string) {
    super(message);
    this.name = 'WireValidationError';
  }
}

/** A change setting a key this code does not know (a newer HQ's): the till passes over it, not the whole pull. */
export class UnknownSettingChange extends WireValidationError {
  constructor(readonly seq: number, readonly key: string) {
    super(`change seq ${seq} sets "${key}", a setting this version does not know`);
    this.name = 'UnknownSettingChange';
  }
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new WireValidationError(`invalid ${what}: ${path}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}

function manualDiscountFromWire(d: z.output<typeof manualDiscountSchema>): SaleManualDiscount {
  const base = { id: d.id, lineNo: d.lineNo === 0 ? null : d.lineNo, discountMinor: d.discount, reason: d.reason, overrideId: d.overrideId, approvedBy: d.approvedBy };
  return d.kind === 'amount' ? { ...base, kind: 'amount', amountMinor: d.amount } : { ...base, kind: 'percent', percent: d.percent, rounding: d.rounding as Rounding };
}

function manualDiscountToWire(d: SaleManualDiscount): Record<string, unknown> {
  return {
    id: d.id,
    lineNo: d.lineNo ?? 0,
    kind: d.kind,
    amount: String(d.kind === 'amount' ? d.amountMinor : 0),
    percent: d.kind === 'percent' ? d.percent : '',
    rounding: d.kind === 'percent' ? d.rounding : '',
    discount: String(d.discountMinor),
    reason: d.reason,
    overrideId: d.overrideId,
    approvedBy: d.approvedBy,
  };
}

/** A points tender without a hold id (senders before holds on points) reads as '' as it always has. */
function tenderFromWire(t: z.output<typeof tenderSchema>): SaleTender {
  if (t.kind === 'cash') return { kind: 'cash', amountMinor: t.amount, tenderedMinor: t.tendered, changeMinor: t.change };
  if (t.kind === 'bank_card') return { kind: 'bank_card', amountMinor: t.amount, reference: t.reference };
  if (t.kind === 'points') return { kind: 'points', amountMinor: t.amount, points: t.points, holdId: t.holdId === undefined ? '' : orNull(t.holdId) };
  return {
    kind: 'stored_value',
    amountMinor: t.amount,
    cardId: t.cardId,
    legs: t.legs.map((l) => ({ accountId: l.accountId, part: l.part, amount: l.amount, holdId: orNull(l.holdId) })),
  };
}

/** A pushed event off the wire, validated, bound to the terminal that sent it. */
export function eventFromWire(wire: unknown, terminalId: string): SyncEvent {
  const e = parseOrThrow(wireEventSchema, wire, 'event');
  const transfers = e.transfers.map((t, i) => {
    try {
      return transferFromWire(t, terminalId);
    } catch (err) {
      throw new WireValidationError(`event ${e.seq} transfer ${i}: ${(err as Error).message}`);
    }
  });
  const bodies = [e.sale, e.topUp, e.holdsReleased, e.refund, e.giftRedemption, e.topUpRefund, e.dayClose, e.operatorAudit].filter((b) => b != null);
  if (bodies.length !== 1) throw new WireValidationError(`invalid event: seq ${e.seq} must carry exactly one body`);
  let body: EventBody;
  if (e.sale) {
    const s = e.sale;
    body = {
      type: 'sale',
      sale: {
        id: s.id,
        storeId: s.storeId,
        terminalId,
        currency: s.currency,
        memberId: orNull(s.memberId),
        cardId: orNull(s.cardId),
        lines: s.lines.map((l) => ({
          lineNo: l.lineNo, sku: l.sku, barcode: l.barcode, name: l.name, quantity: l.quantity, unitPriceMinor: l.unitPrice, amountMinor: l.amount, eligibleForMemberBenefits: l.eligibleForMemberBenefits,
          // Promotion fields only when present, so a sale priced without promotions reads back as it was.
          ...(l.promotions?.length ? { promotions: l.promotions.map((p) => ({ promotionId: p.promotionId, discountMinor: p.discount })) } : {}),
          ...(l.grams > 0 ? { measure: { grams: l.grams, pricePerKgMinor: l.pricePerKg, ...(l.weightDerived ? { weightDerived: true } : {}) } } : {}),
          ...(l.manualDiscounts?.length ? { manualDiscounts: l.manualDiscounts.map((d) => ({ discountId: d.discountId, discountMinor: d.discount })) } : {}),
          ...(l.priceOverride ? { priceOverride: { listUnitPriceMinor: l.priceOverride.listUnitPrice, reason: l.priceOverride.reason, overrideId: l.priceOverride.overrideId, approvedBy: l.priceOverride.approvedBy } } : {}),
        })),
        totalMinor: s.total,
        tenders: s.tenders.map(tenderFromWire),
        pointsEarned: s.pointsEarned,
        completedAt: s.completedAt,
        ...(s.promotionUses?.length
          ? { promotionUses: s.promotionUses.map((u) => ({ promotionId: u.promotionId, memberUses: u.memberUses, budgetKind: u.budgetKind === '' ? null : u.budgetKind, budgetDrawn: u.budgetDrawn, discountMinor: u.discount })) }
          : {}),
        ...(s.couponsUsed?.length ? { couponsUsed: s.couponsUsed } : {}),
        ...(s.cashierId ? { cashierId: s.cashierId } : {}),
        ...(s.manualDiscounts?.length ? { manualDiscounts: s.manualDiscounts.map(manualDiscountFromWire) } : {}),
      },
    };
  } else if (e.topUp) {
    const t = e.topUp;
    body = { type: 'top_up', topUp: { id: t.id, storeId: t.storeId, terminalId, currency: t.currency, memberId: t.memberId, cardId: t.cardId, tender: t.tender, principalMinor: t.principal, bonusMinor: t.bonus, completedAt: t.completedAt } };
  } else if (e.refund) {
    const r = e.refund;
    body = {
      type: 'refund',
      refund: {
        id: r.id,
        saleId: r.saleId,
        storeId: r.storeId,
        terminalId,
        currency: r.currency,
        memberId: orNull(r.memberId),
        lines: r.lines.map((l) => ({ lineNo: l.lineNo, quantity: l.quantity, amountMinor: l.amount, eligibleForMemberBenefits: l.eligibleForMemberBenefits })),
        totalMinor: r.total,
        tenders: r.tenders.map((t) => ({ tenderIndex: t.tenderIndex, kind: t.kind, amountMinor: t.amount, legs: t.legs, points: t.points })),
        pointsReversed: r.pointsReversed,
        completedAt: r.completedAt,
        withReceipt: r.withReceipt,
        ...(r.cashierId ? { cashierId: r.cashierId } : {}),
      },
    };
  } else if (e.topUpRefund) {
    const r = e.topUpRefund;
    // Which holds the refund captured is read off its post_pending transfers.
    const holdOf = (code: string) => transfers.find((t) => t.code === code && t.kind === 'post_pending')?.pendingId ?? null;
    body = {
      type: 'top_up_refund',
      topUpRefund: { id: r.id, topUpId: r.topUpId, storeId: r.storeId, terminalId, currency: r.currency, memberId: r.memberId, cardId: r.cardId, tender: r.tender, principalMinor: r.principal, bonusClawedBackMinor: r.bonusClawedBack, principalHoldId: holdOf('TOPUP_REFUND'), bonusHoldId: holdOf('TOPUP_BONUS_CLAWBACK'), completedAt: r.completedAt },
    };
  } else if (e.dayClose) {
    const d = e.dayClose;
    body = {
      type: 'day_close',
      dayClose: { id: d.id, storeId: d.storeId, terminalId, businessDate: d.businessDate, tenders: d.tenders.map((t) => ({ kind: t.kind, salesMinor: t.sales, refundsMinor: t.refunds })), saleCount: d.saleCount, refundCount: d.refundCount, topUpTotalMinor: d.topUpTotal, firstSeq: d.firstSeq, lastSeq: d.lastSeq, eventsChain: d.eventsChain, closedAt: d.closedAt },
    };
  } else if (e.operatorAudit) {
    const a = e.operatorAudit;
    let details: Record<string, unknown>;
    try {
      const parsed: unknown = a.detailsJson ? JSON.parse(a.detailsJson) : {};
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      details = parsed as Record<string, unknown>;
    } catch {
      throw new WireValidationError(`invalid event: seq ${e.seq} operatorAudit.detailsJson is not a JSON object`);
    }
    body = { type: 'operator_audit', audit: { id: a.id, action: a.action, operatorId: a.operatorId || null, supervisorId: a.supervisorId || null, permission: a.permission || null, method: a.method || null, details, at: a.at } };
  } else if (e.giftRedemption) {
    const g = e.giftRedemption;
    body = { type: 'gift_redemption', gift: { id: g.id, memberId: g.memberId, storeId: g.storeId, terminalId, giftSku: g.giftSku, quantity: g.quantity, points: g.points, completedAt: g.completedAt } };
  } else {
    body = { type: 'holds_released', saleId: e.holdsReleased!.saleId, holdIds: e.holdsReleased!.holdIds };
  }
  return { seq: e.seq, id: e.id, occurredAt: e.occurredAt, body, transfers };
}

/** A domain event onto the wire. */
export function eventToWire(e: SyncEvent): Record<string, unknown> {
  const base = { seq: String(e.seq), id: e.id, occurredAt: String(e.occurredAt), transfers: e.transfers.map(transferToWire) };
  const b = e.body;
  if (b.type === 'sale') {
    const s = b.sale;
    return {
      ...base,
      sale: {
        id: s.id,
        storeId: s.storeId,
        currency: s.currency,
        memberId: s.memberId ?? '',
        cardId: s.cardId ?? '',
        lines: s.lines.map((l) => ({
          lineNo: l.lineNo, sku: l.sku, barcode: l.barcode, name: l.name, quantity: l.quantity, unitPrice: String(l.unitPriceMinor), amount: String(l.amountMinor), eligibleForMemberBenefits: l.eligibleForMemberBenefits,
          promotions: (l.promotions ?? []).map((p) => ({ promotionId: p.promotionId, discount: String(p.discountMinor) })),
          grams: l.measure?.grams ?? 0,
          pricePerKg: String(l.measure?.pricePerKgMinor ?? 0),
          weightDerived: l.measure?.weightDerived ?? false,
          manualDiscounts: (l.manualDiscounts ?? []).map((d) => ({ discountId: d.discountId, discount: String(d.discountMinor) })),
          priceOverride: l.priceOverride ? { listUnitPrice: String(l.priceOverride.listUnitPriceMinor), reason: l.priceOverride.reason, overrideId: l.priceOverride.overrideId, approvedBy: l.priceOverride.approvedBy } : null,
        })),
        promotionUses: (s.promotionUses ?? []).map((u) => ({ promotionId: u.promotionId, memberUses: u.memberUses, budgetKind: u.budgetKind ?? '', budgetDrawn: String(u.budgetDrawn), discount: String(u.discountMinor) })),
        couponsUsed: s.couponsUsed ?? [],
        cashierId: s.cashierId ?? '',
        manualDiscounts: (s.manualDiscounts ?? []).map(manualDiscountToWire),
        total: String(s.totalMinor),
        tenders: s.tenders.map((t) => ({
          kind: t.kind,
          amount: String(t.amountMinor),
          tendered: String(t.kind === 'cash' ? t.tenderedMinor : 0),
          change: String(t.kind === 'cash' ? t.changeMinor : 0),
          reference: t.kind === 'bank_card' ? t.reference : '',
          cardId: t.kind === 'stored_value' ? t.cardId : '',
          legs: t.kind === 'stored_value' ? t.legs.map((l) => ({ accountId: l.accountId, part: l.part, amount: String(l.amount), holdId: l.holdId ?? '' })) : [],
          points: String(t.kind === 'points' ? t.points : 0),
          holdId: t.kind === 'points' ? (t.holdId ?? '') : '',
        })),
        pointsEarned: String(s.pointsEarned),
        completedAt: String(s.completedAt),
      },
    };
  }
  if (b.type === 'top_up') {
    const t = b.topUp;
    return { ...base, topUp: { id: t.id, storeId: t.storeId, currency: t.currency, memberId: t.memberId, cardId: t.cardId, tender: t.tender, principal: String(t.principalMinor), bonus: String(t.bonusMinor), completedAt: String(t.completedAt) } };
  }
  if (b.type === 'refund') {
    const r = b.refund;
    return {
      ...base,
      refund: {
        id: r.id,
        saleId: r.saleId,
        storeId: r.storeId,
        currency: r.currency,
        memberId: r.memberId ?? '',
        lines: r.lines.map((l) => ({ lineNo: l.lineNo, quantity: l.quantity, amount: String(l.amountMinor), eligibleForMemberBenefits: l.eligibleForMemberBenefits })),
        total: String(r.totalMinor),
        tenders: r.tenders.map((t) => ({ tenderIndex: t.tenderIndex, kind: t.kind, amount: String(t.amountMinor), legs: t.legs.map((l) => ({ accountId: l.accountId, part: l.part, amount: String(l.amount) })), points: String(t.points) })),
        pointsReversed: String(r.pointsReversed),
        completedAt: String(r.completedAt),
        withReceipt: r.withReceipt,
        cashierId: r.cashierId ?? '',
      },
    };
  }
  if (b.type === 'top_up_refund') {
    const r = b.topUpRefund;
    return { ...base, topUpRefund: { id: r.id, topUpId: r.topUpId, storeId: r.storeId, currency: r.currency, memberId: r.memberId, cardId: r.cardId, tender: r.tender, principal: String(r.principalMinor), bonusClawedBack: String(r.bonusClawedBackMinor), completedAt: String(r.completedAt) } };
  }
  if (b.type === 'day_close') {
    const d = b.dayClose;
    return {
      ...base,
      dayClose: { id: d.id, storeId: d.storeId, businessDate: d.businessDate, tenders: d.tenders.map((t) => ({ kind: t.kind, sales: String(t.salesMinor), refunds: String(t.refundsMinor) })), saleCount: String(d.saleCount), refundCount: String(d.refundCount), topUpTotal: String(d.topUpTotalMinor), firstSeq: String(d.firstSeq), lastSeq: String(d.lastSeq), eventsChain: d.eventsChain, closedAt: String(d.closedAt) },
    };
  }
  if (b.type === 'operator_audit') {
    const a = b.audit;
    return { ...base, operatorAudit: { id: a.id, action: a.action, operatorId: a.operatorId ?? '', supervisorId: a.supervisorId ?? '', permission: a.permission ?? '', method: a.method ?? '', detailsJson: JSON.stringify(a.details), at: String(a.at) } };
  }
  if (b.type === 'gift_redemption') {
    const g = b.gift;
    return { ...base, giftRedemption: { id: g.id, memberId: g.memberId, storeId: g.storeId, giftSku: g.giftSku, quantity: g.quantity, points: String(g.points), completedAt: String(g.completedAt) } };
  }
  return { ...base, holdsReleased: { saleId: b.saleId, holdIds: b.holdIds } };
}

// Master data off the wire (terminal side of PullChanges).

const memberSchema = z.object({ id, name: z.string().max(200), phone: z.string().max(32), birthday: z.string().max(10), levelCode: z.string().max(32), homeStoreId: z.string().max(128) });
const cardSchema = z.object({ id, memberId: id, cardNo: z.string().min(1).max(64), medium: z.enum(['mifare', 'em4100', 'magstripe', 'barcode', 'virtual']), status: z.enum(['active', 'frozen', 'lost', 'expired', 'replaced']), expiresOn: z.string().max(10), pinHash: z.string().max(512).default('') });
const settingSchema = z.object({ key: z.string().min(1).max(64), valueJson: z.string().max(1_000_000) });
const couponWireSchema = z.object({ code: z.string().min(1).max(64), promotionId: id, memberId: z.string().max(128), validTo: z.string().max(10) });
const promotionWireSchema = z.object({ id, json: z.string().max(200_000), allotment: nonNegative.nullish() });
const operatorSchema = z.object({
  id,
  name: z.string().max(200),
  login: z.string().min(1).max(128),
  pinHash: z.string().max(512),
  cardNo: z.string().max(64),
  permissions: z.array(z.string().min(1).max(64)).max(200),
  locked: z.boolean(),
  unlockedAt: nonNegative.default(0),
});

/** An operator as a terminal caches them: hashes only, never a PIN or password. */
export interface TerminalOperator {
  id: string;
  name: string;
  login: string;
  pinHash: string | null;
  cardNo: string | null;
  permissions: string[];
  locked: boolean;
  /** When HQ last unlocked the account (Unix ms); absent when never. */
  unlockedAt?: number;
}
const balanceSchema = z.object({ accountId: id, ledger: z.string().min(1).max(16), posted: int64, held: nonNegative });
const productSchema = z.object({ sku: id, barcode: z.string().max(64), name: z.string().max(200), nameZh: z.string().max(200), category: z.string().max(64), price: nonNegative, excludedFromMemberBenefits: z.boolean(), active: z.boolean(),
  plu: z.string().regex(/^\d{0,8}$/).default(''),
  soldBy: z.enum(['', 'unit', 'weight']).default(''),
  pricePerKg: nonNegative.default(0),
}).refine((p) => p.soldBy !== 'weight' || p.pricePerKg > 0, 'a product sold by weight needs its price per kg');
const levelSchema = z.object({ code: z.string().min(1).max(32), name: z.string().max(100), rank: z.number().int(), discountRate: z.string().regex(/^\d+(\.\d+)?$/), pointsMultiplier: z.string().regex(/^\d+(\.\d+)?$/), offlineLimit: nonNegative });

export type ChangeBody =
  | { type: 'member'; member: Member }
  | { type: 'card'; card: Card & { memberId: string } }
  | { type: 'balance'; balance: { accountId: string; ledger: string; posted: number; held: number } }
  | { type: 'product'; product: Product & { active: boolean } }
  | { type: 'level'; level: MemberLevel }
  | { type: 'setting'; key: ChainSettingKey; value: ChainSettings[ChainSettingKey] }
  | { type: 'operator'; operator: TerminalOperator }
  /** `allotment`: this terminal's cumulative share of the promotion's budget (0 or absent without one). */
  | { type: 'promotion'; promotion: Promotion; allotment?: number }
  /** A coupon code of a coupon promotion: a member's (memberId) or a bearer code (null). */
  | { type: 'coupon'; coupon: CouponCode };

export interface CouponCode {
  code: string;
  promotionId: string;
  memberId: string | null;
  /** Store-local last day; null = the promotion's window. */
  validTo: string | null;
}

export interface SyncChange {
  seq: number;
  deleted: boolean;
  body: ChangeBody;
}

const wireChangeSchema = z.object({
  seq: int64,
  deleted: z.boolean(),
  member: memberSchema.nullish(),
  card: cardSchema.nullish(),
  balance: balanceSchema.nullish(),
  product: productSchema.nullish(),
  level: levelSchema.nullish(),
  setting: settingSchema.nullish(),
  operator: operatorSchema.nullish(),
  promotion: promotionWireSchema.nullish(),
  coupon: couponWireSchema.nullish(),
});

export function changeFromWire(wire: unknown): SyncChange {
  const c = parseOrThrow(wireChangeSchema, wire, 'change');
  const base = { seq: c.seq, deleted: c.deleted };
  if (c.member) return { ...base, body: { type: 'member', member: { ...c.member, birthday: c.member.birthday || null } } };
  if (c.card) return { ...base, body: { type: 'card', card: { ...c.card, expiresOn: c.card.expiresOn || null, pinHash: c.card.pinHash || null } } };
  if (c.coupon) {
    const k = c.coupon;
    if (k.validTo !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(k.validTo)) throw new WireValidationError(`invalid change: seq ${c.seq}: coupon ${k.code}: valid_to is not a date`);
    return { ...base, body: { type: 'coupon', coupon: { code: k.code, promotionId: k.promotionId, memberId: k.memberId || null, validTo: k.validTo || null } } };
  }
  if (c.promotion) {
    let raw: unknown;
    try {
      raw = JSON.parse(c.promotion.json);
    } catch {
      throw new WireValidationError(`invalid change: seq ${c.seq}: promotion ${c.promotion.id} is not valid JSON`);
    }
    const parsed = promotionSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new WireValidationError(`invalid change: seq ${c.seq}: promotion ${c.promotion.id}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'malformed'}`);
    }
    if (parsed.data.id !== c.promotion.id) throw new WireValidationError(`invalid change: seq ${c.seq}: promotion id ${parsed.data.id} ≠ ${c.promotion.id}`);
    return { ...base, body: { type: 'promotion', promotion: parsed.data as Promotion, ...(c.promotion.allotment ? { allotment: c.promotion.allotment } : {}) } };
  }
  if (c.operator) {
    const o = c.operator;
    return { ...base, body: { type: 'operator', operator: { id: o.id, name: o.name, login: o.login, pinHash: o.pinHash || null, cardNo: o.cardNo || null, permissions: o.permissions, locked: o.locked, ...(o.unlockedAt > 0 ? { unlockedAt: o.unlockedAt } : {}) } } };
  }
  if (c.setting) {
    try {
      const { key, value } = parseSetting(c.setting.key, c.setting.valueJson);
      return { ...base, body: { type: 'setting', key, value } };
    } catch (e) {
      if (e instanceof UnknownSettingKey) throw new UnknownSettingChange(c.seq, e.key);
      throw new WireValidationError(`invalid change: seq ${c.seq}: ${(e as Error).message}`);
    }
  }
  if (c.balance) return { ...base, body: { type: 'balance', balance: c.balance } };
  if (c.product) {
    const p = c.product;
    const weighed = p.soldBy === 'weight' ? { soldBy: 'weight' as const, pricePerKgMinor: p.pricePerKg } : {};
    return { ...base, body: { type: 'product', product: { sku: p.sku, barcode: p.barcode, name: p.name, nameZh: p.nameZh, category: p.category, priceMinor: p.price, excludedFromMemberBenefits: p.excludedFromMemberBenefits, active: p.active, ...(p.plu ? { plu: p.plu } : {}), ...weighed } } };
  }
  if (c.level) {
    const l = c.level;
    return { ...base, body: { type: 'level', level: { code: l.code, name: l.name, rank: l.rank, discountRate: l.discountRate, pointsMultiplier: l.pointsMultiplier, offlineLimitMinor: l.offlineLimit } } };
  }
  throw new WireValidationError(`invalid change: seq ${c.seq} carries no body`);
}

export function changeToWire(c: SyncChange): Record<string, unknown> {
  const base = { seq: String(c.seq), deleted: c.deleted };
  const b = c.body;
  switch (b.type) {
    case 'member':
      return { ...base, member: { ...b.member, birthday: b.member.birthday ?? '' } };
    case 'card':
      return { ...base, card: { id: b.card.id, memberId: b.card.memberId, cardNo: b.card.cardNo, medium: b.card.medium, status: b.card.status, expiresOn: b.card.expiresOn ?? '', pinHash: b.card.pinHash ?? '' } };
    case 'setting':
      return { ...base, setting: { key: b.key, valueJson: JSON.stringify(b.value) } };
    case 'coupon':
      return { ...base, coupon: { code: b.coupon.code, promotionId: b.coupon.promotionId, memberId: b.coupon.memberId ?? '', validTo: b.coupon.validTo ?? '' } };
    case 'promotion':
      return { ...base, promotion: { id: b.promotion.id, json: JSON.stringify(b.promotion), allotment: String(b.allotment ?? 0) } };
    case 'operator': {
      const o = b.operator;
      return { ...base, operator: { id: o.id, name: o.name, login: o.login, pinHash: o.pinHash ?? '', cardNo: o.cardNo ?? '', permissions: o.permissions, locked: o.locked, unlockedAt: String(o.unlockedAt ?? 0) } };
    }
    case 'balance':
      return { ...base, balance: { accountId: b.balance.accountId, ledger: b.balance.ledger, posted: String(b.balance.posted), held: String(b.balance.held) } };
    case 'product': {
      const p = b.product;
      return { ...base, product: { sku: p.sku, barcode: p.barcode, name: p.name, nameZh: p.nameZh, category: p.category, price: String(p.priceMinor), excludedFromMemberBenefits: p.excludedFromMemberBenefits, active: p.active, plu: p.plu ?? '', soldBy: p.soldBy ?? 'unit', pricePerKg: String(p.pricePerKgMinor ?? 0) } };
    }
    case 'level': {
      const l = b.level;
      return { ...base, level: { code: l.code, name: l.name, rank: l.rank, discountRate: l.discountRate, pointsMultiplier: l.pointsMultiplier, offlineLimit: String(l.offlineLimitMinor) } };
    }
  }
}

// A sale and the refunds of it, as HQ answers GetSale and ListMemberSales (a refund at another
// terminal or store). The Sale and Refund messages are the outbox event's, so these reuse the
// event codecs: a document reads back exactly as its terminal pushed it.

function bodyOnly(what: 'sale' | 'refund' | 'topUp' | 'topUpRefund', wire: unknown, terminalId: string): EventBody {
  if (wire === null || typeof wire !== 'object') throw new WireValidationError(`invalid ${what}: (root): is required`);
  try {
    return eventFromWire({ seq: '1', id: what, occurredAt: '0', [what]: wire, transfers: [] }, terminalId).body;
  } catch (e) {
    if (e instanceof WireValidationError) throw new WireValidationError(e.message.replace(/^invalid event: /, `invalid ${what}: `));
    throw e;
  }
}

/** A sale document onto the wire (sync.proto Sale). */
export function saleToWire(sale: SaleDocument): Record<string, unknown> {
  return eventToWire({ seq: 1, id: 'sale', occurredAt: 0, body: { type: 'sale', sale }, transfers: [] }).sale as Record<string, unknown>;
}

/** A Sale message off the wire, validated, as made by `terminalId`. */
export function saleFromWire(wire: unknown, terminalId: string): SaleDocument {
  const body = bodyOnly('sale', wire, terminalId);
  if (body.type !== 'sale') throw new WireValidationError('invalid sale: not a sale');
  return body.sale;
}

/** A refund document onto the wire (sync.proto Refund; its terminal is not carried). */
export function refundToWire(refund: RefundDocument): Record<string, unknown> {
  return eventToWire({ seq: 1, id: 'refund', occurredAt: 0, body: { type: 'refund', refund }, transfers: [] }).refund as Record<string, unknown>;
}

/** A Refund message off the wire, validated; `terminalId` is who made it when known ('' otherwise). */
export function refundFromWire(wire: unknown, terminalId = ''): RefundDocument {
  const body = bodyOnly('refund', wire, terminalId);
  if (body.type !== 'refund') throw new WireValidationError('invalid refund: not a refund');
  return body.refund;
}

/** A sale as HQ holds it: the document, the terminal that made it, the refunds of it HQ applied. */
export interface SaleLookup {
  sale: SaleDocument;
  terminalId: string;
  refunds: RefundDocument[];
  /** The selling store's name at HQ; absent or '' when HQ has none. */
  storeName?: string;
}

/** GetSaleResponse (and each entry of ListMemberSalesResponse). */
export function saleLookupToWire(l: SaleLookup): Record<string, unknown> {
  return { sale: saleToWire(l.sale), terminalId: l.terminalId, refunds: l.refunds.map(refundToWire), storeName: l.storeName ?? '' };
}

const storeNameField = z.string().max(200).optional().transform((n) => n ?? '');
const saleLookupSchema = z.object({ sale: z.unknown(), terminalId: id, refunds: z.array(z.unknown()).max(SYNC_LIMITS.linesPerSale), storeName: storeNameField });

/** GetSaleResponse off the wire, validated; every refund must be of the sale. */
export function saleLookupFromWire(wire: unknown): SaleLookup {
  const r = parseOrThrow(saleLookupSchema, wire, 'sale lookup');
  const sale = saleFromWire(r.sale, r.terminalId);
  const refunds = r.refunds.map((x) => refundFromWire(x));
  for (const refund of refunds) {
    if (refund.saleId !== sale.id) throw new WireValidationError(`invalid sale lookup: refund ${refund.id} is of sale ${refund.saleId}, not ${sale.id}`);
  }
  return { sale, terminalId: r.terminalId, refunds, ...(r.storeName ? { storeName: r.storeName } : {}) };
}

/** A top-up as HQ holds it (GetTopUp, ListMemberTopUps): the document, its terminal, its store's name, its refund if any. */
export interface TopUpLookup {
  topUp: TopUpDocument;
  terminalId: string;
  /** '' when HQ has no name for the store. */
  storeName: string;
  /** The refund HQ applied; its hold ids are not carried (null). */
  refund: TopUpRefundDocument | null;
}

/** TopUpLookup onto the wire. */
export function topUpLookupToWire(l: TopUpLookup): Record<string, unknown> {
  const event = (body: EventBody) => eventToWire({ seq: 1, id: 'lookup', occurredAt: 0, body, transfers: [] });
  return {
    topUp: event({ type: 'top_up', topUp: l.topUp }).topUp,
    terminalId: l.terminalId,
    storeName: l.storeName,
    ...(l.refund ? { refund: event({ type: 'top_up_refund', topUpRefund: l.refund }).topUpRefund } : {}),
  };
}

const topUpLookupSchema = z.object({ topUp: z.unknown(), terminalId: id, storeName: storeNameField, refund: z.unknown().nullish() });

/** TopUpLookup off the wire, validated; a refund must be of the top-up. */
export function topUpLookupFromWire(wire: unknown): TopUpLookup {
  const r = parseOrThrow(topUpLookupSchema, wire, 'top-up lookup');
  const body = bodyOnly('topUp', r.topUp, r.terminalId);
  if (body.type !== 'top_up') throw new WireValidationError('invalid top-up lookup: not a top-up');
  let refund: TopUpRefundDocument | null = null;
  if (r.refund != null) {
    const rb = bodyOnly('topUpRefund', r.refund, '');
    if (rb.type !== 'top_up_refund') throw new WireValidationError('invalid top-up lookup: refund is not a top-up refund');
    if (rb.topUpRefund.topUpId !== body.topUp.id) throw new WireValidationError(`invalid top-up lookup: refund ${rb.topUpRefund.id} is of top-up ${rb.topUpRefund.topUpId}, not ${body.topUp.id}`);
    refund = rb.topUpRefund;
  }
  return { topUp: body.topUp, terminalId: r.terminalId, storeName: r.storeName, refund };
}
