import { Device, type DeviceOptions } from '../device';
import { DeviceError } from '../errors';
import { type Transport, TransportListeners } from '../transport';
import type { ReceiptPrinter } from './receipt-printer';

/**
 * A cash drawer on a receipt printer's drawer port. It has no link of its own: it is open when
 * its printer is, and goes offline with it.
 */
export class CashDrawer extends Device<never> {
  constructor(
    name: string,
    private readonly printer: ReceiptPrinter,
    private readonly pulse: { readonly pin: 2 | 5; readonly on_ms: number; readonly off_ms: number },
    options?: DeviceOptions,
  ) {
    super(name, 'cash-drawer', viaPrinter(printer), options);
  }

  /** Kicks the drawer open. */
  async openDrawer(): Promise<void> {
    this.requireEnabled('open');
    await this.printer.kickDrawer(this.pulse.pin, this.pulse.on_ms, this.pulse.off_ms);
  }

  /** True when the drawer switch reports open; undefined when the printer does not say. */
  async isOpen(): Promise<boolean | undefined> {
    this.requireEnabled('read its switch');
    return this.printer.drawerOpen();
  }

  protected onBytes(): void {}
}

function viaPrinter(printer: ReceiptPrinter): Transport {
  const listeners = new TransportListeners();
  let open = false;
  printer.on('status', (s) => {
    if (s.code === 'offline' && open) listeners.emitDisconnect(new Error(`its printer ${printer.name} is offline`));
  });
  return {
    description: `drawer port of ${printer.name}`,
    get isOpen() {
      return open && printer.state !== 'closed';
    },
    async open() {
      if (printer.state !== 'enabled' || printer.health.health === 'offline') {
        throw new DeviceError('NO_HARDWARE', `its printer ${printer.name} is not running (${printer.health.detail || printer.state})`);
      }
      open = true;
    },
    async close() {
      open = false;
    },
    async write() {
      throw new DeviceError('ILLEGAL', 'a cash drawer is driven through its printer');
    },
    onData: (l) => listeners.onData(l),
    onDisconnect: (l) => listeners.onDisconnect(l),
  };
}
