import type { Knex } from 'knex';
import { type Goal, goalSchema } from '../maps/map-document';
import { fromJson } from '../platform/db/database';
import { hourOf, type RollupDeltas } from './counters';

export type { Goal };
export type GoalKind = 'alias' | 'event' | 'button';

export function goalTarget(goal: Goal): { kind: GoalKind; value: string } {
  if ('alias' in goal) return { kind: 'alias', value: goal.alias };
  if ('event' in goal) return { kind: 'event', value: goal.event };
  return { kind: 'button', value: goal.button };
}

/** The goals of a bot's current map by the alias whose communication they measure. */
export async function currentGoals(trx: Knex, botId: number): Promise<Map<string, Goal>> {
  const row = await trx('communication_maps').where({ bot_id: botId }).orderBy('version', 'desc').first('document');
  const goals = new Map<string, Goal>();
  if (!row) return goals;
  const document = fromJson<{ endpoints?: Array<{ alias: string; goal?: unknown }> }>(row.document);
  for (const endpoint of document.endpoints ?? []) {
    const goal = goalSchema.safeParse(endpoint.goal);
    if (goal.success) goals.set(endpoint.alias, goal.data);
  }
  return goals;
}

interface GoalWaitRow {
  bot_id: number;
  alias: string;
  lead_id: string;
  channel: string;
  sent_at: number;
}

/**
 * The goal `kind`/`value` happened at `at` for this lead (or user): every communication still
 * waiting for it converts, counted in the hour of its send, and stops waiting.
 */
export async function reachGoal(
  trx: Knex,
  deltas: RollupDeltas,
  fact: { botId: number; kind: GoalKind; value: string; leadId: string | null; userId: string | null; at: number },
): Promise<void> {
  if (!fact.leadId && !fact.userId) return;
  const waits: GoalWaitRow[] = await trx('analytics_goal_waits')
    .where({ bot_id: fact.botId, goal_kind: fact.kind, goal_value: fact.value })
    .where((who) => {
      if (fact.leadId) who.orWhere('lead_id', fact.leadId);
      if (fact.userId) who.orWhere('user_id', fact.userId);
    })
    .where('sent_at', '<=', fact.at)
    .where('expires_at', '>=', fact.at)
    .select('bot_id', 'alias', 'lead_id', 'channel', 'sent_at');
  for (const wait of waits) {
    deltas.add({ botId: wait.bot_id, hour: hourOf(wait.sent_at), alias: wait.alias, channel: wait.channel }, 'conversions');
    await trx('analytics_goal_waits').where({ bot_id: wait.bot_id, alias: wait.alias, lead_id: wait.lead_id }).delete();
  }
}
