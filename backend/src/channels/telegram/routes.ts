import { Router } from 'express';
import { jsonBody } from '../../platform/http/json-body';
import type { Update } from 'grammy/types';
import { botIdSchema } from '../../bots/bots';
import { handleTelegramUpdate, type TelegramUpdateContext } from './handle-update';
import { ApiError } from '../../platform/http/errors';
import { notFound } from '../../platform/errors';
import { sameSecret } from '../../platform/secrets/same-secret';
import { telegramApi } from './telegram-channel';
import { getTelegramBot } from './telegram-store';

/**
 * `POST /telegram/{botId}/webhook`: Telegram's webhook (TELEGRAM_MODE=webhook). Only requests
 * carrying the bot's secret token are accepted; an update that could not be stored answers 500,
 * so Telegram delivers it again.
 */
export function telegramWebhookRouter(ctx: TelegramUpdateContext): Router {
  const router = Router();
  router.post('/telegram/:botId/webhook', jsonBody({ limit: '1mb' }), async (req, res) => {
    const botId = botIdSchema.safeParse(req.params.botId);
    const record = botId.success ? await getTelegramBot(ctx, botId.data) : undefined;
    if (!record) throw notFound('Unknown bot');
    if (!sameSecret(req.get('x-telegram-bot-api-secret-token'), record.webhookSecret)) throw new ApiError(401, 'Wrong or missing secret token');
    const update = req.body as Update;
    if (typeof update?.update_id !== 'number') throw new ApiError(400, 'Not a Telegram update');
    await handleTelegramUpdate(ctx, record.botId, telegramApi(ctx, record.token), update);
    res.json({ ok: true });
  });
  return router;
}
