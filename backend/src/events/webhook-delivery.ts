import type { Knex } from 'knex';
import { Counter, Histogram } from 'prom-client';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres } from '../platform/db/database';
import { metricsRegistry } from '../platform/metrics/metrics';
import { appendTraceHops, type TraceHop } from '../traces/traces';
import type { EventRow } from './event-row';
import { type LeadSnapshot, leadSnapshots } from './lead-snapshot';
import { type PostOutcome, postToTarget } from './http-post';
import { signWebhook } from './signature';
import { type SubscriptionRow, subscriptionSecret } from './subscriptions';
import { nextAttemptAt as scheduledAttempt } from './retry-schedule';
import { commitAsynchronously, workerTransaction } from './worker-transaction';

export const CLAIM_BATCH = 50;
/** A claimed delivery is invisible to other workers this long; a worker that dies mid-attempt is retried after it. */
const CLAIM_LEASE_MS = 60_000;

export interface DeliveryRow {
  id: string;
  bot_id: number;
  subscription_id: string;
  event_id: number;
  order_key: string | null;
  status: 'pending' | 'delivered' | 'exhausted';
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: number | null;
  created_at: number;
}

/**
 * Work another capability does inside the transaction that records finished deliveries (analytics
 * counts them and the exhausted ones); listed by the composition root, as the fan-out observers.
 */
export type DeliveryObserver = (trx: Knex, finished: Array<{ event: EventRow; exhausted: boolean }>, now: number) => Promise<void>;

export interface DeliveryObserversContext extends AppContext {
  deliveryObservers: readonly DeliveryObserver[];
}

export interface Attempt {
  delivery: DeliveryRow;
  event: EventRow;
  outcome: PostOutcome;
}

/** A claimed delivery with what its POST needs. */
export interface PreparedDelivery {
  delivery: DeliveryRow;
  event: EventRow;
  subscription: SubscriptionRow;
  body: string;
}

const attemptsTotal = new Counter({
  name: 'metabot_event_delivery_attempts_total',
  help: 'Webhook delivery attempts to event subscribers, by outcome',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
const receiptSeconds = new Histogram({
  name: 'metabot_event_delivery_seconds',
  help: 'From an event being recorded to its subscriber accepting it',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
  registers: [metricsRegistry],
});

/**
 * Attempts every due delivery whose predecessors (same subscription, same order key, earlier event)
 * are done. Returns how many were claimed and how many succeeded.
 */
export async function deliverDueEvents(ctx: DeliveryObserversContext): Promise<{ claimed: number; delivered: number }> {
  const claimed = await claimDueDeliveries(ctx);
  if (claimed.length === 0) return { claimed: 0, delivered: 0 };
  const prepared = await prepareDeliveries(ctx, claimed);
  const done = await Promise.all(
    prepared.map(async ({ delivery, event, subscription, body }): Promise<Attempt> => ({ delivery, event, outcome: await attempt(ctx, delivery, event, subscription, body) })),
  );
  await recordOutcomes(ctx, done);
  return { claimed: claimed.length, delivered: done.filter((a) => a.outcome.ok).length };
}

/** The events, subscriptions and leads of claimed deliveries, and each one's webhook body; a delivery whose event or subscription is gone is skipped. */
export async function prepareDeliveries(ctx: AppContext, claimed: DeliveryRow[]): Promise<PreparedDelivery[]> {
  const events = await ctx.db<EventRow>('events').whereIn('id', [...new Set(claimed.map((d) => d.event_id))]);
  const subscriptions = await ctx.db<SubscriptionRow>('subscriptions').whereIn('id', [...new Set(claimed.map((d) => d.subscription_id))]);
  const leads = await leadSnapshots(ctx.db, events.map((e) => e.lead_id));
  const eventById = new Map(events.map((e) => [e.id, e]));
  const subscriptionById = new Map(subscriptions.map((s) => [s.id, s]));
  return claimed.flatMap((delivery) => {
    const event = eventById.get(delivery.event_id);
    const subscription = subscriptionById.get(delivery.subscription_id);
    if (!event || !subscription) return [];
    return [{ delivery, event, subscription, body: JSON.stringify(webhookBody(event, leads.get(event.lead_id ?? '') ?? null)) }];
  });
}

async function claimDueDeliveries(ctx: AppContext): Promise<DeliveryRow[]> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (trx) => {
    const query = trx<DeliveryRow>('event_deliveries as d')
      .select('d.*')
      // Literal 'pending' (not a bound value): SQLite uses a partial index only for a literal term.
      .whereRaw("d.status = 'pending'")
      // Answering deliveries are the answers loop's (answering-delivery.ts).
      .whereRaw('not d.answering')
      .where('d.next_attempt_at', '<=', now)
      // The head of its chain: no earlier pending delivery of the same order key. A correlated min()
      // (not NOT EXISTS) so PostgreSQL always probes the chain index, even without statistics.
      .where((head) =>
        head.whereNull('d.order_key').orWhereRaw(
          "d.event_id = (select min(e.event_id) from event_deliveries e where e.subscription_id = d.subscription_id and e.order_key = d.order_key and e.status = 'pending')",
        ),
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.event_id')
      .limit(CLAIM_BATCH);
    return leaseClaimed(trx, query, now);
  });
}

/**
 * Locks the rows `query` selects (SKIP LOCKED on PostgreSQL) and leases them for CLAIM_LEASE_MS, in
 * a worker transaction once there is something to lease: a claim that finds nothing costs no more
 * than its select.
 */
export async function leaseClaimed(trx: Knex.Transaction, query: Knex.QueryBuilder<DeliveryRow, DeliveryRow[]>, now: number): Promise<DeliveryRow[]> {
  const rows: DeliveryRow[] = isPostgres(trx) ? await query.forUpdate().skipLocked() : await query;
  if (rows.length > 0) {
    await commitAsynchronously(trx);
    await trx('event_deliveries').whereIn('id', rows.map((r) => r.id)).update({ next_attempt_at: now + CLAIM_LEASE_MS });
  }
  return rows;
}

/** The webhook body (docs/ARCHITECTURE.md, "Webhook body"), with the lead as it is now. */
export function webhookBody(event: EventRow, lead: LeadSnapshot | null): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    botId: event.bot_id,
    traceId: event.trace_id,
    occurredAt: new Date(event.created_at).toISOString(),
    lead,
    userId: event.user_id,
    data: fromJson(event.payload),
  };
}

export function attempt(
  ctx: AppContext,
  delivery: DeliveryRow,
  event: EventRow,
  subscription: SubscriptionRow,
  body: string,
  options: Parameters<typeof postToTarget>[4] = {},
): Promise<PostOutcome> {
  const headers = {
    'x-metabot-event': event.type,
    'x-metabot-delivery': delivery.id,
    'x-metabot-signature': signWebhook(subscriptionSecret(ctx, subscription), delivery.id, body, Math.floor(ctx.clock.now() / 1000)),
  };
  return postToTarget(ctx, subscription.url, body, headers, options);
}

/** Records a batch of attempts in one transaction: the final states with their trace hops, or the next retry. */
async function recordOutcomes(ctx: DeliveryObserversContext, attempts: Attempt[]): Promise<void> {
  if (attempts.length === 0) return;
  await workerTransaction(ctx, (trx) => recordOutcomesIn(trx, ctx, attempts));
}

/** `recordOutcomes` inside a transaction of the caller's. */
export async function recordOutcomesIn(trx: Knex.Transaction, ctx: DeliveryObserversContext, attempts: Attempt[]): Promise<void> {
  const now = ctx.clock.now();
  const finals = [...(await recordSuccesses(trx, now, attempts.filter((a) => a.outcome.ok)))];
  for (const failure of attempts.filter((a) => !a.outcome.ok)) {
    if (await recordFailure(trx, now, failure)) finals.push(failure);
  }
  await appendTraceHops(trx, ctx.clock, finals.map((a) => deliveredHop(a, now)));
  const finished = finals.map((a) => ({ event: a.event, exhausted: !a.outcome.ok }));
  for (const observe of ctx.deliveryObservers) await observe(trx, finished, now);
}

/** One update per answer status (usually one); returns the attempts whose row was still pending. */
async function recordSuccesses(trx: Knex.Transaction, now: number, successes: Attempt[]): Promise<Attempt[]> {
  const recorded: Attempt[] = [];
  for (const [statusCode, group] of groupBy(successes, (a) => a.outcome.statusCode)) {
    const ids: Array<{ id: string } | string> = await trx('event_deliveries')
      .whereIn('id', group.map((a) => a.delivery.id))
      .whereRaw("status = 'pending'")
      .update({ status: 'delivered', attempts: trx.raw('attempts + 1'), delivered_at: now, last_status_code: statusCode, last_error: null }, ['id']);
    const changed = new Set(ids.map((row) => (typeof row === 'string' ? row : row.id)));
    recorded.push(...group.filter((a) => changed.has(a.delivery.id)));
  }
  attemptsTotal.inc({ outcome: 'delivered' }, successes.length);
  for (const { event } of recorded) receiptSeconds.observe(Math.max(0, now - event.created_at) / 1000);
  return recorded;
}

/** Schedules the next attempt, or marks the delivery exhausted (returns true then). */
async function recordFailure(trx: Knex.Transaction, now: number, { delivery, outcome }: Attempt): Promise<boolean> {
  const attempts = delivery.attempts + 1;
  const nextAttemptAt = scheduledAttempt(now, attempts);
  const exhausted = nextAttemptAt === undefined;
  attemptsTotal.inc({ outcome: exhausted ? 'exhausted' : 'failed' });
  const common = { attempts, last_status_code: outcome.statusCode, last_error: outcome.error };
  // Only a still-pending row: the subscription may have been deleted meanwhile.
  const current = trx('event_deliveries').where({ id: delivery.id }).whereRaw("status = 'pending'");
  if (exhausted) return (await current.update({ ...common, status: 'exhausted' })) > 0;
  if ((await current.update({ ...common, next_attempt_at: nextAttemptAt })) > 0) await holdFollowers(trx, delivery, nextAttemptAt);
  return false;
}

function deliveredHop({ delivery, event, outcome }: Attempt, now: number): TraceHop {
  return {
    botId: event.bot_id,
    traceId: event.trace_id,
    hop: 'workflow.delivered',
    status: outcome.ok ? 'delivered' : 'exhausted',
    alias: event.alias,
    userId: event.user_id,
    leadId: event.lead_id,
    latencyMs: Math.max(0, now - event.created_at),
    detail: { event_id: event.id, delivery_id: delivery.id, subscription_id: delivery.subscription_id, attempts: delivery.attempts + 1, ...(outcome.error ? { error: outcome.error } : {}) },
  };
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Later deliveries of the same chain wait with their head, so claiming does not keep scanning them. */
async function holdFollowers(trx: Knex.Transaction, delivery: DeliveryRow, until: number): Promise<void> {
  if (!delivery.order_key) return;
  await trx('event_deliveries')
    .where({ subscription_id: delivery.subscription_id, order_key: delivery.order_key })
    .whereRaw("status = 'pending'")
    .where('event_id', '>', delivery.event_id)
    .where('next_attempt_at', '<', until)
    .update({ next_attempt_at: until });
}
