import { ProtocolError, concatBytes } from '../errors';

/** ESC/POS prefix bytes. */
export const ESC = 0x1b;
export const GS = 0x1d;
export const FS = 0x1c;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

/** ESC @: clear the buffer, reset modes. */
export const init = (): Uint8Array => Uint8Array.of(ESC, 0x40);
/** ESC a n: 0 left, 1 centre, 2 right. */
export const align = (a: 'left' | 'center' | 'right'): Uint8Array => Uint8Array.of(ESC, 0x61, a === 'left' ? 0 : a === 'center' ? 1 : 2);
/** ESC E n. */
export const bold = (on: boolean): Uint8Array => Uint8Array.of(ESC, 0x45, on ? 1 : 0);
/** GS ! n: character width and height multipliers 1..8. */
export function size(width: number, height: number): Uint8Array {
  if (width < 1 || width > 8 || height < 1 || height > 8) throw new ProtocolError('BAD_FORMAT', `character size ${width}x${height} is outside 1..8`);
  return Uint8Array.of(GS, 0x21, ((width - 1) << 4) | (height - 1));
}
/** ESC d n: print and feed n lines. */
export const feed = (lines: number): Uint8Array => Uint8Array.of(ESC, 0x64, Math.max(0, Math.min(255, lines)));
/** GS V m: full (0) or partial (1) cut. */
export const cut = (partial = false): Uint8Array => Uint8Array.of(GS, 0x56, partial ? 1 : 0);
/** FS &: Chinese (two-byte) character mode on; FS .: off. */
export const kanjiOn = (): Uint8Array => Uint8Array.of(FS, 0x26);
/** FS .: Chinese character mode off. */
export const kanjiOff = (): Uint8Array => Uint8Array.of(FS, 0x2e);

/**
 * ESC p m t1 t2: pulse the drawer kick connector. m = 0 for pin 2, 1 for pin 5; the pulse is
 * on for t1 × 2 ms and off for t2 × 2 ms.
 */
export function drawerKick(pin: 2 | 5, on_ms: number, off_ms: number): Uint8Array {
  const t1 = Math.round(on_ms / 2);
  const t2 = Math.round(off_ms / 2);
  if (t1 < 1 || t1 > 255 || t2 < 1 || t2 > 255) throw new ProtocolError('BAD_FORMAT', `drawer pulse ${on_ms}/${off_ms} ms is outside 2..510 ms`);
  return Uint8Array.of(ESC, 0x70, pin === 2 ? 0 : 1, t1, t2);
}

/** DLE EOT n: real-time status (1 printer, 2 offline cause, 3 error cause, 4 roll paper). */
export const realtimeStatus = (n: 1 | 2 | 3 | 4): Uint8Array => Uint8Array.of(DLE, EOT, n);
/** GS r 1: paper sensor status, answered only after everything sent before it was printed. */
export const transmitPaperStatus = (): Uint8Array => Uint8Array.of(GS, 0x72, 0x01);
/** GS a n: automatic status back for drawer (1), on/offline (2), errors (4), paper (8). */
export const enableAsb = (mask = 0x0f): Uint8Array => Uint8Array.of(GS, 0x61, mask);
/** DLE DC4 8 (fn 8): clear the receive and print buffers after an error, so stale data is not printed later. */
export const clearBuffers = (): Uint8Array => Uint8Array.of(DLE, 0x14, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08);

/**
 * QR code (GS ( k, function 165/167/169/180/181): model 2, module size, error correction, the data
 * (its length in bytes, so UTF-8 content counts every byte), then print.
 */
export function qrCode(data: Uint8Array, moduleSize = 6, ec: 'L' | 'M' | 'Q' | 'H' = 'M'): Uint8Array {
  if (data.length === 0 || data.length > 7089) throw new ProtocolError('BAD_LENGTH', `QR data must be 1..7089 bytes, got ${data.length}`);
  if (moduleSize < 1 || moduleSize > 16) throw new ProtocolError('BAD_FORMAT', `QR module size ${moduleSize} is outside 1..16`);
  const store = data.length + 3;
  return concatBytes(
    Uint8Array.of(GS, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00),
    Uint8Array.of(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, moduleSize),
    Uint8Array.of(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x30 + 'LMQH'.indexOf(ec)),
    Uint8Array.of(GS, 0x28, 0x6b, store & 0xff, store >> 8, 0x31, 0x50, 0x30),
    data,
    Uint8Array.of(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30),
  );
}

/** GS v 0: a raster bit image (logo). `bits` is row-major, 1 = black, width rounded up to bytes. */
export function rasterImage(widthPx: number, heightPx: number, bits: Uint8Array): Uint8Array {
  const bytesPerRow = Math.ceil(widthPx / 8);
  if (bits.length !== bytesPerRow * heightPx) throw new ProtocolError('BAD_LENGTH', `raster needs ${bytesPerRow * heightPx} bytes, got ${bits.length}`);
  if (bytesPerRow > 0xffff || heightPx > 0xffff) throw new ProtocolError('BAD_FORMAT', 'raster image too large');
  return concatBytes(Uint8Array.of(GS, 0x76, 0x30, 0x00, bytesPerRow & 0xff, bytesPerRow >> 8, heightPx & 0xff, heightPx >> 8), bits);
}
