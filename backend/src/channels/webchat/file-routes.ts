import type { Response } from 'express';
import { Router } from 'express';
import { botAccess } from '../../bots/access';
import type { AppContext } from '../../platform/context';
import { notFound } from '../../platform/errors';
import { contentDisposition, detectFileType } from './file-types';
import { findVisitorFile, isVisitorFileId, readVisitorFile } from './visitor-files';

/**
 * Sends a stored file. It is shown inline only when its bytes are a picture, video or audio of the
 * detection table, with the detected type; anything else (a page, an SVG, a PDF, the unknown) goes
 * as `application/octet-stream`, an attachment. `nosniff` and a sandboxing CSP on top: the answer
 * can never become a document of this origin.
 */
export function sendStoredFile(res: Response, bytes: Buffer, fileName: string, options: { download?: boolean } = {}): void {
  const detected = detectFileType(bytes);
  const inline = !options.download && detected !== undefined && detected.family !== 'document';
  res.setHeader('Content-Type', inline ? detected.mime : 'application/octet-stream');
  res.setHeader('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', fileName));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'private, no-store');
  res.send(bytes);
}

/** The bytes a page's file entry refers to, only if the file is this bot's (`m:` uploaded with a send, `w:` a visitor's). */
export async function storedFileBytes(ctx: AppContext, botId: number, ref: string): Promise<Buffer | undefined> {
  const [source, id] = [ref.slice(0, 2), ref.slice(2)];
  if (source === 'w:') return (await findVisitorFile(ctx, botId, id)) ? readVisitorFile(ctx, id) : undefined;
  if (source !== 'm:' || !/^\d{1,15}$/.test(id)) return undefined;
  const row = await ctx.db('message_files').where({ id: Number(id), bot_id: botId }).first('data');
  if (!row) return undefined;
  return Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data);
}

/**
 * The visitors' files on the download endpoint that serves Telegram's (`GET /bots/{botId}/files/{fileId}`,
 * documented there): an id of the web chat's form is answered here, scope `messages`, any other id
 * goes on to Telegram's route. Always an attachment.
 */
export function webchatDownloadRouter(ctx: AppContext): Router {
  const router = Router();
  router.get(
    '/bots/:botId/files/:fileId',
    (req, _res, next) => (isVisitorFileId(String(req.params.fileId)) ? next() : next('router')),
    botAccess(ctx, 'messages'),
    async (req, res) => {
      const file = await findVisitorFile(ctx, res.locals.bot.id, String(req.params.fileId));
      const bytes = file && (await readVisitorFile(ctx, file.fileId));
      if (!file || !bytes) throw notFound('Unknown file');
      sendStoredFile(res, bytes, file.fileName, { download: true });
    },
  );
  return router;
}
