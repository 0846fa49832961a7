import { cardBonusAccountId, cardPrincipalAccountId, chainPointsIssuedAccountId, memberPointsAccountId, storeSalesAccountId } from '../core/accounts';
import type { Clock } from '../core/ids';
import { DomainError, invariant, isDomainError } from '../core/errors';
import { POINTS_LEDGER, type Transfer } from '../core/ledger';
import { SYNC_LIMITS } from '../protocols/sync/v1/codec';
import { stmt, type TerminalDb } from './db';
import type { AuthorizeResult, HqLink } from './hq-link';
import { applyTransfers } from './ledger';
import { recordEvent } from './outbox';

/**
 * Online holds at HQ (Authorize / Void) for any document: a sale's stored value or points,
 * a top-up refund's principal and bonus, a gift redemption's points. The hold id is made and
 * stored before Authorize is sent, so a hold whose answer is lost can still be released.
 */

export type HoldPurpose = 'sale' | 'top_up_refund' | 'gift_redemption';
export type HoldAsset = 'stored_value' | 'points';

export interface HoldRequest {
  documentId: string;
  purpose: HoldPurpose;
  cardId: string;
  /** The card's member (points holds are on the member). */
  memberId: string;
  asset: HoldAsset;
  part?: 'principal' | 'bonus';
  amountMinor: number;
  /** A top-up refund: the top-up it gives back, claimed at HQ by the hold (one give-back at a time, chain-wide). */
  topUpId?: string;
}

interface HoldLegRow {
  transfer_id: string;
  hold_id: string;
  account_id: string;
  part: 'principal' | 'bonus' | 'points';
  amount: number;
}

interface HoldRow {
  hold_id: string;
  sale_id: string;
  purpose: HoldPurpose;
  asset: HoldAsset;
  part: 'principal' | 'bonus' | null;
  card_id: string;
  amount_minor: number;
  top_up_id: string | null;
}

export interface HoldBookOptions {
  db: TerminalDb;
  hq: HqLink;
  clock: Clock;
  newId: () => string;
  terminal: { terminalId: string; storeId: string; currency: string };
  log?: (msg: string) => void;
}

export class HoldBook {
  private readonly db: TerminalDb;
  /** Holds whose Authorize is being asked right now, in this process. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly o: HoldBookOptions) {
    this.db = o.db;
  }

  /**
   * Asks HQ for a hold and returns HQ's answer, not yet mirrored (the caller mirrors it in the
   * transaction that uses it). HQ's refusal comes back with its code; no answer as HQ_OFFLINE,
   * with the hold remembered as unknown so releaseUnresolved lets it go later.
   */
  async ask(r: HoldRequest): Promise<{ holdId: string; result: AuthorizeResult }> {
    const holdId = this.o.newId();
    stmt(this.db, `INSERT INTO holds (hold_id, sale_id, purpose, asset, part, card_id, amount_minor, top_up_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'authorizing', ?)`)
      .run(holdId, r.documentId, r.purpose, r.asset, r.part ?? null, r.cardId, r.amountMinor, r.topUpId ?? null, this.o.clock.now());
    this.inFlight.add(holdId);
    let result: AuthorizeResult;
    try {
      result = await this.o.hq.authorize({ holdId, cardId: r.cardId, amountMinor: r.amountMinor, saleId: r.documentId, asset: r.asset, part: r.part, topUpId: r.topUpId });
    } catch (e) {
      const refused = isDomainError(e) && e.code !== 'HQ_OFFLINE';
      stmt(this.db, 'UPDATE holds SET status = ? WHERE hold_id = ?').run(refused ? 'refused' : 'unknown', holdId);
      // HQ says INSUFFICIENT_BALANCE for any short account; for points the cashier's word is INSUFFICIENT_POINTS.
      if (refused && r.asset === 'points' && e.code === 'INSUFFICIENT_BALANCE') throw new DomainError('INSUFFICIENT_POINTS', e.message, e.details);
      if (refused) throw e;
      this.o.log?.(`authorize of hold ${holdId} for ${r.purpose} ${r.documentId} got no answer: ${(e as Error).message}`);
      throw new DomainError('HQ_OFFLINE', 'HQ did not answer: nothing was taken; try again or take another tender', { documentId: r.documentId, holdId });
    } finally {
      this.inFlight.delete(holdId);
    }
    this.assertShape(result.holds, holdId, r);
    return { holdId, result };
  }

  /** Mirrors HQ's pending transfers of a hold in our journal (inside the caller's transaction). */
  mirror(holdId: string, result: AuthorizeResult): void {
    invariant(this.db.inTransaction, 'mirror must run inside a transaction');
    const h = stmt(this.db, 'SELECT card_id, asset FROM holds WHERE hold_id = ?').get(holdId) as { card_id: string; asset: HoldAsset };
    applyTransfers(this.db, result.holds, { eventSeq: null, grantedByHq: true });
    const gen = (stmt(this.db, 'SELECT pulls_started FROM sync_state').get() as { pulls_started: number }).pulls_started;
    stmt(this.db, "UPDATE holds SET status = 'authorized', authorized_gen = ?, expires_at = ? WHERE hold_id = ?").run(gen, result.expiresAt, holdId);
    const insertLeg = stmt(this.db, 'INSERT INTO hold_legs (transfer_id, hold_id, account_id, part, amount) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    for (const t of result.holds) {
      const part = h.asset === 'points' ? 'points' : t.debitAccountId === cardPrincipalAccountId(h.card_id) ? 'principal' : 'bonus';
      insertLeg.run(t.id, holdId, t.debitAccountId, part, t.amount);
    }
  }

  /** The mirrored pending transfers of a hold. */
  legs(holdId: string): Array<{ transferId: string; accountId: string; part: 'principal' | 'bonus' | 'points'; amount: number }> {
    const rows = stmt(this.db, 'SELECT * FROM hold_legs WHERE hold_id = ? ORDER BY part DESC').all(holdId) as HoldLegRow[];
    return rows.map((r) => ({ transferId: r.transfer_id, accountId: r.account_id, part: r.part, amount: r.amount }));
  }

  /** Marks holds captured by the document that was just recorded (inside its transaction). */
  markCaptured(holdIds: readonly string[]): void {
    const mark = stmt(this.db, "UPDATE holds SET status = 'captured' WHERE hold_id = ? AND status = 'authorized'");
    for (const id of holdIds) mark.run(id);
  }

  /** The void_pending transfers that release a mirrored hold. */
  voidTransfers(holdId: string, documentId: string, at: number): Transfer[] {
    return this.legs(holdId).map((leg): Transfer => {
      const pending = stmt(this.db, 'SELECT credit_account_id, ledger, code FROM transfers WHERE id = ?').get(leg.transferId) as { credit_account_id: string; ledger: string; code: Transfer['code'] };
      return {
        id: this.o.newId(),
        kind: 'void_pending',
        debitAccountId: leg.accountId,
        creditAccountId: pending.credit_account_id,
        ledger: pending.ledger,
        amount: leg.amount,
        code: pending.code,
        pendingId: leg.transferId,
        timestamp: at,
        originTerminalId: this.o.terminal.terminalId,
        documentId,
      };
    });
  }

  /**
   * Releases authorized holds: void_pending transfers and a holds_released event in one
   * transaction (so HQ releases them when it hears from us, whatever happens next), then a
   * Void call when HQ is reachable, for a prompt release. Both carry the same transfer ids.
   */
  async release(documentId: string, holdIds: readonly string[]): Promise<void> {
    if (holdIds.length === 0) return;
    const at = this.o.clock.now();
    const voids = this.db.transaction(() => this.recordRelease(documentId, holdIds, at))();
    if (this.o.hq.state() === 'online') {
      for (const [holdId, transfers] of voids) {
        try {
          await this.o.hq.voidHold(holdId, transfers);
        } catch (e) {
          // The holds_released event in the outbox still releases it when pushed.
          this.o.log?.(`void of hold ${holdId} for ${documentId} failed, left to the outbox: ${(e as Error).message}`);
        }
      }
    }
    this.o.hq.requestSync();
  }

  /**
   * Inside the caller's transaction: void_pending transfers releasing `holdIds` and the
   * holds_released events carrying them (at most SYNC_LIMITS.holdIdsPerRelease holds each).
   * Returns each hold's void transfers.
   */
  recordRelease(documentId: string, holdIds: readonly string[], at: number): Map<string, Transfer[]> {
    invariant(this.db.inTransaction, 'recordRelease must run inside a transaction');
    const voids = new Map<string, Transfer[]>();
    for (let i = 0; i < holdIds.length; i += SYNC_LIMITS.holdIdsPerRelease) {
      const batch = holdIds.slice(i, i + SYNC_LIMITS.holdIdsPerRelease);
      const all: Transfer[] = [];
      for (const holdId of batch) {
        const transfers = this.voidTransfers(holdId, documentId, at);
        voids.set(holdId, transfers);
        all.push(...transfers);
      }
      recordEvent(this.db, { id: this.o.newId(), occurredAt: at, body: { type: 'holds_released', saleId: documentId, holdIds: [...batch] }, transfers: all });
      const mark = stmt(this.db, "UPDATE holds SET status = 'released' WHERE hold_id = ?");
      for (const holdId of batch) mark.run(holdId);
    }
    return voids;
  }

  /** Authorized holds of a document not yet captured or released. */
  authorizedOf(documentId: string): string[] {
    return (stmt(this.db, "SELECT hold_id FROM holds WHERE sale_id = ? AND status = 'authorized'").all(documentId) as Array<{ hold_id: string }>).map((r) => r.hold_id);
  }

  /**
   * Holds whose Authorize got no answer, or whose process died while asking: asks HQ again
   * with the same hold id (HQ answers the hold it made, or makes it now) and releases it, so
   * nothing stays reserved for a tender the cashier never got. Needs HQ online; returns how
   * many holds it settled (released or found never made).
   */
  async releaseUnresolved(): Promise<number> {
    const rows = stmt(this.db, "SELECT * FROM holds WHERE status IN ('unknown', 'authorizing') ORDER BY created_at").all() as HoldRow[];
    let settled = 0;
    for (const h of rows) {
      if (this.inFlight.has(h.hold_id)) continue;
      let result: AuthorizeResult;
      try {
        result = await this.o.hq.authorize({
          holdId: h.hold_id,
          cardId: h.card_id,
          amountMinor: h.amount_minor,
          saleId: h.sale_id,
          asset: h.asset,
          part: h.part ?? undefined,
          topUpId: h.top_up_id ?? undefined,
        });
      } catch (e) {
        if (isDomainError(e) && e.code === 'HQ_OFFLINE') return settled;
        // HQ refused it now, so it holds nothing under this id.
        stmt(this.db, 'UPDATE holds SET status = ? WHERE hold_id = ?').run('refused', h.hold_id);
        settled += 1;
        continue;
      }
      const member = stmt(this.db, 'SELECT member_id FROM cards WHERE id = ?').get(h.card_id) as { member_id: string } | undefined;
      this.assertShape(result.holds, h.hold_id, { documentId: h.sale_id, purpose: h.purpose, cardId: h.card_id, memberId: member?.member_id ?? '', asset: h.asset, part: h.part ?? undefined, amountMinor: h.amount_minor });
      this.db.transaction(() => this.mirror(h.hold_id, result))();
      await this.release(h.sale_id, [h.hold_id]);
      settled += 1;
    }
    return settled;
  }

  /**
   * HQ's holds must be pending debits of what was asked — the card's parts (only the part
   * asked for, if one was), or the member's points — adding up to the amount.
   */
  private assertShape(holds: readonly Transfer[], holdId: string, r: HoldRequest): void {
    let debits: Set<string>;
    let ledger = this.o.terminal.currency;
    let credits: Set<string> | null = null;
    if (r.asset === 'points') {
      debits = new Set([memberPointsAccountId(r.memberId)]);
      credits = new Set([chainPointsIssuedAccountId()]);
      ledger = POINTS_LEDGER;
    } else if (r.part) {
      debits = new Set([r.part === 'principal' ? cardPrincipalAccountId(r.cardId) : cardBonusAccountId(r.cardId)]);
    } else {
      debits = new Set([cardPrincipalAccountId(r.cardId), cardBonusAccountId(r.cardId)]);
    }
    // A sale's stored value goes to this store's sales; other documents say where at capture.
    if (r.asset === 'stored_value' && r.purpose === 'sale') credits = new Set([storeSalesAccountId(this.o.terminal.storeId)]);
    const ok =
      holds.length > 0 &&
      holds.every((t) => t.kind === 'pending' && debits.has(t.debitAccountId) && (credits === null || credits.has(t.creditAccountId)) && t.ledger === ledger) &&
      holds.reduce((s, t) => s + t.amount, 0) === r.amountMinor;
    invariant(ok, `HQ answered hold ${holdId} with holds that do not match the request`);
  }
}
