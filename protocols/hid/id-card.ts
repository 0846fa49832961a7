import { ProtocolError } from '../errors';

/** How a 125 kHz (EM4100) keyboard-wedge reader prints a card. */
export type IdCardFormat = 'decimal10' | 'hex10';

export interface IdCard {
  /** The 32-bit card id as 8 uppercase hex digits: the same card gives the same uid in either format. */
  readonly uid: string;
  /** The EM4100 version/customer byte, when the reader prints it (hex10). */
  readonly customer: string | undefined;
}

/**
 * Parses a wedge reader's line. decimal10: the 32-bit id in decimal, zero-padded to 10 digits.
 * hex10: customer byte + 32-bit id, 10 hex digits.
 */
export function parseIdCard(text: string, format: IdCardFormat): IdCard {
  const t = text.trim();
  if (format === 'decimal10') {
    if (!/^\d{10}$/.test(t)) throw new ProtocolError('BAD_FORMAT', `expected a 10-digit card number, got "${t}"`);
    const n = Number(t);
    if (n > 0xffffffff) throw new ProtocolError('BAD_FORMAT', `card number ${t} is larger than 32 bits`);
    return { uid: n.toString(16).toUpperCase().padStart(8, '0'), customer: undefined };
  }
  if (!/^[0-9A-Fa-f]{10}$/.test(t)) throw new ProtocolError('BAD_FORMAT', `expected 10 hex digits, got "${t}"`);
  return { uid: t.slice(2).toUpperCase(), customer: t.slice(0, 2).toUpperCase() };
}

/** What the reader types for a card (used by simulators). */
export function formatIdCard(id32: number, format: IdCardFormat, customer = 0): string {
  if (!Number.isInteger(id32) || id32 < 0 || id32 > 0xffffffff) throw new ProtocolError('BAD_FORMAT', `card id ${id32} is not 32-bit`);
  return format === 'decimal10'
    ? String(id32).padStart(10, '0')
    : (customer.toString(16).padStart(2, '0') + id32.toString(16).padStart(8, '0')).toUpperCase();
}
