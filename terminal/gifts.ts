import { DomainError } from '../core/errors';
import { postGiftRedemption, type GiftRedemptionDocument } from '../core/gift';
import { memberPoints } from './balances';
import type { TerminalContext } from './context';
import { stmt } from './db';
import { assertCardUsable, findCardHolder } from './master-data';
import { openOfflineSpend } from './offline';
import { recordEvent } from './outbox';

/**
 * Gifts for points (积分兑换) at the member desk, online only: the points are held at HQ
 * (which never lets a member's points go below zero), then one transaction records the
 * redemption and its event, capturing the hold.
 */

export interface GiftResult {
  gift: GiftRedemptionDocument;
  eventSeq: number;
  pointsLeft: number;
}

export class Gifts {
  constructor(private readonly c: TerminalContext) {}

  async redeem(input: { cardNo: string; giftSku: string; quantity: number; points: number }): Promise<GiftResult> {
    const { db } = this.c;
    if (!Number.isSafeInteger(input.points) || input.points <= 0) throw new DomainError('VALIDATION_FAILED', 'a gift costs a whole number of points above zero');
    if (!Number.isSafeInteger(input.quantity) || input.quantity <= 0) throw new DomainError('VALIDATION_FAILED', 'gift quantity must be a whole number above zero');
    const holder = findCardHolder(db, input.cardNo);
    assertCardUsable(holder, this.c.clock.now(), this.c.timeZone);
    const have = memberPoints(db, holder.member.id) - openOfflineSpend(db, { memberId: holder.member.id }).points;
    if (input.points > have) throw new DomainError('INSUFFICIENT_POINTS', `the member has ${have} points, not ${input.points}`, { available: have, missing: input.points - have });
    if (this.c.hq.state() === 'offline') throw new DomainError('HQ_OFFLINE', 'gifts can only be redeemed while HQ can be reached');

    const giftId = this.c.newId();
    const { holdId, result } = await this.c.holds.ask({ documentId: giftId, purpose: 'gift_redemption', cardId: holder.card.id, memberId: holder.member.id, asset: 'points', amountMinor: input.points });
    const completedAt = this.c.clock.now();
    const out = db.transaction((): GiftResult => {
      this.c.holds.mirror(holdId, result);
      const leg = result.holds[0]!;
      const doc: GiftRedemptionDocument = {
        id: giftId,
        memberId: holder.member.id,
        storeId: this.c.terminal.storeId,
        terminalId: this.c.terminal.terminalId,
        giftSku: input.giftSku,
        quantity: input.quantity,
        points: input.points,
        completedAt,
      };
      // The redemption captures the hold rather than debiting the points a second time.
      const transfers = postGiftRedemption(doc, this.c.newId).map((t) => ({ ...t, kind: 'post_pending' as const, pendingId: leg.id }));
      const event = recordEvent(db, { id: this.c.newId(), occurredAt: completedAt, body: { type: 'gift_redemption', gift: doc }, transfers });
      stmt(db, 'INSERT INTO gift_redemptions (id, member_id, card_id, gift_sku, quantity, points, completed_at, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(doc.id, doc.memberId, holder.card.id, doc.giftSku, doc.quantity, doc.points, completedAt, event.seq);
      this.c.holds.markCaptured([holdId]);
      return { gift: doc, eventSeq: event.seq, pointsLeft: memberPoints(db, holder.member.id) };
    })();
    this.c.hq.requestSync();
    return out;
  }
}
