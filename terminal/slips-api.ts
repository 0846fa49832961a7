import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { DayCloseDocument } from '../core/day-close';
import { DomainError } from '../core/errors';
import type { RefundDocument } from '../core/refund';
import type { SaleDocument } from '../core/sale';
import type { TopUpRefundDocument } from '../core/top-up';
import type { Receipt } from '../drivers';
import { cardSpendable, memberPoints } from './balances';
import { stmt, type TerminalDb } from './db';
import type { StoreLane } from './devices';
import type { Language } from './i18n';
import { balanceTransferReceipt, cardActionReceipt, dayCloseReceipt, refundReceipt, topUpRefundReceipt, type CardSlipAction, type SlipContext } from './receipt';

export interface SlipPrinterOptions {
  db: TerminalDb;
  lane: StoreLane | null;
  store: { terminalId: string; storeName: string; chainName: string; currency: string; timeZone: string };
  language: Language;
  clock?: () => number;
}

type Wrap = (fn: (req: Request, res: Response) => Promise<unknown> | unknown) => (req: Request, res: Response, next: NextFunction) => void;

const cardNo = z.string().trim().min(1).max(64);
const cardSlipBody = z.strictObject({
  action: z.enum(['issue', 'replace', 'freeze', 'unfreeze', 'report_lost']),
  newCardNo: cardNo.optional(),
  reason: z.string().trim().max(200).optional(),
});
const transferSlipBody = z.strictObject({ toCardNo: cardNo, amountMinor: z.number().int().positive().refine(Number.isSafeInteger) });

/** What a card must look like after each desk action, so a slip never states what did not happen. */
const STATUS_AFTER: Record<CardSlipAction, string> = { issue: 'active', replace: 'replaced', freeze: 'frozen', unfreeze: 'active', report_lost: 'lost' };

/**
 * Slips of the money actions besides sales and top-ups: refunds, top-up refunds, member-desk card
 * actions and balance transfers, and the day close. Each is printed from what this terminal
 * recorded (the document in its outbox, or the card as HQ's answer left it in the local cache),
 * never from what the page says, through the lane's printer queue: a slip that cannot print waits
 * there and comes out whole when paper is back.
 *
 *   POST /api/lane/refunds/:id/print              refund slip (退货单)
 *   POST /api/lane/top-up-refunds/:id/print       top-up refund slip
 *   POST /api/lane/day-closes/:id/print           day-close summary (日结单)
 *   POST /api/lane/cards/:cardNo/slip {action, newCardNo?, reason?}   issue / replace / freeze / unfreeze / report-lost
 *   POST /api/lane/cards/:cardNo/transfer-slip {toCardNo, amountMinor}  balance transfer
 *
 * Each answers {status: 'printed'} or {status: 'queued', message}.
 */
export class SlipPrinter {
  constructor(private readonly o: SlipPrinterOptions) {}

  private get storeForSlip() {
    return { ...this.o.store, language: this.o.language };
  }

  /** Slips are laid out at the lane printer's paper width (the builders' 48 without a lane). */
  private get paper(): { widthChars?: number } {
    return this.o.lane ? { widthChars: this.o.lane.receiptWidth } : {};
  }

  private now(): number {
    return this.o.clock?.() ?? Date.now();
  }

  /** A document of `type` from the outbox by its id. */
  private document<T>(type: string, field: string, id: string): T {
    const row = stmt(this.o.db, `SELECT body FROM outbox WHERE json_extract(body, '$.body.type') = ? AND json_extract(body, '$.body.${field}.id') = ?`).get(type, id) as { body: string } | undefined;
    if (!row) throw new DomainError('NOT_FOUND', `no ${type.replaceAll('_', ' ')} ${id} at this terminal`);
    return (JSON.parse(row.body) as { body: Record<string, T> }).body[field]!;
  }

  /** The operator who made the document when it records one, else whoever is signed in now. */
  private cashier(cashierId: string | undefined): string | undefined {
    try {
      const row = cashierId
        ? (stmt(this.o.db, 'SELECT name FROM operators WHERE id = ?').get(cashierId) as { name: string } | undefined)
        : (stmt(this.o.db, 'SELECT o.name FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.signed_out_at IS NULL').get() as { name: string } | undefined);
      return row?.name;
    } catch {
      return undefined; // a terminal database from before operators
    }
  }

  private context(cashierId: string | undefined, at: number): SlipContext {
    const name = this.cashier(cashierId);
    return { at, ...(name ? { cashierName: name } : {}) };
  }

  async print(slip: Receipt): Promise<{ status: string; message?: string }> {
    if (!this.o.lane) throw new DomainError('NOT_FOUND', 'this terminal has no receipt printer');
    const r = await this.o.lane.print(slip);
    return r.status === 'printed' ? { status: 'printed' } : { status: 'queued', message: r.message };
  }

  private cardHolder(no: string): { id: string; cardNo: string; status: string; memberId: string; memberName: string } {
    const row = stmt(this.o.db, 'SELECT c.id, c.card_no AS cardNo, c.status, c.member_id AS memberId, m.name AS memberName FROM cards c JOIN members m ON m.id = c.member_id WHERE c.card_no = ?').get(no) as
      | { id: string; cardNo: string; status: string; memberId: string; memberName: string }
      | undefined;
    if (!row) throw new DomainError('UNKNOWN_CARD', `card ${no} is not known here`, { cardNo: no });
    return row;
  }

  refundSlip(id: string): Receipt {
    const refund = this.document<RefundDocument>('refund', 'refund', id);
    const local = stmt(this.o.db, 'SELECT line_no AS lineNo, name FROM sale_lines WHERE sale_id = ?').all(refund.saleId) as Array<{ lineNo: number; name: string }>;
    let names = new Map(local.map((l) => [l.lineNo, l.name]));
    let cardId = (stmt(this.o.db, 'SELECT card_id FROM sales WHERE id = ?').get(refund.saleId) as { card_id: string | null } | undefined)?.card_id ?? null;
    if (!local.length) {
      // A sale made at another terminal: the copy HQ gave when it was refunded here.
      const elsewhere = stmt(this.o.db, 'SELECT document FROM sales_elsewhere WHERE id = ?').get(refund.saleId) as { document: string } | undefined;
      if (elsewhere) {
        const sale = JSON.parse(elsewhere.document) as SaleDocument;
        names = new Map(sale.lines.map((l) => [l.lineNo, l.name]));
        cardId = sale.cardId;
      }
    }
    const member = cardId
      ? (stmt(this.o.db, 'SELECT m.name, c.card_no AS cardNo FROM cards c JOIN members m ON m.id = c.member_id WHERE c.id = ?').get(cardId) as { name: string; cardNo: string } | undefined)
      : undefined;
    const ctx = this.context(refund.cashierId, refund.completedAt);
    return refundReceipt({ refund, lineNames: names, ...(member ? { member } : {}) }, ctx, this.storeForSlip, this.paper);
  }

  topUpRefundSlip(id: string): Receipt {
    const refund = this.document<TopUpRefundDocument>('top_up_refund', 'topUpRefund', id);
    const card = stmt(this.o.db, 'SELECT c.card_no AS cardNo, m.name FROM cards c JOIN members m ON m.id = c.member_id WHERE c.id = ?').get(refund.cardId) as { cardNo: string; name: string } | undefined;
    // Top-up refunds record no cashier: the operator signed in now is the one at the desk.
    const ctx = this.context(undefined, refund.completedAt);
    return topUpRefundReceipt({ refund, memberName: card?.name ?? '', cardNo: card?.cardNo ?? refund.cardId }, ctx, this.storeForSlip, this.paper);
  }

  dayCloseSlip(id: string): Receipt {
    const d = this.document<DayCloseDocument>('day_close', 'dayClose', id);
    return dayCloseReceipt(d, this.context(undefined, d.closedAt), this.storeForSlip, this.paper);
  }

  cardSlip(no: string, b: z.output<typeof cardSlipBody>): Receipt {
    const card = this.cardHolder(no);
    const expected = STATUS_AFTER[b.action];
    if (card.status !== expected) {
      throw new DomainError('CONFLICT', `card ${no} is ${card.status}, not ${expected}: the desk action did not happen, so there is no slip for it`, { cardNo: no, status: card.status });
    }
    let balanceCard = card;
    if (b.action === 'replace') {
      if (!b.newCardNo) throw new DomainError('VALIDATION_FAILED', 'newCardNo: the card that replaced it');
      balanceCard = this.cardHolder(b.newCardNo);
      if (balanceCard.memberId !== card.memberId || balanceCard.status !== 'active') throw new DomainError('CONFLICT', `card ${b.newCardNo} is not an active card of the same member`, { cardNo: b.newCardNo });
    }
    const s = cardSpendable(this.o.db, balanceCard.id);
    const at = this.now();
    return cardActionReceipt(
      {
        id: `${b.action}-${card.cardNo}-${at}`,
        action: b.action,
        memberName: card.memberName,
        cardNo: card.cardNo,
        ...(b.action === 'replace' ? { newCardNo: balanceCard.cardNo } : {}),
        ...(b.reason ? { reason: b.reason } : {}),
        balance: { principalMinor: s.principal, bonusMinor: s.bonus },
        points: memberPoints(this.o.db, card.memberId),
      },
      this.context(undefined, at),
      this.storeForSlip,
      this.paper,
    );
  }

  transferSlip(no: string, b: z.output<typeof transferSlipBody>): Receipt {
    const from = this.cardHolder(no);
    const to = this.cardHolder(b.toCardNo);
    if (from.memberId !== to.memberId) throw new DomainError('CONFLICT', 'stored value moves only between cards of one member', { cardNo: no, toCardNo: b.toCardNo });
    const a = cardSpendable(this.o.db, from.id);
    const c = cardSpendable(this.o.db, to.id);
    // The receiving card must hold at least what moved: a slip for a transfer HQ refused would lie.
    if (c.principal + c.bonus < b.amountMinor) throw new DomainError('CONFLICT', `card ${b.toCardNo} holds less than ${b.amountMinor}: the transfer did not happen here`, { toCardNo: b.toCardNo });
    const at = this.now();
    return balanceTransferReceipt(
      {
        id: `transfer-${from.cardNo}-${to.cardNo}-${at}`,
        memberName: from.memberName,
        from: { cardNo: from.cardNo, principalMinor: a.principal, bonusMinor: a.bonus },
        to: { cardNo: to.cardNo, principalMinor: c.principal, bonusMinor: c.bonus },
        amountMinor: b.amountMinor,
      },
      this.context(undefined, at),
      this.storeForSlip,
      this.paper,
    );
  }

  routes(app: express.Express, wrap: Wrap): void {
    const parse = <S extends z.ZodType>(schema: S, v: unknown): z.output<S> => {
      const r = schema.safeParse(v ?? {});
      if (!r.success) throw new DomainError('VALIDATION_FAILED', `${r.error.issues[0]?.path.join('.') || 'body'}: ${r.error.issues[0]?.message ?? 'malformed'}`);
      return r.data;
    };
    app.post('/api/lane/refunds/:id/print', wrap(async (req, res) => res.json(await this.print(this.refundSlip(String(req.params.id))))));
    app.post('/api/lane/top-up-refunds/:id/print', wrap(async (req, res) => res.json(await this.print(this.topUpRefundSlip(String(req.params.id))))));
    app.post('/api/lane/day-closes/:id/print', wrap(async (req, res) => res.json(await this.print(this.dayCloseSlip(String(req.params.id))))));
    app.post('/api/lane/cards/:cardNo/slip', wrap(async (req, res) => res.json(await this.print(this.cardSlip(String(req.params.cardNo), parse(cardSlipBody, req.body))))));
    app.post('/api/lane/cards/:cardNo/transfer-slip', wrap(async (req, res) => res.json(await this.print(this.transferSlip(String(req.params.cardNo), parse(transferSlipBody, req.body))))));
  }
}
