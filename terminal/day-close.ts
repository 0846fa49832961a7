import type express from 'express';
import { z } from 'zod';
import type { DayCloseDocument } from '../core/day-close';
import { dayCloseTotals, type DayCloseEntry } from '../core/day-close-totals';
import { DomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import { localTime } from '../core/time';
import type { SyncEvent } from '../protocols/sync/v1/codec';
import { chainOver } from '../protocols/sync/v1/day-close';
import { stmt, type TerminalDb } from './db';
import { recordEvent } from './outbox';

/**
 * The terminal's day close (日结): what it took in and paid back by tender since its last close of
 * an earlier day, counted from its own outbox with core's `dayCloseTotals` (HQ counts the same way
 * from what it applied), the seq range it covers and the SHA-256 chain over every event it sent up
 * to the last one. Written as a `day_close` outbox event in one transaction, so the close and the
 * events it covers cannot drift apart. Closing a date again (a corrected close) covers the whole
 * day again; HQ reconciles the latest close of each date.
 */

export interface DayCloseDeps {
  db: TerminalDb;
  clock: Clock;
  newId: () => string;
  terminal: { terminalId: string; storeId: string };
  /** The store's IANA zone: the business date is the store's. */
  timeZone: string;
}

const closeBody = z.strictObject({ businessDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').optional() });

function entryOf(e: SyncEvent): DayCloseEntry | null {
  const b = e.body;
  switch (b.type) {
    case 'sale':
      return { type: 'sale', sale: b.sale };
    case 'refund':
      return { type: 'refund', refund: b.refund };
    case 'top_up':
      return { type: 'top_up', topUp: b.topUp };
    case 'top_up_refund':
      return { type: 'top_up_refund', topUpRefund: b.topUpRefund };
    default:
      return null;
  }
}

export class DayClose {
  constructor(private readonly d: DayCloseDeps) {}

  /** The close of `businessDate` as it would be written now (reads only). */
  build(businessDate: string): DayCloseDocument {
    const { db } = this.d;
    // The last close of an earlier day ends what this one covers.
    const prev = stmt(db, "SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox WHERE json_extract(body, '$.body.type') = 'day_close' AND json_extract(body, '$.body.dayClose.businessDate') < ?").get(businessDate) as { seq: number };
    const last = stmt(db, 'SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox').get() as { seq: number };
    const covered = (stmt(db, 'SELECT body FROM outbox WHERE seq > ? ORDER BY seq').all(prev.seq) as Array<{ body: string }>).map((r) => JSON.parse(r.body) as SyncEvent);
    const entries = covered.map(entryOf).filter((e): e is DayCloseEntry => e !== null);
    const links = stmt(db, 'SELECT seq, event_id AS id FROM outbox WHERE seq <= ? ORDER BY seq').all(last.seq) as Array<{ seq: number; id: string }>;
    const firstSeq = covered.length > 0 ? prev.seq + 1 : last.seq;
    return {
      id: this.d.newId(),
      storeId: this.d.terminal.storeId,
      terminalId: this.d.terminal.terminalId,
      businessDate,
      ...dayCloseTotals(entries),
      firstSeq,
      lastSeq: last.seq,
      eventsChain: chainOver(links),
      closedAt: this.d.clock.now(),
    };
  }

  /** Closes `businessDate` (default: today in the store's zone): builds the close and writes its event, in one transaction. */
  close(businessDate?: string): { dayClose: DayCloseDocument; seq: number } {
    const date = businessDate ?? localTime(this.d.clock.now(), this.d.timeZone).date;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new DomainError('VALIDATION_FAILED', `business date ${date} is not YYYY-MM-DD`);
    return this.d.db.transaction(() => {
      const dayClose = this.build(date);
      const event = recordEvent(this.d.db, { id: this.d.newId(), occurredAt: dayClose.closedAt, body: { type: 'day_close', dayClose }, transfers: [] });
      return { dayClose, seq: event.seq };
    })();
  }

  /**
   * POST /api/day-close {businessDate?} → 201 {dayClose, seq}; mounted behind the local API's
   * token, and only with an operator signed in at the till (`signedIn` throws NOT_SIGNED_IN).
   */
  routes(app: express.Express, guard: { signedIn(): unknown }): void {
    app.post('/api/day-close', (req, res) => {
      guard.signedIn();
      const r = closeBody.safeParse(req.body ?? {});
      if (!r.success) throw new DomainError('VALIDATION_FAILED', `body: ${r.error.issues[0]?.path.join('.') || '(root)'}: ${r.error.issues[0]?.message ?? 'malformed'}`);
      res.status(201).json(this.close(r.data.businessDate));
    });
  }
}
