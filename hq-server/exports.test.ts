import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { CNY_FORMAT, writeCsv, writeXlsx, yuanNumber, yuanText, type Table } from './exports';

async function collect(write: (out: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await write(out);
  out.end();
  return Buffer.concat(chunks);
}

const table = (rows: Table['rows']): Table => ({
  title: 'Test: a/b?',
  columns: [
    { key: 'name', header: 'Name 名称', type: 'text' },
    { key: 'amount', header: 'Amount 金额', type: 'money' },
    { key: 'count', header: 'Count', type: 'integer' },
  ],
  rows,
});

describe('exports', () => {
  it('money is exact: fen to yuan text by integer division, and to the nearest number for cells', () => {
    expect([0, 5, -5, 100, 123_456, -100_001].map(yuanText)).toEqual(['0.00', '0.05', '-0.05', '1.00', '1234.56', '-1000.01']);
    expect([1, 10, 57_600, -66_667, 649].map(yuanNumber)).toEqual([0.01, 0.1, 576, -666.67, 6.49]);
    expect(() => yuanText(1.5)).toThrow(RangeError);
    expect(() => yuanNumber(Number.MAX_SAFE_INTEGER + 2)).toThrow(RangeError);
  });

  it('CSV: BOM, quoted fields, no formula injection, money as decimals', async () => {
    const csv = (await collect((out) => writeCsv(out, table([{ name: '=HYPERLINK("x")', amount: -1_234, count: 3 }, { name: 'a, "b"', amount: 5, count: null }])))).toString('utf8');
    expect(csv).toBe('\uFEFFName 名称,Amount 金额,Count\r\n"=HYPERLINK(""x"")",-12.34,3\r\n"a, ""b""",0.05,\r\n');
  });

  it('xlsx: a real workbook with typed numbers, a currency format, from an async row source', async () => {
    async function* rows() {
      for (let i = 1; i <= 2_500; i++) yield { name: `row ${i}`, amount: i * 101, count: i };
    }
    let progress = 0;
    const bytes = await collect((out) => writeXlsx(out, [table(rows())], { onRow: (n) => (progress = n), progressEvery: 1_000 }));
    expect(progress).toBe(2_000);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.name).toBe('Test  a b ');
    expect(sheet.rowCount).toBe(2_501);
    const last = sheet.getRow(2_501);
    expect(last.getCell(2).type).toBe(ExcelJS.ValueType.Number);
    expect(last.getCell(2).value).toBe(2_525); // 2,500 × 101 fen
    expect(last.getCell(2).numFmt).toBe(CNY_FORMAT);
    expect(last.getCell(3).value).toBe(2_500);
  });
});
