import { DeviceError } from '../errors';
import { type Transport, TransportListeners } from '../transport';

/** The simulator's end of an in-process link: what the device "hears" and "says". */
export interface SimulatedPeer {
  /** Bytes the host wrote to the device. */
  onHostWrite(listener: (chunk: Uint8Array) => void): () => void;
  /** Sends bytes (or one HID report) to the host. */
  send(chunk: Uint8Array): void;
  /** Like pulling the cable: the host sees a disconnect and cannot reopen until plugIn(). */
  unplug(): void;
  plugIn(): void;
  readonly pluggedIn: boolean;
}

/**
 * A transport and its simulated peer in one process. The demo uses it so simulated devices need
 * no socat, libusb or udev; tests use it for fast lifecycle checks.
 */
export function createInProcessLink(description = 'in-process simulator'): { transport: Transport; peer: SimulatedPeer } {
  const host = new TransportListeners();
  const hostWrites = new Set<(chunk: Uint8Array) => void>();
  let open = false;
  let plugged = true;

  const transport: Transport = {
    description,
    get isOpen() {
      return open;
    },
    async open() {
      if (!plugged) throw new DeviceError('NO_HARDWARE', `${description} is unplugged`);
      open = true;
    },
    async close() {
      open = false;
    },
    async write(data) {
      if (!open) throw new DeviceError(plugged ? 'CLOSED' : 'OFFLINE', `${description} is not open`);
      const copy = Uint8Array.from(data);
      // Deliver on a later tick, as a real link would.
      queueMicrotask(() => {
        for (const l of [...hostWrites]) l(copy);
      });
    },
    onData: (l) => host.onData(l),
    onDisconnect: (l) => host.onDisconnect(l),
  };

  const peer: SimulatedPeer = {
    onHostWrite(listener) {
      hostWrites.add(listener);
      return () => hostWrites.delete(listener);
    },
    send(chunk) {
      if (!open) return; // nobody is listening, as on a real wire
      const copy = Uint8Array.from(chunk);
      queueMicrotask(() => {
        if (open) host.emitData(copy);
      });
    },
    unplug() {
      plugged = false;
      if (open) {
        open = false;
        host.emitDisconnect(new Error(`${description} was unplugged`));
      }
    },
    plugIn() {
      plugged = true;
    },
    get pluggedIn() {
      return plugged;
    },
  };
  return { transport, peer };
}
