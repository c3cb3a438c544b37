import path from 'node:path';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type Response, Router } from 'express';
import { jsonBody } from '../../platform/http/json-body';
import { z } from 'zod';
import { type Bot, botIdSchema, getBot } from '../../bots/bots';
import type { AppContext } from '../../platform/context';
import { ApiError, unauthorized } from '../../platform/http/errors';
import { forbidden, invalid, notFound, parseInput } from '../../platform/errors';
import { handleInbound, type InboundResult } from '../../inbound/inbound';
import type { inboundUpdateSchema } from '../inbound-update';
import { appendInboundWithin, type ChatMessageBody, findButton, findChatFile, readHistory } from './history';
import { sendStoredFile, storedFileBytes } from './file-routes';
import { visitorUploadType } from './file-types';
import { documentVisitorApi } from './visitor-api-document';
import { dropVisitorFile, saveVisitorFile } from './visitor-files';
import { type Connection, pushMessage, type WebchatContext } from './hub';
import type { WebchatAction } from './limits';
import { chatPage, chatPagePolicy } from './page';
import { originAllowed, webchatSettings } from './settings';
import { issueVisitor, type Visitor, verifyVisitorToken } from './visitors';
import { chatBody, sendToVisitor } from './webchat-channel';

/** The browser assets (plain JS and CSS, no build step): backend/public/webchat, beside src/ and dist/. */
const publicDir = path.resolve(__dirname, '../../../public/webchat');
const RATE_WINDOW_MS = 60_000;
/** `?after=<id>`: the last message id the page has; anything else reads from the start. */
const afterIdSchema = z.coerce.number().int().min(0).catch(0);

interface ChatRequest {
  bot: Bot;
  visitor: Visitor;
}

const chatOf = (res: Response) => res.locals as unknown as ChatRequest;

function updateSchema(maxText: number) {
  // The browser's id of the action: a retried POST is stored and handled once.
  const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
  return z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('text'), id, text: z.string().trim().min(1).max(maxText) }),
    z.object({ kind: z.literal('button'), id, messageId: z.number().int().positive(), data: z.string().min(1).max(256) }),
    z.object({ kind: z.literal('contact'), id, phone: z.string().trim().regex(/^\+?[0-9][0-9 ()-]{3,30}$/, 'a phone number') }),
    z.object({ kind: z.literal('start'), id, link: z.string().max(512).optional() }),
  ]);
}
type ChatUpdate = z.output<ReturnType<typeof updateSchema>>;

/** An upload's query: the browser's id of the action (as for updates) and the file's name. */
const uploadQuerySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  name: z.string().trim().min(1).max(255),
});
const fileParamsSchema = z.object({ messageId: z.coerce.number().int().positive(), index: z.coerce.number().int().min(0).max(9) });

/** The origins that are this server: the configured public URL and the host the browser asked for. */
function ownOrigins(ctx: AppContext, req: Request): string[] {
  return [new URL(ctx.config.publicUrl).origin, `${req.protocol}://${req.get('host')}`];
}

function languageOf(req: Request): string | undefined {
  const tag = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})?/.exec(req.get('accept-language') ?? '');
  return tag?.[0].slice(0, 16);
}

/** Loads the bot and refuses a request from a site the bot does not allow (Origin header). */
function chatBot(ctx: AppContext) {
  return async (req: Request, res: Response, next: () => void) => {
    const botId = botIdSchema.safeParse(req.params.botId);
    const bot = botId.success ? await getBot(ctx, botId.data) : undefined;
    if (!bot) throw notFound('Unknown bot');
    if (!originAllowed(webchatSettings(bot), req.get('origin'), ownOrigins(ctx, req))) throw forbidden('This site may not use the chat of this bot');
    res.locals.bot = bot;
    next();
  };
}

function visitorAuth(ctx: AppContext) {
  return (req: Request, res: Response, next: () => void) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const visitor = match ? verifyVisitorToken(ctx, res.locals.bot.id, match[1]) : undefined;
    if (!visitor) throw unauthorized('Missing or invalid visitor token');
    chatOf(res).visitor = visitor;
    next();
  };
}

/** What the visitor did, as the history shows it (a tap shows the button's label). */
async function inboundBody(ctx: AppContext, { bot, visitor }: ChatRequest, update: ChatUpdate): Promise<ChatMessageBody> {
  switch (update.kind) {
    case 'text':
      return { text: update.text };
    case 'contact':
      return { text: update.phone, contact: true };
    case 'start':
      return {};
    case 'button': {
      const button = await findButton(ctx.db, bot.id, visitor.visitorId, update.messageId, update.data);
      if (!button) throw invalid('No such button on this message', [{ path: 'data', message: 'not a button of this message' }]);
      return { text: button.text, buttonData: update.data };
    }
  }
}

type InboundInput = z.input<typeof inboundUpdateSchema>;

function toInbound(update: ChatUpdate, base: Omit<InboundInput, 'kind'>): InboundInput {
  switch (update.kind) {
    case 'text':
      return { ...base, kind: 'message', text: update.text };
    case 'button':
      return { ...base, kind: 'button', data: update.data, messageRef: String(update.messageId) };
    case 'contact':
      return { ...base, kind: 'contact', phone: update.phone, isOwn: true, verified: false };
    case 'start':
      return { ...base, kind: 'start', ...(update.link ? { payload: update.link } : {}) };
  }
}

/** Someone will answer: a workflow subscribed to the bot's events. The page then shows "typing". */
async function hasListeners(ctx: AppContext, botId: number): Promise<boolean> {
  return Boolean(await ctx.db('subscriptions').where({ bot_id: botId }).first('id'));
}

function tooMany(res: Response, retryAfterSeconds: number, message: string): ApiError {
  res.setHeader('Retry-After', String(retryAfterSeconds));
  return new ApiError(429, message);
}

/** The token buckets of the client's address and of the bot (the address is express's req.ip: TRUST_PROXY decides). */
function rateLimited(ctx: WebchatContext, action: WebchatAction) {
  return (req: Request, res: Response, next: () => void) => {
    const waitMs = ctx.webchatLimits.take(action, req.ip ?? req.socket.remoteAddress ?? '', res.locals.bot.id);
    if (waitMs > 0) throw tooMany(res, Math.ceil(waitMs / 1000), 'Too many requests; wait a little');
    next();
  };
}

async function acceptUpdate(ctx: WebchatContext, req: Request, res: Response): Promise<void> {
  const chat = chatOf(res);
  const update = parseInput(updateSchema(ctx.config.WEBCHAT_MAX_TEXT), req.body, 'chat update');
  const now = ctx.clock.now();
  const body = await inboundBody(ctx, chat, update);
  const limit = { max: ctx.config.WEBCHAT_VISITOR_PER_MINUTE, since: now - RATE_WINDOW_MS };
  const stored = await appendInboundWithin(ctx.db, { botId: chat.bot.id, visitorId: chat.visitor.visitorId, direction: 'in', body, clientId: update.id, now }, limit);
  if (!stored) throw tooMany(res, 10, 'Too many messages; wait a little');
  ctx.webchatHub.nudge();
  const language = languageOf(req);
  const base = { botId: chat.bot.id, channel: 'webchat' as const, chatId: chat.visitor.visitorId, updateId: `${chat.visitor.visitorId}:${update.id}`, profile: language ? { language } : {} };
  const result: InboundResult = await handleInbound(ctx, toInbound(update, base));
  const reply = result.reply ? await sendToVisitor(ctx, chat.bot.id, chat.visitor.visitorId, chatBody(result.reply)) : undefined;
  const typing = !result.duplicate && !reply && update.kind !== 'start' && (await hasListeners(ctx, chat.bot.id));
  res.status(202).json({ success: true, message: stored, reply: reply ?? null, typing, trace_id: result.traceId ?? res.locals.traceId });
}

/** The raw body of an upload, at most the configured size: a larger one is a 413 naming the limit. */
function uploadBody(ctx: WebchatContext) {
  const max = ctx.config.WEBCHAT_UPLOAD_MAX_BYTES;
  const parse = express.raw({ type: () => true, limit: max });
  return (req: Request, res: Response, next: (error?: unknown) => void) =>
    parse(req, res, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type !== 'entity.too.large') return next(error);
      next(new ApiError(413, `The file is larger than ${Math.round(max / 1024 / 1024 * 10) / 10} MB`, { errors: [{ path: 'file', message: `at most ${max} bytes` }] }));
    });
}

/**
 * A file the visitor sends: its type read from its bytes (an allow-list: pictures and PDF), stored
 * privately, then one history row under the same per-visitor limit and idempotency as a text, and
 * `message.received` with `media.fileId` as Telegram's files arrive.
 */
async function acceptUpload(ctx: WebchatContext, req: Request, res: Response): Promise<void> {
  const chat = chatOf(res);
  const query = parseInput(uploadQuerySchema, req.query, 'upload');
  const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (bytes.length === 0) throw invalid('The file is empty', [{ path: 'file', message: 'no bytes' }]);
  const type = visitorUploadType(bytes);
  if (!type) throw invalid('This kind of file cannot be sent here', [{ path: 'file', message: 'a PNG, JPEG, GIF or WebP picture or a PDF document (read from the file itself, not its name)' }]);
  const saved = await saveVisitorFile(ctx, { botId: chat.bot.id, visitorId: chat.visitor.visitorId, fileName: query.name, mimeType: type.mime }, bytes);
  const kind = type.family === 'image' ? ('photo' as const) : ('document' as const);
  const body: ChatMessageBody = { media: { kind, ref: `w:${saved.fileId}`, name: saved.fileName, size: saved.size, mimeType: saved.mimeType } };
  const now = ctx.clock.now();
  const limit = { max: ctx.config.WEBCHAT_VISITOR_PER_MINUTE, since: now - RATE_WINDOW_MS };
  const stored = await appendInboundWithin(ctx.db, { botId: chat.bot.id, visitorId: chat.visitor.visitorId, direction: 'in', body, clientId: query.id, now }, limit);
  // Over the limit, or a retried POST whose first attempt is stored: this copy is nobody's.
  if (stored?.media?.ref !== body.media?.ref) await dropVisitorFile(ctx, saved.fileId);
  if (!stored) throw tooMany(res, 10, 'Too many messages; wait a little');
  ctx.webchatHub.nudge();
  const file = stored.media!;
  const language = languageOf(req);
  const result = await handleInbound(ctx, {
    botId: chat.bot.id,
    channel: 'webchat',
    chatId: chat.visitor.visitorId,
    updateId: `${chat.visitor.visitorId}:${query.id}`,
    profile: language ? { language } : {},
    kind: 'message',
    media: { type: file.kind === 'photo' ? 'photo' : 'document', fileId: file.ref!.slice(2), fileName: file.name, mimeType: file.mimeType, fileSize: file.size },
  });
  const reply = result.reply ? await sendToVisitor(ctx, chat.bot.id, chat.visitor.visitorId, chatBody(result.reply)) : undefined;
  const typing = !result.duplicate && !reply && (await hasListeners(ctx, chat.bot.id));
  res.status(202).json({ success: true, message: stored, reply: reply ?? null, typing, trace_id: result.traceId ?? res.locals.traceId });
}

/** A file of one of the visitor's messages (bot's or own): only the visitor whose conversation it is gets it. */
async function sendChatFile(ctx: WebchatContext, req: Request, res: Response): Promise<void> {
  const { bot, visitor } = chatOf(res);
  const params = fileParamsSchema.safeParse(req.params);
  const file = params.success ? await findChatFile(ctx.db, bot.id, visitor.visitorId, params.data.messageId, params.data.index) : undefined;
  const bytes = file?.ref ? await storedFileBytes(ctx, bot.id, file.ref) : undefined;
  if (!file || !bytes) throw notFound('Unknown file');
  sendStoredFile(res, bytes, file.name ?? 'file');
}

/** A server-sent event stream of the visitor's messages: history after `after`, then live pushes. */
async function streamEvents(ctx: WebchatContext, req: Request, res: Response): Promise<void> {
  const { bot, visitor } = chatOf(res);
  const after = afterIdSchema.parse(req.query.after);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.write('retry: 2000\n\n');
  const connection: Connection = { botId: bot.id, visitorId: visitor.visitorId, res, after, sent: new Map() };
  const hub = ctx.webchatHub;
  // Registered before the history is read: a message written in between comes with the next poll.
  hub.add(connection);
  req.on('close', () => hub.remove(connection));
  for (let page = await readHistory(ctx.db, bot.id, visitor.visitorId, after); page.length > 0; page = await readHistory(ctx.db, bot.id, visitor.visitorId, page[page.length - 1].id)) {
    page.forEach((message) => pushMessage(connection, message));
  }
}

/**
 * The web chat's HTTP surface: the page `/chat/{botId}`, its assets, the embed script, and the
 * visitor API under `/chat/{botId}/api` (visitor token in `Authorization: Bearer`), documented in
 * the published OpenAPI document.
 */
export function webchatRouter(ctx: WebchatContext, docs: OpenAPIRegistry): Router {
  documentVisitorApi(docs, { update: updateSchema(ctx.config.WEBCHAT_MAX_TEXT), uploadQuery: uploadQuerySchema });
  const router = Router();
  const assets = express.static(publicDir, { index: false, maxAge: '1h', setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff') });
  router.use('/chat/assets', assets);
  router.get('/chat/:botId/embed.js', chatBot(ctx), (_req, res) => {
    // Loaded by other sites with a <script> tag: allowed cross-origin; the iframe it opens is what the allow-list guards.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.sendFile(path.join(publicDir, 'embed.js'), { headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' } });
  });
  router.get('/chat/:botId', chatBot(ctx), (_req, res) => {
    const bot = res.locals.bot;
    res.setHeader('Content-Security-Policy', chatPagePolicy(webchatSettings(bot)));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(chatPage(bot, ctx.config.WEBCHAT_MAX_TEXT, ctx.config.WEBCHAT_UPLOAD_MAX_BYTES));
  });

  const api = Router({ mergeParams: true });
  api.use(chatBot(ctx));
  api.post('/visitors', rateLimited(ctx, 'visitors'), (_req, res) => void res.status(201).json({ success: true, ...issueVisitor(ctx, res.locals.bot.id) }));
  api.use(visitorAuth(ctx));
  api.get('/history', async (req, res) => {
    const { bot, visitor } = chatOf(res);
    const after = afterIdSchema.parse(req.query.after);
    res.json({ success: true, messages: await readHistory(ctx.db, bot.id, visitor.visitorId, after) });
  });
  // HEAD would otherwise open a stream that never ends and has no body to send: answer at once.
  api.head('/events', (_req, res) => void res.status(200).type('text/event-stream').end());
  api.get('/events', rateLimited(ctx, 'streams'), (req, res) => streamEvents(ctx, req, res));
  api.post('/updates', rateLimited(ctx, 'updates'), jsonBody({ limit: '16kb' }), (req, res) => acceptUpdate(ctx, req, res));
  api.post('/uploads', rateLimited(ctx, 'updates'), rateLimited(ctx, 'uploads'), uploadBody(ctx), (req, res) => acceptUpload(ctx, req, res));
  api.get('/files/:messageId/:index', (req, res) => sendChatFile(ctx, req, res));
  router.use('/chat/:botId/api', api);
  return router;
}
