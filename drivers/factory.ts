import { join } from 'node:path';
import type { HmacFn } from '../protocols/crypto/sha1';
import { IdWedgeReader } from './card-reader/id-wedge-reader';
import { Pn532Reader } from './card-reader/pn532-reader';
import type { ReopenPolicy, Timers } from './device';
import { DeviceError } from './errors';
import type { DeviceFactory } from './manager';
import { ConcertTerminal } from './payment/concert-terminal';
import { PipeEcrTerminal } from './payment/pipe-ecr-terminal';
import { CashDrawer } from './printer/cash-drawer';
import { FilePrintQueue } from './printer/print-queue';
import { ReceiptPrinter } from './printer/receipt-printer';
import { Scanner } from './scanner/scanner';
import type { Transport } from './transport';
import { createTransport } from './transports/create';

export interface FactoryContext {
  /** In-process simulator transports by id (devices.json transport type "simulator"). */
  readonly simulators?: ReadonlyMap<string, Transport>;
  /** Per-chain key for the MIFARE identity block (anti-clone check); without it UIDs are trusted. */
  readonly chainKey?: Uint8Array;
  readonly hmac?: HmacFn;
  /** Folder for print queues; in memory when absent. */
  readonly dataDir?: string;
  readonly reopen?: ReopenPolicy;
  readonly timers?: Timers;
}

/** Builds each device class from its devices.json entry. The composition root calls this once. */
export function createDeviceFactory(ctx: FactoryContext = {}): DeviceFactory {
  const base = { ...(ctx.reopen ? { reopen: ctx.reopen } : {}), ...(ctx.timers ? { timers: ctx.timers } : {}) };
  return (entry, manager) => {
    switch (entry.class) {
      case 'scanner':
        return new Scanner(entry.name, createTransport(entry.transport, ctx.simulators), entry.protocol, entry.variableMeasure === undefined ? [] : [entry.variableMeasure].flat(), base);
      case 'member-card-reader': {
        const transport = createTransport(entry.transport, ctx.simulators);
        if (entry.protocol === 'id-wedge') return new IdWedgeReader(entry.name, transport, entry.idFormat, base);
        const identity =
          entry.identityBlock !== undefined && entry.keyA && ctx.chainKey
            ? { block: entry.identityBlock, keyA: hexBytes(entry.keyA), chainKey: ctx.chainKey, ...(ctx.hmac ? { hmac: ctx.hmac } : {}) }
            : undefined;
        return new Pn532Reader(entry.name, transport, { ...base, poll_ms: entry.poll_ms, ...(identity ? { identity } : {}) });
      }
      case 'receipt-printer':
        return new ReceiptPrinter(entry.name, createTransport(entry.transport, ctx.simulators), {
          ...base,
          widthChars: entry.widthChars,
          statusPoll_ms: entry.statusPoll_ms,
          ...(ctx.dataDir ? { queue: new FilePrintQueue(join(ctx.dataDir, `print-queue-${entry.name}.json`)) } : {}),
        });
      case 'cash-drawer': {
        const printer = manager.get<ReceiptPrinter>(entry.printer);
        if (!printer) throw new DeviceError('NO_HARDWARE', `printer "${entry.printer}" was not built`);
        return new CashDrawer(entry.name, printer, { pin: entry.pin, on_ms: entry.on_ms, off_ms: entry.off_ms }, base);
      }
      case 'payment-terminal': {
        const transport = createTransport(entry.transport, ctx.simulators);
        const options = { ...base, response_ms: entry.response_timeout_ms };
        return entry.protocol === 'concert'
          ? new ConcertTerminal(entry.name, transport, { ...options, pos: entry.posNumber, currency: entry.currency })
          : new PipeEcrTerminal(entry.name, transport, options);
      }
    }
  };
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}
