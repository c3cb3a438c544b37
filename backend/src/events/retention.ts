import type { AppContext } from '../platform/context';

const BATCH = 5000;

/**
 * Deletes what the events loop is done with, older than HISTORY_RETENTION_DAYS: delivered and
 * exhausted deliveries, then events that were fanned out and have no delivery left (an event
 * with a pending delivery stays, whatever its age). Batches of BATCH rows; resolves true when a
 * batch was full (more to do).
 */
export async function purgeDeliveredEvents(ctx: AppContext): Promise<boolean> {
  const cutoff = ctx.clock.now() - ctx.config.HISTORY_RETENTION_DAYS * 86_400_000;
  // One scan an hour; events carry no created_at index so the insert path stays lean.
  const newest = (await ctx.db('events').where('created_at', '<', cutoff).max({ id: 'id' }).first()) as { id: number | string | null } | undefined;
  if (newest?.id === null || newest?.id === undefined) return false;
  const lastId = Number(newest.id);
  const deliveries = await ctx.db('event_deliveries')
    .whereIn('id', ctx.db('event_deliveries').select('id').where('event_id', '<=', lastId).whereIn('status', ['delivered', 'exhausted']).limit(BATCH))
    .delete();
  const events = await ctx.db('events')
    .whereIn(
      'id',
      ctx.db('events as e')
        .select('e.id')
        .where('e.id', '<=', lastId)
        .whereNotNull('e.fanout')
        .whereNotExists(ctx.db('event_deliveries as d').select(ctx.db.raw('1')).whereRaw('d.event_id = e.id'))
        .orderBy('e.id')
        .limit(BATCH),
    )
    .delete();
  return deliveries === BATCH || events === BATCH;
}
