import type { Clock } from '../core/ids';
import type { TerminalDb } from './db';
import type { HoldBook } from './holds';
import { Gifts } from './gifts';
import type { HqLink } from './hq-link';
import { MemberDesk } from './member-desk';
import { Refunds } from './refunds';
import { TopUpRefunds } from './top-up-refund';

/** What the terminal's document services share: its database, clock, ids, HQ link and holds. */
export interface TerminalContext {
  db: TerminalDb;
  clock: Clock;
  newId: () => string;
  hq: HqLink;
  holds: HoldBook;
  terminal: { terminalId: string; storeId: string; currency: string };
  /** The store's IANA zone. */
  timeZone: string;
  log?: (msg: string) => void;
}

/** The member-money services beside checkout, built once per terminal by the composition root. */
export interface MemberMoneyServices {
  refunds: Refunds;
  topUpRefunds: TopUpRefunds;
  gifts: Gifts;
  desk: MemberDesk;
}

/** Builds the member-money services over one context. */
export function memberMoneyServices(c: TerminalContext): MemberMoneyServices {
  return { refunds: new Refunds(c), topUpRefunds: new TopUpRefunds(c), gifts: new Gifts(c), desk: new MemberDesk(c) };
}
