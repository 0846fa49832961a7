import type { PendingQuery, Row } from 'postgres';
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
  const insert = changeLogInsert(tx, changes);
  if (insert) await insert;
}

/** recordChanges' insert, not yet sent (null when there is nothing to record): for a caller that pipelines it with COMMIT. */
export function changeLogInsert(tx: Db, changes: readonly ChangeRef[]): PendingQuery<Row[]> | null {
  const seen = new Set<string>();
  const rows: ChangeRef[] = [];
  for (const c of changes) {
    const k = `${c.kind}\u0000${c.key}`;
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push({ kind: c.kind, key: c.key });
  }
  if (rows.length === 0) return null;
  return tx`insert into change_log ${tx(rows)}`;
}

export const NOTIFY_CHANNEL = 'onecard_changes';
