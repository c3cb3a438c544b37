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

/**
 * The topic ids as a literal list of parameters (at most 20: the request's bound): the planner
 * reads each id's member count from its statistics, where a JSON table is a guess of 100 rows
 * and a 100,000-member topic would be joined by nested loops.
 */
function topicList(topicIds: number[]): { sql: string; bindings: number[] } {
  if (topicIds.length === 0) return { sql: 'null', bindings: [] };
  return { sql: topicIds.map(() => '?').join(', '), bindings: topicIds };
}

/**
 * The leads a send to these topics reaches, before exclusions and account state: a lead member
 * itself; a user member's chosen chats among their reachable connected leads.
 */
export function topicPeople(target: AudienceTarget, topicIds: number[]): AudienceSql {
  const inChannel = target.channel === 'last' || target.channel === 'all' ? undefined : target.channel;
  const channelClause = inChannel ? ' and l.channel = ?' : '';
  const channelBinding = inChannel ? [inChannel] : [];
  const oneChat = target.channel === 'all' ? '' : ' where u.rank = 1';
  const topics = topicList(topicIds);
  const sql = `select p.lead_id, min(p.topic_id) as topic_id from (
      select m.topic_id, l.id as lead_id
        from topic_members m join leads l on l.id = m.member_id and l.bot_id = ?
       where m.member_kind = 'lead' and m.topic_id in (${topics.sql})${channelClause}
      union all
      select u.topic_id, u.lead_id from (
        select m.topic_id, l.id as lead_id, row_number() over (partition by m.topic_id, m.member_id order by l.last_activity_at desc, l.id) as rank
          from topic_members m
          join links k on k.bot_id = ? and k.user_id = m.member_id and k.status = 'connected'
          join leads l on l.id = k.lead_id
         where m.member_kind = 'user' and m.topic_id in (${topics.sql}) and l.reachable${channelClause}
      ) u${oneChat}
    ) p group by p.lead_id`;
  return { sql, bindings: [target.botId, ...topics.bindings, ...channelBinding, target.botId, ...topics.bindings, ...channelBinding] };
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

/**
 * How each row is written: at once (or deferred for a pause unless critical), scheduled for one
 * time, or scheduled by the person's time zone (`local`: the due time of each zone the audience's
 * profiles name, `fallback` for everyone else — the bot's zone).
 */
export type AudienceTiming = { kind: 'now'; critical: boolean } | { kind: 'at'; dueAt: number } | { kind: 'local'; dueByZone: Map<string, number>; fallback: number };

/**
 * The time zone a profile names, as SQL over `a.profile` (text JSON): the string of `timeZone`,
 * else of `timezone` (as `recipientZone` reads them: a `timeZone` of another type names no
 * zone, an empty string stands for it). Whether it is a real zone is decided in JS, once per value.
 */
function profileZone(db: Knex): string {
  if (isPostgres(db)) {
    const doc = 'cast(a.profile as jsonb)';
    return `case when jsonb_typeof(${doc} -> 'timeZone') = 'string' then ${doc} ->> 'timeZone'
                 when coalesce(jsonb_typeof(${doc} -> 'timeZone'), 'null') <> 'null' then ''
                 when jsonb_typeof(${doc} -> 'timezone') = 'string' then ${doc} ->> 'timezone' end`;
  }
  return `case when json_type(a.profile, '$.timeZone') = 'text' then json_extract(a.profile, '$.timeZone')
               when coalesce(json_type(a.profile, '$.timeZone'), 'null') <> 'null' then ''
               when json_type(a.profile, '$.timezone') = 'text' then json_extract(a.profile, '$.timezone') end`;
}

/** The audience with each person's profile zone (`zone`, null without a profile that names one). */
function withZones(db: Knex, botId: number, audience: AudienceSql): AudienceSql {
  return {
    sql: `select r.*, ${profileZone(db)} as zone from (${audience.sql}) r left join user_accounts a on a.bot_id = ? and a.user_id = r.user_id`,
    bindings: [...audience.bindings, botId],
  };
}

/** The distinct zones the audience's profiles name (one query; people share few zones). */
export async function audienceZones(db: Knex, botId: number, audience: AudienceSql): Promise<string[]> {
  const zoned = withZones(db, botId, audience);
  // recipientZone ignores a name longer than 64: so does the query.
  const rows = (await db.raw(`select distinct z.zone from (${zoned.sql}) z where z.zone is not null and length(z.zone) <= 64`, zoned.bindings).then(rowsOf)) as Array<{ zone: string }>;
  return rows.map((r) => r.zone);
}

/** The dialect's table of [zone, due] pairs given as one JSON parameter. */
const zoneTable = (db: Knex) =>
  isPostgres(db)
    ? 'select value ->> 0 as zone, cast(value ->> 1 as bigint) as due from jsonb_array_elements(cast(? as jsonb))'
    : "select json_extract(value, '$[0]') as zone, json_extract(value, '$[1]') as due from json_each(?)";

/** The audience as `r` with each person's zone's due time as `z.due` (null: the fallback zone). */
function zonedSource(db: Knex, botId: number, audience: AudienceSql, dueByZone: Map<string, number>): AudienceSql {
  const zoned = withZones(db, botId, audience);
  return { sql: `(${zoned.sql}) r left join (${zoneTable(db)}) z on z.zone = r.zone`, bindings: [...zoned.bindings, JSON.stringify([...dueByZone])] };
}

/** Status and due time of each row as SQL over `r` (and `z.due` for a local time), with their bindings. */
function rowTiming(timing: AudienceTiming, now: number): { status: string; dueAt: string; bindings: Knex.Value[] } {
  if (timing.kind === 'at') return { status: '?', dueAt: '?', bindings: [timing.dueAt > now ? 'scheduled' : 'queued', Math.max(timing.dueAt, now)] };
  if (timing.kind === 'local') {
    const due = 'coalesce(z.due, ?)';
    return {
      status: `case when ${due} > ? then 'scheduled' else 'queued' end`,
      dueAt: `case when ${due} > ? then ${due} else ? end`,
      bindings: [timing.fallback, now, timing.fallback, now, timing.fallback, now],
    };
  }
  const held = timing.critical ? '1 = 0' : 'r.paused_until is not null and r.paused_until > ?';
  const heldBindings = timing.critical ? [] : [now];
  return { status: `case when ${held} then 'deferred' else 'queued' end`, dueAt: `case when ${held} then r.paused_until else ? end`, bindings: [...heldBindings, ...heldBindings, now] };
}

/**
 * Runs a statement over an audience with PostgreSQL's nested loops off, then puts the setting back.
 * PostgreSQL cannot estimate how many people a `group by lead_id` over a union yields (it assumes
 * 200), so it joins 100,000 people to leads, links and accounts by 100,000 index probes each; hash
 * joins read each table once. `set_config(…, true)` is local to the transaction.
 */
async function withoutNestedLoops<T>(trx: Knex, statement: () => Promise<T>): Promise<T> {
  if (!isPostgres(trx)) return statement();
  const before = (await trx.raw("select current_setting('enable_nestloop') as v, set_config('enable_nestloop', 'off', true)")).rows[0].v as string;
  // No reset on failure: the transaction (or its savepoint) is then rolled back, which undoes a
  // local setting too, and a reset sent to an aborted transaction would hide the real error.
  const result = await statement();
  await trx.raw("select set_config('enable_nestloop', ?, true)", [before]);
  return result;
}

/**
 * Writes one `message_recipients` row per person of the audience in one statement; the database
 * computes each row's status and due time (for a local time, by joining each person's profile zone
 * to the zones' due times). Returns the rows written by status.
 */
export async function insertAudience(trx: Knex, audience: AudienceSql, row: { messageId: string; botId: number; now: number; timing: AudienceTiming }): Promise<Record<string, number>> {
  const { now, timing } = row;
  const timed = rowTiming(timing, now);
  const source = timing.kind === 'local' ? zonedSource(trx, row.botId, audience, timing.dueByZone) : { sql: `(${audience.sql}) r`, bindings: audience.bindings };
  await withoutNestedLoops(trx, () =>
    trx.raw(
      `insert into message_recipients (message_id, bot_id, lead_id, user_id, channel, chat_id, status, attempts, due_at, updated_at, topic_id)
       select ?, ?, r.lead_id, r.user_id, r.channel, r.chat_id, ${timed.status}, 0, ${timed.dueAt}, ?, r.topic_id from ${source.sql}`,
      [row.messageId, row.botId, ...timed.bindings, now, ...source.bindings],
    ),
  );
  const counts = (await trx('message_recipients').where({ message_id: row.messageId }).select('status').count({ n: '*' }).groupBy('status')) as Array<{ status: string; n: number | string }>;
  return Object.fromEntries(counts.map((c) => [c.status, Number(c.n)]));
}

/** How many people the audience has (a dry run's answer). */
export async function audienceCount(db: Knex, audience: AudienceSql): Promise<number> {
  const [counted] = (await db.raw(`select count(*) as n from (${audience.sql}) r`, audience.bindings).then(rowsOf)) as Array<{ n: number | string }>;
  return Number(counted?.n ?? 0);
}

/** The first `size` lead ids of the audience (a dry run's preview, shown to a person: a stable choice). */
export async function audienceSample(db: Knex, audience: AudienceSql, size: number): Promise<string[]> {
  const sample = (await db.raw(`select r.lead_id from (${audience.sql}) r order by r.lead_id limit ?`, [...audience.bindings, size]).then(rowsOf)) as Array<{ lead_id: string }>;
  return sample.map((r) => r.lead_id);
}

/** The lead ids of some rows a send just wrote (its `message_id` index): a sample without resolving the audience again. */
export async function writtenSample(trx: Knex, messageId: string, size: number): Promise<string[]> {
  const rows = (await trx('message_recipients').where({ message_id: messageId }).select('lead_id').limit(size)) as Array<{ lead_id: string }>;
  return rows.map((r) => r.lead_id);
}

const rowsOf = (result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows);
