import { DomainError } from '../core/errors';
import type { Db } from './database';

/**
 * Permissions and roles (DESIGN §6). A role is a set of permissions; an operator holds roles AT
 * org nodes (grants), and a permission held through a grant reaches that node's subtree only.
 */
export const PERMISSIONS = [
  // members (profile, cards and balances are chain-wide; transactions are regional — see README)
  'member.read',
  'member.write',
  'member.adjust',
  // promotions
  'promotion.write',
  'promotion.approve',
  // the catalog (products, items sold by weight)
  'catalog.write',
  // at the till
  'sale.create',
  'sale.void',
  'sale.refund',
  'refund.above_limit',
  'discount.manual',
  'price.override',
  'drawer.open',
  // terminals and their events
  'terminal.read',
  'terminal.enroll',
  'terminal.revoke',
  'event.read',
  'event.retry',
  'exposure.read',
  // chain settings
  'setting.read',
  'setting.write',
  // organisation, operators, roles
  'org.read',
  'org.manage',
  'operator.read',
  'operator.manage',
  'role.manage',
  // reading the trail and the figures
  'audit.read',
  'report.read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);
export const isPermission = (p: string): p is Permission => PERMISSION_SET.has(p);

/** What a supervisor can do at a till; a cashier lacking one asks for an override. */
const TILL_SUPERVISOR: readonly Permission[] = ['sale.create', 'sale.void', 'sale.refund', 'refund.above_limit', 'discount.manual', 'price.override', 'drawer.open'];

export interface RoleDefinition {
  code: string;
  name: string;
  permissions: readonly Permission[];
  builtIn: boolean;
}

/** The built-in roles: fixed in code, shown by GET /roles, never changed through the API. */
export const BUILT_IN_ROLES: Readonly<Record<string, RoleDefinition>> = {
  hq_admin: { code: 'hq_admin', name: 'HQ admin', builtIn: true, permissions: PERMISSIONS },
  hq_finance: {
    code: 'hq_finance',
    name: 'HQ finance',
    builtIn: true,
    permissions: ['member.read', 'member.adjust', 'promotion.approve', 'terminal.read', 'event.read', 'event.retry', 'exposure.read', 'setting.read', 'org.read', 'operator.read', 'audit.read', 'report.read'],
  },
  regional_manager: {
    code: 'regional_manager',
    name: 'Regional manager',
    builtIn: true,
    permissions: [
      'member.read', 'member.write', 'promotion.write', ...TILL_SUPERVISOR,
      'terminal.read', 'terminal.enroll', 'terminal.revoke', 'event.read', 'exposure.read', 'setting.read',
      'org.read', 'operator.read', 'operator.manage', 'audit.read', 'report.read',
    ],
  },
  store_manager: {
    code: 'store_manager',
    name: 'Store manager',
    builtIn: true,
    permissions: [
      'member.read', 'member.write', ...TILL_SUPERVISOR,
      'terminal.read', 'terminal.enroll', 'event.read', 'exposure.read', 'setting.read',
      'org.read', 'operator.read', 'operator.manage', 'audit.read', 'report.read',
    ],
  },
  cashier: { code: 'cashier', name: 'Cashier', builtIn: true, permissions: ['member.read', 'sale.create', 'sale.refund', 'org.read'] },
};

export const BUILT_IN_ROLE_CODES = Object.keys(BUILT_IN_ROLES);

/** Every role, built-in first, then the custom ones from the `roles` table. */
export async function listRoles(db: Db): Promise<RoleDefinition[]> {
  const custom = await db`select code, name, permissions from roles order by code`;
  return [
    ...Object.values(BUILT_IN_ROLES),
    ...custom.map((r) => ({ code: r.code as string, name: r.name as string, permissions: (r.permissions as string[]).filter(isPermission), builtIn: false })),
  ];
}

/** Role code → permissions, for resolving grants (built-in and custom). */
export async function rolePermissions(db: Db): Promise<Map<string, ReadonlySet<Permission>>> {
  return new Map((await listRoles(db)).map((r) => [r.code, new Set(r.permissions)]));
}

export async function getRole(db: Db, code: string): Promise<RoleDefinition | null> {
  const builtIn = BUILT_IN_ROLES[code];
  if (builtIn) return builtIn;
  const [r] = await db`select code, name, permissions from roles where code = ${code}`;
  return r ? { code: r.code, name: r.name, permissions: (r.permissions as string[]).filter(isPermission), builtIn: false } : null;
}

function checkPermissions(permissions: readonly string[]): Permission[] {
  const unknown = permissions.filter((p) => !isPermission(p));
  if (unknown.length > 0) throw new DomainError('VALIDATION_FAILED', `unknown permission(s): ${unknown.join(', ')}`);
  return [...new Set(permissions as Permission[])].sort();
}

export async function createRole(db: Db, input: { code: string; name: string; permissions: readonly string[] }): Promise<RoleDefinition> {
  if (BUILT_IN_ROLES[input.code]) throw new DomainError('CONFLICT', `${input.code} is a built-in role`);
  const permissions = checkPermissions(input.permissions);
  const made = await db`insert into roles (code, name, permissions) values (${input.code}, ${input.name}, ${permissions}) on conflict (code) do nothing returning code`;
  if (made.length === 0) throw new DomainError('CONFLICT', `role ${input.code} exists`);
  return { code: input.code, name: input.name, permissions, builtIn: false };
}

/** Changes a custom role; returns it before and after. */
export async function updateRole(db: Db, code: string, input: { name?: string; permissions?: readonly string[] }): Promise<{ before: RoleDefinition; after: RoleDefinition }> {
  if (BUILT_IN_ROLES[code]) throw new DomainError('CONFLICT', `${code} is a built-in role and cannot be changed`);
  const before = await getRole(db, code);
  if (!before) throw new DomainError('NOT_FOUND', `no role ${code}`);
  const permissions = input.permissions ? checkPermissions(input.permissions) : [...before.permissions];
  const name = input.name ?? before.name;
  await db`update roles set name = ${name}, permissions = ${permissions}, updated_at = now() where code = ${code}`;
  return { before, after: { code, name, permissions, builtIn: false } };
}

/** Deletes a custom role nobody holds. */
export async function deleteRole(db: Db, code: string): Promise<RoleDefinition> {
  if (BUILT_IN_ROLES[code]) throw new DomainError('CONFLICT', `${code} is a built-in role and cannot be deleted`);
  const before = await getRole(db, code);
  if (!before) throw new DomainError('NOT_FOUND', `no role ${code}`);
  const [held] = await db`select count(*)::int as n from operator_grants where role_code = ${code}`;
  if ((held?.n as number) > 0) throw new DomainError('CONFLICT', `role ${code} is held by ${held!.n} grant(s); revoke them first`);
  await db`delete from roles where code = ${code}`;
  return before;
}
