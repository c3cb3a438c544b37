import { z } from 'zod';
import type { AppContext } from '../../platform/context';
import { conflict } from '../../platform/errors';
import { updateBotSettingsSection } from '../../bots/bots';
import { decryptSecret, encryptSecret, secretKey } from '../../platform/secrets/secret-box';

/** What a community's "Work with API" page gives, checked for shape before anything is stored. */
export const vkCredentialsSchema = z.object({
  groupId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  accessToken: z.string().trim().regex(/^[A-Za-z0-9._-]{20,512}$/, 'a community access token (vk1.a.… or 85 hex characters) with the messages right'),
  /** The Callback API's secret key: VK sends it in every update, and updates without it are refused. */
  secretKey: z.string().trim().regex(/^[A-Za-z0-9]{1,50}$/, 'the Callback API secret key: Latin letters and digits, up to 50').optional(),
  /** The string VK expects back from the `confirmation` request (Callback API → server settings). */
  confirmationCode: z.string().trim().regex(/^[A-Za-z0-9]{1,50}$/, 'the confirmation string VK shows for the Callback API server').optional(),
});
export type VkCredentials = z.output<typeof vkCredentialsSchema>;

export interface VkAccount extends VkCredentials {
  botId: number;
  screenName: string | null;
  pollTs: string | null;
  updatedAt: number;
}

interface VkBotRow {
  bot_id: number;
  group_id: number | string;
  credentials_encrypted: string;
  screen_name: string | null;
  poll_ts: string | null;
  updated_at: number | string;
}

const sealedSchema = vkCredentialsSchema.omit({ groupId: true });

/** Stores (or replaces) a bot's community and its sealed credentials. 409 when another bot has the community. */
export async function setVkAccount(ctx: AppContext, botId: number, credentials: z.input<typeof vkCredentialsSchema>, screenName: string | null = null): Promise<void> {
  const { groupId, ...secrets } = vkCredentialsSchema.parse(credentials);
  const owner = (await ctx.db('vk_bots').where({ group_id: groupId }).first('bot_id')) as { bot_id: number } | undefined;
  if (owner && owner.bot_id !== botId) throw conflict('This VK community is connected to another bot');
  const row = {
    bot_id: botId,
    group_id: groupId,
    credentials_encrypted: encryptSecret(secretKey(ctx), JSON.stringify(secrets)),
    screen_name: screenName,
    poll_ts: null,
    updated_at: ctx.clock.now(),
  };
  await ctx.db('vk_bots').insert(row).onConflict('bot_id').merge(['group_id', 'credentials_encrypted', 'screen_name', 'poll_ts', 'updated_at']);
  if (screenName) await rememberScreenName(ctx, botId, screenName);
}

/** False when the bot had no community. The short name deep links were built from goes too. */
export async function forgetVkAccount(ctx: AppContext, botId: number): Promise<boolean> {
  if ((await ctx.db('vk_bots').where({ bot_id: botId }).delete()) === 0) return false;
  await updateBotSettingsSection(ctx, botId, 'vk', ({ screenName: _, ...vk }) => vk);
  return true;
}

function toAccount(ctx: AppContext, row: VkBotRow): VkAccount {
  const secrets = sealedSchema.parse(JSON.parse(decryptSecret(secretKey(ctx), row.credentials_encrypted)));
  return { botId: row.bot_id, groupId: Number(row.group_id), ...secrets, screenName: row.screen_name, pollTs: row.poll_ts, updatedAt: Number(row.updated_at) };
}

export async function getVkAccount(ctx: AppContext, botId: number): Promise<VkAccount | undefined> {
  const row = (await ctx.db('vk_bots').where({ bot_id: botId }).first()) as VkBotRow | undefined;
  return row ? toAccount(ctx, row) : undefined;
}

export async function listVkAccounts(ctx: AppContext): Promise<VkAccount[]> {
  return ((await ctx.db('vk_bots').orderBy('bot_id')) as VkBotRow[]).map((row) => toAccount(ctx, row));
}

/** The community's short name, beside the token and in the bot's settings (vk.me deep links read it there). */
export async function rememberScreenName(ctx: AppContext, botId: number, screenName: string): Promise<void> {
  await ctx.db('vk_bots').where({ bot_id: botId }).update({ screen_name: screenName });
  await updateBotSettingsSection(ctx, botId, 'vk', (vk) => ({ ...vk, screenName }));
}

/** The Long Poll position after a batch whose events were all stored. */
export async function rememberPollTs(ctx: AppContext, botId: number, ts: string): Promise<void> {
  await ctx.db('vk_bots').where({ bot_id: botId }).update({ poll_ts: ts });
}

/** One process reads a community's Long Poll at a time; a lease left by a dead process runs out. */
export async function takeVkPollLease(ctx: AppContext, botId: number, owner: string, leaseMs: number): Promise<boolean> {
  const now = ctx.clock.now();
  const updated = await ctx.db('vk_bots')
    .where({ bot_id: botId })
    .andWhere((q) => q.whereNull('poll_owner').orWhere('poll_owner', owner).orWhere('poll_lease_until', '<', now))
    .update({ poll_owner: owner, poll_lease_until: now + leaseMs });
  return updated > 0;
}

export async function releaseVkPollLease(ctx: AppContext, botId: number, owner: string): Promise<void> {
  await ctx.db('vk_bots').where({ bot_id: botId, poll_owner: owner }).update({ poll_owner: null, poll_lease_until: null });
}
