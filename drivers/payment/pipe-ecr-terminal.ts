import {
  PIPE_RESPONSE_TEXT,
  PipeCommand,
  decodeCloseAnswer,
  decodePipe,
  decodeRefundAnswer,
  decodeSaleAnswer,
  decodeStatusMessage,
  encodePipe,
  encodeRefundRequest,
  encodeSaleRequest,
} from '../../protocols/ecr/pipe';
import { ProtocolError } from '../../protocols/errors';
import type { ProgressListener } from '../../protocols/ecr/progress';
import { DeviceError } from '../errors';
import type { Transport } from '../transport';
import { EcrDevice, type EcrOptions } from './ecr-device';
import type { DayCloseAnswer, LastTransaction, PaymentTerminal, RefundRequest, SaleRequest, TerminalAnswer, VoidRequest } from './payment-terminal';

/**
 * A terminal speaking line-framed pipe-separated ECR messages with a last-sale query, after
 * Transbank's POS Integrado (0200 sale, 0250 last sale, 1200 refund/void, 0500 close).
 */
export class PipeEcrTerminal extends EcrDevice implements PaymentTerminal {
  readonly protocol = 'pipe-ecr';
  readonly capabilities = { lastTransactionQuery: true, dayClose: true, partialRefund: false };

  constructor(name: string, transport: Transport, options?: EcrOptions) {
    super(name, transport, options);
  }

  sale(req: SaleRequest, onProgress?: ProgressListener): Promise<TerminalAnswer> {
    return this.exclusive('take a card payment', async () => {
      const a = decodeSaleAnswer(await this.request(encodeSaleRequest(req.amount_minor, req.ecrRef, { sendStatus: true }), PipeCommand.SaleAnswer, onProgress));
      if (a.ticket !== req.ecrRef) throw new DeviceError('PROTOCOL', `${this.name} answered for ticket ${a.ticket}, not ${req.ecrRef}`, this.name);
      return answer(req.ecrRef, a.responseCode, a.amount_minor, a.authCode, a.operation, a.last4);
    });
  }

  void(req: VoidRequest): Promise<TerminalAnswer> {
    return this.exclusive('void a card payment', async () => {
      const a = decodeRefundAnswer(await this.request(encodeRefundRequest(req.original.terminalRef), PipeCommand.RefundAnswer));
      return answer(req.ecrRef, a.responseCode, req.original.amount_minor, a.authCode, a.operation);
    });
  }

  async refund(req: RefundRequest): Promise<TerminalAnswer> {
    if (req.amount_minor !== req.original.amount_minor) {
      throw new DeviceError('ILLEGAL', `${this.name} can only refund a whole sale; refund the rest in stored value or cash`, this.name);
    }
    return this.void({ ecrRef: req.ecrRef, original: req.original });
  }

  lastTransaction(): Promise<LastTransaction | undefined> {
    return this.exclusive('query the last sale', async () => {
      const text = await this.request(encodePipe([PipeCommand.LastSale, '0']), PipeCommand.LastSaleAnswer);
      const f = decodePipe(text);
      if (f[1] === '11' && f.length < 17) return undefined; // no transaction to return
      const a = decodeSaleAnswer(text);
      return { ecrRef: a.ticket, approved: a.responseCode === '00', amount_minor: a.amount_minor, terminalRef: a.operation, authCode: a.authCode };
    });
  }

  dayClose(): Promise<DayCloseAnswer> {
    return this.exclusive('close the day', async () => {
      const a = decodeCloseAnswer(await this.request(encodePipe([PipeCommand.Close, '0']), PipeCommand.CloseAnswer));
      return { ok: a.responseCode === '00', message: PIPE_RESPONSE_TEXT[a.responseCode] ?? `response ${a.responseCode}` };
    });
  }

  /** Sends a request and returns the answer with the expected command; 0900 progress messages go to `onProgress`. */
  private async request(text: string, answerCmd: string, onProgress?: ProgressListener): Promise<string> {
    this.clearInbox();
    await this.sendFrame(text);
    this.report(onProgress, { code: 'REQUEST_SENT' });
    for (;;) {
      const reply = await this.receiveFrame(this.response_ms);
      let cmd: string | undefined;
      try {
        cmd = decodePipe(reply)[0];
      } catch (err) {
        if (err instanceof ProtocolError) throw new DeviceError('PROTOCOL', `${this.name}: ${err.message}`, this.name, { cause: err });
        throw err;
      }
      if (cmd === answerCmd) return reply;
      if (cmd === PipeCommand.Status) {
        let progress;
        try {
          progress = decodeStatusMessage(reply);
        } catch (err) {
          // A status the register cannot read must not fail a sale the customer is paying.
          this.emitError(new DeviceError('PROTOCOL', `${this.name}: unreadable status message: ${(err as Error).message}`, this.name));
          continue;
        }
        this.report(onProgress, progress);
      }
      // Stray answers of other commands are skipped.
    }
  }
}

function answer(ecrRef: string, code: string, amount_minor: number, authCode: string, terminalRef: string, last4?: string): TerminalAnswer {
  if (code === '00') return { approved: true, ecrRef, amount_minor, authCode, terminalRef, ...(last4 ? { cardLast4: last4 } : {}) };
  return { approved: false, ecrRef, code, message: PIPE_RESPONSE_TEXT[code] ?? `declined (response ${code})` };
}
