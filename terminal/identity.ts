import { chainAccounts, storeAccounts } from '../core/accounts';
import type { TerminalDb } from './db';
import { ensureAccounts } from './ledger';

/** Who this terminal is, as HQ enrolled it. */
export interface TerminalIdentity {
  terminalId: string;
  storeId: string;
  currency: string;
  credential: string;
  chainName: string;
  storeName: string;
  hqAddress: string;
  enrolledAt: number;
  /** IANA zone of the store: its local day for offline limits, points days, card expiry. */
  timeZone: string;
}

/** The store's zone when HQ did not say. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** `zone` when this runtime knows it as an IANA zone, else the default (a sale must never fail on it). */
export function usableTimeZone(zone: string | null | undefined): string {
  if (!zone) return DEFAULT_TIME_ZONE;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return DEFAULT_TIME_ZONE;
  }
}

interface IdentityRow {
  terminal_id: string;
  store_id: string;
  currency: string;
  credential: string;
  chain_name: string;
  store_name: string;
  hq_address: string;
  enrolled_at: number;
  time_zone: string;
}

export function loadIdentity(db: TerminalDb): TerminalIdentity | null {
  const r = db.prepare('SELECT * FROM terminal_identity WHERE singleton = 1').get() as IdentityRow | undefined;
  if (!r) return null;
  return {
    terminalId: r.terminal_id,
    storeId: r.store_id,
    currency: r.currency,
    credential: r.credential,
    chainName: r.chain_name,
    storeName: r.store_name,
    hqAddress: r.hq_address,
    enrolledAt: r.enrolled_at,
    timeZone: usableTimeZone(r.time_zone),
  };
}

/** Stores the identity and opens the store's and chain's accounts in the journal. */
export function saveIdentity(db: TerminalDb, id: TerminalIdentity): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO terminal_identity (singleton, terminal_id, store_id, currency, credential, chain_name, store_name, hq_address, enrolled_at, time_zone)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET terminal_id = excluded.terminal_id, store_id = excluded.store_id,
         currency = excluded.currency, credential = excluded.credential, chain_name = excluded.chain_name,
         store_name = excluded.store_name, hq_address = excluded.hq_address, enrolled_at = excluded.enrolled_at,
         time_zone = excluded.time_zone`,
    ).run(id.terminalId, id.storeId, id.currency, id.credential, id.chainName, id.storeName, id.hqAddress, id.enrolledAt, usableTimeZone(id.timeZone));
    ensureAccounts(db, [...storeAccounts(id.storeId, id.currency), ...chainAccounts(id.currency)]);
  })();
}

/** Remembers a different HQ address without re-enrolling (HQ moved). */
export function updateHqAddress(db: TerminalDb, hqAddress: string): void {
  db.prepare('UPDATE terminal_identity SET hq_address = ? WHERE singleton = 1').run(hqAddress);
}

/** This terminal's store name when `storeId` is its store; '' otherwise (HQ names the others). */
export function storeNameHere(db: TerminalDb, storeId: string): string {
  const r = db.prepare('SELECT store_name FROM terminal_identity WHERE singleton = 1 AND store_id = ?').get(storeId) as { store_name: string } | undefined;
  return r?.store_name ?? '';
}
