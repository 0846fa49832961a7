import { latin1, fromLatin1 } from '../../protocols/errors';
import { ACK, type EcrItem, NAK, StxFrameReader, encodeStxFrame } from '../../protocols/ecr/framing';
import type { PaymentProgress, ProgressListener } from '../../protocols/ecr/progress';
import { Device, type DeviceOptions } from '../device';
import { DeviceError } from '../errors';
import type { Transport } from '../transport';
import type { TerminalAnswer } from './payment-terminal';

export interface EcrOptions extends DeviceOptions {
  /** Wait for ACK/NAK after sending a frame or ENQ. */
  readonly ack_ms?: number;
  /** Wait for the terminal's answer (the customer is entering a PIN). */
  readonly response_ms?: number;
}

export const ECR_RETRIES = 3;

/** Shared ECR link handling: STX … ETX LRC frames with ACK/NAK, retries, one transaction at a time. */
export abstract class EcrDevice extends Device<TerminalAnswer> {
  private reader = new StxFrameReader();
  private inbox: EcrItem[] = [];
  private wake: (() => void) | undefined;
  private linkError: DeviceError | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  protected readonly ack_ms: number;
  protected readonly response_ms: number;

  constructor(name: string, transport: Transport, options: EcrOptions = {}) {
    super(name, 'payment-terminal', transport, options);
    this.ack_ms = options.ack_ms ?? 2000;
    this.response_ms = options.response_ms ?? 120_000;
  }

  protected override async onOpen(): Promise<void> {
    this.reader = new StxFrameReader();
    this.inbox = [];
    this.linkError = undefined;
  }

  protected override onLinkLost(cause: DeviceError): void {
    this.linkError = cause;
    this.wake?.();
  }

  protected override async onClose(): Promise<void> {
    this.linkError = new DeviceError('CLOSED', `${this.name} was closed`, this.name);
    this.wake?.();
  }

  protected onBytes(chunk: Uint8Array): void {
    this.inbox.push(...this.reader.push(chunk));
    if (this.inbox.length > 64) this.inbox.splice(0, this.inbox.length - 64);
    this.wake?.();
  }

  /** Runs one exchange at a time; a terminal handles one transaction. */
  protected exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      this.requireEnabled(what);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Passes a progress event on; a listener that throws must not turn a sale into a lost answer. */
  protected report(onProgress: ProgressListener | undefined, p: PaymentProgress): void {
    if (!onProgress) return;
    try {
      onProgress(p);
    } catch (err) {
      this.emitError(new DeviceError('FAILURE', `${this.name}: a progress listener failed: ${(err as Error).message}`, this.name, { cause: err }));
    }
  }

  protected clearInbox(): void {
    this.inbox = [];
  }

  protected async writeByte(b: number): Promise<void> {
    await this.transport.write(Uint8Array.of(b));
  }

  /** Sends a frame until ACKed: resend on NAK or silence, at most ECR_RETRIES times. */
  protected async sendFrame(text: string): Promise<void> {
    const frame = encodeStxFrame(latin1(text));
    for (let attempt = 1; attempt <= ECR_RETRIES; attempt++) {
      await this.transport.write(frame);
      const answer = await this.expect(['ack', 'nak'], this.ack_ms);
      if (answer?.type === 'ack') return;
    }
    throw new DeviceError('TIMEOUT', `${this.name} did not acknowledge the request after ${ECR_RETRIES} tries`, this.name);
  }

  /** Waits for a frame, ACKs it (NAKs a damaged one, which the terminal resends). */
  protected async receiveFrame(timeout_ms: number): Promise<string> {
    for (let bad = 0; ; ) {
      const item = await this.expect(['frame', 'bad'], timeout_ms);
      if (!item) throw new DeviceError('TIMEOUT', `${this.name} sent no answer`, this.name);
      if (item.type === 'frame') {
        await this.writeByte(ACK);
        return fromLatin1(item.data);
      }
      await this.writeByte(NAK);
      if (++bad >= ECR_RETRIES) throw new DeviceError('PROTOCOL', `${this.name} answered with damaged frames ${ECR_RETRIES} times`, this.name);
    }
  }

  /** The next item of one of `types` (others are dropped), or undefined on timeout. */
  protected expect(types: EcrItem['type'][], timeout_ms: number): Promise<EcrItem | undefined> {
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.wake = undefined;
        resolve(undefined);
      }, timeout_ms);
      const take = (): boolean => {
        if (this.linkError) {
          this.timers.clearTimeout(timer);
          this.wake = undefined;
          reject(this.linkError);
          return true;
        }
        for (let item = this.inbox.shift(); item; item = this.inbox.shift()) {
          if (!types.includes(item.type)) continue;
          this.timers.clearTimeout(timer);
          this.wake = undefined;
          resolve(item);
          return true;
        }
        return false;
      };
      if (!take()) this.wake = () => void take();
    });
  }
}
