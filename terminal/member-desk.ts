import type { Card } from '../core/chain';
import { cardSpendable, memberPoints } from './balances';
import type { TerminalContext } from './context';
import { stmt } from './db';
import type { MemberDeskCall, MemberDeskResult, NewCardRequest } from './hq-link';
import { applyChange, findCardHolder } from './master-data';

/**
 * The member desk (会员服务台): register members, issue cards, freeze / unfreeze / report lost /
 * replace, move stored value between a member's cards. HQ owns members and cards, so each is an
 * HQ call (online only: HQ_OFFLINE otherwise, and HQ's own refusal code when it refuses). HQ's
 * answer is applied to the local cache at once; the next pull brings the same again, harmlessly.
 */

export interface MemberView {
  member: MemberDeskResult['member'];
  cards: Array<{ id: string; cardNo: string; medium: Card['medium']; status: Card['status']; expiresOn: string | null; hasPin: boolean; principalMinor: number; bonusMinor: number }>;
  points: number;
}

export interface NewCard {
  cardNo: string;
  medium: Card['medium'];
  pin?: string;
  expiresOn?: string;
}

export type CardAction = 'freeze' | 'unfreeze' | 'report_lost' | 'replace';

export class MemberDesk {
  constructor(private readonly c: TerminalContext) {}

  registerMember(input: { name: string; phone: string; birthday: string | null; card?: NewCard }): Promise<MemberView> {
    return this.call({
      method: 'RegisterMember',
      request: { requestId: this.c.newId(), name: input.name, phone: input.phone, birthday: input.birthday, card: input.card ? this.newCard(input.card) : null },
    });
  }

  issueCard(memberId: string, card: NewCard): Promise<MemberView> {
    return this.call({ method: 'IssueCard', request: { ...this.newCard(card), memberId } });
  }

  changeCardStatus(cardNo: string, action: CardAction, o: { reason?: string; newCard?: NewCard } = {}): Promise<MemberView> {
    const holder = findCardHolder(this.c.db, cardNo);
    return this.call({
      method: 'ChangeCardStatus',
      request: {
        requestId: this.c.newId(),
        cardId: holder.card.id,
        action,
        reason: o.reason ?? '',
        // Operators sign in at the till with a later issue; until then the terminal acts.
        operatorId: '',
        newCard: o.newCard ? this.newCard(o.newCard) : null,
      },
    });
  }

  /** Moves `amountMinor` (everything when absent) from one of a member's cards to another. */
  transferBalance(fromCardNo: string, toCardNo: string, amountMinor?: number): Promise<MemberView> {
    const from = findCardHolder(this.c.db, fromCardNo);
    const to = findCardHolder(this.c.db, toCardNo);
    return this.call({ method: 'TransferBalance', request: { requestId: this.c.newId(), fromCardId: from.card.id, toCardId: to.card.id, amountMinor: amountMinor ?? 0 } });
  }

  private newCard(c: NewCard): NewCardRequest {
    return { requestId: this.c.newId(), cardNo: c.cardNo, medium: c.medium, pin: c.pin ?? null, expiresOn: c.expiresOn ?? null };
  }

  private async call(call: MemberDeskCall): Promise<MemberView> {
    const { db } = this.c;
    // Like a pull: the balances HQ answers with count our holds granted before this call began.
    const gen = db.transaction(() => {
      stmt(db, 'UPDATE sync_state SET pulls_started = pulls_started + 1').run();
      return stmt(db, 'SELECT pulls_started, last_acked_seq FROM sync_state').get() as { pulls_started: number; last_acked_seq: number };
    })();
    const res = await this.c.hq.memberDesk(call);
    db.transaction(() => {
      // HQ had applied at least every event it acknowledged; later ones are added on top (balances.ts).
      const ctx = { currency: this.c.terminal.currency, appliedSeq: gen.last_acked_seq, snapshotGen: gen.pulls_started, at: this.c.clock.now() };
      applyChange(db, { seq: 0, deleted: false, body: { type: 'member', member: res.member } }, ctx);
      for (const card of res.cards) applyChange(db, { seq: 0, deleted: false, body: { type: 'card', card } }, ctx);
      for (const balance of res.balances) applyChange(db, { seq: 0, deleted: false, body: { type: 'balance', balance } }, ctx);
    })();
    this.c.hq.requestSync();
    return this.view(res.member.id);
  }

  /** A member, their cards with what each may spend, and their points, as this terminal sees them. */
  view(memberId: string): MemberView {
    const { db } = this.c;
    const member = stmt(db, 'SELECT * FROM members WHERE id = ?').get(memberId) as { id: string; name: string; phone: string; birthday: string | null; level_code: string; home_store_id: string };
    const cards = stmt(db, 'SELECT * FROM cards WHERE member_id = ? ORDER BY id').all(memberId) as Array<{ id: string; card_no: string; medium: Card['medium']; status: Card['status']; expires_on: string | null; pin_hash: string | null }>;
    return {
      member: { id: member.id, name: member.name, phone: member.phone, birthday: member.birthday, levelCode: member.level_code, homeStoreId: member.home_store_id },
      cards: cards.map((c) => {
        const s = cardSpendable(db, c.id);
        return { id: c.id, cardNo: c.card_no, medium: c.medium, status: c.status, expiresOn: c.expires_on, hasPin: c.pin_hash !== null, principalMinor: s.principal, bonusMinor: s.bonus };
      }),
      points: memberPoints(db, memberId),
    };
  }
}
