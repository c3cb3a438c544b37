import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid } from '../platform/errors';
import type { Bot } from '../bots/bots';
import type { MessageButton } from '../channels/channel';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres, toJson } from '../platform/db/database';
import { assertCallableTarget, callableUrlSchema } from '../platform/http/outbound-target';
import { userProfiles } from '../identity/accounts';
import { type Address, type DeliveryChannel, deliveryChannelSchema, noticeRecipients, type Recipient, type Resolution, resolveAddresses, resolveRecipients, withProfiles } from '../identity/recipients';
import { appendTraceHop } from '../traces/traces';
import { type AudienceSql, type AudienceTiming, audienceCount, audienceSample, audienceZones, deliverable, exclusionsSchema, insertAudience, topicPeople, writtenSample } from '../audiences/audience';
import { segmentPeople, segmentSchema } from '../audiences/segments';
import { topicKeySchema, topicsByKeys } from '../audiences/topics';
import { buttonsSchema, parseModeSchema, templateNameSchema, variantsSchema } from './content-schema';
import { albumSchema, type AlbumItemInput, invoiceSchema, type InvoiceInput, locationSchema, type MediaInput, mediaSchema, type StoredAlbumItem, type StoredMedia, type StoredSource } from './media-schema';
import { megabytes, MESSAGE_LIMITS, renderedLimitProblems, uploadLimitOf } from './message-limits';
import { dueAtFor, recipientZone, scheduleFields } from './schedule';
import { dueTimes, takeCancelKey } from './scheduled-sends';
import { findTemplate } from './template-library';
import { compileTemplate, literalText, type MessageTemplate, renderTemplate, TemplateError, type TemplateProblem, type TemplateScope, type TemplateSource, unknownPlaceholders } from './templates';

/** Bytes a base64 string decodes to, without decoding it. */
function decodedSize(data: string): number {
  return Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
}

/** Telegram's upload limit per kind, on the decoded size: a 422 naming the field, not a failure at send time. */
function checkUploadSizes(m: { media?: MediaInput; album?: AlbumItemInput[] }, issues: z.RefinementCtx): void {
  const uploads = [
    ...(m.media?.upload ? [{ item: m.media, path: ['media', 'upload', 'data'] }] : []),
    ...(m.album ?? []).flatMap((item, i) => (item.upload ? [{ item, path: ['album', i, 'upload', 'data'] }] : [])),
  ];
  for (const { item, path } of uploads) {
    const size = decodedSize(item.upload!.data);
    const limit = uploadLimitOf(item.kind);
    if (size > limit) issues.addIssue({ code: 'custom', path, message: `a ${item.kind} uploaded is at most ${megabytes(limit)}; this one is ${megabytes(size)}` });
  }
}

/** A send to an audience (topics or a segment) rather than to listed ids: resolved set-based in SQL. */
function isAudienceSend(m: { topics?: string[]; segment?: unknown }): boolean {
  return m.topics !== undefined || m.segment !== undefined;
}

const idList = z.array(z.union([z.string().trim().min(1).max(200), z.number().int()]).transform(String)).max(100_000);

export const sendMessageSchema = z
  .object({
    userIds: idList.optional(),
    leadIds: idList.optional(),
    /** Everyone in these topics (a person in several gets one copy), resolved in SQL when the send is accepted. */
    topics: z.array(topicKeySchema).min(1).max(20).optional().meta({ description: 'Topic keys: every member gets one copy (a CRM user member through `channel`, a lead member in its chat); instead of userIds/leadIds' }),
    segment: segmentSchema.optional().meta({ description: 'Everyone the filter matches (docs/audiences.md, "Segments"); instead of userIds/leadIds or topics' }),
    ...exclusionsSchema,
    text: z.string().max(MESSAGE_LIMITS.templateSource).optional().meta({ description: 'A template. Rendered for each person, it must fit Telegram: 4096 characters, or 1024 as the caption of media (checked for the first recipients when accepted, and for each person before sending)' }),
    /** A library template (template-library.ts) instead of `text` and `variants`; its text is resolved and stored when the send is accepted. */
    template: z.object({ name: templateNameSchema, version: z.number().int().positive().optional() }).optional(),
    variants: variantsSchema.optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    parseMode: parseModeSchema.optional(),
    buttons: buttonsSchema.optional(),
    imageUrl: z.url().optional().meta({ description: 'A photo by URL (the same as `media: {kind: photo, url}`)' }),
    media: mediaSchema.optional(),
    album: albumSchema.optional(),
    location: locationSchema.optional(),
    invoice: invoiceSchema.optional(),
    quickReplies: z.array(z.string().trim().min(1).max(100)).min(1).max(12).optional(),
    /** A one-button keyboard asking for the person's phone (Telegram's contact button); the answer is a `contact.shared` event. */
    requestContact: z.object({ buttonText: z.string().trim().min(1).max(200) }).optional(),
    critical: z.boolean().default(false),
    ...scheduleFields,
    /** `last`: the user's most recently active chat; `all`: every chat; a channel name: the user's chat in that channel only. */
    channel: deliveryChannelSchema.default('last'),
    wait: z
      .object({ resumeUrl: callableUrlSchema, mode: z.enum(['buttons', 'text']), timeoutSeconds: z.number().int().positive().max(30 * 86_400) })
      .optional(),
    /** Whom a dry run's preview renders for, instead of the first recipients; need not be one of them. */
    previewFor: z
      .object({ leadId: z.string().trim().min(1).max(200).optional(), userId: z.string().trim().min(1).max(200).optional() })
      .refine((p) => (p.leadId === undefined) !== (p.userId === undefined), 'give leadId or userId')
      .optional(),
  })
  .refine((m) => (m.userIds?.length ?? 0) + (m.leadIds?.length ?? 0) > 0 || isAudienceSend(m), { message: 'give userIds, leadIds or topics', path: ['userIds'] })
  .refine((m) => !(isAudienceSend(m) && (m.userIds?.length || m.leadIds?.length)), { message: 'a send names its people by userIds/leadIds, by topics or by a segment, one of them', path: ['topics'] })
  .refine((m) => !(m.topics && m.segment), { message: 'a send names its people by topics or by a segment, not both', path: ['segment'] })
  .refine((m) => !(isAudienceSend(m) && m.previewFor !== undefined), { message: 'previewFor is not available for a send to topics or a segment', path: ['topics'] })
  .refine((m) => isAudienceSend(m) || (m.excludeUserIds.length === 0 && m.excludeLeadIds.length === 0), { message: 'exclusions apply to a send to topics', path: ['excludeUserIds'] })
  .refine((m) => !(m.template && (m.text !== undefined || m.variants)), { message: 'a message gives a template or its own text and variants, not both', path: ['template'] })
  .refine((m) => m.template || (m.text ?? '').trim() !== '' || m.imageUrl || m.media || m.album || m.location || m.invoice, { message: 'text is empty (allowed only with imageUrl, media, album, location or invoice)', path: ['text'] })
  .refine((m) => [m.imageUrl, m.media, m.album, m.location, m.invoice].filter((x) => x !== undefined).length <= 1, { message: 'a message carries one of imageUrl, media, album, location, invoice', path: ['media'] })
  .refine((m) => !(m.invoice && (m.template || (m.text ?? '').trim() !== '' || m.quickReplies || m.requestContact)), { message: 'an invoice carries its title and description, no text, quick replies or contact button', path: ['invoice'] })
  .refine((m) => !(m.location && (m.template || (m.text ?? '').trim() !== '')), { message: 'a location carries no text (Telegram\'s sendLocation has no caption): send the text as a message of its own', path: ['text'] })
  .refine((m) => !(m.album && (m.buttons || m.quickReplies || m.requestContact)), { message: 'an album carries no buttons, quick replies or contact button (Telegram\'s sendMediaGroup has no keyboard)', path: ['album'] })
  .refine((m) => !(m.buttons && m.quickReplies), { message: 'a message has buttons or quick replies, not both (Telegram shows one keyboard)', path: ['quickReplies'] })
  .refine((m) => !(m.requestContact && (m.buttons?.length || m.quickReplies?.length)), { message: 'the contact button goes without inline buttons or quick replies', path: ['requestContact'] })
  .refine((m) => !(m.sendAt !== undefined && m.delaySeconds !== undefined), { message: 'give sendAt or delaySeconds, not both', path: ['delaySeconds'] })
  .superRefine(checkUploadSizes)
  .meta({ id: 'SendMessageRequest' });
export type SendMessageRequest = z.output<typeof sendMessageSchema>;


/** What the worker needs of a message: stored as accepted, so a retry renders the same text. */
export interface MessageContent {
  text: string;
  params: Record<string, unknown>;
  parseMode?: 'HTML' | 'MarkdownV2';
  buttons?: Array<Array<{ text: string; data?: string; url?: string }>>;
  imageUrl?: string;
  media?: StoredMedia;
  album?: StoredAlbumItem[];
  location?: { latitude: number; longitude: number };
  invoice?: InvoiceInput;
  quickReplies?: string[];
  requestContact?: { buttonText: string };
  variants?: TemplateSource['variants'];
  /** The library template the text came from, for the record; the text itself is what gets rendered. */
  template?: { name: string; version: number };
  channel: DeliveryChannel;
  /** An identity notice (identity/lifecycle.ts): literal text that reaches the person whatever their account state. */
  notice?: true;
}

export function newMessageId(): string {
  return `msg_${crypto.randomBytes(12).toString('base64url')}`;
}

/** The CRM profiles of the users a batch renders for, by user id (`userProfiles`, one query per batch). */
export type UserProfiles = Map<string, Record<string, unknown>>;

export function templateScope(recipient: Pick<Recipient, 'leadId' | 'userId' | 'channel' | 'chatId' | 'profile' | 'attributes'>, params: Record<string, unknown>, profiles: UserProfiles): TemplateScope {
  return {
    lead: { id: recipient.leadId, channel: recipient.channel, chatId: recipient.chatId, ...recipient.profile, attributes: recipient.attributes },
    user: { userId: recipient.userId, profile: (recipient.userId !== null && profiles.get(recipient.userId)) || {} },
    params,
  };
}

function templateError(error: unknown): never {
  if (error instanceof TemplateError) throw invalid('Template error', [error.problem]);
  throw error;
}

/** Parses the template, then renders it for one recipient, so both syntax and runtime errors are a 422 before anything is queued. */
export function checkTemplate(content: TemplateSource & { params: Record<string, unknown> }, sample: Recipient | undefined, profiles: UserProfiles): MessageTemplate {
  let template: MessageTemplate;
  try {
    template = compileTemplate(content);
    if (sample) renderTemplate(template, templateScope(sample, content.params, profiles));
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

export function previewOne(template: MessageTemplate, content: Pick<MessageContent, 'params' | 'parseMode'>, recipient: Recipient, profiles: UserProfiles): PreviewEntry {
  const scope = templateScope(recipient, content.params, profiles);
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

async function previewRecipients(trx: Knex, ctx: AppContext, bot: Bot, request: SendMessageRequest, samples: Recipient[]): Promise<Recipient[]> {
  const named = request.previewFor;
  if (!named) return samples.slice(0, PREVIEW_RECIPIENTS);
  return [await previewRecipient(trx, ctx, bot.id, named)];
}

/** The person `previewFor` names, reachable or paused (a preview is for them, whatever the send's audience). */
export async function previewRecipient(db: Knex, ctx: AppContext, botId: number, named: { leadId?: string; userId?: string }): Promise<Recipient> {
  const ids = named.leadId !== undefined ? { leadIds: [named.leadId] } : { userIds: [named.userId!] };
  const found = await resolveRecipients(db, botId, ids, { critical: true, now: ctx.clock.now(), channel: 'last' });
  const recipient = found.deliverable[0] ?? found.deferred[0];
  if (!recipient) throw invalid('Invalid message', [{ path: 'previewFor', message: 'nobody reachable has this id' }]);
  return recipient;
}

/** A file uploaded with the request, stored once beside its message (message_files). */
export interface UploadedFile {
  position: number;
  kind: string;
  fileName: string;
  mimeType?: string;
  bytes: Buffer;
}

/** The request's files as the message stores them: uploads become references to their stored rows. */
function storedFiles(request: SendMessageRequest): { media?: StoredMedia; album?: StoredAlbumItem[]; files: UploadedFile[] } {
  const files: UploadedFile[] = [];
  const sourceOf = (item: MediaInput | AlbumItemInput, position: number): StoredSource => {
    if (item.url !== undefined) return { url: item.url };
    if (item.fileId !== undefined) return { fileId: item.fileId };
    const upload = item.upload!;
    const bytes = Buffer.from(upload.data, 'base64');
    files.push({ position, kind: item.kind, fileName: upload.fileName, mimeType: upload.mimeType, bytes });
    return { upload: { position, fileName: upload.fileName, ...(upload.mimeType ? { mimeType: upload.mimeType } : {}), size: bytes.length } };
  };
  const media = request.media ? { kind: request.media.kind, source: sourceOf(request.media, 0) } : undefined;
  const album = request.album?.map((item, i) => ({ kind: item.kind, source: sourceOf(item, i), ...(item.caption ? { caption: item.caption } : {}) }));
  return { ...(media ? { media } : {}), ...(album ? { album } : {}), files };
}

/** The content to store: the request's own, or a library template's (current or named version) resolved now. */
async function contentOf(trx: Knex, bot: Bot, request: SendMessageRequest): Promise<{ content: MessageContent; files: UploadedFile[] }> {
  const { params, parseMode, buttons, imageUrl, location, invoice, quickReplies, requestContact, channel } = request;
  const { files, ...media } = storedFiles(request);
  const shared = { params, imageUrl, ...media, location, invoice, quickReplies, requestContact, channel };
  if (!request.template) return { content: { ...shared, text: request.text ?? '', parseMode, buttons, variants: request.variants }, files };
  const { name, version } = request.template;
  const stored = await findTemplate(trx, bot.id, name, version);
  if (!stored) throw invalid('Invalid message', [{ path: 'template', message: version ? `template "${name}" has no version ${version}` : `there is no template "${name}"` }]);
  const content = {
    ...shared,
    text: stored.content.text,
    variants: stored.content.variants,
    parseMode: parseMode ?? stored.content.parseMode,
    buttons: buttons ?? stored.content.buttons,
    template: { name: stored.name, version: stored.version },
  };
  return { content, files };
}

/** Whether the message's text is shown as a caption (it carries a photo, a file or an album). */
export function textIsCaption(content: Pick<MessageContent, 'imageUrl' | 'media' | 'album'>): boolean {
  return Boolean(content.imageUrl || content.media || content.album);
}

/** How many recipients the limits are checked for when a send is accepted; the worker checks every person before sending. */
const LIMIT_CHECK_RECIPIENTS = 20;

/**
 * The rendered text of the first recipients against Telegram's limits: a template that expands
 * past 4096 (1024 as a caption) is a 422 now, not a failure at send time. A person further down
 * the list for whom it renders longer fails with the limit as the reason (worker.ts).
 */
function checkRenderedLimits(template: MessageTemplate, content: MessageContent, recipients: Recipient[], profiles: UserProfiles): void {
  const isCaption = textIsCaption(content);
  const samples = recipients.length > 0 ? recipients : [undefined];
  for (const recipient of samples) {
    let rendered: { text: string; language?: string };
    try {
      rendered = recipient ? renderTemplate(template, templateScope(recipient, content.params, profiles)) : { text: content.text };
    } catch (error) {
      templateError(error);
    }
    const prefix = rendered.language ? `variants.${rendered.language}.` : '';
    const problems = renderedLimitProblems({ text: rendered.text, parseMode: content.parseMode, isCaption }, prefix);
    if (problems.length > 0) throw invalid(`Message too long for Telegram${recipient ? ` (rendered for lead ${recipient.leadId})` : ''}`, problems);
  }
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
  files?: UploadedFile[];
  critical: boolean;
  wait?: SendMessageRequest['wait'];
  /** A scheduled send: each recipient's due time (its state is checked when it leaves, not now). */
  dueAt?: (r: Address) => number;
  cancelKey?: string;
  /** A send to topics: their keys, for the record. */
  topics?: string[];
}

type RecipientTuple = [string, string | null, string, string, string, number];

/** The rows to insert: at once (queued), deferred for a pause, or scheduled for their time. */
function recipientTuples(resolution: Resolution<Address>, dueAt: NewMessage['dueAt'], now: number): RecipientTuple[] {
  const tuple = (r: Address, status: string, at: number): RecipientTuple => [r.leadId, r.userId, r.channel, r.chatId, status, at];
  if (dueAt) {
    return [...resolution.deliverable, ...resolution.deferred].map((r) => {
      const at = dueAt(r);
      return tuple(r, at > now ? 'scheduled' : 'queued', Math.max(at, now));
    });
  }
  return [...resolution.deliverable.map((r) => tuple(r, 'queued', now)), ...resolution.deferred.map((r) => tuple(r, 'deferred', r.until))];
}

/** What writing a message's recipient rows came to, for the answer and the `message.queued` hop. */
interface WrittenRecipients {
  counts: { queued: number; deferred: number; unknown: number; inactive: number };
  scheduled: number;
  firstDueAt?: number;
  /** The one person of a send to one person (named on the trace hop). */
  single?: { userId: string | null; leadId: string };
}

type RecipientsWriter = (trx: Knex, messageId: string, now: number) => Promise<WrittenRecipients>;

/** The listed recipients of a resolution, in one statement (`insertRecipients`). */
function listedRecipients(botId: number, resolution: Resolution<Address>, dueAt: NewMessage['dueAt']): RecipientsWriter {
  return async (trx, messageId, now) => {
    const tuples = recipientTuples(resolution, dueAt, now);
    await insertRecipients(trx, messageId, botId, tuples, now);
    const scheduled = tuples.filter((t) => t[4] === 'scheduled');
    // A loop, not Math.min(...): a spread of 100,000 due times overflows the call stack.
    const firstDueAt = scheduled.reduce<number | undefined>((first, t) => (first === undefined || t[5] < first ? t[5] : first), undefined);
    return {
      counts: { queued: resolution.deliverable.length, deferred: resolution.deferred.length, unknown: resolution.unknown.length, inactive: resolution.inactive.length },
      scheduled: scheduled.length,
      firstDueAt,
      ...(tuples.length === 1 ? { single: { userId: tuples[0][1], leadId: tuples[0][0] } } : {}),
    };
  };
}

async function persist(trx: Knex, ctx: AppContext, bot: Bot, message: NewMessage, writeRecipients: RecipientsWriter, traceId: string): Promise<{ messageId: string; written: WrittenRecipients }> {
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
  for (const file of message.files ?? []) {
    await trx('message_files').insert({
      bot_id: bot.id,
      message_id: messageId,
      position: file.position,
      kind: file.kind,
      file_name: file.fileName,
      mime_type: file.mimeType ?? null,
      size: file.bytes.length,
      data: file.bytes,
    });
  }
  const written = await writeRecipients(trx, messageId, now);
  if (message.cancelKey) await takeCancelKey(trx, bot.id, message.cancelKey, messageId);
  const { firstDueAt, scheduled } = written;
  await appendTraceHop(trx, ctx.clock, {
    botId: bot.id,
    traceId,
    hop: 'message.queued',
    status: 'queued',
    ...(written.single ?? {}),
    detail: {
      messageId,
      ...written.counts,
      ...(firstDueAt !== undefined ? { scheduled, firstDueAt } : {}),
      ...(message.cancelKey ? { cancelKey: message.cancelKey } : {}),
      ...(message.topics ? { topics: message.topics } : {}),
    },
  });
  return { messageId, written };
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
  if (isAudienceSend(request)) return acceptAudienceSend(trx, ctx, bot, request, options);
  const resolution = await resolveAddresses(trx, bot.id, { userIds: request.userIds, leadIds: request.leadIds }, {
    critical: request.critical,
    now: ctx.clock.now(),
    channel: request.channel,
  });
  const { content, files } = await contentOf(trx, bot, request);
  const samples = await withProfiles(trx, bot.id, [...resolution.deliverable, ...resolution.deferred].slice(0, LIMIT_CHECK_RECIPIENTS));
  const sampleProfiles = await userProfiles(trx, bot.id, samples.map((r) => r.userId));
  const template = checkTemplate(content, samples[0], sampleProfiles);
  checkRenderedLimits(template, content, samples, sampleProfiles);
  const summary = { unknown: resolution.unknown, inactive: resolution.inactive, trace_id: options.traceId };
  if (resolution.deliverable.length + resolution.deferred.length === 0) {
    return { outcome: 'nobody', body: { success: false, message: 'User not found', ...summary } };
  }
  const dueAt = await dueTimes(trx, bot, request, [...resolution.deliverable, ...resolution.deferred], ctx.clock.now());
  const counts = { queued: resolution.deliverable.length, deferred: resolution.deferred.length };
  if (options.dryRun) {
    const previewed = await previewRecipients(trx, ctx, bot, request, samples);
    const profiles = await userProfiles(trx, bot.id, previewed.map((r) => r.userId));
    const preview = previewed.map((r) => previewOne(template, content, r, profiles));
    return { outcome: 'dry_run', body: { success: true, dry_run: true, messageId: null, ...counts, ...summary, preview } };
  }
  const message = { content, files, critical: request.critical, wait: request.wait, dueAt, cancelKey: request.cancelKey };
  const { messageId, written: { scheduled, firstDueAt } } = await persist(trx, ctx, bot, message, listedRecipients(bot.id, resolution, dueAt), options.traceId);
  if (firstDueAt !== undefined) ctx.wakeups.wakeLaterAfterCommit(trx, DELIVERY_LOOP, firstDueAt - ctx.clock.now());
  const timing = dueAt ? { queued: counts.queued + counts.deferred - scheduled, deferred: 0, scheduled, sendAt: firstDueAt === undefined ? null : new Date(firstDueAt).toISOString() } : counts;
  return { outcome: 'queued', body: { success: true, messageId, ...timing, ...(request.cancelKey ? { cancelKey: request.cancelKey } : {}), ...summary } };
}

/** The people of a send to topics or a segment, as SQL (audiences/audience.ts): no query per person whatever their number. */
async function audienceOf(trx: Knex, bot: Bot, request: SendMessageRequest): Promise<AudienceSql> {
  const target = { botId: bot.id, channel: request.channel, excludeUserIds: request.excludeUserIds, excludeLeadIds: request.excludeLeadIds };
  if (request.segment) return deliverable(trx, target, await segmentPeople(trx, bot.id, request.segment));
  const topics = await topicsByKeys(trx, bot.id, request.topics!, 'topics');
  return deliverable(trx, target, topicPeople(target, topics.map((t) => t.id)));
}

/**
 * When an audience's rows are due: now, at one time, or (a local time) at each zone's own time.
 * The zones are the distinct ones the audience's profiles name, read by one query; each is
 * computed once here, and the database joins them to the people (`insertAudience`).
 */
async function audienceTiming(trx: Knex, bot: Bot, request: SendMessageRequest, audience: AudienceSql, now: number): Promise<AudienceTiming> {
  const due = await dueTimes(trx, bot, request, [], now);
  if (!due) return { kind: 'now', critical: request.critical };
  const fallback = due({ userId: null });
  if (!request.localTime) return { kind: 'at', dueAt: fallback };
  const dueByZone = new Map<string, number>();
  const canonical = new Set(Intl.supportedValuesOf('timeZone'));
  let aliasChecks = 0;
  for (const named of await audienceZones(trx, bot.id, audience)) {
    // A canonical name is known at once; any other costs Intl a failed construction (~50 µs), so
    // profiles full of distinct made-up zones are checked only up to a bound and then read as none.
    const known = canonical.has(named) || (aliasChecks++ < MAX_ZONE_ALIAS_CHECKS && recipientZone(bot, { timeZone: named }) === named);
    if (known && named !== bot.timezone) dueByZone.set(named, dueAtFor(request, now, named));
  }
  return { kind: 'local', dueByZone, fallback };
}

/** How many distinct non-canonical zone names (aliases such as US/Eastern, or junk) one send checks. */
const MAX_ZONE_ALIAS_CHECKS = 200;

/** The earliest due time of a message's scheduled rows (its answer's `sendAt`). */
async function firstScheduled(trx: Knex, messageId: string): Promise<number | undefined> {
  const row = (await trx('message_recipients').where({ message_id: messageId, status: 'scheduled' }).min({ at: 'due_at' }).first()) as { at: number | string | null } | undefined;
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

/** The deliverable people of these lead ids checked against the template (syntax, rendering, rendered length). */
async function checkAudienceTemplate(trx: Knex, bot: Bot, content: MessageContent, leadIds: string[], now: number): Promise<{ template: MessageTemplate; samples: Recipient[] }> {
  const { deliverable: samples } = await resolveRecipients(trx, bot.id, { leadIds }, { critical: true, now, channel: 'all' });
  const sampleProfiles = await userProfiles(trx, bot.id, samples.map((r) => r.userId));
  const template = checkTemplate(content, samples[0], sampleProfiles);
  checkRenderedLimits(template, content, samples, sampleProfiles);
  return { template, samples };
}

/** A send to topics or a segment that reaches nobody: thrown inside its savepoint, so nothing it wrote stays. */
class NobodyToReach extends Error {}

/**
 * A send to topics or a segment, written by one INSERT … SELECT in the caller's transaction. The
 * template is checked for some of the rows just written, inside a savepoint: a template error (or
 * nobody to reach) rolls the message back, and the audience is resolved once, not twice. A dry run
 * samples the audience in lead id order (a preview is shown to a person) and counts it.
 * `unknown` and `inactive` stay empty: members who cannot be reached are not written at all.
 */
async function acceptAudienceSend(trx: Knex, ctx: AppContext, bot: Bot, request: SendMessageRequest, options: { traceId: string; dryRun: boolean }): Promise<AcceptedSend> {
  const now = ctx.clock.now();
  const audience = await audienceOf(trx, bot, request);
  const { content, files } = await contentOf(trx, bot, request);
  const summary = { unknown: [], inactive: [], trace_id: options.traceId };
  const nobody: AcceptedSend = { outcome: 'nobody', body: { success: false, message: request.segment ? 'Nobody to reach in this segment' : 'Nobody to reach in these topics', ...summary } };
  if (options.dryRun) {
    const leadIds = await audienceSample(trx, audience, LIMIT_CHECK_RECIPIENTS);
    const { template, samples } = await checkAudienceTemplate(trx, bot, content, leadIds, now);
    if (leadIds.length === 0) return nobody;
    const profiles = await userProfiles(trx, bot.id, samples.slice(0, PREVIEW_RECIPIENTS).map((r) => r.userId));
    const preview = samples.slice(0, PREVIEW_RECIPIENTS).map((r) => previewOne(template, content, r, profiles));
    return { outcome: 'dry_run', body: { success: true, dry_run: true, messageId: null, queued: await audienceCount(trx, audience), deferred: 0, ...summary, preview } };
  }
  const timing = await audienceTiming(trx, bot, request, audience, now);
  const writer: RecipientsWriter = async (w, messageId) => {
    const byStatus = await insertAudience(w, audience, { messageId, botId: bot.id, now, timing });
    await checkAudienceTemplate(w, bot, content, await writtenSample(w, messageId, LIMIT_CHECK_RECIPIENTS), now);
    if (Object.values(byStatus).every((n) => n === 0)) throw new NobodyToReach();
    const scheduled = byStatus.scheduled ?? 0;
    const firstDueAt = scheduled > 0 ? await firstScheduled(w, messageId) : undefined;
    return { counts: { queued: byStatus.queued ?? 0, deferred: byStatus.deferred ?? 0, unknown: 0, inactive: 0 }, scheduled, ...(firstDueAt !== undefined ? { firstDueAt } : {}) };
  };
  const message = { content, files, critical: request.critical, wait: request.wait, cancelKey: request.cancelKey, topics: request.topics };
  let persisted: Awaited<ReturnType<typeof persist>>;
  try {
    persisted = await trx.transaction((savepoint) => persist(savepoint, ctx, bot, message, writer, options.traceId));
  } catch (error) {
    if (error instanceof NobodyToReach) return nobody;
    throw error;
  }
  const { messageId, written } = persisted;
  if (written.firstDueAt !== undefined) ctx.wakeups.wakeLaterAfterCommit(trx, DELIVERY_LOOP, written.firstDueAt - now);
  const when = timing.kind === 'now' ? {} : { scheduled: written.scheduled, sendAt: written.firstDueAt === undefined ? null : new Date(written.firstDueAt).toISOString() };
  return { outcome: 'queued', body: { success: true, messageId, queued: written.counts.queued, deferred: written.counts.deferred, ...when, ...(request.cancelKey ? { cancelKey: request.cancelKey } : {}), ...summary } };
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
  const { messageId } = await persist(trx, ctx, bot, { content, critical: true }, listedRecipients(bot.id, { deliverable, deferred: [], unknown: [], inactive: [] }, undefined), notice.traceId);
  ctx.wakeups.wakeAfterCommit(trx, DELIVERY_LOOP);
  return messageId;
}

export const recipientStatuses = ['queued', 'scheduled', 'sending', 'sent', 'deferred', 'failed', 'skipped', 'cancelled'] as const;
export type RecipientStatus = (typeof recipientStatuses)[number];

interface RecipientRow {
  lead_id: string;
  user_id: string | null;
  status: RecipientStatus;
  attempts: number;
  error: string | null;
  sent_at: number | null;
  lease_until: number | null;
  due_at: number;
  started_at: number | null;
  cancelled_at: number | null;
  delivered_at: number | null;
  read_at: number | null;
}

export interface MessageStatus {
  id: string;
  status: 'queued' | 'scheduled' | 'sending' | 'done';
  critical: boolean;
  traceId: string;
  createdAt: number;
  wait: unknown;
  counts: Record<'queued' | 'scheduled' | 'sent' | 'deferred' | 'failed' | 'skipped' | 'cancelled', number>;
  recipientsTotal: number;
  /** `possibleDuplicate`: sent, but an earlier send's process died before Telegram's answer was recorded. */
  recipients: Array<{ leadId: string; userId: string | null; status: string; attempts: number; error: string | null; sentAt: number | null; dueAt?: number; possibleDuplicate?: true; leftBeforeCancel?: true; deliveredAt?: number; readAt?: number }>;
}

/** One recipient as the status API shows it; receipts (`deliveredAt`, `readAt`) where the channel sends them (WhatsApp). */
function recipientStatus(r: RecipientRow): MessageStatus['recipients'][number] {
  return {
    leadId: r.lead_id,
    userId: r.user_id,
    status: shownStatus(r),
    attempts: r.attempts,
    error: r.error,
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    ...(r.status === 'scheduled' || r.status === 'deferred' ? { dueAt: Number(r.due_at) } : {}),
    ...(r.status === 'sent' && r.lease_until !== null ? { possibleDuplicate: true as const } : {}),
    ...(r.cancelled_at !== null && ['sent', 'failed', 'sending'].includes(r.status) && !cancelledUnstarted(r) ? { leftBeforeCancel: true as const } : {}),
    ...(r.delivered_at ? { deliveredAt: Number(r.delivered_at) } : {}),
    ...(r.read_at ? { readAt: Number(r.read_at) } : {}),
  };
}

/** A claimed row a cancel reached before its send started: the worker will record it cancelled. */
const cancelledUnstarted = (r: Pick<RecipientRow, 'status' | 'cancelled_at' | 'started_at'>) => r.status === 'sending' && r.cancelled_at !== null && r.started_at === null;

/** A row being sent is still queued from the caller's point of view, unless a cancel already decided it. */
function shownStatus(r: RecipientRow): string {
  if (cancelledUnstarted(r)) return 'cancelled';
  return r.status === 'sending' ? 'queued' : r.status;
}

export async function getMessageStatus(db: Knex, botId: number, messageId: string, limit: number): Promise<MessageStatus | undefined> {
  const message = await db('messages').where({ bot_id: botId, id: messageId }).first();
  if (!message) return undefined;
  const grouped = (await db('message_recipients')
    .where({ message_id: messageId })
    .select('status', db.raw("case when status = 'sending' and cancelled_at is not null and started_at is null then 1 else 0 end as decided"))
    .count({ n: '*' })
    .groupBy('status', 'decided')) as Array<{ status: RecipientStatus; decided: number | string; n: number | string }>;
  const byStatus: Partial<Record<RecipientStatus, number>> = {};
  for (const g of grouped) {
    const status = Number(g.decided) === 1 ? 'cancelled' : g.status;
    byStatus[status] = (byStatus[status] ?? 0) + Number(g.n);
  }
  const counts = {
    // A row being sent right now is still queued from the caller's point of view.
    queued: (byStatus.queued ?? 0) + (byStatus.sending ?? 0),
    scheduled: byStatus.scheduled ?? 0,
    sent: byStatus.sent ?? 0,
    deferred: byStatus.deferred ?? 0,
    failed: byStatus.failed ?? 0,
    skipped: byStatus.skipped ?? 0,
    cancelled: byStatus.cancelled ?? 0,
  };
  const pending = counts.queued + counts.scheduled + counts.deferred;
  const finished = counts.sent + counts.failed + counts.skipped + counts.cancelled;
  const rows = (await db('message_recipients').where({ message_id: messageId }).orderBy('id').limit(limit)) as RecipientRow[];
  return {
    id: messageId,
    status: pending === 0 ? 'done' : finished > 0 || byStatus.sending ? 'sending' : counts.scheduled === pending ? 'scheduled' : 'queued',
    critical: Boolean(message.critical),
    traceId: message.trace_id,
    createdAt: Number(message.created_at),
    wait: message.wait ? fromJson(message.wait) : null,
    counts,
    recipientsTotal: pending + finished,
    recipients: rows.map(recipientStatus),
  };
}
