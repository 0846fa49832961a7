import iconv from 'iconv-lite';
import { buildReceipt, type Receipt } from '../drivers/printer/receipt';
import { decodeEscPos, renderReceipt } from '../protocols/escpos/decode';

/** A receipt as the printer prints it: the ESC/POS bytes of the receipt printer path, decoded back to lines. */
export function printedLines(r: Receipt, widthChars: number): string[] {
  const iface = { getPrinterName: () => 'receipt-test', isPrinterConnected: async () => true, execute: async () => {} };
  return renderReceipt(decodeEscPos(buildReceipt(r, iface, widthChars, false).bytes)).lines;
}

/**
 * Columns a decoded line fills on a Chinese printer in two-byte mode: one per byte it is sent as
 * (GB18030), counted here from the bytes, apart from the layout's own width function.
 */
export function bytesWide(line: string): number {
  return iconv.encode(line, 'gb18030').length;
}

/** A line that ends in an amount or a count after a space: it must end in the paper's last column. */
const ENDS_IN_AMOUNT = /\s[-+]?(￥|\$|HK\$)?\d[\d,]*(\.\d+)?$/;

/** Printed lines off the paper: wider than `width`, or an amount not in the last column. Empty when all fit. */
export function offPaper(lines: readonly string[], width: number): string[] {
  return lines.filter((l) => bytesWide(l) > width || (ENDS_IN_AMOUNT.test(l) && bytesWide(l) !== width)).map((l) => `${bytesWide(l)}/${width}: ${l}`);
}
