import iconv from 'iconv-lite';
import { ThermalPrinter } from 'node-thermal-printer';
import * as cmd from '../../protocols/escpos/commands';
import { toPrinterText } from '../../protocols/escpos/text';

/** One printed line. Text may mix Chinese and English; `¥` prints as `￥`. */
export interface ReceiptLine {
  readonly text: string;
  readonly align?: 'left' | 'center' | 'right';
  readonly bold?: boolean;
  /** Character magnification 1..2 (double width and height). */
  readonly size?: 1 | 2;
}

/** A receipt as data, so it can be queued (and survive a restart) until it is printed. */
export interface Receipt {
  /** Unique per receipt (the sale's document id): a queued receipt is printed once, by id. */
  readonly id: string;
  readonly lines: readonly ReceiptLine[];
  /** QR content, e.g. an e-invoice or member sign-up link (any Unicode). */
  readonly qr?: string;
  /** Logo as a 1-bit raster: row-major bytes, `widthPx` rounded up to a multiple of 8. */
  readonly logo?: { readonly widthPx: number; readonly heightPx: number; readonly bits: readonly number[] };
  /** Kick the cash drawer after printing (cash sales). */
  readonly openDrawer?: { readonly pin: 2 | 5; readonly on_ms: number; readonly off_ms: number };
}

/** GB18030 through iconv-lite, never the library's per-character code-page guessing. */
export function gb18030(text: string): Uint8Array {
  return new Uint8Array(iconv.encode(text, 'gb18030'));
}

/** The printer-interface object node-thermal-printer calls; ours forwards to a transport. */
export interface ThermalInterface {
  getPrinterName(): string;
  isPrinterConnected(): Promise<boolean>;
  execute(buffer: Buffer): Promise<void>;
}

/**
 * Builds the ESC/POS bytes of a receipt with node-thermal-printer (Epson command set), adding
 * the commands it does not do right for us: GB18030 text in Chinese mode, QR with the UTF-8 byte
 * length, and the drawer pulse with explicit times.
 */
export function buildReceipt(receipt: Receipt, iface: ThermalInterface, widthChars: number, reprint: boolean): { bytes: Uint8Array; send: () => Promise<void> } {
  const p = new ThermalPrinter({ type: 'epson' as never, interface: iface as never, width: widthChars });
  const add = (b: Uint8Array) => p.add(Buffer.from(b));
  add(cmd.init());
  add(cmd.kanjiOn());
  const lines = reprint ? [{ text: '*** 重印 REPRINT ***', align: 'center' as const, bold: true }, ...receipt.lines] : receipt.lines;
  if (receipt.logo) {
    p.alignCenter();
    add(cmd.rasterImage(receipt.logo.widthPx, receipt.logo.heightPx, Uint8Array.from(receipt.logo.bits)));
  }
  for (const line of lines) {
    if (line.align === 'center') p.alignCenter();
    else if (line.align === 'right') p.alignRight();
    else p.alignLeft();
    p.bold(line.bold ?? false);
    add(cmd.size(line.size ?? 1, line.size ?? 1));
    add(toPrinterText(line.text, gb18030).bytes);
    p.newLine();
  }
  add(cmd.size(1, 1));
  p.bold(false);
  if (receipt.qr) {
    p.alignCenter();
    add(cmd.qrCode(new TextEncoder().encode(receipt.qr), 6, 'M'));
    p.newLine();
    p.alignLeft();
  }
  p.cut();
  if (receipt.openDrawer) add(cmd.drawerKick(receipt.openDrawer.pin, receipt.openDrawer.on_ms, receipt.openDrawer.off_ms));
  // execute() hands the buffer to our interface object, which writes it to the transport.
  return { bytes: new Uint8Array(p.getBuffer()), send: async () => void (await p.execute()) };
}
