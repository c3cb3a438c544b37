import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid } from '../platform/errors';
import type { Bot } from '../bots/bots';
import type { MessageButton } from '../channels/channel';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres, toJson } from '../platform/db/database';
import { assertCallableTarget, callableUrlSchema } from '../platform/http/outbound-target';
import { noticeRecipients, type Recipient, type Resolution, resolveRecipients } from '../identity/recipients';
import { appendTraceHop } from '../traces/traces';
import { buttonsSchema, parseModeSchema, templateNameSchema, variantsSchema } from './content-schema';
import { findTemplate } from './template-library';
import { compileTemplate, literalText, type MessageTemplate, renderTemplate, TemplateError, type TemplateProblem, type TemplateScope, type TemplateSource, unknownPlaceholders } from './templates';

const idList = z.array(z.union([z.string().trim().min(1).max(200), z.number().int()]).transform(String)).max(100_000);

export const sendMessageSchema = z
  .object({
    userIds: idList.optional(),
    leadIds: idList.optional(),
    text: z.string().max(4096).optional(),
    /** A library template (template-library.ts) instead of `text` and `variants`; its text is resolved and stored when the send is accepted. */
    template: z.object({ name: templateNameSchema, version: z.number().int().positive().optional() }).optional(),
    variants: variantsSchema.optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    parseMode: parseModeSchema.optional(),
    buttons: buttonsSchema.optional(),
    imageUrl: z.url().optional(),
    quickReplies: z.array(z.string().trim().min(1).max(100)).min(1).max(12).optional(),
    /** A one-button keyboard asking for the person's phone (Telegram's contact button); the answer is a `contact.shared` event. */
    requestContact: z.object({ buttonText: z.string().trim().min(1).max(200) }).optional(),
    critical: z.boolean().default(false),
    channel: z.enum(['last', 'all']).default('last'),
    wait: z
      .object({ resumeUrl: callableUrlSchema, mode: z.enum(['buttons', 'text']), timeoutSeconds: z.number().int().positive().max(30 * 86_400) })
      .optional(),
    /** Whom a dry run's preview renders for, instead of the first recipients; need not be one of them. */
    previewFor: z
      .object({ leadId: z.string().trim().min(1).max(200).optional(), userId: z.string().trim().min(1).max(200).optional() })
      .refine((p) => (p.leadId === undefined) !== (p.userId === undefined), 'give leadId or userId')
      .optional(),
  })
  .refine((m) => (m.userIds?.length ?? 0) + (m.leadIds?.length ?? 0) > 0, { message: 'give userIds or leadIds', path: ['userIds'] })
  .refine((m) => !(m.template && (m.text !== undefined || m.variants)), { message: 'a message gives a template or its own text and variants, not both', path: ['template'] })
  .refine((m) => m.template || (m.text ?? '').trim() !== '' || m.imageUrl, { message: 'text is empty (allowed only with imageUrl)', path: ['text'] })
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
  variants?: TemplateSource['variants'];
  /** The library template the text came from, for the record; the text itself is what gets rendered. */
  template?: { name: string; version: number };
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
  if (error instanceof TemplateError) throw invalid('Template error', [error.problem]);
  throw error;
}

/** Parses the template, then renders it for one recipient, so both syntax and runtime errors are a 422 before anything is queued. */
export function checkTemplate(content: TemplateSource & { params: Record<string, unknown> }, sample: Recipient | undefined): MessageTemplate {
  let template: MessageTemplate;
  try {
    template = compileTemplate(content);
    if (sample) renderTemplate(template, templateScope(sample, content.params));
  } catch (error) {
    templateError(error);
  }
  return template;
}

/** What a dry run shows for one person: the message as they would get it, and what has no value for them. */
export interface PreviewEntry {
  leadId: string;
  userId: string | null;
  /** The variant rendered; null for the default text. */
  language: string | null;
  text: string;
  parseMode: 'HTML' | 'MarkdownV2' | null;
  buttons?: MessageButton[][];
  unknown: TemplateProblem[];
}

function previewOne(template: MessageTemplate, content: MessageContent, recipient: Recipient): PreviewEntry {
  const scope = templateScope(recipient, content.params);
  const rendered = renderTemplate(template, scope);
  return {
    leadId: recipient.leadId,
    userId: recipient.userId,
    language: rendered.language ?? null,
    text: rendered.text,
    parseMode: content.parseMode ?? null,
    ...(rendered.buttons ? { buttons: rendered.buttons } : {}),
    unknown: unknownPlaceholders(template, scope),
  };
}

/** How many recipients a dry run previews when the request names nobody in `previewFor`. */
const PREVIEW_RECIPIENTS = 3;

async function previewRecipients(trx: Knex, ctx: AppContext, bot: Bot, request: SendMessageRequest, resolution: Resolution): Promise<Recipient[]> {
  const named = request.previewFor;
  if (!named) return [...resolution.deliverable, ...resolution.deferred].slice(0, PREVIEW_RECIPIENTS);
  const ids = named.leadId !== undefined ? { leadIds: [named.leadId] } : { userIds: [named.userId!] };
  const found = await resolveRecipients(trx, bot.id, ids, { critical: true, now: ctx.clock.now(), channel: 'last' });
  const recipient = found.deliverable[0] ?? found.deferred[0];
  if (!recipient) throw invalid('Invalid message', [{ path: 'previewFor', message: 'nobody reachable has this id' }]);
  return [recipient];
}

/** The content to store: the request's own, or a library template's (current or named version) resolved now. */
async function contentOf(trx: Knex, bot: Bot, request: SendMessageRequest): Promise<MessageContent> {
  const { params, parseMode, buttons, imageUrl, quickReplies, requestContact, channel } = request;
  const shared = { params, imageUrl, quickReplies, requestContact, channel };
  if (!request.template) return { ...shared, text: request.text ?? '', parseMode, buttons, variants: request.variants };
  const { name, version } = request.template;
  const stored = await findTemplate(trx, bot.id, name, version);
  if (!stored) throw invalid('Invalid message', [{ path: 'template', message: version ? `template "${name}" has no version ${version}` : `there is no template "${name}"` }]);
  return {
    ...shared,
    text: stored.content.text,
    variants: stored.content.variants,
    parseMode: parseMode ?? stored.content.parseMode,
    buttons: buttons ?? stored.content.buttons,
    template: { name: stored.name, version: stored.version },
  };
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
  if (request.wait) assertCallableTarget(ctx.config, request.wait.resumeUrl, 'wait.resumeUrl', 'message');
  const resolution = await resolveRecipients(trx, bot.id, { userIds: request.userIds, leadIds: request.leadIds }, {
    critical: request.critical,
    now: ctx.clock.now(),
    channel: request.channel,
  });
  const content = await contentOf(trx, bot, request);
  const template = checkTemplate(content, resolution.deliverable[0] ?? resolution.deferred[0]);
  const summary = { unknown: resolution.unknown, inactive: resolution.inactive, trace_id: options.traceId };
  if (resolution.deliverable.length + resolution.deferred.length === 0) {
    return { outcome: 'nobody', body: { success: false, message: 'User not found', ...summary } };
  }
  const counts = { queued: resolution.deliverable.length, deferred: resolution.deferred.length };
  if (options.dryRun) {
    const preview = (await previewRecipients(trx, ctx, bot, request, resolution)).map((r) => previewOne(template, content, r));
    return { outcome: 'dry_run', body: { success: true, dry_run: true, messageId: null, ...counts, ...summary, preview } };
  }
  const messageId = await persist(trx, ctx, bot, { content, critical: request.critical, wait: request.wait }, resolution, options.traceId);
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
export async function queueNotice(trx: Knex, ctx: AppContext, bot: Bot, notice: { text: string; variants?: Record<string, string>; leadIds: string[]; traceId: string }): Promise<string | null> {
  const deliverable = await noticeRecipients(trx, bot.id, notice.leadIds);
  if (deliverable.length === 0) return null;
  const variants = notice.variants && Object.fromEntries(Object.entries(notice.variants).map(([language, text]) => [language, { text: literalText(text) }]));
  const content: MessageContent = { text: literalText(notice.text), variants, params: {}, channel: 'all', notice: true };
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
