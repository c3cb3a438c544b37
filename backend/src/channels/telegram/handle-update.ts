import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { InboundContext } from '../../inbound/hooks';
import { handleInbound } from '../../inbound/inbound';
import { describeTelegramError, sendTelegram } from './telegram-channel';
import { toInboundUpdate } from './updates';

/**
 * One Telegram update, from long polling or the webhook: normalised, handed to the inbound
 * pipeline, the immediate reply sent, and a pressed button answered so it stops spinning.
 * Throws when the update could not be stored, so it is delivered again (duplicates are dropped
 * by the inbound pipeline).
 */
export async function handleTelegramUpdate(ctx: InboundContext, botId: number, api: Api, update: Update): Promise<void> {
  const inbound = toInboundUpdate(botId, update);
  if (!inbound) return;
  try {
    const result = await handleInbound(ctx, inbound);
    if (result.reply) {
      const outcome = await sendTelegram(api, inbound.chatId, result.reply);
      if (outcome.kind !== 'ok') ctx.logger.warn({ botId, outcome, traceId: result.traceId }, 'immediate reply not delivered');
    }
  } finally {
    if (inbound.kind === 'button' && inbound.callbackId) {
      await api.answerCallbackQuery(inbound.callbackId).catch((err: unknown) => ctx.logger.debug({ error: describeTelegramError(err), botId }, 'answerCallbackQuery failed'));
    }
  }
}
