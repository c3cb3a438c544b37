import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { MAX_WORKFLOW_ANSWER_BYTES, parseWorkflowAnswer } from '../maps/endpoint-answer';
import { appendTraceHop } from '../traces/traces';
import { type CallAnswerRow, decideCallAnswer, readCallAnswer } from './call-answers';
import type { PostOutcome } from './http-post';
import { DELIVERY_TIMEOUT_MS } from './retry-schedule';
import { attempt, type DeliveryObserversContext, type DeliveryRow, leaseClaimed, type PreparedDelivery, prepareDeliveries, recordOutcomesIn } from './webhook-delivery';

/** Answering deliveries one process holds open at most (each waits for a workflow to respond). */
export const MAX_ANSWERING_IN_FLIGHT = 64;

/**
 * The answering deliveries this process has in flight (held in the Runtime). Each runs on its own:
 * the answers loop launches it and goes on, so one slow workflow delays no other call's answer.
 */
export class AnsweringDeliveries {
  readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Aborts what is in flight; those deliveries stay leased and are made again after the lease (by any process). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}

export interface AnswersContext extends DeliveryObserversContext {
  answering: AnsweringDeliveries;
}

/**
 * Claims the due answering deliveries (as many as there is room in flight for) and launches each.
 * Returns how many it claimed: a full room means there may be more.
 */
export async function deliverAnsweringEvents(ctx: AnswersContext): Promise<{ claimed: number; room: number }> {
  const room = MAX_ANSWERING_IN_FLIGHT - ctx.answering.inFlight.size;
  if (room <= 0 || ctx.answering.signal.aborted) return { claimed: 0, room };
  const claimed = await claimAnswering(ctx, room);
  if (claimed.length === 0) return { claimed: 0, room };
  for (const prepared of await prepareDeliveries(ctx, claimed)) {
    ctx.answering.track(
      deliverAndAnswer(ctx, prepared).catch((err) => ctx.logger.error({ err, deliveryId: prepared.delivery.id }, 'answering delivery failed')),
    );
  }
  return { claimed: claimed.length, room };
}

function claimAnswering(ctx: AppContext, limit: number): Promise<DeliveryRow[]> {
  const now = ctx.clock.now();
  return ctx.db.transaction((trx) => {
    // Literal terms, so SQLite uses the partial index event_deliveries_answering.
    const query = trx<DeliveryRow>('event_deliveries as d')
      .select('d.*')
      .whereRaw("d.status = 'pending' and d.answering")
      .where('d.next_attempt_at', '<=', now)
      .orderBy('d.next_attempt_at')
      .limit(limit);
    return leaseClaimed(trx, query, now);
  });
}

/**
 * One answering delivery: the POST waits for the workflow's response (its answer window plus the
 * usual delivery timeout), the delivery is recorded as any other (delivered, or retried on the
 * schedule), and the response decides the call's answer when it is still waiting.
 */
async function deliverAndAnswer(ctx: AnswersContext, prepared: PreparedDelivery): Promise<void> {
  const { delivery, event, subscription, body } = prepared;
  const call = await readCallAnswer(ctx.db, event.id);
  const window = call?.status === 'waiting' ? Math.max(0, call.deadline - ctx.clock.now()) : 0;
  const outcome = await attempt(ctx, delivery, event, subscription, body, {
    timeoutMs: DELIVERY_TIMEOUT_MS + window,
    keepBody: MAX_WORKFLOW_ANSWER_BYTES,
    signal: ctx.answering.signal,
  });
  // Stopping: nothing is recorded, the lease brings the delivery back.
  if (ctx.answering.signal.aborted) return;
  await ctx.db.transaction(async (trx) => {
    await recordOutcomesIn(trx, ctx, [{ delivery, event, outcome }]);
    if (call) await answerFrom(trx, ctx, call, delivery, outcome);
  });
}

/**
 * A usable response decides the answer. An unusable one (not 2xx, not JSON, the wrong shape, too
 * big, no response) decides the fallback, unless another answering subscriber has yet to respond:
 * then it is only noted on the trace and the other one may still answer.
 */
async function answerFrom(trx: Knex.Transaction, ctx: AppContext, call: CallAnswerRow, delivery: DeliveryRow, outcome: PostOutcome): Promise<void> {
  const parsed = parseWorkflowAnswer(outcome.statusCode, outcome.body ?? null, outcome.truncated ?? false);
  if ('answer' in parsed) {
    await decideCallAnswer(trx, ctx, call.event_id, { status: 'answered', answer: parsed.answer, deliveryId: delivery.id, subscriptionId: delivery.subscription_id });
    return;
  }
  const reason = outcome.statusCode === null && outcome.error ? outcome.error : parsed.problem;
  if (await othersMayAnswer(trx, delivery)) {
    await appendTraceHop(trx, ctx.clock, {
      botId: call.bot_id,
      traceId: call.trace_id,
      hop: 'endpoint.answered',
      status: 'ignored',
      latencyMs: Math.max(0, ctx.clock.now() - call.created_at),
      detail: { event_id: call.event_id, delivery_id: delivery.id, reason, decided: 'another answering workflow may still answer' },
    });
    return;
  }
  await decideCallAnswer(trx, ctx, call.event_id, { status: 'fallback', reason, deliveryId: delivery.id });
}

/** Another answering delivery of the same call that has not had its first response yet. */
async function othersMayAnswer(trx: Knex.Transaction, delivery: DeliveryRow): Promise<boolean> {
  const other = await trx('event_deliveries')
    .where({ event_id: delivery.event_id, attempts: 0 })
    .whereNot('id', delivery.id)
    .whereRaw("status = 'pending' and answering")
    .first('id');
  return other !== undefined;
}
