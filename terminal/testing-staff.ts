import { hash } from '@node-rs/argon2';
import type { ChainSeed } from '../core/chain';
import { uuidv7 } from '../core/ids';
import type { TerminalOperator } from '../protocols/sync/v1/codec';
import type { TerminalDb } from './db';
import { applyChange } from './master-data';
import type { Credential } from './operators';
import { createStaff, type TillStaff } from './staff-api';
import type { TestTerminal } from './testing';

/**
 * Operators at the till for tests: the demo chain's store-sh-01 cashier and store manager, as
 * HQ's operator feed brings them to a terminal (argon2 PIN hashes, operator cards, the
 * permissions their roles give), and signing in over the local API as the cashier app does.
 * Tests with a real HQ get the same operators from HQ's feed and only sign in.
 */

export const CASHIER_PERMISSIONS = ['member.read', 'org.read', 'sale.create', 'sale.refund'];
export const MANAGER_PERMISSIONS = [
  'discount.manual', 'drawer.open', 'member.read', 'member.write', 'operator.manage', 'org.read',
  'price.override', 'refund.above_limit', 'sale.create', 'sale.refund', 'sale.void',
];

export interface TillOperator {
  id: string;
  name: string;
  login: string;
  pin: string;
  cardNo: string;
  permissions: string[];
}

/** Logins, PINs and operator cards as in fixtures/data/demo-chain.ts. */
export const TILL_CASHIER: TillOperator = { id: 'op-sh-01-cashier-1', name: '收银员 顾小燕', login: 'sh01.cashier1', pin: '5101', cardNo: 'F0510001', permissions: CASHIER_PERMISSIONS };
export const TILL_MANAGER: TillOperator = { id: 'op-sh-01-manager', name: '店长 陆海', login: 'sh01.manager', pin: '5100', cardNo: 'F0510000', permissions: MANAGER_PERMISSIONS };

export const pinOf = (o: TillOperator): Credential => ({ login: o.login, pin: o.pin });
export const cardOf = (o: TillOperator): Credential => ({ cardNo: o.cardNo });

const hashes = new Map<string, Promise<string>>();
const pinHash = (pin: string) => {
  let h = hashes.get(pin);
  if (!h) hashes.set(pin, (h = hash(pin)));
  return h;
};

/** Puts the operators into the terminal's cache the way a PullChanges operator change does. */
export async function seedTillOperators(db: TerminalDb, operators: TillOperator[] = [TILL_CASHIER, TILL_MANAGER]): Promise<void> {
  const fed: TerminalOperator[] = await Promise.all(
    operators.map(async (o) => ({ id: o.id, name: o.name, login: o.login, pinHash: await pinHash(o.pin), cardNo: o.cardNo, permissions: o.permissions, locked: false })),
  );
  let seq = 900_000;
  db.transaction(() => {
    for (const operator of fed) applyChange(db, { seq: ++seq, deleted: false, body: { type: 'operator', operator } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0 });
  })();
}

/** The staff services of a test terminal, over its own database and clock. */
export function testStaff(t: TestTerminal, o: { refundLimitMinor?: number; openDrawer?: () => Promise<boolean> } = {}): TillStaff {
  return createStaff({ db: t.db, clock: t.clock, newId: () => uuidv7(t.clock), checkout: t.checkout, services: t.services, ...o });
}

/** Signs in at a till's local API (`baseUrl` as the terminal serves it) with login + PIN or an operator card. */
export async function signInTill(baseUrl: string, token: string, credential: Credential = pinOf(TILL_CASHIER)): Promise<{ operatorId: string }> {
  const res = await fetch(new URL('/api/session', baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(credential),
  });
  const body = (await res.json()) as { session?: { operator: { id: string } }; error?: { code: string; message: string } };
  if (res.status !== 201 || !body.session) throw new Error(`sign-in at the till failed (${res.status}): ${body.error?.code} ${body.error?.message}`);
  return { operatorId: body.session.operator.id };
}

/** A store's first cashier and its store manager in a chain seed, by login and PIN (as HQ's feed brings them). */
export function tillCredentials(seed: ChainSeed, storeId: string): { cashier: { login: string; pin: string }; manager: { login: string; pin: string } } {
  const at = seed.operators.filter((o) => o.nodeId === storeId);
  const cashier = at.find((o) => o.roles.includes('cashier'));
  const manager = at.find((o) => o.roles.includes('store_manager'));
  if (!cashier || !manager) throw new Error(`the seed has no cashier and store manager at ${storeId}`);
  return { cashier: { login: cashier.login, pin: cashier.pin }, manager: { login: manager.login, pin: manager.pin } };
}

/**
 * Signs in once the till's operator cache holds the login: a till started as a process signs in
 * after its first pull of HQ's operator feed. `guardMs` only bounds a broken run.
 */
export async function signInTillWhenFed(baseUrl: string, token: string, credential: { login: string; pin: string }, guardMs = 60_000): Promise<{ operatorId: string }> {
  const deadline = Date.now() + guardMs;
  for (;;) {
    const res = await fetch(new URL('/api/session/operators', baseUrl), { headers: { authorization: `Bearer ${token}` } });
    const { operators } = (await res.json()) as { operators: Array<{ login: string }> };
    if (operators.some((o) => o.login === credential.login)) return signInTill(baseUrl, token, credential);
    if (Date.now() > deadline) throw new Error(`the till never received operator ${credential.login} from HQ`);
    await new Promise((wake) => setTimeout(wake, 200));
  }
}
