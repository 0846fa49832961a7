import type { ProgressListener } from '../../protocols/ecr/progress';
import { DeviceError } from '../errors';
import type { JournalEntry, PaymentJournal } from './journal';
import type { PaymentTerminal, TerminalAnswer } from './payment-terminal';

export type PaymentOutcome =
  | { readonly status: 'approved'; readonly ecrRef: string; readonly amount_minor: number; readonly authCode: string; readonly terminalRef: string }
  | { readonly status: 'declined'; readonly ecrRef: string; readonly code: string; readonly message: string }
  /** The answer was lost and the terminal shows no such transaction: nothing was charged; safe to try again. */
  | { readonly status: 'not-charged'; readonly ecrRef: string; readonly message: string }
  /** The terminal charged a different amount than asked: it was voided; try again. */
  | { readonly status: 'voided'; readonly ecrRef: string; readonly message: string }
  /** Cannot tell whether the card was charged: do not charge again; check the terminal's receipt. */
  | { readonly status: 'unknown'; readonly ecrRef: string; readonly message: string };


/**
 * Card payments that are never charged twice. Each attempt is journaled as pending with a fresh
 * ECR reference before the terminal hears of it; a lost answer is resolved by the terminal's
 * last-transaction query: approved → complete; the last transaction is an earlier one of ours →
 * not charged (safe to retry); found with another amount → voided; anything else → unknown. A sale document with an unresolved attempt cannot start
 * another until that one is resolved.
 */
export class JournaledPayments {
  constructor(
    private readonly terminal: PaymentTerminal,
    private readonly journal: PaymentJournal,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private now(): string {
    return this.clock().toISOString();
  }

  /** `onProgress` hears the terminal's progress, then RESOLVING when a lost answer is being looked up. */
  async sale(documentId: string, amount_minor: number, onProgress?: ProgressListener): Promise<PaymentOutcome> {
    if (!Number.isSafeInteger(amount_minor) || amount_minor <= 0) throw new DeviceError('ILLEGAL', `amount ${amount_minor} must be a positive integer of minor units`);
    for (const e of this.journal.byDocument(documentId)) {
      if (e.kind !== 'sale') continue;
      if (e.state === 'approved') return this.outcomeOf(e);
      if (e.state === 'pending' || e.state === 'unknown') {
        onProgress?.({ code: 'RESOLVING' });
        const resolved = await this.resolve(e);
        if (resolved.status === 'approved' || resolved.status === 'unknown') return resolved;
      }
    }
    const entry: JournalEntry = { ecrRef: this.journal.nextRef(), kind: 'sale', documentId, amount_minor, state: 'pending', updatedAt: this.now() };
    this.journal.put(entry);
    let answer: TerminalAnswer;
    try {
      answer = await this.terminal.sale({ ecrRef: entry.ecrRef, amount_minor }, onProgress);
    } catch (err) {
      if (!isLostAnswer(err)) {
        this.journal.put({ ...entry, state: 'not-charged', note: (err as Error).message, updatedAt: this.now() });
        throw err;
      }
      onProgress?.({ code: 'RESOLVING' });
      return this.resolve(entry);
    }
    return this.record(entry, answer);
  }

  /** Voids an approved sale of this document (e.g. the customer cancels before leaving). */
  async void(documentId: string): Promise<PaymentOutcome> {
    const original = this.journal.byDocument(documentId).find((e) => e.kind === 'sale' && e.state === 'approved');
    if (!original?.terminalRef) throw new DeviceError('ILLEGAL', `sale ${documentId} has no approved card payment to void`);
    const entry: JournalEntry = {
      ecrRef: this.journal.nextRef(),
      kind: 'void',
      documentId,
      amount_minor: original.amount_minor,
      originalEcrRef: original.ecrRef,
      state: 'pending',
      updatedAt: this.now(),
    };
    this.journal.put(entry);
    try {
      const a = await this.terminal.void({ ecrRef: entry.ecrRef, original: { ecrRef: original.ecrRef, terminalRef: original.terminalRef, amount_minor: original.amount_minor } });
      const outcome = this.record(entry, a);
      if (outcome.status === 'approved') this.journal.put({ ...original, state: 'voided', updatedAt: this.now() });
      return outcome;
    } catch (err) {
      if (!isLostAnswer(err)) throw err;
      this.journal.put({ ...entry, state: 'unknown', note: 'void answer lost', updatedAt: this.now() });
      return { status: 'unknown', ecrRef: entry.ecrRef, message: 'The void got no answer. Check the card terminal before trying again.' };
    }
  }

  /** Resolves every pending attempt, e.g. at start after a crash. */
  async recover(): Promise<PaymentOutcome[]> {
    const out: PaymentOutcome[] = [];
    for (const e of this.journal.unresolved()) if (e.kind === 'sale') out.push(await this.resolve(e));
    return out;
  }

  private record(entry: JournalEntry, a: TerminalAnswer): PaymentOutcome {
    if (a.approved) {
      const done = { ...entry, state: 'approved' as const, authCode: a.authCode, terminalRef: a.terminalRef, updatedAt: this.now() };
      this.journal.put(done);
      return this.outcomeOf(done);
    }
    this.journal.put({ ...entry, state: 'declined', note: `${a.code}: ${a.message}`, updatedAt: this.now() });
    return { status: 'declined', ecrRef: entry.ecrRef, code: a.code, message: a.message };
  }

  private async resolve(entry: JournalEntry): Promise<PaymentOutcome> {
    const unknown = (why: string): PaymentOutcome => {
      this.journal.put({ ...entry, state: 'unknown', note: why, updatedAt: this.now() });
      return {
        status: 'unknown',
        ecrRef: entry.ecrRef,
        message: `The card terminal's answer for ${entry.ecrRef} was lost and ${why}. Do not charge again: check the terminal's last receipt.`,
      };
    };
    if (!this.terminal.capabilities.lastTransactionQuery) return unknown(`${this.terminal.protocol} cannot report its last transaction`);
    let last;
    try {
      last = await this.terminal.lastTransaction();
    } catch (err) {
      return unknown(`the terminal did not answer the status query (${(err as Error).message})`);
    }
    if (!last || last.ecrRef !== entry.ecrRef) {
      // Only a last transaction we know, made before this attempt, proves this one never ran;
      // one we do not know (made on the terminal by hand, or by another register) proves nothing.
      const known = last ? this.journal.get(last.ecrRef) : undefined;
      if (last && !(known && refOrder(last.ecrRef) < refOrder(entry.ecrRef))) {
        return unknown(`the terminal's last transaction (${last.ecrRef}) is not one this register made before it`);
      }
      this.journal.put({ ...entry, state: 'not-charged', note: 'not the terminal’s last transaction', updatedAt: this.now() });
      return { status: 'not-charged', ecrRef: entry.ecrRef, message: 'The card was not charged. You can try the card payment again.' };
    }
    if (!last.approved) {
      this.journal.put({ ...entry, state: 'declined', note: 'declined (found by status query)', updatedAt: this.now() });
      return { status: 'declined', ecrRef: entry.ecrRef, code: 'DECLINED', message: 'declined by the card terminal' };
    }
    if (last.amount_minor === entry.amount_minor) {
      const done = { ...entry, state: 'approved' as const, authCode: last.authCode, terminalRef: last.terminalRef, updatedAt: this.now() };
      this.journal.put(done);
      return this.outcomeOf(done);
    }
    // Charged, but not what we asked: give the money back before anything else.
    const voidRef = this.journal.nextRef();
    this.journal.put({ ecrRef: voidRef, kind: 'void', documentId: entry.documentId, amount_minor: last.amount_minor, originalEcrRef: entry.ecrRef, state: 'pending', updatedAt: this.now() });
    try {
      const a = await this.terminal.void({ ecrRef: voidRef, original: { ecrRef: entry.ecrRef, terminalRef: last.terminalRef, amount_minor: last.amount_minor } });
      this.journal.put({ ecrRef: voidRef, kind: 'void', documentId: entry.documentId, amount_minor: last.amount_minor, originalEcrRef: entry.ecrRef, state: a.approved ? 'approved' : 'declined', updatedAt: this.now() });
      if (!a.approved) return unknown(`it charged ${last.amount_minor} instead of ${entry.amount_minor} and the void was refused`);
    } catch (err) {
      return unknown(`it charged ${last.amount_minor} instead of ${entry.amount_minor} and the void got no answer (${(err as Error).message})`);
    }
    this.journal.put({ ...entry, state: 'voided', terminalRef: last.terminalRef, note: `terminal charged ${last.amount_minor}`, updatedAt: this.now() });
    return { status: 'voided', ecrRef: entry.ecrRef, message: 'The terminal charged the wrong amount; that charge was voided. Try the card payment again.' };
  }

  private outcomeOf(e: JournalEntry): PaymentOutcome {
    return { status: 'approved', ecrRef: e.ecrRef, amount_minor: e.amount_minor, authCode: e.authCode ?? '', terminalRef: e.terminalRef ?? '' };
  }
}

/** References are base-36 counters from the journal, so their order is the order of attempts. */
function refOrder(ref: string): number {
  const n = parseInt(ref, 36);
  return Number.isNaN(n) ? Number.POSITIVE_INFINITY : n;
}

function isLostAnswer(err: unknown): boolean {
  return err instanceof DeviceError && (err.code === 'TIMEOUT' || err.code === 'OFFLINE' || err.code === 'PROTOCOL');
}
