import { DeviceError } from '../errors';
import { type Transport, TransportListeners } from '../transport';
import { loadNative } from './load-native';

export interface UsbSettings {
  readonly vendorId: number;
  readonly productId: number;
  readonly interfaceNumber?: number;
  readonly endpointOut?: number;
  readonly endpointIn?: number;
}

/** The part of the WebUSB USBDevice we use (the `usb` package implements it). */
interface WebUsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly configuration: unknown;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  transferOut(endpoint: number, data: Uint8Array): Promise<{ status: string }>;
  transferIn(endpoint: number, length: number): Promise<{ status: string; data?: DataView }>;
}

interface WebUsb {
  getDevices(): Promise<WebUsbDevice[]>;
  addEventListener(type: 'disconnect', l: (ev: { device: WebUsbDevice }) => void): void;
  removeEventListener(type: 'disconnect', l: (ev: { device: WebUsbDevice }) => void): void;
}

/**
 * A USB bulk device (e.g. a USB receipt printer that is not a serial or HID class device)
 * through the `usb` package's WebUSB API.
 */
export class UsbTransport implements Transport {
  readonly description: string;
  private device: WebUsbDevice | undefined;
  private webusb: WebUsb | undefined;
  private readonly listeners = new TransportListeners();
  private readonly onDetach = (ev: { device: WebUsbDevice }) => {
    if (ev.device !== this.device) return;
    this.device = undefined;
    this.listeners.emitDisconnect(new Error(`${this.description} was detached`));
  };

  /** `loader` is the usb module; tests give a fake WebUSB. */
  constructor(
    private readonly settings: UsbSettings,
    private readonly loader: () => Promise<unknown> = () => import('usb'),
  ) {
    this.description = `usb ${settings.vendorId.toString(16).padStart(4, '0')}:${settings.productId.toString(16).padStart(4, '0')}`;
  }

  get isOpen(): boolean {
    return this.device !== undefined;
  }

  async open(): Promise<void> {
    const mod = (await loadNative('usb', this.loader, this.description)) as {
      WebUSB: new (o: { allowAllDevices: boolean }) => WebUsb;
    };
    const webusb = new mod.WebUSB({ allowAllDevices: true });
    let devices: WebUsbDevice[];
    try {
      devices = await webusb.getDevices();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      // Containers and some VMs have no /sys/bus/usb: there is no USB bus to look at.
      throw new DeviceError('NO_HARDWARE', `${this.description}: this machine exposes no USB bus to OneCard (${why})`, undefined, {
        cause: err,
      });
    }
    const device = devices.find((d) => d.vendorId === this.settings.vendorId && d.productId === this.settings.productId);
    if (!device) throw new DeviceError('NO_HARDWARE', `${this.description} is not plugged in`);
    const iface = this.settings.interfaceNumber ?? 0;
    try {
      await device.open();
      if (device.configuration === null) await device.selectConfiguration(1);
      await device.claimInterface(iface);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DeviceError('BUSY', `cannot claim ${this.description} interface ${iface}: ${why}`, undefined, { cause: err });
    }
    this.device = device;
    this.webusb = webusb;
    webusb.addEventListener('disconnect', this.onDetach);
    if (this.settings.endpointIn !== undefined) void this.readLoop(device, this.settings.endpointIn);
  }

  private async readLoop(device: WebUsbDevice, endpoint: number): Promise<void> {
    while (this.device === device) {
      try {
        const r = await device.transferIn(endpoint, 64);
        if (r.data && r.data.byteLength > 0) {
          this.listeners.emitData(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength).slice());
        }
      } catch (err) {
        if (this.device !== device) return;
        this.device = undefined;
        this.listeners.emitDisconnect(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
  }

  async close(): Promise<void> {
    const d = this.device;
    this.device = undefined;
    this.webusb?.removeEventListener('disconnect', this.onDetach);
    if (!d) return;
    await d.releaseInterface(this.settings.interfaceNumber ?? 0).catch(() => undefined);
    await d.close().catch(() => undefined);
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.device) throw new DeviceError('OFFLINE', `${this.description} is not open`);
    const r = await this.device.transferOut(this.settings.endpointOut ?? 1, data);
    if (r.status !== 'ok') throw new DeviceError('FAILURE', `${this.description} write ended with status ${r.status}`);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onData(listener);
  }

  onDisconnect(listener: (cause: Error) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }
}
