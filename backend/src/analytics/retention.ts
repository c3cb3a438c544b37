import type { AppContext } from '../platform/context';

/**
 * The attribution state ages out; the hourly and daily rollups stay, both of them (they are the
 * summary that outlives the purged raw rows, a year of them is a few hundred thousand small rows,
 * and a daily row must stay the sum of its hourly rows for the queries to be exact). Goal waits go once
 * expired; a trace's communication and a lead's latest send after HISTORY_RETENTION_DAYS, as the
 * raw rows they summarise (an answer later than that is not attributed to a send).
 */
export async function purgeAnalyticsState(ctx: AppContext): Promise<void> {
  const now = ctx.clock.now();
  const cutoff = now - ctx.config.HISTORY_RETENTION_DAYS * 86_400_000;
  await ctx.db('analytics_goal_waits').where('expires_at', '<', now).delete();
  await ctx.db('analytics_traces').where('created_at', '<', cutoff).delete();
  await ctx.db('analytics_last_sends').where('sent_at', '<', cutoff).delete();
}
