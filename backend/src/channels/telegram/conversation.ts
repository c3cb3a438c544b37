import type { Api } from 'grammy';
import type { ActionOutcome, ConversationActions, MessageEdit } from '../channel';
import { describeTelegramError, replyMarkupFor } from './telegram-wire';

/**
 * Telegram's methods on a conversation: editMessageText / editMessageCaption /
 * editMessageReplyMarkup, deleteMessage (each message of an album), sendChatAction and
 * answerCallbackQuery. Telegram's refusal is the reason given back, without the token.
 */

async function outcome(call: () => Promise<unknown>): Promise<ActionOutcome> {
  try {
    await call();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: describeTelegramError(error) };
  }
}

function messageIds(externalId: string): number[] {
  return externalId.split(',').map(Number).filter((id) => Number.isSafeInteger(id) && id > 0);
}

function edit(api: Api, chatId: string, externalId: string, change: MessageEdit): Promise<ActionOutcome> {
  const [first] = messageIds(externalId);
  if (first === undefined) return Promise.resolve({ ok: false, reason: 'the channel gave this message no id' });
  const markup = change.buttons ? replyMarkupFor({ text: '', buttons: change.buttons }) : undefined;
  const keyboard = markup && 'inline_keyboard' in markup ? markup : { inline_keyboard: [] };
  const options = { ...(change.parseMode ? { parse_mode: change.parseMode } : {}), ...(change.buttons ? { reply_markup: keyboard } : {}) };
  if (change.text === undefined) return outcome(() => api.editMessageReplyMarkup(chatId, first, { reply_markup: keyboard }));
  if (change.isCaption) return outcome(() => api.editMessageCaption(chatId, first, { caption: change.text, ...options }));
  return outcome(() => api.editMessageText(chatId, first, change.text!, options));
}

async function remove(api: Api, chatId: string, externalId: string): Promise<ActionOutcome> {
  const ids = messageIds(externalId);
  if (ids.length === 0) return { ok: false, reason: 'the channel gave this message no id' };
  for (const id of ids) {
    const done = await outcome(() => api.deleteMessage(chatId, id));
    if (!done.ok) return done;
  }
  return { ok: true };
}

type ChatAction = Parameters<Api['sendChatAction']>[1];

/** The conversation actions of the Telegram channel; `apiFor` is the bot's client (undefined without a token). */
export function telegramActions(apiFor: (botId: number) => Promise<Api | undefined>): ConversationActions {
  const withApi = async (botId: number, act: (api: Api) => Promise<ActionOutcome>): Promise<ActionOutcome> => {
    const api = await apiFor(botId);
    return api ? act(api) : { ok: false, reason: 'this bot has no Telegram token (metabot-backend bot set-telegram-token)' };
  };
  return {
    edit: (recipient, externalId, change) => withApi(recipient.botId, (api) => edit(api, recipient.chatId, externalId, change)),
    remove: (recipient, externalId) => withApi(recipient.botId, (api) => remove(api, recipient.chatId, externalId)),
    chatAction: (recipient, action) => withApi(recipient.botId, (api) => outcome(() => api.sendChatAction(recipient.chatId, action as ChatAction))),
    answerButton: (botId, callbackId, answer) =>
      withApi(botId, (api) => outcome(() => api.answerCallbackQuery(callbackId, { ...(answer.text ? { text: answer.text } : {}), ...(answer.showAlert ? { show_alert: true } : {}) }))),
  };
}
