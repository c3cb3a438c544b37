import type { Knex } from 'knex';
import type { EventRow } from '../events/event-row';
import type { InboundHook, InboundHookInput } from '../inbound/hooks';
import { fromJson, toJson } from '../platform/db/database';
import { appendTraceHop } from '../traces/traces';
import { WAITS_LOOP } from './loop-name';
import { registerWaits } from './registration';
import { type ResumeBody, type WaitRow, waitSchema } from './rows';

/** The answer an update gives to a wait of `mode`, if it is one. */
function answerOf(update: InboundHookInput['update']): { mode: WaitRow['mode']; answer: NonNullable<ResumeBody['answer']> } | undefined {
  if (update.kind === 'button') return { mode: 'buttons', answer: { buttonData: update.data } };
  if (update.text !== undefined) return { mode: 'text', answer: { text: update.text } };
  return undefined;
}

/**
 * Inbound hook: an answer of a lead someone waits for resumes that execution — exactly once per
 * message, whichever recipient answers first (a double tap, or a second recipient, then produces
 * an ordinary event). Written in the update's transaction, so the answer and the resume commit together.
 */
export const resumeWaitingExecution: InboundHook = async (ctx, { trx, update, lead }) => {
  const given = answerOf(update);
  if (!given) return undefined;
  const now = ctx.clock.now();
  // A quick answer may come before the fan-out registered the wait from the `message.sent` event.
  await registerWaits(trx, await trx<EventRow>('events').whereNull('fanout').where({ lead_id: lead.id, type: 'message.sent' }));
  const query = trx<WaitRow>('message_waits').where({ bot_id: lead.botId, lead_id: lead.id, mode: given.mode }).where('expires_at', '>', now);
  if (update.kind === 'button' && update.messageRef) query.where((q) => q.whereNull('external_id').orWhere('external_id', update.messageRef!));
  const wait = await query.orderBy('created_at', 'desc').first();
  if (!wait) return undefined;
  const won = await queueResume(trx, now, wait, { status: 'answered', answer: given.answer, leadId: lead.id, userId: lead.userId ?? wait.user_id });
  await trx('message_waits').where({ message_id: wait.message_id }).delete();
  if (!won) return undefined;
  await appendTraceHop(trx, ctx.clock, { botId: wait.bot_id, traceId: wait.trace_id, hop: 'wait.answered', status: 'answered', leadId: lead.id, userId: lead.userId, latencyMs: now - wait.created_at, detail: { messageId: wait.message_id, ...given.answer } });
  ctx.wakeups.wakeAfterCommit(trx, WAITS_LOOP);
  return { consumed: true };
};

/** Inserts the message's one resume call; false when another answer (or the timeout) came first. */
export async function queueResume(trx: Knex, now: number, wait: WaitRow, result: Omit<ResumeBody, 'messageId' | 'traceId'>): Promise<boolean> {
  const message = await trx('messages').where({ id: wait.message_id }).first('wait');
  const parsed = waitSchema.safeParse(message ? fromJson(message.wait) : null);
  if (!parsed.success) return false;
  const body: ResumeBody = { ...result, messageId: wait.message_id, traceId: wait.trace_id };
  const inserted = await trx('wait_resumes')
    .insert({ message_id: wait.message_id, bot_id: wait.bot_id, resume_url: parsed.data.resumeUrl, body: toJson(body), status: 'pending', attempts: 0, next_attempt_at: now, created_at: now })
    .onConflict('message_id')
    .ignore()
    .returning('message_id');
  return inserted.length > 0;
}
