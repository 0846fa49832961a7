import { DEFAULT_CHAIN_SETTINGS, type ChainSettingKey, type ChainSettings } from '../core/settings';
import { parseSetting } from '../protocols/sync/v1/settings-schema';
import { stmt, type TerminalDb } from './db';

/**
 * Chain settings as this terminal knows them: the defaults of core/settings.ts, overlaid with
 * every key HQ has synced (Setting changes from PullChanges). Read fresh on each use, so a
 * setting pulled mid-shift applies to the next sale.
 */

/** Stores one synced setting (inside the caller's transaction); `deleted` goes back to the default. */
export function saveSetting(db: TerminalDb, key: ChainSettingKey, value: unknown, deleted: boolean, at: number): void {
  if (deleted) {
    stmt(db, 'DELETE FROM settings WHERE key = ?').run(key);
    return;
  }
  stmt(db, 'INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at')
    .run(key, JSON.stringify(value), at);
}

/** The chain's settings: defaults overlaid with the synced values. */
export function loadSettings(db: TerminalDb): ChainSettings {
  const settings: ChainSettings = { ...DEFAULT_CHAIN_SETTINGS };
  const rows = stmt(db, 'SELECT key, value_json FROM settings').all() as Array<{ key: string; value_json: string }>;
  for (const r of rows) {
    // Validated when pulled; validated again here so a row from an older schema cannot break a sale.
    let parsed: { key: ChainSettingKey; value: ChainSettings[ChainSettingKey] };
    try {
      parsed = parseSetting(r.key, r.value_json);
    } catch {
      continue;
    }
    (settings as unknown as Record<string, unknown>)[parsed.key] = parsed.value;
  }
  return settings;
}

/** One chain setting: its synced value, or the default when none was synced (or it no longer parses). */
export function loadSetting<K extends ChainSettingKey>(db: TerminalDb, key: K): ChainSettings[K] {
  const row = stmt(db, 'SELECT value_json FROM settings WHERE key = ?').get(key) as { value_json: string } | undefined;
  if (row) {
    try {
      return parseSetting<K>(key, row.value_json).value;
    } catch {
      // As loadSettings: a row from an older schema falls back to the default.
    }
  }
  return DEFAULT_CHAIN_SETTINGS[key];
}
