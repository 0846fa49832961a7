import express, { type NextFunction, type Request, type Response } from 'express';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DomainError, isDomainError } from '../core/errors';
import { formatMajor, minorDigits } from '../core/money';
import { localTime } from '../core/time';
import type { CardPresented, ScanData } from '../drivers';
import { stmt, type TerminalDb } from './db';
import type { CardInfo, Checkout, SaleView } from './checkout';
import type { StoreLane } from './devices';
import { EventsStream, isLoopbackAddress, isLoopbackHost } from './events-stream';
import { isCatalogBarcode, productByPlu } from './master-data';
import type { LinkState } from './hq-link';
import { currencySign, isLanguage, type Language } from './i18n';
import { isAcked, outboxDepth } from './outbox';
import { saleReceipt, shiftReportReceipt, topUpReceipt } from './receipt';
import type { Credential } from './operators';
import type { ShiftReport } from './shift';
import { SlipPrinter } from './slips-api';
import type { TillStaff } from './staff-api';
import { supervisorCredential } from './till-guard';

/**
 * The cashier app's lane: where "the current sale" lives, and what the devices do to it.
 *
 * The current sale is kept here, in the terminal service (one per lane), not in the page: a scan
 * or a card on the reader lands in it with nothing focused, even while the page reloads. The UI
 * says which sale it shows (POST /api/lane/current) and hears every change on the events stream
 * (`sale`, `member`, `lane-error`, `devices`, `receipt`, `payment`, `link`). At start the most
 * recent open sale becomes current again.
 */
export interface CashierLaneOptions {
  checkout: Checkout;
  db: TerminalDb;
  lane: StoreLane | null;
  events: EventsStream;
  store: { terminalId: string; storeName: string; chainName: string; currency: string; timeZone: string };
  /** The store's language (receipts); the UI may switch its own. */
  language: Language;
  link: () => { hq: LinkState; lastContactAt: number | null };
  log: (msg: string) => void;
  /** Who is signed in and what they may do (staff-api.ts): asked by the routes and by scans and cards. */
  staff: TillStaff;
}

export function saleDisplay(s: SaleView) {
  const f = (n: number) => formatMajor(n, s.currency);
  return {
    ...s,
    lines: s.lines.map((l) => ({ ...l, unitPriceDisplay: f(l.unitPriceMinor), amountDisplay: f(l.amountMinor) })),
    tenders: s.tenders.map((t) => ({ ...t, amountDisplay: f(t.amountMinor) })),
    display: { total: f(s.totalMinor), paid: f(s.paidMinor), due: f(s.dueMinor), change: f(s.changeMinor) },
  };
}

export interface MemberPanel extends CardInfo {
  birthdayToday: boolean;
  /** The member's unused wallet coupons known here (code and the promotion's name). */
  coupons: Array<{ code: string; name: string; validTo: string | null }>;
  warnings: string[];
  display: { principal: string; bonus: string };
}

export class CashierLane {
  private currentId: string | null = null;
  private lastLink = '';
  private linkTimer: ReturnType<typeof setInterval> | null = null;
  private offLane: (() => void) | null = null;
  /** Serialises what devices do to the sale, so two fast scans add in order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: CashierLaneOptions) {
    const open = stmt(o.db, "SELECT id FROM sales WHERE status = 'open' ORDER BY opened_at DESC LIMIT 1").get() as { id: string } | undefined;
    this.currentId = open?.id ?? null;
    o.events.onConnect = (send) => {
      send({ type: 'hello', data: this.snapshot() });
    };
  }

  start(): void {
    if (this.o.lane) this.offLane = this.o.lane.on((e) => this.onLaneEvent(e));
    this.linkTimer = setInterval(() => this.publishLinkIfChanged(), 500);
    this.linkTimer.unref();
  }

  stop(): void {
    this.offLane?.();
    if (this.linkTimer) clearInterval(this.linkTimer);
    this.o.events.close();
  }

  private linkState() {
    const l = this.o.link();
    return { hq: l.hq, lastContactAt: l.lastContactAt, outboxDepth: outboxDepth(this.o.db) };
  }

  private publishLinkIfChanged(): void {
    const s = this.linkState();
    const key = `${s.hq}/${s.outboxDepth}`;
    if (key === this.lastLink) return;
    this.lastLink = key;
    this.o.events.publish({ type: 'link', data: s });
  }

  snapshot() {
    const sale = this.current();
    return {
      terminalId: this.o.store.terminalId,
      storeName: this.o.store.storeName,
      chainName: this.o.store.chainName,
      currency: this.o.store.currency,
      currencySign: currencySign(this.o.store.currency),
      minorDigits: minorDigits(this.o.store.currency),
      language: this.o.language,
      simulated: this.o.lane?.simulated ?? false,
      devices: this.o.lane?.health() ?? [],
      waitingReceipts: this.o.lane?.waitingReceipts() ?? 0,
      hasPaymentTerminal: this.o.lane?.hasPaymentTerminal ?? false,
      link: this.linkState(),
      sale: sale && saleDisplay(sale),
      member: sale?.member ? this.memberPanelOrNull(sale.member.cardNo) : null,
    };
  }

  /** Device health for GET /api/health and the status bar. */
  devices(): unknown {
    return { simulated: this.o.lane?.simulated ?? false, devices: this.o.lane?.health() ?? [], waitingReceipts: this.o.lane?.waitingReceipts() ?? 0 };
  }

  current(): SaleView | null {
    if (!this.currentId) return null;
    const s = this.o.checkout.getSale(this.currentId);
    return s.status === 'open' ? s : null;
  }

  setCurrent(saleId: string | null): void {
    if (saleId) this.o.checkout.getSale(saleId); // SALE_NOT_FOUND for a stranger
    this.currentId = saleId;
  }

  /** The current open sale, opening one when there is none. */
  private currentOrNew(): SaleView {
    const s = this.current();
    if (s) return s;
    const opened = this.o.checkout.openSale();
    this.currentId = opened.id;
    return opened;
  }

  publishSale(sale: SaleView): void {
    this.o.events.publish({ type: 'sale', data: saleDisplay(sale) });
  }

  private laneError(code: string, message: string, details: Record<string, unknown> = {}): void {
    this.o.events.publish({ type: 'lane-error', data: { code, message, ...details } });
  }

  private serial(fn: () => Promise<void> | void): void {
    this.chain = this.chain.then(fn).catch((err: unknown) => {
      if (isDomainError(err)) this.laneError(err.code, err.message, err.details ?? {});
      else {
        this.o.log(`lane: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        this.laneError('INTERNAL', 'the terminal hit an unexpected error; it has been logged');
      }
    });
  }

  private onLaneEvent(e: Parameters<Parameters<StoreLane['on']>[0]>[0]): void {
    switch (e.type) {
      case 'scan':
        this.serial(() => this.scanned(e.scan));
        break;
      case 'card':
        this.serial(() => this.cardPresented(e.card));
        break;
      case 'health':
        this.o.events.publish({ type: 'devices', data: { devices: this.o.lane?.health() ?? [], waitingReceipts: this.o.lane?.waitingReceipts() ?? 0 } });
        break;
      case 'receipt-printed':
      case 'receipt-queued':
        this.o.events.publish({ type: 'receipt', data: { ...e, waitingReceipts: this.o.lane?.waitingReceipts() ?? 0 } });
        break;
      case 'payment-progress':
        this.o.events.publish({ type: 'payment', data: e });
        break;
      case 'device-error':
        this.o.events.publish({ type: 'device-error', data: e });
        break;
      case 'card-removed':
        break;
    }
  }

  /** A scan from the scanner: a product into the current sale, a member card or QR onto it. */
  scanned(scan: ScanData): void {
    const m = scan.meaning;
    if (m.kind === 'invalid') throw new DomainError(m.code === 'BAD_CHECK_DIGIT' ? 'BAD_CHECK_DIGIT' : 'VALIDATION_FAILED', m.message, { scan: scan.text });
    if (m.kind === 'member-qr') return this.attachCard(m.qr.cardNo);
    if (m.kind === 'payment-code') throw new DomainError('VALIDATION_FAILED', `a ${m.wallet} payment code was scanned; wallet payments are not taken at this lane yet`);
    // A code the catalog carries is that product even inside a label prefix (in-store 2x codes).
    const label = m.kind === 'variable-measure' && !isCatalogBarcode(this.o.db, scan.text) ? m.item : null;
    // A scale label whose PLU this store does not sell is refused before any sale opens.
    if (label) productByPlu(this.o.db, label.itemCode);
    if (m.kind === 'text' && this.isCardNo(scan.text)) return this.attachCard(scan.text);
    if (m.kind === 'text' && this.isCouponCode(scan.text)) {
      this.o.staff.guard.require('sale.create');
      const sale = this.currentOrNew();
      this.publishSale(this.o.checkout.presentCoupon(sale.id, scan.text));
      return;
    }
    if (m.kind === 'text' && this.isSaleId(scan.text)) {
      this.o.events.publish({ type: 'receipt-scanned', data: { saleId: scan.text } });
      return;
    }
    this.o.staff.guard.require('sale.create');
    const sale = this.currentOrNew();
    this.publishSale(label ? this.o.checkout.addScaleLabel(sale.id, label, scan.text) : this.o.checkout.addItem(sale.id, scan.text, 1));
  }

  private isCardNo(text: string): boolean {
    return stmt(this.o.db, 'SELECT 1 FROM cards WHERE card_no = ?').get(text) !== undefined;
  }

  private isOperatorCard(uid: string): boolean {
    try {
      return stmt(this.o.db, 'SELECT 1 FROM operators WHERE card_no = ?').get(uid) !== undefined;
    } catch {
      return false; // a terminal database from before operators (no table yet)
    }
  }

  private isCouponCode(text: string): boolean {
    try {
      return stmt(this.o.db, 'SELECT 1 FROM coupons WHERE code = ?').get(text.replace(/[\s-]/g, '').toUpperCase()) !== undefined;
    } catch {
      return false; // a terminal database from before coupons
    }
  }

  private isSaleId(text: string): boolean {
    return stmt(this.o.db, "SELECT 1 FROM sales WHERE id = ? AND status = 'completed'").get(text) !== undefined;
  }

  /** A card on the reader: refused when its identity block says it is a clone, else the member of the current sale. */
  cardPresented(card: CardPresented): void {
    // An operator's card signs in or approves (the UI decides by what it shows); never a member.
    if (this.isOperatorCard(card.uid)) {
      if (card.identity && !card.identity.ok) throw new DomainError('UNKNOWN_CARD', `operator card ${card.uid} failed the anti-clone check (${card.identity.code}): keep it and call the store manager`, { uid: card.uid, identity: card.identity.code });
      this.o.events.publish({ type: 'operator-card', data: { cardNo: card.uid } });
      return;
    }
    // A blank card (never issued, and no card of ours has its number) is one to issue at the desk.
    if (card.identity && !card.identity.ok && card.identity.code === 'CARD_NOT_ISSUED' && !this.isCardNo(card.uid)) {
      this.o.events.publish({ type: 'card-blank', data: { uid: card.uid, technology: card.technology } });
      return;
    }
    if (card.identity && !card.identity.ok) {
      const code = card.identity.code;
      throw new DomainError('UNKNOWN_CARD', code === 'CARD_CLONED' ? `card ${card.uid} failed the anti-clone check: keep it and call a supervisor` : `card ${card.uid} was not issued by this chain`, { uid: card.uid, identity: code });
    }
    this.attachCard(card.uid);
  }

  attachCard(cardNo: string): void {
    this.o.staff.guard.require('sale.create');
    const panel = this.memberPanel(cardNo);
    this.o.events.publish({ type: 'member', data: panel });
    const sale = this.currentOrNew();
    this.publishSale(this.o.checkout.attachMember(sale.id, cardNo));
  }

  memberPanelOrNull(cardNo: string): MemberPanel | null {
    try {
      return this.memberPanel(cardNo);
    } catch {
      return null;
    }
  }

  /** What the member panel shows: balances, points, level, birthday today, and why the card may not be usable. */
  memberPanel(cardNo: string): MemberPanel {
    const info = this.o.checkout.cardInfo(cardNo);
    const row = stmt(this.o.db, 'SELECT birthday FROM members WHERE id = ?').get(info.member.id) as { birthday: string | null } | undefined;
    const today = localTime(Date.now(), this.o.store.timeZone).date;
    const birthdayToday = !!row?.birthday && row.birthday.slice(5) === today.slice(5);
    const warnings: string[] = [];
    if (info.status !== 'active') warnings.push(`CARD_${info.status.toUpperCase()}`);
    if (info.expiresOn && info.expiresOn < today) warnings.push('CARD_EXPIRED');
    const f = (n: number) => formatMajor(n, this.o.store.currency);
    return { ...info, birthdayToday, warnings, coupons: this.walletCoupons(info.member.id, today), display: { principal: f(info.principalMinor), bonus: f(info.bonusMinor) } };
  }

  private walletCoupons(memberId: string, today: string): MemberPanel['coupons'] {
    try {
      const rows = stmt(
        this.o.db,
        `SELECT c.code, c.valid_to, COALESCE(json_extract(p.definition, ?), c.promotion_id) AS name FROM coupons c LEFT JOIN promotions p ON p.id = c.promotion_id
          WHERE c.member_id = ? AND c.used_sale_id IS NULL AND (c.valid_to IS NULL OR c.valid_to >= ?) ORDER BY c.code LIMIT 20`,
      ).all(this.o.language === 'zh-CN' ? '$.nameZh' : '$.name', memberId, today) as Array<{ code: string; valid_to: string | null; name: string }>;
      return rows.map((r) => ({ code: r.code, name: r.name, validTo: r.valid_to }));
    } catch {
      return []; // a terminal database from before coupons
    }
  }

  /** Receipts are laid out at the lane printer's paper width (the builders' 48 without a lane). */
  private get paper(): { widthChars?: number } {
    return this.o.lane ? { widthChars: this.o.lane.receiptWidth } : {};
  }

  /** Completes a paid sale, prints its receipt (queued if the printer cannot), and opens the drawer for cash. */
  async finish(saleId: string): Promise<{ sale: SaleView; drawerOpened: boolean }> {
    const sale = this.o.checkout.complete(saleId);
    if (this.currentId === saleId) this.currentId = null;
    let drawerOpened = false;
    if (this.o.lane) {
      // The drawer first and on its own: cash must go in even when the receipt cannot print.
      if (sale.tenders.some((t) => t.kind === 'cash')) drawerOpened = await this.o.lane.openDrawer();
      const offline = this.o.link().hq === 'offline';
      const receipt = saleReceipt(sale, { ...this.o.store, language: this.o.language }, { offline, ...this.paper });
      void this.o.lane.print(receipt).catch((err: unknown) => this.o.log(`receipt ${sale.id}: ${(err as Error).message}`));
    }
    this.publishSale(sale);
    return { sale, drawerOpened };
  }

  /** Prints a completed sale's receipt again, marked as a copy. */
  async reprint(saleId: string): Promise<{ status: string; message?: string }> {
    const sale = this.o.checkout.getSale(saleId);
    if (sale.status !== 'completed') throw new DomainError('SALE_NOT_OPEN', 'only a completed sale has a receipt to reprint', { saleId });
    if (!this.o.lane) throw new DomainError('NOT_FOUND', 'this terminal has no receipt printer');
    // A copy still says the sale awaits upload while HQ has not acknowledged it.
    const offline = sale.eventSeq !== null && !isAcked(this.o.db, sale.eventSeq);
    const base = saleReceipt(sale, { ...this.o.store, language: this.o.language }, { offline, ...this.paper });
    const copy = { ...base, id: `${sale.id}/copy-${Date.now()}`, lines: [{ text: this.o.language === 'zh-CN' ? '*** 补打 COPY ***' : '*** COPY ***', align: 'center' as const, bold: true }, ...base.lines] };
    const r = await this.o.lane.print(copy);
    return r.status === 'printed' ? { status: 'printed' } : { status: 'queued', message: r.message };
  }

  /**
   * A bank-card tender through the payment terminal. The journal makes it safe to press again
   * after any failure: a lost answer is resolved by the terminal's last-transaction query, and an
   * attempt that cannot be resolved blocks another charge for the same tender.
   */
  async payByCard(saleId: string, amountMinor: number) {
    const lane = this.o.lane;
    if (!lane?.hasPaymentTerminal) throw new DomainError('NOT_FOUND', 'no payment terminal at this lane: take the card on a stand-alone terminal and enter it as a bank-card tender with its reference');
    const before = this.o.checkout.getSale(saleId);
    if (before.status !== 'open') throw new DomainError('SALE_NOT_OPEN', `the sale is ${before.status}`, { saleId });
    if (amountMinor > before.dueMinor) throw new DomainError('OVERPAID', `only ${before.dueMinor} is still due`, { saleId, dueMinor: before.dueMinor, amountMinor });
    const tenderDoc = `${saleId}#card${before.tenders.filter((t) => t.kind === 'bank_card').length + 1}`;
    let outcome;
    try {
      outcome = await lane.chargeCard(tenderDoc, amountMinor);
    } catch (err) {
      const e = err as { code?: string; message: string };
      throw new DomainError('CONFLICT', `the card terminal could not take the payment (${e.code ?? 'FAILURE'}): ${e.message}`, { saleId, device: e.code ?? 'FAILURE' });
    }
    if (outcome.status !== 'approved') return { outcome, sale: saleDisplay(this.o.checkout.getSale(saleId)) };
    try {
      const sale = this.o.checkout.addBankCardTender(saleId, outcome.amount_minor, `ECR ${outcome.ecrRef} AUTH ${outcome.authCode} REF ${outcome.terminalRef}`);
      this.publishSale(sale);
      return { outcome, sale: saleDisplay(sale) };
    } catch (err) {
      // The sale changed while the customer paid (cancelled elsewhere): give the money back.
      const voided = await lane.voidCard(tenderDoc).catch((e: Error) => ({ status: 'unknown', message: e.message }));
      this.o.log(`card payment ${outcome.ecrRef} for a sale that changed was voided: ${voided.status}`);
      throw err;
    }
  }

  /** Cancels the sale whatever a device does: approved card payments are voided first (or reported for a manual void). */
  async cancel(saleId: string) {
    const sale = this.o.checkout.getSale(saleId);
    const voids: Array<{ tender: string; status: string; message?: string }> = [];
    if (this.o.lane?.hasPaymentTerminal) {
      const count = sale.tenders.filter((t) => t.kind === 'bank_card').length;
      for (let i = 1; i <= count; i++) {
        const doc = `${saleId}#card${i}`;
        try {
          const v = await this.o.lane.voidCard(doc);
          voids.push({ tender: doc, status: v.status, ...('message' in v ? { message: v.message } : {}) });
        } catch (err) {
          voids.push({ tender: doc, status: 'manual-void-needed', message: (err as Error).message });
        }
      }
    }
    const cancelled = await this.o.checkout.cancel(saleId);
    if (this.currentId === saleId) this.currentId = null;
    this.publishSale(cancelled);
    return { sale: saleDisplay(cancelled), voids };
  }

  /** Routes for the cashier app; `publicRoutes` go before the token check, `routes` after it. */
  publicRoutes(app: express.Express, token: string): void {
    app.get('/api/events', this.o.events.handle);
    app.get(['/app', '/app/'], (req, res) => {
      if (req.path === '/app') return res.redirect('/app/');
      const ok = isLoopbackAddress(req.socket.remoteAddress) && isLoopbackHost(req.headers.host);
      const html = readFileSync(new URL('./ui/app/index.html', import.meta.url), 'utf8').replace(
        '<!--ONECARD-META-->',
        ok ? `<meta name="onecard-token" content="${token}">` : '',
      );
      res.set('Cache-Control', 'no-store').type('html').send(html);
    });
    app.use('/app', express.static(fileURLToPath(new URL('./ui/app/', import.meta.url)), { index: false, fallthrough: false }));
  }

  /**
   * Routes after the token check. What moves goods or money asks `staff` who may (till-guard.ts):
   * the sale, payments, top-ups and reprints sale.create; cancelling a sale with lines or tenders
   * sale.void and the drawer without a sale drawer.open (or a supervisor's credential in the body);
   * writing a member card member.write. The snapshot, member enquiry and the virtual devices panel
   * (the simulated hardware itself) need the token only.
   */
  routes(app: express.Express): void {
    const staff = this.o.staff;
    const guard = staff.guard;
    const supervised = z.strictObject({ supervisor: supervisorCredential.optional() });
    const wrap = (fn: (req: Request, res: Response) => Promise<unknown> | unknown) => (req: Request, res: Response, next: NextFunction) => {
      Promise.resolve()
        .then(() => fn(req, res))
        .catch(next);
    };
    const amount = z.strictObject({ amountMinor: z.number().int().positive().refine(Number.isSafeInteger) });
    const parse = <S extends z.ZodType>(schema: S, v: unknown): z.output<S> => {
      const r = schema.safeParse(v ?? {});
      if (!r.success) throw new DomainError('VALIDATION_FAILED', `${r.error.issues[0]?.path.join('.') || 'body'}: ${r.error.issues[0]?.message ?? 'malformed'}`);
      return r.data;
    };
    app.get('/api/lane', wrap((_req, res) => res.json(this.snapshot())));
    app.post('/api/lane/current', wrap((req, res) => {
      const b = parse(z.strictObject({ saleId: z.string().min(1).max(128).nullable() }), req.body);
      this.setCurrent(b.saleId);
      res.json(this.snapshot());
    }));
    app.post('/api/lane/sale', wrap((_req, res) => {
      guard.require('sale.create');
      const s = this.currentOrNew();
      res.status(201).json(saleDisplay(s));
    }));
    app.post('/api/lane/language', wrap((req, res) => {
      const b = parse(z.strictObject({ language: z.string() }), req.body);
      if (!isLanguage(b.language)) throw new DomainError('VALIDATION_FAILED', 'language: zh-CN or en');
      res.json({ language: b.language });
    }));
    app.get('/api/lane/members/:cardNo', wrap((req, res) => res.json(this.memberPanel(String(req.params.cardNo)))));
    app.post('/api/lane/sales/:id/card', wrap(async (req, res) => {
      const b = parse(amount, req.body);
      guard.require('sale.create');
      res.json(await this.payByCard(String(req.params.id), b.amountMinor));
    }));
    app.post('/api/lane/sales/:id/finish', wrap(async (req, res) => {
      guard.require('sale.create');
      const r = await this.finish(String(req.params.id));
      res.json({ sale: saleDisplay(r.sale), drawerOpened: r.drawerOpened });
    }));
    app.post('/api/lane/sales/:id/cancel', wrap(async (req, res) => {
      const b = parse(supervised, req.body);
      // Approved first: the payment terminal's voids happen only for a cancel that may go ahead.
      const r = await staff.cancelSale(String(req.params.id), b.supervisor as Credential | undefined, () => this.cancel(String(req.params.id)));
      res.json({ ...r.result, approval: r.approval });
    }));
    app.post('/api/lane/sales/:id/reprint', wrap(async (req, res) => {
      guard.require('sale.create');
      res.json(await this.reprint(String(req.params.id)));
    }));
    app.post('/api/lane/top-ups', wrap(async (req, res) => {
      // A top-up at the desk: the same document as POST /api/top-ups, then its slip and, for cash, the drawer.
      const b = parse(z.strictObject({ cardNo: z.string().trim().min(1).max(64), principalMinor: z.number().int().positive().refine(Number.isSafeInteger), tender: z.enum(['cash', 'bank_card']) }), req.body);
      guard.require('sale.create');
      const r = this.o.checkout.topUp(b);
      let drawerOpened = false;
      if (this.o.lane) {
        if (b.tender === 'cash') drawerOpened = await this.o.lane.openDrawer();
        const name = this.o.checkout.cardInfo(r.cardNo).member.name;
        const slip = topUpReceipt({ ...r, memberName: name, tender: b.tender, at: Date.now() }, { ...this.o.store, language: this.o.language }, this.paper);
        void this.o.lane.print(slip).catch((err: unknown) => this.o.log(`top-up slip ${r.id}: ${(err as Error).message}`));
      }
      const f = (n: number) => formatMajor(n, this.o.store.currency);
      res.status(201).json({ ...r, drawerOpened, display: { principal: f(r.principalMinor), bonus: f(r.bonusMinor) } });
    }));
    app.post('/api/lane/cards/:uid/issue', wrap(async (req, res) => {
      // After the member desk registered the card at HQ: write its identity block on the card.
      const uid = String(req.params.uid).toUpperCase();
      if (!/^([0-9A-F]{2}){4,10}$/.test(uid)) throw new DomainError('VALIDATION_FAILED', 'uid: a card UID in hex');
      guard.require('member.write');
      if (!this.o.lane) throw new DomainError('NOT_FOUND', 'this terminal has no card reader');
      const row = stmt(this.o.db, 'SELECT id FROM cards WHERE card_no = ?').get(uid) as { id: string } | undefined;
      if (!row) throw new DomainError('UNKNOWN_CARD', `card ${uid} is not registered yet: register it at the member desk first`, { cardNo: uid });
      // The serial only has to be this card's; the chain key's MAC binds it to the UID.
      const serial = parseInt(uid.slice(-8), 16) >>> 0;
      try {
        await this.o.lane.issueCard(uid, serial);
      } catch (err) {
        throw new DomainError('CONFLICT', `the card could not be written: ${(err as Error).message}`, { cardNo: uid });
      }
      res.json({ cardNo: uid, issued: true });
    }));
    app.post('/api/lane/shifts/:id/print-z', wrap(async (req, res) => {
      guard.require('sale.create');
      // The Z report as the shift close stored it (terminal/shift.ts), printed in the store's language.
      const row = stmt(this.o.db, 'SELECT z_report FROM shifts WHERE id = ? AND closed_at IS NOT NULL').get(String(req.params.id)) as { z_report: string } | undefined;
      if (!row) throw new DomainError('NOT_FOUND', `no closed shift ${String(req.params.id)}`);
      if (!this.o.lane) throw new DomainError('NOT_FOUND', 'this terminal has no receipt printer');
      const report = JSON.parse(row.z_report) as ShiftReport;
      const op = stmt(this.o.db, 'SELECT name FROM operators WHERE id = ?').get(report.operatorId) as { name: string } | undefined;
      const r = await this.o.lane.print(shiftReportReceipt(report, { ...this.o.store, language: this.o.language }, { ...this.paper, ...(op ? { operatorName: op.name } : {}) }));
      res.json(r.status === 'printed' ? { status: 'printed' } : { status: 'queued', message: r.message });
    }));
    app.post('/api/lane/drawer', wrap(async (req, res) => {
      const b = parse(supervised.extend({ reason: z.string().trim().max(200).optional() }), req.body);
      const r = await staff.noSale(b.reason ?? '', b.supervisor as Credential | undefined, async () => (await this.o.lane?.openDrawer()) ?? false);
      res.json({ opened: r.drawerOpened, approval: r.approval });
    }));
    new SlipPrinter({ db: this.o.db, lane: this.o.lane, store: this.o.store, language: this.o.language }).routes(app, wrap);
    app.get('/api/lane/virtual', wrap((_req, res) => {
      const panel = this.o.lane?.panel;
      if (!panel) throw new DomainError('NOT_FOUND', 'the devices of this lane are real: there is no virtual devices panel');
      const cards = stmt(this.o.db, "SELECT c.card_no AS cardNo, c.medium, c.status, m.name FROM cards c JOIN members m ON m.id = c.member_id ORDER BY c.id LIMIT 50").all();
      // Operators' cards too (HQ's feed), so that the demo can sign in and approve with a card.
      const operatorCards = stmt(this.o.db, "SELECT card_no AS cardNo, 'mifare' AS medium, 'operator' AS status, name FROM operators WHERE card_no IS NOT NULL ORDER BY login LIMIT 50").all();
      res.json({ snapshot: panel.snapshot(), cards: [...operatorCards, ...cards] });
    }));
    const virtualBody = z.discriminatedUnion('action', [
      z.strictObject({ action: z.literal('scan'), code: z.string().min(1).max(128) }),
      z.strictObject({ action: z.literal('present-card'), uid: z.string().regex(/^([0-9A-Fa-f]{2}){4,10}$/), serial: z.number().int().min(0).max(0xffffffff).optional() }),
      z.strictObject({ action: z.literal('present-cloned-card'), uid: z.string().regex(/^([0-9A-Fa-f]{2}){4,10}$/) }),
      z.strictObject({ action: z.literal('remove-card') }),
      z.strictObject({ action: z.literal('swipe-id-card'), id: z.number().int().min(0).max(0xffffffff) }),
      z.strictObject({ action: z.enum(['paper-out', 'paper-in', 'cover-open', 'cover-closed']) }),
      z.strictObject({ action: z.literal('next-payment'), answers: z.array(z.enum(['approve', 'decline', 'no-answer', 'lose-answer', 'charge-other-amount'])).min(1).max(5) }),
      z.strictObject({ action: z.enum(['unplug', 'plug-in']), device: z.string().min(1).max(64) }),
    ]);
    app.post('/api/lane/virtual', wrap((req, res) => {
      const panel = this.o.lane?.panel;
      if (!panel) throw new DomainError('NOT_FOUND', 'the devices of this lane are real: there is no virtual devices panel');
      const b = parse(virtualBody, req.body);
      switch (b.action) {
        case 'scan': panel.scan(b.code); break;
        case 'present-card': panel.presentCard(b.uid.toUpperCase(), b.serial ?? 1); break;
        case 'present-cloned-card': panel.presentClonedCard(b.uid.toUpperCase()); break;
        case 'remove-card': panel.removeCard(); break;
        case 'swipe-id-card': panel.swipeIdCard(b.id); break;
        case 'paper-out': panel.paperOut(); break;
        case 'paper-in': panel.loadPaper(); break;
        case 'cover-open': panel.openCover(); break;
        case 'cover-closed': panel.closeCover(); break;
        case 'next-payment': panel.nextPayment(...b.answers); break;
        case 'unplug': panel.unplug(b.device); break;
        case 'plug-in': panel.plugIn(b.device); break;
      }
      res.json({ snapshot: panel.snapshot() });
    }));
  }
}
