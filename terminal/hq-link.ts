import { DomainError } from '../core/errors';
import type { Transfer } from '../core/ledger';

/** Whether the terminal can reach HQ right now: online after a successful call, offline after a failed one. */
export type LinkState = 'online' | 'offline';

export interface AuthorizeRequest {
  /** UUIDv7 made here, stored before sending; a retry reuses it. */
  holdId: string;
  cardId: string;
  amountMinor: number;
  saleId: string;
}

export interface AuthorizeResult {
  holdId: string;
  /** HQ's pending transfers, one per stored-value part it reserved. */
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
}

/** A link that never reaches HQ: headless tests, or a terminal before its sync client starts. */
export const offlineHqLink: HqLink = {
  state: () => 'offline',
  authorize: () => Promise.reject(new DomainError('HQ_OFFLINE', 'HQ cannot be reached')),
  voidHold: () => Promise.reject(new DomainError('HQ_OFFLINE', 'HQ cannot be reached')),
  requestSync: () => {},
};
