import type { Knex } from 'knex';
import { type Bot, getBot } from '../bots/bots';
import { getLead } from '../identity/leads';
import type { AppContext } from '../platform/context';
import { isPostgres } from '../platform/db/database';
import { appendTraceHop, newTraceId } from '../traces/traces';
import { type Change, type ConversationRow, returnToBot, transition } from './conversations';
import { tellPerson } from './notices';
import { conversationSettings } from './settings';

export const CONVERSATION_TIMEOUTS_LOOP = 'conversation-timeouts';
const BATCH = 50;

type Key = Pick<ConversationRow, 'bot_id' | 'person_key'>;

/**
 * One pass of the operator-timeout loop: every conversation whose `operator_due_at` has passed
 * times out once — the person is told, and with `onTimeout: return` it goes back to the bot.
 * Due times live in the row, so a restart finds them again. Resolves true while a full batch was due.
 */
export async function runOperatorTimeoutsOnce(ctx: AppContext): Promise<boolean> {
  const now = ctx.clock.now();
  const due: Key[] = await ctx.db('conversations').whereNotNull('operator_due_at').where('operator_due_at', '<=', now).orderBy('operator_due_at').limit(BATCH).select('bot_id', 'person_key');
  for (const key of due) {
    // Read before the transaction: the bot comes from the committed-reads cache, another connection.
    const bot = await getBot(ctx, key.bot_id);
    // One conversation that fails (its chat refuses the notice, a lost race) must not hold back the others: it is tried again next pass.
    await ctx.db.transaction((trx) => timeOut(trx, ctx, bot, key, now)).catch((err: unknown) => ctx.logger.warn({ err, botId: key.bot_id }, 'operator timeout failed'));
  }
  return due.length === BATCH;
}

/**
 * Under the row lock on PostgreSQL: a second process waiting on it re-reads the row once the first
 * commits, finds the due time cleared and does nothing, so a timeout fires once. (SQLite has one
 * writer; the transition is conditional on the version besides.) An operator's reply or a change
 * of state in the meantime has cleared or moved the due time, and the row no longer matches.
 */
async function timeOut(trx: Knex, ctx: AppContext, bot: Bot | undefined, key: Key, now: number): Promise<void> {
  const query = trx<ConversationRow>('conversations').where(key).whereNotNull('operator_due_at').where('operator_due_at', '<=', now).first();
  if (isPostgres(trx)) query.forUpdate();
  const row = await query;
  if (!row || (row.state !== 'waiting' && row.state !== 'assigned')) return;
  const lead = await getLead(trx, row.bot_id, row.lead_id);
  if (!bot || !lead) return void (await trx('conversations').where(key).update({ operator_due_at: null }));
  const settings = conversationSettings(bot);
  const change: Change = { botId: bot.id, lead, traceId: newTraceId() };
  const waitedMinutes = Math.round((now - Number(row.state === 'assigned' ? row.assigned_at : row.waiting_since)) / 60_000);
  if (settings.onTimeout === 'return') await returnToBot(trx, ctx, change, 'timeout');
  else await transition(trx, ctx, change, row, { operator_due_at: null });
  const messageId = await tellPerson(trx, ctx, bot, { leadId: lead.id, traceId: change.traceId, text: settings.timeoutNotice });
  await appendTraceHop(trx, ctx.clock, {
    botId: bot.id,
    traceId: change.traceId,
    hop: 'conversation.timed_out',
    status: settings.onTimeout === 'return' ? 'bot' : row.state,
    sourceSystem: 'conversations',
    leadId: lead.id,
    userId: lead.userId,
    detail: { previousState: row.state, operator: row.operator, onTimeout: settings.onTimeout, waitedMinutes, noticeMessageId: messageId },
  });
}
