import type { Db } from './database';

/**
 * Many rows in one INSERT, sent as a single JSON text parameter that PostgreSQL unpacks with
 * json_populate_recordset into the table's own row type. Binding one parameter per value
 * (thousands per batch) costs HQ more to encode than JSON.stringify of the rows, and HQ's
 * process, not the database, is what a batch of events waits on.
 *
 * Each key of a row names a column; a column no row names takes its default. A JSON string for
 * a jsonb column is stored as a jsonb string, as the driver stores a JavaScript string; numbers
 * must be safe integers, which JSON carries exactly.
 */
const statements = new Map<string, string>();

function statementFor(table: string, columns: readonly string[], suffix: string): string {
  const key = `${table}(${columns.join(',')})${suffix}`;
  let text = statements.get(key);
  if (text === undefined) {
    const names = columns.map((c) => `"${c}"`).join(', ');
    text = `insert into "${table}" (${names}) select ${names} from json_populate_recordset(null::"${table}", $1::text::json)${suffix ? ` ${suffix}` : ''}`;
    statements.set(key, text);
  }
  return text;
}

/**
 * Inserts `rows` into `table` in one statement; `suffix` (an ON CONFLICT clause, RETURNING…) is
 * appended as written. Table, column names and suffix are the caller's constants, never input.
 */
export function insertRows(db: Db, table: string, rows: readonly Record<string, unknown>[], suffix = '') {
  const columns = new Set<string>();
  for (const row of rows) for (const c of Object.keys(row)) columns.add(c);
  const names = [...columns];
  return db.unsafe(statementFor(table, names, suffix), [JSON.stringify(rows, names)], { prepare: true });
}
