import type { Knex } from 'knex';
import { z } from 'zod';
import { type AnalyticsQuery, analyticsQuerySchema, type Window } from './queries';

export const csatQuerySchema = analyticsQuerySchema.pick({ from: true, to: true }).extend({
  by: z.enum(['operator', 'team']).meta({ description: 'Group the ratings of closed conversations by the operator who had them, or by their team' }),
});
export type CsatQuery = z.output<typeof csatQuerySchema> & Pick<AnalyticsQuery, 'from' | 'to'>;

export const csatGroupSchema = z
  .object({
    key: z.string().nullable().meta({ description: 'The operator (email) or team; null: none (a conversation closed while waiting, or without a team)' }),
    ratings: z.number(),
    average: z.number().nullable(),
    distribution: z.object({ 1: z.number(), 2: z.number(), 3: z.number(), 4: z.number(), 5: z.number() }),
  })
  .meta({ id: 'ConversationCsat' });
export type CsatGroup = z.output<typeof csatGroupSchema>;

/** CSAT of closed conversations in the window (by when the person rated), per operator or per team, the most rated first. */
export async function conversationCsat(db: Knex, botId: number, by: 'operator' | 'team', window: Window): Promise<CsatGroup[]> {
  const rows: Array<{ key: string | null; rating: number | string; count: number | string }> = await db('conversation_ratings')
    .where({ bot_id: botId })
    .where('rated_at', '>=', window.from)
    .where('rated_at', '<', window.to)
    .groupBy(by, 'rating')
    .select({ key: by, rating: 'rating' })
    .count({ count: '*' });
  const groups = new Map<string | null, CsatGroup>();
  for (const row of rows) {
    const group = groups.get(row.key) ?? { key: row.key, ratings: 0, average: null, distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } };
    const rating = Number(row.rating) as 1 | 2 | 3 | 4 | 5;
    const count = Number(row.count);
    group.distribution[rating] += count;
    group.ratings += count;
    groups.set(row.key, group);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, average: g.ratings > 0 ? Object.entries(g.distribution).reduce((sum, [r, n]) => sum + Number(r) * n, 0) / g.ratings : null }))
    .sort((a, b) => b.ratings - a.ratings || String(a.key).localeCompare(String(b.key)));
}
