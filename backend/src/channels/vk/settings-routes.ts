import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../../bots/access';
import { ApiError } from '../../platform/http/errors';
import { invalid, notFound, parseInput } from '../../platform/errors';
import { botPathParams, errorResponses, jsonContent as json } from '../../platform/openapi/registry';
import { tokenCommunity } from './long-poll';
import { VkApiError, VkUnreachable } from './vk-api';
import { vkTarget } from './vk-channel';
import { VK_LOOP, type VkContext } from './vk-runtime';
import { forgetVkAccount, getVkAccount, setVkAccount, vkCredentialsSchema } from './vk-store';

const setCommunitySchema = vkCredentialsSchema.meta({ id: 'SetVkCommunity' });
const vkStateSchema = z
  .object({
    configured: z.boolean(),
    groupId: z.number().nullable(),
    screenName: z.string().nullable(),
    mode: z.enum(['longpoll', 'callback']),
    /** The server address to give the community's Callback API, for this bot. */
    callbackUrl: z.string(),
    /** Whether the confirmation string and secret key are stored (the Callback API is refused without them). */
    callbackConfigured: z.boolean(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'VkState' });

async function stateOf(ctx: VkContext, botId: number): Promise<z.infer<typeof vkStateSchema>> {
  const account = await getVkAccount(ctx, botId);
  return {
    configured: Boolean(account),
    groupId: account?.groupId ?? null,
    screenName: account?.screenName ?? null,
    mode: ctx.config.VK_MODE,
    callbackUrl: `${ctx.config.publicUrl}/vk/${botId}/callback`,
    callbackConfigured: Boolean(account?.secretKey && account.confirmationCode),
    updatedAt: account ? new Date(account.updatedAt).toISOString() : null,
  };
}

/** groups.getById with the new token: VK's refusal, or a token of another community, is the caller's 422; an unreachable VK a 502. */
async function checkToken(ctx: VkContext, groupId: number, accessToken: string): Promise<string | null> {
  try {
    const community = await tokenCommunity(vkTarget(ctx.config, ctx.vk, { groupId, accessToken }));
    if (community.id !== groupId) throw invalid('This token belongs to another community', [{ path: 'groupId', message: `the token is community ${community.id}'s` }]);
    return community.screenName;
  } catch (error) {
    if (error instanceof VkApiError) throw invalid('VK refused this token', [{ path: 'accessToken', message: error.message }]);
    if (error instanceof VkUnreachable || error instanceof z.ZodError) {
      ctx.logger.warn({ error: (error as Error).message }, 'groups.getById failed while setting a VK token');
      throw new ApiError(502, 'VK could not be reached to check the token; try again');
    }
    throw error;
  }
}

/**
 * The bot's VK community over the API (scope `admin`), beside `bot set-vk`: the token is checked
 * with groups.getById, then stored with the Callback API's secret key and confirmation string
 * (encrypted), never echoed. Running servers pick a change up at their next VK sync; this one at once.
 */
export function vkSettingsRouter(ctx: VkContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'admin');

  router.get('/bots/:botId/vk', access, async (_req, res) => {
    res.json({ success: true, vk: await stateOf(ctx, res.locals.bot.id), trace_id: res.locals.traceId });
  });

  router.put('/bots/:botId/vk', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const credentials = parseInput(setCommunitySchema, req.body, 'request body');
    const screenName = await checkToken(ctx, credentials.groupId, credentials.accessToken);
    await setVkAccount(ctx, bot.id, credentials, screenName);
    ctx.wakeups.wake(VK_LOOP);
    res.json({ success: true, vk: await stateOf(ctx, bot.id), trace_id: traceId });
  });

  router.delete('/bots/:botId/vk', access, async (_req, res) => {
    const { bot, traceId } = res.locals;
    if (!(await forgetVkAccount(ctx, bot.id))) throw notFound('This bot has no VK community');
    ctx.wakeups.wake(VK_LOOP);
    res.json({ success: true, vk: await stateOf(ctx, bot.id), trace_id: traceId });
  });
  return router;
}

const answer = json(z.object({ success: z.literal(true), vk: vkStateSchema, trace_id: z.string() }));
const common = { tags: ['VK'], security: [{ bearerAuth: [] }], request: { params: botPathParams } };

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({ ...common, method: 'get', path: '/api/v1/bots/{botId}/vk', operationId: 'getVkSettings', summary: 'Whether the bot has a VK community, its short name, the mode and the Callback API address', responses: { 200: { description: 'The VK state', ...answer }, ...errorResponses('admin') } });
  docs.registerPath({
    ...common,
    method: 'put',
    path: '/api/v1/bots/{botId}/vk',
    operationId: 'setVkCommunity',
    summary: 'Connect (or replace) the bot\'s VK community',
    description: 'The community id and a community token with the messages right, checked with groups.getById; for the Callback API also its secret key and confirmation string. Stored encrypted, never returned. 422 when VK refuses the token or it is another community\'s, 502 when VK cannot be reached, 409 when another bot has the community.',
    request: { params: botPathParams, body: json(setCommunitySchema) },
    responses: { 200: { description: 'Stored', ...answer }, 409: { description: 'Another bot has this community' }, 502: { description: 'VK could not be reached' }, ...errorResponses('admin') },
  });
  docs.registerPath({ ...common, method: 'delete', path: '/api/v1/bots/{botId}/vk', operationId: 'deleteVkCommunity', summary: 'Disconnect the bot\'s VK community (Long Poll stops, the Callback API is refused)', responses: { 200: { description: 'Removed', ...answer }, ...errorResponses('admin') } });
}
