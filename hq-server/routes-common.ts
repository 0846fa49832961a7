import type { Response } from 'express';
import { z } from 'zod';
import { DomainError } from '../core/errors';
import { rolesAt } from './access';
import type { AuditActor } from './audit';
import type { Db } from './database';
import { permissionsOf, type Operator } from './operators';
import type { Permission } from './roles';

/** Helpers shared by the org, roles, operators and audit routes (errors are DomainErrors: the app maps them). */

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new DomainError('VALIDATION_FAILED', `${where}: ${path}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}

export const signedInOperator = (res: Response): Operator => (res.locals as { operator: Operator }).operator;

/** The signed-in operator, when some grant of theirs holds `permission` (where is checked next, by scope). */
export function need(res: Response, permission: Permission): Operator {
  const op = signedInOperator(res);
  if (!permissionsOf(op).has(permission)) throw new DomainError('FORBIDDEN', `your roles do not allow ${permission}`);
  return op;
}

/** Who did it, for the audit log: the operator, the roles they hold at `nodeId`, the node. */
export async function actorAt(db: Db, op: Operator, nodeId: string | null, terminalId: string | null = null): Promise<AuditActor> {
  return { operatorId: op.id, nodeId, terminalId, role: (await rolesAt(db, op, nodeId)).join(',') || null };
}

export const idField = z.string().trim().min(1, 'is required').max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, . _ : - only');
export const idParam = z.object({ id: z.string().min(1).max(128) });
