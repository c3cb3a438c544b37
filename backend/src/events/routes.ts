import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { botAccess } from '../bots/access';
import { isAliasScoped } from '../bots/tokens';
import { conflict, invalid, notFound, parseInput } from '../platform/errors';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { getDelivery, listDeliveries, listDeliveriesQuerySchema, redeliver, type VisibleSubscriptions } from './deliveries';
import {
  MAX_SUBSCRIPTIONS_PER_BOT,
  type Subscription,
  TooManySubscriptionsError,
  boundByTokenAliases,
  createSubscription,
  createSubscriptionSchema,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  visibleToToken,
} from './subscriptions';

const subscriptionIdSchema = z.string().regex(/^sub_[0-9a-f]{24}$/, 'is not a subscription id');
const deliveryIdSchema = z.string().regex(/^dlv_[0-9a-f]{24}$/, 'is not a delivery id');

/** A malformed id names no resource: 404, like an unknown one. */
function pathId(schema: z.ZodString, value: unknown, what: string): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw notFound(`No ${what} with this id for this bot`);
  return parsed.data;
}

function publicSubscription(subscription: Subscription) {
  const { botId: _botId, createdAt, ...rest } = subscription;
  return { ...rest, createdAt: new Date(createdAt).toISOString() };
}

/** The subscriptions this request's token may see (visibleToToken), as the delivery queries take them. */
async function visibleSubscriptions(ctx: AppContext, botId: number, tokenAliases: string[]): Promise<{ subscriptions: Subscription[]; visible: VisibleSubscriptions }> {
  const subscriptions = (await listSubscriptions(ctx, botId)).filter((subscription) => visibleToToken(subscription, tokenAliases));
  return { subscriptions, visible: isAliasScoped(tokenAliases) ? subscriptions.map((subscription) => subscription.id) : 'all' };
}

/** Subscriptions of n8n workflows to this bot's events, and the deliveries made to them. */
export function eventsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'subscriptions');

  router.post('/bots/:botId/subscriptions', access, async (req, res) => {
    const input = boundByTokenAliases(parseInput(createSubscriptionSchema, req.body, 'subscription'), res.locals.grant.aliases);
    try {
      const { subscription, secret } = await createSubscription(ctx, res.locals.bot.id, input);
      res.status(201).json({ success: true, subscription: { ...publicSubscription(subscription), secret }, trace_id: res.locals.traceId });
    } catch (err) {
      if (err instanceof TooManySubscriptionsError) throw invalid(`A bot has at most ${MAX_SUBSCRIPTIONS_PER_BOT} subscriptions`);
      throw err;
    }
  });

  router.get('/bots/:botId/subscriptions', access, async (_req, res) => {
    const { subscriptions } = await visibleSubscriptions(ctx, res.locals.bot.id, res.locals.grant.aliases);
    res.json({ success: true, subscriptions: subscriptions.map(publicSubscription), trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/subscriptions/:subscriptionId', access, async (req, res) => {
    const id = pathId(subscriptionIdSchema, req.params.subscriptionId, 'subscription');
    const subscription = await getSubscription(ctx, res.locals.bot.id, id);
    if (!subscription || !visibleToToken(subscription, res.locals.grant.aliases)) throw notFound('No subscription with this id for this bot');
    res.json({ success: true, subscription: publicSubscription(subscription), trace_id: res.locals.traceId });
  });

  router.delete('/bots/:botId/subscriptions/:subscriptionId', access, async (req, res) => {
    const id = pathId(subscriptionIdSchema, req.params.subscriptionId, 'subscription');
    const subscription = await getSubscription(ctx, res.locals.bot.id, id);
    if (!subscription || !visibleToToken(subscription, res.locals.grant.aliases)) throw notFound('No subscription with this id for this bot');
    if (!(await deleteSubscription(ctx, res.locals.bot.id, id))) throw notFound('No subscription with this id for this bot');
    res.json({ success: true, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/events/deliveries', access, async (req, res) => {
    const query = parseInput(listDeliveriesQuerySchema, req.query, 'query');
    const { visible } = await visibleSubscriptions(ctx, res.locals.bot.id, res.locals.grant.aliases);
    res.json({ success: true, ...(await listDeliveries(ctx, res.locals.bot.id, query, visible)), trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/events/deliveries/:deliveryId', access, async (req, res) => {
    const id = pathId(deliveryIdSchema, req.params.deliveryId, 'delivery');
    const delivery = await getDelivery(ctx, res.locals.bot.id, id, (await visibleSubscriptions(ctx, res.locals.bot.id, res.locals.grant.aliases)).visible);
    if (!delivery) throw notFound('No delivery with this id for this bot');
    res.json({ success: true, delivery, trace_id: res.locals.traceId });
  });

  router.post('/bots/:botId/events/deliveries/:deliveryId/redeliver', access, async (req, res) => {
    const id = pathId(deliveryIdSchema, req.params.deliveryId, 'delivery');
    const result = await redeliver(ctx, res.locals.bot.id, id, (await visibleSubscriptions(ctx, res.locals.bot.id, res.locals.grant.aliases)).visible);
    if ('notFound' in result) throw notFound('No delivery with this id for this bot');
    if ('pending' in result) throw conflict('This delivery is still pending; it will be attempted on its schedule');
    res.json({ success: true, delivery: result.delivery, trace_id: res.locals.traceId });
  });

  return router;
}

const subscriptionSchema = z
  .object({ id: z.string(), url: z.string(), events: z.array(z.string()), aliases: z.array(z.string()), answers: z.boolean(), createdAt: z.string() })
  .meta({ id: 'Subscription' });
const deliverySchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    eventId: z.number().int(),
    eventType: z.string(),
    traceId: z.string(),
    status: z.enum(['pending', 'delivered', 'exhausted']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'EventDelivery' });
const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (shape: z.ZodRawShape) => json(z.object({ success: z.literal(true), ...shape, trace_id: z.string() }));
const common = { tags: ['Events'], security: [{ bearerAuth: [] }] };
const subscriptionParams = botPathParams.extend({ subscriptionId: subscriptionIdSchema });
const deliveryParams = botPathParams.extend({ deliveryId: deliveryIdSchema });

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/subscriptions',
    operationId: 'createSubscription',
    summary: 'Subscribe a webhook (an n8n Metabot Trigger) to this bot\'s events',
    description:
      'Events of the listed types (`*` for all) are POSTed to `url`, signed with `secret` (shown only here): header `X-Metabot-Signature: t=<unix>,v2=<hex HMAC-SHA256(secret, "<X-Metabot-Delivery>.<t>.<body>")>`. `aliases` (globs) narrow `endpoint.called` events. `answers: true` makes this subscriber answer calls of endpoints with `answer: "workflow"`: their delivery is made at once and held open until the workflow responds, and the response body becomes the caller\'s answer (the first answering subscriber to respond decides). A token limited to alias globs may subscribe to `endpoint.called` only, with its own globs or plain aliases inside them (403 otherwise). Events no subscription wanted in the last EVENT_RETENTION_HOURS are delivered to a new matching subscription.',
    request: { params: botPathParams, body: { content: json(createSubscriptionSchema) } },
    responses: { 201: { description: 'Created', content: ok({ subscription: subscriptionSchema.extend({ secret: z.string() }) }) }, ...errorResponses('subscriptions') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/subscriptions',
    operationId: 'listSubscriptions',
    summary: 'List the subscriptions of this bot',
    request: { params: botPathParams },
    responses: { 200: { description: 'OK', content: ok({ subscriptions: z.array(subscriptionSchema) }) }, ...errorResponses('subscriptions') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/subscriptions/{subscriptionId}',
    operationId: 'getSubscription',
    summary: 'Read a subscription (without its secret)',
    request: { params: subscriptionParams },
    responses: { 200: { description: 'OK', content: ok({ subscription: subscriptionSchema }) }, ...errorResponses('subscriptions') },
  });
  docs.registerPath({
    ...common,
    method: 'delete',
    path: '/api/v1/bots/{botId}/subscriptions/{subscriptionId}',
    operationId: 'deleteSubscription',
    summary: 'Delete a subscription and its pending deliveries',
    request: { params: subscriptionParams },
    responses: { 200: { description: 'Deleted', content: ok({}) }, ...errorResponses('subscriptions') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/events/deliveries',
    operationId: 'listDeliveries',
    summary: 'List webhook deliveries, newest first (e.g. `?status=exhausted`)',
    request: { params: botPathParams, query: listDeliveriesQuerySchema.extend({ cursor: z.string().optional() }) },
    responses: { 200: { description: 'OK', content: ok({ deliveries: z.array(deliverySchema), nextCursor: z.string().nullable() }) }, ...errorResponses('subscriptions') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/events/deliveries/{deliveryId}',
    operationId: 'getDelivery',
    summary: 'Read one webhook delivery',
    request: { params: deliveryParams },
    responses: { 200: { description: 'OK', content: ok({ delivery: deliverySchema }) }, ...errorResponses('subscriptions') },
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/events/deliveries/{deliveryId}/redeliver',
    operationId: 'redeliver',
    summary: 'Send a delivered or exhausted delivery again, with a fresh retry schedule',
    request: { params: deliveryParams },
    responses: {
      200: { description: 'Queued again', content: ok({ delivery: deliverySchema }) },
      409: { description: 'Still pending', content: json(z.object({ success: z.literal(false), message: z.string(), trace_id: z.string() })) },
      ...errorResponses('subscriptions'),
    },
  });
}
