import type { Knex } from 'knex';
import { z } from 'zod';
import { userIdSchema } from '../identity/accounts';
import { recordEvents, type NewEvent, type OutboxContext } from '../events/outbox';
import { conflict, invalid, notFound } from '../platform/errors';
import { isPostgres } from '../platform/db/database';

/** A topic's key: what a send, a segment and the chat command name it by. */
export const topicKeySchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'a key of lowercase letters, digits, "_", "-" and "." (at most 64), such as family-news');

export const createTopicSchema = z.object({ key: topicKeySchema, name: z.string().trim().min(1).max(200) }).meta({ id: 'CreateTopic' });

const memberIds = z.array(z.string().trim().min(1).max(200)).max(1000);
/** Whom a membership change is about: CRM users (reached through their linked chats) and/or leads (one chat). */
export const membersSchema = z
  .object({ userIds: z.array(userIdSchema).max(1000).optional(), leadIds: memberIds.optional() })
  .refine((m) => (m.userIds?.length ?? 0) + (m.leadIds?.length ?? 0) > 0, { message: 'give userIds or leadIds', path: ['userIds'] })
  .meta({ id: 'TopicMembers' });
export type Members = z.output<typeof membersSchema>;

export const preferencesSchema = z
  .object({ userIds: z.array(userIdSchema).max(1000).optional(), leadIds: memberIds.optional(), stopped: z.boolean().meta({ description: 'true: stop the topic\'s non-critical messages; false: take them back' }) })
  .refine((m) => (m.userIds?.length ?? 0) + (m.leadIds?.length ?? 0) > 0, { message: 'give userIds or leadIds', path: ['userIds'] })
  .meta({ id: 'TopicPreference' });

export const MAX_TOPICS_PER_BOT = 1000;

export interface Topic {
  id: number;
  key: string;
  name: string;
  createdAt: number;
}

interface TopicRow {
  id: number;
  bot_id: number;
  key: string;
  name: string;
  created_at: number;
}

const toTopic = (row: TopicRow): Topic => ({ id: row.id, key: row.key, name: row.name, createdAt: Number(row.created_at) });

export type MemberKind = 'user' | 'lead';

export async function createTopic(db: Knex, botId: number, input: z.output<typeof createTopicSchema>, now: number): Promise<Topic> {
  return db.transaction(async (trx) => {
    // The bot's row is locked on PostgreSQL so two concurrent creates cannot both pass the count
    // (SQLite has one writer); the unique (bot, key) index settles two creates of one key.
    if (isPostgres(trx)) await trx('bots').where({ id: botId }).forUpdate().first('id');
    const [{ n }] = await trx('topics').where({ bot_id: botId }).count({ n: '*' });
    if (Number(n) >= MAX_TOPICS_PER_BOT) throw conflict(`a bot has at most ${MAX_TOPICS_PER_BOT} topics`);
    const inserted = await trx('topics').insert({ bot_id: botId, key: input.key, name: input.name, created_at: now }).onConflict(['bot_id', 'key']).ignore().returning('*');
    if (inserted.length === 0) throw conflict(`topic "${input.key}" exists`);
    return toTopic(inserted[0] as TopicRow);
  });
}

export async function listTopics(db: Knex, botId: number): Promise<Array<Topic & { members: number }>> {
  const rows = (await db('topics as t')
    .where('t.bot_id', botId)
    .select('t.*', db.raw('(select count(*) from topic_members m where m.topic_id = t.id) as members'))
    .orderBy('t.key')) as Array<TopicRow & { members: number | string }>;
  return rows.map((row) => ({ ...toTopic(row), members: Number(row.members) }));
}

export async function findTopic(db: Knex, botId: number, key: string): Promise<Topic | undefined> {
  const row = (await db('topics').where({ bot_id: botId, key }).first()) as TopicRow | undefined;
  return row && toTopic(row);
}

async function topicOrThrow(db: Knex, botId: number, key: string): Promise<Topic> {
  const topic = await findTopic(db, botId, key);
  if (!topic) throw notFound(`Unknown topic "${key}"`);
  return topic;
}

/** The topics these keys name, each checked; every unknown key is reported at once (422, with its path). */
export async function topicsByKeys(db: Knex, botId: number, keys: string[], path: string): Promise<Topic[]> {
  const rows = (await db('topics').where({ bot_id: botId }).whereIn('key', keys)) as TopicRow[];
  const missing = keys.flatMap((key, i) => (rows.some((r) => r.key === key) ? [] : [{ path: `${path}.${i}`, message: `unknown topic "${key}"` }]));
  if (missing.length > 0) throw invalid('Invalid audience', missing);
  return rows.map(toTopic);
}

export async function deleteTopic(db: Knex, botId: number, key: string): Promise<void> {
  await db.transaction(async (trx) => {
    const topic = await topicOrThrow(trx, botId, key);
    await trx('topic_members').where({ topic_id: topic.id }).delete();
    await trx('topics').where({ id: topic.id }).delete();
  });
}

/** The members named, as (kind, id) pairs; leads must be the bot's (the others are `unknown`). */
async function namedMembers(trx: Knex, botId: number, members: Members): Promise<{ pairs: Array<[MemberKind, string]>; unknown: string[] }> {
  const leadIds = [...new Set(members.leadIds ?? [])];
  const found = leadIds.length === 0 ? [] : ((await trx('leads').where({ bot_id: botId }).whereIn('id', leadIds).pluck('id')) as string[]);
  const known = new Set(found);
  const pairs: Array<[MemberKind, string]> = [
    ...[...new Set(members.userIds ?? [])].map((id): [MemberKind, string] => ['user', id]),
    ...leadIds.filter((id) => known.has(id)).map((id): [MemberKind, string] => ['lead', id]),
  ];
  return { pairs, unknown: leadIds.filter((id) => !known.has(id)) };
}

function membershipEvent(botId: number, topic: Topic, type: 'topic.subscribed' | 'topic.unsubscribed', [kind, id]: [MemberKind, string], traceId: string): NewEvent {
  return {
    botId,
    type,
    traceId,
    ...(kind === 'user' ? { userId: id } : { leadId: id }),
    payload: { topic: { key: topic.key, name: topic.name }, member: { kind, id } },
  };
}

export interface MembershipChange {
  /** Members that were added (or removed); one already in (or already out) is not counted and gets no event. */
  changed: number;
  unknown: string[];
}

/**
 * Subscribes users and leads to a topic. One insert that ignores existing members; an event
 * `topic.subscribed` for each new one, in the same transaction.
 */
export async function subscribe(db: Knex, ctx: OutboxContext, botId: number, key: string, members: Members, traceId: string): Promise<MembershipChange> {
  return db.transaction(async (trx) => {
    const topic = await topicOrThrow(trx, botId, key);
    const { pairs, unknown } = await namedMembers(trx, botId, members);
    if (pairs.length === 0) return { changed: 0, unknown };
    const now = ctx.clock.now();
    const rows = pairs.map(([kind, id]) => ({ topic_id: topic.id, bot_id: botId, member_kind: kind, member_id: id, created_at: now }));
    const inserted = (await trx('topic_members').insert(rows).onConflict(['topic_id', 'member_kind', 'member_id']).ignore().returning(['member_kind', 'member_id'])) as Array<{ member_kind: MemberKind; member_id: string }>;
    await recordEvents(trx, ctx, inserted.map((r) => membershipEvent(botId, topic, 'topic.subscribed', [r.member_kind, r.member_id], traceId)));
    return { changed: inserted.length, unknown };
  });
}

/**
 * Deletes these members and returns the ids that were members. PostgreSQL says so with RETURNING
 * (two concurrent unsubscribes cannot both report one member); SQLite has one writer, so the read
 * before the delete in the same transaction sees what the delete removes.
 */
async function deleteMembers(trx: Knex, topicId: number, kind: MemberKind, ids: string[]): Promise<string[]> {
  const members = () => trx('topic_members').where({ topic_id: topicId, member_kind: kind }).whereIn('member_id', ids);
  if (isPostgres(trx)) return ((await members().delete().returning('member_id')) as Array<{ member_id: string }>).map((r) => r.member_id);
  const present = (await members().pluck('member_id')) as string[];
  await members().delete();
  return present;
}

/** Removes users and leads from a topic; `topic.unsubscribed` for each one that was a member. */
export async function unsubscribe(db: Knex, ctx: OutboxContext, botId: number, key: string, members: Members, traceId: string): Promise<MembershipChange> {
  return db.transaction(async (trx) => {
    const topic = await topicOrThrow(trx, botId, key);
    const removed: Array<[MemberKind, string]> = [];
    for (const [kind, ids] of [['user', members.userIds ?? []], ['lead', members.leadIds ?? []]] as Array<[MemberKind, string[]]>) {
      if (ids.length === 0) continue;
      const gone = await deleteMembers(trx, topic.id, kind, [...new Set(ids)]);
      removed.push(...gone.map((id): [MemberKind, string] => [kind, id]));
    }
    await recordEvents(trx, ctx, removed.map((pair) => membershipEvent(botId, topic, 'topic.unsubscribed', pair, traceId)));
    return { changed: removed.length, unknown: [] };
  });
}

export const memberPageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** The `nextCursor` of the previous page. */
  cursor: z.string().max(300).optional(),
});

export interface TopicMember {
  kind: MemberKind;
  id: string;
  stopped: boolean;
  subscribedAt: number;
}

/** Cursor = the last (kind, id) of a page: keyset pagination over the primary key, stable under inserts. */
function decodeCursor(cursor: string | undefined): [string, string] | undefined {
  if (cursor === undefined) return undefined;
  const parsed = z.tuple([z.enum(['lead', 'user']), z.string().min(1).max(200)]).safeParse((() => {
    try {
      return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  })());
  if (!parsed.success) throw invalid('Invalid query', [{ path: 'cursor', message: 'not a cursor this API gave' }]);
  return parsed.data;
}

export async function listMembers(db: Knex, botId: number, key: string, page: z.output<typeof memberPageSchema>): Promise<{ members: TopicMember[]; nextCursor: string | null }> {
  const topic = await topicOrThrow(db, botId, key);
  const after = decodeCursor(page.cursor);
  const query = db('topic_members').where({ topic_id: topic.id }).orderBy([{ column: 'member_kind' }, { column: 'member_id' }]).limit(page.limit + 1);
  if (after) query.where((q) => q.where('member_kind', '>', after[0]).orWhere((same) => same.where('member_kind', after[0]).where('member_id', '>', after[1])));
  const rows = (await query) as Array<{ member_kind: MemberKind; member_id: string; stopped_at: number | null; created_at: number }>;
  const members = rows.slice(0, page.limit).map((r) => ({ kind: r.member_kind, id: r.member_id, stopped: r.stopped_at !== null, subscribedAt: Number(r.created_at) }));
  const last = members[members.length - 1];
  const nextCursor = rows.length > page.limit && last ? Buffer.from(JSON.stringify([last.kind, last.id])).toString('base64url') : null;
  return { members, nextCursor };
}

/** Narrows a query of `topic_members` to one person: their lead, and the user it is linked to when there is one. */
export function personMemberships(q: Knex.QueryBuilder, lead: { id: string; userId: string | null }): void {
  q.where((w) => {
    w.where({ member_kind: 'lead', member_id: lead.id });
    if (lead.userId !== null) w.orWhere({ member_kind: 'user', member_id: lead.userId });
  });
}

/**
 * A person's own preference: stop (or take back) a topic's non-critical messages. The membership
 * stays; a send to the topic still writes their row, and the worker skips it when it leaves
 * (`skipped: topic_stopped`). Returns how many memberships changed.
 */
export async function setStopped(db: Knex, botId: number, key: string, members: Members, stopped: boolean, now: number): Promise<number> {
  const topic = await topicOrThrow(db, botId, key);
  let changed = 0;
  for (const [kind, ids] of [['user', members.userIds ?? []], ['lead', members.leadIds ?? []]] as Array<[MemberKind, string[]]>) {
    if (ids.length === 0) continue;
    const query = db('topic_members').where({ topic_id: topic.id, member_kind: kind }).whereIn('member_id', [...new Set(ids)]);
    changed += Number(await (stopped ? query.whereNull('stopped_at').update({ stopped_at: now }) : query.whereNotNull('stopped_at').update({ stopped_at: null })));
  }
  return changed;
}

/** The same, for the person writing in a chat: their lead's membership and their user's, if linked. */
export async function setStoppedForLead(db: Knex, topic: Topic, lead: { id: string; userId: string | null }, stopped: boolean, now: number): Promise<number> {
  const query = db('topic_members').where({ topic_id: topic.id });
  personMemberships(query, lead);
  return Number(await (stopped ? query.whereNull('stopped_at').update({ stopped_at: now }) : query.whereNotNull('stopped_at').update({ stopped_at: null })));
}

/** Whether a topic has this person among its members (as the lead, or as its linked user). */
export async function isMemberLead(db: Knex, topic: Topic, lead: { id: string; userId: string | null }): Promise<boolean> {
  const query = db('topic_members').where({ topic_id: topic.id });
  personMemberships(query, lead);
  return (await query.first('topic_id')) !== undefined;
}


/**
 * Which of these recipient rows came through a topic whose messages their person stopped (the
 * lead's membership, or the linked user's): one query for a claimed batch, when the rows leave.
 */
export async function stoppedTopicRows(db: Knex, botId: number, rows: Array<{ id: number; topic_id: number | null; lead_id: string; user_id: string | null }>): Promise<Set<number>> {
  const viaTopic = rows.filter((r) => r.topic_id !== null);
  if (viaTopic.length === 0) return new Set();
  const people = [...new Set(viaTopic.flatMap((r) => (r.user_id === null ? [r.lead_id] : [r.lead_id, r.user_id])))];
  const stopped = (await db('topic_members')
    .where({ bot_id: botId })
    .whereNotNull('stopped_at')
    .whereIn('topic_id', [...new Set(viaTopic.map((r) => r.topic_id!))])
    .whereIn('member_id', people)
    .select('topic_id', 'member_kind', 'member_id')) as Array<{ topic_id: number; member_kind: MemberKind; member_id: string }>;
  const refused = new Set(stopped.map((m) => `${m.topic_id}:${m.member_kind}:${m.member_id}`));
  const isStopped = (r: (typeof viaTopic)[number]) => refused.has(`${r.topic_id}:lead:${r.lead_id}`) || (r.user_id !== null && refused.has(`${r.topic_id}:user:${r.user_id}`));
  return new Set(viaTopic.filter(isStopped).map((r) => r.id));
}
