import { DomainError } from '../core/errors';
import { planRefund, postRefund, type RefundDocument, type RefundLineRequest } from '../core/refund';
import type { SaleDocument } from '../core/sale';
import type { SyncEvent } from '../protocols/sync/v1/codec';
import { memberPoints } from './balances';
import type { TerminalContext } from './context';
import { stmt } from './db';
import { findCardHolder } from './master-data';
import { openOfflineSpend } from './offline';
import { recordEvent } from './outbox';

/**
 * Refunds (退货) of sales made at this terminal: by line and quantity, with or without the
 * receipt, each returning its exact share of every tender (core/refund.ts). Refund transfers
 * only credit the member (stored value, points spent) or take back points earned, so they need
 * no hold and work offline. A sale made at another terminal is not known here (NOT_FOUND).
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
}

export class Refunds {
  constructor(private readonly c: TerminalContext) {}

  /** The completed sale as it was sent to HQ (the document in its outbox event). */
  saleDocument(saleId: string): SaleDocument {
    const s = stmt(this.c.db, 'SELECT status, event_seq FROM sales WHERE id = ?').get(saleId) as { status: string; event_seq: number | null } | undefined;
    if (!s) throw new DomainError('NOT_FOUND', `sale ${saleId} was not made at this terminal; refund it where it was sold`, { saleId });
    if (s.status !== 'completed' || s.event_seq === null) throw new DomainError('CONFLICT', `sale ${saleId} is ${s.status}; only completed sales can be refunded`, { saleId });
    const row = stmt(this.c.db, 'SELECT body FROM outbox WHERE seq = ?').get(s.event_seq) as { body: string };
    const event = JSON.parse(row.body) as SyncEvent;
    if (event.body.type !== 'sale') throw new Error(`outbox seq ${s.event_seq} is not the sale ${saleId}`);
    return event.body.sale;
  }

  /** Refunds made of a sale, oldest first. */
  refundsOf(saleId: string): RefundDocument[] {
    const rows = stmt(this.c.db, 'SELECT document FROM refunds WHERE sale_id = ? ORDER BY completed_at, rowid').all(saleId) as Array<{ document: string }>;
    return rows.map((r) => JSON.parse(r.document) as RefundDocument);
  }

  /** Works out and records a refund: its transfers and one 'refund' outbox event in one transaction. */
  refund(input: { saleId: string; lines: RefundLineRequest[]; withReceipt: boolean }): RefundResult {
    const { db } = this.c;
    const completedAt = this.c.clock.now();
    const result = db.transaction((): RefundResult => {
      const sale = this.saleDocument(input.saleId);
      const doc = planRefund(sale, this.refundsOf(sale.id), input.lines, {
        refundId: this.c.newId(),
        terminalId: this.c.terminal.terminalId,
        storeId: this.c.terminal.storeId,
        completedAt,
        withReceipt: input.withReceipt,
      });
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
      stmt(db, 'INSERT INTO refunds (id, sale_id, member_id, total_minor, points_reversed, with_receipt, completed_at, event_seq, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(doc.id, doc.saleId, doc.memberId, doc.totalMinor, doc.pointsReversed, doc.withReceipt ? 1 : 0, doc.completedAt, event.seq, JSON.stringify(doc));
      return { refund: doc, eventSeq: event.seq };
    })();
    this.c.hq.requestSync();
    return result;
  }

  /** A member's recent completed sales here (refund without receipt), newest first. */
  salesOf(who: { cardNo?: string; memberId?: string }, limit = 20): SaleSummary[] {
    let memberId = who.memberId;
    if (who.cardNo !== undefined) memberId = findCardHolder(this.c.db, who.cardNo).member.id;
    if (!memberId) throw new DomainError('VALIDATION_FAILED', 'say whose sales: cardNo or memberId');
    const rows = stmt(this.c.db, "SELECT id FROM sales WHERE member_id = ? AND status = 'completed' ORDER BY completed_at DESC, rowid DESC LIMIT ?").all(memberId, limit) as Array<{ id: string }>;
    return rows.map((r) => this.summary(r.id));
  }

  /** A completed sale with what has been refunded of each line. */
  summary(saleId: string): SaleSummary {
    const sale = this.saleDocument(saleId);
    const refunds = this.refundsOf(saleId);
    const refundedQty = (lineNo: number) => refunds.flatMap((r) => r.lines).filter((l) => l.lineNo === lineNo).reduce((s, l) => s + l.quantity, 0);
    return {
      id: sale.id,
      completedAt: sale.completedAt,
      totalMinor: sale.totalMinor,
      refundedMinor: refunds.reduce((s, r) => s + r.totalMinor, 0),
      memberId: sale.memberId,
      cardId: sale.cardId,
      lines: sale.lines.map((l) => ({ lineNo: l.lineNo, name: l.name, quantity: l.quantity, amountMinor: l.amountMinor, refundedQuantity: refundedQty(l.lineNo) })),
    };
  }
}
