import type { Knex } from 'knex';
import { z } from 'zod';
import type { Column, DataTable } from '../tables/catalogue';
import type { ColumnType } from '../tables/names';
import { applyFilter, filterSchema, resolveFilter, type Filter } from '../tables/filters';
import { isPostgres } from '../platform/db/database';
import { invalid } from '../platform/errors';
import type { AudienceSql } from './audience';
import { topicKeySchema, topicsByKeys } from './topics';

/**
 * A segment: a filter over the bot's people (one row per lead, with its linked user and account) in
 * the data tables' filter language (tables/filters.ts compiles it; identifiers come from the list
 * below, never from the request). Columns: `leadId`, `channel`, `linked`, `userId`, `state`,
 * `reachable`, `language`, `lastActivityAt`, `createdAt`, `attributes.<name>` and `profile.<name>`
 * (typed by the condition: a number value compares numbers, a boolean booleans, else strings), and
 * `topic.<key>` (true for a member of the topic, as the lead or as its user).
 */
export const segmentSchema = z.object({ filter: filterSchema }).meta({ id: 'Segment' });
export type Segment = z.output<typeof segmentSchema>;

const FIXED: Record<string, { type: ColumnType; sql: string }> = {
  leadId: { type: 'string', sql: 'l.id' },
  channel: { type: 'string', sql: 'l.channel' },
  linked: { type: 'boolean', sql: '(k.user_id is not null)' },
  userId: { type: 'string', sql: 'k.user_id' },
  state: { type: 'string', sql: 'a.state' },
  reachable: { type: 'boolean', sql: 'l.reachable' },
  language: { type: 'string', sql: 'l.language' },
  lastActivityAt: { type: 'datetime', sql: 'l.last_activity_at' },
  createdAt: { type: 'datetime', sql: 'l.created_at' },
};

const FIELD_NAME = /^(attributes|profile)\.([A-Za-z0-9_-]{1,48})$/;
const TOPIC_NAME = /^topic\.(.+)$/;

type Condition = Filter['conditions'][number];

/** The type a JSON field is compared as: what the condition's value (or operator) says. */
function fieldType(condition: Condition): ColumnType | 'any' {
  if (condition.op === 'isTrue' || condition.op === 'isFalse') return 'boolean';
  if (condition.op === 'isEmpty' || condition.op === 'isNotEmpty') return 'any';
  const sample = Array.isArray(condition.value) ? condition.value[0] : condition.value;
  if (typeof sample === 'number') return 'number';
  if (typeof sample === 'boolean') return 'boolean';
  return 'string';
}

/** A JSON field of a lead's attributes or an account's profile, typed; null where the stored value has another type. */
function jsonField(db: Knex, column: string, key: string, type: ColumnType | 'any'): { sql: string; bindings: string[] } {
  if (isPostgres(db)) {
    const doc = `cast(${column} as jsonb)`;
    const text = `(${doc} ->> cast(? as text))`;
    const typed = (jsonType: string, value: string) => ({ sql: `case when jsonb_typeof(${doc} -> cast(? as text)) = '${jsonType}' then ${value} end`, bindings: [key, key] });
    if (type === 'number') return typed('number', `cast(${text} as double precision)`);
    if (type === 'boolean') return typed('boolean', `cast(${text} as boolean)`);
    if (type === 'string') return typed('string', text);
    return { sql: text, bindings: [key] };
  }
  const path = `$."${key}"`;
  if (type === 'number') return { sql: `case when json_type(${column}, ?) in ('integer', 'real') then json_extract(${column}, ?) end`, bindings: [path, path] };
  if (type === 'boolean') return { sql: `case json_type(${column}, ?) when 'true' then 1 when 'false' then 0 end`, bindings: [path] };
  if (type === 'string') return { sql: `case when json_type(${column}, ?) = 'text' then json_extract(${column}, ?) end`, bindings: [path, path] };
  return { sql: `json_extract(${column}, ?)`, bindings: [path] };
}

interface SegmentColumn {
  column: Column;
  sql: string;
  bindings: Knex.Value[];
}

const columnOf = (name: string, type: ColumnType, i: number): Column => ({ name, type, nullable: true, unique: false, physical: `s${i}`, system: false });

/** Each condition's column as an SQL expression of the people query (`l` lead, `k` link, `a` account). */
async function segmentColumns(db: Knex, botId: number, filter: Filter): Promise<SegmentColumn[]> {
  const columns: SegmentColumn[] = [];
  const unknown: Array<{ path: string; message: string }> = [];
  const topicKeys = filter.conditions.flatMap((c) => TOPIC_NAME.exec(c.column)?.[1] ?? []);
  const badKey = topicKeys.findIndex((key) => !topicKeySchema.safeParse(key).success);
  if (badKey >= 0) throw invalid('Invalid filter', [{ path: 'segment.filter', message: `"topic.${topicKeys[badKey]}" names no topic key` }]);
  const topics = topicKeys.length === 0 ? [] : await topicsByKeys(db, botId, [...new Set(topicKeys)], 'segment.filter.topics');
  filter.conditions.forEach((condition, i) => {
    const name = condition.column;
    const fixed = FIXED[name];
    const field = FIELD_NAME.exec(name);
    const topic = TOPIC_NAME.exec(name);
    if (fixed) return void columns.push({ column: columnOf(name, fixed.type, i), sql: fixed.sql, bindings: [] });
    if (field) {
      const type = fieldType(condition);
      const { sql, bindings } = jsonField(db, field[1] === 'attributes' ? 'l.attributes' : 'a.profile', field[2], type);
      return void columns.push({ column: columnOf(name, type === 'any' ? 'string' : type, i), sql, bindings });
    }
    if (topic) {
      const id = topics.find((t) => t.key === topic[1])!.id;
      const sql = `(exists (select 1 from topic_members m where m.topic_id = ? and ((m.member_kind = 'lead' and m.member_id = l.id) or (m.member_kind = 'user' and m.member_id = k.user_id))))`;
      return void columns.push({ column: columnOf(name, 'boolean', i), sql, bindings: [id] });
    }
    unknown.push({ path: `segment.filter.conditions.${i}.column`, message: `unknown column "${name}": use ${Object.keys(FIXED).join(', ')}, attributes.<name>, profile.<name> or topic.<key>` });
  });
  if (unknown.length > 0) throw invalid('Invalid filter', unknown);
  return columns;
}

/**
 * The people of a segment as an audience (`lead_id`, `topic_id` null): the filter compiled by the
 * data tables' compiler over a derived table whose columns are this segment's expressions.
 */
export async function segmentPeople(db: Knex, botId: number, segment: Segment): Promise<AudienceSql> {
  const columns = await segmentColumns(db, botId, segment.filter);
  // Each condition has a column of its own (s<i>), so one name typed two ways in two conditions is fine.
  const conditions = segment.filter.conditions.map((c, i) => ({ ...c, column: `#${i}` }));
  const table: DataTable = { id: 0, botId, name: 'people', physical: 'people', columns: columns.map((c, i) => ({ ...c.column, name: `#${i}` })), indexes: [], createdAt: 0, updatedAt: 0 };
  const resolved = resolveFilter(db, table, { match: segment.filter.match, conditions }, 'segment.filter');
  const people = db
    .queryBuilder()
    .from('leads as l')
    .leftJoin('links as k', (on) => on.on('k.lead_id', 'l.id').andOnVal('k.status', 'connected'))
    .leftJoin('user_accounts as a', (on) => on.on('a.bot_id', 'l.bot_id').andOn('a.user_id', 'k.user_id'))
    .where('l.bot_id', botId)
    .select('l.id as lead_id', ...columns.map((c) => db.raw(`${c.sql} as ??`, [...c.bindings, c.column.physical])));
  const outer = db.queryBuilder().from(people.as('p')).select('p.lead_id', db.raw('cast(null as integer) as topic_id'));
  applyFilter(db, outer, resolved);
  const { sql, bindings } = outer.toSQL();
  return { sql, bindings: bindings as Knex.Value[] };
}

/** A dry run of a segment: how many people match, how many a send would reach now, and the first ten. */
export async function previewSegment(db: Knex, botId: number, segment: Segment, reachable: AudienceSql): Promise<{ count: number; deliverable: number; sample: Array<{ leadId: string; userId: string | null; channel: string; lastActivityAt: number }> }> {
  const people = await segmentPeople(db, botId, segment);
  const rows = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Array<Record<string, unknown>>;
  const [matching] = rows(await db.raw(`select count(*) as n from (${people.sql}) p`, people.bindings));
  const [sending] = rows(await db.raw(`select count(*) as n from (${reachable.sql}) r`, reachable.bindings));
  const sample = rows(
    await db.raw(
      `select l.id as lead_id, k.user_id as user_id, l.channel as channel, l.last_activity_at as last_activity_at
         from (${people.sql}) p join leads l on l.id = p.lead_id left join links k on k.lead_id = l.id and k.status = 'connected'
        order by l.id limit 10`,
      people.bindings,
    ),
  );
  return {
    count: Number(matching.n),
    deliverable: Number(sending.n),
    sample: sample.map((r) => ({ leadId: String(r.lead_id), userId: (r.user_id as string | null) ?? null, channel: String(r.channel), lastActivityAt: Number(r.last_activity_at) })),
  };
}
