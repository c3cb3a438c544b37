import type { Knex } from 'knex';
import type { FileSource, RenderedMedia, RenderedMessage, UploadedFileId } from '../channels/channel';
import type { StoredAlbumItem, StoredMedia, StoredSource } from './media-schema';
import type { MessageContent } from './messages';

/** A file uploaded with a message, without its bytes: its row id and the Telegram file id once known. */
export interface StoredFile {
  id: number;
  position: number;
  telegramFileId: string | null;
}

export async function loadFileBytes(db: Knex, id: number): Promise<Buffer> {
  const row = await db('message_files').where({ id }).first('data');
  if (!row) throw new Error(`stored file ${id} is gone`);
  return Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data);
}

export async function recordFileIds(db: Knex, uploaded: UploadedFileId[]): Promise<void> {
  for (const { ref, fileId } of uploaded) await db('message_files').where({ id: ref }).whereNull('telegram_file_id').update({ telegram_file_id: fileId });
}

function renderedSource(source: StoredSource, files: StoredFile[]): FileSource {
  if (!('upload' in source)) return source;
  const file = files.find((f) => f.position === source.upload.position);
  if (!file) throw new Error(`the file uploaded at position ${source.upload.position} is missing`);
  return { upload: { ref: file.id, fileName: source.upload.fileName, size: source.upload.size, ...(source.upload.mimeType ? { mimeType: source.upload.mimeType } : {}) } };
}

const renderedMedia = (media: StoredMedia, files: StoredFile[]): RenderedMedia => ({ kind: media.kind, source: renderedSource(media.source, files) });

/** The message's files as a channel gets them: uploads name their stored row (bytes loaded later, only where needed). */
export function renderedFiles(content: MessageContent, files: StoredFile[]): Pick<RenderedMessage, 'media' | 'album' | 'location' | 'invoice'> {
  return {
    ...(content.invoice ? { invoice: content.invoice } : {}),
    ...(content.media ? { media: renderedMedia(content.media, files) } : {}),
    ...(content.album ? { album: content.album.map((item: StoredAlbumItem) => ({ ...renderedMedia(item, files), ...(item.caption ? { caption: item.caption } : {}) })) } : {}),
    ...(content.location ? { location: content.location } : {}),
  };
}

/**
 * The message as Telegram gets it: an upload already made (by an earlier recipient) goes by its
 * file id, one not yet made carries its bytes.
 */
export async function withTelegramFiles(db: Knex, message: RenderedMessage, fileIdOf: (ref: number) => string | null): Promise<RenderedMessage> {
  const resolve = async (source: FileSource): Promise<FileSource> => {
    if (!('upload' in source)) return source;
    const fileId = fileIdOf(source.upload.ref);
    if (fileId) return { fileId };
    return { upload: { ...source.upload, bytes: await loadFileBytes(db, source.upload.ref) } };
  };
  return {
    ...message,
    ...(message.media ? { media: { ...message.media, source: await resolve(message.media.source) } } : {}),
    ...(message.album ? { album: await Promise.all(message.album.map(async (item) => ({ ...item, source: await resolve(item.source) }))) } : {}),
  };
}
