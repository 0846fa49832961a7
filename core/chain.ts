/**
 * The shapes of a chain's master data as HQ owns it and terminals cache it:
 * organisation nodes, member levels, catalog, members and their cards.
 * Amounts are integer minor units; rates are decimal strings (never floats).
 */

export type OrgNodeKind = 'hq' | 'region' | 'store';

export interface OrgNode {
  id: string;
  parentId: string | null;
  kind: OrgNodeKind;
  name: string;
  /** IANA time zone, e.g. "Asia/Shanghai". */
  timeZone: string;
  /** ISO 4217 code of the currency the node trades in. */
  currency: string;
  /** Franchise stores settle with their franchisee; null for company-owned. */
  franchisee: string | null;
}

export interface MemberLevel {
  code: string;
  name: string;
  /** Rank orders levels from lowest (0) upwards. */
  rank: number;
  /** Price factor for eligible lines as a decimal string: "0.95" is 9.5折, "1" is none. */
  discountRate: string;
  /** Points multiplier as a decimal string: "1", "1.5", "2". */
  pointsMultiplier: string;
  /** Most stored value a card of this level may spend per day while HQ is unreachable. */
  offlineLimitMinor: number;
}

export interface Product {
  sku: string;
  /** EAN-13 with a valid check digit. */
  barcode: string;
  name: string;
  nameZh: string;
  category: string;
  priceMinor: number;
  /** Products that earn no points and take no member discount (tobacco, gift cards…). */
  excludedFromMemberBenefits: boolean;
  /** The item number a scale label carries (digits, leading zeros not significant); absent when none. */
  plu?: string;
  /** 'weight': sold by the kilogram at `pricePerKgMinor` (priceMinor is then not charged); absent means 'unit'. */
  soldBy?: SoldBy;
  /** Minor units per kilogram, for a product sold by weight. */
  pricePerKgMinor?: number;
}

export type SoldBy = 'unit' | 'weight';

export type CardMedium = 'mifare' | 'em4100' | 'magstripe' | 'barcode' | 'virtual';
export type CardStatus = 'active' | 'frozen' | 'lost' | 'expired' | 'replaced';

export interface Card {
  id: string;
  /** What the reader or scanner yields: printed number, or the UID in upper-case hex. */
  cardNo: string;
  medium: CardMedium;
  status: CardStatus;
  /** ISO date (YYYY-MM-DD) after which the card no longer works; null = no expiry. */
  expiresOn: string | null;
  /** argon2id hash of the card's PIN; null when the card has none. Never the PIN itself. */
  pinHash?: string | null;
}

export interface Member {
  id: string;
  name: string;
  phone: string;
  /** ISO date YYYY-MM-DD, or null when unknown. */
  birthday: string | null;
  levelCode: string;
  /** The store that registered the member. */
  homeStoreId: string;
}

/** Opening balances loaded with seed data, posted as ledger transfers, never written directly. */
export interface OpeningBalance {
  cardId: string;
  principalMinor: number;
  bonusMinor: number;
}

export interface OpeningPoints {
  memberId: string;
  points: number;
}

export interface TerminalSeed {
  id: string;
  storeId: string;
  name: string;
}

export interface OperatorSeed {
  id: string;
  nodeId: string;
  name: string;
  login: string;
  /** Clear text only in seed data for the demo; stored hashed. */
  password: string;
  /** Cashier PIN for terminal sign-in; stored hashed. */
  pin: string;
  /** Operator card number (the UID the card reader gives) for sign-in and approvals at the till. */
  cardNo?: string;
  roles: string[];
}

/** Everything needed to bring up a chain from nothing. */
export interface ChainSeed {
  chainName: string;
  currency: string;
  org: OrgNode[];
  levels: MemberLevel[];
  products: Product[];
  members: Array<Member & { cards: Card[] }>;
  openingBalances: OpeningBalance[];
  openingPoints: OpeningPoints[];
  terminals: TerminalSeed[];
  operators: OperatorSeed[];
}
