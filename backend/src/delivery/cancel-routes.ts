import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../bots/access';
import type { AppContext } from '../platform/context';
import { notFound, parseInput } from '../platform/errors';
import { botPathParams, errorResponses, jsonContent } from '../platform/openapi/registry';
import { cancelByKeySchema, cancelMessage, type CancelResult } from './cancel';

const messageIdSchema = z.string().regex(/^msg_[A-Za-z0-9_-]{1,40}$/);

const cancelAnswerSchema = z
  .object({
    success: z.boolean(),
    messageId: z.string(),
    cancelKey: z.string().nullable(),
    cancelled: z.number().int().meta({ description: 'Recipients whose message had not left: it never will' }),
    inFlight: z.array(z.object({ leadId: z.string(), userId: z.string().nullable() })).meta({ description: 'Sends already on the wire when the cancel arrived: they may reach the person; their status shows the outcome with `leftBeforeCancel`' }),
    finished: z.number().int().meta({ description: 'Recipients whose delivery had ended before (sent, failed, skipped, cancelled)' }),
    trace_id: z.string(),
  })
  .meta({ id: 'CancelMessageAnswer' });

const answered = (result: CancelResult, traceId: string) => ({ success: true, ...result, trace_id: traceId });

/** `POST …/messages/{id}/cancel` and `POST …/messages/cancel {cancelKey}`: what has not left is cancelled, what is on the wire is reported. */
export function cancelRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  router.post('/bots/:botId/messages/cancel', botAccess(ctx, 'messages'), async (req, res) => {
    const { cancelKey } = parseInput(cancelByKeySchema, req.body ?? {}, 'cancel');
    const result = await ctx.db.transaction((trx) => cancelMessage(trx, ctx, res.locals.bot, { cancelKey }));
    res.json(answered(result, res.locals.traceId));
  });
  router.post('/bots/:botId/messages/:messageId/cancel', botAccess(ctx, 'messages'), async (req, res) => {
    const messageId = messageIdSchema.safeParse(req.params.messageId);
    if (!messageId.success) throw notFound('Unknown message');
    const result = await ctx.db.transaction((trx) => cancelMessage(trx, ctx, res.locals.bot, { messageId: messageId.data }));
    res.json(answered(result, res.locals.traceId));
  });
  return router;
}

function documentRoutes(docs: OpenAPIRegistry): void {
  const common = { tags: ['Messages'], security: [{ bearerAuth: [] }] };
  const responses = { 200: { description: 'Cancelled what had not left', ...jsonContent(cancelAnswerSchema) }, ...errorResponses('messages') };
  const description =
    'Recipients whose message has not left (queued, scheduled, deferred, or claimed but not started) are cancelled and never sent; a send already on the wire is not recalled and is listed in `inFlight`. Records one `message.cancelled` event. Cancelling again changes nothing.';
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/messages/{messageId}/cancel',
    operationId: 'cancelMessage',
    summary: 'Cancel a message (scheduled or still being sent) by its id',
    description,
    request: { params: botPathParams.extend({ messageId: z.string() }) },
    responses,
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/messages/cancel',
    operationId: 'cancelMessageByKey',
    summary: 'Cancel the message a send named with `cancelKey`',
    description,
    request: { params: botPathParams, body: jsonContent(cancelByKeySchema) },
    responses,
  });
}
