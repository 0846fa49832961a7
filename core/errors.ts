/**
 * Expected business outcomes, as a closed set of stable codes. Callers branch on
 * `code`, never on message text; the message is for the cashier or clerk.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNKNOWN_BARCODE',
  'UNKNOWN_PLU',
  'BAD_CHECK_DIGIT',
  'UNKNOWN_CARD',
  'CARD_FROZEN',
  'CARD_LOST',
  'CARD_EXPIRED',
  'CARD_INACTIVE',
  'INSUFFICIENT_BALANCE',
  'SALE_NOT_OPEN',
  'SALE_NOT_FOUND',
  'SALE_NOT_PAID',
  'OVERPAID',
  'REFUND_EXCEEDS_SALE',
  'CARD_STATUS_CHANGE_NOT_ALLOWED',
  'POINTS_BELOW_REDEMPTION_UNIT',
  'INSUFFICIENT_POINTS',
  'OFFLINE_LIMIT_EXCEEDED',
  'PIN_REQUIRED',
  'WRONG_PIN',
  'PIN_LOCKED',
  'INTERNAL',
  'NO_MEMBER',
  'HQ_OFFLINE',
  'HOLD_NOT_FOUND',
  'HOLD_NOT_PENDING',
  'UNAUTHENTICATED',
  'NOT_SIGNED_IN',
  'FORBIDDEN',
  'TERMINAL_REVOKED',
  'ENROLLMENT_CODE_INVALID',
  'NOT_FOUND',
  'CONFLICT',
  'ACCOUNT_LOCKED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** A broken invariant: a bug, not a business outcome. Stays on in production. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
