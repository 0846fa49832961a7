/**
 * Result codes after UnifiedPOS (OPOS_E_*, plus the printer's extended codes), so the terminal
 * and the cashier UI branch on `code`, never on message text.
 */
export type DeviceErrorCode =
  | 'CLOSED' // E_CLOSED: the device is not open
  | 'CLAIMED' // E_CLAIMED: another owner holds it
  | 'NOT_CLAIMED' // E_NOTCLAIMED
  | 'DISABLED' // E_DISABLED
  | 'ILLEGAL' // E_ILLEGAL: a call not allowed in this state or with these arguments
  | 'NO_SERVICE' // E_NOSERVICE: the driver package (serialport, node-hid, usb) cannot load
  | 'NO_HARDWARE' // E_NOHARDWARE: nothing is plugged in where the config says
  | 'OFFLINE' // E_OFFLINE: it was there and went away
  | 'TIMEOUT' // E_TIMEOUT
  | 'BUSY' // E_BUSY
  | 'FAILURE' // E_FAILURE
  | 'PROTOCOL' // the device answered with bytes that do not decode
  | 'PAPER_EMPTY' // EPTR_REC_EMPTY
  | 'COVER_OPEN'; // EPTR_COVER_OPEN

/** An error a device reports; `message` is written so a cashier or technician can act on it. */
export class DeviceError extends Error {
  override readonly name = 'DeviceError';
  constructor(
    readonly code: DeviceErrorCode,
    message: string,
    readonly device?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps anything thrown into a DeviceError, keeping the original as `cause`. */
export function asDeviceError(err: unknown, fallback: DeviceErrorCode, device?: string): DeviceError {
  if (err instanceof DeviceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DeviceError(fallback, message, device, { cause: err });
}
