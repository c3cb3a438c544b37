import crypto from 'node:crypto';
import type { BotState, RecordedMessage, SentFile, StandinFile } from './bot-state';
import { TelegramError } from './methods';

/**
 * Files on the Bot API as the stand-in enforces them (core.telegram.org/bots/api):
 * - "Sending files": by file_id (of this bot only — "file_id is unique for each individual bot and
 *   can't be transferred from one bot to another"), by HTTP URL (5 MB for photos, 20 MB for other
 *   content; the stand-in does not fetch it, only checks the scheme), or uploaded with
 *   multipart/form-data (10 MB for photos, 50 MB for other files); `attach://<name>` names a part.
 * - sendPhoto, sendDocument, sendVideo, sendAudio, sendVoice, sendAnimation: "caption 0-1024
 *   characters after entities parsing".
 * - sendMediaGroup: "an array describing messages to be sent, must include 2-10 items"; "documents
 *   and audio files can be only grouped in an album with messages of the same type"; no
 *   reply_markup; each item's caption 0-1024.
 * - sendLocation: latitude and longitude of the location.
 * - getFile: "bots can download files of up to 20MB in size"; the file is then at
 *   /file/bot<token>/<file_path>.
 * - deleteMessage: "a message can only be deleted if it was sent less than 48 hours ago".
 * - editMessageCaption: the caption of a message with media.
 * - sendChatAction: one of the documented actions.
 * Error descriptions are Telegram's where known (wrong file identifier, message caption is too
 * long, Request Entity Too Large); the others are close paraphrases.
 */

export const FILE_LIMITS = {
  uploadPhoto: 10 * 1024 * 1024,
  uploadOther: 50 * 1024 * 1024,
  download: 20 * 1024 * 1024,
  caption: 1024,
  albumMin: 2,
  albumMax: 10,
  deleteWindowMs: 48 * 3_600_000,
};

export const CHAT_ACTIONS = ['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note'];

/** What an uploaded multipart part is before the method reads it. */
export interface UploadedPart {
  bytes: Buffer;
  fileName: string;
  mimeType: string;
}

const bad = (what: string) => new TelegramError(400, `Bad Request: ${what}`);

type Params = Record<string, unknown>;

/**
 * multipart/form-data as Telegram reads it: fields as strings, files as parts. Parsed by hand:
 * grammY writes headers without spaces and file names unquoted, which Node's FormData parser refuses.
 */
export function readMultipart(raw: Buffer, contentType: string): Params {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) throw new Error('multipart without a boundary');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const params: Params = {};
  let start = raw.indexOf(delimiter);
  while (start >= 0) {
    const partStart = start + delimiter.length;
    if (raw.subarray(partStart, partStart + 2).toString() === '--') break;
    const next = raw.indexOf(delimiter, partStart);
    if (next < 0) break;
    const part = raw.subarray(partStart + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const body = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const fileName = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(headers);
    const mimeType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? 'application/octet-stream';
    if (name !== undefined) params[name] = fileName ? ({ bytes: Buffer.from(body), fileName: fileName[1] ?? fileName[2], mimeType } satisfies UploadedPart) : body.toString('utf8');
    start = next;
  }
  return params;
}

function isPart(value: unknown): value is UploadedPart {
  return typeof value === 'object' && value !== null && Buffer.isBuffer((value as UploadedPart).bytes);
}

function storeFile(bot: BotState, kind: string, fields: Omit<StandinFile, 'fileId' | 'fileUniqueId' | 'kind' | 'filePath'>): StandinFile {
  const n = bot.nextFileNumber++;
  const file: StandinFile = {
    fileId: `${kind}_${bot.id}_${n}_${crypto.randomBytes(6).toString('base64url')}`,
    fileUniqueId: `u${bot.id}${n}`,
    kind,
    filePath: `${kind}s/file_${n}${fields.fileName ? `_${fields.fileName.replace(/[^\w.-]/g, '_')}` : ''}`,
    ...fields,
  };
  bot.files.set(file.fileId, file);
  return file;
}

/** A file a user sends the bot (a photo, a document, a voice message): stored so getFile serves it. */
export function userFile(bot: BotState, kind: string, bytes: Buffer, fileName?: string, mimeType?: string): StandinFile {
  return storeFile(bot, kind, { size: bytes.length, bytes, fileName, mimeType });
}

/** The file a send names: a part (`attach://x` or the field itself), a URL, or a file id of this bot. */
export function takeFile(bot: BotState, kind: string, value: unknown, params: Params): { file: StandinFile; sent: SentFile } {
  let input = value;
  if (typeof input === 'string' && input.startsWith('attach://')) {
    input = params[input.slice('attach://'.length)];
    if (!isPart(input)) throw bad(`file for ${kind} not found in the request`);
  }
  if (isPart(input)) {
    const limit = kind === 'photo' ? FILE_LIMITS.uploadPhoto : FILE_LIMITS.uploadOther;
    if (input.bytes.length > limit) throw new TelegramError(413, 'Request Entity Too Large');
    if (input.bytes.length === 0) throw bad('file must be non-empty');
    const file = storeFile(bot, kind, { size: input.bytes.length, bytes: input.bytes, fileName: input.fileName, mimeType: input.mimeType });
    return { file, sent: { kind, fileId: file.fileId, via: 'upload' } };
  }
  if (typeof input !== 'string' || input === '') throw bad(`there is no ${kind} in the request`);
  if (/^https?:\/\//.test(input)) {
    const file = storeFile(bot, kind, { size: 0, url: input });
    return { file, sent: { kind, fileId: file.fileId, via: 'url' } };
  }
  const known = bot.files.get(input);
  if (!known) throw bad('wrong file identifier/HTTP URL specified');
  if (kind !== 'document' && known.kind !== kind) throw bad(`wrong file identifier/HTTP URL specified: can't use file of type ${known.kind} as ${kind}`);
  return { file: known, sent: { kind, fileId: known.fileId, via: 'file_id' } };
}

/** The Message fields of a recorded message's file or location. */
export function mediaFields(bot: BotState, record: RecordedMessage): Record<string, unknown> {
  if (record.location) return { location: record.location };
  if (!record.file) return {};
  const file = bot.files.get(record.file.fileId)!;
  const base = { file_id: file.fileId, file_unique_id: file.fileUniqueId, ...(file.size ? { file_size: file.size } : {}) };
  const named = { ...base, ...(file.fileName ? { file_name: file.fileName } : {}), ...(file.mimeType ? { mime_type: file.mimeType } : {}) };
  const group = record.mediaGroupId ? { media_group_id: record.mediaGroupId } : {};
  switch (record.file.kind) {
    case 'photo':
      return { ...group, photo: [{ ...base, file_id: `${file.fileId}`, width: 1280, height: 960 }] };
    case 'animation':
      return { ...group, animation: { ...named, width: 320, height: 240, duration: 3 }, document: named };
    case 'video':
      return { ...group, video: { ...named, width: 1280, height: 720, duration: 10 } };
    case 'audio':
      return { ...group, audio: { ...named, duration: 30 } };
    case 'voice':
      return { ...group, voice: { ...base, duration: 5, mime_type: file.mimeType ?? 'audio/ogg' } };
    default:
      return { ...group, document: named };
  }
}

/** getFile: what the bot may download (20 MB at most), at /file/bot<token>/<file_path>. */
export function getFile(bot: BotState, params: Params): Record<string, unknown> {
  const file = bot.files.get(String(params.file_id ?? ''));
  if (!file) throw bad('invalid file_id');
  if (file.size > FILE_LIMITS.download) throw bad('file is too big');
  return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size, file_path: file.filePath };
}

/** The bytes at a file_path getFile gave, or undefined (Telegram answers 404). */
export function downloadFile(bot: BotState, filePath: string): StandinFile | undefined {
  for (const file of bot.files.values()) if (file.filePath === filePath && file.bytes) return file;
  return undefined;
}

type AlbumItem = { type: string; media: unknown; caption?: string; parse_mode?: string };

/** sendMediaGroup's media: 2–10 items, photos with videos or documents alone or audio alone. */
export function checkAlbum(media: unknown): AlbumItem[] {
  if (!Array.isArray(media)) throw bad('field "media" must be an Array');
  if (media.length < FILE_LIMITS.albumMin || media.length > FILE_LIMITS.albumMax) throw bad('media must include 2-10 items');
  const items = media as AlbumItem[];
  const family = (t: string) => (t === 'video' ? 'photo' : t);
  const families = new Set(items.map((i) => family(i.type)));
  for (const item of items) {
    if (!['photo', 'video', 'document', 'audio'].includes(item.type)) throw bad(`unsupported media type "${item.type}" in an album`);
  }
  if (families.size > 1) {
    const odd = items.find((i) => i.type === 'document' || i.type === 'audio')!;
    throw bad(`${odd.type} can't be mixed with other media types`);
  }
  return items;
}

export function checkLocation(params: Params): { latitude: number; longitude: number } {
  const latitude = Number(params.latitude);
  const longitude = Number(params.longitude);
  if (!Number.isFinite(latitude) || Math.abs(latitude) > 90) throw bad('wrong latitude');
  if (!Number.isFinite(longitude) || Math.abs(longitude) > 180) throw bad('wrong longitude');
  return { latitude, longitude };
}

export function canDelete(record: RecordedMessage, now: number): void {
  if (record.deleted) throw bad('message to delete not found');
  if (now - record.at > FILE_LIMITS.deleteWindowMs) throw bad("message can't be deleted for everyone");
}
