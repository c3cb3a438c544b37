import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { fromJson, isUniqueViolation, toJson } from '../platform/db/database';
import { conflict, notFound, parseInput } from '../platform/errors';
import { hashPassword, passwordSchema } from './passwords';
import { type Role, roleSchema } from './roles';

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email().max(254));

export const createConsoleUserSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  role: roleSchema,
  /** The bots this account may see; empty: every bot. */
  botIds: z.array(z.number().int().positive()).max(1000).default([]),
});
export type CreateConsoleUserInput = z.input<typeof createConsoleUserSchema>;

export interface ConsoleUser {
  id: number;
  email: string;
  role: Role;
  botIds: number[];
  createdAt: number;
  disabledAt: number | null;
}

export interface ConsoleUserRow {
  id: number;
  email: string;
  password_hash: string;
  role: Role;
  bot_ids: string;
  created_at: number;
  disabled_at: number | null;
}

export function toConsoleUser(row: ConsoleUserRow): ConsoleUser {
  return { id: row.id, email: row.email, role: row.role, botIds: fromJson(row.bot_ids), createdAt: row.created_at, disabledAt: row.disabled_at };
}

/** Whether the account may see this bot (an account without bots sees every bot). */
export function userSeesBot(user: Pick<ConsoleUser, 'botIds'>, botId: number): boolean {
  return user.botIds.length === 0 || user.botIds.includes(botId);
}

/** Whether the account is an enabled admin that sees the bot: who may act on any of its conversations. */
export function isAdminOf(user: Pick<ConsoleUser, 'role' | 'botIds' | 'disabledAt'>, botId: number): boolean {
  return user.role === 'admin' && user.disabledAt === null && userSeesBot(user, botId);
}

/** Whether an operator name (as the Telegram staff group lists it) is the email of an account that is admin of this bot. */
export async function isAdminOperator(ctx: AppContext, operator: string, botId: number): Promise<boolean> {
  const row = await findConsoleUserByEmail(ctx, operator.trim().toLowerCase());
  return row !== undefined && isAdminOf(toConsoleUser(row), botId);
}

export async function createConsoleUser(ctx: AppContext, input: CreateConsoleUserInput): Promise<ConsoleUser> {
  const data = parseInput(createConsoleUserSchema, input);
  const row = {
    email: data.email,
    password_hash: await hashPassword(data.password),
    role: data.role,
    bot_ids: toJson([...new Set(data.botIds)].sort((a, b) => a - b)),
    created_at: ctx.clock.now(),
    disabled_at: null,
  };
  try {
    const [stored] = await ctx.db('console_users').insert(row).returning('*');
    return toConsoleUser(stored as ConsoleUserRow);
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`A console account for ${data.email} exists already`);
    throw error;
  }
}

export async function listConsoleUsers(ctx: AppContext): Promise<ConsoleUser[]> {
  return (await ctx.db<ConsoleUserRow>('console_users').orderBy('id')).map(toConsoleUser);
}

export async function findConsoleUserByEmail(ctx: AppContext, email: string): Promise<ConsoleUserRow | undefined> {
  return ctx.db<ConsoleUserRow>('console_users').where({ email }).first();
}

/** Disables an account and ends every session it has, in one transaction. */
export async function disableConsoleUser(ctx: AppContext, email: string): Promise<ConsoleUser> {
  const address = parseInput(emailSchema, email, 'email');
  return ctx.db.transaction(async (trx) => {
    const row = await trx<ConsoleUserRow>('console_users').where({ email: address }).first();
    if (!row) throw notFound(`No console account for ${address}`);
    const disabledAt = row.disabled_at ?? ctx.clock.now();
    await trx('console_users').where({ id: row.id }).update({ disabled_at: disabledAt });
    await trx('console_sessions').where({ user_id: row.id }).delete();
    return toConsoleUser({ ...row, disabled_at: disabledAt });
  });
}
