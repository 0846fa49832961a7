import { ProtocolError } from '../../protocols/errors';
import { type IdCardFormat, parseIdCard } from '../../protocols/hid/id-card';
import { BootKeyboardDecoder } from '../../protocols/hid/keyboard';
import { Device, type DeviceOptions } from '../device';
import { DeviceError } from '../errors';
import type { Transport } from '../transport';
import type { CardPresented } from './card';

/** A 125 kHz ID (EM4100) reader that types the card number as a USB keyboard. */
export class IdWedgeReader extends Device<CardPresented> {
  private decoder = new BootKeyboardDecoder();

  constructor(
    name: string,
    transport: Transport,
    private readonly format: IdCardFormat,
    options?: DeviceOptions,
  ) {
    super(name, 'member-card-reader', transport, options);
  }

  protected override async onOpen(): Promise<void> {
    this.decoder = new BootKeyboardDecoder();
  }

  protected onBytes(report: Uint8Array): void {
    let lines: string[];
    try {
      lines = this.decoder.push(report);
      for (const line of lines) {
        const card = parseIdCard(line, this.format);
        this.emitData({ uid: card.uid, technology: 'em4100' });
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.emitError(new DeviceError('PROTOCOL', `${this.name}: ${err.message}; check the reader's output format (${this.format})`, this.name, { cause: err }));
    }
  }
}
