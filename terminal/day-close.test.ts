import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uuidv7 } from '../core/ids';
import { demoChain } from '../fixtures/data/demo-chain';
import type { SyncEvent } from '../protocols/sync/v1/codec';
import { chainOver } from '../protocols/sync/v1/day-close';
import { DayClose } from './day-close';
import { allEvents } from './outbox';
import { openTestTerminal, type TestTerminal } from './testing';

const COLA = '6901028001014'; // ¥3.00
const CIGARETTES = '6901050000177'; // ¥45.00
const FACE_MASKS = '4902111000114'; // ¥59.90

describe('day close at the terminal', () => {
  let t: TestTerminal;
  afterEach(() => {
    t?.db.close();
    if (t) rmSync(dirname(t.file), { recursive: true, force: true });
  });

  const dayClose = () => new DayClose({ db: t.db, clock: t.clock, newId: () => uuidv7(t.clock), terminal: t.terminal, timeZone: 'Asia/Shanghai' });
  function cashSale(...barcodes: string[]) {
    const s = t.checkout.openSale();
    for (const b of barcodes) t.checkout.addItem(s.id, b);
    const v = t.checkout.getSale(s.id);
    t.checkout.addCashTender(s.id, v.totalMinor, v.totalMinor);
    return t.checkout.complete(s.id);
  }

  it('totals by tender, counts and the chain of the day, written as one outbox event', () => {
    t = openTestTerminal(demoChain, { clockMs: Date.parse('2026-11-20T10:00:00+08:00') });
    cashSale(COLA, COLA, CIGARETTES);
    const s = t.checkout.openSale();
    t.checkout.addItem(s.id, FACE_MASKS);
    t.checkout.addBankCardTender(s.id, 5_990, 'RRN000000001');
    t.checkout.complete(s.id);
    t.clock.advance(8 * 3_600_000);
    const { dayClose: dc, seq } = dayClose().close();
    expect(dc).toMatchObject({
      businessDate: '2026-11-20',
      terminalId: 't-test-1',
      storeId: 'store-sh-01',
      saleCount: 2,
      refundCount: 0,
      topUpTotalMinor: 0,
      firstSeq: 1,
      lastSeq: 2,
      tenders: [
        { kind: 'cash', salesMinor: 5_100, refundsMinor: 0 },
        { kind: 'bank_card', salesMinor: 5_990, refundsMinor: 0 },
        { kind: 'stored_value', salesMinor: 0, refundsMinor: 0 },
        { kind: 'points', salesMinor: 0, refundsMinor: 0 },
      ],
    });
    const events = allEvents(t.db);
    expect(seq).toBe(3);
    expect(events.at(-1)).toMatchObject({ seq: 3, body: { type: 'day_close', dayClose: dc }, transfers: [] });
    expect(dc.eventsChain).toBe(chainOver(events.slice(0, 2)));
  });

  it('the next day starts after the close; closing a day again covers the whole day again', () => {
    t = openTestTerminal(demoChain, { clockMs: Date.parse('2026-11-20T10:00:00+08:00') });
    cashSale(COLA);
    t.clock.advance(8 * 3_600_000);
    dayClose().close();
    t.clock.advance(16 * 3_600_000); // 2026-11-21 10:00
    cashSale(CIGARETTES);
    const first = dayClose().close().dayClose;
    expect(first).toMatchObject({ businessDate: '2026-11-21', firstSeq: 3, lastSeq: 3, saleCount: 1, tenders: expect.arrayContaining([{ kind: 'cash', salesMinor: 4_500, refundsMinor: 0 }]) });
    cashSale(COLA);
    const again = dayClose().close().dayClose;
    // From the first event after the 20th's close, through the first close of the 21st (seq 4) and the sale after it.
    expect(again).toMatchObject({ businessDate: '2026-11-21', firstSeq: 3, lastSeq: 5, saleCount: 2, tenders: expect.arrayContaining([{ kind: 'cash', salesMinor: 4_800, refundsMinor: 0 }]) });
    const events: SyncEvent[] = allEvents(t.db);
    expect(again.eventsChain).toBe(chainOver(events.filter((e) => e.seq <= 5)));
  });

  it('a terminal with nothing sent closes with an empty range and the chain start', () => {
    t = openTestTerminal(demoChain);
    const { dayClose: dc } = dayClose().close('2026-11-22');
    expect(dc).toMatchObject({ firstSeq: 0, lastSeq: 0, saleCount: 0, eventsChain: '0'.repeat(64) });
  });
});
