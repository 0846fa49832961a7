import { z } from 'zod';
import { DomainError } from '../core/errors';
import type { Credential } from './operators';
import { SUPERVISED_ACTIONS, type OverrideRecord, type Overrides, type SupervisedAction } from './overrides';
import type { Staff, StaffSession } from './shift';

/**
 * Who may do what at this till (DESIGN §6). Every local API route that moves goods or money or
 * changes a member asks the guard first, before it changes anything:
 *   - nobody signed in → 401 NOT_SIGNED_IN;
 *   - the signed-in operator lacks the permission → 403 FORBIDDEN, details.permission;
 *   - a supervised action (void, cancel, refund above the limit, no-sale) the cashier may not do
 *     alone goes ahead with a supervisor's card or PIN given in the same request, checked and
 *     recorded by Overrides (the same check /api/override/* makes), and reported to HQ.
 */

/** What the till's routes need, by name (the permissions HQ grants; hq-server/roles.ts). */
export type TillPermission = 'sale.create' | 'sale.refund' | 'member.read' | 'member.write' | (typeof SUPERVISED_ACTIONS)[SupervisedAction];

/** A supervisor's credential as a request carries it: {login, pin} or {cardNo}. */
export const supervisorCredential = z.union([
  z.strictObject({ login: z.string().trim().min(1).max(64), pin: z.string().regex(/^\d{4,8}$/, 'a PIN is 4 to 8 digits') }),
  z.strictObject({ cardNo: z.string().trim().min(1).max(64) }),
]);

export interface Approval {
  overrideId: string;
  approvedBy: string;
  method: OverrideRecord['method'];
  permission: string;
}

export const approvalOf = (r: OverrideRecord): Approval => ({ overrideId: r.id, approvedBy: r.supervisorId, method: r.method, permission: r.permission });

export class TillGuard {
  constructor(
    private readonly staff: Staff,
    private readonly overrides: Overrides,
  ) {}

  /** The signed-in operator, or NOT_SIGNED_IN. */
  signedIn(): StaffSession {
    const s = this.staff.current();
    if (!s) throw new DomainError('NOT_SIGNED_IN', 'no cashier is signed in at this till: sign in with your PIN or operator card');
    return s;
  }

  /** The signed-in operator when they hold `permission`; NOT_SIGNED_IN or FORBIDDEN otherwise. */
  require(permission: TillPermission): StaffSession {
    const s = this.signedIn();
    if (!s.operator.permissions.includes(permission)) {
      throw new DomainError('FORBIDDEN', `${s.operator.name} may not do this at this till (${permission})`, { permission, operatorId: s.operator.id });
    }
    return s;
  }

  /**
   * Runs a supervised action: by the signed-in operator's own permission or the supervisor's
   * (recorded either way), then `run`; the approval is marked used once `run` succeeded.
   * Checks sign-in first so that a till nobody is at answers NOT_SIGNED_IN, not FORBIDDEN.
   */
  async supervised<T>(action: SupervisedAction, supervisor: Credential | undefined, details: Record<string, unknown>, run: () => Promise<T> | T): Promise<{ result: T; approval: Approval }> {
    this.signedIn();
    const record = await this.overrides.authorize(action, supervisor, details);
    const result = await run();
    this.overrides.markUsed(record.id);
    return { result, approval: approvalOf(record) };
  }
}
