import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Receipt } from './receipt';

export interface QueuedReceipt {
  readonly receipt: Receipt;
  /** Set once part of it may have printed: it is printed again in full, marked as a reprint. */
  readonly reprint: boolean;
  readonly queuedAt: string;
}

/** Receipts waiting for the printer, oldest first. A receipt leaves only after it printed. */
export interface PrintQueueStore {
  list(): QueuedReceipt[];
  put(item: QueuedReceipt): void;
  remove(id: string): void;
}

export class InMemoryPrintQueue implements PrintQueueStore {
  private items: QueuedReceipt[] = [];
  list(): QueuedReceipt[] {
    return [...this.items];
  }
  put(item: QueuedReceipt): void {
    const i = this.items.findIndex((x) => x.receipt.id === item.receipt.id);
    if (i >= 0) this.items[i] = item;
    else this.items.push(item);
  }
  remove(id: string): void {
    this.items = this.items.filter((x) => x.receipt.id !== id);
  }
}

/** The queue in a JSON file, rewritten atomically, so queued receipts survive a restart. */
export class FilePrintQueue implements PrintQueueStore {
  private readonly mem = new InMemoryPrintQueue();

  constructor(private readonly path: string) {
    let items: QueuedReceipt[] = [];
    try {
      items = JSON.parse(readFileSync(path, 'utf8')) as QueuedReceipt[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const i of items) this.mem.put(i);
  }

  list(): QueuedReceipt[] {
    return this.mem.list();
  }
  put(item: QueuedReceipt): void {
    this.mem.put(item);
    this.save();
  }
  remove(id: string): void {
    this.mem.remove(id);
    this.save();
  }
  private save(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.mem.list()));
    renameSync(tmp, this.path);
  }
}
