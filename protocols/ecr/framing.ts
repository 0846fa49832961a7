import { ProtocolError, concatBytes, toHex } from '../errors';

/** ECR link control characters (ASCII). */
export const STX = 0x02;
export const ETX = 0x03;
export const EOT = 0x04;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;

/** Longitudinal redundancy check: XOR of every byte after STX up to and including ETX. */
export function lrc(dataAndEtx: Uint8Array): number {
  let x = 0;
  for (const b of dataAndEtx) x ^= b;
  return x;
}

/** STX data ETX LRC. Data must not contain STX or ETX. */
export function encodeStxFrame(data: Uint8Array): Uint8Array {
  if (data.includes(STX) || data.includes(ETX)) throw new ProtocolError('BAD_FORMAT', 'frame data may not contain STX or ETX');
  const body = concatBytes(data, Uint8Array.of(ETX));
  return concatBytes(Uint8Array.of(STX), body, Uint8Array.of(lrc(body)));
}

export type EcrItem =
  | { readonly type: 'ack' | 'nak' | 'enq' | 'eot' }
  | { readonly type: 'frame'; readonly data: Uint8Array }
  | { readonly type: 'bad'; readonly error: ProtocolError };

/**
 * Reads the bank-terminal ECR link: single control bytes (ENQ, ACK, NAK, EOT) between frames,
 * and STX … ETX LRC frames. A wrong LRC or an overlong frame is a `bad` item; the caller answers NAK.
 */
export class StxFrameReader {
  private frame: number[] | undefined;
  private awaitingLrc = false;

  constructor(private readonly maxFrame = 2048) {}

  push(chunk: Uint8Array): EcrItem[] {
    const out: EcrItem[] = [];
    for (const b of chunk) {
      if (this.awaitingLrc) {
        const body = Uint8Array.from(this.frame!);
        this.frame = undefined;
        this.awaitingLrc = false;
        const expected = lrc(body);
        if (b === expected) out.push({ type: 'frame', data: body.slice(0, -1) });
        else out.push({ type: 'bad', error: new ProtocolError('BAD_CHECKSUM', `LRC 0x${b.toString(16)} should be 0x${expected.toString(16)} for ${toHex(body.subarray(0, 24))}`) });
        continue;
      }
      if (this.frame) {
        if (b === STX) {
          out.push({ type: 'bad', error: new ProtocolError('TRUNCATED', 'a frame started before the previous one ended') });
          this.frame = [];
          continue;
        }
        this.frame.push(b);
        if (b === ETX) this.awaitingLrc = true;
        else if (this.frame.length > this.maxFrame) {
          out.push({ type: 'bad', error: new ProtocolError('BAD_LENGTH', `frame longer than ${this.maxFrame} bytes without ETX`) });
          this.frame = undefined;
        }
        continue;
      }
      if (b === STX) this.frame = [];
      else if (b === ACK) out.push({ type: 'ack' });
      else if (b === NAK) out.push({ type: 'nak' });
      else if (b === ENQ) out.push({ type: 'enq' });
      else if (b === EOT) out.push({ type: 'eot' });
      // Anything else between frames is line noise and is skipped.
    }
    return out;
  }

  /** True while a frame is half received. */
  get inFrame(): boolean {
    return this.frame !== undefined;
  }
}
