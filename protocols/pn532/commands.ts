import { ProtocolError, toHex } from '../errors';

/** PN532 command codes (PN532 User Manual §7). */
export const Cmd = {
  GetFirmwareVersion: 0x02,
  SAMConfiguration: 0x14,
  RFConfiguration: 0x32,
  InDataExchange: 0x40,
  InListPassiveTarget: 0x4a,
  InRelease: 0x52,
} as const;

/** MIFARE Classic commands carried in InDataExchange. */
export const Mifare = {
  AuthA: 0x60,
  AuthB: 0x61,
  Read: 0x30,
  Write: 0xa0,
  Decrement: 0xc0,
  Increment: 0xc1,
  Restore: 0xc2,
  Transfer: 0xb0,
} as const;

export interface FirmwareVersion {
  readonly ic: number;
  readonly version: number;
  readonly revision: number;
  readonly support: number;
}

/** Parses GetFirmwareVersion response parameters (IC, Ver, Rev, Support). */
export function parseFirmwareVersion(params: Uint8Array): FirmwareVersion {
  if (params.length !== 4) throw new ProtocolError('BAD_LENGTH', `GetFirmwareVersion answer has ${params.length} bytes, expected 4`);
  return { ic: params[0]!, version: params[1]!, revision: params[2]!, support: params[3]! };
}

export interface PassiveTarget {
  readonly tg: number;
  readonly sensRes: number;
  readonly selRes: number;
  readonly uid: Uint8Array;
}

/** Parses InListPassiveTarget (106 kbps type A) response parameters. */
export function parseInListPassiveTarget(params: Uint8Array): PassiveTarget[] {
  const n = params[0];
  if (n === undefined || n > 2) throw new ProtocolError('BAD_FORMAT', `InListPassiveTarget answer with ${n ?? 'no'} targets`);
  const out: PassiveTarget[] = [];
  let p = 1;
  for (let t = 0; t < n; t++) {
    if (p + 5 > params.length) throw new ProtocolError('TRUNCATED', 'InListPassiveTarget target data is cut short');
    const tg = params[p]!;
    const sensRes = (params[p + 1]! << 8) | params[p + 2]!;
    const selRes = params[p + 3]!;
    const uidLen = params[p + 4]!;
    if (![4, 7, 10].includes(uidLen)) throw new ProtocolError('BAD_FORMAT', `NFCID1 length ${uidLen} is not 4, 7 or 10`);
    p += 5;
    if (p + uidLen > params.length) throw new ProtocolError('TRUNCATED', 'InListPassiveTarget UID is cut short');
    const uid = params.slice(p, p + uidLen);
    p += uidLen;
    // ISO 14443-4 cards append ATS (length-prefixed); MIFARE Classic has none (SEL_RES bit 5 clear).
    if (selRes & 0x20 && p < params.length) p += params[p]!;
    out.push({ tg, sensRes, selRes, uid });
  }
  return out;
}

/** Encodes InListPassiveTarget response parameters (for simulators). */
export function encodeInListPassiveTarget(targets: readonly PassiveTarget[]): Uint8Array {
  const out = [targets.length];
  for (const t of targets) out.push(t.tg, t.sensRes >> 8, t.sensRes & 0xff, t.selRes, t.uid.length, ...t.uid);
  return Uint8Array.from(out);
}

/** PN532 error codes in the status byte (User Manual Table 7-1) that a cashier may meet. */
export const STATUS_TEXT: Record<number, string> = {
  0x01: 'the card did not answer in time (timeout)',
  0x02: 'CRC error: hold the card still',
  0x03: 'parity error: hold the card still',
  0x14: 'MIFARE authentication failed: wrong key or not a OneCard card',
  0x27: 'the command is not valid in this context',
  0x29: 'the card was removed',
};

/** Splits an InDataExchange answer into status and data; throws nothing for a non-zero status. */
export function parseInDataExchange(params: Uint8Array): { status: number; data: Uint8Array } {
  if (params.length < 1) throw new ProtocolError('TRUNCATED', 'InDataExchange answer without status');
  return { status: params[0]! & 0x3f, data: params.slice(1) };
}

/** The cashier-readable reason for a PN532 status byte. */
export function describeStatus(status: number): string {
  return STATUS_TEXT[status] ?? `PN532 error 0x${status.toString(16).padStart(2, '0')}`;
}

/** MIFARE Classic authenticate block with key A or B, for target 1. */
export function mifareAuth(block: number, key: Uint8Array, uid: Uint8Array, keyType: 'A' | 'B' = 'A'): number[] {
  if (key.length !== 6) throw new ProtocolError('BAD_LENGTH', `MIFARE keys are 6 bytes, got ${key.length}`);
  return [1, keyType === 'A' ? Mifare.AuthA : Mifare.AuthB, block, ...key, ...uid.slice(-4)];
}

/** 32-bit little-endian operand of increment/decrement/restore. */
export function valueOperand(delta: number): number[] {
  if (!Number.isInteger(delta) || delta < 0 || delta > 0x7fffffff) throw new ProtocolError('BAD_FORMAT', `value operand ${delta} is not 0..2^31-1`);
  return [delta & 0xff, (delta >>> 8) & 0xff, (delta >>> 16) & 0xff, (delta >>> 24) & 0xff];
}

export { toHex };
