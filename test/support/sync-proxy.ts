import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from '../../protocols/sync/v1/proto-path';

/**
 * A TerminalSync proxy between terminals and HQ that misbehaves on purpose: it drops requests,
 * loses responses after HQ acted on them, duplicates calls, delays them (so calls from several
 * terminals reorder) and cuts the network. What it does to each call is asked of a policy, so a
 * seeded policy makes the faults reproducible.
 */

export type Fault = 'pass' | 'drop_request' | 'lose_response' | 'duplicate' | 'cut';

export interface FaultDecision {
  fault: Fault;
  delayMs: number;
}

export interface FaultPolicy {
  decide(method: string): FaultDecision;
  /** Runs as a call is forwarded (after any delay), e.g. to restart PostgreSQL under HQ. */
  onForward?(method: string): void | Promise<void>;
}

export const PASS_THROUGH: FaultPolicy = { decide: () => ({ fault: 'pass', delayMs: 0 }) };

interface MethodDefinition {
  path: string;
  responseStream: boolean;
  requestSerialize: (v: unknown) => Buffer;
  requestDeserialize: (b: Buffer) => unknown;
  responseSerialize: (v: unknown) => Buffer;
  responseDeserialize: (b: Buffer) => unknown;
}

export class SyncProxy {
  readonly counts: Record<Fault, number> = { pass: 0, drop_request: 0, lose_response: 0, duplicate: 0, cut: 0 };
  private cutUntilHealed = false;
  private readonly streams = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  private constructor(
    private readonly server: grpc.Server,
    private readonly upstream: grpc.Client,
    readonly address: string,
    public policy: FaultPolicy,
  ) {}

  static async start(target: string, policy: FaultPolicy = PASS_THROUGH): Promise<SyncProxy> {
    const definition = loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS)['onecard.sync.v1.TerminalSync'] as unknown as Record<string, MethodDefinition>;
    const server = new grpc.Server();
    const upstream = new grpc.Client(target, grpc.credentials.createInsecure());
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const proxy = new SyncProxy(server, upstream, `127.0.0.1:${port}`, policy);
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      handlers[name] = method.responseStream
        ? (call: grpc.ServerWritableStream<unknown, unknown>) => proxy.forwardStream(name, method, call)
        : (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void proxy.forwardUnary(name, method, call, callback);
    }
    server.addService(definition as unknown as grpc.ServiceDefinition, handlers);
    return proxy;
  }

  /** Every call fails as if the cable were pulled, until heal(). Open streams end. */
  cut(): void {
    this.cutUntilHealed = true;
    for (const s of this.streams) s.destroy(Object.assign(new Error('proxy: network cut'), { code: grpc.status.UNAVAILABLE }));
    this.streams.clear();
  }

  heal(): void {
    this.cutUntilHealed = false;
  }

  async stop(): Promise<void> {
    this.cut();
    this.upstream.close();
    this.server.forceShutdown();
  }

  private decision(name: string): FaultDecision {
    if (this.cutUntilHealed) return { fault: 'cut', delayMs: 0 };
    return this.policy.decide(name);
  }

  private unavailable(why: string): grpc.ServiceError {
    return Object.assign(new Error(`proxy: ${why}`), { code: grpc.status.UNAVAILABLE, details: `proxy: ${why}`, metadata: new grpc.Metadata() });
  }

  private callUpstream(method: MethodDefinition, request: unknown, metadata: grpc.Metadata): Promise<{ err: grpc.ServiceError | null; response: unknown }> {
    return new Promise((resolve) => {
      this.upstream.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, { deadline: Date.now() + 30_000 }, (err, response) =>
        resolve({ err: err ?? null, response }),
      );
    });
  }

  private async forwardUnary(name: string, method: MethodDefinition, call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): Promise<void> {
    const d = this.decision(name);
    this.counts[d.fault] += 1;
    if (d.delayMs > 0) await new Promise((r) => setTimeout(r, d.delayMs));
    if (d.fault === 'cut' || d.fault === 'drop_request' || this.cutUntilHealed) {
      callback(this.unavailable(d.fault === 'drop_request' ? 'request dropped' : 'network cut'));
      return;
    }
    await this.policy.onForward?.(name);
    let result = await this.callUpstream(method, call.request, call.metadata);
    if (d.fault === 'duplicate') result = await this.callUpstream(method, call.request, call.metadata);
    if (d.fault === 'lose_response') {
      callback(this.unavailable('response lost'));
      return;
    }
    if (result.err) callback(result.err);
    else callback(null, result.response);
  }

  private forwardStream(name: string, method: MethodDefinition, call: grpc.ServerWritableStream<unknown, unknown>): void {
    const d = this.decision(name);
    this.counts[d.fault] += 1;
    if (d.fault !== 'pass' && d.fault !== 'duplicate') {
      call.destroy(Object.assign(new Error('proxy: stream refused'), { code: grpc.status.UNAVAILABLE }));
      return;
    }
    this.streams.add(call);
    const upstream = this.upstream.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, call.request, call.metadata);
    upstream.on('data', (m) => call.write(m));
    upstream.on('error', (e) => {
      this.streams.delete(call);
      call.destroy(e);
    });
    upstream.on('end', () => {
      this.streams.delete(call);
      call.end();
    });
    call.on('cancelled', () => upstream.cancel());
  }
}
