import type { DeviceEntry, DevicesConfig } from './config';
import { type Device, type DeviceHealth, type ReopenPolicy, type StatusEvent, type Timers, defaultReopen, realTimers } from './device';
import { DeviceError, asDeviceError } from './errors';
import { TypedEmitter } from './typed-emitter';

/** Builds one device from its config entry; the composition root supplies it. */
export type DeviceFactory = (entry: DeviceEntry, manager: DeviceManager) => Promise<Device<unknown>> | Device<unknown>;

export interface ManagerEvents extends Record<string, unknown> {
  health: DeviceHealth;
  data: { readonly device: string; readonly data: unknown };
  error: { readonly device: string; readonly error: DeviceError };
  status: { readonly device: string; readonly status: StatusEvent };
}

/**
 * Starts every configured device independently: one that cannot start is reported with its
 * reason and retried (it may be plugged in later), and never stops the others.
 */
export class DeviceManager extends TypedEmitter<ManagerEvents> {
  private readonly devices = new Map<string, Device<unknown>>();
  private readonly failures = new Map<string, DeviceHealth>();
  private readonly retryTimers = new Map<string, unknown>();
  private stopped = false;

  constructor(
    readonly config: DevicesConfig,
    private readonly factory: DeviceFactory,
    private readonly options: { reopen?: ReopenPolicy; timers?: Timers } = {},
  ) {
    super();
  }

  /** Starts all devices; resolves when each has started or failed (failures are in health()). */
  async startAll(): Promise<DeviceHealth[]> {
    // Devices start side by side (one slow to answer does not hold up the others); cash drawers
    // after their printers, which they are built on.
    const first = this.options.reopen?.firstDelay_ms ?? defaultReopen.firstDelay_ms;
    const drawers = this.config.devices.filter((d) => d.class === 'cash-drawer');
    await Promise.all(this.config.devices.filter((d) => d.class !== 'cash-drawer').map((e) => this.startOne(e, first)));
    await Promise.all(drawers.map((e) => this.startOne(e, first)));
    return this.health();
  }

  private async startOne(entry: DeviceEntry, nextDelay_ms: number): Promise<void> {
    if (this.stopped) return;
    let device = this.devices.get(entry.name);
    try {
      if (!device) {
        device = await this.factory(entry, this);
        this.wire(device);
        this.devices.set(entry.name, device);
      }
      await device.start();
      if (this.stopped) return void (await device.close());
      this.failures.delete(entry.name);
      this.emit('health', device.health);
    } catch (err) {
      const e = asDeviceError(err, 'FAILURE', entry.name);
      const failed: DeviceHealth = {
        name: entry.name,
        deviceClass: entry.class,
        state: 'closed',
        health: 'not-started',
        detail: `${entry.name} could not start: ${e.message}`,
        transport: 'transport' in entry ? entry.transport.type : `via ${entry.printer}`,
      };
      this.failures.set(entry.name, failed);
      this.emit('health', failed);
      // A missing package or a bad config does not fix itself; a missing device may be plugged in.
      if (e.code === 'NO_SERVICE' || e.code === 'ILLEGAL') return;
      const policy = this.options.reopen ?? defaultReopen;
      const timers = this.options.timers ?? realTimers;
      this.retryTimers.set(
        entry.name,
        timers.setTimeout(() => {
          this.retryTimers.delete(entry.name);
          void this.startOne(entry, Math.min(nextDelay_ms * 2, policy.maxDelay_ms));
        }, nextDelay_ms),
      );
    }
  }

  private wire(device: Device<unknown>): void {
    device.on('health', (h) => this.emit('health', h));
    device.on('data', (data) => this.emit('data', { device: device.name, data }));
    device.on('error', (error) => this.emit('error', { device: device.name, error }));
    device.on('status', (status) => this.emit('status', { device: device.name, status }));
  }

  /** The device by name, if it was built (it may still be offline). */
  get<D extends Device<unknown>>(name: string): D | undefined {
    return this.devices.get(name) as D | undefined;
  }

  /** One line per configured device, for the terminal's status bar. */
  health(): DeviceHealth[] {
    return this.config.devices.map(
      (e) =>
        this.failures.get(e.name) ??
        this.devices.get(e.name)?.health ?? {
          name: e.name,
          deviceClass: e.class,
          state: 'closed',
          health: 'not-started',
          detail: 'not started',
          transport: '',
        },
    );
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    const timers = this.options.timers ?? realTimers;
    for (const t of this.retryTimers.values()) timers.clearTimeout(t);
    this.retryTimers.clear();
    // Drawers before their printers.
    const list = [...this.devices.values()].sort((a, b) => Number(b.deviceClass === 'cash-drawer') - Number(a.deviceClass === 'cash-drawer'));
    for (const d of list) await d.close().catch((err) => console.error(`closing ${d.name} failed`, err));
  }
}
