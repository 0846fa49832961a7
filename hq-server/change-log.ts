import type { Db } from './database';

/** What terminals pull: master data and member balances, named by kind and key. */
export type ChangeKind = 'member' | 'card' | 'balance' | 'product' | 'level' | 'setting' | 'operator' | 'promotion' | 'coupon';

export interface ChangeRef {
  kind: ChangeKind;
  key: string;
}

/**
 * Records that entities changed, for the pull feed and the live nudges (a trigger notifies
 * every HQ instance). Call it last in a transaction: the insert takes the feed's ordering
 * lock, which it holds until commit.
 */
export async function recordChanges(tx: Db, changes: readonly ChangeRef[]): Promise<void> {
  const seen = new Set<string>();
  const rows: ChangeRef[] = [];
  for (const c of changes) {
    const k = `${c.kind}\u0000${c.key}`;
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push({ kind: c.kind, key: c.key });
  }
  if (rows.length === 0) return;
  await tx`insert into change_log ${tx(rows)}`;
}

export const NOTIFY_CHANNEL = 'onecard_changes';
