import type { LevelThreshold } from './member-level';
import { DEFAULT_POINTS_EARN_POLICY, type PointsEarnPolicy } from './points';
import type { PointsExpiryRule } from './points-expiry';
import { DEFAULT_POINTS_TENDER_RULE, type PointsTenderRule } from './points-tender';
import type { RebateRule } from './rebate';
import type { SettlementRules } from './settlement';
import type { SpendingOrder, TopUpBonusTier } from './stored-value';
import { DEFAULT_SCALE_LABEL_LAYOUTS, type ScaleLabelLayout } from './weighed';

/**
 * Chain-wide settings HQ owns and terminals cache (synced as `Setting` changes, one key per
 * field). Every policy the member money model uses is here, with the default a new chain gets.
 */
export interface ChainSettings {
  spendingOrder: SpendingOrder;
  topUpBonusTiers: TopUpBonusTier[];
  pointsEarn: PointsEarnPolicy;
  pointsTender: PointsTenderRule;
  pointsExpiry: PointsExpiryRule;
  /** null: no rebates. */
  rebate: RebateRule | null;
  /** Limits on stored value spent while HQ is unreachable; the per-card daily limit is the member level's. */
  offline: { perTransactionMinor: number; perTerminalUnsyncedTotalMinor: number; perTerminalUnsyncedCount: number };
  /** Stored-value payments above this need the card PIN (when the card has one); null: never. */
  cardPinRequiredAboveMinor: number | null;
  /** A refund whose total is above this needs refund.above_limit (the cashier's or a supervisor's). */
  refundLimitMinor: number;
  levelThresholds: LevelThreshold[];
  settlement: SettlementRules;
  /**
   * How the chain's scales print labels, tried in order; a till reads labels with these unless
   * its devices.json configures its scanner's own. Empty: no code is read as a scale label.
   */
  scaleLabelLayouts: ScaleLabelLayout[];
}

export const DEFAULT_CHAIN_SETTINGS: ChainSettings = {
  spendingOrder: 'principal_first',
  topUpBonusTiers: [
    { minPrincipalMinor: 50_000, bonusMinor: 5_000 },
    { minPrincipalMinor: 100_000, bonusMinor: 15_000 },
  ],
  pointsEarn: DEFAULT_POINTS_EARN_POLICY,
  pointsTender: DEFAULT_POINTS_TENDER_RULE,
  pointsExpiry: { kind: 'yearly', month: 12, day: 31, yearsLater: 1 },
  rebate: null,
  offline: { perTransactionMinor: 50_000, perTerminalUnsyncedTotalMinor: 500_000, perTerminalUnsyncedCount: 200 },
  cardPinRequiredAboveMinor: 100_000,
  refundLimitMinor: 50_000,
  levelThresholds: [
    { code: 'regular', minRollingSpendMinor: 0 },
    { code: 'silver', minRollingSpendMinor: 200_000 },
    { code: 'gold', minRollingSpendMinor: 1_000_000 },
    { code: 'diamond', minRollingSpendMinor: 3_000_000 },
  ],
  settlement: { bonusFundedBy: 'chain', franchiseServiceFeeRate: '0.006' },
  scaleLabelLayouts: [...DEFAULT_SCALE_LABEL_LAYOUTS],
};

export type ChainSettingKey = keyof ChainSettings;
export const CHAIN_SETTING_KEYS = Object.keys(DEFAULT_CHAIN_SETTINGS) as ChainSettingKey[];
