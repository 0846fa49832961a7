import { type ScanMeaning, classifyScan, splitAim } from '../../protocols/barcode/classify';
import { LineFramer } from '../../protocols/barcode/line-framer';
import type { VariableMeasureLayout } from '../../protocols/barcode/variable-measure';
import { ProtocolError } from '../../protocols/errors';
import { BootKeyboardDecoder } from '../../protocols/hid/keyboard';
import { HidPosDecoder } from '../../protocols/hid/pos-scanner';
import { Device, type DeviceOptions } from '../device';
import { DeviceError } from '../errors';
import type { Transport } from '../transport';

export type ScannerProtocol = 'hid-keyboard' | 'hid-pos' | 'serial-lines';

export interface ScanData {
  /** The code as scanned, without AIM id. */
  readonly text: string;
  /** AIM symbology identifier when the scanner sends one ("]E0", "]Q1", …). */
  readonly aim: string | undefined;
  readonly meaning: ScanMeaning;
}

/** A barcode / QR scanner: keyboard-wedge HID, HID POS, or serial with a CR/LF suffix. */
export class Scanner extends Device<ScanData> {
  private decode: (chunk: Uint8Array) => string[] = () => [];

  constructor(
    name: string,
    transport: Transport,
    private readonly protocol: ScannerProtocol,
    private readonly layouts: readonly VariableMeasureLayout[] = [],
    options?: DeviceOptions,
  ) {
    super(name, 'scanner', transport, options);
  }

  protected override async onOpen(): Promise<void> {
    // Fresh decoder state on every (re)open: half a code from before an unplug is garbage.
    switch (this.protocol) {
      case 'hid-keyboard': {
        const d = new BootKeyboardDecoder();
        this.decode = (r) => d.push(r);
        break;
      }
      case 'hid-pos': {
        const d = new HidPosDecoder();
        this.decode = (r) => {
          const scan = d.push(r);
          return scan ? [scan.aim + new TextDecoder().decode(scan.data)] : [];
        };
        break;
      }
      case 'serial-lines': {
        const f = new LineFramer();
        this.decode = (c) => {
          const { lines, errors } = f.push(c);
          for (const e of errors) this.emitError(new DeviceError('PROTOCOL', e.message, this.name, { cause: e }));
          return lines;
        };
        break;
      }
    }
  }

  protected onBytes(chunk: Uint8Array): void {
    let texts: string[];
    try {
      texts = this.decode(chunk);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.emitError(new DeviceError('PROTOCOL', `${this.name}: ${err.message}`, this.name, { cause: err }));
        return;
      }
      throw err;
    }
    for (const raw of texts) {
      const { aim, data } = splitAim(raw);
      this.emitData({ text: data, aim, meaning: classifyScan(raw, this.layouts) });
    }
  }
}
