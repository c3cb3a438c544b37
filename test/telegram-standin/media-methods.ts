import type { BotState, InlineButton, RecordedMessage, SentFile } from './bot-state';
import { paymentMethods } from './payments';
import { canDelete, checkAlbum, checkLocation, FILE_LIMITS, getFile, takeFile } from './media';
import { admit, badRequest, chatIdOf, checkEntities, checkNotBlocked, checkReplyMarkup, findMessage, jsonParam, messageObject, type Params, stringParam } from './methods';

/**
 * The Bot API methods of rich messages (media.ts states the rules and where they come from):
 * sending each kind of file, albums and locations, editing a caption, deleting a message and
 * getFile. Kept apart from methods.ts so the text-message methods stay as they were.
 */

/** Telegram's count "after entities parsing": markup does not count (HTML tags, MarkdownV2 escapes). */
export function visibleLength(text: string, parseMode: string | undefined): number {
  if (parseMode === 'HTML') return text.replace(/<[^>]*>/g, '').replace(/&(lt|gt|quot|amp|#\d+);/g, '_').length;
  if (parseMode === 'MarkdownV2') return text.replace(/\\(.)/g, '$1').length;
  return text.length;
}

/** At most 8 buttons a row and 100 in all (BUTTONS_TOO_MUCH past either; not in the Bot API text, but what Telegram answers). */
export function checkKeyboardSize(rows: InlineButton[][]): void {
  if (rows.some((row) => Array.isArray(row) && row.length > 8) || rows.flat().length > 100) throw badRequest('BUTTONS_TOO_MUCH');
}

const FILE_METHODS: Record<string, string> = {
  sendPhoto: 'photo',
  sendDocument: 'document',
  sendVideo: 'video',
  sendAudio: 'audio',
  sendVoice: 'voice',
  sendAnimation: 'animation',
};

function record(bot: BotState, method: RecordedMessage['method'], chatId: number, params: Params, fields: Partial<RecordedMessage>, at: number, paid: boolean): RecordedMessage {
  const message: RecordedMessage = {
    botId: bot.id,
    chatId,
    messageId: bot.newMessageId(chatId),
    method,
    parseMode: stringParam(params, 'parse_mode'),
    paidBroadcast: paid,
    at,
    edits: [],
    ...fields,
  };
  bot.messages.push(message);
  bot.onMessage?.(message);
  return message;
}

function captionOf(params: Params, caption = stringParam(params, 'caption'), parseMode = stringParam(params, 'parse_mode')): string | undefined {
  if (caption === undefined) return undefined;
  if (visibleLength(caption, parseMode) > FILE_LIMITS.caption) throw badRequest('message caption is too long');
  checkEntities(caption, parseMode);
  return caption;
}

function sendFile(bot: BotState, method: string, params: Params): unknown {
  const kind = FILE_METHODS[method];
  const chatId = chatIdOf(params);
  const caption = captionOf(params);
  const replyMarkup = jsonParam(params, 'reply_markup');
  checkReplyMarkup(replyMarkup);
  const { sent } = takeFile(bot, kind, params[kind], params);
  checkNotBlocked(bot, chatId);
  const admitted = admit(bot, chatId, params);
  // `photo` records what the request named: the URL or file id as given, the new file id for an upload.
  const named = sent.via === 'upload' ? sent.fileId : String(params[kind]);
  const fields = { caption, replyMarkup, file: sent, ...(kind === 'photo' ? { photo: named } : {}) };
  return messageObject(bot, record(bot, method as RecordedMessage['method'], chatId, params, fields, admitted.at, admitted.paid));
}

function sendLocation(bot: BotState, params: Params): unknown {
  const chatId = chatIdOf(params);
  const location = checkLocation(params);
  const replyMarkup = jsonParam(params, 'reply_markup');
  checkReplyMarkup(replyMarkup);
  checkNotBlocked(bot, chatId);
  const admitted = admit(bot, chatId, params);
  return messageObject(bot, record(bot, 'sendLocation', chatId, params, { location, replyMarkup }, admitted.at, admitted.paid));
}

function sendMediaGroup(bot: BotState, params: Params): unknown {
  const chatId = chatIdOf(params);
  const items = checkAlbum(jsonParam(params, 'media'));
  const files: SentFile[] = items.map((item) => {
    captionOf(params, item.caption, item.parse_mode);
    return takeFile(bot, item.type, item.media, params).sent;
  });
  checkNotBlocked(bot, chatId);
  const admitted = admit(bot, chatId, params);
  const groupId = `${bot.id}${Date.now()}${bot.nextFileNumber}`;
  return items.map((item, i) => {
    const fields = { caption: item.caption, parseMode: item.parse_mode, file: files[i], mediaGroupId: groupId, ...(item.type === 'photo' ? { photo: files[i].fileId } : {}) };
    return messageObject(bot, record(bot, 'sendMediaGroup', chatId, params, fields, admitted.at, admitted.paid));
  });
}

function editCaption(bot: BotState, params: Params): unknown {
  const message = findMessage(bot, params);
  if (!message.file) throw badRequest('there is no caption in the message to edit');
  const caption = captionOf(params) ?? '';
  const replyMarkup = jsonParam(params, 'reply_markup');
  checkReplyMarkup(replyMarkup);
  if (caption === (message.caption ?? '') && JSON.stringify(replyMarkup) === JSON.stringify(message.replyMarkup)) {
    throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
  }
  message.caption = caption;
  message.replyMarkup = replyMarkup;
  message.edits.push({ at: Date.now(), text: caption, replyMarkup });
  return messageObject(bot, message);
}

function deleteMessage(bot: BotState, params: Params): true {
  const chatId = chatIdOf(params);
  const messageId = Number(params.message_id);
  const message = bot.messages.find((m) => m.chatId === chatId && m.messageId === messageId);
  if (!message) throw badRequest('message to delete not found');
  canDelete(message, Date.now());
  message.deleted = true;
  return true;
}

/** The methods runMethod hands over (methods.ts), by name. */
export const richMethods: Record<string, (bot: BotState, params: Params) => unknown> = {
  ...Object.fromEntries(Object.keys(FILE_METHODS).map((method) => [method, (bot: BotState, params: Params) => sendFile(bot, method, params)])),
  sendLocation,
  sendMediaGroup,
  editMessageCaption: editCaption,
  deleteMessage,
  getFile,
  ...paymentMethods,
};
