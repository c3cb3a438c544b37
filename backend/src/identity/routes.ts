import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { Bot } from '../bots/bots';
import { botAccess } from '../bots/access';
import { invalid, notFound, parseInput } from '../platform/errors';
import { channelNameSchema, profileSchema } from '../channels/inbound-update';
import type { AppContext } from '../platform/context';
import { botPathParams, errorResponses, jsonContent as json } from '../platform/openapi/registry';
import { type Account, accountStateSchema, getAccount, userIdSchema } from './accounts';
import { attributesPatchSchema, leadFiltersSchema, listLeads, lookupPhone, patchLeadAttributes } from './lead-directory';
import { getLead, type Lead } from './leads';
import { issueLinkToken } from './link-tokens';
import { linkLead, linkSourceSchema, unlinkUser } from './links';
import { applyLifecycle, lifecycleActionSchema } from './lifecycle';
import { defaultPhoneCountry } from './phones';
import { updateUser, userUpdateSchema } from './user-updates';

export const leadIdSchema = z.string().regex(/^ld_[A-Za-z0-9_-]{1,37}$/, 'a lead id such as ld_…');

const leadSchema = z
  .object({
    id: z.string(),
    botId: z.number().int(),
    channel: channelNameSchema,
    chatId: z.string(),
    profile: profileSchema,
    phone: z.string().optional(),
    email: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()),
    reachable: z.boolean(),
    lastActivityAt: z.number().int(),
    createdAt: z.number().int(),
    userId: z.string().nullable(),
  })
  .meta({ id: 'Lead' });

const userSchema = z
  .object({
    userId: z.string(),
    state: accountStateSchema,
    pausedUntil: z.string().nullable(),
    blockReason: z.string().nullable(),
    profile: z.record(z.string(), z.unknown()),
    leads: z.array(leadSchema),
  })
  .meta({ id: 'User' });

const linkTokenBodySchema = z.object({
  userId: userIdSchema,
  ttlSeconds: z.number().int().min(60).max(30 * 24 * 3600).optional(),
});
const linkBodySchema = z.object({ userId: userIdSchema, leadId: leadIdSchema, source: linkSourceSchema.default('api') });
const unlinkBodySchema = z.object({ userId: userIdSchema, leadId: leadIdSchema.optional() });
const attributesBodySchema = z.object({ attributes: attributesPatchSchema });
const lifecycleBodySchema = z.object({
  until: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().trim().min(1).max(1000).optional(),
  notify: z.boolean().optional(),
});
const userParams = botPathParams.extend({ userId: userIdSchema });
const leadParams = botPathParams.extend({ leadId: leadIdSchema });

async function userView(ctx: AppContext, bot: Bot, account: Account) {
  const { leads } = await listLeads(ctx.db, bot.id, { userId: account.userId, limit: 500 });
  return {
    userId: account.userId,
    state: account.state,
    pausedUntil: account.pausedUntil === null || account.pausedUntil <= ctx.clock.now() ? null : new Date(account.pausedUntil).toISOString(),
    blockReason: account.blockReason,
    profile: account.profile,
    leads: leads.sort((a: Lead, b: Lead) => b.lastActivityAt - a.lastActivityAt),
  };
}

/** The identity map over HTTP (scope `identity`): link tokens, links, users, leads, attributes, lifecycle. */
export function identityRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'identity');

  router.post('/bots/:botId/link-tokens', access, async (req, res) => {
    const body = parseInput(linkTokenBodySchema, req.body, 'request body');
    const issued = await issueLinkToken(ctx, res.locals.bot, body);
    res.json({ success: true, ...issued, expiresAt: new Date(issued.expiresAt).toISOString(), trace_id: res.locals.traceId });
  });

  router.post('/bots/:botId/links', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const body = parseInput(linkBodySchema, req.body, 'request body');
    const lead = await getLead(ctx.db, bot.id, body.leadId);
    if (!lead) throw notFound('Lead not found');
    const { link } = await ctx.db.transaction((trx) => linkLead(trx, ctx, { botId: bot.id, ...body, channel: lead.channel, traceId }));
    res.json({ success: true, link: { ...link, connectedAt: new Date(link.connectedAt).toISOString() }, trace_id: traceId });
  });

  router.delete('/bots/:botId/links', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const body = parseInput(unlinkBodySchema, { ...req.query, ...(req.body ?? {}) }, 'request');
    const unlinked = await ctx.db.transaction((trx) => unlinkUser(trx, ctx, { botId: bot.id, ...body, traceId, reason: 'api' }));
    res.json({ success: true, unlinked, trace_id: traceId });
  });

  router.get('/bots/:botId/users/:userId', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const userId = parseInput(userIdSchema, req.params.userId, 'user id');
    const account = await getAccount(ctx.db, bot.id, userId);
    if (!account) throw notFound('User not found');
    res.json({ success: true, user: await userView(ctx, bot, account), trace_id: traceId });
  });

  router.post('/bots/:botId/users/:userId/update', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const userId = parseInput(userIdSchema, req.params.userId, 'user id');
    const body = parseInput(userUpdateSchema, req.body, 'request body');
    const { account, changed } = await updateUser(ctx, bot, { userId, traceId, ...body });
    res.json({ success: true, changed, user: await userView(ctx, bot, account), trace_id: traceId });
  });

  router.post('/bots/:botId/users/:userId/:action', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const userId = parseInput(userIdSchema, req.params.userId, 'user id');
    const action = lifecycleActionSchema.safeParse(req.params.action);
    if (!action.success) throw notFound(`Unknown action; use one of ${lifecycleActionSchema.options.join(', ')}`);
    const body = parseInput(lifecycleBodySchema, req.body ?? {}, 'request body');
    if (action.data === 'pause' && body.until === undefined) throw invalid('Invalid request body', [{ path: 'until', message: 'required to pause' }]);
    const input = { ...body, until: body.until === undefined ? undefined : Date.parse(body.until) };
    const account = await applyLifecycle(ctx, bot, { userId, action: action.data, traceId, input });
    res.json({ success: true, user: await userView(ctx, bot, account), trace_id: traceId });
  });

  router.get('/bots/:botId/leads', access, async (req, res) => {
    const { bot } = res.locals;
    const filters = parseInput(leadFiltersSchema, req.query, 'query');
    const phone = filters.phone === undefined ? undefined : lookupPhone(filters.phone, defaultPhoneCountry(bot, ctx.config));
    const page = await listLeads(ctx.db, bot.id, { ...filters, phone });
    res.json({ success: true, ...page, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/leads/:leadId', access, async (req, res) => {
    const leadId = parseInput(leadIdSchema, req.params.leadId, 'lead id');
    const lead = await getLead(ctx.db, res.locals.bot.id, leadId);
    if (!lead) throw notFound('Lead not found');
    res.json({ success: true, lead, trace_id: res.locals.traceId });
  });

  router.patch('/bots/:botId/leads/:leadId/attributes', access, async (req, res) => {
    const leadId = parseInput(leadIdSchema, req.params.leadId, 'lead id');
    const body = parseInput(attributesBodySchema, req.body, 'request body');
    const lead = await patchLeadAttributes(ctx.db, res.locals.bot.id, leadId, body.attributes);
    if (!lead) throw notFound('Lead not found');
    res.json({ success: true, lead, trace_id: res.locals.traceId });
  });

  return router;
}

const answer = <T extends z.ZodRawShape>(shape: T) => z.object({ success: z.literal(true), ...shape, trace_id: z.string() });
const common = { tags: ['Identity'], security: [{ bearerAuth: [] }] };

const linkAnswer = answer({ link: z.object({ userId: z.string(), leadId: z.string(), source: z.string(), connectedAt: z.string() }) });

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/link-tokens',
    operationId: 'createLinkToken',
    summary: 'Issue a one-time deep link that links the chat that opens it to userId',
    description: '`telegramUrl` is null until the bot has a Telegram username (settings.telegram.username); `vkUrl` until its VK community\'s short name is known (settings.vk.screenName); `whatsappUrl` until its WhatsApp number\'s displayed phone is set (PUT …/whatsapp displayPhoneNumber).',
    request: { params: botPathParams, body: json(linkTokenBodySchema) },
    responses: {
      200: { description: 'The token and its links', ...json(answer({ token: z.string(), expiresAt: z.string(), telegramUrl: z.string().nullable(), vkUrl: z.string().nullable(), whatsappUrl: z.string().nullable(), webchatUrl: z.string() })) },
      ...errorResponses('identity'),
    },
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/links',
    operationId: 'linkUser',
    summary: 'Link a lead to a CRM user (direct API link)',
    request: { params: botPathParams, body: json(linkBodySchema) },
    responses: { 200: { description: 'Linked (or already linked)', ...json(linkAnswer) }, 409: { description: 'The lead is linked to another user' }, ...errorResponses('identity') },
  });
  docs.registerPath({
    ...common,
    method: 'delete',
    path: '/api/v1/bots/{botId}/links',
    operationId: 'unlinkUser',
    summary: 'Unlink one lead, or every lead, of a user',
    request: { params: botPathParams, body: json(unlinkBodySchema) },
    responses: { 200: { description: 'The lead ids that were unlinked', ...json(answer({ unlinked: z.array(z.string()) })) }, ...errorResponses('identity') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/users/{userId}',
    operationId: 'getUser',
    summary: 'A user: account state, pause, block reason and linked leads (most recent first)',
    request: { params: userParams },
    responses: { 200: { description: 'The user', ...json(answer({ user: userSchema })) }, ...errorResponses('identity') },
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/users/{userId}/{action}',
    operationId: 'transitionUser',
    summary: 'Account lifecycle: pause (until), resume, block (reason), unblock, delete, disconnect',
    description: 'Each is a state transition that records an event (user.paused, user.resumed, user.blocked, user.unblocked, user.deleted, user.unlinked) and a trace hop. What the user is told is queued as a message to their chats (it passes a pause and the account state) and named in the event payload as `notice: {text, leadIds, messageId}`; `notify: false` sends nothing; delete never notifies.',
    request: { params: userParams.extend({ action: lifecycleActionSchema }), body: json(lifecycleBodySchema) },
    responses: { 200: { description: 'The user after the transition', ...json(answer({ user: userSchema })) }, 409: { description: 'The action does not apply in the current state' }, ...errorResponses('identity') },
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/users/{userId}/update',
    operationId: 'updateUser',
    summary: 'The CRM user\'s data changed (users/update of the integration contract): store it and tell workflows what changed',
    description: 'Merges `fields` into the user\'s stored profile. When a value differs from the stored one, records `user.updated` with `{changed, fields, previous, originId}` (`originId`: where in the CRM the change was made). The trace hop names the changed keys only.',
    request: { params: userParams, body: json(userUpdateSchema) },
    responses: { 200: { description: 'The keys that changed and the user', ...json(answer({ changed: z.array(z.string()), user: userSchema })) }, ...errorResponses('identity') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/leads',
    operationId: 'findLeads',
    summary: 'Find leads by userId, phone (any format; without a country code read in the bot\'s default country), email, channel or chatId; paged by cursor',
    description: 'Phones are stored in E.164 (`+79181234567`): "8 918 123-45-67" and "+7 918 123 45 67" find the same lead when the default country is RU. Text that is not a phone number is a 422.',
    request: { params: botPathParams, query: leadFiltersSchema },
    responses: { 200: { description: 'A page of leads', ...json(answer({ leads: z.array(leadSchema), nextCursor: z.string().nullable() })) }, ...errorResponses('identity') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/leads/{leadId}',
    operationId: 'getLead',
    summary: 'One lead',
    request: { params: leadParams },
    responses: { 200: { description: 'The lead', ...json(answer({ lead: leadSchema })) }, ...errorResponses('identity') },
  });
  docs.registerPath({
    ...common,
    method: 'patch',
    path: '/api/v1/bots/{botId}/leads/{leadId}/attributes',
    operationId: 'setLeadAttributes',
    summary: 'Merge attributes into a lead (null deletes a key); templates read them as lead.attributes.x',
    request: { params: leadParams, body: json(attributesBodySchema) },
    responses: { 200: { description: 'The lead', ...json(answer({ lead: leadSchema })) }, ...errorResponses('identity') },
  });
}
