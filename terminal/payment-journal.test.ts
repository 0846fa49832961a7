import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openTerminalDb } from './db';
import { SqlitePaymentJournal } from './payment-journal';
import { tempDir } from './testing';

describe('bank-card payment journal in the terminal database', () => {
  it('hands out references never used before, also after a restart', () => {
    const file = join(tempDir(), 'terminal.sqlite');
    const db = openTerminalDb(file);
    const j = new SqlitePaymentJournal(db);
    const a = j.nextRef();
    const b = j.nextRef();
    expect(a).toMatch(/^[0-9A-Z]{6}$/);
    expect(parseInt(b, 36)).toBeGreaterThan(parseInt(a, 36));
    db.close();
    const again = new SqlitePaymentJournal(openTerminalDb(file));
    expect(parseInt(again.nextRef(), 36)).toBeGreaterThan(parseInt(b, 36));
  });

  it('keeps the last state of each attempt and lists the unresolved ones oldest first', () => {
    const file = join(tempDir(), 'terminal.sqlite');
    const db = openTerminalDb(file);
    const j = new SqlitePaymentJournal(db);
    const r1 = j.nextRef();
    const r2 = j.nextRef();
    const at = '2026-11-22T10:00:00.000Z';
    j.put({ ecrRef: r1, kind: 'sale', documentId: 'S1#card1', amount_minor: 3650, state: 'pending', updatedAt: at });
    j.put({ ecrRef: r2, kind: 'sale', documentId: 'S2#card1', amount_minor: 100, state: 'pending', updatedAt: at });
    j.put({ ecrRef: r2, kind: 'sale', documentId: 'S2#card1', amount_minor: 100, state: 'approved', authCode: 'A1', terminalRef: 'T9', updatedAt: at });
    db.close();
    const reopened = new SqlitePaymentJournal(openTerminalDb(file));
    expect(reopened.unresolved().map((e) => e.ecrRef)).toEqual([r1]);
    expect(reopened.get(r2)).toMatchObject({ state: 'approved', authCode: 'A1', terminalRef: 'T9' });
    expect(reopened.byDocument('S1#card1')).toHaveLength(1);
  });
});
