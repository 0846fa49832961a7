import { ProtocolError } from '../errors';
import type { PaymentProgress, PaymentProgressCode } from './progress';

/**
 * Pipe-separated ECR messages inside STX … ETX LRC frames, after Transbank's "POS Integrado":
 * a 4-digit command, then fields separated by "|". Answers carry response code "00" on approval.
 */
export const PipeCommand = {
  Poll: '0100',
  Sale: '0200',
  SaleAnswer: '0210',
  LastSale: '0250',
  LastSaleAnswer: '0260',
  Close: '0500',
  CloseAnswer: '0510',
  Refund: '1200',
  RefundAnswer: '1210',
  /** Intermediate message ("mensaje intermedio") sent during a sale that asked for them. */
  Status: '0900',
} as const;

/** Joins fields with "|", refusing fields that would break the framing. */
export function encodePipe(fields: readonly string[]): string {
  for (const f of fields) {
    if (f.includes('|') || /[\x00-\x1f]/.test(f)) throw new ProtocolError('BAD_FORMAT', `field "${f}" contains "|" or a control character`);
  }
  return fields.join('|');
}

/** Splits a message into fields; the first must be a 4-digit command. */
export function decodePipe(s: string): string[] {
  const fields = s.split('|');
  if (!/^\d{4}$/.test(fields[0] ?? '')) throw new ProtocolError('BAD_FORMAT', `message does not start with a 4-digit command: "${s.slice(0, 16)}"`);
  return fields;
}

/** A sale or last-sale answer (0210 / 0260). */
export interface PipeSaleAnswer {
  readonly responseCode: string;
  readonly commerceCode: string;
  readonly terminalId: string;
  /** The ECR's ticket number (OneCard's ECR reference), echoed. */
  readonly ticket: string;
  readonly authCode: string;
  readonly amount_minor: number;
  readonly last4: string;
  /** The terminal's operation number: what a void/refund names. */
  readonly operation: string;
  readonly cardType: string;
  readonly cardBrand: string;
  readonly date: string;
  readonly time: string;
}

/**
 * 0200: a sale of `amount_minor` under the ECR ticket (our reference). Fields after the ticket:
 * an empty field, "send voucher" (0: the terminal prints it) and "send status" (1: send 0900
 * intermediate messages while the customer is at the terminal), as Transbank's SDKs send them.
 */
export function encodeSaleRequest(amount_minor: number, ticket: string, o: { sendStatus?: boolean } = {}): string {
  if (!Number.isSafeInteger(amount_minor) || amount_minor <= 0 || amount_minor > 999_999_999) throw new ProtocolError('BAD_FORMAT', `amount ${amount_minor} is out of range`);
  if (!/^[0-9A-Za-z]{1,20}$/.test(ticket)) throw new ProtocolError('BAD_FORMAT', `ticket "${ticket}" must be 1..20 letters or digits`);
  return encodePipe([PipeCommand.Sale, String(amount_minor), ticket, '', '0', o.sendStatus === false ? '0' : '1']);
}

/** Parses a 0200 sale request (what a terminal, or its simulator, receives). */
export function decodeSaleRequest(s: string): { amount_minor: number; ticket: string; sendStatus: boolean } {
  const f = decodePipe(s);
  if (f[0] !== PipeCommand.Sale) throw new ProtocolError('UNKNOWN_COMMAND', `expected 0200, got ${f[0]}`);
  if (f.length < 3) throw new ProtocolError('TRUNCATED', `sale request has ${f.length} fields, expected at least 3`);
  if (!/^\d{1,9}$/.test(f[1]!)) throw new ProtocolError('BAD_FORMAT', `sale amount "${f[1]}" is not a number`);
  return { amount_minor: Number(f[1]), ticket: f[2]!, sendStatus: f[5] === '1' };
}

/**
 * 0900 intermediate-message codes (Transbank POS Integrado, response-code table of its SDKs),
 * mapped to what the cashier needs to know. Codes outside the table are passed on as TERMINAL_BUSY.
 */
export const PIPE_STATUS_PROGRESS: Readonly<Record<string, PaymentProgressCode>> = {
  '78': 'INSERT_CARD', // Esperando leer tarjeta
  '79': 'CONFIRM_AMOUNT', // Solicitando confirmar monto
  '80': 'SELECT_INSTALLMENTS', // Selección de cuotas
  '81': 'ENTER_PIN', // Solicitando ingreso de clave
  '82': 'AUTHORIZING', // Enviando transacción al host / autorizador
  '83': 'SELECT_ACCOUNT', // Selección menú crédito/Redcompra
  '84': 'INSERT_CARD', // Opere tarjeta
  '85': 'SELECT_INSTALLMENTS', // Selección de cuotas
  '86': 'SELECT_INSTALLMENTS', // Ingreso de cuotas
  '87': 'SELECT_INSTALLMENTS', // Confirmación de cuotas
};

/** 0900 intermediate message with a 2-digit status code (for simulators). */
export function encodeStatusMessage(code: string): string {
  if (!/^\d{2}$/.test(code)) throw new ProtocolError('BAD_FORMAT', `status code "${code}" must be 2 digits`);
  return encodePipe([PipeCommand.Status, code]);
}

/** Parses a 0900 intermediate message into a progress event. */
export function decodeStatusMessage(s: string): PaymentProgress {
  const f = decodePipe(s);
  if (f[0] !== PipeCommand.Status) throw new ProtocolError('UNKNOWN_COMMAND', `expected 0900, got ${f[0]}`);
  const code = f[1] ?? '';
  if (!/^\d{1,3}$/.test(code)) throw new ProtocolError('BAD_FORMAT', `status code "${code.slice(0, 8)}" is not a number`);
  const key = code.padStart(2, '0');
  return { code: PIPE_STATUS_PROGRESS[key] ?? 'TERMINAL_BUSY', terminalCode: key };
}

/** 0210 / 0260 answer (for simulators). */
export function encodeSaleAnswer(cmd: '0210' | '0260', a: PipeSaleAnswer): string {
  return encodePipe([cmd, a.responseCode, a.commerceCode, a.terminalId, a.ticket, a.authCode, String(a.amount_minor), '0', '0', a.last4, a.operation, a.cardType, a.date, '', a.cardBrand, a.date, a.time, '', '0']);
}

/** Parses a 0210 sale or 0260 last-sale answer. */
export function decodeSaleAnswer(s: string): PipeSaleAnswer & { readonly command: string } {
  const f = decodePipe(s);
  if (f[0] !== PipeCommand.SaleAnswer && f[0] !== PipeCommand.LastSaleAnswer) throw new ProtocolError('UNKNOWN_COMMAND', `expected 0210 or 0260, got ${f[0]}`);
  if (f.length < 17) throw new ProtocolError('TRUNCATED', `sale answer has ${f.length} fields, expected at least 17`);
  const amount = f[6]!;
  if (!/^\d{1,12}$/.test(amount)) throw new ProtocolError('BAD_FORMAT', `sale answer amount "${amount}" is not a number`);
  return {
    command: f[0]!,
    responseCode: f[1]!,
    commerceCode: f[2]!,
    terminalId: f[3]!,
    ticket: f[4]!,
    authCode: f[5]!,
    amount_minor: Number(amount),
    last4: f[9]!,
    operation: f[10]!,
    cardType: f[11]!,
    cardBrand: f[14]!,
    date: f[15]!,
    time: f[16]!,
  };
}

export interface PipeRefundAnswer {
  readonly responseCode: string;
  readonly commerceCode: string;
  readonly terminalId: string;
  readonly authCode: string;
  readonly operation: string;
}

/** 1200: refund (void) the sale with this operation number. */
export function encodeRefundRequest(operation: string): string {
  if (!/^\d{1,12}$/.test(operation)) throw new ProtocolError('BAD_FORMAT', `operation number "${operation}" must be digits`);
  return encodePipe([PipeCommand.Refund, operation]);
}

/** 1210 answer (for simulators). */
export function encodeRefundAnswer(a: PipeRefundAnswer): string {
  return encodePipe([PipeCommand.RefundAnswer, a.responseCode, a.commerceCode, a.terminalId, a.authCode, a.operation]);
}

/** Parses a 1210 refund answer. */
export function decodeRefundAnswer(s: string): PipeRefundAnswer {
  const f = decodePipe(s);
  if (f[0] !== PipeCommand.RefundAnswer) throw new ProtocolError('UNKNOWN_COMMAND', `expected 1210, got ${f[0]}`);
  if (f.length < 6) throw new ProtocolError('TRUNCATED', `refund answer has ${f.length} fields, expected 6`);
  return { responseCode: f[1]!, commerceCode: f[2]!, terminalId: f[3]!, authCode: f[4]!, operation: f[5]! };
}

/** Parses a 0510 day-close answer. */
export function decodeCloseAnswer(s: string): { responseCode: string; commerceCode: string; terminalId: string } {
  const f = decodePipe(s);
  if (f[0] !== PipeCommand.CloseAnswer) throw new ProtocolError('UNKNOWN_COMMAND', `expected 0510, got ${f[0]}`);
  if (f.length < 4) throw new ProtocolError('TRUNCATED', `close answer has ${f.length} fields, expected 4`);
  return { responseCode: f[1]!, commerceCode: f[2]!, terminalId: f[3]! };
}

/** Response codes a cashier may meet (Transbank POS Integrado table, abridged). */
export const PIPE_RESPONSE_TEXT: Record<string, string> = {
  '00': 'approved',
  '01': 'declined',
  '02': 'approved by the bank but rejected by the terminal',
  '03': 'declined: card or connection error',
  '04': 'cancelled at the terminal',
  '05': 'card error',
  '06': 'card expired',
  '07': 'declined: insufficient funds',
  '09': 'declined',
  '11': 'no transaction to return (last sale not found)',
};
