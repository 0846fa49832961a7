import { DeviceError, asDeviceError } from './errors';
import type { Transport } from './transport';
import { TypedEmitter } from './typed-emitter';

export type DeviceClass = 'scanner' | 'member-card-reader' | 'receipt-printer' | 'cash-drawer' | 'payment-terminal';

/** UnifiedPOS lifecycle: each step requires the one before it. */
export type LifecycleState = 'closed' | 'opened' | 'claimed' | 'enabled';

/** What the terminal's status bar shows for a device. */
export type HealthState = 'ok' | 'warning' | 'offline' | 'not-started';

/** StatusUpdateEvent codes (SUE_POWER_*, PTR_SUE_*), in words. */
export type StatusCode =
  | 'online'
  | 'offline'
  | 'reconnecting'
  | 'paper-ok'
  | 'paper-near-end'
  | 'paper-empty'
  | 'cover-open'
  | 'cover-ok'
  | 'card-removed'
  | 'drawer-open'
  | 'drawer-closed'
  | 'queue-waiting'
  | 'queue-flushed';

export interface StatusEvent {
  readonly code: StatusCode;
  readonly detail?: string;
}

export interface DeviceEvents<TData> extends Record<string, unknown> {
  data: TData;
  error: DeviceError;
  status: StatusEvent;
  health: DeviceHealth;
}

export interface DeviceHealth {
  readonly name: string;
  readonly deviceClass: DeviceClass;
  readonly state: LifecycleState;
  readonly health: HealthState;
  /** What is wrong, in words a technician can act on; empty when healthy. */
  readonly detail: string;
  readonly transport: string;
}

/** How a device that disappeared is reopened: retry with growing delays, forever. */
export interface ReopenPolicy {
  readonly firstDelay_ms: number;
  readonly maxDelay_ms: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface DeviceOptions {
  readonly reopen?: ReopenPolicy;
  readonly timers?: Timers;
}

export const defaultReopen: ReopenPolicy = { firstDelay_ms: 500, maxDelay_ms: 10_000 };

/**
 * Base of every device class. Subclasses implement the hooks; the base enforces the lifecycle,
 * keeps health, and reopens the transport after an unplug, restoring claim and enable.
 */
export abstract class Device<TData> extends TypedEmitter<DeviceEvents<TData>> {
  private lifecycle: LifecycleState = 'closed';
  private healthState: HealthState = 'not-started';
  private healthDetail = 'not opened yet';
  private reopenTimer: unknown;
  private reopenDelay_ms: number;
  private unsubscribe: (() => void)[] = [];
  protected readonly timers: Timers;
  private readonly reopenPolicy: ReopenPolicy;

  constructor(
    readonly name: string,
    readonly deviceClass: DeviceClass,
    protected readonly transport: Transport,
    options: DeviceOptions = {},
  ) {
    super();
    this.timers = options.timers ?? realTimers;
    this.reopenPolicy = options.reopen ?? defaultReopen;
    this.reopenDelay_ms = this.reopenPolicy.firstDelay_ms;
  }

  get state(): LifecycleState {
    return this.lifecycle;
  }

  get health(): DeviceHealth {
    return {
      name: this.name,
      deviceClass: this.deviceClass,
      state: this.lifecycle,
      health: this.healthState,
      detail: this.healthDetail,
      transport: this.transport.description,
    };
  }

  /** Opens the transport and brings the device to a known state. */
  async open(): Promise<void> {
    if (this.lifecycle !== 'closed') throw this.illegal('open', 'it is already open');
    try {
      this.attachTransport();
      await this.transport.open();
      await this.onOpen();
    } catch (err) {
      this.detachTransport();
      await this.transport.close().catch(() => undefined);
      const e = asDeviceError(err, 'NO_HARDWARE', this.name);
      this.setHealth('not-started', `${this.name} (${this.transport.description}) could not start: ${e.message}`);
      throw e;
    }
    this.lifecycle = 'opened';
    const h = this.healthWhenUp();
    this.setHealth(h.health, h.detail);
  }

  /** Takes exclusive use; this process is the only owner, so claim only checks the state. */
  async claim(): Promise<void> {
    if (this.lifecycle !== 'opened') throw this.illegal('claim', `it is ${this.lifecycle}`);
    this.lifecycle = 'claimed';
  }

  async enable(): Promise<void> {
    if (this.lifecycle !== 'claimed') throw this.illegal('enable', `it is ${this.lifecycle}`);
    await this.onEnable();
    this.lifecycle = 'enabled';
  }

  async disable(): Promise<void> {
    if (this.lifecycle !== 'enabled') throw this.illegal('disable', `it is ${this.lifecycle}`);
    this.lifecycle = 'claimed';
    await this.onDisable();
  }

  async release(): Promise<void> {
    if (this.lifecycle === 'enabled') await this.disable();
    if (this.lifecycle !== 'claimed') throw this.illegal('release', `it is ${this.lifecycle}`);
    this.lifecycle = 'opened';
  }

  /** Closes from any state; stops reopen attempts. */
  async close(): Promise<void> {
    if (this.reopenTimer !== undefined) this.timers.clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    if (this.lifecycle === 'enabled') await this.onDisable().catch(() => undefined);
    this.lifecycle = 'closed';
    this.detachTransport();
    await this.onClose();
    await this.transport.close();
    this.setHealth('not-started', 'closed');
  }

  /** open → claim → enable in one call, as the device manager does; resumes a start that failed midway. */
  async start(): Promise<void> {
    if (this.lifecycle === 'closed') await this.open();
    if (this.lifecycle === 'opened') await this.claim();
    if (this.lifecycle === 'claimed') await this.enable();
  }

  // ---- hooks --------------------------------------------------------------------------------
  /** Talk to the device after the transport opened (wake-up, status query). */
  protected async onOpen(): Promise<void> {}
  protected async onEnable(): Promise<void> {}
  protected async onDisable(): Promise<void> {}
  protected async onClose(): Promise<void> {}
  /** Health once the link is up: ok, or a warning the device knows of (e.g. no paper). */
  protected healthWhenUp(): { health: HealthState; detail: string } {
    return { health: 'ok', detail: '' };
  }
  /** The device is back after a reopen (e.g. print what waited). */
  protected onReopened(): void {}
  /** Bytes from the transport. */
  protected abstract onBytes(chunk: Uint8Array): void;
  /** The link dropped: fail whatever is in flight. */
  protected onLinkLost(_cause: DeviceError): void {}

  // ---- helpers for subclasses ------------------------------------------------------------------
  protected get enabled(): boolean {
    return this.lifecycle === 'enabled';
  }

  protected requireEnabled(what: string): void {
    if (this.lifecycle !== 'enabled') {
      throw new DeviceError(
        this.lifecycle === 'closed' ? 'CLOSED' : 'DISABLED',
        `${this.name} cannot ${what}: it is ${this.lifecycle}`,
        this.name,
      );
    }
    if (this.healthState === 'offline') {
      throw new DeviceError('OFFLINE', `${this.name} cannot ${what}: ${this.healthDetail}`, this.name);
    }
  }

  /** Data events are delivered only while enabled (UnifiedPOS DataEventEnabled). */
  protected emitData(data: TData): void {
    if (this.lifecycle === 'enabled') this.emit('data', data);
  }

  protected emitError(error: DeviceError): void {
    this.emit('error', error);
  }

  protected emitStatus(code: StatusCode, detail?: string): void {
    this.emit('status', detail === undefined ? { code } : { code, detail });
  }

  protected setHealth(health: HealthState, detail: string): void {
    if (health === this.healthState && detail === this.healthDetail) return;
    this.healthState = health;
    this.healthDetail = detail;
    this.emit('health', this.health);
  }

  // ---- link loss and reopen ----------------------------------------------------------------
  private attachTransport(): void {
    this.unsubscribe.push(
      this.transport.onData((chunk) => {
        try {
          this.onBytes(chunk);
        } catch (err) {
          this.emitError(asDeviceError(err, 'PROTOCOL', this.name));
        }
      }),
      this.transport.onDisconnect((cause) => this.linkLost(cause)),
    );
  }

  private detachTransport(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  private linkLost(cause: Error): void {
    if (this.lifecycle === 'closed' || this.healthState === 'offline') return;
    const error = new DeviceError('OFFLINE', `${this.name} went offline: ${cause.message}`, this.name, { cause });
    this.setHealth('offline', error.message);
    this.onLinkLost(error);
    this.emitStatus('offline', cause.message);
    this.emitError(error);
    this.reopenDelay_ms = this.reopenPolicy.firstDelay_ms;
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    this.reopenTimer = this.timers.setTimeout(() => void this.tryReopen(), this.reopenDelay_ms);
    this.reopenDelay_ms = Math.min(this.reopenDelay_ms * 2, this.reopenPolicy.maxDelay_ms);
  }

  private async tryReopen(): Promise<void> {
    this.reopenTimer = undefined;
    if (this.isClosed()) return;
    this.emitStatus('reconnecting');
    try {
      await this.transport.close().catch(() => undefined);
      await this.transport.open();
      if (this.isClosed()) return void (await this.transport.close());
      await this.onOpen();
      if (this.lifecycle === 'enabled') await this.onEnable();
    } catch (err) {
      if (this.isClosed()) return;
      this.setHealth('offline', `${this.name} is still offline: ${asDeviceError(err, 'OFFLINE').message}`);
      this.scheduleReopen();
      return;
    }
    if (this.isClosed()) return void (await this.transport.close());
    const h = this.healthWhenUp();
    this.setHealth(h.health, h.detail);
    this.emitStatus('online');
    this.onReopened();
  }

  private isClosed(): boolean {
    return this.lifecycle === 'closed';
  }

  private illegal(what: string, why: string): DeviceError {
    return new DeviceError('ILLEGAL', `${this.name} cannot ${what}: ${why}`, this.name);
  }
}
