import { sha256, toHex } from '../../crypto/sha256';

/**
 * A terminal's day close (日结): its totals by tender and a hash chain over the events it sent,
 * so HQ can compare what the terminal says it did with the events HQ applied. The chain links
 * each event by its seq and id: link(n) = SHA-256(link(n-1) ":" seq ":" eventId), starting from
 * 64 zeros; both sides compute it the same way from what each holds.
 */

export const CHAIN_START = '0'.repeat(64);

/** The next link of a terminal's event chain. */
export function chainLink(previousHex: string, seq: number, eventId: string): string {
  return toHex(sha256(new TextEncoder().encode(`${previousHex}:${seq}:${eventId}`)));
}

/** The chain over events in seq order, from `start`. */
export function chainOver(events: ReadonlyArray<{ seq: number; id: string }>, start: string = CHAIN_START): string {
  return events.reduce((link, e) => chainLink(link, e.seq, e.id), start);
}
