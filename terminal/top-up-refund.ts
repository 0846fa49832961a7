import { storeSalesAccountId } from '../core/accounts';
import { DomainError, isDomainError } from '../core/errors';
import { planTopUpRefund, postTopUpRefund, type TopUpRefundDocument } from '../core/top-up';
import type { TopUpLookup } from '../protocols/sync/v1/codec';
import { cardSpendable } from './balances';
import type { TerminalContext } from './context';
import { stmt } from './db';
import { storeNameHere } from './identity';
import { assertCardUsable, findCardHolderById } from './master-data';
import { openOfflineSpend } from './offline';
import { isAcked, recordEvent } from './outbox';
import { signedInOperatorId } from './shift';

/**
 * A top-up given back (online only): the principal paid out by the top-up's tender, its bonus
 * clawed back first (core/top-up.ts). Both parts are held at HQ first (Authorize with the part),
 * so no other store can spend them meanwhile; then one transaction records the refund and its
 * 'top_up_refund' event, which captures the holds (card → the store's sales, as HQ made them)
 * and moves the amounts on to the cash drawer or bank card and to the chain's bonus account.
 * The money stays held until the refund posts; nothing is released and taken again.
 * Every hold names the top-up: HQ lets one refund claim it at a time, chain-wide, so when two
 * tills give back the same top-up at once the second is refused (CONFLICT, reason
 * refund_in_progress or already_refunded) before it pays out or records anything.
 *
 * A top-up made at another terminal or store is fetched from HQ (GetTopUp) and given back here
 * by the same rules; HQ checks the pushed refund against the top-up it holds. One made here is
 * also asked of HQ when it can be reached, so one given back elsewhere is refused here too.
 */

interface TopUpRow {
  id: string;
  member_id: string;
  card_id: string;
  tender: 'cash' | 'bank_card';
  principal_minor: number;
  bonus_minor: number;
  completed_at: number;
  event_seq: number;
}

/** A top-up to give back, as known right now: made at this terminal, or fetched from HQ. */
export interface TopUpToRefund {
  id: string;
  memberId: string;
  cardId: string;
  tender: 'cash' | 'bank_card';
  principalMinor: number;
  bonusMinor: number;
  /** HQ's answer for a top-up made at another terminal or store; null when made here. */
  madeElsewhere: TopUpLookup | null;
}

/** One of a member's top-ups as the member desk lists it. */
export interface TopUpEntry {
  id: string;
  completedAt: number;
  storeId: string;
  /** '' when neither this terminal nor HQ knows the store's name. */
  storeName: string;
  /** Made at this terminal (and perhaps not yet at HQ). */
  madeHere: boolean;
  cardId: string;
  cardNo: string | null;
  tender: 'cash' | 'bank_card';
  principalMinor: number;
  bonusMinor: number;
  /** Given back, here or (as HQ knows) anywhere. */
  refunded: boolean;
  refundedAt: number | null;
}

export interface MemberTopUps {
  topUps: TopUpEntry[];
  /** 'hq': the chain's top-ups as HQ holds them plus this till's not yet synced; 'this_terminal': HQ could not be reached. */
  source: 'hq' | 'this_terminal';
}

export interface TopUpRefundResult {
  topUpRefund: TopUpRefundDocument;
  eventSeq: number;
}

export class TopUpRefunds {
  constructor(private readonly c: TerminalContext) {}

  /**
   * A member's recent top-ups for the desk, newest first: online, the chain's as HQ holds them
   * (any terminal or store) merged with this terminal's own not yet at HQ; offline, this
   * terminal's only (`source` says which). Each says whether it was already given back.
   */
  async topUpsOf(memberId: string, limit = 20): Promise<MemberTopUps> {
    const { db, hq } = this.c;
    const rows = stmt(db, 'SELECT * FROM top_ups WHERE member_id = ? ORDER BY completed_at DESC, id DESC LIMIT ?').all(memberId, limit) as TopUpRow[];
    const byId = new Map<string, TopUpEntry>();
    const here = this.c.terminal.storeId;
    for (const r of rows) {
      const refund = stmt(db, 'SELECT completed_at FROM top_up_refunds WHERE top_up_id = ?').get(r.id) as { completed_at: number } | undefined;
      byId.set(r.id, {
        id: r.id, completedAt: r.completed_at, storeId: here, storeName: storeNameHere(db, here), madeHere: true, cardId: r.card_id, cardNo: this.cardNo(r.card_id),
        tender: r.tender, principalMinor: r.principal_minor, bonusMinor: r.bonus_minor, refunded: refund !== undefined, refundedAt: refund?.completed_at ?? null,
      });
    }
    let remote: TopUpLookup[] | null = null;
    if (hq.state() === 'online' && hq.listMemberTopUps) {
      remote = await hq.listMemberTopUps(memberId, limit).catch((e: unknown) => {
        if (isDomainError(e) && e.code === 'HQ_OFFLINE') return null;
        throw e;
      });
    }
    for (const l of remote ?? []) {
      const t = l.topUp;
      if (t.currency !== this.c.terminal.currency) continue;
      const mine = byId.get(t.id);
      const refundHere = mine?.refunded ? mine.refundedAt : null;
      byId.set(t.id, {
        id: t.id, completedAt: t.completedAt, storeId: t.storeId, storeName: l.storeName || storeNameHere(db, t.storeId), madeHere: mine !== undefined, cardId: t.cardId, cardNo: this.cardNo(t.cardId),
        tender: t.tender, principalMinor: t.principalMinor, bonusMinor: t.bonusMinor, refunded: refundHere !== null || l.refund !== null, refundedAt: refundHere ?? l.refund?.completedAt ?? null,
      });
    }
    const topUps = [...byId.values()].sort((a, b) => b.completedAt - a.completedAt || (a.id < b.id ? 1 : -1)).slice(0, limit);
    return { topUps, source: remote === null ? 'this_terminal' : 'hq' };
  }

  private cardNo(cardId: string): string | null {
    return (stmt(this.c.db, 'SELECT card_no FROM cards WHERE id = ?').get(cardId) as { card_no: string } | undefined)?.card_no ?? null;
  }

  /**
   * The top-up to give back: made here, or (online) anywhere in the chain as HQ holds it.
   * CONFLICT when it was already given back, here or — as HQ knows — anywhere.
   */
  async lookup(topUpId: string): Promise<TopUpToRefund> {
    const { db, hq } = this.c;
    const t = stmt(db, 'SELECT * FROM top_ups WHERE id = ?').get(topUpId) as TopUpRow | undefined;
    this.refuseRefundedHere(topUpId);
    if (t) {
      const known: TopUpToRefund = { id: t.id, memberId: t.member_id, cardId: t.card_id, tender: t.tender, principalMinor: t.principal_minor, bonusMinor: t.bonus_minor, madeElsewhere: null };
      // HQ claims the top-up it gives back (and may know of a refund elsewhere): push it there first.
      await this.pushIfNotAtHq(known);
      // HQ may know of a refund of it at another till; one not yet synced is not at HQ, which is fine.
      if (hq.state() === 'online' && hq.getTopUp) {
        const atHq = await hq.getTopUp(topUpId).catch((e: unknown) => {
          if (isDomainError(e) && (e.code === 'NOT_FOUND' || e.code === 'HQ_OFFLINE')) return null;
          throw e;
        });
        if (atHq?.refund) throw alreadyRefunded(topUpId, atHq.refund);
      }
      return known;
    }
    if (hq.state() === 'offline') throw new DomainError('HQ_OFFLINE', `top-up ${topUpId} was not made at this terminal; a top-up made elsewhere can only be given back while HQ can be reached`, { topUpId });
    if (!hq.getTopUp) throw new DomainError('NOT_FOUND', `top-up ${topUpId} was not made at this terminal`, { topUpId });
    const l = await hq.getTopUp(topUpId);
    if (l.topUp.currency !== this.c.terminal.currency) throw new DomainError('VALIDATION_FAILED', `top-up ${topUpId} was made in ${l.topUp.currency}; this terminal pays back ${this.c.terminal.currency}`, { topUpId });
    if (l.refund) throw alreadyRefunded(topUpId, l.refund);
    return { id: l.topUp.id, memberId: l.topUp.memberId, cardId: l.topUp.cardId, tender: l.topUp.tender, principalMinor: l.topUp.principalMinor, bonusMinor: l.topUp.bonusMinor, madeElsewhere: l };
  }

  /** A top-up made here whose event HQ has not acknowledged yet is pushed now (HQ_OFFLINE if it cannot be). */
  private async pushIfNotAtHq(t: TopUpToRefund): Promise<void> {
    if (t.madeElsewhere !== null) return;
    const row = stmt(this.c.db, 'SELECT event_seq FROM top_ups WHERE id = ?').get(t.id) as { event_seq: number } | undefined;
    if (!row || isAcked(this.c.db, row.event_seq)) return;
    this.refuseRefundedHere(t.id);
    if (!this.c.hq.syncNow) throw new DomainError('HQ_OFFLINE', `top-up ${t.id} has not reached HQ yet; give it back once this till has synced`, { topUpId: t.id });
    await this.c.hq.syncNow();
  }

  private refuseRefundedHere(topUpId: string): void {
    const r = stmt(this.c.db, 'SELECT id, completed_at FROM top_up_refunds WHERE top_up_id = ?').get(topUpId) as { id: string; completed_at: number } | undefined;
    if (r) throw new DomainError('CONFLICT', `top-up ${topUpId} was already given back`, { topUpId, reason: 'already_refunded', topUpRefundId: r.id, refundedAt: r.completed_at });
  }

  /** What refunding the top-up would pay back and claw back now, checked as `refund` checks it; changes nothing. */
  preview(known: TopUpToRefund): { principalMinor: number; bonusClawedBackMinor: number } {
    const { plan } = this.plan(known);
    return { principalMinor: plan.principalMinor, bonusClawedBackMinor: plan.bonusClawedBackMinor };
  }

  private plan(t: TopUpToRefund) {
    const { db } = this.c;
    this.refuseRefundedHere(t.id);
    if (this.c.hq.state() === 'offline') throw new DomainError('HQ_OFFLINE', 'a top-up can only be refunded while HQ can be reached', { topUpId: t.id });
    const holder = findCardHolderById(db, t.cardId);
    assertCardUsable(holder, this.c.clock.now(), this.c.timeZone);
    const open = openOfflineSpend(db, { cardId: t.cardId });
    const spendable = cardSpendable(db, t.cardId);
    return { t, plan: planTopUpRefund({ principalMinor: t.principalMinor, bonusMinor: t.bonusMinor }, { principal: spendable.principal - open.principal, bonus: spendable.bonus - open.bonus }) };
  }

  /** Gives the top-up back (looked up first when given by id). */
  async refund(topUp: string | TopUpToRefund): Promise<TopUpRefundResult> {
    const { db } = this.c;
    const known = typeof topUp === 'string' ? await this.lookup(topUp) : topUp;
    // HQ claims the top-up it gives back, so one made here must have reached HQ first.
    await this.pushIfNotAtHq(known);
    const { t, plan } = this.plan(known);
    const topUpId = t.id;

    const refundId = this.c.newId();
    const ask = (part: 'principal' | 'bonus', amountMinor: number) =>
      this.c.holds.ask({ documentId: refundId, purpose: 'top_up_refund', cardId: t.cardId, memberId: t.memberId, asset: 'stored_value', part, amountMinor, topUpId });
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
        memberId: t.memberId,
        cardId: t.cardId,
        tender: t.tender,
        principalMinor: plan.principalMinor,
        bonusClawedBackMinor: plan.bonusClawedBackMinor,
        principalHoldId: principalLeg,
        bonusHoldId: bonusLeg,
        completedAt,
      };
      const transfers = postTopUpRefund(doc, this.c.newId);
      const event = recordEvent(db, { id: this.c.newId(), occurredAt: completedAt, body: { type: 'top_up_refund', topUpRefund: doc }, transfers });
      stmt(db, 'INSERT INTO top_up_refunds (id, top_up_id, card_id, tender, principal_minor, bonus_clawed_back_minor, completed_at, event_seq, cashier_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(doc.id, topUpId, doc.cardId, doc.tender, doc.principalMinor, doc.bonusClawedBackMinor, completedAt, event.seq, signedInOperatorId(db));
      const holdIds = [principal.holdId, ...(bonus ? [bonus.holdId] : [])];
      this.c.holds.markCaptured(holdIds);
      return { topUpRefund: doc, eventSeq: event.seq };
    })();
    this.c.hq.requestSync();
    return result;
  }
}

function alreadyRefunded(topUpId: string, refund: TopUpRefundDocument): DomainError {
  return new DomainError('CONFLICT', `top-up ${topUpId} was already given back (at store ${refund.storeId})`, { topUpId, reason: 'already_refunded', topUpRefundId: refund.id, refundedAt: refund.completedAt });
}
