import { DomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import { stmt, type TerminalDb } from './db';
import { credentialMethod, operatorById, terminalAudit, verifyCredential, type CachedOperator, type Credential } from './operators';

/**
 * Who is at the till and their shift. One operator is signed in at a time (signing in ends the
 * previous session); one shift is open at a time, owned by the cashier who opened it with a float.
 * X (during) and Z (at close) totals come from this terminal's own journal: sales completed,
 * refunds, top-ups and top-up refunds between the shift's opening and now/closing, by tender.
 * Expected cash = float + cash sales − cash refunds + cash top-ups − cash top-up refunds.
 */

export interface StaffSession {
  id: string;
  operator: CachedOperator;
  method: 'pin' | 'card';
  signedInAt: number;
}

export interface TenderTotals {
  salesCount: number;
  refundsCount: number;
  /** Sales by tender kind (cash is what stayed in the drawer: tendered − change). */
  sales: Record<string, number>;
  refunds: Record<string, number>;
  topUps: Record<string, number>;
  topUpRefunds: Record<string, number>;
  /** Per tender: sales − refunds + top-ups − top-up refunds. */
  net: Record<string, number>;
}

export interface ShiftReport {
  kind: 'X' | 'Z';
  shiftId: string;
  operatorId: string;
  openedAt: number;
  until: number;
  floatMinor: number;
  totals: TenderTotals;
  expectedCashMinor: number;
  countedCashMinor: number | null;
  /** counted − expected (negative: short). */
  differenceMinor: number | null;
}

interface ShiftRow {
  id: string;
  operator_id: string;
  opened_at: number;
  float_minor: number;
  closed_at: number | null;
  counted_cash_minor: number | null;
  expected_cash_minor: number | null;
  z_report: string | null;
}

export class Staff {
  constructor(
    private readonly db: TerminalDb,
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {}

  /** Signs in with login + PIN or operator card (offline); needs sale.create. Ends any other session. */
  async signIn(credential: Credential): Promise<StaffSession> {
    const operator = await verifyCredential(this.db, this.clock, credential);
    if (!operator.permissions.includes('sale.create')) throw new DomainError('FORBIDDEN', `${operator.name} may not work a till at this store (no sale.create)`);
    const id = this.newId();
    const now = this.clock.now();
    const method = credentialMethod(credential);
    this.db.transaction(() => {
      const open = stmt(this.db, 'SELECT operator_id FROM operator_sessions WHERE signed_out_at IS NULL').get() as { operator_id: string } | undefined;
      if (open) {
        stmt(this.db, 'UPDATE operator_sessions SET signed_out_at = ? WHERE signed_out_at IS NULL').run(now);
        terminalAudit(this.db, this.clock, open.operator_id, 'operator.signed_out', { by: operator.id });
      }
      stmt(this.db, 'INSERT INTO operator_sessions (id, operator_id, method, signed_in_at) VALUES (?, ?, ?, ?)').run(id, operator.id, method, now);
      terminalAudit(this.db, this.clock, operator.id, 'operator.signed_in', { method });
    })();
    return { id, operator, method, signedInAt: now };
  }

  /** The signed-in operator as the cache knows them now, or null (nobody, or no longer allowed here). */
  current(): StaffSession | null {
    const s = stmt(this.db, 'SELECT id, operator_id, method, signed_in_at FROM operator_sessions WHERE signed_out_at IS NULL').get() as
      | { id: string; operator_id: string; method: 'pin' | 'card'; signed_in_at: number }
      | undefined;
    if (!s) return null;
    const operator = operatorById(this.db, s.operator_id);
    if (!operator || operator.lockedAtHq || operator.lockedHere) return null;
    return { id: s.id, operator, method: s.method, signedInAt: s.signed_in_at };
  }

  /** The signed-in operator, or UNAUTHENTICATED. */
  requireSignedIn(): StaffSession {
    const s = this.current();
    if (!s) throw new DomainError('UNAUTHENTICATED', 'no cashier is signed in at this till; sign in with your PIN or operator card');
    return s;
  }

  signOut(): void {
    const s = this.current();
    this.db.transaction(() => {
      stmt(this.db, 'UPDATE operator_sessions SET signed_out_at = ? WHERE signed_out_at IS NULL').run(this.clock.now());
      if (s) terminalAudit(this.db, this.clock, s.operator.id, 'operator.signed_out', {});
    })();
  }

  private openShiftRow(): ShiftRow | undefined {
    return stmt(this.db, 'SELECT * FROM shifts WHERE closed_at IS NULL').get() as ShiftRow | undefined;
  }

  currentShift(): { id: string; operatorId: string; openedAt: number; floatMinor: number } | null {
    const r = this.openShiftRow();
    return r ? { id: r.id, operatorId: r.operator_id, openedAt: r.opened_at, floatMinor: r.float_minor } : null;
  }

  /** Opens the signed-in cashier's shift with the float put in the drawer. */
  openShift(floatMinor: number): { id: string; operatorId: string; openedAt: number; floatMinor: number } {
    const s = this.requireSignedIn();
    if (!Number.isSafeInteger(floatMinor) || floatMinor < 0) throw new DomainError('VALIDATION_FAILED', 'floatMinor: a whole number of minor units, not negative');
    const open = this.openShiftRow();
    if (open) throw new DomainError('CONFLICT', `a shift of ${open.operator_id} is open on this till; close it first`, { shiftId: open.id });
    const id = this.newId();
    const now = this.clock.now();
    this.db.transaction(() => {
      stmt(this.db, 'INSERT INTO shifts (id, operator_id, opened_at, float_minor) VALUES (?, ?, ?, ?)').run(id, s.operator.id, now, floatMinor);
      terminalAudit(this.db, this.clock, s.operator.id, 'shift.opened', { shiftId: id, floatMinor });
    })();
    return { id, operatorId: s.operator.id, openedAt: now, floatMinor };
  }

  /** X report: the open shift's totals so far (nothing changes). */
  xReport(): ShiftReport {
    this.requireSignedIn();
    const open = this.openShiftRow();
    if (!open) throw new DomainError('NOT_FOUND', 'no shift is open on this till');
    return this.report('X', open, this.clock.now(), null);
  }

  /** Closes the open shift with the cash counted in the drawer; answers the Z report (stored). */
  closeShift(countedCashMinor: number): ShiftReport {
    const s = this.requireSignedIn();
    if (!Number.isSafeInteger(countedCashMinor) || countedCashMinor < 0) throw new DomainError('VALIDATION_FAILED', 'countedCashMinor: a whole number of minor units, not negative');
    const open = this.openShiftRow();
    if (!open) throw new DomainError('NOT_FOUND', 'no shift is open on this till');
    if (open.operator_id !== s.operator.id && !s.operator.permissions.includes('operator.manage')) {
      throw new DomainError('FORBIDDEN', `the shift belongs to ${open.operator_id}; they or a manager close it`);
    }
    const now = this.clock.now();
    const z = this.report('Z', open, now, countedCashMinor);
    this.db.transaction(() => {
      stmt(this.db, 'UPDATE shifts SET closed_at = ?, counted_cash_minor = ?, expected_cash_minor = ?, z_report = ? WHERE id = ?').run(now, countedCashMinor, z.expectedCashMinor, JSON.stringify(z), open.id);
      terminalAudit(this.db, this.clock, s.operator.id, 'shift.closed', { shiftId: open.id, countedCashMinor, expectedCashMinor: z.expectedCashMinor, differenceMinor: z.differenceMinor });
    })();
    return z;
  }

  /** A closed shift's Z report as stored. */
  zReport(shiftId: string): ShiftReport {
    const r = stmt(this.db, 'SELECT z_report FROM shifts WHERE id = ? AND closed_at IS NOT NULL').get(shiftId) as { z_report: string } | undefined;
    if (!r) throw new DomainError('NOT_FOUND', `no closed shift ${shiftId}`);
    return JSON.parse(r.z_report) as ShiftReport;
  }

  private report(kind: 'X' | 'Z', shift: ShiftRow, until: number, counted: number | null): ShiftReport {
    const totals = tenderTotals(this.db, shift.opened_at, until);
    const expectedCashMinor = shift.float_minor + (totals.net.cash ?? 0);
    return {
      kind,
      shiftId: shift.id,
      operatorId: shift.operator_id,
      openedAt: shift.opened_at,
      until,
      floatMinor: shift.float_minor,
      totals,
      expectedCashMinor,
      countedCashMinor: counted,
      differenceMinor: counted === null ? null : counted - expectedCashMinor,
    };
  }
}

/** Totals by tender of this terminal's journal with times in [from, until]. */
export function tenderTotals(db: TerminalDb, from: number, until: number): TenderTotals {
  const add = (to: Record<string, number>, kind: string, amount: number) => {
    to[kind] = (to[kind] ?? 0) + amount;
  };
  const sales: Record<string, number> = {};
  const refunds: Record<string, number> = {};
  const topUps: Record<string, number> = {};
  const topUpRefunds: Record<string, number> = {};
  const saleRows = stmt(
    db,
    `SELECT t.kind, sum(t.amount_minor) AS amount FROM sale_tenders t JOIN sales s ON s.id = t.sale_id
     WHERE s.status = 'completed' AND s.completed_at BETWEEN ? AND ? GROUP BY t.kind`,
  ).all(from, until) as Array<{ kind: string; amount: number }>;
  for (const r of saleRows) add(sales, r.kind, r.amount);
  const salesCount = (stmt(db, `SELECT count(*) AS n FROM sales WHERE status = 'completed' AND completed_at BETWEEN ? AND ?`).get(from, until) as { n: number }).n;
  const refundDocs = stmt(db, 'SELECT document FROM refunds WHERE completed_at BETWEEN ? AND ?').all(from, until) as Array<{ document: string }>;
  for (const r of refundDocs) {
    const doc = JSON.parse(r.document) as { tenders?: Array<{ kind: string; amountMinor: number }> };
    for (const t of doc.tenders ?? []) add(refunds, t.kind, t.amountMinor);
  }
  for (const r of stmt(db, 'SELECT tender, sum(principal_minor) AS amount FROM top_ups WHERE completed_at BETWEEN ? AND ? GROUP BY tender').all(from, until) as Array<{ tender: string; amount: number }>) {
    add(topUps, r.tender, r.amount);
  }
  for (const r of stmt(
    db,
    `SELECT u.tender, sum(r.principal_minor) AS amount FROM top_up_refunds r JOIN top_ups u ON u.id = r.top_up_id
     WHERE r.completed_at BETWEEN ? AND ? GROUP BY u.tender`,
  ).all(from, until) as Array<{ tender: string; amount: number }>) {
    add(topUpRefunds, r.tender, r.amount);
  }
  const net: Record<string, number> = {};
  for (const [k, v] of Object.entries(sales)) add(net, k, v);
  for (const [k, v] of Object.entries(refunds)) add(net, k, -v);
  for (const [k, v] of Object.entries(topUps)) add(net, k, v);
  for (const [k, v] of Object.entries(topUpRefunds)) add(net, k, -v);
  return { salesCount, refundsCount: refundDocs.length, sales, refunds, topUps, topUpRefunds, net };
}
