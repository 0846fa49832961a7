import { appendFileSync, readFileSync } from 'node:fs';

export type JournalState = 'pending' | 'approved' | 'declined' | 'not-charged' | 'voided' | 'unknown';

/** One card-payment attempt, written before anything is sent to the terminal. */
export interface JournalEntry {
  readonly ecrRef: string;
  readonly kind: 'sale' | 'void' | 'refund';
  /** The business document (sale id) this payment belongs to. */
  readonly documentId: string;
  readonly amount_minor: number;
  readonly state: JournalState;
  readonly terminalRef?: string;
  readonly authCode?: string;
  /** For void/refund: the sale it reverses. */
  readonly originalEcrRef?: string;
  readonly note?: string;
  readonly updatedAt: string;
}

/**
 * Where pending payments are remembered across crashes. The terminal backs it with SQLite in the
 * same database as its ledger; drivers ship a file and an in-memory implementation.
 */
export interface PaymentJournal {
  /** A reference never used before on this terminal (6 characters: fits every ECR protocol). */
  nextRef(): string;
  put(entry: JournalEntry): void;
  get(ecrRef: string): JournalEntry | undefined;
  byDocument(documentId: string): JournalEntry[];
  /** Entries still pending or unknown, oldest first. */
  unresolved(): JournalEntry[];
}

export class InMemoryPaymentJournal implements PaymentJournal {
  protected readonly entries = new Map<string, JournalEntry>();
  protected counter = 0;

  nextRef(): string {
    this.counter++;
    return this.counter.toString(36).toUpperCase().padStart(6, '0');
  }
  put(entry: JournalEntry): void {
    this.entries.delete(entry.ecrRef); // keep insertion order = last change
    this.entries.set(entry.ecrRef, entry);
  }
  get(ecrRef: string): JournalEntry | undefined {
    return this.entries.get(ecrRef);
  }
  byDocument(documentId: string): JournalEntry[] {
    return [...this.entries.values()].filter((e) => e.documentId === documentId);
  }
  unresolved(): JournalEntry[] {
    return [...this.entries.values()].filter((e) => e.state === 'pending' || e.state === 'unknown');
  }
}

/**
 * The journal as an append-only JSON-lines file: each change is one line, fsync'd by the OS on
 * append; the last line per reference wins when the file is read back.
 */
export class FilePaymentJournal extends InMemoryPaymentJournal {
  constructor(private readonly path: string) {
    super();
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let e: JournalEntry | { reserve: string };
      try {
        e = JSON.parse(line) as JournalEntry | { reserve: string };
      } catch {
        continue; // a torn last line from a crash mid-write
      }
      const ref = 'reserve' in e ? e.reserve : e.ecrRef;
      if (!('reserve' in e)) super.put(e);
      this.counter = Math.max(this.counter, parseInt(ref, 36) || 0);
    }
  }

  override nextRef(): string {
    const ref = super.nextRef();
    appendFileSync(this.path, `${JSON.stringify({ reserve: ref })}\n`);
    return ref;
  }

  override put(entry: JournalEntry): void {
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
    super.put(entry);
  }
}
