import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';
import { isPostgres } from '../platform/db/database';
import type { EventRow } from './event-row';
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

export interface EventsContext extends AppContext {
  fanoutObservers: readonly FanoutObserver[];
}

type Matcher = { id: string; wants: (event: EventFacts) => boolean };

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
    if (!(await takeFanoutLock(trx))) return 0;
    const now = ctx.clock.now();
    await adoptUnmatchedEvents(trx, now, now - ctx.config.EVENT_RETENTION_HOURS * 3_600_000);
    const events = await trx<EventRow>('events').whereNull('fanout').orderBy('id').limit(FANOUT_BATCH);
    if (events.length === 0) return 0;
    for (const observe of ctx.fanoutObservers) await observe(trx, events);
    const botIds = [...new Set(events.map((e) => e.bot_id))];
    const subscriptions = await trx<SubscriptionRow>('subscriptions').whereIn('bot_id', botIds).orderBy('created_at');
    const matchersByBot = groupMatchers(subscriptions);
    const deliveries = events.flatMap((event) =>
      (matchersByBot.get(event.bot_id) ?? []).filter((m) => m.wants(event)).map((m) => deliveryRow(event, m.id, now)),
    );
    await insertDeliveries(trx, deliveries);
    const matchedIds = new Set(deliveries.map((d) => d.event_id));
    await markEvents(trx, events.filter((e) => matchedIds.has(e.id)).map((e) => e.id), 'matched');
    await markEvents(trx, events.filter((e) => !matchedIds.has(e.id)).map((e) => e.id), 'unmatched');
    return events.length;
  });
}

/** PostgreSQL: the fan-out lock, and the worker's asynchronous commit (see worker-transaction.ts), in one round trip. */
async function takeFanoutLock(trx: Knex.Transaction): Promise<boolean> {
  if (!isPostgres(trx)) return true;
  const result = await trx.raw<{ rows: Array<{ locked: boolean }> }>(
    `select set_config('synchronous_commit', 'off', true), pg_try_advisory_xact_lock(?) as locked`,
    [FANOUT_LOCK_KEY],
  );
  return result.rows[0].locked;
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
    list.push({ id: row.id, wants: subscriptionMatcher(toSubscription(row)) });
    byBot.set(row.bot_id, list);
  }
  return byBot;
}

function deliveryRow(event: EventRow, subscriptionId: string, now: number) {
  return {
    id: `dlv_${crypto.randomBytes(12).toString('hex')}`,
    bot_id: event.bot_id,
    subscription_id: subscriptionId,
    event_id: event.id,
    order_key: orderKey(event),
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
