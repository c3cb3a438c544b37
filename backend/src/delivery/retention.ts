import type { Knex } from 'knex';
import type { AppContext } from '../platform/context';

const BATCH = 5000;
const FINISHED = ['sent', 'failed', 'skipped', 'cancelled'];

/**
 * Deletes recipients whose delivery finished (sent, failed, skipped, cancelled) more than
 * HISTORY_RETENTION_DAYS ago, then messages with no recipient left (their status is then a 404).
 * A queued or deferred recipient is never purged. Resolves true when a batch was full.
 */
export async function purgeFinishedRecipients(ctx: AppContext): Promise<boolean> {
  const cutoff = ctx.clock.now() - ctx.config.HISTORY_RETENTION_DAYS * 86_400_000;
  let full = false;
  for (const bot of (await ctx.db('bots').select('id')) as Array<{ id: number }>) {
    full = (await purgeBotRecipients(ctx.db, bot.id, cutoff)) === BATCH || full;
  }
  const messages = await ctx.db('messages')
    .whereIn(
      'id',
      ctx.db('messages as m')
        .select('m.id')
        .where('m.created_at', '<', cutoff)
        .whereNotExists(ctx.db('message_recipients as r').select(ctx.db.raw('1')).whereRaw('r.message_id = m.id'))
        .limit(BATCH),
    )
    .delete();
  return full || messages === BATCH;
}

/**
 * One batch of one bot's finished rows older than `cutoff`, found on the (bot_id, status, due_at)
 * index the worker's claim reads (there is no index across bots by status). due_at of a finished
 * row is when it was last claimed: within a lease of when it finished.
 */
async function purgeBotRecipients(db: Knex, botId: number, cutoff: number): Promise<number> {
  const old = db('message_recipients').select('id').where('bot_id', botId).whereIn('status', FINISHED).andWhere('due_at', '<', cutoff).limit(BATCH);
  return db('message_recipients').whereIn('id', old).delete();
}
