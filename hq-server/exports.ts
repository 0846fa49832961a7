import type { Writable } from 'node:stream';
import Decimal from 'decimal.js';
import ExcelJS from 'exceljs';

/**
 * Exports of reports and statements: real .xlsx workbooks (exceljs' streaming WorkbookWriter, so a
 * large export is written row by row and never held whole in memory) and CSV. Money is integer fen
 * in the rows; in a workbook it becomes a number of yuan (fen ÷ 100, exactly, with decimal.js) with
 * a currency number format; in CSV it is the exact decimal text ("1234.50").
 */

export type ColumnType = 'text' | 'money' | 'integer' | 'points' | 'percent';

export interface Column {
  key: string;
  header: string;
  type: ColumnType;
  width?: number;
}

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export interface Table {
  title: string;
  columns: Column[];
  rows: Iterable<Row> | AsyncIterable<Row>;
}

export const CNY_FORMAT = '"¥"#,##0.00;[Red]-"¥"#,##0.00';

/** Yuan as a number for a spreadsheet cell, from integer fen (exact decimal, then the nearest double). */
export function yuanNumber(fen: number): number {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`money must be an integer of fen, got ${fen}`);
  return new Decimal(fen).div(100).toNumber();
}

/** Yuan as exact decimal text ("-12.05"), from integer fen, by integer division. */
export function yuanText(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`money must be an integer of fen, got ${fen}`);
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function cellValue(c: Column, v: Cell): Cell {
  if (v === null || v === undefined) return null;
  if (c.type === 'money') return yuanNumber(v as number);
  if (c.type === 'percent') return typeof v === 'number' ? v : Number(v);
  return v;
}

const FORMATS: Record<ColumnType, string | undefined> = { text: undefined, money: CNY_FORMAT, integer: '#,##0', points: '#,##0', percent: '0.0%' };

/**
 * Streams `tables` (one worksheet each) as an .xlsx workbook into `out`; `onRow` is called every
 * `progressEvery` rows with the count written so far.
 */
export async function writeXlsx(out: Writable, tables: readonly Table[], options: { onRow?: (written: number) => void; progressEvery?: number } = {}): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = 'OneCard HQ';
  let written = 0;
  const every = options.progressEvery ?? 1000;
  for (const table of tables) {
    const sheet = workbook.addWorksheet(table.title.slice(0, 31).replace(/[\\/?*[\]:]/g, ' '));
    sheet.columns = table.columns.map((c) => ({ header: c.header, key: c.key, width: c.width ?? (c.type === 'text' ? 22 : 16), style: FORMATS[c.type] ? { numFmt: FORMATS[c.type] } : {} }));
    sheet.getRow(1).font = { bold: true };
    for await (const row of table.rows as AsyncIterable<Row>) {
      const values: Record<string, Cell> = {};
      for (const c of table.columns) values[c.key] = cellValue(c, row[c.key] ?? null);
      sheet.addRow(values).commit();
      written += 1;
      if (options.onRow && written % every === 0) options.onRow(written);
    }
    await sheet.commit();
  }
  await workbook.commit();
  return written;
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Streams one table as CSV (UTF-8 with BOM, so Excel reads Chinese text), honouring back-pressure. */
export async function writeCsv(out: Writable, table: Table): Promise<number> {
  const write = (text: string) => (out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve())));
  await write(`\uFEFF${table.columns.map((c) => csvField(c.header)).join(',')}\r\n`);
  let written = 0;
  for await (const row of table.rows as AsyncIterable<Row>) {
    const fields = table.columns.map((c) => {
      const v = row[c.key];
      if (v === null || v === undefined) return '';
      if (c.type === 'money') return yuanText(v as number);
      return typeof v === 'number' ? String(v) : csvField(v);
    });
    await write(`${fields.join(',')}\r\n`);
    written += 1;
  }
  return written;
}
