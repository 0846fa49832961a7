import { type ConcertTransaction, decodeConcertResponse, encodeConcertRequest } from '../../protocols/ecr/concert';
import { ACK, ENQ, EOT } from '../../protocols/ecr/framing';
import type { ProgressListener } from '../../protocols/ecr/progress';
import { ProtocolError } from '../../protocols/errors';
import { DeviceError } from '../errors';
import type { Transport } from '../transport';
import { ECR_RETRIES, EcrDevice, type EcrOptions } from './ecr-device';
import type { DayCloseAnswer, LastTransaction, PaymentTerminal, RefundRequest, SaleRequest, TerminalAnswer, VoidRequest } from './payment-terminal';

export interface ConcertOptions extends EcrOptions {
  readonly pos?: string;
  readonly currency?: string;
}

/**
 * An Ingenico Telium terminal in Concert (protocole Caisse E+) mode: ENQ/ACK, the 34-character
 * request in STX … ETX LRC, EOT; then the terminal's ENQ, its answer frame and EOT.
 * Concert has no last-transaction query and no day close: a lost answer cannot be resolved by
 * the ECR, so JournaledPayments marks it unknown for the cashier to check on the terminal.
 * Nor does it send anything between the request and the answer (no card-read or PIN messages):
 * the only progress it can truthfully report is REQUEST_SENT, once the terminal took the request.
 */
export class ConcertTerminal extends EcrDevice implements PaymentTerminal {
  readonly protocol = 'concert';
  readonly capabilities = { lastTransactionQuery: false, dayClose: false, partialRefund: true };
  private readonly pos: string;
  private readonly currency: string;

  constructor(name: string, transport: Transport, options: ConcertOptions = {}) {
    super(name, transport, options);
    this.pos = options.pos ?? '01';
    this.currency = options.currency ?? '156';
  }

  sale(req: SaleRequest, onProgress?: ProgressListener): Promise<TerminalAnswer> {
    return this.exclusive('take a card payment', () => this.transaction('debit', req.ecrRef, req.amount_minor, onProgress));
  }

  void(req: VoidRequest): Promise<TerminalAnswer> {
    return this.exclusive('void a card payment', () => this.transaction('cancel', req.ecrRef, req.original.amount_minor));
  }

  refund(req: RefundRequest): Promise<TerminalAnswer> {
    return this.exclusive('refund a card payment', () => this.transaction('credit', req.ecrRef, req.amount_minor));
  }

  async lastTransaction(): Promise<LastTransaction | undefined> {
    throw new DeviceError('ILLEGAL', `${this.name}: the Concert protocol has no last-transaction query`, this.name);
  }

  async dayClose(): Promise<DayCloseAnswer> {
    throw new DeviceError('ILLEGAL', `${this.name}: the Concert protocol has no day close; close the day on the terminal`, this.name);
  }

  private async transaction(type: ConcertTransaction, ecrRef: string, amount_minor: number, onProgress?: ProgressListener): Promise<TerminalAnswer> {
    let request: string;
    try {
      request = encodeConcertRequest({ pos: this.pos, amount_minor, transaction: type, currency: this.currency, privateData: ecrRef });
    } catch (err) {
      throw new DeviceError('ILLEGAL', `${this.name}: ${(err as Error).message}`, this.name, { cause: err });
    }
    this.clearInbox();
    // Session 1: ECR → terminal.
    let acked = false;
    for (let i = 0; i < ECR_RETRIES && !acked; i++) {
      await this.writeByte(ENQ);
      acked = (await this.expect(['ack', 'nak'], this.ack_ms))?.type === 'ack';
    }
    if (!acked) throw new DeviceError('OFFLINE', `${this.name} does not answer ENQ: is it on and in cash-register mode?`, this.name);
    await this.sendFrame(request);
    await this.writeByte(EOT);
    this.report(onProgress, { code: 'REQUEST_SENT' });
    // Session 2: terminal → ECR, when the customer is done.
    const enq = await this.expect(['enq'], this.response_ms);
    if (!enq) throw new DeviceError('TIMEOUT', `${this.name} sent no answer`, this.name);
    await this.writeByte(ACK);
    const text = await this.receiveFrame(this.ack_ms * 2);
    await this.expect(['eot'], this.ack_ms); // courtesy; the answer is already complete
    let r;
    try {
      r = decodeConcertResponse(text);
    } catch (err) {
      if (err instanceof ProtocolError) throw new DeviceError('PROTOCOL', `${this.name}: ${err.message}`, this.name, { cause: err });
      throw err;
    }
    if (r.privateData !== ecrRef) throw new DeviceError('PROTOCOL', `${this.name} answered for ${r.privateData}, not ${ecrRef}`, this.name);
    if (r.status !== '0') return { approved: false, ecrRef, code: r.status, message: 'declined by the card terminal' };
    return { approved: true, ecrRef, amount_minor: r.amount_minor, authCode: r.report.slice(0, 6).trim(), terminalRef: r.report.trim() || ecrRef };
  }
}
