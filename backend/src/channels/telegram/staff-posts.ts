import { type Api, GrammyError } from 'grammy';
import type { Knex } from 'knex';
import { getBot } from '../../bots/bots';
import { personKeyOf } from '../../conversations/conversations';
import { OPERATOR_AUDIENCE } from '../../conversations/routing';
import type { EventRow } from '../../events/event-row';
import type { FanoutObserver } from '../../events/fanout';
import { getLead, type Lead } from '../../identity/leads';
import type { AppContext } from '../../platform/context';
import { fromJson } from '../../platform/db/database';
import { closeTopic, sendIntoTopic } from './forum';
import { staffGroupOf } from './staff-group-settings';
import { forgetTopic, findTopic, markTopicClosed, openTopic, type TopicKey } from './staff-topics';
import { telegramApi } from './telegram-channel';
import { describeTelegramError } from './telegram-wire';
import { getTelegramBot } from './telegram-store';

/** The loop that sends the staff posts into the staff group's topics (workers.ts). */
export const STAFF_GROUP_LOOP = 'telegram-staff-group';

type PostKind = 'open' | 'copy' | 'close';

interface StaffPostRow {
  id: number;
  bot_id: number;
  person_key: string;
  kind: PostKind;
  lead_id: string;
  text: string;
  attempts: number;
  next_attempt_at: number | string;
  leased_until: number | string | null;
}

const BATCH = 100;
const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Telegram's limit on a message's text (UTF-16 code units): a longer post would be refused forever. */
const TEXT_MAX = 4096;

function clip(text: string): string {
  if (text.length <= TEXT_MAX) return text;
  const cut = text.slice(0, TEXT_MAX - 1);
  // Never half a surrogate pair.
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

/** What a person did while a human had the conversation, as a line in their topic. */
function personLine(type: string, channel: string, payload: Record<string, unknown>): string {
  const media = payload.media as { type?: string; caption?: string } | null | undefined;
  const contact = payload.contact as { phone?: string } | undefined;
  const said =
    type === 'button.pressed' ? `[tapped the button "${String(payload.buttonData)}"]`
    : type === 'contact.shared' ? `[shared the contact ${contact?.phone ?? ''}]`
    : typeof payload.text === 'string' ? payload.text
    : `[${media?.type ?? 'message'}${media?.caption ? `: ${media.caption}` : ''}]`;
  return `${channel}: ${said}`;
}

function handoverLine(payload: Record<string, unknown>): string {
  const details = [payload.reason, payload.team && `team ${String(payload.team)}`, payload.priority && `priority ${String(payload.priority)}`].filter(Boolean).join(', ');
  return `Handed over to operators (${String(payload.source)}${details ? `: ${details}` : ''}), from ${String(payload.channel)}.\nAnswer in this topic to reply; /return gives the conversation back to the bot, /close ends it.`;
}

/**
 * The staff post an event makes, if any: a handover opens the topic, the person's messages and
 * replies made elsewhere (the console, the API) go into it, a return or close ends it.
 */
function postOf(event: EventRow): { kind: PostKind; text: string } | undefined {
  const payload = fromJson<Record<string, unknown>>(event.payload);
  switch (event.type) {
    case 'conversation.handover_requested':
      return { kind: 'open', text: handoverLine(payload) };
    case 'conversation.assigned':
      return { kind: 'copy', text: `Taken by ${String(payload.operator)}.` };
    case 'conversation.returned':
      return { kind: 'close', text: 'Returned to the bot. This topic is closed; it reopens at the next handover.' };
    case 'conversation.closed':
      return { kind: 'close', text: 'The conversation was closed. This topic is closed; it reopens at the next handover.' };
    case 'operator.replied':
      return { kind: 'copy', text: `${String(payload.operator)} answered (not from this topic): ${String(payload.text)}` };
    case 'message.received':
    case 'button.pressed':
    case 'contact.shared':
      return event.audience === OPERATOR_AUDIENCE ? { kind: 'copy', text: personLine(event.type, String(payload.channel ?? 'chat'), payload) } : undefined;
    default:
      return undefined;
  }
}

/**
 * A fan-out observer: the events of bots that have a staff group become staff posts, in the
 * fan-out's transaction (so none is lost or made twice), sent by STAFF_GROUP_LOOP after commit.
 */
export function queueStaffPosts(ctx: Pick<AppContext, 'wakeups'>): FanoutObserver {
  return async (trx: Knex, events: EventRow[]) => {
    const fromTopics = await repliesFromTopics(trx, events);
    const candidates = events.flatMap((event) => {
      const post = event.lead_id && !fromTopics.has(event.id) ? postOf(event) : undefined;
      return post ? [{ event, post }] : [];
    });
    if (candidates.length === 0) return;
    const botIds = [...new Set(candidates.map((c) => c.event.bot_id))];
    const bots: Array<{ id: number; settings: string }> = await trx('bots').whereIn('id', botIds).select('id', 'settings');
    const withGroup = new Set(bots.filter((bot) => staffGroupOf({ settings: fromJson(bot.settings) })).map((bot) => Number(bot.id)));
    const rows = candidates
      .filter((c) => withGroup.has(c.event.bot_id))
      .map(({ event, post }) => ({
        bot_id: event.bot_id,
        person_key: personKeyOf({ id: event.lead_id!, userId: event.user_id }),
        kind: post.kind,
        lead_id: event.lead_id,
        text: clip(post.text),
        next_attempt_at: event.created_at,
        created_at: event.created_at,
      }));
    if (rows.length === 0) return;
    await trx('staff_posts').insert(rows);
    ctx.wakeups.wakeAfterCommit(trx, STAFF_GROUP_LOOP);
  };
}

/** The operator.replied events of replies written in a topic (already there); their markers are spent. */
async function repliesFromTopics(trx: Knex, events: EventRow[]): Promise<Set<number>> {
  const replies = events.filter((e) => e.type === 'operator.replied').map((e) => ({ id: e.id, messageId: String(fromJson<Record<string, unknown>>(e.payload).messageId) }));
  if (replies.length === 0) return new Set();
  const ids = replies.map((r) => r.messageId);
  const marked = new Set((await trx('staff_replies').whereIn('message_id', ids).select('message_id')).map((row: { message_id: string }) => row.message_id));
  if (marked.size > 0) await trx('staff_replies').whereIn('message_id', [...marked]).delete();
  return new Set(replies.filter((r) => marked.has(r.messageId)).map((r) => r.id));
}

function displayName(lead: Lead | undefined): string {
  if (!lead) return 'Conversation';
  const { firstName, lastName, username } = lead.profile;
  const name = [firstName, lastName].filter(Boolean).join(' ') || (username ? `@${username}` : `chat ${lead.chatId}`);
  return `${name} · ${lead.channel}`;
}

type Outcome = 'done' | 'retry';

/** Sends into the person's topic, reopening a topic closed by hand or making a new one when it was deleted. */
async function sendToPerson(ctx: AppContext, api: Api, key: TopicKey, chatId: string, post: StaffPostRow): Promise<Outcome> {
  const name = displayName(await getLead(ctx.db, post.bot_id, post.lead_id));
  for (let tries = 0; tries < 3; tries++) {
    const threadId = await openTopic(ctx, api, key, chatId, name);
    if (threadId === 'busy') return 'retry';
    const sent = await sendIntoTopic(api, chatId, threadId, post.text);
    if (sent === 'sent') return 'done';
    // Closed by hand in Telegram: our record says open, so mark it closed and openTopic reopens it.
    if (sent === 'closed') await markTopicClosed(ctx, key, threadId);
    else await forgetTopic(ctx, key, threadId);
  }
  return 'retry';
}

/** The closing note and closeForumTopic; nothing to do when the person has no open topic there. */
async function closePersonTopic(ctx: AppContext, api: Api, key: TopicKey, chatId: string, post: StaffPostRow): Promise<Outcome> {
  const topic = await findTopic(ctx, key);
  if (!topic || topic.state !== 'open' || topic.chat_id !== chatId || topic.thread_id === null) return 'done';
  const threadId = Number(topic.thread_id);
  await sendIntoTopic(api, chatId, threadId, post.text);
  await closeTopic(api, chatId, threadId);
  await markTopicClosed(ctx, key, threadId);
  return 'done';
}

async function deliverPost(ctx: AppContext, post: StaffPostRow): Promise<Outcome> {
  const bot = await getBot(ctx, post.bot_id);
  const settings = bot && staffGroupOf(bot);
  const record = await getTelegramBot(ctx, post.bot_id);
  // The staff group was removed (or the token): there is nowhere to post any more.
  if (!settings || !record) return 'done';
  const api = telegramApi(ctx, record.token);
  const key = { botId: post.bot_id, personKey: post.person_key };
  return post.kind === 'close' ? closePersonTopic(ctx, api, key, settings.chatId, post) : sendToPerson(ctx, api, key, settings.chatId, post);
}

async function lease(ctx: AppContext, post: StaffPostRow, now: number): Promise<boolean> {
  const updated = await ctx.db('staff_posts')
    .where({ id: post.id })
    .andWhere((q) => q.whereNull('leased_until').orWhere('leased_until', '<=', now))
    .update({ leased_until: now + LEASE_MS });
  return updated > 0;
}

async function reschedule(ctx: AppContext, post: StaffPostRow, afterMs?: number): Promise<void> {
  const backoff = afterMs ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(post.attempts, 12));
  await ctx.db('staff_posts').where({ id: post.id }).update({ attempts: post.attempts + 1, next_attempt_at: ctx.clock.now() + backoff, leased_until: null });
}

/** Telegram's flood answer (20 messages a minute per group): the wait it asks for, in ms. */
function floodWaitMs(error: unknown): number | undefined {
  if (!(error instanceof GrammyError) || error.error_code !== 429) return undefined;
  return (error.parameters.retry_after ?? 1) * 1000;
}

/**
 * One pass of STAFF_GROUP_LOOP: the due posts, oldest first and in order per person (a person
 * whose earlier post is not done yet waits), each leased so another process does not send it too.
 * A failed post is retried with a growing delay (at most 5 minutes), never dropped.
 */
export async function sendStaffPosts(ctx: AppContext): Promise<boolean> {
  const now = ctx.clock.now();
  const pending = await ctx.db<StaffPostRow>('staff_posts').orderBy('id').limit(BATCH);
  const waiting = new Set<string>();
  // A bot Telegram asked to slow down sends nothing more this pass (the group's limit is shared).
  const throttled = new Set<number>();
  for (const post of pending) {
    const person = `${post.bot_id}/${post.person_key}`;
    if (waiting.has(person) || throttled.has(post.bot_id)) continue;
    if (Number(post.next_attempt_at) > now || !(await lease(ctx, post, now))) {
      waiting.add(person);
      continue;
    }
    let waitMs: number | undefined;
    const outcome = await deliverPost(ctx, post).catch((error: unknown) => {
      waitMs = floodWaitMs(error);
      if (waitMs !== undefined) throttled.add(post.bot_id);
      else ctx.logger.warn({ error: describeTelegramError(error), botId: post.bot_id, postId: post.id, attempts: post.attempts + 1 }, 'staff group post not sent; it is retried');
      return 'retry' as const;
    });
    if (outcome === 'done') {
      await ctx.db('staff_posts').where({ id: post.id }).delete();
    } else {
      await reschedule(ctx, post, waitMs);
      waiting.add(person);
    }
  }
  return pending.length === BATCH && waiting.size === 0 && throttled.size === 0;
}
