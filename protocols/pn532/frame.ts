import { ProtocolError, concatBytes, toHex } from '../errors';

/** Frame identifier: host → PN532. */
export const TFI_HOST = 0xd4;
/** Frame identifier: PN532 → host. */
export const TFI_PN532 = 0xd5;

/** ACK: the frame was received intact. */
export const ACK_FRAME = Uint8Array.of(0x00, 0x00, 0xff, 0x00, 0xff, 0x00);
/** NACK: resend your last frame. */
export const NACK_FRAME = Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x00, 0x00);
/** Application-level error frame (syntax error in the last command). */
export const ERROR_FRAME = Uint8Array.of(0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00);
/**
 * HSU wake-up: the PN532 sleeps after power-on in HSU mode; a long 0x55 preamble wakes it
 * (PN532 User Manual §7.2.11), then the first command must be SAMConfiguration.
 */
export const HSU_WAKEUP = Uint8Array.of(0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

/**
 * Encodes an information frame: 00 00 FF LEN LCS TFI PD… DCS 00, or the extended form
 * 00 00 FF FF FF LENM LENL LCS TFI PD… DCS 00 when TFI+data exceed 255 bytes.
 */
export function encodeFrame(tfi: number, data: Uint8Array): Uint8Array {
  const len = data.length + 1;
  if (len > 265) throw new ProtocolError('BAD_LENGTH', `PN532 frames carry at most 264 data bytes, got ${data.length}`);
  let sum = tfi;
  for (const b of data) sum += b;
  const dcs = (0x100 - (sum & 0xff)) & 0xff;
  const head =
    len <= 0xff
      ? Uint8Array.of(0x00, 0x00, 0xff, len, (0x100 - len) & 0xff, tfi)
      : Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0xff, len >> 8, len & 0xff, (0x100 - (((len >> 8) + (len & 0xff)) & 0xff)) & 0xff, tfi);
  return concatBytes(head, data, Uint8Array.of(dcs, 0x00));
}

/** A host command frame: TFI D4, command code, parameters. */
export function encodeCommand(command: number, params: Uint8Array | readonly number[] = []): Uint8Array {
  return encodeFrame(TFI_HOST, Uint8Array.from([command, ...params]));
}

/** The response frame the PN532 sends for `command` (code + 1). */
export function encodeResponse(command: number, params: Uint8Array | readonly number[] = []): Uint8Array {
  return encodeFrame(TFI_PN532, Uint8Array.from([command + 1, ...params]));
}

export type Pn532Item =
  | { readonly type: 'ack' }
  | { readonly type: 'nack' }
  | { readonly type: 'error-frame' }
  | { readonly type: 'frame'; readonly tfi: number; readonly code: number; readonly params: Uint8Array }
  | { readonly type: 'bad'; readonly error: ProtocolError };

/**
 * Incremental PN532 frame reader for a byte stream (HSU). Skips preamble, wake-up bytes and
 * garbage up to the next start code; a frame with a bad length or data checksum becomes a
 * `bad` item (the caller answers with NACK) and reading resumes after its start code.
 */
export class Pn532FrameReader {
  private buf: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxBuffered = 1024) {}

  push(chunk: Uint8Array): Pn532Item[] {
    this.buf = concatBytes(this.buf, chunk);
    const out: Pn532Item[] = [];
    for (;;) {
      const item = this.next();
      if (!item) break;
      out.push(item);
    }
    if (this.buf.length > this.maxBuffered) {
      out.push({ type: 'bad', error: new ProtocolError('BAD_FRAME', `no complete PN532 frame in ${this.buf.length} bytes`) });
      this.buf = new Uint8Array(0);
    }
    return out;
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.buf.length;
  }

  private next(): Pn532Item | undefined {
    const b = this.buf;
    let i = 0;
    while (i + 1 < b.length && !(b[i] === 0x00 && b[i + 1] === 0xff)) i++;
    if (i + 1 >= b.length) {
      // Keep a trailing 0x00: it may be the first half of a start code.
      this.buf = b.length > 0 && b[b.length - 1] === 0x00 ? b.slice(-1) : new Uint8Array(0);
      return undefined;
    }
    if (i + 4 > b.length) {
      this.buf = b.slice(i);
      return undefined;
    }
    const len = b[i + 2]!;
    const lcs = b[i + 3]!;
    if (len === 0x00 && lcs === 0xff) return this.consume(i + 4, { type: 'ack' });
    if (len === 0xff && lcs === 0x00) return this.consume(i + 4, { type: 'nack' });
    let dataLen: number;
    let dataStart: number;
    if (len === 0xff && lcs === 0xff) {
      if (i + 7 > b.length) {
        this.buf = b.slice(i);
        return undefined;
      }
      const m = b[i + 4]!;
      const l = b[i + 5]!;
      if (((m + l + b[i + 6]!) & 0xff) !== 0) return this.skipBad(i, 'BAD_CHECKSUM', 'extended-frame length checksum (LCS) is wrong');
      dataLen = (m << 8) | l;
      dataStart = i + 7;
    } else {
      if (((len + lcs) & 0xff) !== 0) return this.skipBad(i, 'BAD_CHECKSUM', `length checksum wrong (LEN ${len}, LCS ${lcs})`);
      dataLen = len;
      dataStart = i + 4;
    }
    if (dataLen === 0) return this.skipBad(i, 'BAD_LENGTH', 'information frame with LEN 0');
    if (dataStart + dataLen + 1 > b.length) {
      this.buf = b.slice(i);
      return undefined;
    }
    const data = b.subarray(dataStart, dataStart + dataLen);
    let sum = b[dataStart + dataLen]!;
    for (const x of data) sum += x;
    if ((sum & 0xff) !== 0) return this.skipBad(i, 'BAD_CHECKSUM', `data checksum wrong in frame ${toHex(b.subarray(i, dataStart + dataLen + 1))}`);
    const end = dataStart + dataLen + 1;
    if (dataLen === 1 && data[0] === 0x7f) return this.consume(end, { type: 'error-frame' });
    if (dataLen < 2) return this.skipBad(i, 'BAD_LENGTH', 'information frame without command code');
    return this.consume(end, { type: 'frame', tfi: data[0]!, code: data[1]!, params: data.slice(2) });
  }

  private consume(end: number, item: Pn532Item): Pn532Item {
    // Drop the postamble too when it is there.
    this.buf = this.buf.slice(this.buf[end] === 0x00 && this.buf[end + 1] !== 0xff ? end + 1 : end);
    return item;
  }

  private skipBad(start: number, code: 'BAD_CHECKSUM' | 'BAD_LENGTH', message: string): Pn532Item {
    this.buf = this.buf.slice(start + 2);
    return { type: 'bad', error: new ProtocolError(code, `PN532 ${message}`) };
  }
}
