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

export async function readVisitorFile(ctx: AppContext, fileId: string): Promise<Buffer> {
  return fs.promises.readFile(path.join(folderOf(ctx), fileId));
}
