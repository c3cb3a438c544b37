import type { Knex } from 'knex';
import { z } from 'zod';
import type { Bot } from '../bots/bots';
import { acceptMessage, sendMessageSchema } from '../delivery/messages';
import { literalText } from '../delivery/templates';
import { getLead } from '../identity/leads';
import type { AppContext } from '../platform/context';
import { conflict } from '../platform/errors';
import { announce, assignConversation, type Change, type ConversationRow, keepMessage, openConversation, transition } from './conversations';

export const operatorIdSchema = z.string().trim().min(1).max(254).meta({ description: 'The operator: the console user\'s email' });

export const operatorReplySchema = z
  .object({
    operator: operatorIdSchema,
    text: z.string().trim().min(1).max(4096).meta({ description: 'Sent as written (not a template)' }),
    quickReplies: z.array(z.string().trim().min(1).max(100)).min(1).max(12).optional().meta({ description: 'Buttons the person can tap to answer (Telegram\'s reply keyboard)' }),
  })
  .meta({ id: 'OperatorReply' });

/**
 * An operator answers: the text goes to the person's latest chat through the messages pipeline
 * (rate limits, retries, statuses as for any send), is kept in the conversation's history and
 * announced as `operator.replied`. A conversation still waiting is taken by the operator who answers.
 */
export async function replyAsOperator(trx: Knex, ctx: AppContext, bot: Bot, change: Change, reply: z.output<typeof operatorReplySchema>): Promise<{ row: ConversationRow; messageId: string }> {
  let row = await openConversation(trx, ctx, change);
  if (row.state === 'waiting') row = await assignConversation(trx, ctx, change, reply.operator);
  if (row.state !== 'assigned' || row.operator !== reply.operator) throw conflict(`Cannot reply: the conversation is ${row.state}${row.operator ? ` (operator ${row.operator})` : ''}`);
  const request = sendMessageSchema.parse({ leadIds: [row.lead_id], text: literalText(reply.text), ...(reply.quickReplies ? { quickReplies: reply.quickReplies } : {}) });
  const accepted = await acceptMessage(trx, ctx, bot, request, { traceId: change.traceId, dryRun: false });
  if (accepted.outcome !== 'queued') throw conflict('The person cannot be reached in their latest chat');
  const messageId = String(accepted.body.messageId);
  // An answer stops the operators' clock.
  row = await transition(trx, ctx, change, row, { last_operator_reply_at: ctx.clock.now(), operator_due_at: null });
  const chat = row.lead_id === change.lead.id ? change.lead : await getLead(trx, bot.id, row.lead_id);
  await keepMessage(trx, ctx, row, { direction: 'out', leadId: row.lead_id, channel: chat?.channel ?? change.lead.channel, kind: 'message', body: { text: reply.text, ...(reply.quickReplies ? { quickReplies: reply.quickReplies } : {}) }, operator: reply.operator, messageId });
  await announce(trx, ctx, change, row, { type: 'operator.replied', payload: { operator: reply.operator, text: reply.text, messageId } });
  return { row, messageId };
}
