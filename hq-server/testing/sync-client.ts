import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from '../../protocols/sync/v1/proto-path';

/** A plain @grpc/grpc-js client of TerminalSync from the shared .proto, with promise calls, for tests. */
export interface TestSyncClient {
  call<R = any>(method: string, request: unknown, credential?: string | null): Promise<R>;
  subscribe(credential: string): grpc.ClientReadableStream<{ latestSeq: string }>;
  health(service: string): Promise<string>;
  close(): void;
}

export interface CallError extends grpc.ServiceError {
  onecardCode: string | undefined;
}

export function createTestSyncClient(address: string, channel: grpc.ChannelCredentials = grpc.credentials.createInsecure()): TestSyncClient {
  const pkg = grpc.loadPackageDefinition(loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)) as any;
  const client = new pkg.onecard.sync.v1.TerminalSync(address, channel) as grpc.Client & Record<string, Function>;
  const healthPkg = grpc.loadPackageDefinition(loadSync(HEALTH_PROTO, { enums: String })) as any;
  const healthClient = new healthPkg.grpc.health.v1.Health(address, channel);
  const metadataFor = (credential?: string | null) => {
    const m = new grpc.Metadata();
    if (credential) m.set('authorization', `Bearer ${credential}`);
    return m;
  };
  return {
    call: (method, request, credential) =>
      new Promise((resolve, reject) => {
        client[method]!.call(client, request, metadataFor(credential), (err: grpc.ServiceError | null, response: any) => {
          if (err) {
            const code = err.metadata?.get('onecard-code')[0];
            reject(Object.assign(err, { onecardCode: code === undefined ? undefined : String(code) }));
          } else resolve(response);
        });
      }),
    subscribe: (credential) => client['Subscribe']!.call(client, {}, metadataFor(credential)),
    health: (service) =>
      new Promise((resolve, reject) =>
        healthClient.Check({ service }, (err: grpc.ServiceError | null, r: { status: string }) => (err ? reject(err) : resolve(r.status))),
      ),
    close: () => {
      client.close();
      healthClient.close();
    },
  };
}
