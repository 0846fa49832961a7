import { storeSalesAccountId } from '../core/accounts';
import { DomainError } from '../core/errors';
import { planTopUpRefund, postTopUpRefund, type TopUpRefundDocument } from '../core/top-up';
import { cardSpendable } from './balances';
import type { TerminalContext } from './context';
import { stmt } from './db';
import { assertCardUsable, findCardHolderById } from './master-data';
import { openOfflineSpend } from './offline';
import { recordEvent } from './outbox';
import { signedInOperatorId } from './shift';

/**
 * A top-up given back (online only): the principal paid out by the top-up's tender, its bonus
 * clawed back first (core/top-up.ts). Both parts are held at HQ first (Authorize with the part),
 * so no other store can spend them meanwhile; then one transaction records the refund and its
 * 'top_up_refund' event, which captures the holds (card → the store's sales, as HQ made them)
 * and moves the amounts on to the cash drawer or bank card and to the chain's bonus account.
 * The money stays held until the refund posts; nothing is released and taken again.
 */

interface TopUpRow {
  id: string;
  member_id: string;
  card_id: string;
  tender: 'cash' | 'bank_card';
  principal_minor: number;
  bonus_minor: number;
}

export interface TopUpRefundResult {
  topUpRefund: TopUpRefundDocument;
  eventSeq: number;
}

export class TopUpRefunds {
  constructor(private readonly c: TerminalContext) {}

  /** What refunding the top-up would pay back and claw back now, checked as `refund` checks it; changes nothing. */
  preview(topUpId: string): { principalMinor: number; bonusClawedBackMinor: number } {
    const { plan } = this.plan(topUpId);
    return { principalMinor: plan.principalMinor, bonusClawedBackMinor: plan.bonusClawedBackMinor };
  }

  private plan(topUpId: string) {
    const { db } = this.c;
    const t = stmt(db, 'SELECT * FROM top_ups WHERE id = ?').get(topUpId) as TopUpRow | undefined;
    if (!t) throw new DomainError('NOT_FOUND', `top-up ${topUpId} was not made at this terminal`, { topUpId });
    if (stmt(db, 'SELECT 1 FROM top_up_refunds WHERE top_up_id = ?').get(topUpId)) throw new DomainError('CONFLICT', `top-up ${topUpId} was already refunded`, { topUpId });
    if (this.c.hq.state() === 'offline') throw new DomainError('HQ_OFFLINE', 'a top-up can only be refunded while HQ can be reached', { topUpId });
    const holder = findCardHolderById(db, t.card_id);
    assertCardUsable(holder, this.c.clock.now(), this.c.timeZone);
    const open = openOfflineSpend(db, { cardId: t.card_id });
    const spendable = cardSpendable(db, t.card_id);
    return { t, plan: planTopUpRefund({ principalMinor: t.principal_minor, bonusMinor: t.bonus_minor }, { principal: spendable.principal - open.principal, bonus: spendable.bonus - open.bonus }) };
  }

  async refund(topUpId: string): Promise<TopUpRefundResult> {
    const { db } = this.c;
    const { t, plan } = this.plan(topUpId);

    const refundId = this.c.newId();
    const ask = (part: 'principal' | 'bonus', amountMinor: number) =>
      this.c.holds.ask({ documentId: refundId, purpose: 'top_up_refund', cardId: t.card_id, memberId: t.member_id, asset: 'stored_value', part, amountMinor });
    const principal = await ask('principal', plan.principalMinor);
    let bonus: Awaited<ReturnType<typeof ask>> | null = null;
    if (plan.bonusClawedBackMinor > 0) {
      try {
        bonus = await ask('bonus', plan.bonusClawedBackMinor);
      } catch (e) {
        this.c.db.transaction(() => this.c.holds.mirror(principal.holdId, principal.result))();
        await this.c.holds.release(refundId, [principal.holdId]);
        throw e;
      }
    }

    // Each part is one pending transfer into this store's sales, which the refund captures.
    const sales = storeSalesAccountId(this.c.terminal.storeId);
    const legOf = (hold: typeof principal) => {
      const leg = hold.result.holds[0];
      return leg && hold.result.holds.length === 1 && leg.creditAccountId === sales ? leg.id : null;
    };
    const principalLeg = legOf(principal);
    const bonusLeg = bonus ? legOf(bonus) : null;
    if (principalLeg === null || (bonus && bonusLeg === null)) {
      this.c.db.transaction(() => {
        this.c.holds.mirror(principal.holdId, principal.result);
        if (bonus) this.c.holds.mirror(bonus.holdId, bonus.result);
      })();
      await this.c.holds.release(refundId, [principal.holdId, ...(bonus ? [bonus.holdId] : [])]);
      throw new Error(`HQ held the top-up refund ${refundId} other than as one pending transfer per part into store ${this.c.terminal.storeId}'s sales; the holds were released`);
    }

    const completedAt = this.c.clock.now();
    const result = db.transaction((): TopUpRefundResult => {
      this.c.holds.mirror(principal.holdId, principal.result);
      if (bonus) this.c.holds.mirror(bonus.holdId, bonus.result);
      const doc: TopUpRefundDocument = {
        id: refundId,
        topUpId,
        storeId: this.c.terminal.storeId,
        terminalId: this.c.terminal.terminalId,
        currency: this.c.terminal.currency,
        memberId: t.member_id,
        cardId: t.card_id,
        tender: t.tender,
        principalMinor: plan.principalMinor,
        bonusClawedBackMinor: plan.bonusClawedBackMinor,
        principalHoldId: principalLeg,
        bonusHoldId: bonusLeg,
        completedAt,
      };
      const transfers = postTopUpRefund(doc, this.c.newId);
      const event = recordEvent(db, { id: this.c.newId(), occurredAt: completedAt, body: { type: 'top_up_refund', topUpRefund: doc }, transfers });
      stmt(db, 'INSERT INTO top_up_refunds (id, top_up_id, card_id, principal_minor, bonus_clawed_back_minor, completed_at, event_seq, cashier_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(doc.id, topUpId, doc.cardId, doc.principalMinor, doc.bonusClawedBackMinor, completedAt, event.seq, signedInOperatorId(db));
      const holdIds = [principal.holdId, ...(bonus ? [bonus.holdId] : [])];
      this.c.holds.markCaptured(holdIds);
      return { topUpRefund: doc, eventSeq: event.seq };
    })();
    this.c.hq.requestSync();
    return result;
  }
}
