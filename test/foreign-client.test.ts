import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { startTestHq } from '../hq-server/testing/hq';

/**
 * A gRPC client that is not ours — Debian's Python grpcio with stubs compiled by protoc from
 * our .proto — enrolls and pushes an event; forged and replayed requests are refused.
 * Debian's own interpreter (/usr/bin/python3) is the one that has python3-grpcio.
 */

const PYTHON = '/usr/bin/python3';
const PROTO_DIR = resolve(__dirname, '../protocols/sync/v1');
const CLIENT = resolve(__dirname, 'foreign-client/sync_client.py');

describe('a foreign gRPC client (Python grpcio) against HQ', () => {
  let hq: Awaited<ReturnType<typeof startTestHq>>;
  const generated = mkdtempSync(join(tmpdir(), 'onecard-pystubs-'));

  beforeAll(async () => {
    for (const tool of [PYTHON, '/usr/bin/protoc', '/usr/bin/grpc_python_plugin']) {
      if (!existsSync(tool)) throw new Error(`${tool} is missing: .ci/run installs python3-grpcio, python3-protobuf, protobuf-compiler and protobuf-compiler-grpc`);
    }
    const compiled = spawnSync('/usr/bin/protoc', [`-I${PROTO_DIR}`, `--python_out=${generated}`, `--grpc_out=${generated}`, '--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin', join(PROTO_DIR, 'sync.proto')], { encoding: 'utf8' });
    expect(compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    hq = await startTestHq(demoChain);
  });

  afterAll(async () => {
    await hq?.stop();
    rmSync(generated, { recursive: true, force: true });
  });

  it('enrolls and pushes a sale exactly once; forged credentials, replayed codes and another store are refused', async () => {
    const product = demoChain.products[0]!;
    const config = { hq: hq.grpcAddress, code: await hq.enrollmentCode('t-sh-01-2'), product, otherStoreId: 'store-gz-01' };
    // The client blocks on gRPC calls to HQ, which runs in this process: run it asynchronously.
    const { spawn } = await import('node:child_process');
    const child = spawn(PYTHON, [CLIENT, generated], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(JSON.stringify(config));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);

    expect(out.enrolled).toEqual({ terminal_id: 't-sh-01-2', store_id: 'store-sh-01' });
    expect(out.replayed_enrollment).toMatchObject({ status: 'UNAUTHENTICATED', onecard_code: 'ENROLLMENT_CODE_INVALID' });
    expect(out.push).toEqual({ acked_seq: 1, results: [{ seq: 1, status: 'applied', reason: '' }], gaps: [] });
    expect(out.replayed_push.results).toEqual([{ seq: 1, status: 'duplicate', reason: '' }]);
    expect(out.forged_credential).toMatchObject({ status: 'UNAUTHENTICATED', onecard_code: 'UNAUTHENTICATED' });
    expect(out.no_credential).toMatchObject({ status: 'UNAUTHENTICATED', onecard_code: 'UNAUTHENTICATED' });
    expect(out.other_store.results[0]).toMatchObject({ seq: 2, status: 'quarantined' });
    expect(out.other_store.results[0].reason).toContain('store-gz-01');

    const [sales] = await hq.sql<Array<{ n: number }>>`select count(*)::int as n from sales where terminal_id = 't-sh-01-2'`;
    expect(sales!.n).toBe(1);
  });
});
