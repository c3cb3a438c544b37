import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { GrammyError } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { z } from 'zod';
import { botAccess } from '../../bots/access';
import { updateBotSettings } from '../../bots/bots';
import { ApiError } from '../../platform/http/errors';
import { invalid, notFound, parseInput } from '../../platform/errors';
import type { AppContext } from '../../platform/context';
import { botPathParams, errorResponses, jsonContent as json } from '../../platform/openapi/registry';
import { paymentSettingsSchema, readPaymentSettings } from './payment-settings';
import { TELEGRAM_LOOP } from './runtime';
import { telegramApi } from './telegram-channel';
import { describeTelegramError } from './telegram-wire';
import { forgetTelegramToken, getTelegramBot, rememberUsername, setTelegramToken, telegramTokenSchema } from './telegram-store';

const setTokenSchema = z.object({ token: telegramTokenSchema }).meta({ id: 'SetTelegramToken' });
const telegramStateSchema = z
  .object({ configured: z.boolean(), username: z.string().nullable(), mode: z.enum(['polling', 'webhook']), updatedAt: z.string().nullable() })
  .meta({ id: 'TelegramState' });

/** getMe with the new token: Telegram's refusal is the caller's 422, an unreachable Telegram a 502. */
async function checkToken(ctx: AppContext, token: string): Promise<UserFromGetMe> {
  try {
    return await telegramApi(ctx, token).getMe();
  } catch (error) {
    if (error instanceof GrammyError) throw invalid('Telegram refused this token', [{ path: 'token', message: `${error.error_code} ${error.description}` }]);
    ctx.logger.warn({ error: describeTelegramError(error) }, 'getMe failed while setting a Telegram token');
    throw new ApiError(502, 'Telegram could not be reached to check the token; try again');
  }
}

async function stateOf(ctx: AppContext, botId: number): Promise<z.infer<typeof telegramStateSchema>> {
  const record = await getTelegramBot(ctx, botId);
  return { configured: Boolean(record), username: record?.username ?? null, mode: ctx.config.TELEGRAM_MODE, updatedAt: record ? new Date(record.updatedAt).toISOString() : null };
}

/**
 * The bot's Telegram token over the API (scope `admin`), beside `bot set-telegram-token`: checked
 * with getMe before it is stored (encrypted), never echoed. Running servers pick a change up at
 * their next Telegram sync; this one at once. `…/telegram/payments`: how pre-checkouts are answered.
 */
export function telegramSettingsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'admin');

  router.get('/bots/:botId/telegram', access, async (_req, res) => {
    res.json({ success: true, telegram: await stateOf(ctx, res.locals.bot.id), trace_id: res.locals.traceId });
  });

  router.put('/bots/:botId/telegram', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const { token } = parseInput(setTokenSchema, req.body, 'request body');
    const me = await checkToken(ctx, token);
    await setTelegramToken(ctx, bot.id, token);
    if (me.username) await rememberUsername(ctx, bot.id, me.username);
    ctx.wakeups.wake(TELEGRAM_LOOP);
    res.json({ success: true, telegram: await stateOf(ctx, bot.id), trace_id: traceId });
  });

  router.delete('/bots/:botId/telegram', access, async (_req, res) => {
    const { bot, traceId } = res.locals;
    const record = await getTelegramBot(ctx, bot.id);
    if (!record) throw notFound('This bot has no Telegram token');
    if (ctx.config.TELEGRAM_MODE === 'webhook') {
      await telegramApi(ctx, record.token).deleteWebhook().catch((error: unknown) => ctx.logger.warn({ error: describeTelegramError(error), botId: bot.id }, 'deleteWebhook failed; Telegram gets 404s until it gives up'));
    }
    await forgetTelegramToken(ctx, bot.id);
    ctx.wakeups.wake(TELEGRAM_LOOP);
    res.json({ success: true, telegram: await stateOf(ctx, bot.id), trace_id: traceId });
  });
  router.get('/bots/:botId/telegram/payments', access, async (_req, res) => {
    res.json({ success: true, payments: readPaymentSettings(res.locals.bot.settings.payments), trace_id: res.locals.traceId });
  });

  router.put('/bots/:botId/telegram/payments', access, async (req, res) => {
    const payments = parseInput(paymentSettingsSchema, req.body, 'payments');
    await updateBotSettings(ctx, res.locals.bot.id, { payments });
    res.json({ success: true, payments, trace_id: res.locals.traceId });
  });
  return router;
}

const paymentsAnswer = json(z.object({ success: z.literal(true), payments: paymentSettingsSchema, trace_id: z.string() }));

const answer = json(z.object({ success: z.literal(true), telegram: telegramStateSchema, trace_id: z.string() }));
const common = { tags: ['Telegram'], security: [{ bearerAuth: [] }], request: { params: botPathParams } };

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({ ...common, method: 'get', path: '/api/v1/bots/{botId}/telegram', operationId: 'getTelegramSettings', summary: 'Whether the bot has a Telegram token, its username and the mode', responses: { 200: { description: 'The Telegram state', ...answer }, ...errorResponses('admin') } });
  docs.registerPath({
    ...common,
    method: 'put',
    path: '/api/v1/bots/{botId}/telegram',
    operationId: 'setTelegramToken',
    summary: 'Set (or replace) the bot\'s Telegram token from @BotFather',
    description: 'The token is checked with getMe (Telegram\'s username is stored), then stored encrypted; it is never returned. 422 when Telegram refuses it, 502 when Telegram cannot be reached.',
    request: { params: botPathParams, body: json(setTokenSchema) },
    responses: { 200: { description: 'Stored', ...answer }, 502: { description: 'Telegram could not be reached' }, ...errorResponses('admin') },
  });
  docs.registerPath({ ...common, method: 'get', path: '/api/v1/bots/{botId}/telegram/payments', operationId: 'getPaymentSettings', summary: 'How the bot answers Telegram pre-checkout queries', responses: { 200: { description: 'The payment settings', ...paymentsAnswer }, ...errorResponses('admin') } });
  docs.registerPath({
    ...common,
    method: 'put',
    path: '/api/v1/bots/{botId}/telegram/payments',
    operationId: 'setPaymentSettings',
    summary: 'Set how the bot answers Telegram pre-checkout queries: by a rule, or by the workflow within a time',
    description: 'preCheckout "rule" answers every pre-checkout at once with answer; "workflow" waits up to workflowTimeoutMs (500–8000 ms, inside Telegram\'s 10 s) for Answer Pre-Checkout and sends answer otherwise.',
    request: { params: botPathParams, body: json(paymentSettingsSchema) },
    responses: { 200: { description: 'Stored', ...paymentsAnswer }, ...errorResponses('admin') },
  });
  docs.registerPath({ ...common, method: 'delete', path: '/api/v1/bots/{botId}/telegram', operationId: 'deleteTelegramToken', summary: 'Remove the bot\'s Telegram token (polling and the webhook stop)', responses: { 200: { description: 'Removed', ...answer }, ...errorResponses('admin') } });
}
