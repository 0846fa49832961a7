import { ProtocolError } from '../errors';

/** What the printer reports about itself, merged from real-time status, GS r and ASB. */
export interface PrinterStatus {
  readonly online: boolean;
  readonly coverOpen: boolean;
  readonly paperNearEnd: boolean;
  readonly paperEmpty: boolean;
  /** Drawer kick connector pin 3: true when the drawer switch reports open. */
  readonly drawerOpen: boolean;
  readonly error: boolean;
}

/** A printer with paper, cover closed, online. */
export const STATUS_OK: PrinterStatus = { online: true, coverOpen: false, paperNearEnd: false, paperEmpty: false, drawerOpen: false, error: false };

/** True for a byte that is a DLE EOT answer (fixed bits: 0 at bit 0 and 7, 1 at bits 1 and 4). */
export const isRealtimeStatusByte = (b: number): boolean => (b & 0x93) === 0x12;
/** True for the first byte of a 4-byte ASB message (bits 0, 1, 7 = 0; bit 4 = 1). */
export const isAsbHeader = (b: number): boolean => (b & 0x93) === 0x10;
/** True for a GS r 1 answer (bit 4 and bit 7 = 0). */
export const isTransmitStatusByte = (b: number): boolean => (b & 0x90) === 0x00;

/** Applies one DLE EOT n answer to the current status. */
export function applyRealtimeStatus(n: 1 | 2 | 3 | 4, byte: number, s: PrinterStatus): PrinterStatus {
  if (!isRealtimeStatusByte(byte)) throw new ProtocolError('BAD_FORMAT', `0x${byte.toString(16)} is not a DLE EOT ${n} answer`);
  switch (n) {
    case 1:
      return { ...s, drawerOpen: (byte & 0x04) !== 0, online: (byte & 0x08) === 0 };
    case 2:
      return { ...s, coverOpen: (byte & 0x04) !== 0, paperEmpty: (byte & 0x20) !== 0 || s.paperEmpty, error: (byte & 0x40) !== 0 };
    case 3:
      return { ...s, error: (byte & 0x6c) !== 0 };
    case 4:
      return { ...s, paperNearEnd: (byte & 0x0c) === 0x0c, paperEmpty: (byte & 0x60) === 0x60 };
  }
}

/** Applies a GS r 1 answer (paper sensors). */
export function applyTransmitPaperStatus(byte: number, s: PrinterStatus): PrinterStatus {
  if (!isTransmitStatusByte(byte)) throw new ProtocolError('BAD_FORMAT', `0x${byte.toString(16)} is not a GS r 1 answer`);
  return { ...s, paperNearEnd: (byte & 0x03) === 0x03, paperEmpty: (byte & 0x0c) === 0x0c };
}

/** Decodes a 4-byte automatic status back message. */
export function decodeAsb(bytes: Uint8Array): PrinterStatus {
  if (bytes.length !== 4) throw new ProtocolError('BAD_LENGTH', `ASB is 4 bytes, got ${bytes.length}`);
  const [b1, b2, b3] = [bytes[0]!, bytes[1]!, bytes[2]!];
  if (!isAsbHeader(b1)) throw new ProtocolError('BAD_FORMAT', `0x${b1.toString(16)} does not start an ASB message`);
  return {
    drawerOpen: (b1 & 0x04) !== 0,
    online: (b1 & 0x08) === 0,
    coverOpen: (b1 & 0x20) !== 0,
    error: (b2 & 0x6c) !== 0,
    paperNearEnd: (b3 & 0x03) === 0x03,
    paperEmpty: (b3 & 0x0c) === 0x0c,
  };
}

/** Encodes status bytes (for simulators): DLE EOT n answer. */
export function encodeRealtimeStatus(n: 1 | 2 | 3 | 4, s: PrinterStatus): number {
  let b = 0x12;
  if (n === 1) b |= (s.drawerOpen ? 0x04 : 0) | (s.online ? 0 : 0x08);
  if (n === 2) b |= (s.coverOpen ? 0x04 : 0) | (s.paperEmpty ? 0x20 : 0) | (s.error ? 0x40 : 0);
  if (n === 3) b |= s.error ? 0x40 : 0;
  if (n === 4) b |= (s.paperNearEnd ? 0x0c : 0) | (s.paperEmpty ? 0x60 : 0);
  return b;
}

/** GS r 1 answer byte (for simulators). */
export function encodeTransmitPaperStatus(s: PrinterStatus): number {
  return (s.paperNearEnd ? 0x03 : 0) | (s.paperEmpty ? 0x0c : 0);
}

/** 4-byte ASB message (for simulators). */
export function encodeAsb(s: PrinterStatus): Uint8Array {
  return Uint8Array.of(
    0x10 | (s.drawerOpen ? 0x04 : 0) | (s.online ? 0 : 0x08) | (s.coverOpen ? 0x20 : 0),
    s.error ? 0x40 : 0,
    (s.paperNearEnd ? 0x03 : 0) | (s.paperEmpty ? 0x0c : 0),
    0x00,
  );
}
