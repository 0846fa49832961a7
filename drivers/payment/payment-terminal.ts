import type { ProgressListener } from '../../protocols/ecr/progress';

/**
 * One interface for every bank-card / UnionPay terminal integrated over an ECR link. Amounts are
 * integer minor units. A method that gets no answer throws DeviceError TIMEOUT or OFFLINE: the
 * caller (JournaledPayments) then finds out what happened before anything is retried.
 *
 * A vendor UnionPay "MIS" adapter (usually a DLL or a local socket service from the acquirer)
 * plugs in by implementing this interface: map sale/void/refund to its calls, use our ECR
 * reference as its merchant order number (商户订单号), and implement lastTransaction() with its
 * "query by order number" call; JournaledPayments then gives it the same never-twice guarantee.
 */
export interface PaymentTerminal {
  readonly name: string;
  readonly protocol: string;
  readonly capabilities: {
    /** Can ask the terminal what its last transaction was (needed to resolve a lost answer). */
    readonly lastTransactionQuery: boolean;
    readonly dayClose: boolean;
    /** Refund of part of a sale (otherwise refunds are whole-sale voids). */
    readonly partialRefund: boolean;
  };
  /**
   * Takes a card payment. `onProgress` hears what the terminal reports while the customer is at
   * it (card read, PIN, authorising), in order, before the answer; only what the protocol says.
   */
  sale(req: SaleRequest, onProgress?: ProgressListener): Promise<TerminalAnswer>;
  /** Cancels an approved sale (same day, before day close). */
  void(req: VoidRequest): Promise<TerminalAnswer>;
  refund(req: RefundRequest): Promise<TerminalAnswer>;
  /** The terminal's last transaction, or undefined when it has none. */
  lastTransaction(): Promise<LastTransaction | undefined>;
  dayClose(): Promise<DayCloseAnswer>;
}

export interface SaleRequest {
  /** OneCard's unique reference for this attempt, sent to and echoed by the terminal. */
  readonly ecrRef: string;
  readonly amount_minor: number;
}

export interface OriginalTransaction {
  readonly ecrRef: string;
  readonly terminalRef: string;
  readonly amount_minor: number;
}

export interface VoidRequest {
  readonly ecrRef: string;
  readonly original: OriginalTransaction;
}

export interface RefundRequest {
  readonly ecrRef: string;
  readonly amount_minor: number;
  readonly original: OriginalTransaction;
}

export type TerminalAnswer =
  | {
      readonly approved: true;
      readonly ecrRef: string;
      readonly amount_minor: number;
      readonly authCode: string;
      /** The terminal's own number for the transaction (needed to void it). */
      readonly terminalRef: string;
      readonly cardLast4?: string;
    }
  | { readonly approved: false; readonly ecrRef: string; readonly code: string; readonly message: string };

export interface LastTransaction {
  readonly ecrRef: string;
  readonly approved: boolean;
  readonly amount_minor: number;
  readonly terminalRef: string;
  readonly authCode: string;
}

export interface DayCloseAnswer {
  readonly ok: boolean;
  readonly message: string;
}
