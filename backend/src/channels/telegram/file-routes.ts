import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../../bots/access';
import type { AppContext } from '../../platform/context';
import { conflict, notFound } from '../../platform/errors';
import { botPathParams, errorResponses } from '../../platform/openapi/registry';
import { telegramApi } from './telegram-channel';
import { getTelegramBot } from './telegram-store';
import { describeTelegramError } from './telegram-wire';

const fileIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,256}$/);

/**
 * `GET /bots/{botId}/files/{fileId}`: a file a person sent (its id is in the `message.received`
 * event), streamed from Telegram through getFile without being stored here. Telegram serves bots
 * files of up to 20 MB. The file URL holds the bot token, so it never leaves this process; the
 * answer is an attachment with `nosniff`, so a browser never renders it as a page of this origin.
 */
export function telegramFilesRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoute(docs);
  const router = Router();
  router.get('/bots/:botId/files/:fileId', botAccess(ctx, 'messages'), async (req, res) => {
    const fileId = fileIdSchema.safeParse(req.params.fileId);
    if (!fileId.success) throw notFound('Unknown file');
    const record = await getTelegramBot(ctx, res.locals.bot.id);
    if (!record) throw notFound('This bot has no Telegram token');
    let filePath: string | undefined;
    try {
      filePath = (await telegramApi(ctx, record.token).getFile(fileId.data)).file_path;
    } catch (error) {
      throw /invalid file_id|wrong file/i.test(describeTelegramError(error)) ? notFound('Unknown file') : conflict(`Telegram did not give the file: ${describeTelegramError(error)}`);
    }
    if (!filePath) throw conflict('Telegram gave no path for this file (over 20 MB?)');
    const upstream = await fetch(`${ctx.config.TELEGRAM_API_ROOT}/file/bot${record.token}/${filePath}`).catch(() => undefined);
    if (!upstream?.ok || !upstream.body) throw conflict(`Telegram did not give the file (${upstream ? `HTTP ${upstream.status}` : 'unreachable'})`);
    const name = filePath.split('/').pop() ?? 'file';
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`);
    res.setHeader('x-content-type-options', 'nosniff');
    const length = upstream.headers.get('content-length');
    if (length) res.setHeader('content-length', length);
    await pipeline(Readable.fromWeb(upstream.body as never), res);
  });
  return router;
}

function documentRoute(docs: OpenAPIRegistry): void {
  docs.registerPath({
    method: 'get',
    path: '/api/v1/bots/{botId}/files/{fileId}',
    operationId: 'downloadFile',
    tags: ['Messages'],
    summary: 'Download a file a person sent (the file id of a message.received event)',
    description: 'A Telegram file id: streamed from Telegram (getFile; files up to 20 MB), never stored. A web-chat file id (`wcf_…`): the file the visitor sent, kept by the backend. Either is served as an attachment with `X-Content-Type-Options: nosniff`.',
    security: [{ bearerAuth: [] }],
    request: { params: botPathParams.extend({ fileId: z.string() }) },
    responses: {
      200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } } },
      409: { description: 'Telegram did not give the file (too big, unreachable; the reason is in the message)' },
      ...errorResponses('messages'),
    },
  });
}
