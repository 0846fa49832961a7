import { DomainError, isDomainError } from '../core/errors';
import { planRefund, postRefund, type RefundDocument, type RefundLineRequest } from '../core/refund';
import type { SaleDocument } from '../core/sale';
import type { SaleLookup, SyncEvent } from '../protocols/sync/v1/codec';
import { memberPoints } from './balances';
import type { TerminalContext } from './context';
import { stmt } from './db';
import { storeNameHere } from './identity';
import { findCardHolder } from './master-data';
import { openOfflineSpend } from './offline';
import { recordEvent } from './outbox';
import { signedInOperatorId } from './shift';

/**
 * Refunds (退货) by line and quantity, with or without the receipt, each returning its exact
 * share of every tender (core/refund.ts). Refund transfers only credit the member (stored value,
 * points spent) or take back points earned, so they need no hold and work offline.
 *
 * A sale made at another terminal or store is fetched from HQ (GetSale) with the refunds of it
 * HQ has applied; that needs HQ online (offline: NOT_FOUND). Whichever terminal made the sale,
 * while HQ answers the refund is planned against HQ's refunds of it plus this terminal's own not
 * yet among them — what HQ's check of the pushed refund recomputes from the stored sale. Offline,
 * a sale made here is planned against this terminal's refunds only; a refund of it made at
 * another store meanwhile makes HQ quarantine the later one if together they exceed the sale.
 *
 * Points earned that the member has spent since cannot be taken back: the refund is refused
 * with INSUFFICIENT_POINTS and the number missing (a supervisor override comes with operators).
 */

export interface RefundResult {
  refund: RefundDocument;
  eventSeq: number;
}

export interface SaleSummary {
  id: string;
  completedAt: number;
  totalMinor: number;
  refundedMinor: number;
  memberId: string | null;
  cardId: string | null;
  lines: Array<{ lineNo: number; name: string; quantity: number; amountMinor: number; refundedQuantity: number }>;
  /** Where it was sold: this terminal, or another terminal or store (known through HQ). */
  storeId: string;
  /** The store's name (this terminal's own, or as HQ names it); '' when unknown. */
  storeName: string;
  madeHere: boolean;
}

/** A sale to refund and what has been refunded of it, as known right now. */
export interface SaleToRefund {
  sale: SaleDocument;
  /** Refunds of it HQ has applied (empty when HQ was not asked or has not got the sale yet). */
  hqRefunds: RefundDocument[];
  /** The terminal that made it, when not this one. */
  madeElsewhere: { terminalId: string } | null;
}

/** HQ's refunds of a sale, then ours that HQ does not list (not yet pushed, acked or applied). */
export function mergeRefunds(hq: readonly RefundDocument[], local: readonly RefundDocument[]): RefundDocument[] {
  const known = new Set(hq.map((r) => r.id));
  return [...hq, ...local.filter((r) => !known.has(r.id))];
}

const NEEDS_HQ = 'a sale from another terminal or store can only be refunded while HQ can be reached';

export class Refunds {
  constructor(private readonly c: TerminalContext) {}

  /** The completed sale as it was sent to HQ (the document in its outbox event). */
  saleDocument(saleId: string): SaleDocument {
    const doc = this.localSale(saleId);
    if (!doc) throw new DomainError('NOT_FOUND', `sale ${saleId} was not made at this terminal; ${NEEDS_HQ}`, { saleId });
    return doc;
  }

  /** The completed sale made here, or null when this terminal did not make it. */
  private localSale(saleId: string): SaleDocument | null {
    const s = stmt(this.c.db, 'SELECT status, event_seq FROM sales WHERE id = ?').get(saleId) as { status: string; event_seq: number | null } | undefined;
    if (!s) return null;
    if (s.status !== 'completed' || s.event_seq === null) throw new DomainError('CONFLICT', `sale ${saleId} is ${s.status}; only completed sales can be refunded`, { saleId });
    const row = stmt(this.c.db, 'SELECT body FROM outbox WHERE seq = ?').get(s.event_seq) as { body: string };
    const event = JSON.parse(row.body) as SyncEvent;
    if (event.body.type !== 'sale') throw new Error(`outbox seq ${s.event_seq} is not the sale ${saleId}`);
    return event.body.sale;
  }

  /**
   * The sale and its refunds so far. A sale made here is read from the outbox and, while HQ
   * answers, completed with the refunds other stores made of it; a sale made elsewhere comes
   * from HQ (NOT_FOUND when HQ cannot be reached or has no such sale).
   */
  async lookup(saleId: string): Promise<SaleToRefund> {
    const here = this.localSale(saleId);
    const hq = this.c.hq;
    const online = hq.state() === 'online' && hq.getSale !== undefined;
    if (here) {
      if (!online) return { sale: here, hqRefunds: [], madeElsewhere: null };
      try {
        const l = await hq.getSale!(saleId);
        return { sale: here, hqRefunds: l.refunds, madeElsewhere: null };
      } catch (e) {
        // Not at HQ yet (still in our outbox), or HQ stopped answering: our own refunds are all there is.
        if (isDomainError(e) && (e.code === 'NOT_FOUND' || e.code === 'HQ_OFFLINE')) return { sale: here, hqRefunds: [], madeElsewhere: null };
        throw e;
      }
    }
    if (!online) throw new DomainError('NOT_FOUND', `sale ${saleId} was not made at this terminal; ${NEEDS_HQ}`, { saleId, needsHq: true });
    let l: SaleLookup;
    try {
      l = await hq.getSale!(saleId);
    } catch (e) {
      if (isDomainError(e) && e.code === 'HQ_OFFLINE') throw new DomainError('NOT_FOUND', `sale ${saleId} was not made at this terminal and HQ did not answer; ${NEEDS_HQ}`, { saleId, needsHq: true });
      if (isDomainError(e) && e.code === 'NOT_FOUND') throw new DomainError('NOT_FOUND', `no sale ${saleId} here or at HQ (a sale made at another till reaches HQ when that till syncs)`, { saleId });
      throw e;
    }
    if (l.sale.currency !== this.c.terminal.currency) throw new DomainError('VALIDATION_FAILED', `sale ${saleId} was made in ${l.sale.currency}; this terminal refunds in ${this.c.terminal.currency}`, { saleId });
    return { sale: l.sale, hqRefunds: l.refunds, madeElsewhere: { terminalId: l.terminalId } };
  }

  /** Every refund of the sale known: HQ's, then this terminal's not among them. */
  allRefundsOf(known: SaleToRefund): RefundDocument[] {
    return mergeRefunds(known.hqRefunds, this.refundsOf(known.sale.id));
  }

  /** What a refund would be (e.g. to see whether it needs a supervisor), recording nothing. */
  preview(known: SaleToRefund, input: { lines: RefundLineRequest[]; withReceipt: boolean }): RefundDocument {
    return planRefund(known.sale, this.allRefundsOf(known), input.lines, {
      refundId: 'preview',
      terminalId: this.c.terminal.terminalId,
      storeId: this.c.terminal.storeId,
      completedAt: this.c.clock.now(),
      withReceipt: input.withReceipt,
    });
  }

  /** Looks the sale up (HQ when it was made elsewhere) and records the refund. */
  async refundSale(input: { saleId: string; lines: RefundLineRequest[]; withReceipt: boolean }): Promise<RefundResult> {
    return this.refund(input, await this.lookup(input.saleId));
  }

  /** Refunds made of a sale here, oldest first. */
  refundsOf(saleId: string): RefundDocument[] {
    const rows = stmt(this.c.db, 'SELECT document FROM refunds WHERE sale_id = ? ORDER BY completed_at, rowid').all(saleId) as Array<{ document: string }>;
    return rows.map((r) => JSON.parse(r.document) as RefundDocument);
  }

  /**
   * Works out and records a refund: its transfers and one 'refund' outbox event in one
   * transaction. Against `known` (from lookup) when given; otherwise a sale made here, planned
   * against this terminal's refunds of it only.
   */
  refund(input: { saleId: string; lines: RefundLineRequest[]; withReceipt: boolean }, known?: SaleToRefund): RefundResult {
    const { db } = this.c;
    const completedAt = this.c.clock.now();
    if (known && known.sale.id !== input.saleId) throw new Error(`refund of sale ${input.saleId} planned against sale ${known.sale.id}`);
    const result = db.transaction((): RefundResult => {
      // Our own refunds are read inside the transaction: one recorded while HQ was asked counts.
      const sale = known?.sale ?? this.saleDocument(input.saleId);
      const earlier = known ? this.allRefundsOf(known) : this.refundsOf(sale.id);
      if (known?.madeElsewhere) {
        stmt(db, 'INSERT OR IGNORE INTO sales_elsewhere (id, terminal_id, store_id, member_id, document, fetched_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(sale.id, known.madeElsewhere.terminalId, sale.storeId, sale.memberId, JSON.stringify(sale), completedAt);
      }
      const doc = planRefund(sale, earlier, input.lines, {
        refundId: this.c.newId(),
        terminalId: this.c.terminal.terminalId,
        storeId: this.c.terminal.storeId,
        completedAt,
        withReceipt: input.withReceipt,
      });
      const cashierId = signedInOperatorId(db);
      if (cashierId !== null) doc.cashierId = cashierId;
      if (doc.memberId !== null && doc.pointsReversed > 0) {
        const restored = doc.tenders.reduce((s, t) => s + t.points, 0);
        const have = memberPoints(db, doc.memberId) - openOfflineSpend(db, { memberId: doc.memberId }).points;
        const missing = doc.pointsReversed - restored - have;
        if (missing > 0) {
          throw new DomainError('INSUFFICIENT_POINTS', `the member has spent the points this sale earned: ${missing} points short of the ${doc.pointsReversed} to take back`, {
            missing,
            pointsReversed: doc.pointsReversed,
          });
        }
      }
      const transfers = postRefund(doc, this.c.newId);
      const event = recordEvent(db, { id: this.c.newId(), occurredAt: completedAt, body: { type: 'refund', refund: doc }, transfers });
      stmt(db, 'INSERT INTO refunds (id, sale_id, member_id, total_minor, points_reversed, with_receipt, completed_at, event_seq, document, cashier_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(doc.id, doc.saleId, doc.memberId, doc.totalMinor, doc.pointsReversed, doc.withReceipt ? 1 : 0, doc.completedAt, event.seq, JSON.stringify(doc), cashierId);
      return { refund: doc, eventSeq: event.seq };
    })();
    this.c.hq.requestSync();
    return result;
  }

  private memberOf(who: { cardNo?: string; memberId?: string }): string {
    let memberId = who.memberId;
    if (who.cardNo !== undefined) memberId = findCardHolder(this.c.db, who.cardNo).member.id;
    if (!memberId) throw new DomainError('VALIDATION_FAILED', 'say whose sales: cardNo or memberId');
    return memberId;
  }

  /** A member's recent completed sales here (refund without receipt), newest first. */
  salesOf(who: { cardNo?: string; memberId?: string }, limit = 20): SaleSummary[] {
    const memberId = this.memberOf(who);
    const rows = stmt(this.c.db, "SELECT id FROM sales WHERE member_id = ? AND status = 'completed' ORDER BY completed_at DESC, rowid DESC LIMIT ?").all(memberId, limit) as Array<{ id: string }>;
    return rows.map((r) => this.summary(r.id));
  }

  /**
   * A member's recent sales, newest first: those made here and, while HQ answers, those made at
   * any other terminal or store (ListMemberSales), each with every refund of it known. Offline,
   * or when HQ does not answer, the sales made here.
   */
  async salesAnywhere(who: { cardNo?: string; memberId?: string }, limit = 20): Promise<SaleSummary[]> {
    const memberId = this.memberOf(who);
    const here = this.salesOf({ memberId }, limit);
    const hq = this.c.hq;
    if (hq.state() !== 'online' || !hq.listMemberSales) return here;
    let remote: SaleLookup[];
    try {
      remote = await hq.listMemberSales(memberId, limit);
    } catch (e) {
      if (isDomainError(e) && e.code === 'HQ_OFFLINE') return here;
      throw e;
    }
    const byId = new Map(here.map((s) => [s.id, s]));
    for (const l of remote) {
      if (l.sale.currency !== this.c.terminal.currency) continue;
      const mine = byId.has(l.sale.id);
      const sale = mine ? this.saleDocument(l.sale.id) : l.sale;
      byId.set(l.sale.id, this.summarize(sale, mergeRefunds(l.refunds, this.refundsOf(l.sale.id)), mine, l.storeName));
    }
    return [...byId.values()].sort((a, b) => b.completedAt - a.completedAt).slice(0, limit);
  }

  /** A completed sale made here with what has been refunded of each line here. */
  summary(saleId: string): SaleSummary {
    return this.summarize(this.saleDocument(saleId), this.refundsOf(saleId), true);
  }

  /** A sale (from lookup) with what has been refunded of each line anywhere, as known. */
  summaryOf(known: SaleToRefund): SaleSummary {
    return this.summarize(known.sale, this.allRefundsOf(known), known.madeElsewhere === null);
  }

  private summarize(sale: SaleDocument, refunds: readonly RefundDocument[], madeHere: boolean, storeNameAtHq = ''): SaleSummary {
    const refundedQty = (lineNo: number) => refunds.flatMap((r) => r.lines).filter((l) => l.lineNo === lineNo).reduce((s, l) => s + l.quantity, 0);
    return {
      id: sale.id,
      completedAt: sale.completedAt,
      totalMinor: sale.totalMinor,
      refundedMinor: refunds.reduce((s, r) => s + r.totalMinor, 0),
      memberId: sale.memberId,
      cardId: sale.cardId,
      lines: sale.lines.map((l) => ({ lineNo: l.lineNo, name: l.name, quantity: l.quantity, amountMinor: l.amountMinor, refundedQuantity: refundedQty(l.lineNo) })),
      storeId: sale.storeId,
      storeName: storeNameAtHq || storeNameHere(this.c.db, sale.storeId),
      madeHere,
    };
  }
}
