import {
  DeviceManager,
  JournaledPayments,
  type CardPresented,
  type CashDrawer,
  type DeviceFactory,
  type DeviceHealth,
  type DevicesConfig,
  type PaymentOutcome,
  type PaymentTerminal,
  type Pn532Reader,
  type PrintOutcome,
  type Receipt,
  type ReceiptPrinter,
  type ScanData,
  type VirtualDevicePanel,
} from '../drivers';
import type { VariableMeasureLayout } from '../protocols/barcode/variable-measure';
import type { PaymentProgressCode } from '../protocols/ecr/progress';
import type { TerminalDb } from './db';
import { SqlitePaymentJournal } from './payment-journal';

/** What the composition root hands the terminal: the lane's devices and, when simulated, their panel. */
export interface LaneDevices {
  config: DevicesConfig;
  factory: DeviceFactory;
  /** Present when the devices are simulators: the UI then shows the "virtual devices" panel. */
  panel?: VirtualDevicePanel;
  /** The chain's card key, to write the identity block of a card issued at this lane (anti-clone). */
  chainKey?: Uint8Array;
}

/**
 * The store's scale-label layouts, as its scanners are configured in devices.json: the checkout
 * reads a label number typed by hand with the same layouts the scanner reads a scanned one with.
 * Empty when no scanner sets any: the checkout then uses the chain's scaleLabelLayouts setting.
 */
export function scaleLabelLayouts(config: DevicesConfig): VariableMeasureLayout[] {
  return config.devices.flatMap((d) => (d.class === 'scanner' && d.variableMeasure !== undefined ? [d.variableMeasure].flat() : []));
}

/** What happens at the lane, as the cashier UI hears of it (through the events stream). */
export type LaneEvent =
  | { type: 'scan'; device: string; scan: ScanData }
  | { type: 'card'; device: string; card: CardPresented }
  | { type: 'card-removed'; device: string }
  | { type: 'health'; health: DeviceHealth }
  | { type: 'receipt-printed'; id: string; reprint: boolean }
  | { type: 'receipt-queued'; id: string; reason: string; message: string; waiting: number }
  | { type: 'device-error'; device: string; code: string; message: string }
  /** What the payment terminal reported (protocols/ecr/progress.ts), then DONE when the attempt is over. */
  | { type: 'payment-progress'; documentId: string; stage: PaymentProgressCode | 'DONE'; terminalCode?: string };

type Listener = (e: LaneEvent) => void;

/**
 * A store lane: every device of devices.json (or the simulators) under one DeviceManager, the
 * receipt printer's queue, the drawer, and bank-card payments through JournaledPayments whose
 * journal lives in the terminal's SQLite. Devices that fail never stop the checkout: health says
 * why, sales go on (a receipt waits in the queue, cash is still taken, a card can be paid by hand).
 */
export class StoreLane {
  readonly manager: DeviceManager;
  readonly journal: SqlitePaymentJournal;
  private payments: JournaledPayments | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly devices: LaneDevices,
    db: TerminalDb,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.manager = new DeviceManager(devices.config, devices.factory);
    this.journal = new SqlitePaymentJournal(db);
  }

  get simulated(): boolean {
    return this.devices.panel !== undefined;
  }

  get panel(): VirtualDevicePanel | undefined {
    return this.devices.panel;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: LaneEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.log(`lane listener failed on ${e.type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  }

  /** Starts every device (each one that cannot start is retried by the manager) and resolves card payments a crash left pending. */
  async start(): Promise<void> {
    this.offs.push(
      this.manager.on('data', ({ device, data }) => {
        const d = this.manager.get(device);
        if (!d) return;
        if (d.deviceClass === 'scanner') this.emit({ type: 'scan', device, scan: data as ScanData });
        else if (d.deviceClass === 'member-card-reader') this.emit({ type: 'card', device, card: data as CardPresented });
        else if (d.deviceClass === 'receipt-printer') {
          const done = data as { id: string; reprint: boolean };
          this.emit({ type: 'receipt-printed', id: done.id, reprint: done.reprint });
        }
      }),
      this.manager.on('status', ({ device, status }) => {
        if (status.code === 'card-removed') this.emit({ type: 'card-removed', device });
      }),
      this.manager.on('health', (health) => this.emit({ type: 'health', health })),
      this.manager.on('error', ({ device, error }) => {
        this.log(`device ${device}: ${error.code} ${error.message}`);
        this.emit({ type: 'device-error', device, code: error.code, message: error.message });
      }),
    );
    for (const h of await this.manager.startAll()) if (h.health !== 'ok') this.log(`device ${h.name}: ${h.health} — ${h.detail}`);
    const terminal = this.paymentTerminal();
    if (terminal && terminal.state === 'enabled') {
      for (const o of await this.cardPayments().recover()) this.log(`card payment ${o.ecrRef} left pending by the last run: ${o.status}`);
    }
  }

  health(): DeviceHealth[] {
    return this.manager.health();
  }

  private first<D>(cls: string): D | undefined {
    const entry = this.devices.config.devices.find((d) => d.class === cls);
    return entry ? (this.manager.get(entry.name) as D | undefined) : undefined;
  }

  private paymentTerminal(): (PaymentTerminal & { state: string }) | undefined {
    return this.first<PaymentTerminal & { state: string }>('payment-terminal');
  }

  get hasPaymentTerminal(): boolean {
    return this.paymentTerminal() !== undefined;
  }

  private cardPayments(): JournaledPayments {
    const terminal = this.paymentTerminal();
    if (!terminal) throw new Error('this lane has no payment terminal');
    this.payments ??= new JournaledPayments(terminal, this.journal);
    return this.payments;
  }

  /**
   * Columns of this lane's paper: the receipt printer's `widthChars` in devices.json (32 on a
   * 58 mm roll), 48 (80 mm) when no printer is configured. Receipts are laid out at this width,
   * because the printer wraps a longer line wherever it runs out.
   */
  get receiptWidth(): number {
    const entry = this.devices.config.devices.find((d) => d.class === 'receipt-printer');
    return entry?.class === 'receipt-printer' ? entry.widthChars : 48;
  }

  /** Prints now or queues (never loses the receipt); the outcome also goes out as an event. */
  async print(receipt: Receipt): Promise<PrintOutcome> {
    const printer = this.first<ReceiptPrinter>('receipt-printer');
    if (!printer) {
      const message = 'No receipt printer is configured for this lane.';
      this.emit({ type: 'receipt-queued', id: receipt.id, reason: 'NO_PRINTER', message, waiting: 0 });
      return { status: 'queued', id: receipt.id, reason: 'OFFLINE', message };
    }
    const outcome = await printer.print(receipt);
    if (outcome.status === 'queued') this.emit({ type: 'receipt-queued', id: receipt.id, reason: outcome.reason, message: outcome.message, waiting: printer.waiting.length });
    return outcome;
  }

  /**
   * Writes the chain's identity block on the MIFARE card now on the reader (issue at the member
   * desk), so the reader's anti-clone check accepts it from then on. The card must be the one
   * whose UID is `uid`.
   */
  async issueCard(uid: string, serial: number): Promise<void> {
    const entry = this.devices.config.devices.find((d) => d.class === 'member-card-reader' && d.protocol === 'pn532');
    if (!entry || entry.class !== 'member-card-reader' || entry.protocol !== 'pn532' || entry.identityBlock === undefined || !entry.keyA || !this.devices.chainKey) {
      throw new Error('this lane cannot write member cards: it needs a PN532 reader with identityBlock and keyA, and the chain key');
    }
    const reader = this.manager.get<Pn532Reader>(entry.name);
    if (!reader) throw new Error(`card reader ${entry.name} has not started`);
    const keyA = Uint8Array.from(entry.keyA.match(/../g) ?? [], (h) => parseInt(h, 16));
    const onReader = reader.cardPresent ?? '';
    if (onReader !== uid.toUpperCase()) throw new Error(`card ${uid} is not on the reader${onReader ? ` (${onReader} is)` : ''}`);
    await reader.writeIdentity(serial, entry.identityBlock, keyA, this.devices.chainKey);
  }

  /** Receipts waiting for the printer. */
  waitingReceipts(): number {
    return this.first<ReceiptPrinter>('receipt-printer')?.waiting.length ?? 0;
  }

  /** Kicks the cash drawer; false (with the reason logged and sent as an event) when it cannot. */
  async openDrawer(): Promise<boolean> {
    const drawer = this.first<CashDrawer>('cash-drawer');
    if (!drawer) return false;
    try {
      await drawer.openDrawer();
      return true;
    } catch (err) {
      const e = err as { code?: string; message: string };
      this.emit({ type: 'device-error', device: drawer.name, code: e.code ?? 'FAILURE', message: `The cash drawer did not open: ${e.message}` });
      return false;
    }
  }

  /**
   * Charges a bank card through the payment terminal. `documentId` names this one card tender
   * (a sale may take several): a retry with the same id after a lost answer never charges twice.
   */
  async chargeCard(documentId: string, amount_minor: number): Promise<PaymentOutcome> {
    const payments = this.cardPayments();
    try {
      // Only what the terminal itself reports: its progress messages, as they arrive.
      return await payments.sale(documentId, amount_minor, (p) =>
        this.emit({ type: 'payment-progress', documentId, stage: p.code, ...(p.terminalCode ? { terminalCode: p.terminalCode } : {}) }),
      );
    } finally {
      this.emit({ type: 'payment-progress', documentId, stage: 'DONE' });
    }
  }

  /** Voids this document's approved card payment (sale cancelled after the card was charged). */
  voidCard(documentId: string): Promise<PaymentOutcome> {
    return this.cardPayments().void(documentId);
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    await this.manager.stopAll();
  }
}
