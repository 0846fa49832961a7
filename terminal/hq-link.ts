import { DomainError } from '../core/errors';
import type { Card, Member } from '../core/chain';
import type { Transfer } from '../core/ledger';
import type { SaleLookup, TopUpLookup } from '../protocols/sync/v1/codec';

/** Whether the terminal can reach HQ right now: online after a successful call, offline after a failed one. */
export type LinkState = 'online' | 'offline';

export interface AuthorizeRequest {
  /** UUIDv7 made here, stored before sending; a retry reuses it. */
  holdId: string;
  cardId: string;
  /** Minor units of stored value, or points when asset is points. */
  amountMinor: number;
  /** The document the hold is for: a sale, a top-up refund, a gift redemption. */
  saleId: string;
  /** stored_value (default) or the points of the card's member. */
  asset?: 'stored_value' | 'points';
  /** Stored value only: hold just this part; absent = by spending order. */
  part?: 'principal' | 'bonus';
  /** A top-up refund's holds: the top-up given back, which HQ lets one refund claim at a time. */
  topUpId?: string;
}

export interface AuthorizeResult {
  holdId: string;
  /** HQ's pending transfers, one per stored-value part it reserved (one for points). */
  holds: Transfer[];
  expiresAt: number;
}

/**
 * What checkout needs of HQ. Refusals come back as DomainError with HQ's code
 * (INSUFFICIENT_BALANCE, CARD_FROZEN…); an unreachable HQ, or an answer that never came,
 * as HQ_OFFLINE — in which case the hold may or may not exist at HQ.
 */
export interface HqLink {
  state(): LinkState;
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  /** Releases a hold with our void_pending transfers; idempotent by transfer id. */
  voidHold(holdId: string, transfers: Transfer[]): Promise<void>;
  /** Asks for a push and pull soon; does not wait for it. */
  requestSync(): void;
  /** Pushes what is committed so far (then pulls) and waits for it; HQ_OFFLINE when it cannot. */
  syncNow?(): Promise<void>;
  /** A member-desk call to HQ (online only); HQ's refusals come back with HQ's code. */
  memberDesk(call: MemberDeskCall): Promise<MemberDeskResult>;
  /**
   * A sale made anywhere in the chain with the refunds of it HQ applied (online only; NOT_FOUND
   * when HQ has none). Optional: a link without it cannot refund sales made elsewhere.
   */
  getSale?(saleId: string): Promise<SaleLookup>;
  /** A member's sales across the chain, newest first, each with its refunds (online only). */
  listMemberSales?(memberId: string, limit: number): Promise<SaleLookup[]>;
  /** A top-up made anywhere in the chain with its refund if HQ applied one (online only; NOT_FOUND when HQ has none). */
  getTopUp?(topUpId: string): Promise<TopUpLookup>;
  /** A member's top-ups across the chain, newest first (online only). */
  listMemberTopUps?(memberId: string, limit: number): Promise<TopUpLookup[]>;
}

/** The member-desk RPCs of sync.proto; each carries a requestId (UUIDv7) a retry reuses. */
export type MemberDeskCall =
  | { method: 'RegisterMember'; request: { requestId: string; name: string; phone: string; birthday: string | null; card: NewCardRequest | null } }
  | { method: 'IssueCard'; request: NewCardRequest & { memberId: string } }
  | {
      method: 'ChangeCardStatus';
      request: { requestId: string; cardId: string; action: 'freeze' | 'unfreeze' | 'report_lost' | 'replace'; reason: string; operatorId: string; newCard: NewCardRequest | null };
    }
  | { method: 'TransferBalance'; request: { requestId: string; fromCardId: string; toCardId: string; amountMinor: number } };

export interface NewCardRequest {
  requestId: string;
  cardNo: string;
  medium: Card['medium'];
  pin: string | null;
  expiresOn: string | null;
}

/** What HQ answers a member-desk call: the member as it is now, all their cards and balances. */
export interface MemberDeskResult {
  member: Member;
  cards: Array<Card & { memberId: string }>;
  balances: Array<{ accountId: string; ledger: string; posted: number; held: number }>;
}

/** A link that never reaches HQ: headless tests, or a terminal before its sync client starts. */
export const offlineHqLink: HqLink = {
  state: () => 'offline',
  authorize: () => Promise.reject(new DomainError('HQ_OFFLINE', 'HQ cannot be reached')),
  voidHold: () => Promise.reject(new DomainError('HQ_OFFLINE', 'HQ cannot be reached')),
  requestSync: () => {},
  memberDesk: () => Promise.reject(new DomainError('HQ_OFFLINE', 'HQ cannot be reached')),
};
