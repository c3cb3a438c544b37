import type { Knex } from 'knex';
import { z } from 'zod';
import type { DeliveryChannel } from '../identity/recipients';
import { isPostgres } from '../platform/db/database';

/**
 * An audience resolved in SQL: the people of a send to topics (or a segment) as one SELECT, so
 * accepting a send to 100,000 members is one INSERT … SELECT, never a query per person. The rows
 * are one per lead: `lead_id, user_id, channel, chat_id, paused_until, topic_id` (the topic the
 * person came through, the lowest id when several; null for a segment).
 */
export interface AudienceSql {
  sql: string;
  bindings: Knex.Value[];
}

export const exclusionsSchema = {
  excludeUserIds: z.array(z.string().trim().min(1).max(200)).max(100_000).default([]).meta({ description: 'CRM users left out of a send to topics or a segment' }),
  excludeLeadIds: z.array(z.string().trim().min(1).max(200)).max(100_000).default([]).meta({ description: 'Leads left out of a send to topics or a segment' }),
};

export interface AudienceTarget {
  botId: number;
  /** Which of a user member's chats: `last` (most recently active reachable), `all`, or the one in a channel. */
  channel: DeliveryChannel;
  excludeUserIds: string[];
  excludeLeadIds: string[];
}

/** The dialect's table of a JSON array parameter (one parameter whatever the number of ids). */
const jsonIds = (db: Knex) => (isPostgres(db) ? 'select value from jsonb_array_elements_text(cast(? as jsonb))' : 'select value from json_each(?)');
const jsonInts = (db: Knex) => (isPostgres(db) ? 'select cast(value as integer) from jsonb_array_elements_text(cast(? as jsonb))' : 'select value from json_each(?)');

/**
 * The leads a send to these topics reaches, before exclusions and account state: a lead member
 * itself; a user member's chosen chats among their reachable connected leads.
 */
export function topicPeople(db: Knex, target: AudienceTarget, topicIds: number[]): AudienceSql {
  const inChannel = target.channel === 'last' || target.channel === 'all' ? undefined : target.channel;
  const channelClause = inChannel ? ' and l.channel = ?' : '';
  const channelBinding = inChannel ? [inChannel] : [];
  const oneChat = target.channel === 'all' ? '' : ' where u.rank = 1';
  const sql = `select p.lead_id, min(p.topic_id) as topic_id from (
      select m.topic_id, l.id as lead_id
        from topic_members m join leads l on l.id = m.member_id and l.bot_id = ?
       where m.member_kind = 'lead' and m.topic_id in (${jsonInts(db)})${channelClause}
      union all
      select u.topic_id, u.lead_id from (
        select m.topic_id, l.id as lead_id, row_number() over (partition by m.topic_id, m.member_id order by l.last_activity_at desc, l.id) as rank
          from topic_members m
          join links k on k.bot_id = ? and k.user_id = m.member_id and k.status = 'connected'
          join leads l on l.id = k.lead_id
         where m.member_kind = 'user' and m.topic_id in (${jsonInts(db)}) and l.reachable${channelClause}
      ) u${oneChat}
    ) p group by p.lead_id`;
  const ids = JSON.stringify(topicIds);
  return { sql, bindings: [target.botId, ids, ...channelBinding, target.botId, ids, ...channelBinding] };
}

/**
 * The deliverable people of `people` (rows with `lead_id` and `topic_id`): reachable leads whose
 * linked account (if any) is active, minus the exclusions. Paused accounts are kept: the caller
 * decides (a critical message passes a pause, another waits for its end).
 */
export function deliverable(db: Knex, target: AudienceTarget, people: AudienceSql): AudienceSql {
  const sql = `select l.id as lead_id, k.user_id as user_id, l.channel as channel, l.chat_id as chat_id, a.paused_until as paused_until, p.topic_id as topic_id
      from (${people.sql}) p
      join leads l on l.id = p.lead_id and l.bot_id = ?
      left join links k on k.lead_id = l.id and k.status = 'connected'
      left join user_accounts a on a.bot_id = l.bot_id and a.user_id = k.user_id
     where l.reachable and (a.state is null or a.state = 'active')
       and l.id not in (${jsonIds(db)})
       and (k.user_id is null or k.user_id not in (${jsonIds(db)}))`;
  return { sql, bindings: [...people.bindings, target.botId, JSON.stringify(target.excludeLeadIds), JSON.stringify(target.excludeUserIds)] };
}

/** How each row is written: at once (or deferred for a pause unless critical), or scheduled for one time. */
export type AudienceTiming = { kind: 'now'; critical: boolean } | { kind: 'at'; dueAt: number };

/**
 * Writes one `message_recipients` row per person of the audience in one statement; the database
 * computes each row's status and due time. Returns the rows written by status.
 */
export async function insertAudience(trx: Knex, audience: AudienceSql, row: { messageId: string; botId: number; now: number; timing: AudienceTiming }): Promise<Record<string, number>> {
  const { now, timing } = row;
  const held = timing.kind === 'now' && !timing.critical ? 'r.paused_until is not null and r.paused_until > ?' : '1 = 0';
  const heldBindings = timing.kind === 'now' && !timing.critical ? [now] : [];
  const [status, statusBindings] =
    timing.kind === 'at' ? [`?`, [timing.dueAt > now ? 'scheduled' : 'queued']] : [`case when ${held} then 'deferred' else 'queued' end`, heldBindings];
  const [dueAt, dueBindings] = timing.kind === 'at' ? [`?`, [Math.max(timing.dueAt, now)]] : [`case when ${held} then r.paused_until else ? end`, [...heldBindings, now]];
  await trx.raw(
    `insert into message_recipients (message_id, bot_id, lead_id, user_id, channel, chat_id, status, attempts, due_at, updated_at, topic_id)
     select ?, ?, r.lead_id, r.user_id, r.channel, r.chat_id, ${status}, 0, ${dueAt}, ?, r.topic_id from (${audience.sql}) r`,
    [row.messageId, row.botId, ...statusBindings, ...dueBindings, now, ...audience.bindings],
  );
  const counts = (await trx('message_recipients').where({ message_id: row.messageId }).select('status').count({ n: '*' }).groupBy('status')) as Array<{ status: string; n: number | string }>;
  return Object.fromEntries(counts.map((c) => [c.status, Number(c.n)]));
}

/** How many people the audience has, and the first lead ids (the sample a template is checked for). */
export async function audienceSample(db: Knex, audience: AudienceSql, size: number): Promise<{ count: number; leadIds: string[] }> {
  const [counted] = (await db.raw(`select count(*) as n from (${audience.sql}) r`, audience.bindings).then(rowsOf)) as Array<{ n: number | string }>;
  const sample = (await db.raw(`select r.lead_id from (${audience.sql}) r order by r.lead_id limit ?`, [...audience.bindings, size]).then(rowsOf)) as Array<{ lead_id: string }>;
  return { count: Number(counted?.n ?? 0), leadIds: sample.map((r) => r.lead_id) };
}

const rowsOf = (result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows);
