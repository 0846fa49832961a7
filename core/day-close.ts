/** A terminal's day close (日结) as it reports it to HQ for reconciliation. */
export interface DayCloseDocument {
  id: string;
  storeId: string;
  terminalId: string;
  /** Store-local business date, YYYY-MM-DD. */
  businessDate: string;
  /** Money taken in (sales and top-ups) and paid back (refunds) per tender kind. */
  tenders: Array<{ kind: 'cash' | 'bank_card' | 'stored_value' | 'points'; salesMinor: number; refundsMinor: number }>;
  saleCount: number;
  refundCount: number;
  topUpTotalMinor: number;
  firstSeq: number;
  lastSeq: number;
  /** Hash chain over every event up to lastSeq (protocols/sync/v1/day-close.ts). */
  eventsChain: string;
  closedAt: number;
}
