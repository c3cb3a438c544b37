import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { ChannelName, Profile } from '../channels/inbound-update';
import type { Clock } from '../platform/clock';
import type { OutboxContext } from '../events/outbox';
import { fromJson } from '../platform/db/database';
import { recordEvent } from '../events/outbox';
import { appendTraceHop } from '../traces/traces';

/** One person in one channel (a Telegram chat, a web-chat visitor). Ids are stable and opaque. */
export interface Lead {
  id: string;
  botId: number;
  channel: ChannelName;
  chatId: string;
  profile: Profile;
  phone?: string;
  email?: string;
  attributes: Record<string, unknown>;
  reachable: boolean;
  lastActivityAt: number;
  createdAt: number;
  userId: string | null;
}

export interface LeadRow {
  id: string;
  bot_id: number;
  channel: string;
  chat_id: string;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  language: string | null;
  phone: string | null;
  email: string | null;
  attributes: string;
  reachable: boolean | number;
  last_activity_at: number;
  created_at: number;
}

export function newLeadId(): string {
  return `ld_${crypto.randomBytes(12).toString('base64url')}`;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function profileFromRow(row: Pick<LeadRow, 'first_name' | 'last_name' | 'username' | 'language'>): Profile {
  const profile: Profile = {};
  if (row.first_name !== null) profile.firstName = row.first_name;
  if (row.last_name !== null) profile.lastName = row.last_name;
  if (row.username !== null) profile.username = row.username;
  if (row.language !== null) profile.language = row.language;
  return profile;
}

export function toLead(row: LeadRow, userId: string | null): Lead {
  return {
    id: row.id,
    botId: row.bot_id,
    channel: row.channel as ChannelName,
    chatId: row.chat_id,
    profile: profileFromRow(row),
    ...(row.phone !== null ? { phone: row.phone } : {}),
    ...(row.email !== null ? { email: row.email } : {}),
    attributes: fromJson<Record<string, unknown>>(row.attributes),
    reachable: Boolean(row.reachable),
    lastActivityAt: row.last_activity_at,
    createdAt: row.created_at,
    userId,
  };
}

function profileColumns(profile: Profile): Partial<LeadRow> {
  const columns: Partial<LeadRow> = {};
  if (profile.firstName !== undefined) columns.first_name = profile.firstName;
  if (profile.lastName !== undefined) columns.last_name = profile.lastName;
  if (profile.username !== undefined) columns.username = profile.username;
  if (profile.language !== undefined) columns.language = profile.language;
  return columns;
}

/** The user a lead is linked to now, or null. */
export async function linkedUserId(db: Knex, leadId: string): Promise<string | null> {
  const link = await db('links').where({ lead_id: leadId, status: 'connected' }).first('user_id');
  return link ? (link.user_id as string) : null;
}

export interface EnsureLeadInput {
  botId: number;
  channel: ChannelName;
  chatId: string;
  profile?: Profile;
}

/**
 * The lead of this chat: created on first contact, otherwise its profile (the fields the channel
 * sent) and last activity are refreshed. One statement, safe against two updates racing.
 */
export async function ensureLead(db: Knex, clock: Clock, input: EnsureLeadInput): Promise<Lead> {
  const now = clock.now();
  const profile = profileColumns(input.profile ?? {});
  const [row] = (await db('leads')
    .insert({
      id: newLeadId(),
      bot_id: input.botId,
      channel: input.channel,
      chat_id: input.chatId,
      ...profile,
      attributes: '{}',
      reachable: true,
      last_activity_at: now,
      created_at: now,
    })
    .onConflict(['bot_id', 'channel', 'chat_id'])
    .merge({ ...profile, last_activity_at: now })
    .returning('*')) as LeadRow[];
  return toLead(row, await linkedUserId(db, row.id));
}

export async function getLead(db: Knex, botId: number, leadId: string): Promise<Lead | undefined> {
  const row = (await db('leads').where({ bot_id: botId, id: leadId }).first()) as LeadRow | undefined;
  return row ? toLead(row, await linkedUserId(db, row.id)) : undefined;
}

export interface ReachabilityChange {
  botId: number;
  leadId: string;
  traceId: string;
}

/**
 * The person blocked the bot in this channel (Telegram 403 "bot was blocked by the user", or the
 * channel's own notice): the lead stops being a recipient and a `bot.blocked` event is recorded.
 * Pass the transaction of the caller's change. Returns false when nothing changed (already unreachable).
 */
export function markLeadUnreachable(trx: Knex, ctx: OutboxContext, change: ReachabilityChange): Promise<boolean> {
  return setReachable(trx, ctx, change, false);
}

/** The reverse: the person unblocked (or restarted) the bot; records `bot.unblocked`. */
export function markLeadReachable(trx: Knex, ctx: OutboxContext, change: ReachabilityChange): Promise<boolean> {
  return setReachable(trx, ctx, change, true);
}

async function setReachable(trx: Knex, ctx: OutboxContext, change: ReachabilityChange, reachable: boolean): Promise<boolean> {
  const updated = await trx('leads')
    .where({ bot_id: change.botId, id: change.leadId, reachable: !reachable })
    .update({ reachable, last_activity_at: ctx.clock.now() });
  if (updated === 0) return false;
  const userId = await linkedUserId(trx, change.leadId);
  const { channel } = await trx('leads').where({ id: change.leadId }).first('channel');
  const type = reachable ? 'bot.unblocked' : 'bot.blocked';
  await recordEvent(trx, ctx, { botId: change.botId, type, traceId: change.traceId, leadId: change.leadId, userId, payload: { channel } });
  await appendTraceHop(trx, ctx.clock, {
    botId: change.botId,
    traceId: change.traceId,
    hop: type,
    status: reachable ? 'reachable' : 'unreachable',
    leadId: change.leadId,
    userId,
    sourceSystem: channel,
  });
  return true;
}
