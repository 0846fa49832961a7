import { z } from 'zod';
import type { ChainSettings, ChainSettingKey } from '../../../core/settings';
import { scaleLabelLayoutsSchema } from '../../barcode/scale-layouts';

/** Validation of chain settings as they travel (JSON in a `Setting` change or a REST body). */

const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'a non-negative decimal string such as "1.5"');
const minor = z.number().int().safe().nonnegative();
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const rounding = z.enum(['HALF_UP', 'HALF_EVEN', 'DOWN', 'UP']);

export const CHAIN_SETTINGS_SCHEMA = {
  spendingOrder: z.enum(['principal_first', 'bonus_first']),
  topUpBonusTiers: z.array(z.object({ minPrincipalMinor: minor, bonusMinor: minor })).max(50),
  pointsEarn: z.object({
    base: z.object({ pointsPerMajorUnit: decimal, rounding }),
    storeMultipliers: z.record(z.string(), decimal),
    categoryMultipliers: z.record(z.string(), decimal),
    excludedSkus: z.array(z.string()).max(10_000),
    multiplierDays: z.array(z.object({ weekday: z.number().int().min(1).max(7).optional(), date: date.optional(), multiplier: decimal })).max(400),
    birthday: z.object({ multiplier: decimal, scope: z.enum(['day', 'week', 'month']) }).nullable(),
  }),
  pointsTender: z.object({ pointsPerUnit: z.number().int().positive(), unitValueMinor: z.number().int().positive(), maxShareOfSale: decimal }),
  pointsExpiry: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('rolling'), months: z.number().int().min(1).max(120) }),
    z.object({ kind: z.literal('yearly'), month: z.number().int().min(1).max(12), day: z.number().int().min(1).max(31), yearsLater: z.number().int().min(0).max(10) }),
    z.object({ kind: z.literal('never') }),
  ]),
  rebate: z.object({ rate: decimal, waitingDays: z.number().int().min(0).max(365) }).nullable(),
  offline: z.object({ perTransactionMinor: minor, perTerminalUnsyncedTotalMinor: minor, perTerminalUnsyncedCount: z.number().int().nonnegative() }),
  cardPinRequiredAboveMinor: minor.nullable(),
  refundLimitMinor: minor,
  levelThresholds: z.array(z.object({ code: z.string().min(1), minRollingSpendMinor: minor })).max(50),
  settlement: z.object({ bonusFundedBy: z.enum(['chain', 'issuing_store']), franchiseServiceFeeRate: decimal }),
  scaleLabelLayouts: scaleLabelLayoutsSchema,
} satisfies { [K in ChainSettingKey]: z.ZodType<ChainSettings[K]> };

/** A setting key this code does not know: a newer HQ's, which an older till passes over. */
export class UnknownSettingKey extends RangeError {
  constructor(readonly key: string) {
    super(`unknown setting "${key}"`);
    this.name = 'UnknownSettingKey';
  }
}

/** Parses one setting's JSON value, refusing unknown keys and malformed values with the reason. */
export function parseSetting<K extends ChainSettingKey>(key: string, valueJson: string): { key: K; value: ChainSettings[K] } {
  if (!Object.hasOwn(CHAIN_SETTINGS_SCHEMA, key)) throw new UnknownSettingKey(key);
  let raw: unknown;
  try {
    raw = JSON.parse(valueJson);
  } catch {
    throw new RangeError(`setting "${key}" is not valid JSON`);
  }
  const result = CHAIN_SETTINGS_SCHEMA[key as K].safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new RangeError(`setting "${key}": ${issue?.path.join('.') || '(value)'}: ${issue?.message ?? 'malformed'}`);
  }
  return { key: key as K, value: result.data as ChainSettings[K] };
}
