import type { Transfer } from '../core/ledger';

/** Why a pushed event is refused; stored with it (the event is kept, never lost). */
export class Quarantine extends Error {}

const signature = (t: Pick<Transfer, 'kind' | 'debitAccountId' | 'creditAccountId' | 'ledger' | 'amount' | 'code' | 'pendingId'>) =>
  [t.kind, t.debitAccountId, t.creditAccountId, t.ledger, t.amount, t.code, t.pendingId ?? ''].join('|');

/** The transfers carried must be exactly those the document makes (ids aside). */
export function requireSameTransfers(expected: readonly Transfer[], carried: readonly Transfer[], documentId: string, what: string): void {
  for (const [i, t] of carried.entries()) {
    if (t.documentId !== documentId) throw new Quarantine(`transfer ${i} (${t.id}) belongs to document ${t.documentId ?? '(none)'}, not ${what} ${documentId}`);
  }
  const want = expected.map(signature).sort();
  const got = carried.map(signature).sort();
  if (want.length !== got.length || want.some((s, i) => s !== got[i])) {
    throw new Quarantine(`transfers do not match the ${what}: expected [${want.join('; ')}], got [${got.join('; ')}]`);
  }
}
