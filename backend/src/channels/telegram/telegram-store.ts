import crypto from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../../platform/context';
import { updateBotSettingsSection } from '../../bots/bots';
import { decryptSecret, encryptSecret, secretKey } from '../../platform/secrets/secret-box';

/** The shape BotFather hands out: `<bot id>:<35 characters>`; checked before anything is stored. */
export const telegramTokenSchema = z.string().trim().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'must look like 123456789:AAH… (the token from @BotFather)');

export interface TelegramBotRecord {
  botId: number;
  token: string;
  webhookSecret: string;
  username: string | null;
  updatedAt: number;
}

interface TelegramBotRow {
  bot_id: number;
  token_encrypted: string;
  webhook_secret: string;
  username: string | null;
  poll_owner: string | null;
  poll_lease_until: number | null;
  updated_at: number;
}

/** Stores (or replaces) a bot's Telegram token, encrypted. A new token gets a new webhook secret. */
export async function setTelegramToken(ctx: AppContext, botId: number, token: string): Promise<void> {
  const sealed = encryptSecret(secretKey(ctx), telegramTokenSchema.parse(token));
  const row = {
    bot_id: botId,
    token_encrypted: sealed,
    webhook_secret: crypto.randomBytes(24).toString('hex'),
    username: null,
    updated_at: ctx.clock.now(),
  };
  await ctx.db('telegram_bots').insert(row).onConflict('bot_id').merge(['token_encrypted', 'webhook_secret', 'username', 'updated_at']);
}

/** Removes the token (and the username deep links were built from). False when there was none. */
export async function forgetTelegramToken(ctx: AppContext, botId: number): Promise<boolean> {
  const removed = await ctx.db('telegram_bots').where({ bot_id: botId }).delete();
  if (removed === 0) return false;
  await updateBotSettingsSection(ctx, botId, 'telegram', ({ username: _, ...telegram }) => telegram);
  return true;
}

function toRecord(ctx: AppContext, row: TelegramBotRow): TelegramBotRecord {
  return {
    botId: row.bot_id,
    token: decryptSecret(secretKey(ctx), row.token_encrypted),
    webhookSecret: row.webhook_secret,
    username: row.username,
    updatedAt: row.updated_at,
  };
}

export async function getTelegramBot(ctx: AppContext, botId: number): Promise<TelegramBotRecord | undefined> {
  const row = (await ctx.db('telegram_bots').where({ bot_id: botId }).first()) as TelegramBotRow | undefined;
  return row ? toRecord(ctx, row) : undefined;
}

export async function listTelegramBots(ctx: AppContext): Promise<TelegramBotRecord[]> {
  const rows = (await ctx.db('telegram_bots').orderBy('bot_id')) as TelegramBotRow[];
  return rows.map((row) => toRecord(ctx, row));
}

/** getMe's username, kept beside the token and in the bot's settings (deep links read it there). */
export async function rememberUsername(ctx: AppContext, botId: number, username: string): Promise<void> {
  await ctx.db('telegram_bots').where({ bot_id: botId }).update({ username });
  await updateBotSettingsSection(ctx, botId, 'telegram', (telegram) => ({ ...telegram, username }));
}

/**
 * Long polling allows one poller per token. A process polls a bot while it holds the lease; a
 * lease left by a dead process runs out and another process takes over.
 */
export async function takePollLease(ctx: AppContext, botId: number, owner: string, leaseMs: number): Promise<boolean> {
  const now = ctx.clock.now();
  const updated = await ctx.db('telegram_bots')
    .where({ bot_id: botId })
    .andWhere((q) => q.whereNull('poll_owner').orWhere('poll_owner', owner).orWhere('poll_lease_until', '<', now))
    .update({ poll_owner: owner, poll_lease_until: now + leaseMs });
  return updated > 0;
}

export async function releasePollLease(ctx: AppContext, botId: number, owner: string): Promise<void> {
  await ctx.db('telegram_bots').where({ bot_id: botId, poll_owner: owner }).update({ poll_owner: null, poll_lease_until: null });
}
