import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { isPostgres } from '../platform/db/database';
import { type AnswerDecision, decideCallAnswer } from './call-answers';
import type { EventRow } from './event-row';
import { ANSWERS_LOOP, EVENTS_LOOP } from './outbox';
import type { DeliveryObserversContext } from './webhook-delivery';
import { type EventFacts, type SubscriptionRow, subscriptionMatcher, toSubscription } from './subscriptions';

export const FANOUT_BATCH = 500;
const ADOPTION_LIMIT = 10_000;
/** Only one process fans out at a time (PostgreSQL advisory lock), so a subscription created meanwhile is never missed. */
const FANOUT_LOCK_KEY = 5_040_417;

/**
 * Work another capability does inside the fan-out's transaction with each batch of new events
 * (send and wait registers the waits of `message.sent`). The composition root lists them, so the
 * events capability needs to know none of them.
 */
export type FanoutObserver = (trx: Knex, events: EventRow[]) => Promise<void>;

export interface EventsContext extends DeliveryObserversContext {
  fanoutObservers: readonly FanoutObserver[];
}

type Matcher = { id: string; answers: boolean; wants: (event: EventFacts) => boolean };

/** Deliveries with the same key reach one subscription in event order: per lead, else per user, else per alias. */
export function orderKey(event: Pick<EventRow, 'lead_id' | 'user_id' | 'alias'>): string | null {
  if (event.lead_id) return `lead:${event.lead_id}`;
  if (event.user_id) return `user:${event.user_id}`;
  if (event.alias) return `alias:${event.alias}`;
  return null;
}

/**
 * Turns recorded events into deliveries: every new event gets one delivery per matching
 * subscription; an event nobody wants is marked unmatched and handed to the first matching
 * subscription created within EVENT_RETENTION_HOURS. Returns how many new events it handled.
 */
export async function fanOutEvents(ctx: EventsContext): Promise<number> {
  return ctx.db.transaction(async (trx) => {
    const start = await startFanout(trx);
    if (!start.locked) return 0;
    const now = ctx.clock.now();
    if (start.adopting) await adoptUnmatchedEvents(trx, now, now - ctx.config.EVENT_RETENTION_HOURS * 3_600_000);
    const events = await newEvents(trx);
    if (events.length === 0) return 0;
    for (const observe of ctx.fanoutObservers) await observe(trx, events);
    const botIds = [...new Set(events.map((e) => e.bot_id))];
    const subscriptions = await trx<SubscriptionRow>('subscriptions').whereIn('bot_id', botIds).orderBy('created_at');
    const matchersByBot = groupMatchers(subscriptions);
    const awaitingAnswer = new Set(events.filter((e) => e.awaiting_answer).map((e) => e.id));
    const deliveries = events.flatMap((event) =>
      (matchersByBot.get(event.bot_id) ?? [])
        .filter((m) => m.wants(event))
        .map((m) => deliveryRow(event, m.id, now, m.answers && awaitingAnswer.has(event.id))),
    );
    await insertDeliveries(trx, deliveries);
    wakeEventsLoop(trx, ctx, deliveries);
    await answerUnansweredCalls(trx, ctx, awaitingAnswer, deliveries);
    await answerUnwantedPreCheckouts(trx, ctx, events, deliveries);
    const matchedIds = new Set(deliveries.map((d) => d.event_id));
    await markEvents(trx, events.filter((e) => matchedIds.has(e.id)).map((e) => e.id), 'matched');
    await markEvents(trx, events.filter((e) => !matchedIds.has(e.id)).map((e) => e.id), 'unmatched');
    return events.length;
  });
}

/**
 * Both loops fan out, so the events loop may have looked while the answers loop held the fan-out:
 * it is woken once these deliveries are visible rather than at its next tick.
 */
function wakeEventsLoop(trx: Knex.Transaction, ctx: EventsContext, deliveries: Array<ReturnType<typeof deliveryRow>>): void {
  if (deliveries.some((d) => !d.answering)) ctx.wakeups.wakeAfterCommit(trx, EVENTS_LOOP);
}

/** The next events to fan out, each endpoint call marked when it waits for a workflow's answer (one statement for both). */
async function newEvents(trx: Knex.Transaction): Promise<Array<EventRow & { awaiting_answer: boolean }>> {
  const rows: Array<EventRow & { awaiting_answer: boolean | number }> = await trx('events as e')
    .select('e.*')
    .select(trx.raw("(e.type = 'endpoint.called' and exists (select 1 from call_answers a where a.event_id = e.id and a.status = 'waiting')) as awaiting_answer"))
    .whereNull('e.fanout')
    .orderBy('e.id')
    .limit(FANOUT_BATCH);
  // SQLite answers the boolean as 0 or 1.
  for (const row of rows) row.awaiting_answer = Boolean(row.awaiting_answer);
  return rows as Array<EventRow & { awaiting_answer: boolean }>;
}

/**
 * A waiting call no answering subscription wants gets its fallback now rather than at its timeout;
 * one that has an answering delivery wakes the answers loop once this fan-out commits.
 */
async function answerUnansweredCalls(trx: Knex.Transaction, ctx: EventsContext, awaiting: Set<number>, deliveries: Array<ReturnType<typeof deliveryRow>>) {
  if (awaiting.size === 0) return;
  const answered = new Set(deliveries.filter((d) => d.answering).map((d) => d.event_id));
  const noAnswerer: AnswerDecision = { status: 'fallback', reason: 'no active workflow answers this endpoint' };
  for (const eventId of awaiting) {
    if (!answered.has(eventId)) await decideCallAnswer(trx, ctx, eventId, noAnswerer);
  }
  if (answered.size > 0) ctx.wakeups.wakeAfterCommit(trx, ANSWERS_LOOP);
}

/**
 * A pre-checkout waiting for its workflow's answer (settings.payments.preCheckout "workflow") that
 * no subscription wants gets the bot's default now: Telegram's seconds are not spent waiting for nobody.
 */
async function answerUnwantedPreCheckouts(trx: Knex.Transaction, ctx: EventsContext, events: EventRow[], deliveries: Array<ReturnType<typeof deliveryRow>>) {
  const delivered = new Set(deliveries.map((d) => d.event_id));
  const unwanted = events.filter((e) => e.type === 'payment.pre_checkout' && !delivered.has(e.id)).map((e) => e.id);
  if (unwanted.length === 0) return;
  const rows: Array<{ event_id: number }> = await trx('call_answers').whereIn('event_id', unwanted).where({ status: 'waiting' }).select('event_id');
  for (const row of rows) await decideCallAnswer(trx, ctx, Number(row.event_id), { status: 'fallback', reason: 'no workflow subscribes to payment.pre_checkout' }, 'payment.pre_checkout_answered');
}

/**
 * PostgreSQL: the fan-out lock, the worker's asynchronous commit (see worker-transaction.ts) and
 * whether a subscription waits for its unmatched events, in one round trip. SQLite has one writer:
 * no lock, and the adoption looks for itself.
 */
async function startFanout(trx: Knex.Transaction): Promise<{ locked: boolean; adopting: boolean }> {
  if (!isPostgres(trx)) return { locked: true, adopting: true };
  const result = await trx.raw<{ rows: Array<{ locked: boolean; adopting: boolean }> }>(
    `select set_config('synchronous_commit', 'off', true), pg_try_advisory_xact_lock(?) as locked,
            exists (select 1 from subscriptions where adopted_at is null) as adopting`,
    [FANOUT_LOCK_KEY],
  );
  return result.rows[0];
}

/** Hands a new subscription the unmatched events of the retention window that it matches. */
async function adoptUnmatchedEvents(trx: Knex.Transaction, now: number, since: number): Promise<void> {
  const fresh = await trx<SubscriptionRow>('subscriptions').whereNull('adopted_at').orderBy('created_at').limit(20);
  for (const row of fresh) {
    const wants = subscriptionMatcher(toSubscription(row));
    const candidates = await trx<EventRow>('events')
      .where('bot_id', row.bot_id)
      .where('fanout', 'unmatched')
      .where('created_at', '>=', since)
      .orderBy('id')
      .limit(ADOPTION_LIMIT);
    const adopted = candidates.filter(wants);
    await insertDeliveries(trx, adopted.map((event) => deliveryRow(event, row.id, now)));
    await markEvents(trx, adopted.map((e) => e.id), 'matched');
    await trx('subscriptions').where({ id: row.id }).update({ adopted_at: now });
  }
}

function groupMatchers(subscriptions: SubscriptionRow[]): Map<number, Matcher[]> {
  const byBot = new Map<number, Matcher[]>();
  for (const row of subscriptions) {
    const list = byBot.get(row.bot_id) ?? [];
    list.push({ id: row.id, answers: Boolean(row.answers), wants: subscriptionMatcher(toSubscription(row)) });
    byBot.set(row.bot_id, list);
  }
  return byBot;
}

/** An answering delivery is unordered: a caller waiting for its answer cannot wait behind a retry of an earlier event. */
function deliveryRow(event: EventRow, subscriptionId: string, now: number, answering = false) {
  return {
    id: `dlv_${crypto.randomBytes(12).toString('hex')}`,
    bot_id: event.bot_id,
    subscription_id: subscriptionId,
    event_id: event.id,
    order_key: answering ? null : orderKey(event),
    answering,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    created_at: now,
  };
}

async function insertDeliveries(trx: Knex.Transaction, rows: Array<ReturnType<typeof deliveryRow>>): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await trx('event_deliveries').insert(rows.slice(i, i + 200)).onConflict(['subscription_id', 'event_id']).ignore();
  }
}

async function markEvents(trx: Knex.Transaction, ids: number[], fanout: 'matched' | 'unmatched'): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await trx('events').whereIn('id', ids.slice(i, i + 500)).update({ fanout });
  }
}
