/** Encodes text for the printer (GB18030 via iconv-lite in drivers/); injected to keep protocols pure. */
export type TextEncoderFn = (text: string) => Uint8Array;

/** ¥ (U+00A5) exists only as a four-byte GB18030 sequence; the printer gets the full-width ￥ (GB2312 A3A4). */
const printable = (ch: string): string => (ch === '\u00a5' ? '\uffe5' : ch);

/** The bytes one character is sent as; a four-byte GB18030 sequence (second byte a digit) or nothing becomes "?". */
function charBytes(ch: string, encode: TextEncoderFn): Uint8Array | undefined {
  const b = encode(printable(ch));
  const fourByte = b.length === 4 && b[1]! >= 0x30 && b[1]! <= 0x39;
  return fourByte || b.length === 0 ? undefined : b;
}

/**
 * Prepares text for a Chinese ESC/POS printer: the yen/yuan sign becomes the full-width ￥
 * (GB2312 A3A4), because ¥ (U+00A5) only exists as a four-byte GB18030 sequence that two-byte
 * printer fonts cannot print; other characters outside the two-byte range become "?".
 */
export function toPrinterText(text: string, encode: TextEncoderFn): { bytes: Uint8Array; replaced: string[] } {
  const replaced: string[] = [];
  const out: number[] = [];
  for (const ch of text) {
    const b = charBytes(ch, encode);
    if (b) out.push(...b);
    else {
      replaced.push(ch);
      out.push(0x3f);
    }
  }
  return { bytes: Uint8Array.from(out), replaced };
}

/**
 * Columns `text` takes on the paper, the one width every receipt and slip aligns by. In Chinese
 * (FS &) mode the printer gives each single byte a half-width cell and each two-byte character a
 * full-width cell of two, so the width is the number of bytes sent: ASCII 1, and 2 for every
 * character the code page sends as two bytes, CJK or not (× ￥ — · é …), which a Unicode
 * East-Asian-width table would count as 1; a character printed as "?" is 1.
 */
export function printedColumns(text: string, encode: TextEncoderFn): number {
  let n = 0;
  for (const ch of text) n += charBytes(ch, encode)?.length ?? 1;
  return n;
}

/**
 * `left`, spaces, then `right` ending in the last of `width` columns (a right-aligned amount),
 * at least one space between; a `left` too long is cut, never a character in half.
 */
export function leftRight(left: string, right: string, width: number, encode: TextEncoderFn): string {
  const room = width - printedColumns(right, encode) - 1;
  let l = '';
  let used = 0;
  for (const ch of left) {
    const w = printedColumns(ch, encode);
    if (used + w > room) break;
    l += ch;
    used += w;
  }
  return l + ' '.repeat(Math.max(1, width - used - printedColumns(right, encode))) + right;
}

/**
 * `text` broken into lines of at most `width` columns, so the paper shows the lines the layout
 * made rather than the printer's own wrap: at the last double space (it parts the fields of a
 * line, "时间: …  收银机: …"), else at the last space, that leaves something on the line;
 * otherwise between two characters.
 */
export function wrapColumns(text: string, width: number, encode: TextEncoderFn): string[] {
  const out: string[] = [];
  let rest = [...text];
  while (printedColumns(rest.join(''), encode) > width) {
    // `fits`: how many characters fit (at least one, so a line always moves on).
    let fits = 0;
    for (let used = 0; fits < rest.length; fits++) {
      used += printedColumns(rest[fits]!, encode);
      if (used > width) break;
    }
    fits = Math.max(1, fits);
    const head = rest.slice(0, fits + 1).join('');
    const breakAt = (i: number) => [...head.slice(0, Math.max(0, i))].length;
    const atSpace = [breakAt(head.lastIndexOf('  ')), breakAt(head.lastIndexOf(' '))].find((i) => rest.slice(0, i).some((ch) => ch !== ' '));
    const cut = atSpace ?? fits;
    out.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(cut);
    while (rest[0] === ' ') rest = rest.slice(1);
  }
  out.push(rest.join(''));
  return out;
}
