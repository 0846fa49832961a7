import { ProtocolError } from '../errors';

// USB HID Usage Tables, Keyboard page (0x07), US layout: usage → [unshifted, shifted].
const KEYS: Record<number, [string, string]> = {};
for (let i = 0; i < 26; i++) KEYS[0x04 + i] = [String.fromCharCode(97 + i), String.fromCharCode(65 + i)];
'1234567890'.split('').forEach((c, i) => (KEYS[0x1e + i] = [c, '!@#$%^&*()'[i]!]));
Object.assign(KEYS, {
  0x2c: [' ', ' '],
  0x2d: ['-', '_'],
  0x2e: ['=', '+'],
  0x2f: ['[', '{'],
  0x30: [']', '}'],
  0x31: ['\\', '|'],
  0x33: [';', ':'],
  0x34: ["'", '"'],
  0x35: ['`', '~'],
  0x36: [',', '<'],
  0x37: ['.', '>'],
  0x38: ['/', '?'],
  0x54: ['/', '/'],
  0x55: ['*', '*'],
  0x56: ['-', '-'],
  0x57: ['+', '+'],
  0x62: ['0', '0'],
  0x63: ['.', '.'],
});
for (let i = 0; i < 9; i++) KEYS[0x59 + i] = [String(i + 1), String(i + 1)];

const ENTER = 0x28;
const KP_ENTER = 0x58;
const TAB = 0x2b;
const SHIFT = 0x02 | 0x20;
const CTRL = 0x01 | 0x10;
const ROLLOVER = 0x01;

/**
 * Turns 8-byte HID boot-keyboard reports (modifiers, reserved, six key slots) from a keyboard-wedge
 * scanner or card reader into text. A key counts when it appears in a report and was not down in
 * the previous one; Enter ends a code. Ctrl+] is GS (FNC1), as wedge scanners send it.
 */
export class BootKeyboardDecoder {
  private down = new Set<number>();
  private line = '';

  /** `reportId`: when the device uses numbered reports, the id byte that precedes the 8 bytes. */
  constructor(private readonly reportId?: number) {}

  /** Feeds one report; returns the codes completed by it (usually none or one). */
  push(report: Uint8Array): string[] {
    let r = report;
    if (this.reportId !== undefined) {
      if (r[0] !== this.reportId) throw new ProtocolError('BAD_FRAME', `keyboard report id ${r[0]} is not ${this.reportId}`);
      r = r.subarray(1);
    }
    if (r.length !== 8) throw new ProtocolError('BAD_LENGTH', `a boot-keyboard report is 8 bytes, got ${r.length}`);
    const mods = r[0]!;
    const keys = Array.from(r.subarray(2)).filter((k) => k !== 0);
    if (keys.includes(ROLLOVER)) return []; // phantom state: too many keys; keep the previous set
    const out: string[] = [];
    const now = new Set(keys);
    for (const k of keys) {
      if (this.down.has(k)) continue;
      if (k === ENTER || k === KP_ENTER) {
        out.push(this.line);
        this.line = '';
        continue;
      }
      if (k === TAB) {
        this.line += '\t';
        continue;
      }
      if (mods & CTRL && k === 0x30) {
        this.line += '\x1d';
        continue;
      }
      const pair = KEYS[k];
      if (pair) this.line += mods & SHIFT ? pair[1] : pair[0];
      // Other keys (F-keys, arrows) carry no barcode text and are ignored.
    }
    this.down = now;
    return out;
  }

  /** Text typed since the last Enter (a code still being read). */
  get partial(): string {
    return this.line;
  }
}

const REVERSE = new Map<string, [usage: number, shift: boolean]>();
for (const [usage, [lo, hi]] of Object.entries(KEYS)) {
  const u = Number(usage);
  if (u >= 0x54) continue; // prefer the main keys when encoding
  if (!REVERSE.has(lo)) REVERSE.set(lo, [u, false]);
  if (!REVERSE.has(hi)) REVERSE.set(hi, [u, true]);
}

/** Encodes text + Enter as press/release report pairs, as a wedge device types it. */
export function encodeKeyboardText(text: string, reportId?: number): Uint8Array[] {
  const reports: Uint8Array[] = [];
  const push = (mods: number, key: number) => {
    const body = [mods, 0, key, 0, 0, 0, 0, 0];
    reports.push(Uint8Array.from(reportId === undefined ? body : [reportId, ...body]));
  };
  for (const ch of text) {
    if (ch === '\x1d') {
      push(0x01, 0x30);
    } else if (ch === '\t') {
      push(0, TAB);
    } else {
      const k = REVERSE.get(ch);
      if (!k) throw new ProtocolError('UNSUPPORTED', `character "${ch}" cannot be typed on a US keyboard`);
      push(k[1] ? 0x02 : 0, k[0]);
    }
    push(0, 0);
  }
  push(0, ENTER);
  push(0, 0);
  return reports;
}
