import type express from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import type { Checkout, SaleView } from './checkout';
import type { RefundResult } from './refunds';
import type { TopUpRefundResult } from './top-up-refund';
import type { MemberMoneyServices } from './context';
import type { TerminalDb } from './db';
import { listOperators, unlockOperator, verifyCredential, type CachedOperator, type Credential } from './operators';
import { Overrides, SUPERVISED_ACTIONS, type SupervisedAction } from './overrides';
import { Staff, type StaffSession } from './shift';
import { approvalOf, supervisorCredential, TillGuard, type Approval } from './till-guard';

/**
 * Local API routes for operators at the till (mounted by local-api.ts behind the per-launch token):
 *   POST /api/session {login, pin} | {cardNo}  sign in (offline, against the operator cache)
 *   GET /api/session, DELETE /api/session      who is signed in; sign out
 *   POST /api/session/unlock {operatorId, supervisor}  lift a PIN lock here (operator.manage)
 *   GET /api/shift, POST /api/shift/open {floatMinor}, GET /api/shift/x,
 *   POST /api/shift/close {countedCashMinor}, GET /api/shift/:id/z
 *   POST /api/override/void-line {saleId, lineNo, supervisor?}      sale.void
 *   POST /api/override/void-sale {saleId, supervisor?}              sale.void
 *   POST /api/override/refund {saleId, lines, withReceipt, supervisor?}  sale.refund; refund.above_limit above the limit
 *   POST /api/override/no-sale {supervisor?}                        drawer.open
 *   POST /api/override {action: manual_discount | price_override, saleId, lineNo?, …, supervisor?}
 *       an approval for checkout features that take one (recorded; its id is handed to them)
 *   GET /api/override                                               recent approvals
 * `supervisor` is {login, pin} or {cardNo}. Without the permission and without a supervisor who
 * holds it: 403 FORBIDDEN with details.needsSupervisor.
 */

export interface StaffOptions {
  db: TerminalDb;
  clock: Clock;
  newId: () => string;
  checkout: Checkout;
  services: MemberMoneyServices;
  /** Refunds above this total need refund.above_limit; by default the chain's refundLimitMinor setting (¥500.00 unless HQ sets it). */
  refundLimitMinor?: number;
  /** Opens the cash drawer for a no-sale; absent: recorded only. */
  openDrawer?: () => Promise<boolean>;
}

export const DEFAULT_REFUND_LIMIT_MINOR = 50_000;

const credential = supervisorCredential;
const supervisorField = { supervisor: credential.optional() };
const floatBody = z.strictObject({ floatMinor: z.number().int().min(0).refine(Number.isSafeInteger) });
const closeBody = z.strictObject({ countedCashMinor: z.number().int().min(0).refine(Number.isSafeInteger) });
const voidLineBody = z.strictObject({ saleId: z.string().trim().min(1).max(128), lineNo: z.number().int().min(1), ...supervisorField });
const voidSaleBody = z.strictObject({ saleId: z.string().trim().min(1).max(128), ...supervisorField });
const refundBody = z.strictObject({
  saleId: z.string().trim().min(1).max(128),
  lines: z.array(z.strictObject({ lineNo: z.number().int().min(1), quantity: z.number().int().min(1) })).min(1).max(1000),
  withReceipt: z.boolean(),
  ...supervisorField,
});
const noSaleBody = z.strictObject({ reason: z.string().trim().max(200).optional(), ...supervisorField });
const approvalBody = z.strictObject({
  action: z.enum(['manual_discount', 'price_override']),
  saleId: z.string().trim().min(1).max(128),
  lineNo: z.number().int().min(1).optional(),
  amountMinor: z.number().int().refine(Number.isSafeInteger).optional(),
  reason: z.string().trim().max(200).optional(),
  ...supervisorField,
});
const unlockBody = z.strictObject({ operatorId: z.string().trim().min(1).max(128), supervisor: credential });

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DomainError('VALIDATION_FAILED', `${issue?.path.length ? issue.path.join('.') : 'body'}: ${issue?.message ?? 'malformed'}`);
  }
  return r.data;
}

const operatorJson = (o: CachedOperator) => ({ id: o.id, name: o.name, login: o.login, permissions: o.permissions, hasCard: o.cardNo !== null });
const sessionJson = (s: StaffSession | null) => (s ? { id: s.id, method: s.method, signedInAt: s.signedInAt, operator: operatorJson(s.operator) } : null);

export interface TillStaff {
  staff: Staff;
  overrides: Overrides;
  guard: TillGuard;
  /** Removes a line (sale.void, or a supervisor's credential). */
  voidLine(saleId: string, lineNo: number, supervisor: Credential | undefined): Promise<{ sale: SaleView; approval: Approval }>;
  /**
   * Cancels a sale through `cancel`: an empty sale needs sale.create only; one with lines or
   * tenders needs sale.void (or a supervisor's credential).
   */
  cancelSale<T>(saleId: string, supervisor: Credential | undefined, cancel: () => Promise<T>): Promise<{ result: T; approval: Approval | null }>;
  /**
   * A refund (sale.refund); above the refund limit also refund.above_limit (or a supervisor's
   * credential). Cash going back opens the drawer, as a cash sale does.
   */
  refund(input: { saleId: string; lines: Array<{ lineNo: number; quantity: number }>; withReceipt: boolean }, supervisor: Credential | undefined): Promise<{ result: RefundResult; approval: Approval | null; drawerOpened: boolean }>;
  /** A top-up refund (sale.refund); principal paid back above the refund limit also refund.above_limit (or a supervisor's credential). */
  topUpRefund(topUpId: string, supervisor: Credential | undefined): Promise<{ result: TopUpRefundResult; approval: Approval | null }>;
  /** Opens the drawer with no sale (drawer.open, or a supervisor's credential). */
  noSale(reason: string, supervisor: Credential | undefined, open?: () => Promise<boolean>): Promise<{ drawerOpened: boolean; approval: Approval }>;
  routes(app: express.Express): void;
}

/** The staff services of one terminal and their routes. */
export function createStaff(o: StaffOptions): TillStaff {
  const staff = new Staff(o.db, o.clock, o.newId);
  const overrides = new Overrides(o.db, o.clock, o.newId, staff);
  const guard = new TillGuard(staff, overrides);
  // Read at each refund: a limit HQ changes applies from the next pull.
  const refundLimit = (): number => o.refundLimitMinor ?? o.checkout.settings().refundLimitMinor;

  async function voidLine(saleId: string, lineNo: number, supervisor: Credential | undefined) {
    guard.require('sale.create');
    const line = o.checkout.getSale(saleId).lines.find((l) => l.lineNo === lineNo);
    if (!line) throw new DomainError('NOT_FOUND', `sale ${saleId} has no line ${lineNo}`);
    const r = await guard.supervised('void_line', supervisor, { saleId, lineNo, sku: line.sku, amountMinor: line.amountMinor }, () => o.checkout.removeLine(saleId, lineNo));
    return { sale: r.result, approval: r.approval };
  }

  async function cancelSale<T>(saleId: string, supervisor: Credential | undefined, cancel: () => Promise<T>) {
    guard.require('sale.create');
    const before = o.checkout.getSale(saleId);
    // Nothing scanned and nothing paid: abandoning it voids nothing. A sale no longer open is refused by cancel itself.
    if (before.status !== 'open' || (before.lines.length === 0 && before.tenders.length === 0)) return { result: await cancel(), approval: null };
    return guard.supervised('void_sale', supervisor, { saleId, totalMinor: before.totalMinor }, cancel);
  }

  async function refund(input: { saleId: string; lines: Array<{ lineNo: number; quantity: number }>; withReceipt: boolean }, supervisor: Credential | undefined) {
    guard.require('sale.refund');
    // The amount decides whether a supervisor is needed: planned exactly as the refund will be.
    // A sale made at another store comes from HQ (online only), with every refund of it known.
    const known = await o.services.refunds.lookup(input.saleId);
    const plan = o.services.refunds.preview(known, input);
    const run = () => o.services.refunds.refund({ saleId: input.saleId, lines: input.lines, withReceipt: input.withReceipt }, known);
    const limit = refundLimit();
    const done = plan.totalMinor <= limit ? { result: run(), approval: null } : await guard.supervised('refund_above_limit', supervisor, { saleId: input.saleId, totalMinor: plan.totalMinor, limitMinor: limit }, run);
    const cash = done.result.refund.tenders.some((t) => t.kind === 'cash' && t.amountMinor > 0);
    const drawerOpened = cash && o.openDrawer ? await o.openDrawer().catch(() => false) : false;
    return { ...done, drawerOpened };
  }

  async function topUpRefund(topUpId: string, supervisor: Credential | undefined) {
    guard.require('sale.refund');
    // The principal that would go back decides, as for a sale's refund; previewing changes nothing.
    // A top-up made at another terminal or store comes from HQ (online only), with its refund if any.
    const known = await o.services.topUpRefunds.lookup(topUpId);
    const { principalMinor } = o.services.topUpRefunds.preview(known);
    const run = () => o.services.topUpRefunds.refund(known);
    const limit = refundLimit();
    if (principalMinor <= limit) return { result: await run(), approval: null };
    return guard.supervised('refund_above_limit', supervisor, { topUpId, totalMinor: principalMinor, limitMinor: limit }, run);
  }

  async function noSale(reason: string, supervisor: Credential | undefined, open = o.openDrawer) {
    const r = await guard.supervised('no_sale', supervisor, { reason }, async () => (open ? open() : false));
    return { drawerOpened: r.result, approval: r.approval };
  }

  function routes(app: express.Express): void {
    app.post('/api/session', async (req, res) => {
      const c = parse(credential, req.body) as Credential;
      res.status(201).json({ session: sessionJson(await staff.signIn(c)) });
    });
    app.get('/api/session', (_req, res) => {
      res.json({ session: sessionJson(staff.current()), shift: staff.currentShift() });
    });
    app.delete('/api/session', (_req, res) => {
      staff.signOut();
      res.status(204).end();
    });
    app.get('/api/session/operators', (_req, res) => {
      // Names and logins for the sign-in screen; never hashes.
      res.json({ operators: listOperators(o.db).map((x) => ({ ...operatorJson(x), locked: x.lockedAtHq || x.lockedHere })) });
    });
    app.post('/api/session/unlock', async (req, res) => {
      const b = parse(unlockBody, req.body);
      const manager = await verifyCredential(o.db, o.clock, b.supervisor as Credential);
      if (!manager.permissions.includes('operator.manage')) throw new DomainError('FORBIDDEN', `${manager.name} may not unlock operators (operator.manage)`);
      unlockOperator(o.db, o.clock, b.operatorId, manager.id);
      res.status(204).end();
    });

    app.get('/api/shift', (_req, res) => {
      const shift = staff.currentShift();
      res.json({ shift, x: shift && staff.current() ? staff.xReport() : null });
    });
    app.post('/api/shift/open', (req, res) => {
      const b = parse(floatBody, req.body);
      res.status(201).json({ shift: staff.openShift(b.floatMinor) });
    });
    app.get('/api/shift/x', (_req, res) => {
      res.json(staff.xReport());
    });
    app.post('/api/shift/close', (req, res) => {
      const b = parse(closeBody, req.body);
      res.json(staff.closeShift(b.countedCashMinor));
    });
    app.get('/api/shift/:id/z', (req, res) => {
      staff.requireSignedIn();
      res.json(staff.zReport(String(req.params.id)));
    });

    app.get('/api/override', (_req, res) => {
      staff.requireSignedIn();
      res.json({ overrides: overrides.list() });
    });
    app.post('/api/override/void-line', async (req, res) => {
      const b = parse(voidLineBody, req.body);
      const r = await voidLine(b.saleId, b.lineNo, b.supervisor as Credential | undefined);
      res.json({ sale: r.sale, ...r.approval });
    });
    app.post('/api/override/void-sale', async (req, res) => {
      const b = parse(voidSaleBody, req.body);
      guard.require('sale.create');
      const before = o.checkout.getSale(b.saleId);
      const r = await guard.supervised('void_sale', b.supervisor as Credential | undefined, { saleId: b.saleId, totalMinor: before.totalMinor }, () => o.checkout.cancel(b.saleId));
      res.json({ sale: r.result, ...r.approval });
    });
    app.post('/api/override/refund', async (req, res) => {
      const b = parse(refundBody, req.body);
      const r = await refund(b, b.supervisor as Credential | undefined);
      res.status(201).json({ ...r.result, ...(r.approval ?? {}), drawerOpened: r.drawerOpened });
    });
    app.post('/api/override/no-sale', async (req, res) => {
      const b = parse(noSaleBody, req.body);
      const r = await noSale(b.reason ?? '', b.supervisor as Credential | undefined);
      res.json({ drawerOpened: r.drawerOpened, ...r.approval });
    });
    app.post('/api/override', async (req, res) => {
      const b = parse(approvalBody, req.body);
      const { supervisor, action, ...details } = b;
      guard.signedIn();
      o.checkout.getSale(b.saleId);
      const r = await overrides.authorize(action as SupervisedAction, supervisor as Credential | undefined, details);
      res.status(201).json(approvalOf(r));
    });
  }

  return { staff, overrides, guard, voidLine, cancelSale, refund, topUpRefund, noSale, routes };
}

export { SUPERVISED_ACTIONS };
