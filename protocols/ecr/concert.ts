import { ProtocolError } from '../errors';

/**
 * Ingenico Telium "Concert" (protocole Caisse) messages, version E+: the request is exactly 34
 * characters, the answer 80 (with the 55-character REP field, requested by IND = '1').
 */
export type ConcertTransaction = 'debit' | 'credit' | 'cancel';

export interface ConcertRequest {
  /** Cash-desk number, 2 digits. */
  readonly pos: string;
  readonly amount_minor: number;
  readonly transaction: ConcertTransaction;
  /** ISO 4217 numeric, e.g. "156" CNY, "978" EUR. */
  readonly currency: string;
  /** 10 characters echoed back by the terminal: OneCard puts its ECR reference here. */
  readonly privateData: string;
}

export interface ConcertResponse {
  readonly pos: string;
  /** '0' accepted, '7' refused. */
  readonly status: string;
  readonly amount_minor: number;
  readonly mode: string;
  /** REP: card number / authorisation data (55 characters, free format per acquirer). */
  readonly report: string;
  readonly currency: string;
  readonly privateData: string;
}

const TYPE: Record<ConcertTransaction, string> = { debit: '0', credit: '1', cancel: '2' };

function fixed(value: string, len: number, what: string): string {
  if (value.length > len) throw new ProtocolError('BAD_LENGTH', `${what} "${value}" is longer than ${len} characters`);
  if (!/^[\x20-\x7e]*$/.test(value)) throw new ProtocolError('BAD_FORMAT', `${what} must be printable ASCII`);
  return value.padEnd(len, ' ');
}

function amount8(amount_minor: number): string {
  if (!Number.isSafeInteger(amount_minor) || amount_minor < 0 || amount_minor > 99_999_999) {
    throw new ProtocolError('BAD_FORMAT', `amount ${amount_minor} does not fit Concert's 8 digits`);
  }
  return String(amount_minor).padStart(8, '0');
}

/** The 34-character request. */
export function encodeConcertRequest(r: ConcertRequest): string {
  if (!/^\d{2}$/.test(r.pos)) throw new ProtocolError('BAD_FORMAT', `pos number must be 2 digits, got "${r.pos}"`);
  if (!/^\d{3}$/.test(r.currency)) throw new ProtocolError('BAD_FORMAT', `currency must be 3 digits, got "${r.currency}"`);
  const s = r.pos + amount8(r.amount_minor) + '1' + '1' + TYPE[r.transaction] + r.currency + fixed(r.privateData, 10, 'private data') + 'A010' + 'B010';
  if (s.length !== 34) throw new ProtocolError('BAD_LENGTH', `Concert request is ${s.length} characters, not 34`);
  return s;
}

/** Parses the 34-character request (what a terminal, or its simulator, receives). */
export function decodeConcertRequest(s: string): ConcertRequest {
  if (s.length !== 34) throw new ProtocolError('BAD_LENGTH', `Concert request is 34 characters, got ${s.length}`);
  const type = Object.entries(TYPE).find(([, v]) => v === s[12])?.[0] as ConcertTransaction | undefined;
  if (!/^\d{10}$/.test(s.slice(0, 10)) || !type) throw new ProtocolError('BAD_FORMAT', `not a Concert request: "${s}"`);
  return { pos: s.slice(0, 2), amount_minor: Number(s.slice(2, 10)), transaction: type, currency: s.slice(13, 16), privateData: s.slice(16, 26).trimEnd() };
}

/** The 80-character answer (with REP). */
export function encodeConcertResponse(r: ConcertResponse): string {
  return r.pos + r.status + amount8(r.amount_minor) + r.mode + fixed(r.report, 55, 'report') + r.currency + fixed(r.privateData, 10, 'private data');
}

/** Parses an answer of 80 characters (with REP) or 25 (without). */
export function decodeConcertResponse(s: string): ConcertResponse {
  if (s.length !== 80 && s.length !== 25) throw new ProtocolError('BAD_LENGTH', `Concert answer is 80 or 25 characters, got ${s.length}`);
  if (!/^\d{2}[0-9]\d{8}/.test(s)) throw new ProtocolError('BAD_FORMAT', `not a Concert answer: "${s.slice(0, 12)}…"`);
  const withRep = s.length === 80;
  const report = withRep ? s.slice(12, 67).trimEnd() : '';
  const tail = withRep ? s.slice(67) : s.slice(12);
  return {
    pos: s.slice(0, 2),
    status: s[2]!,
    amount_minor: Number(s.slice(3, 11)),
    mode: s[11]!,
    report,
    currency: tail.slice(0, 3),
    privateData: tail.slice(3, 13).trimEnd(),
  };
}
