import { ProtocolError, concatBytes, fromLatin1, toHex } from '../errors';

export type EscPosOp =
  | { readonly op: 'text'; readonly text: string }
  | { readonly op: 'newline' }
  | { readonly op: 'init' }
  | { readonly op: 'align'; readonly align: 'left' | 'center' | 'right' }
  | { readonly op: 'bold'; readonly on: boolean }
  | { readonly op: 'underline'; readonly dots: number }
  | { readonly op: 'invert'; readonly on: boolean }
  | { readonly op: 'size'; readonly width: number; readonly height: number }
  | { readonly op: 'print-mode'; readonly mode: number }
  | { readonly op: 'font'; readonly font: number }
  | { readonly op: 'line-spacing'; readonly dots: number | undefined }
  | { readonly op: 'code-page'; readonly page: number }
  | { readonly op: 'charset'; readonly set: number }
  | { readonly op: 'kanji'; readonly on: boolean }
  | { readonly op: 'feed'; readonly lines: number }
  | { readonly op: 'cut'; readonly partial: boolean }
  | { readonly op: 'drawer-kick'; readonly pin: 2 | 5; readonly on_ms: number; readonly off_ms: number }
  | { readonly op: 'beep'; readonly times: number; readonly duration: number }
  | { readonly op: 'realtime-status'; readonly n: number }
  | { readonly op: 'transmit-status'; readonly n: number }
  | { readonly op: 'asb'; readonly mask: number }
  | { readonly op: 'clear-buffers' }
  | { readonly op: 'qr-model'; readonly model: number }
  | { readonly op: 'qr-size'; readonly size: number }
  | { readonly op: 'qr-ec'; readonly level: 'L' | 'M' | 'Q' | 'H' }
  | { readonly op: 'qr-store'; readonly data: Uint8Array }
  | { readonly op: 'qr-print' }
  | { readonly op: 'raster'; readonly widthPx: number; readonly heightPx: number; readonly bits: Uint8Array }
  | { readonly op: 'select' };

type Step = { ops: EscPosOp[]; used: number } | 'need-more';

/**
 * Incremental ESC/POS decoder for the command subset OneCard and node-thermal-printer send.
 * Text in Chinese mode (FS &) is decoded as GB18030. An unknown command is a ProtocolError;
 * a command cut short waits for more bytes, and finish() reports it as TRUNCATED.
 */
export class EscPosDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  private kanji = false;
  private readonly gb = new TextDecoder('gb18030');

  /** `maxBuffered`: the longest incomplete command kept while waiting for the rest (a big logo fits). */
  constructor(private readonly maxBuffered = 1 << 20) {}

  push(chunk: Uint8Array): EscPosOp[] {
    this.buf = concatBytes(this.buf, chunk);
    if (this.buf.length > this.maxBuffered) {
      this.buf = new Uint8Array(0);
      throw new ProtocolError('BAD_LENGTH', `more than ${this.maxBuffered} bytes without a complete ESC/POS command`);
    }
    const out: EscPosOp[] = [];
    let pos = 0;
    while (pos < this.buf.length) {
      const b = this.buf[pos]!;
      if (b >= 0x20 && b !== 0x7f) {
        let end = pos;
        while (end < this.buf.length && this.buf[end]! >= 0x20 && this.buf[end] !== 0x7f) end++;
        if (end === this.buf.length) break; // the run may continue in the next chunk
        out.push(this.text(this.buf.subarray(pos, end)));
        pos = end;
        continue;
      }
      const step = this.command(pos);
      if (step === 'need-more') break;
      for (const op of step.ops) {
        if (op.op === 'kanji') this.kanji = op.on;
        if (op.op === 'init') this.kanji = false;
      }
      out.push(...step.ops);
      pos += step.used;
    }
    this.buf = this.buf.slice(pos);
    return out;
  }

  /** Flushes trailing text; throws TRUNCATED when a command is incomplete. */
  finish(): EscPosOp[] {
    const rest = this.buf;
    this.buf = new Uint8Array(0);
    if (rest.length === 0) return [];
    if (rest[0]! >= 0x20 && rest.every((b) => b >= 0x20 && b !== 0x7f)) return [this.text(rest)];
    throw new ProtocolError('TRUNCATED', `ESC/POS data ends inside a command: ${toHex(rest.subarray(0, 16))}`);
  }

  private text(bytes: Uint8Array): EscPosOp {
    return { op: 'text', text: this.kanji ? this.gb.decode(bytes) : fromLatin1(bytes) };
  }

  private command(pos: number): Step {
    const b = this.buf;
    const at = (i: number) => b[pos + i];
    const need = (n: number) => pos + n <= b.length;
    const one = (op: EscPosOp, used: number): Step => (need(used) ? { ops: [op], used } : 'need-more');
    const c0 = at(0)!;
    switch (c0) {
      case 0x0a:
        return { ops: [{ op: 'newline' }], used: 1 };
      case 0x0d:
        return { ops: [], used: 1 };
      case 0x09:
        return { ops: [{ op: 'text', text: '\t' }], used: 1 };
      case 0x1b: {
        if (!need(2)) return 'need-more';
        const c1 = at(1)!;
        switch (c1) {
          case 0x40:
            return one({ op: 'init' }, 2);
          case 0x32:
            return one({ op: 'line-spacing', dots: undefined }, 2);
          case 0x33:
            return need(3) ? one({ op: 'line-spacing', dots: at(2)! }, 3) : 'need-more';
          case 0x61: {
            if (!need(3)) return 'need-more';
            const n = at(2)! & 0x0f;
            const a = n === 0 || n === 0x30 ? 'left' : n === 1 ? 'center' : n === 2 ? 'right' : undefined;
            if (!a) throw new ProtocolError('BAD_FORMAT', `ESC a ${at(2)} is not an alignment`);
            return one({ op: 'align', align: a }, 3);
          }
          case 0x45:
            return need(3) ? one({ op: 'bold', on: (at(2)! & 1) === 1 }, 3) : 'need-more';
          case 0x2d:
            return need(3) ? one({ op: 'underline', dots: at(2)! & 3 }, 3) : 'need-more';
          case 0x21:
            return need(3) ? one({ op: 'print-mode', mode: at(2)! }, 3) : 'need-more';
          case 0x4d:
            return need(3) ? one({ op: 'font', font: at(2)! }, 3) : 'need-more';
          case 0x74:
            return need(3) ? one({ op: 'code-page', page: at(2)! }, 3) : 'need-more';
          case 0x52:
            return need(3) ? one({ op: 'charset', set: at(2)! }, 3) : 'need-more';
          case 0x64:
            return need(3) ? one({ op: 'feed', lines: at(2)! }, 3) : 'need-more';
          case 0x3d:
            return need(3) ? one({ op: 'select' }, 3) : 'need-more';
          case 0x42:
            return need(4) ? one({ op: 'beep', times: at(2)!, duration: at(3)! }, 4) : 'need-more';
          case 0x70: {
            if (!need(5)) return 'need-more';
            const m = at(2)!;
            if (m !== 0 && m !== 1 && m !== 0x30 && m !== 0x31) throw new ProtocolError('BAD_FORMAT', `ESC p ${m} names no drawer pin`);
            return one({ op: 'drawer-kick', pin: (m & 1) === 0 ? 2 : 5, on_ms: at(3)! * 2, off_ms: at(4)! * 2 }, 5);
          }
          default:
            throw new ProtocolError('UNKNOWN_COMMAND', `unknown ESC/POS command ESC 0x${c1.toString(16)}`);
        }
      }
      case 0x1c: {
        if (!need(2)) return 'need-more';
        if (at(1) === 0x26) return one({ op: 'kanji', on: true }, 2);
        if (at(1) === 0x2e) return one({ op: 'kanji', on: false }, 2);
        throw new ProtocolError('UNKNOWN_COMMAND', `unknown ESC/POS command FS 0x${at(1)!.toString(16)}`);
      }
      case 0x10: {
        if (!need(3)) return 'need-more';
        if (at(1) === 0x04) {
          const n = at(2)!;
          if (n < 1 || n > 4) throw new ProtocolError('BAD_FORMAT', `DLE EOT ${n} is not a status request`);
          return one({ op: 'realtime-status', n }, 3);
        }
        if (at(1) === 0x14) {
          if (at(2) === 0x08) return need(10) ? one({ op: 'clear-buffers' }, 10) : 'need-more';
          if (at(2) === 0x01) return need(5) ? one({ op: 'drawer-kick', pin: at(3) === 0 ? 2 : 5, on_ms: at(4)! * 100, off_ms: at(4)! * 100 }, 5) : 'need-more';
        }
        throw new ProtocolError('UNKNOWN_COMMAND', `unknown ESC/POS command DLE 0x${at(1)!.toString(16)}`);
      }
      case 0x1d: {
        if (!need(2)) return 'need-more';
        const c1 = at(1)!;
        switch (c1) {
          case 0x21:
            return need(3) ? one({ op: 'size', width: (at(2)! >> 4) + 1, height: (at(2)! & 7) + 1 }, 3) : 'need-more';
          case 0x42:
            return need(3) ? one({ op: 'invert', on: (at(2)! & 1) === 1 }, 3) : 'need-more';
          case 0x61:
            return need(3) ? one({ op: 'asb', mask: at(2)! }, 3) : 'need-more';
          case 0x72:
            return need(3) ? one({ op: 'transmit-status', n: at(2)! }, 3) : 'need-more';
          case 0x56: {
            if (!need(3)) return 'need-more';
            const m = at(2)!;
            if (m === 0 || m === 1 || m === 0x30 || m === 0x31) return one({ op: 'cut', partial: (m & 1) === 1 }, 3);
            if (m === 65 || m === 66) return need(4) ? one({ op: 'cut', partial: m === 66 }, 4) : 'need-more';
            throw new ProtocolError('BAD_FORMAT', `GS V ${m} is not a cut mode`);
          }
          case 0x28:
            return this.gsParen(pos);
          case 0x76: {
            if (!need(8)) return 'need-more';
            if (at(2) !== 0x30) throw new ProtocolError('UNKNOWN_COMMAND', `unknown GS v 0x${at(2)!.toString(16)}`);
            const bytesPerRow = at(4)! | (at(5)! << 8);
            const height = at(6)! | (at(7)! << 8);
            const n = bytesPerRow * height;
            if (!need(8 + n)) return 'need-more';
            return { ops: [{ op: 'raster', widthPx: bytesPerRow * 8, heightPx: height, bits: b.slice(pos + 8, pos + 8 + n) }], used: 8 + n };
          }
          default:
            throw new ProtocolError('UNKNOWN_COMMAND', `unknown ESC/POS command GS 0x${c1.toString(16)}`);
        }
      }
      default:
        throw new ProtocolError('UNKNOWN_COMMAND', `unexpected control byte 0x${c0.toString(16)} in ESC/POS data`);
    }
  }

  /** GS ( k pL pH cn fn …: the 2-D code functions. */
  private gsParen(pos: number): Step {
    const b = this.buf;
    if (pos + 5 > b.length) return 'need-more';
    if (b[pos + 2] !== 0x6b) throw new ProtocolError('UNKNOWN_COMMAND', `unknown GS ( 0x${b[pos + 2]!.toString(16)}`);
    const len = b[pos + 3]! | (b[pos + 4]! << 8);
    if (pos + 5 + len > b.length) return 'need-more';
    const body = b.subarray(pos + 5, pos + 5 + len);
    const used = 5 + len;
    if (body[0] !== 0x31 || len < 2) throw new ProtocolError('UNSUPPORTED', `GS ( k for symbol type 0x${(body[0] ?? 0).toString(16)} is not supported`);
    switch (body[1]) {
      case 0x41:
        return { ops: [{ op: 'qr-model', model: (body[2] ?? 0x32) - 0x30 }], used };
      case 0x43:
        return { ops: [{ op: 'qr-size', size: body[2] ?? 3 }], used };
      case 0x45: {
        const level = 'LMQH'[(body[2] ?? 0x30) - 0x30];
        if (!level) throw new ProtocolError('BAD_FORMAT', `QR error correction 0x${(body[2] ?? 0).toString(16)}`);
        return { ops: [{ op: 'qr-ec', level: level as 'L' | 'M' | 'Q' | 'H' }], used };
      }
      case 0x50:
        return { ops: [{ op: 'qr-store', data: body.slice(3) }], used };
      case 0x51:
        return { ops: [{ op: 'qr-print' }], used };
      default:
        throw new ProtocolError('UNSUPPORTED', `QR function 0x${(body[1] ?? 0).toString(16)} is not supported`);
    }
  }
}

/** Decodes a complete ESC/POS byte string. */
export function decodeEscPos(bytes: Uint8Array): EscPosOp[] {
  const d = new EscPosDecoder();
  return [...d.push(bytes), ...d.finish()];
}

/** A receipt as the customer sees it: printed lines, QR contents, cuts and drawer pulses. */
export interface PrintedReceipt {
  readonly lines: string[];
  readonly qrCodes: string[];
  readonly cuts: number;
  readonly drawerKicks: { pin: 2 | 5; on_ms: number; off_ms: number }[];
  readonly images: { widthPx: number; heightPx: number }[];
}

/** Lays decoded ops out as printed lines (text up to each LF). */
export function renderReceipt(ops: readonly EscPosOp[]): PrintedReceipt {
  const r: PrintedReceipt = { lines: [], qrCodes: [], cuts: 0, drawerKicks: [], images: [] };
  let line = '';
  let started = false;
  let qr: Uint8Array | undefined;
  const utf8 = new TextDecoder();
  for (const op of ops) {
    switch (op.op) {
      case 'text':
        line += op.text;
        started = true;
        break;
      case 'newline':
        r.lines.push(line);
        line = '';
        started = false;
        break;
      case 'feed':
        if (started) r.lines.push(line);
        line = '';
        started = false;
        break;
      case 'cut':
        (r as { cuts: number }).cuts++;
        break;
      case 'drawer-kick':
        r.drawerKicks.push({ pin: op.pin, on_ms: op.on_ms, off_ms: op.off_ms });
        break;
      case 'qr-store':
        qr = op.data;
        break;
      case 'qr-print':
        if (qr) r.qrCodes.push(utf8.decode(qr));
        break;
      case 'raster':
        r.images.push({ widthPx: op.widthPx, heightPx: op.heightPx });
        break;
      default:
        break;
    }
  }
  if (started) r.lines.push(line);
  return r;
}
