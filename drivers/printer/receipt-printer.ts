import * as cmd from '../../protocols/escpos/commands';
import {
  type PrinterStatus,
  STATUS_OK,
  applyRealtimeStatus,
  applyTransmitPaperStatus,
  decodeAsb,
  isAsbHeader,
  isRealtimeStatusByte,
  isTransmitStatusByte,
} from '../../protocols/escpos/status';
import { Device, type DeviceOptions } from '../device';
import { DeviceError } from '../errors';
import type { Transport } from '../transport';
import { InMemoryPrintQueue, type PrintQueueStore, type QueuedReceipt } from './print-queue';
import { type Receipt, type ThermalInterface, buildReceipt } from './receipt';

export type NotPrintedReason = 'PAPER_EMPTY' | 'COVER_OPEN' | 'OFFLINE';

export type PrintOutcome =
  | { readonly status: 'printed'; readonly id: string }
  | { readonly status: 'queued'; readonly id: string; readonly reason: NotPrintedReason; readonly message: string };

/** OutputCompleteEvent: a receipt (maybe queued earlier) has come out of the printer. */
export interface OutputComplete {
  readonly id: string;
  readonly reprint: boolean;
}

export interface ReceiptPrinterOptions extends DeviceOptions {
  readonly widthChars?: number;
  readonly statusPoll_ms?: number;
  /** How long one real-time status answer may take. */
  readonly statusTimeout_ms?: number;
  /** How long a receipt may take to print before its status is checked again. */
  readonly completionTimeout_ms?: number;
  readonly queue?: PrintQueueStore;
}

function notReady(s: PrinterStatus): NotPrintedReason | undefined {
  if (s.coverOpen) return 'COVER_OPEN';
  if (s.paperEmpty) return 'PAPER_EMPTY';
  if (!s.online) return 'OFFLINE';
  return undefined;
}

const CASHIER_MESSAGE: Record<NotPrintedReason, string> = {
  PAPER_EMPTY: 'The receipt printer is out of paper. Load a new roll; waiting receipts will print then.',
  COVER_OPEN: 'The receipt printer cover is open. Close it; waiting receipts will print then.',
  OFFLINE: 'The receipt printer is not answering. Check its power and cable; waiting receipts will print when it is back.',
};

/**
 * An ESC/POS receipt printer. A receipt is queued first and leaves the queue only when the printer
 * confirms it printed (GS r after the data); out of paper, cover open or offline keep it queued,
 * tell the cashier, and print it (in full, marked as a reprint if it was cut short) when the
 * printer is ready again.
 */
export class ReceiptPrinter extends Device<OutputComplete> {
  private status: PrinterStatus = { ...STATUS_OK };
  private statusKnown = false;
  private realtimeWaiters: ((b: number | undefined) => void)[] = [];
  /** While a receipt prints: GS r answers and 'interrupted' (status turned bad), in arrival order. */
  private completion: { results: (number | 'interrupted')[]; wake?: () => void } | undefined;
  private asb: number[] | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private busy = false;
  private pollTimer: unknown;
  private readonly queue: PrintQueueStore;
  private readonly widthChars: number;
  private readonly statusPoll_ms: number;
  private readonly statusTimeout_ms: number;
  private readonly completionTimeout_ms: number;
  /** The interface object node-thermal-printer is given: execute() writes to our transport. */
  readonly thermalInterface: ThermalInterface;

  constructor(name: string, transport: Transport, options: ReceiptPrinterOptions = {}) {
    super(name, 'receipt-printer', transport, options);
    this.queue = options.queue ?? new InMemoryPrintQueue();
    this.widthChars = options.widthChars ?? 48;
    this.statusPoll_ms = options.statusPoll_ms ?? 2000;
    this.statusTimeout_ms = options.statusTimeout_ms ?? 1000;
    this.completionTimeout_ms = options.completionTimeout_ms ?? 15_000;
    this.thermalInterface = {
      getPrinterName: () => name,
      isPrinterConnected: async () => this.transport.isOpen && (await this.query(1)) !== undefined,
      execute: async (buffer) => this.transport.write(new Uint8Array(buffer)),
    };
  }

  get printerStatus(): PrinterStatus {
    return this.status;
  }

  /** Receipts waiting for the printer. */
  get waiting(): readonly QueuedReceipt[] {
    return this.queue.list();
  }

  /** Prints now, or queues and says why. Never drops a receipt. */
  async print(receipt: Receipt): Promise<PrintOutcome> {
    if (!this.queue.list().some((q) => q.receipt.id === receipt.id)) {
      this.queue.put({ receipt, reprint: false, queuedAt: new Date().toISOString() });
    }
    // A printer that has not started (yet) keeps the receipt; it prints once the printer is enabled.
    if (this.state !== 'enabled') return this.queued(receipt.id, 'OFFLINE');
    const outcome = await this.locked(() => this.drain(receipt.id));
    return outcome ?? { status: 'printed', id: receipt.id };
  }

  /** Pulses the drawer kick connector (ESC p). */
  async kickDrawer(pin: 2 | 5, on_ms: number, off_ms: number): Promise<void> {
    this.requireEnabled('open the cash drawer');
    await this.transport.write(cmd.drawerKick(pin, on_ms, off_ms));
  }

  /** Drawer switch via DLE EOT 1; undefined when the printer does not answer. */
  async drawerOpen(): Promise<boolean | undefined> {
    this.requireEnabled('read the drawer');
    const b = await this.query(1);
    if (b === undefined) return undefined;
    this.updateStatus(applyRealtimeStatus(1, b, this.status));
    return this.status.drawerOpen;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  protected override async onOpen(): Promise<void> {
    this.asb = undefined;
    this.realtimeWaiters = [];
    this.statusKnown = await this.refreshStatus();
    await this.transport.write(cmd.enableAsb(0x0f));
  }

  protected override healthWhenUp(): { health: 'ok' | 'warning'; detail: string } {
    if (!this.statusKnown) return { health: 'warning', detail: `${this.name} does not answer status requests; receipts print without paper checks` };
    const reason = notReady(this.status);
    if (reason) return { health: 'warning', detail: CASHIER_MESSAGE[reason] };
    if (this.status.paperNearEnd) return { health: 'warning', detail: 'The receipt paper is nearly used up.' };
    return { health: 'ok', detail: '' };
  }

  protected override async onEnable(): Promise<void> {
    this.schedulePoll();
    if (this.health.health !== 'offline') this.drainSoon();
  }

  protected override onReopened(): void {
    this.drainSoon();
  }

  /** Prints whatever waits, in the background; outcomes arrive as data/status/error events. */
  private drainSoon(): void {
    if (this.queue.list().length === 0 || this.state !== 'enabled') return;
    void this.locked(() => this.drain()).catch((err: unknown) => this.emitError(new DeviceError('FAILURE', `${this.name}: ${(err as Error).message}`, this.name, { cause: err })));
  }

  protected override async onDisable(): Promise<void> {
    this.stopPoll();
  }

  protected override async onClose(): Promise<void> {
    this.stopPoll();
    this.failWaiters();
  }

  protected override onLinkLost(): void {
    this.failWaiters();
  }

  protected onBytes(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (this.asb) {
        this.asb.push(b);
        if (this.asb.length === 4) {
          const bytes = Uint8Array.from(this.asb);
          this.asb = undefined;
          this.updateStatus(decodeAsb(bytes));
        }
      } else if (isAsbHeader(b)) {
        this.asb = [b];
      } else if (isRealtimeStatusByte(b)) {
        this.realtimeWaiters.shift()?.(b);
      } else if (isTransmitStatusByte(b)) {
        // The receipt before this answer is complete, whatever the paper says now.
        this.pushCompletion(b);
        this.updateStatus(applyTransmitPaperStatus(b, this.status));
      }
    }
  }

  // ---- printing -----------------------------------------------------------------------------

  private async drain(targetId?: string): Promise<PrintOutcome | undefined> {
    let target: PrintOutcome | undefined;
    const had = this.queue.list().length;
    for (const item of this.queue.list()) {
      const r = await this.printOne(item);
      if (item.receipt.id === targetId) target = r;
      if (r.status === 'queued') {
        const waiting = this.queue.list().length;
        this.emitStatus('queue-waiting', `${waiting} receipt(s) waiting: ${r.message}`);
        return item.receipt.id === targetId ? r : { status: 'queued', id: targetId ?? '', reason: r.reason, message: r.message };
      }
    }
    if (had > 1 || targetId === undefined) this.emitStatus('queue-flushed');
    return target;
  }

  private queued(id: string, reason: NotPrintedReason): PrintOutcome {
    return { status: 'queued', id, reason, message: CASHIER_MESSAGE[reason] };
  }

  private async printOne(item: QueuedReceipt): Promise<PrintOutcome> {
    const id = item.receipt.id;
    if (!this.transport.isOpen || this.health.health === 'offline') return this.queued(id, 'OFFLINE');
    this.busy = true;
    try {
      if (this.statusKnown) {
        if (!(await this.refreshStatus())) return this.queued(id, 'OFFLINE');
        const reason = notReady(this.status);
        if (reason) return this.queued(id, reason);
      }
      const built = buildReceipt(item.receipt, this.thermalInterface, this.widthChars, item.reprint);
      this.completion = { results: [] };
      await built.send();
      if (!this.statusKnown) return this.done(item);
      await this.transport.write(cmd.transmitPaperStatus());
      for (let attempt = 0; ; attempt++) {
        const r = await this.nextCompletion();
        if (typeof r === 'number') return this.done(item);
        // Interrupted or slow: ask the printer directly (real-time status is answered even offline).
        const known = await this.refreshStatus();
        const reason = known ? notReady(this.status) : 'OFFLINE';
        if (!reason && r === undefined && attempt < 3) continue; // still printing a long receipt
        if (!reason && r === 'interrupted') continue; // a passing glitch that has cleared
        this.completion = undefined;
        if (known) await this.transport.write(cmd.clearBuffers()).catch(() => undefined);
        this.queue.put({ ...item, reprint: true });
        const why = reason ?? 'OFFLINE';
        this.emitError(new DeviceError(why, `${CASHIER_MESSAGE[why]} (receipt ${id} will be reprinted in full)`, this.name));
        return this.queued(id, why);
      }
    } finally {
      this.completion = undefined;
      this.busy = false;
    }
  }

  private done(item: QueuedReceipt): PrintOutcome {
    this.queue.remove(item.receipt.id);
    this.emitData({ id: item.receipt.id, reprint: item.reprint });
    return { status: 'printed', id: item.receipt.id };
  }

  /** Next completion result, or undefined after completionTimeout_ms. */
  private nextCompletion(): Promise<number | 'interrupted' | undefined> {
    const c = this.completion;
    if (!c) return Promise.resolve(undefined);
    const ready = c.results.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        c.wake = undefined;
        resolve(undefined);
      }, this.completionTimeout_ms);
      c.wake = () => {
        this.timers.clearTimeout(timer);
        c.wake = undefined;
        resolve(c.results.shift());
      };
    });
  }

  private pushCompletion(r: number | 'interrupted'): void {
    const c = this.completion;
    if (!c) return;
    c.results.push(r);
    c.wake?.();
  }

  // ---- status -------------------------------------------------------------------------------

  private query(n: 1 | 2 | 3 | 4): Promise<number | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const waiter = (b: number | undefined) => {
        if (settled) return;
        settled = true;
        this.timers.clearTimeout(timer);
        resolve(b);
      };
      const timer = this.timers.setTimeout(() => {
        this.realtimeWaiters = this.realtimeWaiters.filter((w) => w !== waiter);
        waiter(undefined);
      }, this.statusTimeout_ms);
      this.realtimeWaiters.push(waiter);
      this.transport.write(cmd.realtimeStatus(n)).catch(() => waiter(undefined));
    });
  }

  /** DLE EOT 1, 2, 4; false when the printer did not answer. */
  private async refreshStatus(): Promise<boolean> {
    let s = this.status;
    for (const n of [1, 2, 4] as const) {
      const b = await this.query(n);
      if (b === undefined) return false;
      s = applyRealtimeStatus(n, b, s);
    }
    this.updateStatus(s);
    return true;
  }

  private updateStatus(next: PrinterStatus): void {
    const prev = this.status;
    this.status = next;
    if (prev.paperEmpty !== next.paperEmpty) this.emitStatus(next.paperEmpty ? 'paper-empty' : 'paper-ok');
    if (prev.paperNearEnd !== next.paperNearEnd && next.paperNearEnd) this.emitStatus('paper-near-end');
    if (prev.coverOpen !== next.coverOpen) this.emitStatus(next.coverOpen ? 'cover-open' : 'cover-ok');
    if (prev.drawerOpen !== next.drawerOpen) this.emitStatus(next.drawerOpen ? 'drawer-open' : 'drawer-closed');
    const reason = notReady(next);
    if (this.health.health !== 'offline' && this.health.health !== 'not-started') {
      const h = this.healthWhenUp();
      this.setHealth(h.health, h.detail);
    }
    if (reason) this.pushCompletion('interrupted');
    if (!reason && notReady(prev)) this.drainSoon();
  }

  private schedulePoll(): void {
    this.stopPoll();
    this.pollTimer = this.timers.setTimeout(() => void this.poll(), this.statusPoll_ms);
  }

  private stopPoll(): void {
    if (this.pollTimer !== undefined) this.timers.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (this.state !== 'enabled') return;
    if (!this.busy && this.statusKnown && this.health.health !== 'offline') {
      // A printer that stops answering is shown offline; its return then releases the queue.
      if (!(await this.refreshStatus())) this.updateStatus({ ...this.status, online: false });
      else if (!notReady(this.status)) this.drainSoon();
    }
    if (this.state === 'enabled') this.schedulePoll();
  }

  private failWaiters(): void {
    const ws = this.realtimeWaiters;
    this.realtimeWaiters = [];
    for (const w of ws) w(undefined);
    this.completion?.wake?.();
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
