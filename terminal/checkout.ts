import { cardBonusAccountId, cardPrincipalAccountId, storeSalesAccountId } from '../core/accounts';
import type { Clock } from '../core/ids';
import { DomainError, invariant, isDomainError } from '../core/errors';
import type { Transfer } from '../core/ledger';
import { assertMinor } from '../core/money';
import { pointsEarned } from '../core/points';
import { eligibleAmount, postSale, type SaleDocument, type SaleLine, type SaleTender, type StoredValueTenderLeg } from '../core/sale';
import { splitStoredValuePayment, topUpBonus, type SpendingOrder, type TopUpBonusTier } from '../core/stored-value';
import { postTopUp, type TopUpDocument } from '../core/top-up';
import { cardSpendable, memberPoints } from './balances';
import { stmt, type TerminalDb } from './db';
import type { AuthorizeResult, HqLink } from './hq-link';
import { applyTransfers } from './ledger';
import { assertCardUsable, findCardHolder, productByBarcode, type CardHolder } from './master-data';
import { recordEvent } from './outbox';

/** Top-up bonus tiers when the chain sets none: 充500送50, 充1000送150 (in minor units). */
export const DEFAULT_TOP_UP_TIERS: readonly TopUpBonusTier[] = [
  { minPrincipalMinor: 50_000, bonusMinor: 5_000 },
  { minPrincipalMinor: 100_000, bonusMinor: 15_000 },
];

export interface CheckoutOptions {
  db: TerminalDb;
  terminal: { terminalId: string; storeId: string; currency: string };
  clock: Clock;
  newId: () => string;
  hq: HqLink;
  topUpTiers?: readonly TopUpBonusTier[];
  spendingOrder?: SpendingOrder;
  /** Time zone for card expiry dates; the machine's own when not given. */
  timeZone?: string;
  /** Called right after a sale's transaction commits, before anything is sent (fault tests). */
  afterSaleCommit?: () => void;
  log?: (msg: string) => void;
}

export type SaleStatus = 'open' | 'completed' | 'cancelled';

export interface SaleView {
  id: string;
  status: SaleStatus;
  currency: string;
  lines: SaleLine[];
  totalMinor: number;
  paidMinor: number;
  dueMinor: number;
  changeMinor: number;
  tenders: Array<SaleTender & { tenderNo: number }>;
  member: { memberId: string; cardId: string; cardNo: string; name: string; levelCode: string; levelName: string | null } | null;
  pointsEarned: number;
  openedAt: number;
  completedAt: number | null;
  /** Seq of the outbox event that carries the completed sale. */
  eventSeq: number | null;
}

export interface CardInfo {
  cardId: string;
  cardNo: string;
  status: string;
  expiresOn: string | null;
  member: { id: string; name: string; phone: string };
  level: { code: string; name: string; pointsMultiplier: string; discountRate: string } | null;
  principalMinor: number;
  bonusMinor: number;
  points: number;
}

export interface TopUpResult {
  id: string;
  cardNo: string;
  principalMinor: number;
  bonusMinor: number;
  eventSeq: number;
  balance: { principalMinor: number; bonusMinor: number };
}

interface SaleRow {
  id: string;
  status: SaleStatus;
  opened_at: number;
  member_id: string | null;
  card_id: string | null;
  total_minor: number;
  points_earned: number;
  completed_at: number | null;
  event_seq: number | null;
}

interface LineRow {
  line_no: number;
  sku: string;
  barcode: string;
  name: string;
  quantity: number;
  unit_price_minor: number;
  amount_minor: number;
  eligible_for_member_benefits: number;
}

interface TenderRow {
  tender_no: number;
  kind: SaleTender['kind'];
  amount_minor: number;
  tendered_minor: number;
  change_minor: number;
  reference: string;
  card_id: string | null;
  hold_id: string | null;
}

interface HoldLegRow {
  transfer_id: string;
  hold_id: string;
  account_id: string;
  part: 'principal' | 'bonus';
  amount: number;
}

const MAX_QUANTITY = 10_000;
// What one sync event may carry (protocols/sync/v1/codec.ts): a sale HQ would refuse is refused here.
const MAX_LINES = 1_000;
const MAX_TENDERS = 20;
const MAX_HOLDS_PER_RELEASE = 8;

function validation(message: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError('VALIDATION_FAILED', message, details);
}

function requirePositiveMinor(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw validation(`${what} must be a whole number of minor units above zero`, { [what]: n });
}

/**
 * A store's checkout: sales from open to completed or cancelled, and top-ups. State lives in
 * SQLite, so an open sale survives a restart. Every completed document writes its rows, its
 * transfers and one outbox event in one transaction; HQ hears of it only after that commits.
 */
export class Checkout {
  private readonly db: TerminalDb;
  private readonly tiers: readonly TopUpBonusTier[];
  /** Holds whose Authorize is being asked right now, in this process. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly o: CheckoutOptions) {
    this.db = o.db;
    this.tiers = o.topUpTiers ?? DEFAULT_TOP_UP_TIERS;
  }

  openSale(): SaleView {
    const id = this.o.newId();
    stmt(this.db, "INSERT INTO sales (id, status, opened_at) VALUES (?, 'open', ?)").run(id, this.o.clock.now());
    return this.getSale(id);
  }

  getSale(saleId: string): SaleView {
    const s = this.saleRow(saleId);
    const lines = this.lines(saleId);
    const tenders = this.tenders(saleId);
    const paid = tenders.reduce((sum, t) => sum + t.amountMinor, 0);
    let member: SaleView['member'] = null;
    if (s.member_id && s.card_id) {
      const m = stmt(
        this.db,
        `SELECT m.name, m.level_code, l.name AS level_name, c.card_no FROM members m JOIN cards c ON c.id = ?
             LEFT JOIN member_levels l ON l.code = m.level_code WHERE m.id = ?`,
      ).get(s.card_id, s.member_id) as { name: string; level_code: string; level_name: string | null; card_no: string } | undefined;
      member = {
        memberId: s.member_id,
        cardId: s.card_id,
        cardNo: m?.card_no ?? '',
        name: m?.name ?? '',
        levelCode: m?.level_code ?? '',
        levelName: m?.level_name ?? null,
      };
    }
    return {
      id: s.id,
      status: s.status,
      currency: this.o.terminal.currency,
      lines,
      totalMinor: s.total_minor,
      paidMinor: paid,
      dueMinor: Math.max(0, s.total_minor - paid),
      changeMinor: tenders.reduce((sum, t) => sum + (t.kind === 'cash' ? t.changeMinor : 0), 0),
      tenders,
      member,
      pointsEarned: s.points_earned,
      openedAt: s.opened_at,
      completedAt: s.completed_at,
      eventSeq: s.event_seq,
    };
  }

  /** Adds a product by barcode; the same barcode again adds to that line's quantity. */
  addItem(saleId: string, barcode: string, quantity = 1): SaleView {
    if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) throw validation(`quantity must be a whole number from 1 to ${MAX_QUANTITY}`, { quantity });
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      const product = productByBarcode(this.db, barcode);
      const existing = stmt(this.db, 'SELECT * FROM sale_lines WHERE sale_id = ? AND barcode = ? AND sku = ?').get(saleId, barcode, product.sku) as LineRow | undefined;
      if (existing) {
        const q = existing.quantity + quantity;
        if (q > MAX_QUANTITY) throw validation(`quantity must be at most ${MAX_QUANTITY}`, { quantity: q });
        stmt(this.db, 'UPDATE sale_lines SET quantity = ?, amount_minor = ? WHERE sale_id = ? AND line_no = ?').run(q, lineAmount(existing.unit_price_minor, q), saleId, existing.line_no);
      } else {
        const count = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_lines WHERE sale_id = ?').get(saleId) as { n: number }).n;
        if (count >= MAX_LINES) throw validation(`a sale holds at most ${MAX_LINES} lines; complete this one and start another`, { saleId });
        const next = (stmt(this.db, 'SELECT COALESCE(MAX(line_no), 0) + 1 AS n FROM sale_lines WHERE sale_id = ?').get(saleId) as { n: number }).n;
        stmt(
          this.db,
          `INSERT INTO sale_lines (sale_id, line_no, sku, barcode, name, quantity, unit_price_minor, amount_minor, eligible_for_member_benefits)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(saleId, next, product.sku, product.barcode, product.nameZh || product.name, quantity, product.priceMinor, lineAmount(product.priceMinor, quantity), product.excludedFromMemberBenefits ? 0 : 1);
      }
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  removeLine(saleId: string, lineNo: number): SaleView {
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      const r = stmt(this.db, 'DELETE FROM sale_lines WHERE sale_id = ? AND line_no = ?').run(saleId, lineNo);
      if (r.changes === 0) throw new DomainError('NOT_FOUND', `sale has no line ${lineNo}`, { saleId, lineNo });
      this.updateTotal(saleId);
    })();
    return this.getSale(saleId);
  }

  /** Attaches the member whose card this is; the card must be usable today. */
  attachMember(saleId: string, cardNo: string): SaleView {
    this.db.transaction(() => {
      const sale = this.openSaleRow(saleId);
      const holder = findCardHolder(this.db, cardNo);
      assertCardUsable(holder, this.o.clock.now(), this.o.timeZone);
      if (sale.card_id && sale.card_id !== holder.card.id && this.hasStoredValueTender(saleId)) {
        throw new DomainError('CONFLICT', 'this sale is already paid partly from another card; cancel it to change the member', { saleId });
      }
      stmt(this.db, 'UPDATE sales SET member_id = ?, card_id = ? WHERE id = ?').run(holder.member.id, holder.card.id, saleId);
    })();
    return this.getSale(saleId);
  }

  /** Cash: `amountMinor` goes to the sale, `tenderedMinor` (default: the same) was handed over. */
  addCashTender(saleId: string, amountMinor: number, tenderedMinor: number = amountMinor): SaleView {
    requirePositiveMinor(amountMinor, 'amountMinor');
    if (!Number.isSafeInteger(tenderedMinor) || tenderedMinor < amountMinor) {
      throw validation('the cash handed over must be at least the amount tendered', { amountMinor, tenderedMinor });
    }
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      this.assertTenderRoom(saleId);
      this.assertNotOverpaid(saleId, amountMinor);
      this.insertTender(saleId, { kind: 'cash', amount: amountMinor, tendered: tenderedMinor, change: tenderedMinor - amountMinor });
    })();
    return this.getSale(saleId);
  }

  /** Bank card: recorded with the approval reference (the payment-terminal driver comes later). */
  addBankCardTender(saleId: string, amountMinor: number, reference: string): SaleView {
    requirePositiveMinor(amountMinor, 'amountMinor');
    if (reference.trim() === '') throw validation('a bank-card tender needs the approval reference');
    this.db.transaction(() => {
      this.openSaleRow(saleId);
      this.assertTenderRoom(saleId);
      this.assertNotOverpaid(saleId, amountMinor);
      this.insertTender(saleId, { kind: 'bank_card', amount: amountMinor, reference: reference.trim() });
    })();
    return this.getSale(saleId);
  }

  /**
   * Stored value from the attached member's card, held online at HQ. The hold id is made and
   * stored before Authorize is sent, so a hold whose answer is lost can still be released.
   */
  async addStoredValueTender(saleId: string, amountMinor: number): Promise<SaleView> {
    requirePositiveMinor(amountMinor, 'amountMinor');
    const sale = this.openSaleRow(saleId);
    if (!sale.card_id) throw new DomainError('NO_MEMBER', 'attach a member card before paying with stored value', { saleId });
    const cardId = sale.card_id;
    this.assertTenderRoom(saleId);
    this.assertNotOverpaid(saleId, amountMinor);
    const holder = this.cardHolderById(cardId);
    assertCardUsable(holder, this.o.clock.now(), this.o.timeZone);
    if (this.o.hq.state() === 'offline') {
      throw new DomainError('HQ_OFFLINE', 'HQ cannot be reached: stored value cannot be taken now; take another tender', { saleId });
    }
    // Our own view first, for a fast and clear refusal; HQ has the final word.
    splitStoredValuePayment(cardId, amountMinor, cardSpendable(this.db, cardId), this.o.spendingOrder);

    const holdId = this.o.newId();
    stmt(this.db, "INSERT INTO holds (hold_id, sale_id, card_id, amount_minor, status, created_at) VALUES (?, ?, ?, ?, 'authorizing', ?)")
      .run(holdId, saleId, cardId, amountMinor, this.o.clock.now());
    this.inFlight.add(holdId);
    let result: AuthorizeResult;
    try {
      result = await this.o.hq.authorize({ holdId, cardId, amountMinor, saleId });
    } catch (e) {
      const refused = isDomainError(e) && e.code !== 'HQ_OFFLINE';
      stmt(this.db, 'UPDATE holds SET status = ? WHERE hold_id = ?').run(refused ? 'refused' : 'unknown', holdId);
      if (refused) throw e;
      this.o.log?.(`authorize of hold ${holdId} for sale ${saleId} got no answer: ${(e as Error).message}`);
      throw new DomainError('HQ_OFFLINE', 'HQ did not answer: stored value was not taken; take another tender', { saleId, holdId });
    } finally {
      this.inFlight.delete(holdId);
    }
    this.assertHoldShape(result.holds, holdId, cardId, amountMinor);

    let overpaid: DomainError | null = null;
    this.db.transaction(() => {
      this.mirrorHold(holdId, cardId, result);
      // The sale may have changed while HQ answered (a second tender, a cancel).
      const now = this.saleRow(saleId);
      const paid = this.tenders(saleId).reduce((s, t) => s + t.amountMinor, 0);
      const tenders = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_tenders WHERE sale_id = ?').get(saleId) as { n: number }).n;
      if (now.status !== 'open' || now.card_id !== cardId || paid + amountMinor > now.total_minor || tenders >= MAX_TENDERS) {
        overpaid = new DomainError(now.status === 'open' ? 'OVERPAID' : 'SALE_NOT_OPEN', 'the sale changed while HQ answered; the hold was released', { saleId });
        return;
      }
      this.insertTender(saleId, { kind: 'stored_value', amount: amountMinor, cardId, holdId });
    })();
    if (overpaid) {
      await this.releaseHolds(saleId, [holdId]);
      throw overpaid;
    }
    return this.getSale(saleId);
  }

  /**
   * Completes a fully paid sale: points by the member's level, the sale's transfers and one
   * outbox event in one transaction. Then asks for a sync, without waiting for it.
   */
  complete(saleId: string): SaleView {
    const completedAt = this.o.clock.now();
    this.db.transaction(() => {
      const sale = this.openSaleRow(saleId);
      const lines = this.lines(saleId);
      if (lines.length === 0) throw validation('the sale has no items', { saleId });
      const tenders = this.tenders(saleId);
      const paid = tenders.reduce((s, t) => s + t.amountMinor, 0);
      if (paid < sale.total_minor) {
        throw new DomainError('SALE_NOT_PAID', `the sale is not fully paid: ${sale.total_minor - paid} still due`, { saleId, dueMinor: sale.total_minor - paid });
      }
      invariant(paid === sale.total_minor, `sale ${saleId} paid ${paid} over its total ${sale.total_minor}`);
      let points = 0;
      if (sale.member_id && sale.card_id) {
        const holder = this.cardHolderById(sale.card_id);
        points = pointsEarned(eligibleAmount(lines), this.o.terminal.currency, holder.level?.pointsMultiplier ?? '1');
      }
      const doc: SaleDocument = {
        id: saleId,
        storeId: this.o.terminal.storeId,
        terminalId: this.o.terminal.terminalId,
        currency: this.o.terminal.currency,
        memberId: sale.member_id,
        cardId: sale.card_id,
        lines,
        totalMinor: sale.total_minor,
        tenders: tenders.map(({ tenderNo: _n, ...t }) => t),
        pointsEarned: points,
        completedAt,
      };
      const transfers = postSale(doc, this.o.newId);
      const event = recordEvent(this.db, { id: this.o.newId(), occurredAt: completedAt, body: { type: 'sale', sale: doc }, transfers });
      const r = stmt(this.db, "UPDATE sales SET status = 'completed', completed_at = ?, points_earned = ?, event_seq = ? WHERE id = ? AND status = 'open'")
        .run(completedAt, points, event.seq, saleId);
      invariant(r.changes === 1, `sale ${saleId} was not open when completed`);
      stmt(this.db, "UPDATE holds SET status = 'captured' WHERE sale_id = ? AND status = 'authorized'").run(saleId);
    })();
    this.o.afterSaleCommit?.();
    this.o.hq.requestSync();
    return this.getSale(saleId);
  }

  /** Cancels an open sale; its stored-value holds are released (never lost: see releaseHolds). */
  async cancel(saleId: string): Promise<SaleView> {
    this.openSaleRow(saleId);
    const holdIds = (stmt(this.db, "SELECT hold_id FROM holds WHERE sale_id = ? AND status = 'authorized'").all(saleId) as Array<{ hold_id: string }>).map((r) => r.hold_id);
    this.db.transaction(() => {
      const r = stmt(this.db, "UPDATE sales SET status = 'cancelled', cancelled_at = ? WHERE id = ? AND status = 'open'").run(this.o.clock.now(), saleId);
      if (r.changes !== 1) throw new DomainError('SALE_NOT_OPEN', 'the sale is no longer open', { saleId });
    })();
    await this.releaseHolds(saleId, holdIds);
    return this.getSale(saleId);
  }

  /**
   * Holds whose Authorize got no answer, or whose process died while asking: asks HQ again
   * with the same hold id (HQ answers the hold it made, or makes it now) and releases it, so
   * no stored value stays reserved for a tender the cashier never got. Needs HQ online;
   * returns how many holds it settled (released or found never made).
   */
  async releaseUnresolvedHolds(): Promise<number> {
    const rows = stmt(this.db, "SELECT hold_id, sale_id, card_id, amount_minor FROM holds WHERE status IN ('unknown', 'authorizing') ORDER BY created_at")
      .all() as Array<{ hold_id: string; sale_id: string; card_id: string; amount_minor: number }>;
    let settled = 0;
    for (const h of rows) {
      if (this.inFlight.has(h.hold_id)) continue;
      let result: AuthorizeResult;
      try {
        result = await this.o.hq.authorize({ holdId: h.hold_id, cardId: h.card_id, amountMinor: h.amount_minor, saleId: h.sale_id });
      } catch (e) {
        if (isDomainError(e) && e.code === 'HQ_OFFLINE') return settled;
        // HQ refused it now, so it holds nothing under this id.
        stmt(this.db, 'UPDATE holds SET status = ? WHERE hold_id = ?').run('refused', h.hold_id);
        settled += 1;
        continue;
      }
      this.assertHoldShape(result.holds, h.hold_id, h.card_id, h.amount_minor);
      this.db.transaction(() => this.mirrorHold(h.hold_id, h.card_id, result))();
      await this.releaseHolds(h.sale_id, [h.hold_id]);
      settled += 1;
    }
    return settled;
  }

  /** Mirrors HQ's pending transfers of a hold in our journal (inside the caller's transaction). */
  private mirrorHold(holdId: string, cardId: string, result: AuthorizeResult): void {
    applyTransfers(this.db, result.holds, { eventSeq: null, grantedByHq: true });
    const gen = (stmt(this.db, 'SELECT pulls_started FROM sync_state').get() as { pulls_started: number }).pulls_started;
    stmt(this.db, "UPDATE holds SET status = 'authorized', authorized_gen = ?, expires_at = ? WHERE hold_id = ?").run(gen, result.expiresAt, holdId);
    const insertLeg = stmt(this.db, 'INSERT INTO hold_legs (transfer_id, hold_id, account_id, part, amount) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    for (const t of result.holds) insertLeg.run(t.id, holdId, t.debitAccountId, t.debitAccountId === cardPrincipalAccountId(cardId) ? 'principal' : 'bonus', t.amount);
  }

  /**
   * Releases authorized holds: void_pending transfers and a holds_released event in one
   * transaction (so HQ releases them when it hears from us, whatever happens next), then a
   * Void call when HQ is reachable, for a prompt release. Both carry the same transfer ids.
   */
  private async releaseHolds(saleId: string, holdIds: readonly string[]): Promise<void> {
    if (holdIds.length === 0) return;
    const at = this.o.clock.now();
    const voids = new Map<string, Transfer[]>();
    this.db.transaction(() => {
      for (let i = 0; i < holdIds.length; i += MAX_HOLDS_PER_RELEASE) {
        this.recordRelease(saleId, holdIds.slice(i, i + MAX_HOLDS_PER_RELEASE), at, voids);
      }
    })();
    if (this.o.hq.state() === 'online') {
      for (const [holdId, transfers] of voids) {
        try {
          await this.o.hq.voidHold(holdId, transfers);
        } catch (e) {
          // The holds_released event in the outbox still releases it when pushed.
          this.o.log?.(`void of hold ${holdId} for sale ${saleId} failed, left to the outbox: ${(e as Error).message}`);
        }
      }
    }
    this.o.hq.requestSync();
  }

  /** One holds_released event (at most MAX_HOLDS_PER_RELEASE holds) with its void_pending transfers. */
  private recordRelease(saleId: string, holdIds: readonly string[], at: number, voids: Map<string, Transfer[]>): void {
    const all: Transfer[] = [];
    for (const holdId of holdIds) {
      const legs = stmt(this.db, 'SELECT * FROM hold_legs WHERE hold_id = ? ORDER BY transfer_id').all(holdId) as HoldLegRow[];
      const transfers = legs.map((leg): Transfer => {
        const pending = stmt(this.db, 'SELECT credit_account_id, ledger FROM transfers WHERE id = ?').get(leg.transfer_id) as { credit_account_id: string; ledger: string };
        return {
          id: this.o.newId(),
          kind: 'void_pending',
          debitAccountId: leg.account_id,
          creditAccountId: pending.credit_account_id,
          ledger: pending.ledger,
          amount: leg.amount,
          code: 'SALE_STORED_VALUE',
          pendingId: leg.transfer_id,
          timestamp: at,
          originTerminalId: this.o.terminal.terminalId,
          documentId: saleId,
        };
      });
      voids.set(holdId, transfers);
      all.push(...transfers);
    }
    recordEvent(this.db, { id: this.o.newId(), occurredAt: at, body: { type: 'holds_released', saleId, holdIds: [...holdIds] }, transfers: all });
    const mark = stmt(this.db, "UPDATE holds SET status = 'released' WHERE hold_id = ?");
    for (const holdId of holdIds) mark.run(holdId);
  }

  /** A top-up (充值): principal in by cash or bank card, bonus by the tiers; one transaction with its event. */
  topUp(input: { cardNo: string; principalMinor: number; tender: 'cash' | 'bank_card' }): TopUpResult {
    requirePositiveMinor(input.principalMinor, 'principalMinor');
    const holder = findCardHolder(this.db, input.cardNo);
    assertCardUsable(holder, this.o.clock.now(), this.o.timeZone);
    const doc: TopUpDocument = {
      id: this.o.newId(),
      storeId: this.o.terminal.storeId,
      terminalId: this.o.terminal.terminalId,
      currency: this.o.terminal.currency,
      memberId: holder.member.id,
      cardId: holder.card.id,
      tender: input.tender,
      principalMinor: input.principalMinor,
      bonusMinor: topUpBonus(input.principalMinor, this.tiers),
      completedAt: this.o.clock.now(),
    };
    const transfers = postTopUp(doc, this.o.newId);
    const event = this.db.transaction(() => {
      const e = recordEvent(this.db, { id: this.o.newId(), occurredAt: doc.completedAt, body: { type: 'top_up', topUp: doc }, transfers });
      stmt(this.db, 'INSERT INTO top_ups (id, member_id, card_id, tender, principal_minor, bonus_minor, completed_at, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(doc.id, doc.memberId, doc.cardId, doc.tender, doc.principalMinor, doc.bonusMinor, doc.completedAt, e.seq);
      return e;
    })();
    this.o.hq.requestSync();
    const balance = cardSpendable(this.db, holder.card.id);
    return { id: doc.id, cardNo: holder.card.cardNo, principalMinor: doc.principalMinor, bonusMinor: doc.bonusMinor, eventSeq: event.seq, balance: { principalMinor: balance.principal, bonusMinor: balance.bonus } };
  }

  /** A card, its member and level, and what it holds as this terminal sees it (any status). */
  cardInfo(cardNo: string): CardInfo {
    const h = findCardHolder(this.db, cardNo);
    const spend = cardSpendable(this.db, h.card.id);
    return {
      cardId: h.card.id,
      cardNo: h.card.cardNo,
      status: h.card.status,
      expiresOn: h.card.expiresOn,
      member: { id: h.member.id, name: h.member.name, phone: h.member.phone },
      level: h.level && { code: h.level.code, name: h.level.name, pointsMultiplier: h.level.pointsMultiplier, discountRate: h.level.discountRate },
      principalMinor: spend.principal,
      bonusMinor: spend.bonus,
      points: memberPoints(this.db, h.member.id),
    };
  }

  // --- rows -------------------------------------------------------------------------------

  private saleRow(saleId: string): SaleRow {
    const s = stmt(this.db, 'SELECT * FROM sales WHERE id = ?').get(saleId) as SaleRow | undefined;
    if (!s) throw new DomainError('SALE_NOT_FOUND', `no sale ${saleId}`, { saleId });
    return s;
  }

  private openSaleRow(saleId: string): SaleRow {
    const s = this.saleRow(saleId);
    if (s.status !== 'open') throw new DomainError('SALE_NOT_OPEN', `the sale is ${s.status}`, { saleId, status: s.status });
    return s;
  }

  private lines(saleId: string): SaleLine[] {
    const rows = stmt(this.db, 'SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no').all(saleId) as LineRow[];
    return rows.map((r) => ({
      lineNo: r.line_no,
      sku: r.sku,
      barcode: r.barcode,
      name: r.name,
      quantity: r.quantity,
      unitPriceMinor: r.unit_price_minor,
      amountMinor: r.amount_minor,
      eligibleForMemberBenefits: r.eligible_for_member_benefits === 1,
    }));
  }

  private tenders(saleId: string): Array<SaleTender & { tenderNo: number }> {
    const rows = stmt(this.db, 'SELECT * FROM sale_tenders WHERE sale_id = ? ORDER BY tender_no').all(saleId) as TenderRow[];
    return rows.map((r): SaleTender & { tenderNo: number } => {
      if (r.kind === 'cash') return { tenderNo: r.tender_no, kind: 'cash', amountMinor: r.amount_minor, tenderedMinor: r.tendered_minor, changeMinor: r.change_minor };
      if (r.kind === 'bank_card') return { tenderNo: r.tender_no, kind: 'bank_card', amountMinor: r.amount_minor, reference: r.reference };
      const legs = stmt(this.db, 'SELECT * FROM hold_legs WHERE hold_id = ? ORDER BY part DESC').all(r.hold_id) as HoldLegRow[];
      return {
        tenderNo: r.tender_no,
        kind: 'stored_value',
        amountMinor: r.amount_minor,
        cardId: r.card_id!,
        legs: legs.map((l): StoredValueTenderLeg => ({ accountId: l.account_id, part: l.part, amount: l.amount, holdId: l.transfer_id })),
      };
    });
  }

  private hasStoredValueTender(saleId: string): boolean {
    return stmt(this.db, "SELECT 1 FROM sale_tenders WHERE sale_id = ? AND kind = 'stored_value'").get(saleId) !== undefined;
  }

  private updateTotal(saleId: string): void {
    const total = (stmt(this.db, 'SELECT COALESCE(SUM(amount_minor), 0) AS t FROM sale_lines WHERE sale_id = ?').get(saleId) as { t: number }).t;
    assertMinor(total, 'sale total');
    const paid = (stmt(this.db, 'SELECT COALESCE(SUM(amount_minor), 0) AS p FROM sale_tenders WHERE sale_id = ?').get(saleId) as { p: number }).p;
    if (paid > total) throw new DomainError('OVERPAID', 'the tenders already taken exceed the new total', { saleId, totalMinor: total, paidMinor: paid });
    stmt(this.db, 'UPDATE sales SET total_minor = ? WHERE id = ?').run(total, saleId);
  }

  private assertTenderRoom(saleId: string): void {
    const n = (stmt(this.db, 'SELECT COUNT(*) AS n FROM sale_tenders WHERE sale_id = ?').get(saleId) as { n: number }).n;
    if (n >= MAX_TENDERS) throw validation(`a sale takes at most ${MAX_TENDERS} tenders`, { saleId });
  }

  private assertNotOverpaid(saleId: string, amountMinor: number): void {
    const s = this.saleRow(saleId);
    const paid = (stmt(this.db, 'SELECT COALESCE(SUM(amount_minor), 0) AS p FROM sale_tenders WHERE sale_id = ?').get(saleId) as { p: number }).p;
    if (paid + amountMinor > s.total_minor) {
      throw new DomainError('OVERPAID', `only ${s.total_minor - paid} is still due`, { saleId, dueMinor: s.total_minor - paid, amountMinor });
    }
  }

  private insertTender(
    saleId: string,
    t: { kind: SaleTender['kind']; amount: number; tendered?: number; change?: number; reference?: string; cardId?: string; holdId?: string },
  ): void {
    const next = (stmt(this.db, 'SELECT COALESCE(MAX(tender_no), 0) + 1 AS n FROM sale_tenders WHERE sale_id = ?').get(saleId) as { n: number }).n;
    stmt(
      this.db,
      `INSERT INTO sale_tenders (sale_id, tender_no, kind, amount_minor, tendered_minor, change_minor, reference, card_id, hold_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(saleId, next, t.kind, t.amount, t.tendered ?? 0, t.change ?? 0, t.reference ?? '', t.cardId ?? null, t.holdId ?? null);
  }

  private cardHolderById(cardId: string): CardHolder {
    const r = stmt(this.db, 'SELECT card_no FROM cards WHERE id = ?').get(cardId) as { card_no: string } | undefined;
    if (!r) throw new DomainError('UNKNOWN_CARD', `card ${cardId} is no longer known at this store`, { cardId });
    return findCardHolder(this.db, r.card_no);
  }

  /** HQ's holds must be pending debits of this card into this store's sales, adding up to the amount. */
  private assertHoldShape(holds: readonly Transfer[], holdId: string, cardId: string, amountMinor: number): void {
    const cardAccountIds = new Set([cardPrincipalAccountId(cardId), cardBonusAccountId(cardId)]);
    const sales = storeSalesAccountId(this.o.terminal.storeId);
    const ok =
      holds.length > 0 &&
      holds.every((t) => t.kind === 'pending' && cardAccountIds.has(t.debitAccountId) && t.creditAccountId === sales && t.ledger === this.o.terminal.currency) &&
      holds.reduce((s, t) => s + t.amount, 0) === amountMinor;
    invariant(ok, `HQ answered hold ${holdId} with holds that do not match the request`);
  }
}

function lineAmount(unitPriceMinor: number, quantity: number): number {
  const amount = unitPriceMinor * quantity;
  assertMinor(amount, 'line amount');
  return amount;
}
