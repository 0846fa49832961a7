import type * as grpc from '@grpc/grpc-js';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './database';

/**
 * Prometheus metrics of an HQ process, served at GET /metrics. Timings are measured where the
 * calls are served; counts and lags are read from PostgreSQL when scraped, so every HQ instance
 * of a chain reports the same truth about the shared database.
 */
export const hqRegistry = new Registry();
collectDefaultMetrics({ register: hqRegistry, prefix: 'onecard_hq_' });

const grpcDuration = new Histogram({
  name: 'onecard_grpc_request_duration_seconds',
  help: 'TerminalSync calls served, by method and gRPC status',
  labelNames: ['method', 'code'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [hqRegistry],
});

const authorizeDuration = new Histogram({
  name: 'onecard_authorize_duration_seconds',
  help: 'Online stored-value and points holds (Authorize), by outcome',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [hqRegistry],
});

const eventsStored = new Gauge({ name: 'onecard_events', help: 'Pushed events stored at HQ, by status (applied, quarantined)', labelNames: ['status'] as const, registers: [hqRegistry] });
const pushLag = new Gauge({
  name: 'onecard_terminal_push_lag_seconds',
  help: "Seconds between a terminal's latest stored event happening at the terminal and reaching HQ",
  labelNames: ['terminal'] as const,
  registers: [hqRegistry],
});
const sinceContact = new Gauge({ name: 'onecard_terminal_seconds_since_contact', help: 'Seconds since each enrolled terminal last called HQ', labelNames: ['terminal'] as const, registers: [hqRegistry] });

type Handler = (...args: any[]) => unknown;

/** Wraps every TerminalSync handler to time it (unary calls end at their callback). */
export function instrumentSyncHandlers<T extends grpc.UntypedServiceImplementation>(handlers: T): T {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const h = handler as unknown as Handler;
    if (h.length < 2) {
      wrapped[method] = handler; // server streams (Subscribe) have no single duration
      continue;
    }
    wrapped[method] = ((call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      const end = grpcDuration.startTimer({ method });
      const endAuthorize = method === 'Authorize' ? authorizeDuration.startTimer() : null;
      return h(call, (err: grpc.ServiceError | null, value?: unknown) => {
        const code = err ? String(err.code ?? 'UNKNOWN') : '0';
        end({ code });
        endAuthorize?.({ outcome: err ? 'refused' : 'held' });
        callback(err, value);
      });
    }) as grpc.UntypedHandleCall;
  }
  return wrapped as T;
}

/** Reads the database-derived gauges and renders every metric in the Prometheus text format. */
export async function renderMetrics(sql: Db): Promise<{ contentType: string; body: string }> {
  eventsStored.reset();
  for (const r of await sql<Array<{ status: string; n: number }>>`select status, count(*)::int as n from events group by status`) eventsStored.set({ status: r.status }, r.n);
  pushLag.reset();
  for (const r of await sql<Array<{ terminal_id: string; lag: number | null }>>`
    select distinct on (terminal_id) terminal_id,
      -- The stored body is the event as it came off the wire (a JSON object, or that object as a JSON string).
      extract(epoch from received_at)::float8 - ((body #>> '{}')::jsonb ->> 'occurredAt')::float8 / 1000 as lag
    from events order by terminal_id, seq desc`) {
    if (r.lag !== null) pushLag.set({ terminal: r.terminal_id }, Math.max(0, r.lag));
  }
  sinceContact.reset();
  for (const r of await sql<Array<{ id: string; seconds: number }>>`
    select id, extract(epoch from now() - last_contact_at)::float8 as seconds from terminals where last_contact_at is not null and revoked_at is null`) {
    sinceContact.set({ terminal: r.id }, r.seconds);
  }
  return { contentType: hqRegistry.contentType, body: await hqRegistry.metrics() };
}
