import { z } from 'zod';

/**
 * Who uses the console: the admin (everything, console accounts included), the ComOps architect
 * (maps, endpoints, traces), the communications manager (messages and templates; reads the maps),
 * the analyst (analytics, traces, exports; reads everything, changes nothing) and the operator
 * (conversations; reads the traces of their bots). The manager reads the analytics of the
 * messages they write, but not the exports: those are rows with every recipient's user and lead id.
 */
export const ROLES = ['admin', 'architect', 'manager', 'analyst', 'operator'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** What a page or route needs. A role holds a fixed set; `--bot` narrows it to some bots. */
export const PERMISSIONS = ['users.manage', 'maps.read', 'maps.write', 'traces.read', 'analytics.read', 'analytics.export'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  architect: ['maps.read', 'maps.write', 'traces.read'],
  manager: ['maps.read', 'analytics.read'],
  analyst: ['maps.read', 'traces.read', 'analytics.read', 'analytics.export'],
  operator: ['traces.read'],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}
