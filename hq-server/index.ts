import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrate, openDatabase, type Sql } from './database';
import { startGrpcServer } from './grpc-server';
import { startHousekeeping } from './housekeeping';
import { createHttpApp } from './http-server';
import { startJobs } from './jobs';
import { seedDefaultSettings } from './settings';

export { seedChain, createEnrollmentCode } from './seed';
export { migrate, openDatabase } from './database';
export type { Sql } from './database';

export interface StartHqOptions {
  /** Any PostgreSQL; without it HQ runs the embedded one in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** Interface both servers bind to (default 127.0.0.1). */
  host?: string;
  /** 0 = any free port. */
  httpPort?: number;
  /** 0 = any free port. */
  grpcPort?: number;
  tls?: { certFile: string; keyFile: string };
  log?: (msg: string) => void;
  /** Periodic jobs (points expiry, rebates, level review); on unless false. */
  jobs?: boolean;
}

export interface RunningHq {
  httpUrl: string;
  /** host:port */
  grpcAddress: string;
  sql: Sql;
  stop(): Promise<void>;
}

/**
 * The HQ composition root: database (embedded unless `databaseUrl`), migrations, gRPC sync
 * with health, REST API and console. stop() closes them all in reverse and leaves no
 * PostgreSQL running.
 */
export async function startHq(options: StartHqOptions): Promise<RunningHq> {
  const log = options.log ?? ((msg: string) => console.log(msg));
  const host = options.host ?? '127.0.0.1';
  const db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, log });
  const closers: Array<() => Promise<void>> = [() => db.close()];
  const stop = async () => {
    while (closers.length > 0) {
      const close = closers.pop()!;
      await close().catch((e: unknown) => log(`HQ stop: ${e instanceof Error ? e.message : String(e)}`));
    }
  };
  try {
    const applied = await migrate(db.sql);
    if (applied.length > 0) log(`database migrated: ${applied.join(', ')}`);
    // A database from before chain settings existed gets their defaults (and terminals the feed rows).
    await db.sql.begin((tx) => seedDefaultSettings(tx));
    // Expired holds, superseded feed rows, dead sessions.
    const housekeeping = startHousekeeping(db.sql, log);
    closers.push(() => housekeeping.stop());
    // Points expiry, matured rebates, the yearly level review.
    if (options.jobs !== false) {
      const jobs = startJobs(db.sql, log);
      closers.push(() => jobs.stop());
    }
    const grpcServer = await startGrpcServer({ sql: db.sql, host, port: options.grpcPort ?? 0, tls: options.tls, log });
    closers.push(() => grpcServer.stop());
    const app = createHttpApp({ sql: db.sql, log });
    const http: Server = await new Promise((resolve, reject) => {
      const server = app.listen(options.httpPort ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(server)));
      server.once('error', reject);
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    );
    const { port } = http.address() as AddressInfo;
    const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    let stopped: Promise<void> | null = null;
    return {
      httpUrl: `http://${urlHost}:${port}`,
      grpcAddress: grpcServer.address,
      sql: db.sql,
      stop: () => (stopped ??= stop()),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
