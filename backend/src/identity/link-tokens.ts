import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Bot } from '../bots/bots';
import type { AppContext } from '../platform/context';
import type { OutboxContext } from '../events/outbox';
import { isPostgres } from '../platform/db/database';
import { linkLead, type LinkResult } from './links';

/** Telegram deep-link payloads allow [A-Za-z0-9_-] up to 64 characters; ours start with `lt_`. */
export const linkTokenPattern = /^lt_[A-Za-z0-9_-]{32}$/;
export const DEFAULT_LINK_TOKEN_TTL_SECONDS = 24 * 3600;

interface LinkTokenRow {
  hash: string;
  bot_id: number;
  user_id: string;
  expires_at: number;
  used_at: number | null;
  used_by_lead_id: string | null;
  created_at: number;
}

function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export interface IssuedLinkToken {
  token: string;
  expiresAt: number;
  telegramUrl: string | null;
  /** vk.me/<community>?ref=<token>: the first message after the link carries the ref. */
  vkUrl: string | null;
  /** wa.me/<number>?text=/start <token>: the person sends the prefilled text, as Telegram's /start. */
  whatsappUrl: string | null;
  webchatUrl: string;
}

/** A one-time token for `userId`; only its hash is stored. */
export async function issueLinkToken(
  ctx: AppContext,
  bot: Bot,
  input: { userId: string; ttlSeconds?: number },
): Promise<IssuedLinkToken> {
  const token = `lt_${crypto.randomBytes(24).toString('base64url')}`;
  const now = ctx.clock.now();
  const expiresAt = now + (input.ttlSeconds ?? DEFAULT_LINK_TOKEN_TTL_SECONDS) * 1000;
  await ctx.db('link_tokens').insert({ hash: hashToken(token), bot_id: bot.id, user_id: input.userId, expires_at: expiresAt, used_at: null, used_by_lead_id: null, created_at: now });
  const telegram = bot.settings.telegram as { username?: unknown } | undefined;
  const username = typeof telegram?.username === 'string' ? telegram.username.replace(/^@/, '') : null;
  const vk = bot.settings.vk as { screenName?: unknown } | undefined;
  const screenName = typeof vk?.screenName === 'string' ? vk.screenName : null;
  const whatsapp = bot.settings.whatsapp as { displayPhone?: unknown } | undefined;
  const displayPhone = typeof whatsapp?.displayPhone === 'string' ? whatsapp.displayPhone : null;
  return {
    token,
    expiresAt,
    telegramUrl: username ? `https://t.me/${encodeURIComponent(username)}?start=${token}` : null,
    vkUrl: screenName ? `https://vk.me/${encodeURIComponent(screenName)}?ref=${token}` : null,
    whatsappUrl: displayPhone ? `https://wa.me/${displayPhone}?text=${encodeURIComponent(`/start ${token}`)}` : null,
    webchatUrl: `${ctx.config.publicUrl}/chat/${bot.id}?link=${token}`,
  };
}

export type Redemption =
  | { status: 'linked'; result: LinkResult; userId: string }
  | { status: 'already' | 'expired' | 'used' | 'foreign' | 'invalid' };

/**
 * `/start <token>` from a lead: links it to the token's user (once), inside `trx`. Every other
 * outcome is named so the person is told what went wrong.
 */
export async function redeemLinkToken(
  trx: Knex,
  ctx: OutboxContext,
  input: { botId: number; token: string; leadId: string; channel: string; traceId: string },
): Promise<Redemption> {
  const query = trx('link_tokens').where({ hash: hashToken(input.token) });
  if (isPostgres(trx)) query.forUpdate();
  const row = (await query.first()) as LinkTokenRow | undefined;
  if (!row) return { status: 'invalid' };
  if (row.bot_id !== input.botId) return { status: 'foreign' };
  if (row.used_at !== null) return { status: row.used_by_lead_id === input.leadId ? 'already' : 'used' };
  if (row.expires_at <= ctx.clock.now()) return { status: 'expired' };
  await trx('link_tokens').where({ hash: row.hash }).update({ used_at: ctx.clock.now(), used_by_lead_id: input.leadId });
  const result = await linkLead(trx, ctx, { botId: input.botId, userId: row.user_id, leadId: input.leadId, channel: input.channel, source: 'deep_link', traceId: input.traceId, takeOver: true });
  return { status: 'linked', result, userId: row.user_id };
}
