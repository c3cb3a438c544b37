import { z } from 'zod';

/**
 * Who uses the console: the admin (everything, console accounts included), the ComOps architect
 * (maps, endpoints, traces), the communications manager (messages and templates; reads the maps),
 * the analyst (analytics, traces, exports; reads everything, changes nothing) and the operator
 * (conversations; reads the traces of their bots). The manager reads the analytics of the
 * messages they write, but not the exports: those are rows with every recipient's user and lead id.
 * The desk (conversations.read, conversations.write) is the operator's and the admin's only: a
 * dialog is a person's private correspondence, needed by whoever answers it and by nobody who
 * designs maps (architect), writes broadcasts (manager) or measures outcomes (analyst: the
 * analytics count handovers and ratings without reading a single message).
 *
 * The template library: the manager owns the texts and writes them (`templates.write`, which also
 * renders a draft for a named lead or user: their profile and attributes). The architect reads them,
 * since workflows and map endpoints refer to templates by name and the architect wires them; the
 * analyst reads them, since the figures they read are per communication and its text is part of
 * why. Neither writes: a text has one owner. The operator answers people in conversations and sends
 * no library template, so gets none.
 */
export const ROLES = ['admin', 'architect', 'manager', 'analyst', 'operator'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** What a page or route needs. A role holds a fixed set; `--bot` narrows it to some bots. */
export const PERMISSIONS = ['users.manage', 'maps.read', 'maps.write', 'traces.read', 'analytics.read', 'analytics.export', 'conversations.read', 'conversations.write', 'templates.read', 'templates.write'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  architect: ['maps.read', 'maps.write', 'traces.read', 'templates.read'],
  manager: ['maps.read', 'analytics.read', 'templates.read', 'templates.write'],
  analyst: ['maps.read', 'traces.read', 'analytics.read', 'analytics.export', 'templates.read'],
  operator: ['traces.read', 'conversations.read', 'conversations.write'],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}
