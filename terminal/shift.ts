import { DomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import { stmt, type TerminalDb } from './db';
import { credentialMethod, operatorById, terminalAudit, verifyCredential, type CachedOperator, type Credential } from './operators';

/**
 * Who is at the till and their shift. One operator is signed in at a time (signing in ends the
 * previous session); each cashier has at most one shift open on a till, opened with a float.
 * X (during) and Z (at close) totals come from this terminal's own journal: the sales, refunds,
 * top-ups and top-up refunds that shift's cashier completed between its opening and now/closing,
 * by tender (documents recorded before cashiers were recorded on them count by time alone).
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

  private openShiftRow(operatorId: string): ShiftRow | undefined {
    return stmt(this.db, 'SELECT * FROM shifts WHERE closed_at IS NULL AND operator_id = ?').get(operatorId) as ShiftRow | undefined;
  }

  /** The signed-in cashier's open shift, or null. */
  currentShift(): { id: string; operatorId: string; openedAt: number; floatMinor: number } | null {
    const s = this.current();
    const r = s ? this.openShiftRow(s.operator.id) : undefined;
    return r ? { id: r.id, operatorId: r.operator_id, openedAt: r.opened_at, floatMinor: r.float_minor } : null;
  }

  /** Every shift open on this till, oldest first. */
  openShifts(): Array<{ id: string; operatorId: string; openedAt: number; floatMinor: number }> {
    const rows = stmt(this.db, 'SELECT * FROM shifts WHERE closed_at IS NULL ORDER BY opened_at, id').all() as ShiftRow[];
    return rows.map((r) => ({ id: r.id, operatorId: r.operator_id, openedAt: r.opened_at, floatMinor: r.float_minor }));
  }

  /** Opens the signed-in cashier's shift with the float put in the drawer. */
  openShift(floatMinor: number): { id: string; operatorId: string; openedAt: number; floatMinor: number } {
    const s = this.requireSignedIn();
    if (!Number.isSafeInteger(floatMinor) || floatMinor < 0) throw new DomainError('VALIDATION_FAILED', 'floatMinor: a whole number of minor units, not negative');
    const open = this.openShiftRow(s.operator.id);
    if (open) throw new DomainError('CONFLICT', `${s.operator.name} already has a shift open on this till; close it first`, { shiftId: open.id });
    const id = this.newId();
    const now = this.clock.now();
    this.db.transaction(() => {
      stmt(this.db, 'INSERT INTO shifts (id, operator_id, opened_at, float_minor) VALUES (?, ?, ?, ?)').run(id, s.operator.id, now, floatMinor);
      terminalAudit(this.db, this.clock, s.operator.id, 'shift.opened', { shiftId: id, floatMinor });
    })();
    return { id, operatorId: s.operator.id, openedAt: now, floatMinor };
  }

  /**
   * The shift a report or close is about: `shiftId` when given (the cashier's own, or anyone's for
   * a manager), else the signed-in cashier's own, else — for a manager — the only shift open here.
   */
  private shiftFor(s: StaffSession, shiftId?: string): ShiftRow {
    const manager = s.operator.permissions.includes('operator.manage');
    let open: ShiftRow | undefined;
    if (shiftId !== undefined) {
      open = stmt(this.db, 'SELECT * FROM shifts WHERE closed_at IS NULL AND id = ?').get(shiftId) as ShiftRow | undefined;
    } else {
      open = this.openShiftRow(s.operator.id);
      if (!open && manager) {
        const all = stmt(this.db, 'SELECT * FROM shifts WHERE closed_at IS NULL').all() as ShiftRow[];
        if (all.length > 1) throw new DomainError('CONFLICT', `${all.length} shifts are open on this till; say which`, { shiftIds: all.map((r) => r.id) });
        open = all[0];
      }
    }
    if (!open) throw new DomainError('NOT_FOUND', shiftId === undefined ? `${s.operator.name} has no shift open on this till` : `no open shift ${shiftId} on this till`);
    if (open.operator_id !== s.operator.id && !manager) {
      throw new DomainError('FORBIDDEN', `the shift belongs to ${open.operator_id}; they or a manager close it`);
    }
    return open;
  }

  /** X report: a shift's totals so far (nothing changes); the signed-in cashier's by default. */
  xReport(shiftId?: string): ShiftReport {
    const open = this.shiftFor(this.requireSignedIn(), shiftId);
    return this.report('X', open, this.clock.now(), null);
  }

  /** Closes a shift (the signed-in cashier's by default) with the cash counted in the drawer; answers the Z report (stored). */
  closeShift(countedCashMinor: number, shiftId?: string): ShiftReport {
    const s = this.requireSignedIn();
    if (!Number.isSafeInteger(countedCashMinor) || countedCashMinor < 0) throw new DomainError('VALIDATION_FAILED', 'countedCashMinor: a whole number of minor units, not negative');
    const open = this.shiftFor(s, shiftId);
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
    const totals = tenderTotals(this.db, shift.opened_at, until, shift.operator_id);
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

/** The operator signed in at this till now (whatever the cache says of them), or null: recorded on each document. */
export function signedInOperatorId(db: TerminalDb): string | null {
  const s = stmt(db, 'SELECT operator_id FROM operator_sessions WHERE signed_out_at IS NULL').get() as { operator_id: string } | undefined;
  return s?.operator_id ?? null;
}

/**
 * Totals by tender of this terminal's journal with times in [from, until]; with `cashierId`, only
 * the documents that cashier completed (and those that record no cashier, made before they did).
 */
export function tenderTotals(db: TerminalDb, from: number, until: number, cashierId: string | null = null): TenderTotals {
  const add = (to: Record<string, number>, kind: string, amount: number) => {
    to[kind] = (to[kind] ?? 0) + amount;
  };
  // Bound twice: null (the whole till) or the cashier's documents and those recording nobody.
  const mine = (t: string) => `(? IS NULL OR ${t}.cashier_id IS NULL OR ${t}.cashier_id = ?)`;
  const sales: Record<string, number> = {};
  const refunds: Record<string, number> = {};
  const topUps: Record<string, number> = {};
  const topUpRefunds: Record<string, number> = {};
  const saleRows = stmt(
    db,
    `SELECT t.kind, sum(t.amount_minor) AS amount FROM sale_tenders t JOIN sales s ON s.id = t.sale_id
     WHERE s.status = 'completed' AND s.completed_at BETWEEN ? AND ? AND ${mine('s')} GROUP BY t.kind`,
  ).all(from, until, cashierId, cashierId) as Array<{ kind: string; amount: number }>;
  for (const r of saleRows) add(sales, r.kind, r.amount);
  const salesCount = (stmt(db, `SELECT count(*) AS n FROM sales s WHERE status = 'completed' AND completed_at BETWEEN ? AND ? AND ${mine('s')}`).get(from, until, cashierId, cashierId) as { n: number }).n;
  const refundDocs = stmt(db, `SELECT document FROM refunds r WHERE completed_at BETWEEN ? AND ? AND ${mine('r')}`).all(from, until, cashierId, cashierId) as Array<{ document: string }>;
  for (const r of refundDocs) {
    const doc = JSON.parse(r.document) as { tenders?: Array<{ kind: string; amountMinor: number }> };
    for (const t of doc.tenders ?? []) add(refunds, t.kind, t.amountMinor);
  }
  for (const r of stmt(db, `SELECT tender, sum(principal_minor) AS amount FROM top_ups u WHERE completed_at BETWEEN ? AND ? AND ${mine('u')} GROUP BY tender`).all(from, until, cashierId, cashierId) as Array<{ tender: string; amount: number }>) {
    add(topUps, r.tender, r.amount);
  }
  for (const r of stmt(
    db,
    `SELECT r.tender, sum(r.principal_minor) AS amount FROM top_up_refunds r
     WHERE r.completed_at BETWEEN ? AND ? AND ${mine('r')} GROUP BY r.tender`,
  ).all(from, until, cashierId, cashierId) as Array<{ tender: string; amount: number }>) {
    add(topUpRefunds, r.tender, r.amount);
  }
  const net: Record<string, number> = {};
  for (const [k, v] of Object.entries(sales)) add(net, k, v);
  for (const [k, v] of Object.entries(refunds)) add(net, k, -v);
  for (const [k, v] of Object.entries(topUps)) add(net, k, v);
  for (const [k, v] of Object.entries(topUpRefunds)) add(net, k, -v);
  return { salesCount, refundsCount: refundDocs.length, sales, refunds, topUps, topUpRefunds, net };
}
