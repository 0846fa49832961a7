import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/** What the UI hears on the push channel; `type` is the SSE event name. */
export interface PushEvent {
  type: string;
  data: unknown;
}

export function isLoopbackAddress(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The push channel to the cashier UI: Server-Sent Events at GET /api/events. EventSource cannot
 * send an Authorization header, so this one route takes the per-launch token as `?token=`, and
 * only from this machine (loopback peer and loopback Host, like the page that carries the token).
 */
export class EventsStream {
  private readonly clients = new Set<Response>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private nextId = 1;

  constructor(private readonly token: string) {}

  /** The express handler of GET /api/events. */
  readonly handle = (req: Request, res: Response): void => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(req.headers.host)) {
      res.status(403).json({ error: { code: 'UNAUTHENTICATED', message: 'the event stream is served to this machine only' } });
      return;
    }
    if (!sameToken(token, this.token)) {
      res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'the event stream needs the terminal token: /api/events?token=<token>' } });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) c.write(': keep-alive\n\n');
    }, 15_000);
    this.heartbeat.unref();
    this.onConnect?.((e) => this.writeTo(res, e));
  };

  /** Called for each new client with a sender, so it starts from the current state. */
  onConnect: ((send: (e: PushEvent) => void) => void) | null = null;

  get clientCount(): number {
    return this.clients.size;
  }

  publish(e: PushEvent): void {
    for (const c of this.clients) this.writeTo(c, e);
  }

  private writeTo(res: Response, e: PushEvent): void {
    res.write(`id: ${this.nextId++}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
