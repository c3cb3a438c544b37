import type { Knex } from 'knex';
import { z } from 'zod';
import { type Bot, getBot } from '../bots/bots';
import { conflict, notFound } from '../platform/errors';
import type { AppContext } from '../platform/context';
import { queueNotice } from '../delivery/messages';
import { recordEvent } from '../events/outbox';
import { appendTraceHop, newTraceId } from '../traces/traces';
import { type Account, getAccount, isPaused, updateAccount } from './accounts';
import { unlinkUser } from './links';
import { formatTime, identityTexts, type TextKey } from './texts';

/** The admin/CRM side of the account map. Each is a state transition, an event and a trace hop. */
export const lifecycleActionSchema = z.enum(['pause', 'resume', 'block', 'unblock', 'delete', 'disconnect']);
export type LifecycleAction = z.infer<typeof lifecycleActionSchema>;

export interface LifecycleInput {
  /** Pause: until when (epoch ms, in the future). */
  until?: number;
  /** Block: shown to the user. */
  reason?: string;
  /** Tell the user (default true; a deleted account is never told: the person asked to be forgotten). */
  notify?: boolean;
}

/**
 * The event a transition records. Its payload names `leadIds` (the user's chats at the time) and
 * `notice` (what the user is told, or null): `{text, leadIds, messageId}`, the message queued for
 * delivery in the same transaction (`queueNotice`; null when no chat of the user is reachable).
 */
const eventOf: Record<LifecycleAction, { type: string; text: TextKey | null }> = {
  pause: { type: 'user.paused', text: 'user.paused' },
  resume: { type: 'user.resumed', text: 'user.resumed' },
  block: { type: 'user.blocked', text: 'user.blocked' },
  unblock: { type: 'user.unblocked', text: 'user.unblocked' },
  delete: { type: 'user.deleted', text: null },
  disconnect: { type: 'user.unlinked', text: 'user.unlinked' },
};

type Change = Partial<Pick<Account, 'state' | 'pausedUntil' | 'blockReason'>>;

/** The new account fields for an action, or a 409 naming why the action does not apply now. */
function transition(action: LifecycleAction, account: Account, input: LifecycleInput, now: number): Change {
  if (account.state === 'deleted' && action !== 'delete') throw conflict('The user is deleted; link them again first');
  switch (action) {
    case 'pause':
      if (account.state !== 'active') throw conflict(`Cannot pause a ${account.state} user`);
      if (input.until === undefined || input.until <= now) throw conflict('"until" must be in the future');
      return { pausedUntil: input.until };
    case 'resume':
      if (!isPaused(account, now)) throw conflict('The user is not paused');
      return { pausedUntil: null };
    case 'block':
      if (account.state === 'blocked') throw conflict('The user is already blocked');
      return { state: 'blocked', blockReason: input.reason ?? null, pausedUntil: null };
    case 'unblock':
      if (account.state !== 'blocked') throw conflict('The user is not blocked');
      return { state: 'active', blockReason: null };
    case 'delete':
      if (account.state === 'deleted') throw conflict('The user is already deleted');
      return { state: 'deleted', pausedUntil: null, blockReason: null };
    case 'disconnect':
      if (account.state === 'disconnected') throw conflict('The user is already disconnected');
      return { state: 'disconnected', pausedUntil: null };
  }
}

async function connectedLeadIds(trx: Knex, botId: number, userId: string): Promise<string[]> {
  const rows = await trx('links').where({ bot_id: botId, user_id: userId, status: 'connected' }).select('lead_id');
  return rows.map((row: { lead_id: string }) => row.lead_id);
}

/** Applies a lifecycle action to a user's account; 404 for a user the bot never linked. */
export async function applyLifecycle(
  ctx: AppContext,
  bot: Bot,
  request: { userId: string; action: LifecycleAction; traceId: string; input: LifecycleInput },
): Promise<Account> {
  const { userId, action, traceId, input } = request;
  return ctx.db.transaction(async (trx) => {
    const account = await getAccount(trx, bot.id, userId);
    if (!account) throw notFound('User not found');
    const change = transition(action, account, input, ctx.clock.now());
    const leadIds = await connectedLeadIds(trx, bot.id, userId);
    await updateAccount(trx, ctx.clock, bot.id, userId, change);
    if (action === 'delete' || action === 'disconnect') {
      await unlinkUser(trx, ctx, { botId: bot.id, userId, traceId, reason: action === 'delete' ? 'deleted' : 'disconnected', emitEvents: false });
    }
    const payload = {
      action,
      leadIds,
      ...(action === 'pause' ? { until: new Date(input.until!).toISOString() } : {}),
      ...(action === 'block' ? { reason: input.reason ?? null } : {}),
      ...(action === 'disconnect' ? { reason: 'disconnected' } : {}),
    };
    await recordTransition(trx, ctx, bot, { userId, traceId, type: eventOf[action].type, action, payload, notice: { action, input, leadIds } });
    return (await getAccount(trx, bot.id, userId))!;
  });
}

interface NoticeRequest {
  action: LifecycleAction;
  input: LifecycleInput;
  leadIds: string[];
}

async function queueNoticeOf(trx: Knex, ctx: AppContext, bot: Bot, request: NoticeRequest, traceId: string) {
  const { action, input, leadIds } = request;
  const key = eventOf[action].text;
  if (!key || input.notify === false || leadIds.length === 0) return null;
  const until = input.until === undefined ? undefined : formatTime(bot, input.until);
  const { text, variants } = identityTexts(bot, key, { reason: input.reason, until });
  return { text, leadIds, messageId: await queueNotice(trx, ctx, bot, { text, variants, leadIds, traceId }) };
}

/** The trace hop, then the notice (its message.queued hop follows the transition's), then the event naming the notice's message. */
async function recordTransition(
  trx: Knex,
  ctx: AppContext,
  bot: Bot,
  change: { userId: string; traceId: string; type: string; action: string; payload: Record<string, unknown>; notice: NoticeRequest },
): Promise<void> {
  const { userId, traceId, type } = change;
  await appendTraceHop(trx, ctx.clock, { botId: bot.id, traceId, hop: type, status: change.action, userId });
  const notice = await queueNoticeOf(trx, ctx, bot, change.notice, traceId);
  await recordEvent(trx, ctx, { botId: bot.id, type, traceId, userId, payload: { ...change.payload, notice } });
}

/**
 * Ends pauses whose time has passed and records `user.resumed` (auto) for each. Delivery does not
 * wait for this: `resolveRecipients` already treats an expired pause as over; this loop exists so a
 * workflow can greet the user back (the "pause ended" event of the account map) at about the right time.
 */
export async function resumeExpiredPauses(ctx: AppContext): Promise<number> {
  const now = ctx.clock.now();
  const due = (await ctx.db('user_accounts').whereNotNull('paused_until').andWhere('paused_until', '<=', now).limit(500)) as Array<{ bot_id: number; user_id: string; paused_until: number }>;
  let resumed = 0;
  for (const row of due) {
    const bot = await getBot(ctx, row.bot_id);
    if (!bot) continue;
    resumed += await ctx.db.transaction(async (trx) => {
      const updated = await trx('user_accounts').where({ bot_id: row.bot_id, user_id: row.user_id, paused_until: row.paused_until }).update({ paused_until: null, updated_at: now });
      if (updated === 0) return 0;
      const leadIds = await connectedLeadIds(trx, row.bot_id, row.user_id);
      const notice = { action: 'resume' as const, input: {}, leadIds };
      await recordTransition(trx, ctx, bot, { userId: row.user_id, traceId: newTraceId(), type: 'user.resumed', action: 'auto-resume', payload: { action: 'resume', auto: true, leadIds }, notice });
      return 1;
    });
  }
  return resumed;
}
