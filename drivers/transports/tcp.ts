import { Socket } from 'node:net';
import { DeviceError } from '../errors';
import { type Transport, TransportListeners } from '../transport';

export interface TcpSettings {
  readonly host: string;
  readonly port: number;
  readonly connectTimeout_ms?: number;
}

/** A TCP client, e.g. a receipt printer on port 9100 or a network payment terminal. */
export class TcpTransport implements Transport {
  readonly description: string;
  private socket: Socket | undefined;
  private readonly listeners = new TransportListeners();

  constructor(private readonly settings: TcpSettings) {
    this.description = `tcp ${settings.host}:${settings.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  async open(): Promise<void> {
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DeviceError('TIMEOUT', `no answer from ${this.description}`));
      }, this.settings.connectTimeout_ms ?? 5_000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new DeviceError('NO_HARDWARE', `cannot connect to ${this.description}: ${err.message}`, undefined, { cause: err }));
      });
      socket.connect(this.settings.port, this.settings.host, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.removeAllListeners('error');
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.listeners.emitData(new Uint8Array(chunk)));
    socket.on('error', () => undefined); // 'close' follows and reports it
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.listeners.emitDisconnect(new Error(`${this.description} closed the connection`));
    });
    this.socket = socket;
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
      s.destroySoon();
      if (s.destroyed) resolve();
    });
  }

  async write(data: Uint8Array): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) throw new DeviceError('OFFLINE', `${this.description} is not connected`);
    await new Promise<void>((resolve, reject) =>
      s.write(data, (err) => (err ? reject(new DeviceError('OFFLINE', err.message, undefined, { cause: err })) : resolve())),
    );
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onData(listener);
  }

  onDisconnect(listener: (cause: Error) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }
}
