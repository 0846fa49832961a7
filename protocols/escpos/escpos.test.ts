import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ProtocolError, concatBytes, latin1, toHex } from '../errors';
import * as cmd from './commands';
import { EscPosDecoder, decodeEscPos, renderReceipt } from './decode';
import {
  STATUS_OK,
  applyRealtimeStatus,
  applyTransmitPaperStatus,
  decodeAsb,
  encodeAsb,
  encodeRealtimeStatus,
  encodeTransmitPaperStatus,
  isAsbHeader,
  isRealtimeStatusByte,
  isTransmitStatusByte,
} from './status';
import { leftRight, printedColumns, toPrinterText, wrapColumns } from './text';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('ESC/POS commands', () => {
  it('QR store length counts UTF-8 bytes of non-ASCII content: "会员" is 6 bytes, pL = 9', () => {
    const bytes = cmd.qrCode(utf8('会员'));
    const store = bytes.subarray(25, 33);
    expect(toHex(store)).toBe('1d 28 6b 09 00 31 50 30');
    expect(renderReceipt(decodeEscPos(bytes)).qrCodes).toEqual(['会员']);
  });
  it('drawer kick ESC p 0 50 100 pulses pin 2 for 100 ms on, 200 ms off', () => {
    expect(toHex(cmd.drawerKick(2, 100, 200))).toBe('1b 70 00 32 64');
    expect(decodeEscPos(cmd.drawerKick(5, 100, 200))).toEqual([{ op: 'drawer-kick', pin: 5, on_ms: 100, off_ms: 200 }]);
  });
  it('a receipt in Chinese and English decodes back line by line (GB18030 in FS & mode)', () => {
    // GB18030 bytes for "会员" and "￥" taken from the standard (BB E1 D4 B1, A3 A4)
    const member = Uint8Array.of(0xbb, 0xe1, 0xd4, 0xb1);
    const yuan = Uint8Array.of(0xa3, 0xa4);
    const bytes = concatBytes(
      cmd.init(),
      cmd.kanjiOn(),
      cmd.align('center'),
      member,
      latin1(' Member'),
      Uint8Array.of(cmd.LF),
      cmd.align('left'),
      latin1('Total '),
      yuan,
      latin1('12.50'),
      Uint8Array.of(cmd.LF),
      cmd.feed(3),
      cmd.cut(true),
    );
    const r = renderReceipt(decodeEscPos(bytes));
    expect(r.lines).toEqual(['会员 Member', 'Total ￥12.50']);
    expect(r.cuts).toBe(1);
  });
  it('every command round-trips through the decoder', () => {
    const anyCmd = fc.oneof(
      fc.constantFrom('left' as const, 'center' as const, 'right' as const).map((a) => [cmd.align(a), { op: 'align', align: a }] as const),
      fc.boolean().map((b) => [cmd.bold(b), { op: 'bold', on: b }] as const),
      fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })).map(([w, h]) => [cmd.size(w, h), { op: 'size', width: w, height: h }] as const),
      fc.boolean().map((p) => [cmd.cut(p), { op: 'cut', partial: p }] as const),
      fc.integer({ min: 1, max: 255 }).map((n) => [cmd.feed(n), { op: 'feed', lines: n }] as const),
      fc.tuple(fc.constantFrom(2 as const, 5 as const), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 255 })).map(
        ([pin, t1, t2]) => [cmd.drawerKick(pin, t1 * 2, t2 * 2), { op: 'drawer-kick', pin, on_ms: t1 * 2, off_ms: t2 * 2 }] as const,
      ),
      fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20 })).chain(([w, h]) =>
        fc.uint8Array({ minLength: Math.ceil(w / 8) * h, maxLength: Math.ceil(w / 8) * h }).map(
          (bits) => [cmd.rasterImage(w, h, bits), { op: 'raster', widthPx: Math.ceil(w / 8) * 8, heightPx: h, bits }] as const,
        ),
      ),
      fc.string({ minLength: 1, maxLength: 100 }).map((s) => [cmd.qrCode(utf8(s)).subarray(25, 33 + utf8(s).length), { op: 'qr-store', data: utf8(s) }] as const),
    );
    fc.assert(
      fc.property(fc.array(anyCmd, { maxLength: 10 }), fc.nat(50), (cmds, cutAt) => {
        const bytes = concatBytes(...cmds.map((c) => c[0]));
        const d = new EscPosDecoder();
        const split = Math.min(cutAt, bytes.length);
        const ops = [...d.push(bytes.subarray(0, split)), ...d.push(bytes.subarray(split)), ...d.finish()];
        expect(ops).toEqual(cmds.map((c) => c[1]));
      }),
    );
  });
  it('fuzz: random and truncated bytes give ops or a ProtocolError, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeEscPos(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
    expect(() => decodeEscPos(cmd.qrCode(utf8('abc')).subarray(0, 30))).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
  });
});

describe('printer status', () => {
  const statusArb = fc.record({
    online: fc.boolean(),
    coverOpen: fc.boolean(),
    paperNearEnd: fc.boolean(),
    paperEmpty: fc.boolean(),
    drawerOpen: fc.boolean(),
    error: fc.boolean(),
  });
  it('DLE EOT 4 with paper end bits reports paper empty', () => {
    expect(applyRealtimeStatus(4, 0x72, STATUS_OK)).toMatchObject({ paperEmpty: true, paperNearEnd: false });
    expect(applyRealtimeStatus(4, 0x1e, STATUS_OK)).toMatchObject({ paperEmpty: false, paperNearEnd: true });
    expect(applyRealtimeStatus(2, 0x16, STATUS_OK)).toMatchObject({ coverOpen: true });
  });
  it('the three kinds of status byte are told apart by their fixed bits', () => {
    fc.assert(
      fc.property(statusArb, (s) => {
        for (const n of [1, 2, 3, 4] as const) {
          const b = encodeRealtimeStatus(n, s);
          expect(isRealtimeStatusByte(b) && !isAsbHeader(b) && !isTransmitStatusByte(b)).toBe(true);
        }
        const a = encodeAsb(s)[0]!;
        expect(isAsbHeader(a) && !isRealtimeStatusByte(a) && !isTransmitStatusByte(a)).toBe(true);
        const t = encodeTransmitPaperStatus(s);
        expect(isTransmitStatusByte(t) && !isAsbHeader(t) && !isRealtimeStatusByte(t)).toBe(true);
      }),
    );
  });
  it('ASB and DLE EOT round-trip a status', () => {
    fc.assert(
      fc.property(statusArb, (s) => {
        expect(decodeAsb(encodeAsb(s))).toEqual(s);
        let got = STATUS_OK;
        for (const n of [1, 2, 3, 4] as const) got = applyRealtimeStatus(n, encodeRealtimeStatus(n, s), got);
        expect(got).toEqual(s);
        expect(applyTransmitPaperStatus(encodeTransmitPaperStatus(s), STATUS_OK)).toMatchObject({ paperEmpty: s.paperEmpty, paperNearEnd: s.paperNearEnd });
      }),
    );
  });
  it('fuzz: any byte is decoded or rejected with a ProtocolError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 6 }), (b, asb) => {
        for (const f of [() => applyRealtimeStatus(1, b, STATUS_OK), () => applyTransmitPaperStatus(b, STATUS_OK), () => decodeAsb(asb)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
    );
  });
});

describe('receipt text', () => {
  const fakeGb = (ch: string) => (ch === '\u00a5' ? Uint8Array.of(0x81, 0x30, 0x84, 0x36) : ch === '\uffe5' ? Uint8Array.of(0xa3, 0xa4) : ch === '😀' ? Uint8Array.of(0x94, 0x39, 0xfc, 0x38) : utf8(ch));
  it('prints ¥ as the full-width ￥ and replaces four-byte characters', () => {
    const r = toPrinterText('¥5 😀', fakeGb);
    expect(toHex(r.bytes)).toBe('a3 a4 35 20 3f');
    expect(r.replaced).toEqual(['😀']);
  });
  // The encoder the receipt printer path uses (drivers/printer/receipt.ts), so widths are the printer's.
  const gb = (s: string) => new Uint8Array(iconv.encode(s, 'gb18030'));
  it('counts every character the printer gets as two bytes as two columns, not only CJK', () => {
    expect(printedColumns('会员A', gb)).toBe(5);
    // Ambiguous-width characters a Unicode table counts as one: GB18030 sends each as two bytes.
    for (const ch of ['×', '¥', '￥', '—', '·', '…', '°', 'é', '，', '（', '①']) expect(printedColumns(ch, gb), ch).toBe(2);
    // Four-byte characters print as "?": one column.
    expect(printedColumns('£😀', gb)).toBe(2);
    const weighed = '  1.234 kg × ¥12.80/kg';
    expect(printedColumns(weighed, gb)).toBe(toPrinterText(weighed, gb).bytes.length);
  });
  it('aligns the right part to the last column, cutting the left part on a whole character', () => {
    expect(leftRight('合计', '￥12.50', 16, gb)).toBe('合计     ￥12.50');
    expect(leftRight('纯牛奶 250ml×12', '¥59.90', 32, gb)).toBe('纯牛奶 250ml×12' + ' '.repeat(9) + '¥59.90');
    for (const w of [24, 32, 48]) {
      for (const [l, r] of [['  1.234 kg × ¥12.80/kg', '¥15.80'], ['农夫山泉饮用天然水 550ml×24 整箱装 特价', '¥1234.50'], ['Tissue', '¥5.00']] as const) {
        const line = leftRight(l, r, w, gb);
        expect(printedColumns(line, gb)).toBeLessThanOrEqual(w);
        expect(line.endsWith(r)).toBe(true);
        // A cut left part may leave one column over when a two-column character does not fit.
        expect(printedColumns(line, gb)).toBeGreaterThanOrEqual(w - 1);
      }
    }
  });
  it('wraps a line wider than the paper at a space, or between characters', () => {
    expect(wrapColumns('单号: 0193a0b0-0000-7000-8000-000000000001', 32, gb)).toEqual(['单号:', '0193a0b0-0000-7000-8000-00000000', '0001']);
    expect(wrapColumns('时间: 2026-11-22 10:05  收银机: t-sh-01-1', 32, gb)).toEqual(['时间: 2026-11-22 10:05', '收银机: t-sh-01-1']);
    expect(wrapColumns('会员会员会员会员会员', 8, gb)).toEqual(['会员会员', '会员会员', '会员']);
    expect(wrapColumns('short', 32, gb)).toEqual(['short']);
    expect(wrapColumns('', 32, gb)).toEqual(['']);
  });
  it('a wrapped line never runs past the paper and keeps every printed character', () => {
    const chars = fc.constantFrom('a', '7', ' ', '会', '员', '×', '¥', '—', '·', '，', '😀');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 120 }), fc.integer({ min: 2, max: 64 }), (cs, width) => {
        const text = cs.join('');
        const lines = wrapColumns(text, width, gb);
        for (const l of lines) expect(printedColumns(l, gb)).toBeLessThanOrEqual(width);
        expect(lines.join('').replaceAll(' ', '')).toBe(text.replaceAll(' ', ''));
      }),
    );
  });
});
