/**
 * What a card terminal says it is doing while a sale is in flight, as stable codes the cashier
 * app translates. Terminals report these in their own words (Transbank's 0900 messages, …); the
 * drivers map them here so the app never shows a guess.
 */
export type PaymentProgressCode =
  /** The terminal took the request; the customer follows its screen (all an ECR without progress messages can tell). */
  | 'REQUEST_SENT'
  | 'INSERT_CARD'
  | 'CONFIRM_AMOUNT'
  | 'SELECT_INSTALLMENTS'
  | 'ENTER_PIN'
  | 'SELECT_ACCOUNT'
  | 'AUTHORIZING'
  /** The terminal sent a status this register does not know; `terminalCode` says which. */
  | 'TERMINAL_BUSY'
  /** The answer was lost: the register is asking the terminal what became of the sale. */
  | 'RESOLVING';

export interface PaymentProgress {
  readonly code: PaymentProgressCode;
  /** The terminal's own code, when it sent one. */
  readonly terminalCode?: string;
}

export type ProgressListener = (p: PaymentProgress) => void;
