import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChainSeed } from '../../core/chain';
import type { Sql } from '../database';
import { createHttpApp } from '../http-server';
import { seedChain } from '../seed';
import { startTestDatabase, type TestDatabase } from './pg';

export interface RestReply {
  status: number;
  body: any;
}

/** A seeded database and HQ's REST app on a free loopback port, with a small fetch helper. */
export async function startTestRest(seed: ChainSeed): Promise<{
  db: TestDatabase;
  sql: Sql;
  base: string;
  request(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<RestReply>;
  signIn(login: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}> {
  const db = await startTestDatabase();
  await seedChain(db.sql, seed);
  const server: Server = createHttpApp({ sql: db.sql, log: () => {} }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  async function request(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<RestReply> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  }
  async function signIn(login: string, password = 'onecard-demo'): Promise<string> {
    const r = await request('POST', '/api/v1/sessions', { body: { login, password } });
    if (r.status !== 201) throw new Error(`sign-in of ${login} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  }
  return {
    db,
    sql: db.sql,
    base,
    request,
    signIn,
    stop: async () => {
      await new Promise((resolve) => server.close(resolve));
      await db.stop();
    },
  };
}
