import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { EVENTS_LOOP } from './outbox';
import type { DeliveryRow } from './webhook-delivery';

export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'exhausted']);

export const listDeliveriesQuerySchema = z.object({
  status: deliveryStatusSchema.optional(),
  subscriptionId: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .max(200)
    .transform((cursor, check) => decodeCursor(cursor) ?? (check.addIssue({ code: 'custom', message: 'is not a cursor from a previous page' }), z.NEVER))
    .optional(),
});
export type ListDeliveriesQuery = z.output<typeof listDeliveriesQuerySchema>;

export interface Delivery {
  id: string;
  subscriptionId: string;
  eventId: number;
  eventType: string;
  traceId: string;
  status: DeliveryRow['status'];
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

type DeliveryWithEvent = DeliveryRow & { type: string; trace_id: string };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toDelivery(row: DeliveryWithEvent): Delivery {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.type,
    traceId: row.trace_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: iso(row.delivered_at),
    createdAt: iso(row.created_at)!,
  };
}

function withEvent(ctx: AppContext, botId: number) {
  return ctx.db<DeliveryWithEvent>('event_deliveries as d')
    .join('events as ev', 'ev.id', 'd.event_id')
    .select('d.*', 'ev.type', 'ev.trace_id')
    .where('d.bot_id', botId);
}

/** The subscriptions whose deliveries a caller may see: all of the bot's, or only these ids. */
export type VisibleSubscriptions = 'all' | readonly string[];

function withVisibleEvent(ctx: AppContext, botId: number, visible: VisibleSubscriptions) {
  const rows = withEvent(ctx, botId);
  return visible === 'all' ? rows : rows.whereIn('d.subscription_id', [...visible]);
}

/** Newest first; the cursor is the position after the last row of the previous page. */
export async function listDeliveries(ctx: AppContext, botId: number, query: ListDeliveriesQuery, visible: VisibleSubscriptions): Promise<{ deliveries: Delivery[]; nextCursor: string | null }> {
  const rows = withVisibleEvent(ctx, botId, visible).orderBy('d.event_id', 'desc').orderBy('d.id', 'desc').limit(query.limit + 1);
  if (query.status) rows.where('d.status', query.status);
  if (query.subscriptionId) rows.where('d.subscription_id', query.subscriptionId);
  const after = query.cursor;
  if (after) rows.where((q) => q.where('d.event_id', '<', after.eventId).orWhere((same) => same.where('d.event_id', after.eventId).where('d.id', '<', after.id)));
  const page = await rows;
  const more = page.length > query.limit;
  const deliveries = page.slice(0, query.limit).map(toDelivery);
  const last = deliveries.at(-1);
  return { deliveries, nextCursor: more && last ? encodeCursor(last.eventId, last.id) : null };
}

function encodeCursor(eventId: number, id: string): string {
  return Buffer.from(`${eventId}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { eventId: number; id: string } | undefined {
  const match = /^(\d+):(dlv_[0-9a-f]+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { eventId: Number(match[1]), id: match[2] } : undefined;
}

export async function getDelivery(ctx: AppContext, botId: number, id: string, visible: VisibleSubscriptions): Promise<Delivery | undefined> {
  const row = await withVisibleEvent(ctx, botId, visible).where('d.id', id).first();
  return row && toDelivery(row);
}

export type RedeliverResult = { delivery: Delivery } | { notFound: true } | { pending: true };

/** Puts a delivered or exhausted delivery back in the queue with a fresh retry schedule. */
export async function redeliver(ctx: AppContext, botId: number, id: string, visible: VisibleSubscriptions): Promise<RedeliverResult> {
  if (!(await getDelivery(ctx, botId, id, visible))) return { notFound: true };
  const changed = await ctx.db('event_deliveries')
    .where({ bot_id: botId, id })
    .whereNot('status', 'pending')
    .update({ status: 'pending', attempts: 0, next_attempt_at: ctx.clock.now(), delivered_at: null, last_error: null, last_status_code: null });
  const delivery = await getDelivery(ctx, botId, id, visible);
  if (!delivery) return { notFound: true };
  if (changed === 0) return { pending: true };
  ctx.wakeups.wake(EVENTS_LOOP);
  return { delivery };
}
