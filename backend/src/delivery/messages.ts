import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid } from '../platform/errors';
import type { Bot } from '../bots/bots';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres, toJson } from '../platform/db/database';
import { noticeRecipients, type Recipient, type Resolution, resolveRecipients } from '../identity/recipients';
import { appendTraceHop } from '../traces/traces';
import { compileTemplate, literalText, type MessageTemplate, renderTemplate, type TemplateScope } from './templates';

const buttonSchema = z
  .object({
    text: z.string().min(1).max(200),
    data: z.string().min(1).refine((d) => Buffer.byteLength(d) <= 64, 'at most 64 bytes (Telegram callback_data)').optional(),
    url: z.url().optional(),
  })
  .refine((b) => !(b.data && b.url), 'a button has either data or url, not both');

const idList = z.array(z.union([z.string().trim().min(1).max(200), z.number().int()]).transform(String)).max(100_000);

export const sendMessageSchema = z
  .object({
    userIds: idList.optional(),
    leadIds: idList.optional(),
    text: z.string().max(4096),
    params: z.record(z.string(), z.unknown()).default({}),
    parseMode: z.enum(['HTML', 'MarkdownV2']).optional(),
    buttons: z.array(z.array(buttonSchema).min(1).max(8)).max(20).optional(),
    imageUrl: z.url().optional(),
    quickReplies: z.array(z.string().trim().min(1).max(100)).min(1).max(12).optional(),
    /** A one-button keyboard asking for the person's phone (Telegram's contact button); the answer is a `contact.shared` event. */
    requestContact: z.object({ buttonText: z.string().trim().min(1).max(200) }).optional(),
    critical: z.boolean().default(false),
    channel: z.enum(['last', 'all']).default('last'),
    wait: z
      .object({ resumeUrl: z.url(), mode: z.enum(['buttons', 'text']), timeoutSeconds: z.number().int().positive().max(30 * 86_400) })
      .optional(),
  })
  .refine((m) => (m.userIds?.length ?? 0) + (m.leadIds?.length ?? 0) > 0, { message: 'give userIds or leadIds', path: ['userIds'] })
  .refine((m) => m.text.trim() !== '' || m.imageUrl, { message: 'text is empty (allowed only with imageUrl)', path: ['text'] })
  .refine((m) => !(m.buttons && m.quickReplies), { message: 'a message has buttons or quick replies, not both (Telegram shows one keyboard)', path: ['quickReplies'] })
  .refine((m) => !(m.requestContact && (m.buttons?.length || m.quickReplies?.length)), { message: 'the contact button goes without inline buttons or quick replies', path: ['requestContact'] })
  .meta({ id: 'SendMessageRequest' });
export type SendMessageRequest = z.output<typeof sendMessageSchema>;

/** What the worker needs of a message: stored as accepted, so a retry renders the same text. */
export interface MessageContent {
  text: string;
  params: Record<string, unknown>;
  parseMode?: 'HTML' | 'MarkdownV2';
  buttons?: Array<Array<{ text: string; data?: string; url?: string }>>;
  imageUrl?: string;
  quickReplies?: string[];
  requestContact?: { buttonText: string };
  channel: 'last' | 'all';
  /** An identity notice (identity/lifecycle.ts): literal text that reaches the person whatever their account state. */
  notice?: true;
}

export function newMessageId(): string {
  return `msg_${crypto.randomBytes(12).toString('base64url')}`;
}

export function templateScope(recipient: Pick<Recipient, 'leadId' | 'userId' | 'channel' | 'chatId' | 'profile' | 'attributes'>, params: Record<string, unknown>): TemplateScope {
  return {
    lead: { id: recipient.leadId, channel: recipient.channel, chatId: recipient.chatId, ...recipient.profile, attributes: recipient.attributes },
    user: { userId: recipient.userId },
    params,
  };
}

function templateError(error: unknown): never {
  throw invalid('Template error', [{ path: 'text', message: (error as Error).message }]);
}

/** Parses the template, then renders it for one recipient, so both syntax and runtime errors are a 422 before anything is queued. */
export function checkTemplate(request: SendMessageRequest, sample: Recipient | undefined): MessageTemplate {
  let template: MessageTemplate;
  try {
    template = compileTemplate(request.text, request.parseMode, request.buttons);
  } catch (error) {
    templateError(error);
  }
  if (sample) {
    try {
      renderTemplate(template, templateScope(sample, request.params));
    } catch (error) {
      templateError(error);
    }
  }
  return template;
}

/**
 * One row per recipient in one statement whatever their number: the tuples travel as a single JSON
 * parameter and the database unpacks them (10,000 rows in tens of milliseconds, no per-row SQL building).
 */
async function insertRecipients(trx: Knex, messageId: string, botId: number, tuples: Array<Array<string | number | null>>, now: number): Promise<void> {
  const field = (i: number) => (isPostgres(trx) ? `e->>${i}` : `json_extract(e.value, '$[${i}]')`);
  const source = isPostgres(trx) ? 'jsonb_array_elements(cast(? as jsonb)) as e' : 'json_each(?) as e';
  const dueAt = isPostgres(trx) ? `cast(${field(5)} as bigint)` : field(5);
  await trx.raw(
    `insert into message_recipients (message_id, bot_id, lead_id, user_id, channel, chat_id, status, attempts, due_at, updated_at)
     select ?, ?, ${field(0)}, ${field(1)}, ${field(2)}, ${field(3)}, ${field(4)}, 0, ${dueAt}, ? from ${source}`,
    [messageId, botId, now, JSON.stringify(tuples)],
  );
}

interface NewMessage {
  content: MessageContent;
  critical: boolean;
  wait?: SendMessageRequest['wait'];
}

function newMessageOf(request: SendMessageRequest): NewMessage {
  const { text, params, parseMode, buttons, imageUrl, quickReplies, requestContact, channel } = request;
  return { content: { text, params, parseMode, buttons, imageUrl, quickReplies, requestContact, channel }, critical: request.critical, wait: request.wait };
}

async function persist(trx: Knex, ctx: AppContext, bot: Bot, message: NewMessage, resolution: Resolution, traceId: string): Promise<string> {
  const now = ctx.clock.now();
  const messageId = newMessageId();
  await trx('messages').insert({
    id: messageId,
    bot_id: bot.id,
    trace_id: traceId,
    content: toJson(message.content),
    critical: message.critical,
    wait: message.wait ? toJson(message.wait) : null,
    created_at: now,
  });
  const tuples = [
    ...resolution.deliverable.map((r) => [r.leadId, r.userId, r.channel, r.chatId, 'queued', now]),
    ...resolution.deferred.map((r) => [r.leadId, r.userId, r.channel, r.chatId, 'deferred', r.until]),
  ];
  await insertRecipients(trx, messageId, bot.id, tuples, now);
  const single = tuples.length === 1 ? { userId: tuples[0][1] as string | null, leadId: tuples[0][0] as string } : {};
  await appendTraceHop(trx, ctx.clock, {
    botId: bot.id,
    traceId,
    hop: 'message.queued',
    status: 'queued',
    ...single,
    detail: { messageId, queued: resolution.deliverable.length, deferred: resolution.deferred.length, unknown: resolution.unknown.length, inactive: resolution.inactive.length },
  });
  return messageId;
}

/** What accepting a send came to: queued, a dry run, or nobody to reach; the body is the caller's answer. */
export interface AcceptedSend {
  outcome: 'queued' | 'dry_run' | 'nobody';
  body: Record<string, unknown>;
}

/**
 * Accepts a send: resolves recipients, checks the template, and persists the message with one
 * row per recipient in the caller's transaction (accepted means persisted).
 */
export async function acceptMessage(
  trx: Knex,
  ctx: AppContext,
  bot: Bot,
  request: SendMessageRequest,
  options: { traceId: string; dryRun: boolean },
): Promise<AcceptedSend> {
  const resolution = await resolveRecipients(trx, bot.id, { userIds: request.userIds, leadIds: request.leadIds }, {
    critical: request.critical,
    now: ctx.clock.now(),
    channel: request.channel,
  });
  checkTemplate(request, resolution.deliverable[0] ?? resolution.deferred[0]);
  const summary = { unknown: resolution.unknown, inactive: resolution.inactive, trace_id: options.traceId };
  if (resolution.deliverable.length + resolution.deferred.length === 0) {
    return { outcome: 'nobody', body: { success: false, message: 'User not found', ...summary } };
  }
  const counts = { queued: resolution.deliverable.length, deferred: resolution.deferred.length };
  if (options.dryRun) {
    return { outcome: 'dry_run', body: { success: true, dry_run: true, messageId: null, ...counts, ...summary } };
  }
  const messageId = await persist(trx, ctx, bot, newMessageOf(request), resolution, options.traceId);
  return { outcome: 'queued', body: { success: true, messageId, ...counts, ...summary } };
}

/** The background loop that sends accepted messages (workers.ts); an accepted send wakes it. */
export const DELIVERY_LOOP = 'delivery';

/**
 * Queues an identity notice (what a lifecycle change tells the person) to these leads' reachable
 * chats in the caller's transaction: rate limits, retries and statuses apply as to any message,
 * but the account state and a pause do not hold it back (a blocked user must learn why). Null
 * when none of the leads can be reached.
 */
export async function queueNotice(trx: Knex, ctx: AppContext, bot: Bot, notice: { text: string; leadIds: string[]; traceId: string }): Promise<string | null> {
  const deliverable = await noticeRecipients(trx, bot.id, notice.leadIds);
  if (deliverable.length === 0) return null;
  const content: MessageContent = { text: literalText(notice.text), params: {}, channel: 'all', notice: true };
  const messageId = await persist(trx, ctx, bot, { content, critical: true }, { deliverable, deferred: [], unknown: [], inactive: [] }, notice.traceId);
  ctx.wakeups.wakeAfterCommit(trx, DELIVERY_LOOP);
  return messageId;
}

export const recipientStatuses = ['queued', 'sending', 'sent', 'deferred', 'failed', 'skipped'] as const;
export type RecipientStatus = (typeof recipientStatuses)[number];

interface RecipientRow {
  lead_id: string;
  user_id: string | null;
  status: RecipientStatus;
  attempts: number;
  error: string | null;
  sent_at: number | null;
  lease_until: number | null;
  delivered_at: number | null;
  read_at: number | null;
}

export interface MessageStatus {
  id: string;
  status: 'queued' | 'sending' | 'done';
  critical: boolean;
  traceId: string;
  createdAt: number;
  wait: unknown;
  counts: Record<'queued' | 'sent' | 'deferred' | 'failed' | 'skipped', number>;
  recipientsTotal: number;
  /** `possibleDuplicate`: sent, but an earlier send's process died before Telegram's answer was recorded. */
  recipients: Array<{ leadId: string; userId: string | null; status: string; attempts: number; error: string | null; sentAt: number | null; possibleDuplicate?: true; deliveredAt?: number; readAt?: number }>;
}

/** One recipient as the status API shows it; receipts (`deliveredAt`, `readAt`) where the channel sends them (WhatsApp). */
function recipientStatus(r: RecipientRow): MessageStatus['recipients'][number] {
  return {
    leadId: r.lead_id,
    userId: r.user_id,
    status: r.status === 'sending' ? 'queued' : r.status,
    attempts: r.attempts,
    error: r.error,
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    ...(r.status === 'sent' && r.lease_until !== null ? { possibleDuplicate: true as const } : {}),
    ...(r.delivered_at ? { deliveredAt: Number(r.delivered_at) } : {}),
    ...(r.read_at ? { readAt: Number(r.read_at) } : {}),
  };
}

export async function getMessageStatus(db: Knex, botId: number, messageId: string, limit: number): Promise<MessageStatus | undefined> {
  const message = await db('messages').where({ bot_id: botId, id: messageId }).first();
  if (!message) return undefined;
  const grouped = (await db('message_recipients').where({ message_id: messageId }).select('status').count({ n: '*' }).groupBy('status')) as Array<{ status: RecipientStatus; n: number | string }>;
  const byStatus = Object.fromEntries(grouped.map((g) => [g.status, Number(g.n)])) as Partial<Record<RecipientStatus, number>>;
  const counts = {
    // A row being sent right now is still queued from the caller's point of view.
    queued: (byStatus.queued ?? 0) + (byStatus.sending ?? 0),
    sent: byStatus.sent ?? 0,
    deferred: byStatus.deferred ?? 0,
    failed: byStatus.failed ?? 0,
    skipped: byStatus.skipped ?? 0,
  };
  const pending = counts.queued + counts.deferred;
  const finished = counts.sent + counts.failed + counts.skipped;
  const rows = (await db('message_recipients').where({ message_id: messageId }).orderBy('id').limit(limit)) as RecipientRow[];
  return {
    id: messageId,
    status: pending === 0 ? 'done' : finished === 0 && !byStatus.sending ? 'queued' : 'sending',
    critical: Boolean(message.critical),
    traceId: message.trace_id,
    createdAt: Number(message.created_at),
    wait: message.wait ? fromJson(message.wait) : null,
    counts,
    recipientsTotal: pending + finished,
    recipients: rows.map(recipientStatus),
  };
}
