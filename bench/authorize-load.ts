import { parentPort, workerData } from 'node:worker_threads';
import { uuidv7 } from '../core/ids';
import { createTestSyncClient } from '../hq-server/testing/sync-client';

/**
 * The Authorize load generator, run in a worker thread so that its gRPC client does not share
 * HQ's event loop: the figures are the server's. Open loop: call i is due at start + i/rate,
 * whether or not earlier calls have answered.
 */

export interface AuthorizeLoad {
  /** `health`: the standard health Check instead, a bare gRPC round trip through the same server (the reference). */
  call?: 'authorize' | 'health';
  address: string;
  credentials: string[];
  cards: string[];
  rate: number;
  seconds: number;
}

export interface AuthorizeLoadResult {
  /** From each call's scheduled send time to its answer (includes any lateness of the generator). */
  fromScheduled: number[];
  /** From the moment each call was actually sent to its answer. */
  fromSent: number[];
  /** How late the generator sent calls (ms past their due time), at most. */
  maxLateMs: number;
  /** Failed calls by code (their latencies count as infinite). */
  failures: Record<string, number>;
}

async function run(load: AuthorizeLoad): Promise<AuthorizeLoadResult> {
  const client = createTestSyncClient(load.address);
  const fromScheduled: number[] = [];
  const fromSent: number[] = [];
  const failures: Record<string, number> = {};
  let maxLateMs = 0;
  try {
    const send = (i: number): Promise<unknown> =>
      load.call === 'health'
        ? client.health('')
        : client.call('Authorize', { holdId: uuidv7(), cardId: load.cards[i % load.cards.length], amount: '1', saleId: uuidv7() }, load.credentials[i % load.credentials.length]);
    // One call first, so the channel is connected before the clock starts.
    await send(0);
    const total = load.rate * load.seconds;
    const start = performance.now();
    const calls: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / load.rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const sent = performance.now();
      maxLateMs = Math.max(maxLateMs, sent - due);
      calls.push(
        send(i).then(
          () => {
            const end = performance.now();
            fromScheduled.push(end - due);
            fromSent.push(end - sent);
          },
          (e: { onecardCode?: string; code?: number }) => {
            const why = e.onecardCode ?? `grpc ${e.code}`;
            failures[why] = (failures[why] ?? 0) + 1;
            fromScheduled.push(Number.POSITIVE_INFINITY);
            fromSent.push(Number.POSITIVE_INFINITY);
          },
        ),
      );
    }
    await Promise.all(calls);
  } finally {
    client.close();
  }
  return { fromScheduled: fromScheduled.sort((a, b) => a - b), fromSent: fromSent.sort((a, b) => a - b), maxLateMs, failures };
}

if (parentPort) parentPort.postMessage(await run(workerData as AuthorizeLoad));
