import type { Api } from 'grammy';
import type { Message, Update } from 'grammy/types';
import type { Knex } from 'knex';
import { type Bot, getBot } from '../../bots/bots';
import { isAdminOperator } from '../../console/users';
import { type Change, type ConversationActor, type ConversationRow, openForOwnerOrAdmin, returnToBot } from '../../conversations/conversations';
import { closeConversationAndAskRating } from '../../conversations/csat';
import { replyAsOperator } from '../../conversations/operator-reply';
import { getLead } from '../../identity/leads';
import type { AppContext } from '../../platform/context';
import { DomainError } from '../../platform/errors';
import { newTraceId } from '../../traces/traces';
import { sendIntoTopic } from './forum';
import { operatorOf, type StaffGroupSettings, staffGroupOf } from './staff-group-settings';
import { describeTelegramError } from './telegram-wire';

const COMMAND = /^\/(return|close)(?:@\w+)?\s*$/i;

function chatOf(update: Update): { id: number; type: string } | undefined {
  return update.message?.chat ?? update.edited_message?.chat ?? update.callback_query?.message?.chat ?? update.my_chat_member?.chat;
}

/**
 * An update from the bot's staff group: never a person's message, so it never reaches the inbound
 * pipeline or a workflow. True when the update came from the staff group (and was handled here).
 */
export async function handleStaffGroupUpdate(ctx: AppContext, botId: number, api: Api, update: Update): Promise<boolean> {
  const chat = chatOf(update);
  if (!chat || chat.type === 'private') return false;
  const bot = await getBot(ctx, botId);
  const settings = bot && staffGroupOf(bot);
  if (!bot || !settings || String(chat.id) !== settings.chatId) return false;
  if (update.message) await actOnTopicMessage(ctx, bot, settings, api, String(update.update_id), update.message);
  return true;
}

/** The update is handled once: a redelivery (same update id) is dropped, as the inbound pipeline does. */
async function firstDelivery(trx: Knex, ctx: AppContext, botId: number, updateId: string): Promise<boolean> {
  const inserted = await trx('inbound_updates')
    .insert({ bot_id: botId, channel: 'telegram', update_id: updateId, received_at: ctx.clock.now() })
    .onConflict(['bot_id', 'channel', 'update_id'])
    .ignore()
    .returning('update_id');
  return inserted.length > 0;
}

/**
 * A listed operator writes in a person's open topic: `/return` gives the conversation back to the
 * bot, `/close` ends it — both only for the operator who has it or an admin, as on the desk —, any
 * other text is their reply through the operator reply path (the first operator who answers takes
 * it). Anyone not listed, the General topic and other bots are ignored. A refusal (another
 * operator has it, the person cannot be reached) is told in the topic.
 */
async function actOnTopicMessage(ctx: AppContext, bot: Bot, settings: StaffGroupSettings, api: Api, updateId: string, message: Message): Promise<void> {
  const threadId = message.is_topic_message ? message.message_thread_id : undefined;
  const operator = message.from && !message.from.is_bot ? operatorOf(settings, message.from.id) : undefined;
  if (threadId === undefined || message.from?.is_bot) return;
  if (operator === undefined) {
    // Said so the bot's admin can find a new colleague's user id to list them.
    ctx.logger.info({ botId: bot.id, threadId, telegramUserId: message.from?.id }, 'staff group: a Telegram user who is not a listed operator wrote in a topic; ignored');
    return;
  }
  const said = topicMessageOf(message);
  // Read before the transaction: SQLite has one connection, which the transaction holds.
  const actor: ConversationActor = { operator, admin: said.command !== undefined && (await isAdminOperator(ctx, operator, bot.id)) };
  const note = await ctx.db.transaction(async (trx) => {
    if (!(await firstDelivery(trx, ctx, bot.id, updateId))) return undefined;
    const change = await topicConversation(trx, bot, settings.chatId, threadId);
    if (!change) return undefined;
    try {
      // A savepoint: a refused change leaves nothing behind, the update stays handled.
      await trx.transaction((inner) => act(inner, ctx, bot, change, actor, said));
      return undefined;
    } catch (error) {
      if (error instanceof DomainError) return error.message;
      throw error;
    }
  });
  if (note) await sendIntoTopic(api, settings.chatId, threadId, note).catch((error: unknown) => ctx.logger.warn({ error: describeTelegramError(error), botId: bot.id }, 'staff group: note not sent'));
}

/** What an operator said in a topic: its text, and the command it is, if it is one. */
interface TopicMessage {
  text: string | undefined;
  command: 'return' | 'close' | undefined;
}

function topicMessageOf(message: Message): TopicMessage {
  const text = message.text?.trim();
  const command = text ? COMMAND.exec(text)?.[1]?.toLowerCase() : undefined;
  return { text, command: command === 'return' || command === 'close' ? command : undefined };
}

/** The conversation behind an open topic, as a change by the person's latest chat. */
async function topicConversation(trx: Knex, bot: Bot, chatId: string, threadId: number): Promise<Change | undefined> {
  const topic = await trx('staff_topics').where({ bot_id: bot.id, chat_id: chatId, thread_id: threadId, state: 'open' }).first('person_key');
  if (!topic) return undefined;
  const row = await trx<ConversationRow>('conversations').where({ bot_id: bot.id, person_key: topic.person_key }).first();
  const lead = row && (await getLead(trx, bot.id, row.lead_id));
  return lead ? { botId: bot.id, lead, traceId: newTraceId() } : undefined;
}

async function act(trx: Knex, ctx: AppContext, bot: Bot, change: Change, actor: ConversationActor, said: TopicMessage): Promise<void> {
  if (!said.text) throw new DomainError('invalid', 'Only text reaches the person from here.');
  if (said.command) await openForOwnerOrAdmin(trx, ctx, change, actor);
  if (said.command === 'return') await returnToBot(trx, ctx, change);
  else if (said.command === 'close') await closeConversationAndAskRating(trx, ctx, bot, change);
  else {
    const { messageId } = await replyAsOperator(trx, ctx, bot, change, { operator: actor.operator, text: said.text.slice(0, 4096) });
    await trx('staff_replies').insert({ message_id: messageId, created_at: ctx.clock.now() });
  }
}
