import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../bots/access';
import { notFound, parseInput } from '../platform/errors';
import type { AppContext } from '../platform/context';
import { jsonBody } from '../platform/http/json-body';
import { oncePerKey, requestHash, type StoredAnswer } from '../platform/http/once-per-key';
import { idempotencyKeyOf, isDryRun } from '../platform/http/request-options';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { acceptMessage, type AcceptedSend, DELIVERY_LOOP, getMessageStatus, sendMessageSchema } from './messages';

const messageIdSchema = z.string().regex(/^msg_[A-Za-z0-9_-]{1,40}$/);
const statusQuerySchema = z.object({ limit: z.coerce.number().int().min(0).max(100_000).default(1000) });

export const problemSchema = z
  .object({ path: z.string(), message: z.string(), line: z.number().int().optional(), column: z.number().int().optional(), placeholder: z.string().optional() })
  .meta({ id: 'TemplateProblem' });
export const previewEntrySchema = z.object({
  leadId: z.string(),
  userId: z.string().nullable(),
  language: z.string().nullable().meta({ description: 'The variant rendered; null for the default text' }),
  text: z.string(),
  parseMode: z.enum(['HTML', 'MarkdownV2']).nullable(),
  buttons: z.array(z.array(z.object({ text: z.string(), data: z.string().optional(), url: z.string().optional() }))).optional(),
  unknown: z.array(problemSchema).meta({ description: 'Placeholders with no value for this person, with line and column' }),
}).meta({ id: 'MessagePreview' });

const sendAnswerSchema = z
  .object({
    success: z.boolean(),
    messageId: z.string().nullable().optional(),
    queued: z.number().int().optional(),
    deferred: z.number().int().optional(),
    scheduled: z.number().int().optional().meta({ description: 'A scheduled send: recipients waiting for their time' }),
    sendAt: z.string().nullable().optional().meta({ description: 'A scheduled send: the first recipient\'s time (ISO)' }),
    cancelKey: z.string().optional(),
    unknown: z.array(z.string()),
    inactive: z.array(z.object({ id: z.string(), reason: z.string() })),
    dry_run: z.boolean().optional(),
    preview: z.array(previewEntrySchema).optional().meta({ description: 'Dry run only: the message as the first 3 recipients (or `previewFor`) would get it' }),
    message: z.string().optional(),
    trace_id: z.string(),
  })
  .meta({ id: 'SendMessageAnswer' });

/** `POST /bots/{botId}/messages` reads its own body (files in base64 make it larger than others), after the token is checked. */
export function isSendRequest(req: Request): boolean {
  return req.method === 'POST' && /^\/bots\/[^/]+\/messages\/?$/.test(req.path);
}

/** 202 when something was queued; a dry run, or nobody to reach, is a 200 (with `success: false` for nobody). */
function asAnswer(send: AcceptedSend): StoredAnswer {
  return { statusCode: send.outcome === 'queued' ? 202 : 200, body: send.body };
}

/** `POST /bots/{botId}/messages` (send to users or leads) and `GET /bots/{botId}/messages/{id}` (status per recipient). */
export function messagesRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  router.post('/bots/:botId/messages', botAccess(ctx, 'messages'), jsonBody({ limit: ctx.config.MESSAGE_BODY_LIMIT, type: ['application/json', 'application/*+json'] }), async (req, res) => {
    const { bot, grant, traceId } = res.locals;
    const key = idempotencyKeyOf(req);
    const dryRun = isDryRun(req);
    const request = parseInput(sendMessageSchema, req.body, 'message');

    const accept = async (trx: typeof ctx.db) => asAnswer(await acceptMessage(trx, ctx, bot, request, { traceId, dryRun }));
    const answer = key && !dryRun
      ? await oncePerKey(ctx, { botId: bot.id, tokenId: grant.tokenId, endpoint: 'messages', key, hash: requestHash({ messages: req.body }) }, accept)
      : await ctx.db.transaction(accept);
    if (answer.statusCode === 202) ctx.wakeups.wake(DELIVERY_LOOP);
    res.status(answer.statusCode).json(answer.body);
  });

  router.get('/bots/:botId/messages/:messageId', botAccess(ctx, 'messages'), async (req, res) => {
    const messageId = messageIdSchema.safeParse(req.params.messageId);
    if (!messageId.success) throw notFound('Unknown message');
    const { limit } = parseInput(statusQuerySchema, req.query, 'query');
    const message = await getMessageStatus(ctx.db, res.locals.bot.id, messageId.data, limit);
    if (!message) throw notFound('Unknown message');
    res.json({ success: true, message, trace_id: res.locals.traceId });
  });
  return router;
}

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    method: 'post',
    path: '/api/v1/bots/{botId}/messages',
    operationId: 'sendMessage',
    tags: ['Messages'],
    summary: 'Send a message to CRM users (through the identity map) or leads',
    description:
      'The text is a LiquidJS template rendered per recipient (`{{ lead.firstName }}`, `{{ lead.attributes.x }}`, `{{ params.x }}`, `{{ user.userId }}`), also written `[[ lead.firstName ]]` / `[% if … %]`, which n8n expressions leave alone (docs/templates.md). `variants` give a text per language; `template` takes the text from the bot\'s template library. `sendAt`, `delaySeconds` and `localTime` schedule it (each person\'s state is checked when it leaves; the bot\'s quiet hours hold non-critical messages); `cancelKey` names it for `cancelMessageByKey`. Accepted means persisted; delivery is rate-limited and retried. Headers: `Idempotency-Key`, `X-Dry-Run: true` (answers a `preview`), `X-Trace-Id`.',
    security: [{ bearerAuth: [] }],
    request: { params: botPathParams, body: { content: { 'application/json': { schema: sendMessageSchema } } } },
    responses: {
      202: { description: 'Queued', content: { 'application/json': { schema: sendAnswerSchema } } },
      200: { description: 'Dry run, or nobody reachable (`success: false`, message "User not found")', content: { 'application/json': { schema: sendAnswerSchema } } },
      409: { description: 'The `cancelKey` belongs to a message that has not finished' },
      ...errorResponses('messages'),
    },
  });
  docs.registerPath({
    method: 'get',
    path: '/api/v1/bots/{botId}/messages/{messageId}',
    operationId: 'getMessageStatus',
    tags: ['Messages'],
    summary: 'A message\'s status: counts and every recipient (up to `limit`, default 1000)',
    security: [{ bearerAuth: [] }],
    request: { params: botPathParams.extend({ messageId: z.string() }), query: statusQuerySchema },
    responses: { 200: { description: 'OK' }, ...errorResponses('messages') },
  });
}
