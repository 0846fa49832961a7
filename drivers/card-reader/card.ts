import type { IdentityVerdict } from '../../protocols/mifare/card-identity';

/** A member card put on a reader. The UID identifies the member's card. */
export interface CardPresented {
  /** UID (MIFARE) or 32-bit id (125 kHz) as uppercase hex. */
  readonly uid: string;
  readonly technology: 'mifare-classic' | 'iso14443a' | 'em4100';
  /** The on-card identity check, when the reader is configured to read it. */
  readonly identity?: IdentityVerdict;
}

export function uidHex(uid: Uint8Array): string {
  return Array.from(uid, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}
