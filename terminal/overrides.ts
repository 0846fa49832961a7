import { DomainError } from '../core/errors';
import type { Clock } from '../core/ids';
import { stmt, type TerminalDb } from './db';
import { credentialMethod, terminalAudit, verifyCredential, type Credential } from './operators';
import type { Staff } from './shift';

/**
 * Supervisor override (DESIGN §6): an action that needs a permission the signed-in cashier does
 * not hold goes ahead only with the PIN (login + PIN) or operator card of an operator who holds
 * it here, checked offline against the operator cache. Every supervised action is recorded in
 * `overrides` (who was signed in, who approved, which permission, what, how, when) — also when
 * the cashier held the permission themselves (method `own`) — and in terminal_audit.
 */

export const SUPERVISED_ACTIONS = {
  void_line: 'sale.void',
  void_sale: 'sale.void',
  manual_discount: 'discount.manual',
  price_override: 'price.override',
  refund_above_limit: 'refund.above_limit',
  no_sale: 'drawer.open',
} as const;

export type SupervisedAction = keyof typeof SUPERVISED_ACTIONS;

export interface OverrideRecord {
  id: string;
  at: number;
  cashierId: string | null;
  supervisorId: string;
  permission: string;
  action: string;
  method: 'pin' | 'card' | 'own';
  details: Record<string, unknown>;
}

export class Overrides {
  constructor(
    private readonly db: TerminalDb,
    private readonly clock: Clock,
    private readonly newId: () => string,
    private readonly staff: Staff,
  ) {}

  /**
   * Allows `action` for the signed-in cashier: by their own permission, or by `supervisor`'s.
   * FORBIDDEN (details.needsSupervisor) when neither holds it; the approval is recorded.
   */
  async authorize(action: SupervisedAction, supervisor: Credential | undefined, details: Record<string, unknown> = {}): Promise<OverrideRecord> {
    const cashier = this.staff.requireSignedIn();
    const permission = SUPERVISED_ACTIONS[action];
    let supervisorId: string;
    let method: OverrideRecord['method'];
    if (cashier.operator.permissions.includes(permission)) {
      supervisorId = cashier.operator.id;
      method = 'own';
    } else {
      if (!supervisor) {
        throw new DomainError('FORBIDDEN', `${cashier.operator.name} may not ${action.replace('_', ' ')} (${permission}); a supervisor's card or PIN is needed`, { permission, needsSupervisor: true });
      }
      const approver = await verifyCredential(this.db, this.clock, supervisor);
      if (!approver.permissions.includes(permission)) {
        throw new DomainError('FORBIDDEN', `${approver.name} does not hold ${permission} at this store either`, { permission, needsSupervisor: true });
      }
      supervisorId = approver.id;
      method = credentialMethod(supervisor);
    }
    const record: OverrideRecord = { id: this.newId(), at: this.clock.now(), cashierId: cashier.operator.id, supervisorId, permission, action, method, details };
    this.db.transaction(() => {
      stmt(this.db, 'INSERT INTO overrides (id, at, cashier_id, supervisor_id, permission, action, method, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        record.id, record.at, record.cashierId, record.supervisorId, record.permission, record.action, record.method, JSON.stringify(details),
      );
      terminalAudit(this.db, this.clock, cashier.operator.id, 'override.granted', { overrideId: record.id, action, permission, supervisorId, method, ...details });
    })();
    return record;
  }

  /** Marks an approval as used by the action it allowed (once). */
  markUsed(id: string): void {
    stmt(this.db, 'UPDATE overrides SET used_at = ? WHERE id = ? AND used_at IS NULL').run(this.clock.now(), id);
  }

  /** Approvals, newest first. */
  list(limit = 50): Array<OverrideRecord & { usedAt: number | null }> {
    const rows = stmt(this.db, 'SELECT * FROM overrides ORDER BY at DESC, id DESC LIMIT ?').all(limit) as Array<{
      id: string; at: number; cashier_id: string | null; supervisor_id: string; permission: string; action: string; method: OverrideRecord['method']; details: string; used_at: number | null;
    }>;
    return rows.map((r) => ({ id: r.id, at: r.at, cashierId: r.cashier_id, supervisorId: r.supervisor_id, permission: r.permission, action: r.action, method: r.method, details: JSON.parse(r.details) as Record<string, unknown>, usedAt: r.used_at }));
  }
}
