import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../../bots/access';
import { updateBotSettings } from '../../bots/bots';
import type { AppContext } from '../../platform/context';
import { conflict, notFound, parseInput } from '../../platform/errors';
import { botPathParams, errorResponses, jsonContent as json } from '../../platform/openapi/registry';
import { checkStaffGroup, staffGroupOf, type StaffGroupSettings, staffGroupSettingsSchema } from './staff-group-settings';
import { getTelegramBot } from './telegram-store';

/**
 * Checks the chat with Telegram (through the bot's own token) and stores it as the bot's staff
 * group. Shared by the API and the CLI, so both refuse the same chats with the same words.
 */
export async function setStaffGroup(ctx: AppContext, botId: number, settings: StaffGroupSettings): Promise<StaffGroupSettings> {
  const record = await getTelegramBot(ctx, botId);
  if (!record) throw conflict('The bot has no Telegram token: set one before its staff group');
  await checkStaffGroup(ctx, record.token, settings.chatId);
  await updateBotSettings(ctx, botId, { staffGroup: settings });
  return settings;
}

/** `…/telegram/staff-group` (scope `admin`): the bot's staff group and its operators. */
export function staffGroupRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'admin');
  const path = '/bots/:botId/telegram/staff-group';

  router.get(path, access, (_req, res) => {
    res.json({ success: true, staffGroup: staffGroupOf(res.locals.bot) ?? null, trace_id: res.locals.traceId });
  });
  router.put(path, access, async (req, res) => {
    const settings = parseInput(staffGroupSettingsSchema, req.body ?? {}, 'request body');
    res.json({ success: true, staffGroup: await setStaffGroup(ctx, res.locals.bot.id, settings), trace_id: res.locals.traceId });
  });
  router.delete(path, access, async (_req, res) => {
    if (!staffGroupOf(res.locals.bot)) throw notFound('This bot has no staff group');
    await updateBotSettings(ctx, res.locals.bot.id, { staffGroup: null });
    res.json({ success: true, staffGroup: null, trace_id: res.locals.traceId });
  });
  return router;
}

function documentRoutes(docs: OpenAPIRegistry): void {
  const answer = json(z.object({ success: z.literal(true), staffGroup: staffGroupSettingsSchema.nullable(), trace_id: z.string() }));
  const common = { tags: ['Telegram'], security: [{ bearerAuth: [] }], path: '/api/v1/bots/{botId}/telegram/staff-group' };
  docs.registerPath({ ...common, method: 'get', operationId: 'getStaffGroup', summary: 'The bot\'s Telegram staff group and its operators (null: none)', request: { params: botPathParams }, responses: { 200: { description: 'The staff group', ...answer }, ...errorResponses('admin') } });
  docs.registerPath({
    ...common,
    method: 'put',
    operationId: 'setStaffGroup',
    summary: 'Set the Telegram staff group where operators answer handed-over conversations in topics',
    description: 'Telegram is asked first (getChat, getChatMember): the chat must be a supergroup with topics where the bot is an administrator that can manage topics, else 422 naming what is missing. 409 when the bot has no Telegram token, 502 when Telegram cannot be reached. Only the listed Telegram users act as operators there.',
    request: { params: botPathParams, body: json(staffGroupSettingsSchema) },
    responses: { 200: { description: 'Stored', ...answer }, 409: { description: 'The bot has no Telegram token' }, 502: { description: 'Telegram could not be reached' }, ...errorResponses('admin') },
  });
  docs.registerPath({ ...common, method: 'delete', operationId: 'deleteStaffGroup', summary: 'Stop using the staff group (topics already there stay as they are)', request: { params: botPathParams }, responses: { 200: { description: 'Removed', ...answer }, ...errorResponses('admin') } });
}
