import express, { type NextFunction, type Request, type Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { DomainError, isDomainError, type ErrorCode } from '../core/errors';
import { formatMajor, minorDigits } from '../core/money';
import { MAX_WEIGHT_GRAMS } from '../core/weighed';
import type { CardInfo, Checkout, SaleView } from './checkout';
import { checkoutOverrideRoutes } from './checkout-overrides-api';
import type { MemberMoneyServices } from './context';
import type { TerminalDb } from './db';
import type { LinkState } from './hq-link';
import { searchProducts } from './master-data';
import { unsyncedOfflineDebits } from './offline';
import { outboxDepth } from './outbox';
import type { Credential } from './operators';
import type { TillStaff } from './staff-api';
import { supervisorCredential, type TillGuard } from './till-guard';

/**
 * The local API the cashier UI talks to: 127.0.0.1 only, every /api route except
 * GET /api/health needs `Authorization: Bearer <per-launch token>`.
 *
 * Routes: sales (POST /api/sales, items, member, coupons (POST, DELETE /:code), tenders {cash | bank_card | stored_value [pin] |
 * points [pin]}, complete, cancel; GET /api/sales?cardNo=|memberId= a member's recent sales here and,
 * online, at other stores); refunds (POST /api/refunds, GET /api/sales/:id/refunds; a sale made at
 * another terminal or store comes from HQ, online only); top-ups (POST /api/top-ups,
 * POST /api/top-ups/:id/refund — of a top-up made anywhere in the chain, online only;
 * GET /api/members/:id/top-ups a member's recent top-ups here and, online, anywhere); gifts
 * (POST /api/gifts/redeem); member desk (POST /api/members,
 * GET /api/members/:id, POST /api/members/:id/cards, POST /api/cards/:cardNo/freeze | unfreeze |
 * report-lost | replace | transfer-balance); GET /api/cards/:cardNo, /api/products, /api/settings.
 * Operators at the till (staff-api.ts): /api/session (PIN or operator card, offline), /api/shift
 * (float, X, Z), /api/override (supervisor card or PIN for void, no-sale, manual discount, price
 * override, refunds above the limit).
 *
 * Who may (till-guard.ts): every route that moves goods or money or changes a member needs a
 * signed-in operator holding its permission — selling, tenders, top-ups and gifts sale.create;
 * refunds sale.refund; the member desk member.write. Removing a line (DELETE …/items/:lineNo) and
 * cancelling a sale with lines or tenders need sale.void, a refund (of a sale or a top-up) above the limit
 * refund.above_limit: without it, a body `{supervisor: {login, pin} | {cardNo}}` of an operator
 * who holds it allows the action, recorded as an override. Enquiries (health, terminal, products,
 * settings, sales, cards, members) need the token only.
 * Day close (day-close.ts, when `dayClose` is given; needs someone signed in): POST /api/day-close {businessDate?} writes the
 * 日结 event (totals by tender, seq range, hash chain) and answers 201 {dayClose, seq}.
 *
 * Errors are `{ error: { code, message, details } }` with the DomainError code. Status by kind:
 *   400 VALIDATION_FAILED — the request itself is malformed;
 *   401 UNAUTHENTICATED — no or wrong token, or an unknown operator credential;
 *   401 NOT_SIGNED_IN — nobody is signed in at the till;
 *   403 FORBIDDEN — the signed-in operator (and the supervisor, if given) lacks details.permission;
 *   404 UNKNOWN_BARCODE, UNKNOWN_CARD, SALE_NOT_FOUND, NOT_FOUND — what it names does not exist;
 *   409 SALE_NOT_OPEN, CONFLICT, CARD_STATUS_CHANGE_NOT_ALLOWED — not in a state that allows it;
 *   422 CARD_FROZEN, CARD_LOST, CARD_EXPIRED, CARD_INACTIVE, INSUFFICIENT_BALANCE, OVERPAID,
 *       SALE_NOT_PAID, NO_MEMBER, INSUFFICIENT_POINTS, POINTS_BELOW_REDEMPTION_UNIT,
 *       OFFLINE_LIMIT_EXCEEDED, PIN_REQUIRED, WRONG_PIN, PIN_LOCKED, REFUND_EXCEEDS_SALE —
 *       a well-formed request the business rules refuse (`details` says by how much);
 *   503 HQ_OFFLINE — needs HQ, which cannot be reached now;
 *   500 INTERNAL — anything unexpected (logged with the route), or HQ's own INTERNAL passed through.
 */

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  NOT_SIGNED_IN: 401,
  TERMINAL_REVOKED: 403,
  UNKNOWN_BARCODE: 404,
  UNKNOWN_CARD: 404,
  SALE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  HOLD_NOT_FOUND: 404,
  SALE_NOT_OPEN: 409,
  CONFLICT: 409,
  FORBIDDEN: 403,
  HOLD_NOT_PENDING: 409,
  CARD_STATUS_CHANGE_NOT_ALLOWED: 409,
  HQ_OFFLINE: 503,
  INTERNAL: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 422;
}

export interface LocalApiOptions {
  checkout: Checkout;
  services: MemberMoneyServices;
  db: TerminalDb;
  terminal: { terminalId: string; storeId: string; currency: string; storeName?: string; chainName?: string };
  token: string;
  link: () => { hq: LinkState; lastContactAt: number | null };
  log: (msg: string) => void;
  /** The cashier app (terminal/lane-api.ts): its page, events stream and lane routes, and device health. */
  cashierApp?: { publicRoutes(app: express.Express, token: string): void; routes(app: express.Express): void; devices(): unknown };
  /** Operators at the till (terminal/staff-api.ts): /api/session, /api/shift, /api/override, and who may use the routes here. */
  staff: TillStaff;
  /** The day close (terminal/day-close.ts): POST /api/day-close. */
  dayClose?: { routes(app: express.Express, guard: { signedIn(): unknown }): void };
}

const minor = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');
// `grams`: an item sold by weight, named by its PLU or barcode, at a weight the cashier keyed (core/weighed.ts).
const itemBody = z.strictObject({ barcode: z.string().trim().min(1).max(64), quantity: z.number().int().min(1).max(10_000).optional(), grams: z.number().int().min(1).max(MAX_WEIGHT_GRAMS).optional() });
const memberBody = z.strictObject({ cardNo: z.string().trim().min(1).max(64) });
const couponBody = z.strictObject({ code: z.string().trim().min(1).max(64) });
const positive = minor.refine((n) => n > 0, 'must be more than zero');
const pin = z.string().regex(/^\d{4,12}$/, 'a PIN is 4 to 12 digits');
const tenderBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cash'), amountMinor: minor.refine((n) => n > 0, 'must be more than zero'), tenderedMinor: minor.optional() }),
  z.strictObject({ kind: z.literal('stored_value'), amountMinor: minor.refine((n) => n > 0, 'must be more than zero'), pin: pin.optional() }),
  z.strictObject({ kind: z.literal('points'), points: positive, pin: pin.optional() }),
  z.strictObject({ kind: z.literal('bank_card'), amountMinor: minor.refine((n) => n > 0, 'must be more than zero'), reference: z.string().trim().min(1).max(128) }),
]);
const topUpBody = z.strictObject({
  cardNo: z.string().trim().min(1).max(64),
  principalMinor: minor.refine((n) => n > 0, 'must be more than zero'),
  tender: z.enum(['cash', 'bank_card']),
});
const lineNoParam = z.coerce.number().int().min(1).max(100_000);
const cardNo = z.string().trim().min(1).max(64);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const refundBody = z.strictObject({
  saleId: z.string().trim().min(1).max(128),
  lines: z.array(z.strictObject({ lineNo: z.number().int().min(1), quantity: positive })).min(1).max(1_000),
  withReceipt: z.boolean(),
  supervisor: supervisorCredential.optional(),
});
/** An action that may need a supervisor: their credential, when the cashier lacks the permission. */
const supervisedBody = z.strictObject({ supervisor: supervisorCredential.optional() });
const giftBody = z.strictObject({ cardNo, giftSku: z.string().trim().min(1).max(64), quantity: positive, points: positive });
const newCardBody = z.strictObject({
  cardNo,
  medium: z.enum(['mifare', 'em4100', 'magstripe', 'barcode', 'virtual']),
  pin: pin.optional(),
  expiresOn: isoDate.optional(),
});
const memberBodyNew = z.strictObject({
  name: z.string().trim().min(1).max(200),
  phone: z.string().trim().regex(/^\+?\d{5,20}$/, 'a phone number of digits'),
  birthday: isoDate.nullable().optional(),
  card: newCardBody.optional(),
});
const cardActionBody = z.strictObject({ reason: z.string().trim().max(200).optional() });
const replaceBody = z.strictObject({ reason: z.string().trim().max(200).optional(), newCard: newCardBody });
const transferBody = z.strictObject({ toCardNo: cardNo, amountMinor: positive.optional() });
const salesQuery = z.object({ cardNo: cardNo.optional(), memberId: z.string().trim().min(1).max(128).optional() }).refine((q) => q.cardNo !== undefined || q.memberId !== undefined, 'give cardNo or memberId');

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : 'body';
    throw new DomainError('VALIDATION_FAILED', `${path}: ${issue?.message ?? 'malformed'}`);
  }
  return r.data;
}

/** Amounts for people, next to the minor units for programs. */
function saleJson(s: SaleView) {
  const f = (n: number) => formatMajor(n, s.currency);
  return {
    ...s,
    lines: s.lines.map((l) => ({ ...l, unitPriceDisplay: f(l.unitPriceMinor), amountDisplay: f(l.amountMinor) })),
    tenders: s.tenders.map((t) => ({ ...t, amountDisplay: f(t.amountMinor) })),
    display: { total: f(s.totalMinor), paid: f(s.paidMinor), due: f(s.dueMinor), change: f(s.changeMinor) },
  };
}

function cardJson(c: CardInfo, currency: string) {
  return { ...c, display: { principal: formatMajor(c.principalMinor, currency), bonus: formatMajor(c.bonusMinor, currency) } };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

const PAGE_FILE = new URL('./ui/cashier.html', import.meta.url);

function cashierPage(token: string | null, o: LocalApiOptions): string {
  const html = readFileSync(PAGE_FILE, 'utf8');
  const meta = [
    token ? `<meta name="onecard-token" content="${token}">` : '',
    `<meta name="onecard-currency" content="${o.terminal.currency}">`,
    `<meta name="onecard-minor-digits" content="${minorDigits(o.terminal.currency)}">`,
  ].join('\n');
  return html.replace('<!--ONECARD-META-->', meta);
}

export function createLocalApi(o: LocalApiOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const { checkout, services } = o;
  const guard: TillGuard = o.staff.guard;
  const f = (n: number) => formatMajor(n, o.terminal.currency);

  app.get('/', (req, res) => {
    // The token goes only into a page this machine's browser loaded by a loopback name: not to
    // other machines, and not to a page of another site whose name was rebound to 127.0.0.1.
    const token = isLoopback(req.socket.remoteAddress) && isLoopbackHostHeader(req.headers.host) ? o.token : null;
    res.set('Cache-Control', 'no-store').type('html').send(cashierPage(token, o));
  });

  app.get('/api/health', (_req, res) => {
    const link = o.link();
    res.json({
      status: 'ok',
      terminalId: o.terminal.terminalId,
      storeId: o.terminal.storeId,
      hq: link.hq,
      outboxDepth: outboxDepth(o.db),
      lastContactAt: link.lastContactAt,
      // Stored value and points taken while HQ was unreachable, not yet acknowledged by HQ.
      offlineUnsynced: unsyncedOfflineDebits(o.db),
      ...(o.cashierApp ? { devices: o.cashierApp.devices() } : {}),
    });
  });
  o.cashierApp?.publicRoutes(app, o.token);

  app.use('/api', (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    if (!m || !sameToken(m[1]!, o.token)) {
      next(new DomainError('UNAUTHENTICATED', 'this call needs the terminal token: Authorization: Bearer <token>'));
      return;
    }
    next();
  });
  app.use('/api', express.json({ limit: '64kb' }));

  app.get('/api/terminal', (_req, res) => {
    res.json({ terminalId: o.terminal.terminalId, storeId: o.terminal.storeId, currency: o.terminal.currency, storeName: o.terminal.storeName ?? null, chainName: o.terminal.chainName ?? null });
  });
  app.post('/api/sales', (_req, res) => {
    guard.require('sale.create');
    res.status(201).json(saleJson(checkout.openSale()));
  });
  app.get('/api/sales/:id', (req, res) => {
    res.json(saleJson(checkout.getSale(req.params.id)));
  });
  app.post('/api/sales/:id/items', (req, res) => {
    const b = parse(itemBody, req.body);
    guard.require('sale.create');
    res.json(saleJson(checkout.addItem(req.params.id, b.barcode, b.quantity ?? 1, b.grams === undefined ? undefined : { grams: b.grams })));
  });
  app.delete('/api/sales/:id/items/:lineNo', async (req, res) => {
    const lineNo = parse(lineNoParam, req.params.lineNo);
    const b = parse(supervisedBody, req.body);
    const r = await o.staff.voidLine(req.params.id, lineNo, b.supervisor as Credential | undefined);
    res.json({ ...saleJson(r.sale), approval: r.approval });
  });
  // Price overrides and manual discounts (checkout-overrides-api.ts), each approved and recorded.
  // They change the sale: a signed-in operator who may sell first, then their own approval.
  app.use(['/api/sales/:id/discounts', '/api/sales/:id/items/:lineNo/price'], (req, _res, next) => {
    if (req.method !== 'GET') guard.require('sale.create');
    next();
  });
  checkoutOverrideRoutes(app, checkout, saleJson);
  // Coupon codes (promotions.ts): presented on the sale, priced, consumed when it completes.
  app.post('/api/sales/:id/coupons', (req, res) => {
    const b = parse(couponBody, req.body);
    guard.require('sale.create');
    res.json(saleJson(checkout.presentCoupon(req.params.id, b.code)));
  });
  app.delete('/api/sales/:id/coupons/:code', (req, res) => {
    guard.require('sale.create');
    res.json(saleJson(checkout.withdrawCoupon(req.params.id, parse(couponBody.shape.code, req.params.code))));
  });
  app.post('/api/sales/:id/member', (req, res) => {
    const b = parse(memberBody, req.body);
    guard.require('sale.create');
    res.json(saleJson(checkout.attachMember(req.params.id, b.cardNo)));
  });
  app.post('/api/sales/:id/tenders', async (req, res) => {
    const b = parse(tenderBody, req.body);
    guard.require('sale.create');
    let sale: SaleView;
    if (b.kind === 'cash') sale = checkout.addCashTender(req.params.id, b.amountMinor, b.tenderedMinor ?? b.amountMinor);
    else if (b.kind === 'bank_card') sale = checkout.addBankCardTender(req.params.id, b.amountMinor, b.reference);
    else if (b.kind === 'points') sale = await checkout.addPointsTender(req.params.id, b.points, b.pin);
    else sale = await checkout.addStoredValueTender(req.params.id, b.amountMinor, b.pin);
    res.json(saleJson(sale));
  });
  app.post('/api/sales/:id/complete', (req, res) => {
    guard.require('sale.create');
    res.json(saleJson(checkout.complete(req.params.id)));
  });
  app.post('/api/sales/:id/cancel', async (req, res) => {
    const b = parse(supervisedBody, req.body);
    const r = await o.staff.cancelSale(req.params.id, b.supervisor as Credential | undefined, () => checkout.cancel(req.params.id));
    res.json({ ...saleJson(r.result), approval: r.approval });
  });
  app.post('/api/top-ups', (req, res) => {
    const b = parse(topUpBody, req.body);
    guard.require('sale.create');
    const r = checkout.topUp(b);
    const f = (n: number) => formatMajor(n, o.terminal.currency);
    res.status(201).json({ ...r, display: { principal: f(r.principalMinor), bonus: f(r.bonusMinor), balancePrincipal: f(r.balance.principalMinor), balanceBonus: f(r.balance.bonusMinor) } });
  });
  app.get('/api/settings', (_req, res) => {
    const s = checkout.settings();
    res.json({ pointsTender: s.pointsTender, cardPinRequiredAboveMinor: s.cardPinRequiredAboveMinor, offline: s.offline, topUpBonusTiers: s.topUpBonusTiers, spendingOrder: s.spendingOrder });
  });
  app.get('/api/sales', async (req, res) => {
    const q = parse(salesQuery, req.query);
    // Online, the member's sales at other terminals and stores too (refund without the receipt).
    res.json({ sales: await services.refunds.salesAnywhere(q) });
  });
  app.get('/api/sales/:id/refunds', async (req, res) => {
    const known = await services.refunds.lookup(req.params.id);
    res.json({ sale: services.refunds.summaryOf(known), refunds: services.refunds.allRefundsOf(known) });
  });
  app.post('/api/refunds', async (req, res) => {
    const { supervisor, ...b } = parse(refundBody, req.body);
    // A sale made at another terminal or store is fetched from HQ (online only).
    const { result: r, approval, drawerOpened } = await o.staff.refund(b, supervisor as Credential | undefined);
    res.status(201).json({ ...r, approval, drawerOpened, display: { total: f(r.refund.totalMinor) } });
  });
  app.post('/api/top-ups/:id/refund', async (req, res) => {
    const { supervisor } = parse(supervisedBody, req.body ?? {});
    const { result: r, approval } = await o.staff.topUpRefund(req.params.id, supervisor as Credential | undefined);
    res.status(201).json({ ...r, approval, display: { principal: f(r.topUpRefund.principalMinor), bonusClawedBack: f(r.topUpRefund.bonusClawedBackMinor) } });
  });
  app.post('/api/gifts/redeem', async (req, res) => {
    const b = parse(giftBody, req.body);
    guard.require('sale.create');
    res.status(201).json(await services.gifts.redeem(b));
  });
  app.post('/api/members', async (req, res) => {
    const b = parse(memberBodyNew, req.body);
    guard.require('member.write');
    res.status(201).json(await services.desk.registerMember({ name: b.name, phone: b.phone, birthday: b.birthday ?? null, card: b.card }));
  });
  app.get('/api/members/:id', (req, res) => {
    if (!o.db.prepare('SELECT 1 FROM members WHERE id = ?').get(req.params.id)) throw new DomainError('NOT_FOUND', `no member ${req.params.id} here`);
    res.json(services.desk.view(req.params.id));
  });
  app.get('/api/members/:id/top-ups', async (req, res) => {
    if (!o.db.prepare('SELECT 1 FROM members WHERE id = ?').get(req.params.id)) throw new DomainError('NOT_FOUND', `no member ${req.params.id} here`);
    // Offline, only this till's own top-ups (source: this_terminal); the desk says so.
    res.json(await services.topUpRefunds.topUpsOf(req.params.id));
  });
  app.post('/api/members/:id/cards', async (req, res) => {
    const b = parse(newCardBody, req.body);
    guard.require('member.write');
    res.status(201).json(await services.desk.issueCard(req.params.id, b));
  });
  for (const [path, action] of [['freeze', 'freeze'], ['unfreeze', 'unfreeze'], ['report-lost', 'report_lost']] as const) {
    app.post(`/api/cards/:cardNo/${path}`, async (req, res) => {
      const b = parse(cardActionBody, req.body);
      guard.require('member.write');
      res.json(await services.desk.changeCardStatus(req.params.cardNo, action, { reason: b.reason }));
    });
  }
  app.post('/api/cards/:cardNo/replace', async (req, res) => {
    const b = parse(replaceBody, req.body);
    guard.require('member.write');
    res.json(await services.desk.changeCardStatus(req.params.cardNo, 'replace', { reason: b.reason, newCard: b.newCard }));
  });
  app.post('/api/cards/:cardNo/transfer-balance', async (req, res) => {
    const b = parse(transferBody, req.body);
    guard.require('member.write');
    res.json(await services.desk.transferBalance(req.params.cardNo, b.toCardNo, b.amountMinor));
  });
  app.get('/api/cards/:cardNo', (req, res) => {
    res.json(cardJson(checkout.cardInfo(req.params.cardNo), o.terminal.currency));
  });
  app.get('/api/products', (req, res) => {
    const query = typeof req.query.query === 'string' ? req.query.query.slice(0, 64) : '';
    const products = searchProducts(o.db, query).map((p) => ({ ...p, priceDisplay: formatMajor(p.priceMinor, o.terminal.currency) }));
    res.json({ products });
  });

  o.staff.routes(app);
  o.dayClose?.routes(app, guard);
  o.cashierApp?.routes(app);
  app.use('/api', (_req, _res, next) => next(new DomainError('NOT_FOUND', 'no such route')));

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (isDomainError(err)) {
      res.status(httpStatusOf(err.code)).json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    // express.json() refusing the body: malformed JSON or too large.
    const status = (err as { status?: number; type?: string }).status;
    if (status !== undefined && status >= 400 && status < 500) {
      res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: `malformed request body: ${(err as Error).message}` } });
      return;
    }
    o.log(`local API ${req.method} ${req.originalUrl} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json({ error: { code: 'INTERNAL', message: 'the terminal hit an unexpected error; it has been logged' } });
  });
  return app;
}

/** Listens on host:port (0 = any free port); resolves with the server and its base URL. */
export function listenLocalApi(app: express.Express, host: string, port: number): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({ server, url: `http://${shownHost}:${addr.port}` });
    });
  });
}

/** Stops accepting, closes idle keep-alive connections, and cuts the rest after a grace period. */
export function closeServer(server: Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.close((err) => {
      clearTimeout(cut);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
