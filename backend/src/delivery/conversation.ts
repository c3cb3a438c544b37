import type { Knex } from 'knex';
import { z } from 'zod';
import type { ChannelsContext } from '../channels/registry';
import type { ConversationActions } from '../channels/channel';
import { invalid, notFound } from '../platform/errors';
import { fromJson } from '../platform/db/database';
import { resolveRecipients } from '../identity/recipients';
import { buttonsSchema, parseModeSchema } from './content-schema';
import { type MessageContent, textIsCaption } from './messages';
import { renderedLimitProblems } from './message-limits';

/**
 * Acting on a conversation after a send: editing or deleting a message for the people it reached,
 * "typing" while a workflow works, and answering a pressed button. Each person's result is given
 * back; a channel that cannot do it (web chat, WhatsApp) refuses with the reason.
 */

/** Edits and deletes are made while the caller waits; past this many recipients the caller names them in turns. */
export const MAX_RECIPIENTS_PER_CALL = 100;

const leadFilter = z.array(z.string().trim().min(1).max(200)).min(1).max(MAX_RECIPIENTS_PER_CALL).optional()
  .meta({ description: `Only these recipients (lead ids); without it every recipient the message reached, at most ${MAX_RECIPIENTS_PER_CALL}` });

export const editMessageSchema = z
  .object({ text: z.string().min(1).max(16_384).optional(), parseMode: parseModeSchema.optional(), buttons: buttonsSchema.optional(), leadIds: leadFilter })
  .refine((e) => e.text !== undefined || e.buttons !== undefined, { message: 'give text or buttons', path: ['text'] })
  .meta({ id: 'EditMessageRequest' });

export const deleteMessageSchema = z.object({ leadIds: leadFilter }).meta({ id: 'DeleteMessageRequest' });

export const chatActionSchema = z
  .object({
    leadIds: z.array(z.string().trim().min(1).max(200)).max(MAX_RECIPIENTS_PER_CALL).optional(),
    userIds: z.array(z.string().trim().min(1).max(200)).max(MAX_RECIPIENTS_PER_CALL).optional(),
    action: z.enum(['typing', 'upload_photo', 'upload_video', 'upload_voice', 'upload_document', 'find_location', 'record_voice', 'record_video']).default('typing'),
  })
  .refine((a) => (a.leadIds?.length ?? 0) + (a.userIds?.length ?? 0) > 0, { message: 'give userIds or leadIds', path: ['leadIds'] })
  .meta({ id: 'ChatActionRequest' });

export const answerButtonSchema = z
  .object({
    text: z.string().max(200).optional().meta({ description: 'The toast (or alert) text, at most 200 characters (Telegram)' }),
    showAlert: z.boolean().default(false).meta({ description: 'An alert the person closes instead of a toast' }),
  })
  .meta({ id: 'AnswerButtonRequest' });

export interface PersonResult {
  leadId: string;
  ok: boolean;
  error?: string;
}

type Action = (actions: ConversationActions, recipient: { botId: number; chatId: string }, externalId: string) => Promise<{ ok: true } | { ok: false; reason: string }>;

interface SentRow {
  lead_id: string;
  channel: string;
  chat_id: string;
  external_id: string | null;
  status: string;
}

async function sentMessage(db: Knex, botId: number, messageId: string): Promise<MessageContent> {
  const row = await db('messages').where({ bot_id: botId, id: messageId }).first('content');
  if (!row) throw notFound('Unknown message');
  return fromJson<MessageContent>(row.content);
}

async function sentRows(db: Knex, messageId: string, leadIds: string[] | undefined): Promise<SentRow[]> {
  const query = db('message_recipients').where({ message_id: messageId }).select('lead_id', 'channel', 'chat_id', 'external_id', 'status').orderBy('id');
  if (leadIds) return query.whereIn('lead_id', leadIds);
  const rows = await query.limit(MAX_RECIPIENTS_PER_CALL + 1);
  if (rows.length > MAX_RECIPIENTS_PER_CALL) {
    throw invalid('Too many recipients', [{ path: 'leadIds', message: `the message has more than ${MAX_RECIPIENTS_PER_CALL} recipients: name at most ${MAX_RECIPIENTS_PER_CALL} in leadIds per call` }]);
  }
  return rows;
}

async function eachRecipient(ctx: ChannelsContext, botId: number, rows: SentRow[], what: string, act: Action): Promise<PersonResult[]> {
  const results: PersonResult[] = [];
  for (const row of rows) {
    if (row.status !== 'sent' || !row.external_id) {
      results.push({ leadId: row.lead_id, ok: false, error: `not sent to this person (${row.status})` });
      continue;
    }
    const actions = ctx.channels.get(row.channel as never)?.actions;
    if (!actions) {
      results.push({ leadId: row.lead_id, ok: false, error: `the ${row.channel} channel cannot ${what} a sent message` });
      continue;
    }
    const done = await act(actions, { botId, chatId: row.chat_id }, row.external_id);
    results.push(done.ok ? { leadId: row.lead_id, ok: true } : { leadId: row.lead_id, ok: false, error: done.reason });
  }
  return results;
}

export async function editSentMessage(ctx: ChannelsContext & { db: Knex }, botId: number, messageId: string, edit: z.output<typeof editMessageSchema>): Promise<PersonResult[]> {
  const content = await sentMessage(ctx.db, botId, messageId);
  const isCaption = textIsCaption(content);
  if (content.album && edit.buttons) throw invalid('Invalid edit', [{ path: 'buttons', message: 'an album carries no buttons' }]);
  if (content.location && edit.text !== undefined) throw invalid('Invalid edit', [{ path: 'text', message: 'a location carries no text' }]);
  if (edit.text !== undefined) {
    const problems = renderedLimitProblems({ text: edit.text, parseMode: edit.parseMode, isCaption });
    if (problems.length > 0) throw invalid('Message too long for Telegram', problems);
  }
  const rows = await sentRows(ctx.db, messageId, edit.leadIds);
  const change = { text: edit.text, parseMode: edit.parseMode, buttons: edit.buttons, isCaption };
  return eachRecipient(ctx, botId, rows, 'edit', (actions, recipient, externalId) => actions.edit(recipient, externalId, change));
}

export async function deleteSentMessage(ctx: ChannelsContext & { db: Knex }, botId: number, messageId: string, leadIds: string[] | undefined): Promise<PersonResult[]> {
  await sentMessage(ctx.db, botId, messageId);
  const rows = await sentRows(ctx.db, messageId, leadIds);
  return eachRecipient(ctx, botId, rows, 'delete', (actions, recipient, externalId) => actions.remove(recipient, externalId));
}

export async function showChatAction(ctx: ChannelsContext & { db: Knex; clock: { now(): number } }, botId: number, request: z.output<typeof chatActionSchema>): Promise<PersonResult[]> {
  const resolution = await resolveRecipients(ctx.db, botId, { leadIds: request.leadIds, userIds: request.userIds }, { critical: true, now: ctx.clock.now(), channel: 'last' });
  const results: PersonResult[] = [];
  for (const recipient of [...resolution.deliverable, ...resolution.deferred]) {
    const actions = ctx.channels.get(recipient.channel)?.actions;
    // The web chat shows "typing" on its own while a workflow handles the visitor's message.
    if (!actions) {
      results.push({ leadId: recipient.leadId, ok: false, error: `the ${recipient.channel} channel has no chat actions` });
      continue;
    }
    const done = await actions.chatAction({ botId, chatId: recipient.chatId }, request.action);
    results.push(done.ok ? { leadId: recipient.leadId, ok: true } : { leadId: recipient.leadId, ok: false, error: done.reason });
  }
  return results;
}

/** Answers a Telegram button press (its `callbackId` from the button.pressed event). */
export async function answerButton(ctx: ChannelsContext, botId: number, callbackId: string, answer: z.output<typeof answerButtonSchema>): Promise<{ ok: true } | { ok: false; reason: string }> {
  const actions = ctx.channels.get('telegram')?.actions;
  if (!actions) return { ok: false, reason: 'no Telegram channel in this backend' };
  return actions.answerButton(botId, callbackId, answer);
}
