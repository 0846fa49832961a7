import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq } from './index';
import { startTestHq } from './testing/hq';
import { createTestSyncClient } from './testing/sync-client';

describe('startHq', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'onecard-hq-start-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('brings up gRPC and HTTP on free ports, stops without leaving PostgreSQL running, and reuses the data', async () => {
    const lines: string[] = [];
    const hq = await startHq({ dataDir, log: (m) => lines.push(m) });
    try {
      expect(hq.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(hq.grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      const health = await fetch(`${hq.httpUrl}/api/v1/health`);
      expect(await health.json()).toEqual({ status: 'ok', database: 'up' });
      const client = createTestSyncClient(hq.grpcAddress);
      try {
        expect(await client.health('onecard.sync.v1.TerminalSync')).toBe('SERVING');
      } finally {
        client.close();
      }
      await seedChain(hq.sql, demoChain);
      expect(lines.some((l) => /migrated/.test(l))).toBe(true);
    } finally {
      await hq.stop();
      await hq.stop(); // twice is harmless
    }
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const again = await startHq({ dataDir, log: () => {} });
    try {
      const [row] = await again.sql`select count(*)::int as n from members`;
      expect(row!.n).toBe(demoChain.members.length);
      expect(await createEnrollmentCode(again.sql, demoChain.terminals[0]!.id)).toMatch(/-/);
    } finally {
      await again.stop();
    }
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('ends Subscribe streams when it stops', async () => {
    const hq = await startHq({ dataDir, log: () => {} });
    const client = createTestSyncClient(hq.grpcAddress);
    try {
      const code = await createEnrollmentCode(hq.sql, 't-sh-01-2');
      const { credential } = await client.call('Enroll', { enrollmentCode: code, deviceName: '' });
      const stream = client.subscribe(credential);
      const ended = new Promise<string>((resolve) => {
        stream.on('error', (e) => resolve(`error ${e.message}`));
        stream.on('end', () => resolve('end'));
      });
      await new Promise((resolve) => stream.once('data', resolve));
      await hq.stop();
      expect(await ended).toBeTruthy();
    } finally {
      client.close();
      await hq.stop();
    }
  });

  it('serves gRPC over TLS when given a certificate', async () => {
    const certFile = join(dataDir, 'hq.crt');
    const keyFile = join(dataDir, 'hq.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const hq = await startHq({ dataDir, tls: { certFile, keyFile }, log: () => {} });
    const client = createTestSyncClient(hq.grpcAddress, grpc.credentials.createSsl(readFileSync(certFile)));
    try {
      expect(await client.health('')).toBe('SERVING');
    } finally {
      client.close();
      await hq.stop();
    }
  });

  it('startTestHq gives a seeded HQ that enrolls terminals and cleans up after itself', async () => {
    const hq = await startTestHq(demoChain);
    const client = createTestSyncClient(hq.grpcAddress);
    try {
      const code = await hq.enrollmentCode('t-sh-01-1');
      expect((await client.call('Enroll', { enrollmentCode: code, deviceName: '' })).storeId).toBe('store-sh-01');
    } finally {
      client.close();
      await hq.stop();
    }
    expect(existsSync(hq.dataDir)).toBe(false);
  });
});
