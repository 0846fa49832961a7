import { ProtocolError } from '../errors';

/**
 * Splits a serial scanner's byte stream into codes ended by CR, LF or CR LF. Bytes are decoded as
 * UTF-8 (ASCII scanners are a subset). A code longer than `maxLength` is dropped with an error.
 */
export class LineFramer {
  private pending: number[] = [];
  private lastWasCr = false;
  private discarding = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly maxLength = 4096) {}

  /** Feeds bytes; returns complete codes and, separately, any overlong-line error. */
  push(chunk: Uint8Array): { lines: string[]; errors: ProtocolError[] } {
    const lines: string[] = [];
    const errors: ProtocolError[] = [];
    for (const b of chunk) {
      if (b === 0x0a && this.lastWasCr) {
        this.lastWasCr = false;
        continue;
      }
      this.lastWasCr = b === 0x0d;
      if (b === 0x0d || b === 0x0a) {
        if (this.pending.length > 0 && !this.discarding) lines.push(this.decoder.decode(Uint8Array.from(this.pending)));
        this.pending = [];
        this.discarding = false;
        continue;
      }
      if (this.discarding) continue;
      if (this.pending.length >= this.maxLength) {
        errors.push(new ProtocolError('BAD_LENGTH', `scanner sent more than ${this.maxLength} bytes without CR/LF; check its suffix setting`));
        this.pending = [];
        this.discarding = true;
        continue;
      }
      this.pending.push(b);
    }
    return { lines, errors };
  }
}
