import type { SerialPort as SerialPortType } from 'serialport';
import { DeviceError } from '../errors';
import { type Transport, TransportListeners } from '../transport';
import { loadNative } from './load-native';

export interface SerialSettings {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
}

/** A serial port through `serialport` (loaded on first open). */
export class SerialTransport implements Transport {
  readonly description: string;
  private port: SerialPortType | undefined;
  private readonly listeners = new TransportListeners();
  private closing = false;

  constructor(private readonly settings: SerialSettings) {
    this.description = `serial ${settings.path} @${settings.baudRate}`;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    const { SerialPort } = await loadNative('serialport', () => import('serialport'), this.description);
    this.closing = false;
    const port = new SerialPort({
      path: this.settings.path,
      baudRate: this.settings.baudRate,
      dataBits: this.settings.dataBits ?? 8,
      parity: this.settings.parity ?? 'none',
      stopBits: this.settings.stopBits ?? 1,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => {
        if (!err) return resolve();
        const missing = /ENOENT|No such file|cannot open/i.test(err.message);
        reject(new DeviceError(missing ? 'NO_HARDWARE' : 'OFFLINE', `cannot open ${this.settings.path}: ${err.message}`, undefined, { cause: err }));
      }),
    );
    port.on('data', (chunk: Buffer) => this.listeners.emitData(new Uint8Array(chunk)));
    port.on('error', (err: Error) => this.lost(port, err));
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => this.lost(port, err ?? new Error(`${this.settings.path} closed`)));
    this.port = port;
  }

  private lost(port: SerialPortType, err: Error): void {
    if (this.closing || this.port !== port) return;
    this.port = undefined;
    if (port.isOpen) port.close(() => undefined);
    this.listeners.emitDisconnect(err);
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.closing = true;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async write(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new DeviceError('OFFLINE', `${this.description} is not open`);
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(data), (err) => (err ? reject(new DeviceError('OFFLINE', err.message, undefined, { cause: err })) : undefined));
      port.drain((err) => (err ? reject(new DeviceError('OFFLINE', err.message, undefined, { cause: err })) : resolve()));
    });
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onData(listener);
  }

  onDisconnect(listener: (cause: Error) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }
}
