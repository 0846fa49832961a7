import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const CLI = resolve(__dirname, '../../bin/onecard.js');

/** A running `onecard …` child process whose output a test can wait on. */
export class CliProcess {
  readonly child: ChildProcess;
  private output = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      for (const wake of this.waiters.splice(0)) wake();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((done) => this.child.once('exit', (code, signal) => {
      done({ code, signal });
      for (const wake of this.waiters.splice(0)) wake();
    }));
  }

  get text(): string {
    return this.output;
  }

  /** Waits until the output matches `pattern` and returns the match; fails if the process ends first. */
  async waitFor(pattern: RegExp, guardMs = 90_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + guardMs;
    for (;;) {
      const m = this.output.match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`process ended before ${pattern}:\n${this.output}`);
      }
      if (Date.now() > deadline) throw new Error(`no ${pattern} after ${guardMs} ms:\n${this.output}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, 1_000);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
