import { type Api, InputFile } from 'grammy';
import type { InputMediaAudio, InputMediaDocument, InputMediaPhoto, InputMediaVideo, Message } from 'grammy/types';
import type { FileSource, RenderedMedia, RenderedMessage, UploadedFileId } from '../channel';

/**
 * Files on Telegram: one send method per kind (sendPhoto, sendDocument, sendVideo, sendAudio,
 * sendVoice, sendAnimation), sendMediaGroup for an album and sendLocation. A file goes by URL, by
 * a file id of this bot, or uploaded (multipart, grammY's InputFile); an upload's `file_id` in
 * Telegram's answer is handed back so every later recipient is sent the id, not the bytes.
 */

type Common = Record<string, unknown>;

function inputOf(source: FileSource): InputFile | string {
  if ('url' in source) return source.url;
  if ('fileId' in source) return source.fileId;
  if (!source.upload.bytes) throw new Error(`the stored file ${source.upload.ref} was not loaded`);
  return new InputFile(source.upload.bytes, source.upload.fileName);
}

/** The file id Telegram gave the file of a sent message (the largest size of a photo). */
export function fileIdOf(message: Message): string | undefined {
  if (message.photo?.length) return message.photo[message.photo.length - 1].file_id;
  return (message.animation ?? message.video ?? message.audio ?? message.voice ?? message.document)?.file_id;
}

function uploadedId(source: FileSource, message: Message): UploadedFileId[] {
  if (!('upload' in source)) return [];
  const fileId = fileIdOf(message);
  return fileId ? [{ ref: source.upload.ref, fileId }] : [];
}

async function sendOne(api: Api, chatId: string, media: RenderedMedia, common: Common): Promise<Message> {
  const file = inputOf(media.source);
  switch (media.kind) {
    case 'photo':
      return api.sendPhoto(chatId, file, common);
    case 'document':
      return api.sendDocument(chatId, file, common);
    case 'video':
      return api.sendVideo(chatId, file, common);
    case 'audio':
      return api.sendAudio(chatId, file, common);
    case 'voice':
      return api.sendVoice(chatId, file, common);
    case 'animation':
      return api.sendAnimation(chatId, file, common);
  }
}

export interface MediaSent {
  messageIds: number[];
  uploaded: UploadedFileId[];
}

/** A message with one file: its text is the caption. */
export async function sendMedia(api: Api, chatId: string, message: RenderedMessage, common: Common): Promise<MediaSent> {
  const media = message.media!;
  const sent = await sendOne(api, chatId, media, { ...common, ...(message.text ? { caption: message.text } : {}) });
  return { messageIds: [sent.message_id], uploaded: uploadedId(media.source, sent) };
}

type AlbumMedia = InputMediaPhoto | InputMediaVideo | InputMediaDocument | InputMediaAudio;

/** An album: one message per item; the message text is the first item's caption unless that item has its own. */
export async function sendAlbum(api: Api, chatId: string, message: RenderedMessage, common: Common): Promise<MediaSent> {
  const items = message.album!;
  const media = items.map((item, i): AlbumMedia => {
    const caption = item.caption ?? (i === 0 && message.text ? message.text : undefined);
    const withCaption = caption ? { caption, ...(message.parseMode && !item.caption ? { parse_mode: message.parseMode } : {}) } : {};
    return { type: item.kind as AlbumMedia['type'], media: inputOf(item.source), ...withCaption } as AlbumMedia;
  });
  const { parse_mode: _unused, reply_markup: _none, ...rest } = common;
  const sent = await api.sendMediaGroup(chatId, media as InputMediaPhoto[], rest);
  return { messageIds: sent.map((m) => m.message_id), uploaded: items.flatMap((item, i) => (sent[i] ? uploadedId(item.source, sent[i]) : [])) };
}

export async function sendLocation(api: Api, chatId: string, message: RenderedMessage, common: Common): Promise<MediaSent> {
  const { latitude, longitude } = message.location!;
  const { parse_mode: _unused, ...rest } = common;
  const sent = await api.sendLocation(chatId, latitude, longitude, rest);
  return { messageIds: [sent.message_id], uploaded: [] };
}

/** An invoice; its buttons (the first is Telegram's Pay button) stay as the message gives them. */
export async function sendInvoice(api: Api, chatId: string, message: RenderedMessage, common: Common): Promise<MediaSent> {
  const invoice = message.invoice!;
  const { parse_mode: _unused, ...rest } = common;
  const sent = await api.sendInvoice(chatId, invoice.title, invoice.description, invoice.payload, invoice.currency, invoice.prices, {
    ...rest,
    ...(invoice.providerToken ? { provider_token: invoice.providerToken } : {}),
  });
  return { messageIds: [sent.message_id], uploaded: [] };
}
