import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../../platform/context';
import { makePrivateDir, writePrivateFile } from '../../platform/private-files';

/**
 * Files web-chat visitors send: the bytes in `DATA_DIR/webchat-files/<fileId>` (folder 0700, files
 * 0600), the name, detected type and size in `webchat_files`. The id (`wcf_` + 22 base64url) is the
 * file id workflows get in `message.received` and download with; it is random, so it names one
 * file of one bot and cannot be guessed.
 */
export interface VisitorFile {
  fileId: string;
  botId: number;
  visitorId: string;
  fileName: string;
  mimeType: string;
  size: number;
}

export const VISITOR_FILE_PREFIX = 'wcf_';
const fileIdPattern = /^wcf_[A-Za-z0-9_-]{22}$/;

export const isVisitorFileId = (value: string) => fileIdPattern.test(value);

function folderOf(ctx: AppContext): string {
  return path.resolve(ctx.config.DATA_DIR, 'webchat-files');
}

/** Stores the bytes first, then the row: a failed insert leaves no row pointing at nothing (the bytes are removed). */
export async function saveVisitorFile(ctx: AppContext, file: Omit<VisitorFile, 'fileId' | 'size'>, bytes: Buffer): Promise<VisitorFile> {
  const fileId = `${VISITOR_FILE_PREFIX}${crypto.randomBytes(16).toString('base64url')}`;
  const folder = folderOf(ctx);
  makePrivateDir(folder);
  const where = path.join(folder, fileId);
  await writePrivateFile(where, bytes);
  const stored: VisitorFile = { ...file, fileId, size: bytes.length };
  try {
    await ctx.db('webchat_files').insert({ file_id: fileId, bot_id: file.botId, visitor_id: file.visitorId, file_name: file.fileName, mime_type: file.mimeType, size: stored.size, created_at: ctx.clock.now() });
  } catch (error) {
    await fs.promises.rm(where, { force: true });
    throw error;
  }
  return stored;
}

/** Removes a file nobody will refer to (its message was refused by the rate limit, or was a repeat). */
export async function dropVisitorFile(ctx: AppContext, fileId: string): Promise<void> {
  await ctx.db('webchat_files').where({ file_id: fileId }).delete();
  await fs.promises.rm(path.join(folderOf(ctx), fileId), { force: true });
}

/** The file of this bot with this id, or undefined. */
export async function findVisitorFile(ctx: AppContext, botId: number, fileId: string): Promise<VisitorFile | undefined> {
  if (!isVisitorFileId(fileId)) return undefined;
  const row = await ctx.db('webchat_files').where({ file_id: fileId, bot_id: botId }).first();
  return row && { fileId: row.file_id, botId: Number(row.bot_id), visitorId: row.visitor_id, fileName: row.file_name, mimeType: row.mime_type, size: Number(row.size) };
}

/**
 * The bytes of a stored file, or undefined when the retention purged them after the row was read
 * (the caller answers 404 as for an unknown file). A read already under way finishes: an unlinked
 * file stays readable through the open descriptor.
 */
export async function readVisitorFile(ctx: AppContext, fileId: string): Promise<Buffer | undefined> {
  try {
    return await fs.promises.readFile(path.join(folderOf(ctx), fileId));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const PURGE_BATCH = 500;
/** A file without a row younger than this may be an upload between its bytes and its row: left alone. */
const ORPHAN_GRACE_MS = 60 * 60_000;

/**
 * The hourly clean-up of visitors' files: the expired ones (purgeExpiredVisitorFiles), then, once
 * no batch is left, files on disk that no row names. Those are left by a bot's deletion (its rows
 * go by cascade, the bytes cannot) or a crash between the bytes and the row. Resolves true when a
 * batch was full.
 */
export async function purgeVisitorFiles(ctx: AppContext): Promise<boolean> {
  if (await purgeExpiredVisitorFiles(ctx)) return true;
  await removeOrphanFiles(ctx);
  return false;
}

/**
 * Deletes visitors' files older than WEBCHAT_FILE_RETENTION_DAYS (0 keeps them), a batch at a time:
 * the rows first, then the bytes, so no row ever names a missing file for longer than the purge
 * takes and a download racing it gets a 404, never a 500. Processes purging at once delete the same
 * rows and files harmlessly. The history keeps its entry; the page shows it as unavailable.
 */
async function purgeExpiredVisitorFiles(ctx: AppContext): Promise<boolean> {
  const days = ctx.config.WEBCHAT_FILE_RETENTION_DAYS;
  if (days === 0) return false;
  const cutoff = ctx.clock.now() - days * 86_400_000;
  const rows: Array<{ file_id: string }> = await ctx.db('webchat_files').where('created_at', '<', cutoff).orderBy('created_at').limit(PURGE_BATCH).select('file_id');
  if (rows.length === 0) return false;
  const ids = rows.map((row) => row.file_id);
  await ctx.db('webchat_files').whereIn('file_id', ids).delete();
  const folder = folderOf(ctx);
  await Promise.all(ids.map((id) => fs.promises.rm(path.join(folder, id), { force: true })));
  return rows.length === PURGE_BATCH;
}

async function removeOrphanFiles(ctx: AppContext): Promise<void> {
  const folder = folderOf(ctx);
  const names = (await fs.promises.readdir(folder).catch(() => [] as string[])).filter(isVisitorFileId);
  for (let start = 0; start < names.length; start += PURGE_BATCH) {
    const chunk = names.slice(start, start + PURGE_BATCH);
    const known = new Set((await ctx.db('webchat_files').whereIn('file_id', chunk).select('file_id')).map((row: { file_id: string }) => row.file_id));
    for (const name of chunk.filter((id) => !known.has(id))) {
      const where = path.join(folder, name);
      const stat = await fs.promises.stat(where).catch(() => undefined);
      // The file system's clock, as the mtime is: not the injected one.
      if (stat && Date.now() - stat.mtimeMs > ORPHAN_GRACE_MS) await fs.promises.rm(where, { force: true });
    }
  }
}
