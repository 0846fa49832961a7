import { CHAIN_SETTING_KEYS, DEFAULT_CHAIN_SETTINGS, type ChainSettingKey, type ChainSettings } from '../core/settings';
import { DomainError } from '../core/errors';
import { parseSetting } from '../protocols/sync/v1/settings-schema';
import { recordChanges } from './change-log';
import type { Db } from './database';

/**
 * Chain settings (core/settings.ts), one row per key, each change recorded in the pull feed so
 * terminals cache the same values. A key without a row has its default.
 */

/** Every setting, defaults filled in for keys without a row. */
export async function readSettings(db: Db): Promise<ChainSettings> {
  const rows = await db`select key, value from settings`;
  const out: Record<string, unknown> = { ...DEFAULT_CHAIN_SETTINGS };
  for (const r of rows) if ((CHAIN_SETTING_KEYS as string[]).includes(r.key)) out[r.key] = r.value;
  return out as unknown as ChainSettings;
}

export async function readSetting<K extends ChainSettingKey>(db: Db, key: K): Promise<ChainSettings[K]> {
  const [row] = await db`select value from settings where key = ${key}`;
  return row ? (row.value as ChainSettings[K]) : DEFAULT_CHAIN_SETTINGS[key];
}

export interface SettingChange {
  at: string;
  operatorId: string;
  operatorName: string | null;
}

/** Who last changed each setting at HQ, and when; a key nobody has changed since the chain was seeded is absent. */
export async function readSettingChanges(db: Db): Promise<Partial<Record<ChainSettingKey, SettingChange>>> {
  const rows = await db`select s.key, s.updated_at, s.updated_by, o.name from settings s left join operators o on o.id = s.updated_by where s.updated_by is not null`;
  const out: Partial<Record<ChainSettingKey, SettingChange>> = {};
  for (const r of rows) {
    if ((CHAIN_SETTING_KEYS as string[]).includes(r.key)) out[r.key as ChainSettingKey] = { at: new Date(r.updated_at).toISOString(), operatorId: r.updated_by, operatorName: r.name ?? null };
  }
  return out;
}

/** NOT_FOUND unless `key` names a chain setting. */
export function validateSettingKey(key: string): { key: ChainSettingKey } {
  if (!(CHAIN_SETTING_KEYS as string[]).includes(key)) throw new DomainError('NOT_FOUND', `no setting "${key}"; known: ${CHAIN_SETTING_KEYS.join(', ')}`);
  return { key: key as ChainSettingKey };
}

/** Just `keys`, in one round trip, defaults filled in. */
export async function readSettingsOf<K extends ChainSettingKey>(db: Db, keys: readonly K[]): Promise<Pick<ChainSettings, K>> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = DEFAULT_CHAIN_SETTINGS[k];
  for (const r of await db`select key, value from settings where key = any(${[...keys]}::text[])`) out[r.key] = r.value;
  return out as Pick<ChainSettings, K>;
}

/** Validates `valueJson` for `key` (VALIDATION_FAILED naming the field) and returns the value. */
export function validateSetting(key: string, valueJson: string): { key: ChainSettingKey; value: ChainSettings[ChainSettingKey] } {
  validateSettingKey(key);
  try {
    return parseSetting(key, valueJson);
  } catch (e) {
    throw new DomainError('VALIDATION_FAILED', (e as Error).message);
  }
}

/** Writes one setting, records it in the feed and the audit log; returns the value before. */
export async function writeSetting(tx: Db, key: ChainSettingKey, value: unknown, who: { operatorId: string | null; nodeId: string | null }): Promise<unknown> {
  const [before] = await tx`select value from settings where key = ${key} for update`;
  await tx`insert into settings (key, value, updated_at, updated_by) values (${key}, ${JSON.stringify(value)}::text::jsonb, now(), ${who.operatorId})
    on conflict (key) do update set value = excluded.value, updated_at = now(), updated_by = excluded.updated_by`;
  const old = before ? before.value : DEFAULT_CHAIN_SETTINGS[key];
  await tx`insert into audit_log (operator_id, node_id, action, details)
    values (${who.operatorId}, ${who.nodeId}, 'setting.changed', ${JSON.stringify({ key, before: old, after: value })}::text::jsonb)`;
  await recordChanges(tx, [{ kind: 'setting', key }]);
  return old;
}

/** Writes the default of every setting that has no row yet (a new chain); a second call changes nothing. */
export async function seedDefaultSettings(tx: Db): Promise<ChainSettingKey[]> {
  const rows = CHAIN_SETTING_KEYS.map((key) => ({ key, value: JSON.stringify(DEFAULT_CHAIN_SETTINGS[key]) }));
  const made = await tx`
    insert into settings (key, value) select k, v::jsonb from unnest(${rows.map((r) => r.key)}::text[], ${rows.map((r) => r.value)}::text[]) as x(k, v)
    on conflict (key) do nothing returning key`;
  const keys = made.map((r) => r.key as ChainSettingKey);
  if (keys.length > 0) await recordChanges(tx, keys.map((key) => ({ kind: 'setting' as const, key })));
  return keys;
}
