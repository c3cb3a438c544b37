import { z } from 'zod';
import type { Knex } from 'knex';
import type { Clock } from '../platform/clock';
import { fromJson } from '../platform/db/database';
import { namesInUse } from './names-in-use';

/**
 * A CRM user's standing with the bot (the account map of the integration contract: active, disconnected, blocked, deleted). Pause is not a state: it is
 * `pausedUntil` on an active account, and ends by itself when that time passes.
 */
export const accountStateSchema = z.enum(['active', 'disconnected', 'blocked', 'deleted']);
export type AccountState = z.infer<typeof accountStateSchema>;

export const userIdSchema = z.string().trim().min(1).max(200);

export interface Account {
  userId: string;
  state: AccountState;
  pausedUntil: number | null;
  blockReason: string | null;
  /** The CRM user's data as last pushed (`users/update`). */
  profile: Record<string, unknown>;
  updatedAt: number;
}

export interface AccountRow {
  bot_id: number;
  user_id: string;
  state: AccountState;
  paused_until: number | null;
  block_reason: string | null;
  profile: string;
  created_at: number;
  updated_at: number;
}

/** A pause whose time has passed counts as over even before the resume loop records it. */
export function isPaused(account: Pick<Account, 'pausedUntil'>, now: number): boolean {
  return account.pausedUntil !== null && account.pausedUntil > now;
}

export function toAccount(row: AccountRow): Account {
  return {
    userId: row.user_id,
    state: row.state,
    pausedUntil: row.paused_until,
    blockReason: row.block_reason,
    profile: fromJson<Record<string, unknown>>(row.profile),
    updatedAt: row.updated_at,
  };
}

/**
 * The stored CRM profiles of these users, for rendering a batch of messages: one query for any
 * number of users (a user without an account, or without fields, is absent).
 */
export async function userProfiles(db: Knex, botId: number, userIds: Array<string | null>): Promise<Map<string, Record<string, unknown>>> {
  const wanted = [...new Set(userIds.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = (await db('user_accounts').where({ bot_id: botId }).whereIn('user_id', wanted).whereNot('profile', '{}').select('user_id', 'profile')) as Array<Pick<AccountRow, 'user_id' | 'profile'>>;
  return new Map(rows.map((row) => [row.user_id, fromJson<Record<string, unknown>>(row.profile)]));
}

/** Profile field names in use on the bot's users (bounded as `namesInUse` says). */
export function profileFieldNamesInUse(db: Knex, botId: number, bounds: { accountsRead: number; maxNames: number }): Promise<{ names: string[]; complete: boolean }> {
  return namesInUse(db, { table: 'user_accounts', column: 'profile' }, botId, { rowsRead: bounds.accountsRead, maxNames: bounds.maxNames });
}

export async function getAccount(db: Knex, botId: number, userId: string): Promise<Account | undefined> {
  const row = (await db('user_accounts').where({ bot_id: botId, user_id: userId }).first()) as AccountRow | undefined;
  return row ? toAccount(row) : undefined;
}

/** Creates the account on first link; a disconnected or deleted account comes back to active. */
export async function activateOnLink(
  trx: Knex,
  clock: Clock,
  botId: number,
  userId: string,
): Promise<{ account: Account; reconnected: boolean }> {
  const now = clock.now();
  const existing = await getAccount(trx, botId, userId);
  if (!existing) {
    const row: AccountRow = { bot_id: botId, user_id: userId, state: 'active', paused_until: null, block_reason: null, profile: '{}', created_at: now, updated_at: now };
    await trx('user_accounts').insert(row);
    return { account: toAccount(row), reconnected: false };
  }
  if (existing.state !== 'disconnected' && existing.state !== 'deleted') return { account: existing, reconnected: false };
  await trx('user_accounts').where({ bot_id: botId, user_id: userId }).update({ state: 'active', paused_until: null, block_reason: null, updated_at: now });
  return { account: { ...existing, state: 'active', pausedUntil: null, blockReason: null, updatedAt: now }, reconnected: true };
}

export async function updateAccount(
  trx: Knex,
  clock: Clock,
  botId: number,
  userId: string,
  change: Partial<Pick<Account, 'state' | 'pausedUntil' | 'blockReason'>>,
): Promise<void> {
  const columns: Partial<AccountRow> = { updated_at: clock.now() };
  if (change.state !== undefined) columns.state = change.state;
  if (change.pausedUntil !== undefined) columns.paused_until = change.pausedUntil;
  if (change.blockReason !== undefined) columns.block_reason = change.blockReason;
  await trx('user_accounts').where({ bot_id: botId, user_id: userId }).update(columns);
}
