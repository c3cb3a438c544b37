import { Api } from 'grammy';
import type { AppContext } from '../../platform/context';
import type { OutboundChannel, RenderedMessage, SendOptions, SendOutcome } from '../channel';
import { perBotCache } from '../per-bot-cache';
import { telegramActions } from './conversation';
import { classifyTelegramError, replyMarkupFor } from './telegram-wire';
import { sendAlbum, sendInvoice, sendLocation, sendMedia } from './media';
import { getTelegramBot } from './telegram-store';

const API_CACHE_MS = 5_000;

/** grammY's client for one bot, pointed at TELEGRAM_API_ROOT (Telegram, a local Bot API server, or the stand-in). */
export function telegramApi(ctx: AppContext, token: string): Api {
  return new Api(token, { apiRoot: ctx.config.TELEGRAM_API_ROOT, timeoutSeconds: 30 });
}

/** An album's message ids, as many as the recipient row's 100 characters hold (the first always). */
function joinedIds(ids: number[]): string {
  let joined = String(ids[0]);
  for (const id of ids.slice(1)) {
    if (joined.length + 1 + String(id).length > 100) break;
    joined += `,${id}`;
  }
  return joined;
}

export async function sendTelegram(api: Api, chatId: string, message: RenderedMessage, options: SendOptions = {}): Promise<SendOutcome> {
  const common = {
    parse_mode: message.parseMode,
    reply_markup: replyMarkupFor(message),
    ...(options.paidBroadcast ? { allow_paid_broadcast: true } : {}),
  };
  try {
    if (message.media || message.album || message.location || message.invoice) {
      const send = message.album ? sendAlbum : message.location ? sendLocation : message.invoice ? sendInvoice : sendMedia;
      const sent = await send(api, chatId, message, common);
      return { kind: 'ok', externalId: joinedIds(sent.messageIds), ...(sent.uploaded.length ? { uploaded: sent.uploaded } : {}) };
    }
    const sent = message.imageUrl
      ? await api.sendPhoto(chatId, message.imageUrl, { ...common, caption: message.text || undefined })
      : await api.sendMessage(chatId, message.text, common);
    return { kind: 'ok', externalId: String(sent.message_id) };
  } catch (error) {
    return classifyTelegramError(error);
  }
}

/** The Telegram channel for delivery: one grammY client per bot, rebuilt when the token changes. */
export function telegramChannel(ctx: AppContext): OutboundChannel {
  const clientFor = perBotCache(async (botId) => {
    const record = await getTelegramBot(ctx, botId);
    return record ? telegramApi(ctx, record.token) : undefined;
  }, API_CACHE_MS);
  return {
    name: 'telegram',
    actions: telegramActions(clientFor),
    async send(recipient, message, options) {
      const api = await clientFor(recipient.botId);
      if (!api) return { kind: 'permanent', reason: 'this bot has no Telegram token (metabot-backend bot set-telegram-token)' };
      return sendTelegram(api, recipient.chatId, message, options);
    },
  };
}
