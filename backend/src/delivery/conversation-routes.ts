import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../bots/access';
import type { ChannelsContext } from '../channels/registry';
import type { AppContext } from '../platform/context';
import { conflict, notFound, parseInput } from '../platform/errors';
import { botPathParams, errorResponses, jsonContent } from '../platform/openapi/registry';
import { answerButton, answerButtonSchema, chatActionSchema, deleteMessageSchema, deleteSentMessage, editMessageSchema, editSentMessage, type PersonResult, showChatAction } from './conversation';

const messageIdSchema = z.string().regex(/^msg_[A-Za-z0-9_-]{1,40}$/);
const callbackIdSchema = z.string().regex(/^[A-Za-z0-9_:-]{1,128}$/);

const resultsSchema = z
  .object({
    success: z.boolean().meta({ description: 'Whether it was done for every person' }),
    results: z.array(z.object({ leadId: z.string(), ok: z.boolean(), error: z.string().optional() })),
    trace_id: z.string(),
  })
  .meta({ id: 'ConversationResults' });

const answered = (results: PersonResult[], traceId: string) => ({ success: results.every((r) => r.ok), results, trace_id: traceId });

function messageIdOf(raw: string): string {
  const parsed = messageIdSchema.safeParse(raw);
  if (!parsed.success) throw notFound('Unknown message');
  return parsed.data;
}

/** Edit and delete a sent message, chat actions ("typing"), answers to pressed buttons. */
export function conversationRouter(ctx: AppContext & ChannelsContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  router.post('/bots/:botId/messages/:messageId/edit', botAccess(ctx, 'messages'), async (req, res) => {
    const edit = parseInput(editMessageSchema, req.body, 'edit');
    const results = await editSentMessage(ctx, res.locals.bot.id, messageIdOf(req.params.messageId as string), edit);
    res.json(answered(results, res.locals.traceId));
  });
  router.post('/bots/:botId/messages/:messageId/delete', botAccess(ctx, 'messages'), async (req, res) => {
    const { leadIds } = parseInput(deleteMessageSchema, req.body ?? {}, 'delete');
    const results = await deleteSentMessage(ctx, res.locals.bot.id, messageIdOf(req.params.messageId as string), leadIds);
    res.json(answered(results, res.locals.traceId));
  });
  router.post('/bots/:botId/chat-actions', botAccess(ctx, 'messages'), async (req, res) => {
    const request = parseInput(chatActionSchema, req.body, 'chat action');
    res.json(answered(await showChatAction(ctx, res.locals.bot.id, request), res.locals.traceId));
  });
  router.post('/bots/:botId/buttons/:callbackId/answer', botAccess(ctx, 'messages'), async (req, res) => {
    const callbackId = callbackIdSchema.safeParse(req.params.callbackId);
    if (!callbackId.success) throw notFound('Unknown button press');
    const answer = parseInput(answerButtonSchema, req.body ?? {}, 'answer');
    const done = await answerButton(ctx, res.locals.bot.id, callbackId.data, answer);
    // Telegram takes one answer per press, within its time: a second or late one is refused.
    if (!done.ok) throw /no Telegram token/.test(done.reason) ? notFound(done.reason) : conflict(`Telegram did not take the answer: ${done.reason}`);
    res.json({ success: true, trace_id: res.locals.traceId });
  });
  return router;
}

function documentRoutes(docs: OpenAPIRegistry): void {
  const withMessage = botPathParams.extend({ messageId: z.string() });
  const common = { tags: ['Messages'], security: [{ bearerAuth: [] }] };
  const results = { 200: { description: 'Done, or refused, per person', ...jsonContent(resultsSchema) }, ...errorResponses('messages') };
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/messages/{messageId}/edit',
    operationId: 'editMessage',
    summary: 'Edit a sent message (its text or caption, its buttons) for the people it reached',
    description: 'The text is literal (not a template) and checked against Telegram\'s limits (4096, or 1024 for a caption). At most 100 recipients per call (`leadIds` names them). Telegram only; other channels answer the reason per person.',
    request: { params: withMessage, body: jsonContent(editMessageSchema) },
    responses: results,
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/messages/{messageId}/delete',
    operationId: 'deleteMessage',
    summary: 'Delete a sent message (every message of an album) for the people it reached',
    description: 'Telegram deletes a bot\'s message in a private chat up to 48 hours after it was sent. At most 100 recipients per call.',
    request: { params: withMessage, body: jsonContent(deleteMessageSchema) },
    responses: results,
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/chat-actions',
    operationId: 'sendChatAction',
    summary: 'Show "typing" (or another chat action) to people while a workflow works',
    description: 'Telegram shows it for 5 seconds or until the bot\'s next message. The web chat shows typing on its own while a workflow handles a visitor\'s message.',
    request: { params: botPathParams, body: jsonContent(chatActionSchema) },
    responses: results,
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/buttons/{callbackId}/answer',
    operationId: 'answerButton',
    summary: 'Answer a pressed button with a toast or an alert',
    description: 'The `callbackId` of a `button.pressed` event. The backend answers a press itself after `TELEGRAM_BUTTON_ANSWER_DELAY_MS` (2 s) unless a workflow did; Telegram takes one answer per press, so a later one is a 409.',
    request: { params: botPathParams.extend({ callbackId: z.string() }), body: jsonContent(answerButtonSchema) },
    responses: {
      200: { description: 'Answered' },
      409: { description: 'Telegram did not take it: already answered, too old, or Telegram unreachable (the reason is in the message)' },
      ...errorResponses('messages'),
    },
  });
}
