import { DeviceError } from '../errors';
import { type Transport, TransportListeners } from '../transport';
import { loadNative } from './load-native';

export type HidSettings = { readonly path: string } | { readonly vendorId: number; readonly productId: number };

interface HidAsyncDevice {
  on(event: 'data', l: (data: Buffer) => void): void;
  on(event: 'error', l: (err: Error) => void): void;
  removeAllListeners(): void;
  write(values: number[] | Buffer): Promise<number>;
  close(): Promise<void>;
}

/** A HID device through `node-hid`'s async API; each data chunk is one input report. */
export class HidTransport implements Transport {
  readonly description: string;
  private device: HidAsyncDevice | undefined;
  private readonly listeners = new TransportListeners();

  /** `loader` is the node-hid module; tests give a fake that emits real report bytes. */
  constructor(
    private readonly settings: HidSettings,
    private readonly loader: () => Promise<unknown> = () => import('node-hid'),
  ) {
    this.description =
      'path' in settings ? `hid ${settings.path}` : `hid ${hex4(settings.vendorId)}:${hex4(settings.productId)}`;
  }

  get isOpen(): boolean {
    return this.device !== undefined;
  }

  async open(): Promise<void> {
    const hid = (await loadNative('node-hid', this.loader, this.description)) as {
      HIDAsync: { open(path: string): Promise<unknown>; open(vid: number, pid: number): Promise<unknown> };
    };
    let device: HidAsyncDevice;
    try {
      device = (
        'path' in this.settings
          ? await hid.HIDAsync.open(this.settings.path)
          : await hid.HIDAsync.open(this.settings.vendorId, this.settings.productId)
      ) as unknown as HidAsyncDevice;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DeviceError('NO_HARDWARE', `cannot open ${this.description}: ${why}`, undefined, { cause: err });
    }
    device.on('data', (report) => this.listeners.emitData(new Uint8Array(report)));
    device.on('error', (err) => {
      if (this.device !== device) return;
      this.device = undefined;
      device.removeAllListeners();
      void device.close().catch(() => undefined);
      this.listeners.emitDisconnect(err);
    });
    this.device = device;
  }

  async close(): Promise<void> {
    const d = this.device;
    this.device = undefined;
    if (!d) return;
    d.removeAllListeners();
    await d.close().catch(() => undefined);
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.device) throw new DeviceError('OFFLINE', `${this.description} is not open`);
    await this.device.write(Buffer.from(data));
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onData(listener);
  }

  onDisconnect(listener: (cause: Error) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
