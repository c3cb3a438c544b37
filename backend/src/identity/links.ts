import { z } from 'zod';
import type { Knex } from 'knex';
import { conflict } from '../platform/errors';
import type { OutboxContext } from '../events/outbox';
import { recordEvent } from '../events/outbox';
import { appendTraceHop } from '../traces/traces';
import { activateOnLink } from './accounts';

/** How a link came to be that the links API may name: a one-time deep link, a shared phone matched by a workflow, or the API. */
export const linkSourceSchema = z.enum(['deep_link', 'phone', 'api', 'webchat']);
/** Every source: `code` is a verified one-time code (verification.ts), never claimed through the links API. */
export type LinkSource = z.infer<typeof linkSourceSchema> | 'code';

export interface Link {
  userId: string;
  leadId: string;
  source: string;
  connectedAt: number;
}

interface LinkRow {
  lead_id: string;
  bot_id: number;
  user_id: string;
  source: string;
  status: 'connected' | 'disconnected';
  connected_at: number;
  disconnected_at: number | null;
  deletion_noticed_at: number | null;
}

export interface LinkRequest {
  botId: number;
  userId: string;
  leadId: string;
  source: LinkSource;
  traceId: string;
  /** The person proved to be `userId` (a deep-link token): move the lead from another user. */
  takeOver?: boolean;
  /** The lead's channel, carried in the event. */
  channel: string;
}

export interface LinkResult {
  link: Link;
  /** False when the lead was already linked to this user. */
  changed: boolean;
  /** Seed 004 event 1: a user who had disconnected (or was deleted) connected the bot again. */
  reconnected: boolean;
}

/**
 * Links a lead to a CRM user inside `trx`, records `user.linked` and a trace hop. A lead linked to
 * another user is a 409 unless `takeOver` (then the previous user gets `user.unlinked`).
 */
export async function linkLead(trx: Knex, ctx: OutboxContext, request: LinkRequest): Promise<LinkResult> {
  const now = ctx.clock.now();
  const existing = (await trx('links').where({ lead_id: request.leadId }).first()) as LinkRow | undefined;
  const current = existing?.status === 'connected' ? existing : undefined;
  if (current?.user_id === request.userId) {
    return { link: toLink(current), changed: false, reconnected: false };
  }
  if (current && !request.takeOver) throw conflict('This lead is linked to another user; unlink it first');
  if (current) {
    await recordUnlinked(trx, ctx, { botId: request.botId, userId: current.user_id, leadId: request.leadId, traceId: request.traceId, reason: 'relinked' });
  }

  const row: LinkRow = {
    lead_id: request.leadId,
    bot_id: request.botId,
    user_id: request.userId,
    source: request.source,
    status: 'connected',
    connected_at: now,
    disconnected_at: null,
    deletion_noticed_at: null,
  };
  await trx('links').insert(row).onConflict('lead_id').merge();
  const { reconnected } = await activateOnLink(trx, ctx.clock, request.botId, request.userId);
  await recordEvent(trx, ctx, {
    botId: request.botId,
    type: 'user.linked',
    traceId: request.traceId,
    leadId: request.leadId,
    userId: request.userId,
    payload: { channel: request.channel, source: request.source, reconnected },
  });
  await appendTraceHop(trx, ctx.clock, { botId: request.botId, traceId: request.traceId, hop: 'user.linked', status: 'linked', leadId: request.leadId, userId: request.userId, detail: { source: request.source, reconnected } });
  return { link: toLink(row), changed: true, reconnected };
}

export interface UnlinkRequest {
  botId: number;
  userId: string;
  /** Only this lead; all of the user's leads when absent. */
  leadId?: string;
  traceId: string;
  reason: 'api' | 'disconnected' | 'deleted';
  /** Record `user.unlinked` per lead (false when the caller records its own lifecycle event). */
  emitEvents?: boolean;
}

/** Disconnects the user's links (all, or one lead). Returns the lead ids that were connected. */
export async function unlinkUser(trx: Knex, ctx: OutboxContext, request: UnlinkRequest): Promise<string[]> {
  const query = trx('links').where({ bot_id: request.botId, user_id: request.userId, status: 'connected' });
  if (request.leadId) query.andWhere({ lead_id: request.leadId });
  const leadIds = (await query.clone().select('lead_id')).map((row: { lead_id: string }) => row.lead_id);
  if (leadIds.length === 0) return [];
  await query.update({ status: 'disconnected', disconnected_at: ctx.clock.now() });
  if (request.emitEvents !== false) {
    for (const leadId of leadIds) {
      await recordUnlinked(trx, ctx, { ...request, leadId });
    }
  }
  return leadIds;
}

async function recordUnlinked(
  trx: Knex,
  ctx: OutboxContext,
  change: { botId: number; userId: string; leadId: string; traceId: string; reason: string },
): Promise<void> {
  await recordEvent(trx, ctx, { botId: change.botId, type: 'user.unlinked', traceId: change.traceId, leadId: change.leadId, userId: change.userId, payload: { reason: change.reason } });
  await appendTraceHop(trx, ctx.clock, { botId: change.botId, traceId: change.traceId, hop: 'user.unlinked', status: change.reason, leadId: change.leadId, userId: change.userId });
}

/** The user's connected links, newest first. */
export async function linksOfUser(db: Knex, botId: number, userId: string): Promise<Link[]> {
  const rows = (await db('links').where({ bot_id: botId, user_id: userId, status: 'connected' }).orderBy('connected_at', 'desc')) as LinkRow[];
  return rows.map(toLink);
}

function toLink(row: LinkRow): Link {
  return { userId: row.user_id, leadId: row.lead_id, source: row.source, connectedAt: row.connected_at };
}
