import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardBonusAccountId, cardPrincipalAccountId, memberPointsAccountId } from '../core/accounts';
import type { ChainSeed } from '../core/chain';
import { uuidv7, type Clock } from '../core/ids';
import { DomainError } from '../core/errors';
import { POINTS_LEDGER, type Transfer } from '../core/ledger';
import { splitStoredValuePayment } from '../core/stored-value';
import type { SyncChange } from '../protocols/sync/v1/codec';
import { Checkout, type CheckoutOptions } from './checkout';
import { memberMoneyServices, type MemberMoneyServices } from './context';
import { openTerminalDb, type TerminalDb } from './db';
import { HoldBook } from './holds';
import { offlineHqLink, type AuthorizeRequest, type AuthorizeResult, type HqLink, type MemberDeskResult } from './hq-link';
import { saveIdentity } from './identity';
import { applyChange } from './master-data';

/**
 * Helpers for tests of the terminal: a chain seed as the changes HQ would send, and a
 * terminal on a real SQLite file in a temp folder. The seed is passed in; nothing here
 * reads fixtures.
 */

/** The seed's master data and opening balances, as PullChanges would carry them. */
export function seedChanges(seed: ChainSeed): SyncChange[] {
  const changes: SyncChange[] = [];
  let seq = 0;
  const add = (body: SyncChange['body']) => changes.push({ seq: ++seq, deleted: false, body });
  for (const level of seed.levels) add({ type: 'level', level });
  for (const p of seed.products) add({ type: 'product', product: { ...p, active: true } });
  for (const m of seed.members) {
    const { cards, ...member } = m;
    add({ type: 'member', member });
    for (const c of cards) add({ type: 'card', card: { ...c, memberId: m.id } });
  }
  for (const b of seed.openingBalances) {
    add({ type: 'balance', balance: { accountId: cardPrincipalAccountId(b.cardId), ledger: seed.currency, posted: b.principalMinor, held: 0 } });
    add({ type: 'balance', balance: { accountId: cardBonusAccountId(b.cardId), ledger: seed.currency, posted: b.bonusMinor, held: 0 } });
  }
  for (const p of seed.openingPoints) {
    add({ type: 'balance', balance: { accountId: memberPointsAccountId(p.memberId), ledger: POINTS_LEDGER, posted: p.points, held: 0 } });
  }
  return changes;
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function tempDir(prefix = 'onecard-terminal-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestTerminal {
  file: string;
  db: TerminalDb;
  clock: ManualClock;
  checkout: Checkout;
  terminal: { terminalId: string; storeId: string; currency: string };
  /** Refunds, top-up refunds, gifts and the member desk over the same database and HQ link. */
  services: MemberMoneyServices;
}

/** An enrolled terminal of `storeId` with the seed cached, on a fresh SQLite file. */
export function openTestTerminal(
  seed: ChainSeed,
  o: { storeId?: string; dir?: string; hq?: HqLink; clockMs?: number; timeZone?: string; checkout?: Partial<CheckoutOptions> } = {},
): TestTerminal {
  const file = join(o.dir ?? tempDir(), 'terminal.sqlite');
  const clock = new ManualClock(o.clockMs ?? Date.UTC(2026, 10, 22, 10, 0, 0));
  const db = openTerminalDb(file, clock);
  const terminal = { terminalId: 't-test-1', storeId: o.storeId ?? 'store-sh-01', currency: seed.currency };
  saveIdentity(db, { ...terminal, credential: 'test-credential', chainName: seed.chainName, storeName: terminal.storeId, hqAddress: '127.0.0.1:1', enrolledAt: clock.now(), timeZone: o.timeZone ?? 'Asia/Shanghai' });
  db.transaction(() => {
    for (const c of seedChanges(seed)) applyChange(db, c, { currency: seed.currency, appliedSeq: 0, snapshotGen: 0 });
  })();
  const newId = () => uuidv7(clock);
  const hq = o.hq ?? offlineHqLink;
  const timeZone = o.timeZone ?? 'Asia/Shanghai';
  const holds = new HoldBook({ db, hq, clock, newId, terminal });
  const checkout = new Checkout({ db, terminal, clock, newId, hq, holds, timeZone, ...o.checkout });
  const services = memberMoneyServices({ db, clock, newId, hq, holds, terminal, timeZone });
  return { file, db, clock, checkout, terminal, services };
}

/**
 * HQ as checkout sees it, in memory: holds split principal first over the balances it is
 * given, refusals with HQ's codes, and a switch to go offline.
 */
export class FakeHqLink implements HqLink {
  online = true;
  syncRequests = 0;
  readonly voided: Array<{ holdId: string; transfers: Transfer[] }> = [];
  readonly holds = new Map<string, Transfer[]>();
  /** Card id → what HQ thinks it may spend. */
  readonly balances = new Map<string, { principal: number; bonus: number }>();
  /** Card id → the points of its member HQ thinks they have. */
  readonly points = new Map<string, { memberId: string; points: number }>();
  frozen = new Set<string>();
  /** When set, Authorize creates the hold at "HQ" but the answer is lost. */
  loseNextAnswer = false;

  constructor(private readonly storeId: string, private readonly currency: string, private readonly clock: Clock) {}

  state(): 'online' | 'offline' {
    return this.online ? 'online' : 'offline';
  }

  async authorize(r: AuthorizeRequest): Promise<AuthorizeResult> {
    if (!this.online) throw new DomainError('HQ_OFFLINE', 'unreachable');
    if (this.frozen.has(r.cardId)) throw new DomainError('CARD_FROZEN', 'frozen at HQ');
    let holds = this.holds.get(r.holdId);
    if (!holds && r.asset === 'points') {
      const p = this.points.get(r.cardId);
      if (!p || p.points < r.amountMinor) throw new DomainError('INSUFFICIENT_BALANCE', 'not enough points at HQ');
      p.points -= r.amountMinor;
      holds = [{
        id: `${r.holdId}/points`,
        kind: 'pending' as const,
        debitAccountId: memberPointsAccountId(p.memberId),
        creditAccountId: 'chain:points_issued',
        ledger: POINTS_LEDGER,
        amount: r.amountMinor,
        code: 'POINTS_REDEEMED' as const,
        pendingId: null,
        timestamp: this.clock.now(),
        originTerminalId: null,
        documentId: r.saleId,
      }];
      this.holds.set(r.holdId, holds);
    }
    if (!holds) {
      const b = this.balances.get(r.cardId) ?? { principal: 0, bonus: 0 };
      const legs = r.part
        ? (() => {
            if (b[r.part!] < r.amountMinor) throw new DomainError('INSUFFICIENT_BALANCE', 'part short at HQ');
            return [{ part: r.part!, amount: r.amountMinor, accountId: r.part === 'principal' ? cardPrincipalAccountId(r.cardId) : cardBonusAccountId(r.cardId) }];
          })()
        : splitStoredValuePayment(r.cardId, r.amountMinor, b);
      holds = legs.map((l) => ({
        id: `${r.holdId}/${l.part}`,
        kind: 'pending' as const,
        debitAccountId: l.accountId,
        creditAccountId: `store:${this.storeId}:sales`,
        ledger: this.currency,
        amount: l.amount,
        code: 'SALE_STORED_VALUE' as const,
        pendingId: null,
        timestamp: this.clock.now(),
        originTerminalId: null,
        documentId: r.saleId,
      }));
      for (const l of legs) b[l.part] -= l.amount;
      this.balances.set(r.cardId, b);
      this.holds.set(r.holdId, holds);
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new DomainError('HQ_OFFLINE', 'deadline exceeded');
    }
    return { holdId: r.holdId, holds, expiresAt: this.clock.now() + 15 * 60_000 };
  }

  async voidHold(holdId: string, transfers: Transfer[]): Promise<void> {
    this.voided.push({ holdId, transfers });
  }

  requestSync(): void {
    this.syncRequests += 1;
  }

  /** A push that waits: this HQ has nothing to receive, so it only counts it (offline: HQ_OFFLINE). */
  async syncNow(): Promise<void> {
    if (!this.online) throw new DomainError('HQ_OFFLINE', 'unreachable');
    this.syncRequests += 1;
  }

  /** Member-desk business logic lives at HQ: tests of it run against the real HQ, never this fake. */
  memberDesk(): Promise<MemberDeskResult> {
    return Promise.reject(new DomainError(this.online ? 'NOT_FOUND' : 'HQ_OFFLINE', 'the fake HQ has no member desk'));
  }
}
