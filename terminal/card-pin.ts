import { verify } from '@node-rs/argon2';
import { DomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import { stmt, type TerminalDb } from './db';

/**
 * The card PIN (会员卡密码) at the till: asked for when a payment from the card is above the
 * chain's threshold and the card has a PIN. Wrong tries are counted per card at this terminal;
 * the fifth wrong try in a row locks the card here for 15 minutes.
 */

export const PIN_MAX_WRONG_TRIES = 5;
export const PIN_LOCK_MS = 15 * 60_000;

export interface PinCheck {
  card: { id: string; cardNo: string; pinHash?: string | null };
  amountMinor: number;
  /** settings.cardPinRequiredAboveMinor; null: never asked. */
  requiredAboveMinor: number | null;
  pin: string | undefined;
}

/** Whether this payment needs the card's PIN. */
export function pinRequired(c: Pick<PinCheck, 'card' | 'amountMinor' | 'requiredAboveMinor'>): boolean {
  return c.requiredAboveMinor !== null && c.amountMinor > c.requiredAboveMinor && !!c.card.pinHash;
}

/**
 * Refuses the payment unless the PIN is right when one is needed: PIN_REQUIRED (none given),
 * WRONG_PIN (with tries left), PIN_LOCKED (too many wrong tries; until when).
 */
export async function checkCardPin(db: TerminalDb, clock: Clock, c: PinCheck): Promise<void> {
  if (!pinRequired(c)) return;
  const now = clock.now();
  const row = stmt(db, 'SELECT failures, locked_until FROM pin_attempts WHERE card_id = ?').get(c.card.id) as { failures: number; locked_until: number | null } | undefined;
  if (row?.locked_until != null && row.locked_until > now) {
    throw new DomainError('PIN_LOCKED', `too many wrong PINs for card ${c.card.cardNo}; try again after 15 minutes`, { lockedUntil: row.locked_until });
  }
  if (c.pin === undefined || c.pin === '') {
    throw new DomainError('PIN_REQUIRED', `payments above the limit need the card PIN`, { requiredAboveMinor: c.requiredAboveMinor });
  }
  let ok = false;
  try {
    ok = await verify(c.card.pinHash!, c.pin);
  } catch {
    // A hash the library cannot read is a data problem at HQ, never a reason to let money out.
    ok = false;
  }
  if (ok) {
    stmt(db, 'DELETE FROM pin_attempts WHERE card_id = ?').run(c.card.id);
    return;
  }
  // A lock that has run out starts a fresh count.
  const before = row && row.locked_until === null ? row.failures : 0;
  const failures = before + 1;
  if (failures >= PIN_MAX_WRONG_TRIES) {
    const lockedUntil = now + PIN_LOCK_MS;
    stmt(db, 'INSERT INTO pin_attempts (card_id, failures, locked_until) VALUES (?, 0, ?) ON CONFLICT (card_id) DO UPDATE SET failures = 0, locked_until = excluded.locked_until')
      .run(c.card.id, lockedUntil);
    throw new DomainError('PIN_LOCKED', `${PIN_MAX_WRONG_TRIES} wrong PINs in a row: card ${c.card.cardNo} is locked at this till for 15 minutes`, { lockedUntil });
  }
  stmt(db, 'INSERT INTO pin_attempts (card_id, failures, locked_until) VALUES (?, ?, NULL) ON CONFLICT (card_id) DO UPDATE SET failures = excluded.failures, locked_until = NULL')
    .run(c.card.id, failures);
  throw new DomainError('WRONG_PIN', `wrong PIN; ${PIN_MAX_WRONG_TRIES - failures} tries left`, { triesLeft: PIN_MAX_WRONG_TRIES - failures });
}
