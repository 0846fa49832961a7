import { createHash, randomBytes } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import {
  cardAccounts,
  cardBonusAccountId,
  cardPrincipalAccountId,
  chainAccounts,
  chainOpeningAccountId,
  memberAccounts,
  memberPointsAccountId,
  storeAccounts,
} from '../core/accounts';
import type { ChainSeed } from '../core/chain';
import { normalizePlu } from '../core/weighed';
import { DomainError, invariant } from '../core/errors';
import { POINTS_LEDGER, type Transfer } from '../core/ledger';
import { recordChanges, type ChangeRef } from './change-log';
import type { Db, Sql } from './database';
import { applyTransfers, createAccounts, MEMBER_ACCOUNT_CODES } from './ledger';
import { storeOfflinePointsExposureAccount } from './offline-exposure';
import { seedDefaultSettings } from './settings';

/**
 * Loads a chain from seed data. Only adds what is missing: rows that exist are left as they
 * are (HQ may have changed them since), opening balances are transfers with deterministic
 * ids, so a second call changes nothing.
 */
export async function seedChain(sql: Sql, seed: ChainSeed, clock: { now(): number } = { now: () => Date.now() }): Promise<void> {
  // Hash outside the transaction (argon2 is slow on purpose), only for operators not yet there.
  const existingOperators = new Set(
    (await sql`select id from operators where id = any(${seed.operators.map((o) => o.id)}::text[])`).map((r) => r.id as string),
  );
  const newOperators = await Promise.all(
    seed.operators
      .filter((o) => !existingOperators.has(o.id))
      .map(async (o) => ({
        id: o.id,
        node_id: o.nodeId,
        name: o.name,
        login: o.login,
        password_hash: await hashSecret(o.password),
        pin_hash: await hashSecret(o.pin),
        card_no: o.cardNo ?? null,
        roles: o.roles,
      })),
  );

  await sql.begin(async (tx) => {
    const changes: ChangeRef[] = [];
    const [existingChain] = await tx`select name, currency from chain`;
    if (existingChain && existingChain.currency !== seed.currency) {
      throw new DomainError('CONFLICT', `the database holds a chain in ${existingChain.currency}, the seed is in ${seed.currency}`);
    }
    await tx`insert into chain (name, currency) values (${seed.chainName}, ${seed.currency}) on conflict do nothing`;

    // Parents before children, whatever order the seed lists them in.
    const pendingNodes = [...seed.org];
    const placed = new Set((await tx`select id from org_nodes`).map((r) => r.id as string));
    while (pendingNodes.length > 0) {
      const index = pendingNodes.findIndex((n) => n.parentId === null || placed.has(n.parentId));
      invariant(index >= 0, 'org tree has a node whose parent is missing');
      const n = pendingNodes.splice(index, 1)[0]!;
      await tx`insert into org_nodes (id, parent_id, kind, name, time_zone, currency, franchisee)
        values (${n.id}, ${n.parentId}, ${n.kind}, ${n.name}, ${n.timeZone}, ${n.currency}, ${n.franchisee})
        on conflict (id) do nothing`;
      placed.add(n.id);
    }

    if (seed.levels.length > 0) {
      const rows = seed.levels.map((l) => ({
        code: l.code,
        name: l.name,
        rank: l.rank,
        discount_rate: l.discountRate,
        points_multiplier: l.pointsMultiplier,
        offline_limit_minor: l.offlineLimitMinor,
      }));
      const made = await tx`insert into member_levels ${tx(rows)} on conflict (code) do nothing returning code`;
      for (const r of made) changes.push({ kind: 'level', key: r.code });
    }

    if (seed.products.length > 0) {
      const rows = seed.products.map((p) => ({
        sku: p.sku,
        barcode: p.barcode,
        name: p.name,
        name_zh: p.nameZh,
        category: p.category,
        price_minor: p.priceMinor,
        excluded_from_member_benefits: p.excludedFromMemberBenefits,
        plu: p.plu === undefined ? null : normalizePlu(p.plu),
        sold_by: p.soldBy ?? 'unit',
        price_per_kg_minor: p.soldBy === 'weight' ? (p.pricePerKgMinor ?? null) : null,
      }));
      const made = await tx`insert into products ${tx(rows)} on conflict do nothing returning sku`;
      for (const r of made) changes.push({ kind: 'product', key: r.sku });
    }

    if (seed.members.length > 0) {
      const rows = seed.members.map((m) => ({
        id: m.id,
        name: m.name,
        phone: m.phone,
        birthday: m.birthday,
        level_code: m.levelCode,
        home_store_id: m.homeStoreId,
      }));
      const made = await tx`insert into members ${tx(rows)} on conflict (id) do nothing returning id`;
      for (const r of made) changes.push({ kind: 'member', key: r.id });
      const cards = seed.members.flatMap((m) =>
        m.cards.map((c) => ({ id: c.id, member_id: m.id, card_no: c.cardNo, medium: c.medium, status: c.status, expires_on: c.expiresOn })),
      );
      if (cards.length > 0) {
        const madeCards = await tx`insert into cards ${tx(cards)} on conflict do nothing returning id`;
        for (const r of madeCards) changes.push({ kind: 'card', key: r.id });
      }
    }

    const accounts = [
      ...chainAccounts(seed.currency).map((a) => ({ ...a, owner: 'chain' })),
      ...seed.org.filter((n) => n.kind === 'store').flatMap((n) => [...storeAccounts(n.id, n.currency), storeOfflinePointsExposureAccount(n.id)].map((a) => ({ ...a, owner: n.id }))),
      ...seed.members.flatMap((m) => [
        ...memberAccounts(m.id).map((a) => ({ ...a, owner: m.id })),
        ...m.cards.flatMap((c) => cardAccounts(c.id, seed.currency).map((a) => ({ ...a, owner: c.id }))),
      ]),
    ];
    const madeAccounts = new Set(await createAccounts(tx, accounts));
    for (const a of accounts) {
      // A new member account is news to terminals even at zero.
      if (madeAccounts.has(a.id) && MEMBER_ACCOUNT_CODES.has(a.code)) changes.push({ kind: 'balance', key: a.id });
    }

    const now = clock.now();
    const base = { kind: 'single' as const, pendingId: null, timestamp: now, originTerminalId: null, documentId: 'opening' };
    const opening: Transfer[] = [];
    for (const b of seed.openingBalances) {
      if (b.principalMinor > 0) {
        opening.push({ ...base, id: `opening:${b.cardId}:principal`, ledger: seed.currency, code: 'OPENING_BALANCE', debitAccountId: chainOpeningAccountId(seed.currency), creditAccountId: cardPrincipalAccountId(b.cardId), amount: b.principalMinor });
      }
      if (b.bonusMinor > 0) {
        opening.push({ ...base, id: `opening:${b.cardId}:bonus`, ledger: seed.currency, code: 'OPENING_BALANCE', debitAccountId: chainOpeningAccountId(seed.currency), creditAccountId: cardBonusAccountId(b.cardId), amount: b.bonusMinor });
      }
    }
    for (const p of seed.openingPoints) {
      if (p.points > 0) {
        opening.push({ ...base, id: `opening:${p.memberId}:points`, ledger: POINTS_LEDGER, code: 'OPENING_POINTS', debitAccountId: chainOpeningAccountId(POINTS_LEDGER), creditAccountId: memberPointsAccountId(p.memberId), amount: p.points });
      }
    }
    const applied = await applyTransfers(tx, opening, { atomic: true });
    if (!applied.ok) {
      const bad = applied.statuses.map((s, i) => `${opening[i]!.id}: ${s}`).filter((_, i) => applied.statuses[i] !== 'created' && applied.statuses[i] !== 'exists');
      throw new DomainError('CONFLICT', `opening balances refused: ${bad.join(', ')}`);
    }
    for (const id of applied.touched) if (MEMBER_ACCOUNT_CODES.has(applied.ledger.accountCode(id)!)) changes.push({ kind: 'balance', key: id });

    if (seed.terminals.length > 0) {
      const rows = seed.terminals.map((t) => ({ id: t.id, store_id: t.storeId, name: t.name }));
      await tx`insert into terminals ${tx(rows)} on conflict (id) do nothing`;
    }
    if (newOperators.length > 0) {
      const made = await tx`insert into operators ${tx(newOperators)} on conflict do nothing returning id, node_id, roles`;
      // Seed roles are grants at the operator's own node; terminals learn them through the feed.
      const grants = made.flatMap((o) => (o.roles as string[]).map((role) => ({ operator_id: o.id as string, node_id: o.node_id as string, role_code: role })));
      if (grants.length > 0) await tx`insert into operator_grants ${tx(grants)} on conflict do nothing`;
      for (const o of made) changes.push({ kind: 'operator', key: o.id as string });
    }

    await recordChanges(tx, changes);
    // After the feed rows above: a new chain gets every default setting once.
    await seedDefaultSettings(tx);
  });
}

/** argon2id hash of a password or PIN. */
export function hashSecret(secret: string): Promise<string> {
  return argon2Hash(secret);
}

/** SHA-256 for high-entropy random secrets (credentials, tokens, codes): no need for a slow hash. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789'; // no 0/O, 1/I/L: read aloud and typed at a till

/** An enrollment code as a person types it: case, spaces and dashes do not matter. */
export function normalizeEnrollmentCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export const DEFAULT_ENROLLMENT_TTL_MS = 24 * 60 * 60 * 1000;

/** Issues a one-time enrollment code for `terminalId`; only its hash is stored. */
export async function issueEnrollmentCode(db: Db, terminalId: string, options: { ttlMs?: number } = {}): Promise<{ code: string; expiresAt: Date }> {
  const ttlMs = options.ttlMs ?? DEFAULT_ENROLLMENT_TTL_MS;
  invariant(Number.isSafeInteger(ttlMs) && ttlMs > 0, 'enrollment code lifetime must be a positive integer of ms');
  const [terminal] = await db`select id from terminals where id = ${terminalId}`;
  if (!terminal) throw new DomainError('NOT_FOUND', `no terminal ${terminalId}`);
  const bytes = randomBytes(12);
  let raw = '';
  for (const b of bytes) raw += CODE_ALPHABET[b % CODE_ALPHABET.length];
  const code = `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}`;
  const [row] = await db`
    insert into enrollment_codes (code_hash, terminal_id, expires_at)
    values (${sha256(normalizeEnrollmentCode(code))}, ${terminalId}, now() + make_interval(secs => ${ttlMs / 1000}))
    returning expires_at`;
  return { code, expiresAt: row!.expires_at as Date };
}

/** A one-time code that enrolls terminal `terminalId` (valid for `ttlMs`, a day by default). */
export async function createEnrollmentCode(sql: Db, terminalId: string, options: { ttlMs?: number } = {}): Promise<string> {
  return (await issueEnrollmentCode(sql, terminalId, options)).code;
}
