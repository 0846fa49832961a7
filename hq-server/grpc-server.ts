import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';
import type { Clock } from '../core/ids';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from '../protocols/sync/v1/proto-path';
import type { Log, Sql } from './database';
import { ChangeNudger, syncServiceHandlers } from './sync-service';
import { instrumentSyncHandlers } from './metrics';

export const SYNC_SERVICE_NAME = 'onecard.sync.v1.TerminalSync';

/** The TerminalSync service definition, from the same .proto terminals use. */
export function loadSyncService(): grpc.ServiceDefinition {
  const definition = loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { onecard: { sync: { v1: { TerminalSync: grpc.ServiceClientConstructor } } } };
  return pkg.onecard.sync.v1.TerminalSync.service;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

export interface GrpcServerOptions {
  sql: Sql;
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string } | undefined;
  log: Log;
  clock?: Clock;
}

export interface RunningGrpcServer {
  /** host:port */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** Serves TerminalSync and the standard health service; TLS when a certificate is given. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { sql, host, log } = options;
  const nudger = new ChangeNudger(sql, log);
  await nudger.start();
  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_permit_without_calls': 1,
    // A full outbox batch of large sales can pass the 4 MB default.
    'grpc.max_receive_message_length': 32 * 1024 * 1024,
  });
  server.addService(loadSyncService(), instrumentSyncHandlers(syncServiceHandlers({ sql, log, nudger, clock: options.clock })));
  const health = new HealthImplementation({ '': 'SERVING', [SYNC_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);

  let credentials: grpc.ServerCredentials;
  if (options.tls) {
    const [cert, key] = await Promise.all([readFile(options.tls.certFile), readFile(options.tls.keyFile)]);
    credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
  } else {
    credentials = grpc.ServerCredentials.createInsecure();
    if (!isLoopback(host)) log(`WARNING: gRPC on ${host} without TLS: terminal credentials cross the network in clear. Configure a certificate.`);
  }
  const bindHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${bindHost}:${options.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
    );
  } catch (e) {
    await nudger.stop();
    throw e;
  }
  let stopped = false;
  return {
    address: `${bindHost}:${port}`,
    port,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(SYNC_SERVICE_NAME, 'NOT_SERVING');
      await nudger.stop();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 3_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
