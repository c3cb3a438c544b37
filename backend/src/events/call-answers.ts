import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { fromJson, toJson } from '../platform/db/database';
import type { EndpointAnswer } from '../maps/endpoint-answer';
import { appendTraceHop } from '../traces/traces';

/** Signalled (ctx.wakeups) once this process decided a call's answer, so its waiting request learns it at once. */
export const CALL_ANSWER_DECIDED = 'call-answer-decided';

export type CallAnswerStatus = 'waiting' | 'answered' | 'fallback';

export interface CallAnswerRow {
  event_id: number;
  bot_id: number;
  trace_id: string;
  status: CallAnswerStatus;
  deadline: number;
  fallback: string;
  answer: string | null;
  reason: string | null;
  delivery_id: string | null;
  decided_at: number | null;
  created_at: number;
}

/** A call waiting for its workflow's answer, as the call's transaction opens it. */
export interface OpenCallAnswer {
  eventId: number;
  botId: number;
  traceId: string;
  timeoutMs: number;
  fallback: EndpointAnswer;
}

export async function openCallAnswers(trx: Knex, now: number, calls: OpenCallAnswer[]): Promise<void> {
  if (calls.length === 0) return;
  await trx('call_answers').insert(
    calls.map((call) => ({
      event_id: call.eventId,
      bot_id: call.botId,
      trace_id: call.traceId,
      status: 'waiting',
      deadline: now + call.timeoutMs,
      fallback: toJson(call.fallback),
      created_at: now,
    })),
  );
}

/** How a call's answer was decided: by a workflow's answer, or the fallback and why. */
export type AnswerDecision =
  // From an answering delivery (its delivery and subscription), or through the API (neither).
  | { status: 'answered'; answer: EndpointAnswer; deliveryId?: string; subscriptionId?: string }
  | { status: 'fallback'; reason: string; deliveryId?: string };

/** The trace hop a decision writes: an endpoint call's, or a Telegram pre-checkout's (payments). */
export type AnswerHop = 'endpoint.answered' | 'payment.pre_checkout_answered';

/**
 * Decides a waiting call's answer; the first decision wins (in any process: the update only takes
 * a row still `waiting`). Writes the trace hop (`endpoint.answered` unless told) with the decision,
 * or with status `ignored` when the call was decided already. Returns whether this decision won.
 */
export async function decideCallAnswer(db: Knex, ctx: Pick<AppContext, 'clock' | 'wakeups'>, eventId: number, decision: AnswerDecision, hop: AnswerHop = 'endpoint.answered'): Promise<boolean> {
  const now = ctx.clock.now();
  const row = await db<CallAnswerRow>('call_answers').where({ event_id: eventId }).first();
  if (!row) return false;
  const won =
    row.status === 'waiting' &&
    (await db('call_answers')
      .where({ event_id: eventId, status: 'waiting' })
      .update({
        status: decision.status,
        answer: decision.status === 'answered' ? toJson(decision.answer) : null,
        reason: decision.status === 'fallback' ? decision.reason : null,
        delivery_id: decision.deliveryId ?? null,
        decided_at: now,
      })) > 0;
  await appendTraceHop(db, ctx.clock, {
    botId: row.bot_id,
    traceId: row.trace_id,
    hop,
    status: won ? decision.status : 'ignored',
    latencyMs: Math.max(0, now - row.created_at),
    detail: {
      event_id: eventId,
      ...(decision.deliveryId ? { delivery_id: decision.deliveryId } : {}),
      ...(decision.status === 'answered' ? (decision.subscriptionId ? { subscription_id: decision.subscriptionId } : { by: 'api' }) : { reason: decision.reason }),
      ...(won ? {} : { decided: row.status === 'waiting' ? 'at the same time' : row.status }),
    },
  });
  if (won) ctx.wakeups.wakeAfterCommit(db, CALL_ANSWER_DECIDED);
  return won;
}

export async function decidedCallAnswers(db: Knex, eventIds: number[]): Promise<CallAnswerRow[]> {
  if (eventIds.length === 0) return [];
  return db<CallAnswerRow>('call_answers').whereIn('event_id', eventIds).whereNot('status', 'waiting');
}

export async function readCallAnswer(db: Knex, eventId: number): Promise<CallAnswerRow | undefined> {
  return db<CallAnswerRow>('call_answers').where({ event_id: eventId }).first();
}

/** The answer a decided row stands for: the workflow's, else the fallback. */
export function answerOf(row: CallAnswerRow): { answeredBy: 'workflow' | 'fallback'; answer: EndpointAnswer } {
  if (row.status === 'answered' && row.answer) return { answeredBy: 'workflow', answer: fromJson(row.answer) };
  return { answeredBy: 'fallback', answer: fromJson(row.fallback) };
}

/** Rows kept as long as an Idempotency-Key can replay their call. */
export async function purgeCallAnswers(ctx: AppContext): Promise<number> {
  return ctx.db('call_answers').where('created_at', '<', ctx.clock.now() - ctx.config.IDEMPOTENCY_TTL_HOURS * 3_600_000).delete();
}
