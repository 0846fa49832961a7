import Decimal from 'decimal.js';
import { assertMinor, toMinor } from './money';

/**
 * Settlement between stores and franchisees (结算). Stored value is one chain-wide liability,
 * but its cash sits where it was topped up and its goods leave where it is spent. Per period,
 * each store (grouped by franchisee) settles with HQ:
 *
 * - principal topped up at the store: the store holds the member's cash → it owes HQ;
 * - principal spent at the store: the store gave goods for no cash → HQ owes it;
 * - bonus spent at the store: whoever funds bonus pays the store — HQ by default, or the
 *   store that gave the bonus when `bonusFundedBy` is 'issuing_store';
 * - refunds of stored value at a store reverse its redemptions; refunds of a top-up reverse issuance;
 * - HQ keeps a service fee on what franchise stores redeem, rounded half-up to the fen once per store.
 *
 * A positive net means HQ pays the franchisee; negative, the franchisee pays HQ.
 */

export type StoredValueMovementKind = 'issued_principal' | 'issued_bonus' | 'redeemed_principal' | 'redeemed_bonus';

/** One movement of stored value attributed to a store; amounts are negative for reversals. */
export interface StoredValueMovement {
  storeId: string;
  kind: StoredValueMovementKind;
  amountMinor: number;
  /** For redeemed bonus: the store whose top-up gave it (needed when issuing stores fund bonus). */
  bonusIssuedAtStoreId?: string;
}

export interface SettlementRules {
  bonusFundedBy: 'chain' | 'issuing_store';
  /** Decimal fraction HQ keeps of franchise redemptions: "0.006" = 0.6%. */
  franchiseServiceFeeRate: string;
}

export interface StoreSettlement {
  storeId: string;
  franchisee: string | null;
  issuedPrincipalMinor: number;
  issuedBonusMinor: number;
  redeemedPrincipalMinor: number;
  redeemedBonusMinor: number;
  /** Bonus the store pays for because its own top-ups gave it (issuing-store funding only). */
  bonusFundedMinor: number;
  /** Bonus redeemed here that HQ (or another store) pays this store for. */
  bonusReimbursedMinor: number;
  serviceFeeMinor: number;
  netMinor: number;
}

/** Each store's settlement for one period's movements; stores are named by `franchiseeOf` (null = company-owned). */
export function settleStores(
  movements: readonly StoredValueMovement[],
  franchiseeOf: (storeId: string) => string | null,
  rules: SettlementRules,
): StoreSettlement[] {
  const byStore = new Map<string, StoreSettlement>();
  const row = (storeId: string) => {
    let r = byStore.get(storeId);
    if (!r) {
      r = { storeId, franchisee: franchiseeOf(storeId), issuedPrincipalMinor: 0, issuedBonusMinor: 0, redeemedPrincipalMinor: 0, redeemedBonusMinor: 0, bonusFundedMinor: 0, bonusReimbursedMinor: 0, serviceFeeMinor: 0, netMinor: 0 };
      byStore.set(storeId, r);
    }
    return r;
  };
  for (const m of movements) {
    assertMinor(m.amountMinor);
    const r = row(m.storeId);
    switch (m.kind) {
      case 'issued_principal':
        r.issuedPrincipalMinor += m.amountMinor;
        break;
      case 'issued_bonus':
        r.issuedBonusMinor += m.amountMinor;
        break;
      case 'redeemed_principal':
        r.redeemedPrincipalMinor += m.amountMinor;
        break;
      case 'redeemed_bonus':
        r.redeemedBonusMinor += m.amountMinor;
        r.bonusReimbursedMinor += m.amountMinor;
        if (rules.bonusFundedBy === 'issuing_store') {
          if (!m.bonusIssuedAtStoreId) throw new RangeError('redeemed bonus needs the store that issued it when issuing stores fund bonus');
          row(m.bonusIssuedAtStoreId).bonusFundedMinor += m.amountMinor;
        }
        break;
    }
  }
  for (const r of byStore.values()) {
    const redeemed = r.redeemedPrincipalMinor + r.redeemedBonusMinor;
    r.serviceFeeMinor = r.franchisee === null || redeemed <= 0 ? 0 : toMinor(new Decimal(redeemed).times(rules.franchiseServiceFeeRate), 'HALF_UP');
    r.netMinor = r.redeemedPrincipalMinor + r.bonusReimbursedMinor - r.issuedPrincipalMinor - r.bonusFundedMinor - r.serviceFeeMinor;
  }
  return [...byStore.values()].sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0));
}
