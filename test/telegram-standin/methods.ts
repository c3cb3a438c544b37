import type { BotState, InlineButton, RecordedMessage, Update } from './bot-state';
import { chatObject, checkThread, forumMethods } from './forum';
import { CHAT_ACTIONS, mediaFields } from './media';
import { checkKeyboardSize, richMethods, visibleLength } from './media-methods';

/** What a method answers: Telegram's envelope, with the HTTP status Telegram would use. */
export type MethodResult =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

export class TelegramError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

export const badRequest = (what: string) => new TelegramError(400, `Bad Request: ${what}`);

export type Params = Record<string, unknown>;

export function chatIdOf(params: Params): number {
  const value = Number(params.chat_id);
  if (!Number.isSafeInteger(value) || value === 0) throw badRequest('chat not found');
  return value;
}

export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  return String(value);
}

export function jsonParam(params: Params, name: string): Record<string, unknown> | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as Record<string, unknown>;
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }
  return value as Record<string, unknown>;
}

const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);
const MARKDOWN_V2_RESERVED = /(^|[^\\])([.!\-=+#|{}])/;

/** Telegram refuses text its parser cannot read; the stand-in checks the common mistakes. */
export function checkEntities(text: string, parseMode: string | undefined): void {
  if (parseMode === 'HTML') {
    const stack: string[] = [];
    for (const match of text.matchAll(/<(\/?)([a-zA-Z-]+)[^>]*>/g)) {
      const [, closing, name] = match;
      const tag = name.toLowerCase();
      if (!HTML_TAGS.has(tag)) throw badRequest(`can't parse entities: Unsupported start tag "${tag}"`);
      if (!closing) stack.push(tag);
      else if (stack.pop() !== tag) throw badRequest(`can't parse entities: Unexpected end tag "${tag}"`);
    }
    if (stack.length > 0) throw badRequest(`can't parse entities: Can't find end tag corresponding to start tag "${stack.pop()}"`);
  }
  if (parseMode === 'MarkdownV2') {
    const reserved = MARKDOWN_V2_RESERVED.exec(text);
    if (reserved) throw badRequest(`can't parse entities: Character '${reserved[2]}' is reserved and must be escaped with the preceding '\\'`);
  }
}

export function checkReplyMarkup(markup: Record<string, unknown> | undefined): void {
  const rows = markup?.inline_keyboard;
  if (!rows) return;
  if (!Array.isArray(rows)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array');
  checkKeyboardSize(rows as InlineButton[][]);
  for (const row of rows as InlineButton[][]) {
    for (const button of row) {
      if (!button.text) throw badRequest('text buttons are unallowed in the inline keyboard');
      if (button.callback_data !== undefined && Buffer.byteLength(button.callback_data) > 64) throw badRequest('BUTTON_DATA_INVALID');
      if (button.callback_data === undefined && button.url === undefined) throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must have exactly one optional field");
    }
  }
}

export function checkNotBlocked(bot: BotState, chatId: number): void {
  if (bot.blockedBy.has(chatId)) {
    bot.rejected.blocked += 1;
    throw new TelegramError(403, 'Forbidden: bot was blocked by the user');
  }
}

/**
 * Admits a send under the flood limits, or throws 429. Returns the admission time, which the record
 * of the message carries: the limiter and anyone counting the recorded messages then see the same
 * instant (two readings of the clock could straddle a millisecond and put 31 in a 1 s window).
 */
export function admit(bot: BotState, chatId: number, params: Params): { paid: boolean; at: number } {
  const paid = params.allow_paid_broadcast === true || params.allow_paid_broadcast === 'true';
  const at = Date.now();
  const retryAfter = bot.limiter.admit(chatId, paid, at);
  if (retryAfter > 0) {
    bot.rejected.rateLimited += 1;
    throw new TelegramError(429, `Too Many Requests: retry after ${retryAfter}`, retryAfter);
  }
  return { paid, at };
}

export function messageObject(bot: BotState, record: RecordedMessage): Record<string, unknown> {
  const group = bot.groups.get(record.chatId);
  const chat = record.chatId > 0
    ? { id: record.chatId, type: 'private', first_name: bot.user(record.chatId).first_name }
    : group ? chatObject(group) : { id: record.chatId, type: 'group', title: `Group ${record.chatId}` };
  return {
    message_id: record.messageId,
    from: { id: bot.id, is_bot: true, first_name: bot.username, username: bot.username },
    chat,
    date: Math.floor(record.at / 1000),
    ...(record.messageThreadId !== undefined ? { message_thread_id: record.messageThreadId, is_topic_message: true } : {}),
    ...(record.text !== undefined ? { text: record.text } : {}),
    ...(record.photo !== undefined && !record.file ? { photo: [{ file_id: `photo-${record.messageId}`, file_unique_id: `u${record.messageId}`, width: 800, height: 600 }] } : {}),
    ...mediaFields(bot, record),
    ...(record.caption !== undefined ? { caption: record.caption } : {}),
    ...(record.replyMarkup?.inline_keyboard ? { reply_markup: { inline_keyboard: record.replyMarkup.inline_keyboard } } : {}),
    ...(record.edits.length > 0 ? { edit_date: Math.floor(record.edits[record.edits.length - 1].at / 1000) } : {}),
  };
}

function send(bot: BotState, method: 'sendMessage', params: Params): unknown {
  const chatId = chatIdOf(params);
  const text = stringParam(params, 'text');
  if (!text?.trim()) throw badRequest('message text is empty');
  if (visibleLength(text, stringParam(params, 'parse_mode')) > 4096) throw badRequest('message is too long');
  const parseMode = stringParam(params, 'parse_mode');
  checkEntities(text, parseMode);
  const replyMarkup = jsonParam(params, 'reply_markup');
  checkReplyMarkup(replyMarkup);
  checkNotBlocked(bot, chatId);
  const messageThreadId = checkThread(bot, chatId, params);
  const admitted = admit(bot, chatId, params);
  const record: RecordedMessage = {
    botId: bot.id,
    chatId,
    messageId: bot.newMessageId(chatId),
    method,
    ...(messageThreadId !== undefined ? { messageThreadId } : {}),
    text,
    parseMode,
    replyMarkup,
    paidBroadcast: admitted.paid,
    at: admitted.at,
    edits: [],
  };
  bot.messages.push(record);
  bot.onMessage?.(record);
  return messageObject(bot, record);
}

export function findMessage(bot: BotState, params: Params): RecordedMessage {
  const chatId = chatIdOf(params);
  const messageId = Number(params.message_id);
  const record = bot.messages.find((m) => m.chatId === chatId && m.messageId === messageId && !m.deleted);
  if (!record) throw badRequest('message to edit not found');
  return record;
}

function editText(bot: BotState, params: Params): unknown {
  const record = findMessage(bot, params);
  const text = stringParam(params, 'text');
  if (!text?.trim()) throw badRequest('message text is empty');
  if (record.text === undefined) throw badRequest('there is no text in the message to edit');
  if (visibleLength(text, stringParam(params, 'parse_mode')) > 4096) throw badRequest('MESSAGE_TOO_LONG');
  checkEntities(text, stringParam(params, 'parse_mode'));
  const replyMarkup = jsonParam(params, 'reply_markup');
  checkReplyMarkup(replyMarkup);
  if (text === record.text && JSON.stringify(replyMarkup) === JSON.stringify(record.replyMarkup)) {
    throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
  }
  record.text = text;
  record.replyMarkup = replyMarkup;
  record.edits.push({ at: Date.now(), text, replyMarkup });
  return messageObject(bot, record);
}

function editReplyMarkup(bot: BotState, params: Params): unknown {
  const record = findMessage(bot, params);
  const replyMarkup = jsonParam(params, 'reply_markup');
  checkReplyMarkup(replyMarkup);
  record.replyMarkup = replyMarkup;
  record.edits.push({ at: Date.now(), replyMarkup });
  return messageObject(bot, record);
}

function answerCallbackQuery(bot: BotState, params: Params): true {
  const query = bot.callbackQueries.get(String(params.callback_query_id));
  if (!query || query.answered) throw badRequest('query is too old and response timeout expired or query ID is invalid');
  const text = stringParam(params, 'text');
  if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
  query.answered = { text, showAlert: params.show_alert === true || params.show_alert === 'true', at: Date.now() };
  return true;
}

export interface MethodContext {
  bot: BotState;
  /** Starts webhook delivery after setWebhook. */
  kickWebhook(): void;
}

/** Runs one Bot API method. Long polling is the only method that waits. */
export async function runMethod(method: string, params: Params, ctx: MethodContext): Promise<unknown> {
  const { bot } = ctx;
  switch (method) {
    case 'getMe':
      return { id: bot.id, is_bot: true, first_name: bot.username, username: bot.username, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
    case 'getUpdates':
      return getUpdates(bot, params);
    case 'setWebhook': {
      const url = stringParam(params, 'url') ?? '';
      if (url === '') {
        bot.webhook = undefined;
        return true;
      }
      if (!/^https?:\/\//.test(url)) throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      const secretToken = stringParam(params, 'secret_token');
      if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) throw badRequest('secret token contains unallowed characters');
      if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') bot.dropPending();
      bot.cancelPoll();
      bot.webhook = { url, secretToken, allowedUpdates: params.allowed_updates as string[] | undefined };
      ctx.kickWebhook();
      return true;
    }
    case 'deleteWebhook':
      bot.webhook = undefined;
      if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') bot.dropPending();
      return true;
    case 'getWebhookInfo':
      return {
        url: bot.webhook?.url ?? '',
        has_custom_certificate: false,
        pending_update_count: bot.pendingUpdates,
        max_connections: 40,
        ...(bot.webhook?.lastErrorDate ? { last_error_date: bot.webhook.lastErrorDate, last_error_message: bot.webhook.lastErrorMessage } : {}),
      };
    case 'sendMessage':
      return send(bot, method, params);
    case 'editMessageText':
      return editText(bot, params);
    case 'editMessageReplyMarkup':
      return editReplyMarkup(bot, params);
    case 'answerCallbackQuery':
      return answerCallbackQuery(bot, params);
    case 'sendChatAction':
      checkNotBlocked(bot, chatIdOf(params));
      if (!CHAT_ACTIONS.includes(String(params.action))) throw badRequest('wrong parameter action in request');
      bot.chatActions.push({ chatId: chatIdOf(params), action: String(params.action), at: Date.now() });
      return true;
    case 'setMyCommands':
      bot.commands = (jsonParam(params, 'commands') as unknown[] | undefined) ?? [];
      return true;
    case 'getMyCommands':
      return bot.commands;
    case 'close':
    case 'logOut':
      return true;
    default: {
      const rich = richMethods[method] ?? forumMethods[method];
      if (rich) return rich(ctx.bot, params);
      throw new TelegramError(404, 'Not Found: method not found');
    }
  }
}

async function getUpdates(bot: BotState, params: Params): Promise<Update[]> {
  if (bot.webhook) throw new TelegramError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
  const offset = Number(params.offset ?? 0);
  const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
  const timeoutMs = Math.min(50, Math.max(0, Number(params.timeout ?? 0))) * 1000;
  const updates = await bot.poll(offset, limit, timeoutMs);
  if (updates === 'conflict') {
    throw new TelegramError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
  }
  return updates;
}
