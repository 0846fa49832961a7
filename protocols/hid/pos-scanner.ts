import { ProtocolError, fromLatin1, latin1 } from '../errors';

/**
 * HID POS barcode scanner input reports (usage page 0x8C), 64 bytes:
 *   [0] report id (0x02)  [1] data length in this report (0..56)
 *   [2..4] AIM symbology identifier, e.g. "]E0"  [5..60] data, zero padded
 *   [61..62] reserved  [63] flags: bit 0 = more data follows in the next report
 * A code longer than 56 bytes spans reports; the decoder joins them.
 */
export const HID_POS_REPORT_ID = 0x02;
/** Input report size in bytes, report id included. */
export const HID_POS_REPORT_SIZE = 64;
const DATA_OFFSET = 5;
const DATA_MAX = 56;
const FLAGS = 63;

export interface HidPosScan {
  readonly aim: string;
  readonly data: Uint8Array;
}

/** Joins HID POS reports into scans; throws ProtocolError on a malformed report. */
export class HidPosDecoder {
  private parts: Uint8Array[] = [];
  private aim = '';

  push(report: Uint8Array): HidPosScan | undefined {
    if (report.length !== HID_POS_REPORT_SIZE) throw new ProtocolError('BAD_LENGTH', `HID POS report is ${HID_POS_REPORT_SIZE} bytes, got ${report.length}`);
    if (report[0] !== HID_POS_REPORT_ID) throw new ProtocolError('BAD_FRAME', `HID POS report id ${report[0]} is not ${HID_POS_REPORT_ID}`);
    const len = report[1]!;
    if (len > DATA_MAX) {
      this.parts = [];
      throw new ProtocolError('BAD_LENGTH', `HID POS report claims ${len} data bytes, at most ${DATA_MAX}`);
    }
    const aim = fromLatin1(report.subarray(2, 5));
    if (this.parts.length === 0) this.aim = aim;
    this.parts.push(report.slice(DATA_OFFSET, DATA_OFFSET + len));
    if (report[FLAGS]! & 0x01) {
      if (this.parts.length > 64) {
        this.parts = [];
        throw new ProtocolError('BAD_LENGTH', 'HID POS scan continues for more than 64 reports');
      }
      return undefined;
    }
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const data = new Uint8Array(total);
    let o = 0;
    for (const p of this.parts) {
      data.set(p, o);
      o += p.length;
    }
    this.parts = [];
    return { aim: this.aim, data };
  }
}

/** Encodes one scan as HID POS reports (used by simulators and tests). */
export function encodeHidPosScan(data: Uint8Array, aim = ']E0'): Uint8Array[] {
  if (aim.length !== 3) throw new ProtocolError('BAD_FORMAT', `AIM id is 3 characters, got "${aim}"`);
  const reports: Uint8Array[] = [];
  let pos = 0;
  do {
    const chunk = data.subarray(pos, pos + DATA_MAX);
    pos += chunk.length;
    const r = new Uint8Array(HID_POS_REPORT_SIZE);
    r[0] = HID_POS_REPORT_ID;
    r[1] = chunk.length;
    r.set(latin1(aim), 2);
    r.set(chunk, DATA_OFFSET);
    r[FLAGS] = pos < data.length ? 1 : 0;
    reports.push(r);
  } while (pos < data.length);
  return reports;
}
