import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { type Bot, updateBotSettings } from '../bots/bots';
import { botAccess } from '../bots/access';
import { isAliasScoped } from '../bots/tokens';
import { getLead } from '../identity/leads';
import type { AppContext } from '../platform/context';
import { forbidden, notFound, parseInput } from '../platform/errors';
import { errorBodySchema } from '../platform/http/errors';
import { botPathParams, errorResponses, jsonContent } from '../platform/openapi/registry';
import {
  assignConversation,
  type Change,
  contextChangeSchema,
  conversationMessages,
  type ConversationRow,
  listConversations,
  queueFiltersSchema,
  DEFAULT_HOLD_SECONDS,
  handoverSchema,
  holdConversation,
  MAX_HOLD_SECONDS,
  openConversation,
  releaseConversation,
  requestHandover,
  returnToBot,
  setConversationContext,
  toConversation,
} from './conversations';
import { closeConversationAndAskRating } from './csat';
import { operatorIdSchema, operatorReplySchema, replyAsOperator } from './operator-reply';
import { conversationSettings, conversationSettingsSchema } from './routing';

const leadIdSchema = z.string().regex(/^ld_[A-Za-z0-9_-]{1,37}$/, 'a lead id such as ld_…');
const subscriptionIdSchema = z.string().regex(/^sub_[a-f0-9]{24}$/, 'a subscription id such as sub_…');

const deliveryIdSchema = z.string().regex(/^dlv_[a-f0-9]{24}$/, 'a delivery id such as dlv_…');
/**
 * Who holds: a subscription named by id, or the subscription that received a delivery about this
 * person (`deliveryId`, what a Metabot Trigger's item carries). A delivery id is random and only its
 * subscription receives it, so a workflow can hold only for itself and only a person it heard from.
 */
const holderFields = {
  subscriptionId: subscriptionIdSchema.optional().meta({ description: 'The subscription (Metabot Trigger) that alone receives the person\'s messages, taps and contacts' }),
  deliveryId: deliveryIdSchema.optional().meta({ description: 'Instead of subscriptionId: a delivery of an event about this person; its subscription holds' }),
};
const oneHolder = (body: { subscriptionId?: string; deliveryId?: string }) => (body.subscriptionId === undefined) !== (body.deliveryId === undefined);
const oneHolderError = { message: 'give exactly one of subscriptionId and deliveryId', path: ['subscriptionId'] };
const holdSchema = z
  .object({
    ...holderFields,
    ttlSeconds: z.number().int().min(1).max(MAX_HOLD_SECONDS).default(DEFAULT_HOLD_SECONDS).meta({ description: 'The hold ends by itself after this long (the conversation falls back to the bot)' }),
  })
  .refine(oneHolder, oneHolderError)
  .meta({ id: 'ConversationHold' });
const releaseSchema = z.object(holderFields).refine(oneHolder, oneHolderError).meta({ id: 'ConversationRelease' });

/** The holding subscription, inside the transaction (SQLite has one connection, and it must exist as the hold is taken). */
async function holderOf(trx: Knex, change: Change, body: { subscriptionId?: string; deliveryId?: string }): Promise<string> {
  if (body.subscriptionId) {
    if (!(await trx('subscriptions').where({ bot_id: change.botId, id: body.subscriptionId }).first('id'))) throw notFound('Subscription not found');
    return body.subscriptionId;
  }
  const delivery: { subscription_id: string; lead_id: string | null; user_id: string | null } | undefined = await trx('event_deliveries as d')
    .join('events as e', 'e.id', 'd.event_id')
    .join('subscriptions as s', 's.id', 'd.subscription_id')
    .where({ 'd.id': body.deliveryId, 'd.bot_id': change.botId })
    .first('d.subscription_id', 'e.lead_id', 'e.user_id');
  const aboutThisPerson = delivery && (delivery.lead_id === change.lead.id || (change.lead.userId !== null && delivery.user_id === change.lead.userId));
  if (!delivery || !aboutThisPerson) throw notFound('No delivery about this person with this id (it may be older than the event history)');
  return delivery.subscription_id;
}
const messagesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });
const assignSchema = z.object({ operator: operatorIdSchema }).meta({ id: 'ConversationAssign' });

const conversationSchema = z
  .object({
    leadId: z.string(),
    userId: z.string().nullable(),
    state: z.enum(['bot', 'held', 'waiting', 'assigned']),
    sessionId: z.string(),
    context: z.record(z.string(), z.unknown()),
    hold: z.object({ subscriptionId: z.string(), expiresAt: z.string() }).nullable(),
    handover: z
      .object({
        reason: z.string().nullable(),
        team: z.string().nullable(),
        priority: z.string(),
        waitingSince: z.string(),
        timesOutAt: z.string().nullable().meta({ description: 'When the operators\' wait times out (settings operatorTimeoutMinutes); null: no timeout pending' }),
      })
      .nullable(),
    operator: z.object({ id: z.string(), assignedAt: z.string().nullable(), lastReplyAt: z.string().nullable() }).nullable(),
    openedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Conversation' });
const answerSchema = z.object({ success: z.literal(true), conversation: conversationSchema, messageId: z.string().optional(), trace_id: z.string() }).meta({ id: 'ConversationAnswer' });

type Operation = (trx: Knex, change: Change, req: Request, bot: Bot) => Promise<ConversationRow | { row: ConversationRow; messageId: string }>;

/** A lead's conversation: read it, hold and release it, hand it over, take it, return it, set its context, reply, close. */
export function conversationsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  // A person's dialog is not bounded by any alias: an alias-limited token is refused even with the scope.
  const everyAlias: RequestHandler = (_req, res, next) => (isAliasScoped(res.locals.grant.aliases) ? next(forbidden('Conversations need a token for every alias of the bot')) : next());
  const access = [botAccess(ctx, 'conversations'), everyAlias];
  const handle = (operation: Operation) => async (req: Request, res: Response) => {
    const bot: Bot = res.locals.bot;
    const leadId = parseInput(leadIdSchema, req.params.leadId, 'lead id');
    const lead = await getLead(ctx.db, bot.id, leadId);
    if (!lead) throw notFound('Lead not found');
    const change: Change = { botId: bot.id, lead, traceId: res.locals.traceId };
    const done = await ctx.db.transaction((trx) => operation(trx, change, req, bot));
    const { row, messageId } = 'row' in done ? done : { row: done, messageId: undefined };
    res.json({ success: true, conversation: toConversation(row), ...(messageId ? { messageId } : {}), trace_id: res.locals.traceId });
  };
  const base = '/bots/:botId/leads/:leadId/conversation';

  router.get(base, ...access, handle((trx, change) => openConversation(trx, ctx, change)));
  router.post(`${base}/hold`, ...access, handle(async (trx, change, req) => {
    const hold = parseInput(holdSchema, req.body ?? {}, 'request body');
    return holdConversation(trx, ctx, change, { subscriptionId: await holderOf(trx, change, hold), ttlSeconds: hold.ttlSeconds });
  }));
  router.post(`${base}/release`, ...access, handle(async (trx, change, req) => releaseConversation(trx, ctx, change, await holderOf(trx, change, parseInput(releaseSchema, req.body ?? {}, 'request body')))));
  router.post(`${base}/handover`, ...access, handle((trx, change, req) => requestHandover(trx, ctx, change, { ...parseInput(handoverSchema, req.body ?? {}, 'request body'), source: 'workflow' })));
  router.post(`${base}/assign`, ...access, handle((trx, change, req) => assignConversation(trx, ctx, change, parseInput(assignSchema, req.body ?? {}, 'request body').operator)));
  router.post(`${base}/return`, ...access, handle((trx, change) => returnToBot(trx, ctx, change)));
  router.post(`${base}/close`, ...access, handle((trx, change, _req, bot) => closeConversationAndAskRating(trx, ctx, bot, change)));
  router.patch(`${base}/context`, ...access, handle((trx, change, req) => setConversationContext(trx, ctx, change, parseInput(contextChangeSchema, req.body, 'request body'))));
  router.post(`${base}/reply`, ...access, handle((trx, change, req, bot) => replyAsOperator(trx, ctx, bot, change, parseInput(operatorReplySchema, req.body ?? {}, 'request body'))));

  router.get('/bots/:botId/conversations', ...access, async (req, res) => {
    const filters = parseInput(queueFiltersSchema, req.query, 'query');
    res.json({ success: true, conversations: await listConversations(ctx.db, res.locals.bot.id, filters), trace_id: res.locals.traceId });
  });
  router.get(`${base}/messages`, ...access, async (req, res) => {
    const leadId = parseInput(leadIdSchema, req.params.leadId, 'lead id');
    const { limit } = parseInput(messagesQuerySchema, req.query, 'query');
    const lead = await getLead(ctx.db, res.locals.bot.id, leadId);
    if (!lead) throw notFound('Lead not found');
    res.json({ success: true, messages: await conversationMessages(ctx.db, res.locals.bot.id, lead, limit), trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/conversation-settings', botAccess(ctx, 'admin'), (_req, res) => {
    res.json({ success: true, settings: conversationSettings(res.locals.bot), trace_id: res.locals.traceId });
  });
  router.put('/bots/:botId/conversation-settings', botAccess(ctx, 'admin'), async (req, res) => {
    const settings = parseInput(conversationSettingsSchema, req.body ?? {}, 'request body');
    await updateBotSettings(ctx, res.locals.bot.id, { conversations: settings });
    res.json({ success: true, settings, trace_id: res.locals.traceId });
  });
  return router;
}

function documentRoutes(docs: OpenAPIRegistry): void {
  const common = { tags: ['Conversations'], security: [{ bearerAuth: [] }] };
  const params = botPathParams.extend({ leadId: z.string() });
  const conflictResponse = { 409: { description: 'The conversation is in a state that does not allow it, or another change won the race', ...jsonContent(errorBodySchema) } };
  const responses = { 200: { description: 'The conversation after the change', ...jsonContent(answerSchema) }, ...errorResponses('conversations'), ...conflictResponse };
  const route = (method: 'get' | 'post' | 'patch', suffix: string, operationId: string, summary: string, description: string, body?: z.ZodType) =>
    docs.registerPath({
      ...common,
      method,
      path: `/api/v1/bots/{botId}/leads/{leadId}/conversation${suffix}`,
      operationId,
      summary,
      description,
      request: { params, ...(body ? { body: jsonContent(body) } : {}) },
      responses,
    });
  route('get', '', 'getConversation', 'The person\'s conversation: who owns it, the session and its context', 'A linked person\'s chats share one conversation. A hold found expired is released first (`conversation.released`, reason `expired`).');
  route('post', '/hold', 'holdConversation', 'A workflow holds the dialog: only its subscription gets the person\'s messages, taps and contacts', 'From `bot`, or to extend the same subscription\'s hold. 409 while another subscription holds it or an operator has it.', holdSchema);
  route('post', '/release', 'releaseConversation', 'The holding workflow releases the dialog back to the bot', '409 unless held by this subscription.', releaseSchema);
  route('post', '/handover', 'handOverConversation', 'Hand the conversation to the operators\' queue (reason, team, priority)', 'No workflow gets the person\'s messages while it waits or is assigned; they are kept for the operator. 409 when already waiting.', handoverSchema);
  route('post', '/assign', 'assignConversation', 'An operator takes the conversation', 'Of two operators taking it at once exactly one wins; the other gets 409.', assignSchema);
  route('post', '/return', 'returnConversationToBot', 'Return the conversation from the operators to the bot', '409 unless it is waiting or assigned.');
  route('post', '/close', 'closeConversation', 'Close the session: back to the bot, with a new session id and empty context', 'Emits `conversation.closed` with the closed session id. A session an operator had (waiting or assigned) ends with the rating question (buttons 1–5) unless the bot turned `csat` off.');
  route('patch', '/context', 'setConversationContext', 'Set session variables (kept apart from the lead\'s attributes)', 'Merged into the context (null removes a key) or, with `replace`, instead of it. At most 16 KiB as JSON.', contextChangeSchema);
  route('post', '/reply', 'replyAsOperator', 'An operator\'s reply, sent to the person\'s latest chat', 'A waiting conversation is taken by the operator who answers; 409 when another operator has it. Emits `operator.replied`.', operatorReplySchema);

  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/conversations',
    operationId: 'listConversations',
    summary: 'The operators\' queues: conversations by state, team or operator, the longest waiting first',
    description: 'Without `state`: every conversation waiting for or assigned to an operator.',
    request: { params: botPathParams, query: queueFiltersSchema },
    responses: { 200: { description: 'The conversations', ...jsonContent(z.object({ success: z.literal(true), conversations: z.array(conversationSchema), trace_id: z.string() })) }, ...errorResponses('conversations') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/leads/{leadId}/conversation/messages',
    operationId: 'listConversationMessages',
    summary: 'What the person wrote while a human had the conversation, and the operators\' replies, across their chats',
    request: { params, query: messagesQuerySchema },
    responses: {
      200: {
        description: 'The latest messages, oldest first',
        ...jsonContent(
          z.object({
            success: z.literal(true),
            messages: z.array(
              z.object({
                id: z.number(),
                sessionId: z.string(),
                direction: z.enum(['in', 'out']),
                leadId: z.string(),
                channel: z.string(),
                kind: z.string(),
                body: z.record(z.string(), z.unknown()),
                operator: z.string().nullable(),
                messageId: z.string().nullable(),
                at: z.string(),
              }),
            ),
            trace_id: z.string(),
          }),
        ),
      },
      ...errorResponses('conversations'),
    },
  });

  const settingsAnswer = z.object({ success: z.literal(true), settings: conversationSettingsSchema, trace_id: z.string() });
  docs.registerPath({
    tags: ['Conversations'],
    security: [{ bearerAuth: [] }],
    method: 'get',
    path: '/api/v1/bots/{botId}/conversation-settings',
    operationId: 'getConversationSettings',
    summary: 'The handover keyword and its reply, the operator timeout and the rating question after a close',
    request: { params: botPathParams },
    responses: { 200: { description: 'The settings', ...jsonContent(settingsAnswer) }, ...errorResponses('admin') },
  });
  docs.registerPath({
    tags: ['Conversations'],
    security: [{ bearerAuth: [] }],
    method: 'put',
    path: '/api/v1/bots/{botId}/conversation-settings',
    operationId: 'setConversationSettings',
    summary: 'Set the handover keyword (default "operator") and its reply, the operator timeout, and the rating question after a close',
    request: { params: botPathParams, body: jsonContent(conversationSettingsSchema) },
    responses: { 200: { description: 'The settings', ...jsonContent(settingsAnswer) }, ...errorResponses('admin') },
  });
}
