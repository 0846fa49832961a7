import { POINTS_LEDGER, type Account } from './ledger';

/**
 * Account ids are derived from what owns them, so a terminal and HQ name the same
 * account the same way without asking each other.
 */

export const cardPrincipalAccountId = (cardId: string) => `card:${cardId}:principal`;
export const cardBonusAccountId = (cardId: string) => `card:${cardId}:bonus`;
export const memberPointsAccountId = (memberId: string) => `member:${memberId}:points`;
export const storeCashAccountId = (storeId: string) => `store:${storeId}:cash`;
export const storeBankCardAccountId = (storeId: string) => `store:${storeId}:bank_card`;
export const storeSalesAccountId = (storeId: string) => `store:${storeId}:sales`;
export const storePointsTenderAccountId = (storeId: string) => `store:${storeId}:points_tender`;
export const storeOfflineExposureAccountId = (storeId: string) => `store:${storeId}:offline_exposure`;
export const chainPointsIssuedAccountId = () => 'chain:points_issued';
export const chainTopUpBonusAccountId = (currency: string) => `chain:topup_bonus:${currency}`;
export const chainOpeningAccountId = (ledger: string) => `chain:opening:${ledger}`;
export const chainRebateAccountId = (currency: string) => `chain:rebate:${currency}`;
export const chainAdjustmentsAccountId = (ledger: string) => `chain:adjustments:${ledger}`;

/** The two stored-value accounts of a card: principal and bonus. */
export function cardAccounts(cardId: string, currency: string): Account[] {
  return [
    { id: cardPrincipalAccountId(cardId), ledger: currency, code: 'CARD_PRINCIPAL', debitsMustNotExceedCredits: true },
    { id: cardBonusAccountId(cardId), ledger: currency, code: 'CARD_BONUS', debitsMustNotExceedCredits: true },
  ];
}

export function memberAccounts(memberId: string): Account[] {
  return [{ id: memberPointsAccountId(memberId), ledger: POINTS_LEDGER, code: 'MEMBER_POINTS', debitsMustNotExceedCredits: true }];
}

export function storeAccounts(storeId: string, currency: string): Account[] {
  return [
    { id: storeCashAccountId(storeId), ledger: currency, code: 'STORE_CASH', debitsMustNotExceedCredits: false },
    { id: storeBankCardAccountId(storeId), ledger: currency, code: 'STORE_BANK_CARD', debitsMustNotExceedCredits: false },
    { id: storeSalesAccountId(storeId), ledger: currency, code: 'STORE_SALES', debitsMustNotExceedCredits: false },
    { id: storePointsTenderAccountId(storeId), ledger: currency, code: 'STORE_POINTS_TENDER', debitsMustNotExceedCredits: false },
    { id: storeOfflineExposureAccountId(storeId), ledger: currency, code: 'STORE_OFFLINE_EXPOSURE', debitsMustNotExceedCredits: false },
  ];
}

export function chainAccounts(currency: string): Account[] {
  return [
    { id: chainPointsIssuedAccountId(), ledger: POINTS_LEDGER, code: 'CHAIN_POINTS_ISSUED', debitsMustNotExceedCredits: false },
    { id: chainTopUpBonusAccountId(currency), ledger: currency, code: 'CHAIN_TOPUP_BONUS', debitsMustNotExceedCredits: false },
    { id: chainOpeningAccountId(currency), ledger: currency, code: 'CHAIN_OPENING', debitsMustNotExceedCredits: false },
    { id: chainOpeningAccountId(POINTS_LEDGER), ledger: POINTS_LEDGER, code: 'CHAIN_OPENING', debitsMustNotExceedCredits: false },
    { id: chainRebateAccountId(currency), ledger: currency, code: 'CHAIN_REBATE', debitsMustNotExceedCredits: false },
    { id: chainAdjustmentsAccountId(currency), ledger: currency, code: 'CHAIN_ADJUSTMENTS', debitsMustNotExceedCredits: false },
    { id: chainAdjustmentsAccountId(POINTS_LEDGER), ledger: POINTS_LEDGER, code: 'CHAIN_ADJUSTMENTS', debitsMustNotExceedCredits: false },
  ];
}
