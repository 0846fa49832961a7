/**
 * One interface for every link to a device. Serial and TCP deliver a byte stream; HID delivers
 * one input report per `data` chunk; USB delivers one bulk-in transfer per chunk.
 * Device classes receive a Transport; they never import serialport, node-hid or usb.
 */
export interface Transport {
  /** Where this transport goes, for messages: "serial /dev/ttyUSB0 @9600". */
  readonly description: string;
  readonly isOpen: boolean;
  /** Opens the link; rejects with a DeviceError (NO_SERVICE, NO_HARDWARE, OFFLINE). */
  open(): Promise<void>;
  close(): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Called when the link goes away without close() (unplug, cable pulled, peer closed). */
  onDisconnect(listener: (cause: Error) => void): () => void;
}

/** Shared listener bookkeeping for transports. */
export class TransportListeners {
  private readonly data = new Set<(chunk: Uint8Array) => void>();
  private readonly disconnect = new Set<(cause: Error) => void>();

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.data.add(listener);
    return () => this.data.delete(listener);
  }

  onDisconnect(listener: (cause: Error) => void): () => void {
    this.disconnect.add(listener);
    return () => this.disconnect.delete(listener);
  }

  emitData(chunk: Uint8Array): void {
    for (const l of [...this.data]) l(chunk);
  }

  emitDisconnect(cause: Error): void {
    for (const l of [...this.disconnect]) l(cause);
  }
}
