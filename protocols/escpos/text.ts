/** Encodes text for the printer (GB18030 via iconv-lite in drivers/); injected to keep protocols pure. */
export type TextEncoderFn = (text: string) => Uint8Array;

/**
 * Prepares text for a Chinese ESC/POS printer: the yen/yuan sign becomes the full-width ￥
 * (GB2312 A3A4), because ¥ (U+00A5) only exists as a four-byte GB18030 sequence that two-byte
 * printer fonts cannot print; other characters outside the two-byte range become "?".
 */
export function toPrinterText(text: string, encode: TextEncoderFn): { bytes: Uint8Array; replaced: string[] } {
  const replaced: string[] = [];
  const out: number[] = [];
  for (const ch of text.replace(/\u00a5/g, '\uffe5')) {
    const b = encode(ch);
    const fourByte = b.length === 4 && b[1]! >= 0x30 && b[1]! <= 0x39;
    if (fourByte || b.length === 0) {
      replaced.push(ch);
      out.push(0x3f);
    } else {
      out.push(...b);
    }
  }
  return { bytes: Uint8Array.from(out), replaced };
}

/** Display width on a receipt: CJK and full-width characters take two columns. */
export function columns(text: string): number {
  let n = 0;
  for (const ch of text) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return n;
}

/** "left ........ right" in `width` columns (CJK-aware). */
export function leftRight(left: string, right: string, width: number): string {
  const gap = Math.max(1, width - columns(left) - columns(right));
  return left + ' '.repeat(gap) + right;
}
