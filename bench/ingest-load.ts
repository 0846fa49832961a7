import { parentPort, workerData } from 'node:worker_threads';
import { storeCashAccountId, storeSalesAccountId } from '../core/accounts';
import { uuidv7 } from '../core/ids';
import { eventToWire, type SyncEvent } from '../protocols/sync/v1/codec';
import { demoChain } from '../fixtures/data/demo-chain';
import * as grpc from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS } from '../protocols/sync/v1/proto-path';

/**
 * The PushEvents load generator, run in a worker thread so that building and encoding the
 * terminals' batches does not share HQ's event loop: the figures are the server's. Each terminal
 * pushes its own events in order, one batch after the other, as a till does; the terminals push
 * at the same time, as a chain's tills do after a busy hour.
 */

export interface IngestLoad {
  address: string;
  /** One per terminal; each pushes `eventsPerTerminal` cash sales with seq 1, 2, … */
  credentials: string[];
  storeId: string;
  eventsPerTerminal: number;
  batch: number;
}

export interface IngestLoadResult {
  events: number;
  /** From the first batch sent to the last one acknowledged. */
  elapsedMs: number;
}

const product = demoChain.products[0]!;

/** A cash sale of one item at `storeId`, as a till's outbox holds it. */
export function cashSale(storeId: string, seq: number): SyncEvent {
  const id = uuidv7();
  const now = Date.now();
  const sale = {
    id, storeId, terminalId: '', currency: 'CNY', memberId: null, cardId: null,
    lines: [{ lineNo: 1, sku: product.sku, barcode: product.barcode, name: product.name, quantity: 1, unitPriceMinor: product.priceMinor, amountMinor: product.priceMinor, eligibleForMemberBenefits: true }],
    totalMinor: product.priceMinor, tenders: [{ kind: 'cash' as const, amountMinor: product.priceMinor, tenderedMinor: product.priceMinor, changeMinor: 0 }], pointsEarned: 0, completedAt: now,
  };
  return {
    seq, id: uuidv7(), occurredAt: now, body: { type: 'sale', sale },
    transfers: [{ id: uuidv7(), kind: 'single', debitAccountId: storeCashAccountId(storeId), creditAccountId: storeSalesAccountId(storeId), ledger: 'CNY', amount: product.priceMinor, code: 'SALE_CASH', pendingId: null, timestamp: now, originTerminalId: null, documentId: id }],
  };
}

/** PushEvents as the proto-loader definition every side uses: its path and its request encoder. */
function pushEventsMethod(): MethodDefinition<unknown, unknown> {
  const definition = loadSync(SYNC_PROTO_FILE, SYNC_PROTO_LOADER_OPTIONS);
  return (definition['onecard.sync.v1.TerminalSync'] as Record<string, MethodDefinition<unknown, unknown>>)['PushEvents']!;
}

async function run(load: IngestLoad): Promise<IngestLoadResult> {
  const push = pushEventsMethod();
  const client = new grpc.Client(load.address, grpc.credentials.createInsecure());
  try {
    // Every batch is built and encoded to its protobuf bytes before the clock starts: a till
    // encodes its own batch on its own machine, so the encoding is not HQ's work to measure.
    const perTerminal = load.credentials.map(() => {
      const batches: Buffer[] = [];
      for (let first = 1; first <= load.eventsPerTerminal; first += load.batch) {
        const last = Math.min(load.eventsPerTerminal, first + load.batch - 1);
        const events = Array.from({ length: last - first + 1 }, (_, i) => eventToWire(cashSale(load.storeId, first + i)));
        batches.push(push.requestSerialize({ events }));
      }
      return batches;
    });
    const send = (bytes: Buffer, credential: string) =>
      new Promise<void>((resolve, reject) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', `Bearer ${credential}`);
        client.makeUnaryRequest(push.path, (b: Buffer) => b, push.responseDeserialize, bytes, metadata, (err) => (err ? reject(err) : resolve()));
      });
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
    const start = performance.now();
    await Promise.all(
      load.credentials.map(async (credential, t) => {
        for (const bytes of perTerminal[t]!) await send(bytes, credential);
      }),
    );
    return { events: load.credentials.length * load.eventsPerTerminal, elapsedMs: performance.now() - start };
  } finally {
    client.close();
  }
}

if (parentPort) parentPort.postMessage(await run(workerData as IngestLoad));
