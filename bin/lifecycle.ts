import { createServer } from 'node:net';

/** Resolves on the first Ctrl-C or SIGTERM, so a command can stop its servers in order. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `preferred` when nothing listens on it at `host`, otherwise 0 (any free port). */
export async function preferPort(preferred: number, host = '127.0.0.1'): Promise<number> {
  if (preferred === 0) return 0;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen(preferred, host, () => probe.close(() => resolve(preferred)));
  });
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
