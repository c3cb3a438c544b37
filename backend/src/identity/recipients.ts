import type { Knex } from 'knex';
import type { ChannelName, Profile } from '../channels/inbound-update';
import { fromJson, isPostgres } from '../db/database';
import type { AccountState } from './accounts';
import { profileFromRow } from './leads';

/** Where one copy of a message goes. */
export interface Recipient {
  leadId: string;
  userId: string | null;
  channel: ChannelName;
  chatId: string;
  profile: Profile;
  attributes: Record<string, unknown>;
}

export interface Resolution {
  deliverable: Recipient[];
  /** Paused users (non-critical message): send at `until`. */
  deferred: Array<Recipient & { until: number }>;
  /** Ids nobody could be found for: no such lead, or a user without a linked lead. */
  unknown: string[];
  /** Known but not to be reached now; reason is the account state or `bot_blocked` (the person blocked the bot). */
  inactive: Array<{ id: string; reason: InactiveReason }>;
}

export type InactiveReason = Exclude<AccountState, 'active'> | 'bot_blocked';

export interface ResolveOptions {
  /** Critical messages pass a pause (seed 004: "except critically important messages"). */
  critical: boolean;
  now: number;
  /** `last` (default): the user's most recently active reachable lead; `all`: every reachable lead. */
  channel?: 'last' | 'all';
}

interface CandidateRow {
  wanted: string;
  lead_id: string | null;
  channel: string | null;
  chat_id: string | null;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  language: string | null;
  attributes: Record<string, unknown> | string | null;
  reachable: boolean | number | null;
  last_activity_at: number | null;
  user_id: string | null;
  state: AccountState | null;
  paused_until: number | null;
}

/** The columns of a candidate, in the order of the tuples the resolving query returns. */
const candidateColumns = ['wanted', 'lead_id', 'channel', 'chat_id', 'first_name', 'last_name', 'username', 'language', 'attributes', 'reachable', 'last_activity_at', 'user_id', 'state', 'paused_until'] as const;

const leadColumns = 'l.id as lead_id, l.channel, l.chat_id, l.first_name, l.last_name, l.username, l.language, l.attributes, l.reachable, l.last_activity_at';

/**
 * The dialect's pieces: the requested ids as a table (one JSON parameter whatever their number) and
 * the whole answer aggregated into one JSON array of tuples. Ten thousand rows as one JSON string
 * cost a fraction of ten thousand row objects in the driver.
 */
function dialectSql(db: Knex, tuple: string[]) {
  return isPostgres(db)
    ? { wanted: 'select value as id from jsonb_array_elements_text(cast(? as jsonb))', aggregate: `json_agg(json_build_array(${tuple.join(', ')}))`, json: (column: string) => `cast(${column} as json)` }
    : { wanted: 'select value as id from json_each(?)', aggregate: `json_group_array(json_array(${tuple.join(', ')}))`, json: (column: string) => `json(${column})` };
}

function candidateTuple(db: Knex, userColumn: string): string[] {
  const json = dialectSql(db, []).json;
  return ['w.id', 'l.id', 'l.channel', 'l.chat_id', 'l.first_name', 'l.last_name', 'l.username', 'l.language', json('l.attributes'), 'l.reachable', 'l.last_activity_at', userColumn, 'a.state', 'a.paused_until'];
}

async function loadCandidates(db: Knex, sql: (pieces: ReturnType<typeof dialectSql>) => string, userColumn: string, ids: string[], botId: number): Promise<CandidateRow[]> {
  const pieces = dialectSql(db, candidateTuple(db, userColumn));
  const result = await db.raw(sql(pieces), [JSON.stringify(ids), botId, botId]);
  const [row] = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ doc: unknown }>;
  const tuples = fromJson<unknown[][] | null>(row?.doc) ?? [];
  return tuples.map((tuple) => Object.fromEntries(candidateColumns.map((column, i) => [column, tuple[i]])) as unknown as CandidateRow);
}

/** Every connected lead of every wanted user, with the account: one query for any number of users. */
function candidatesByUser(db: Knex, botId: number, userIds: string[]): Promise<CandidateRow[]> {
  return loadCandidates(db, (p) => `with wanted as (${p.wanted})
    select ${p.aggregate} as doc
    from wanted w
    left join user_accounts a on a.bot_id = ? and a.user_id = w.id
    left join links k on k.bot_id = ? and k.user_id = w.id and k.status = 'connected'
    left join leads l on l.id = k.lead_id`, 'k.user_id', userIds, botId);
}

function candidatesByLead(db: Knex, botId: number, leadIds: string[]): Promise<CandidateRow[]> {
  return loadCandidates(db, (p) => `with wanted as (${p.wanted})
    select ${p.aggregate} as doc
    from wanted w
    left join leads l on l.bot_id = ? and l.id = w.id
    left join links k on k.lead_id = l.id and k.status = 'connected'
    left join user_accounts a on a.bot_id = ? and a.user_id = k.user_id`, 'k.user_id', leadIds, botId);
}

function toRecipient(row: CandidateRow): Recipient {
  return {
    leadId: row.lead_id!,
    userId: row.user_id,
    channel: row.channel as ChannelName,
    chatId: row.chat_id!,
    profile: profileFromRow(row),
    attributes: fromJson<Record<string, unknown> | null>(row.attributes) ?? {},
  };
}

function groupByWanted(rows: CandidateRow[]): Map<string, CandidateRow[]> {
  const groups = new Map<string, CandidateRow[]>();
  for (const row of rows) {
    const group = groups.get(row.wanted);
    if (group) group.push(row);
    else groups.set(row.wanted, [row]);
  }
  return groups;
}

/** Sorts one requested id into the answer: its account state first, then its reachable leads. */
function classify(id: string, rows: CandidateRow[], options: ResolveOptions, into: Resolution): void {
  const { state, paused_until: pausedUntil } = rows[0];
  if (state && state !== 'active') return void into.inactive.push({ id, reason: state });
  const leads = rows.filter((row) => row.lead_id !== null);
  if (leads.length === 0) return void into.unknown.push(id);
  const reachable = leads.filter((row) => Boolean(row.reachable));
  if (reachable.length === 0) return void into.inactive.push({ id, reason: 'bot_blocked' });
  reachable.sort((a, b) => b.last_activity_at! - a.last_activity_at!);
  const chosen = (options.channel ?? 'last') === 'all' ? reachable : reachable.slice(0, 1);
  const paused = pausedUntil !== null && pausedUntil > options.now && !options.critical;
  for (const row of chosen) {
    if (paused) into.deferred.push({ ...toRecipient(row), until: pausedUntil });
    else into.deliverable.push(toRecipient(row));
  }
}

/**
 * Who a message to these users and leads reaches, and who it does not (and why). Users are
 * resolved in one set-based query; a lead asked for twice (by user and by lead id) gets one copy.
 */
export async function resolveRecipients(
  db: Knex,
  botId: number,
  targets: { userIds?: string[]; leadIds?: string[] },
  options: ResolveOptions,
): Promise<Resolution> {
  const resolution: Resolution = { deliverable: [], deferred: [], unknown: [], inactive: [] };
  const sources: Array<[string[] | undefined, typeof candidatesByUser]> = [
    [targets.userIds, candidatesByUser],
    [targets.leadIds, candidatesByLead],
  ];
  for (const [ids, load] of sources) {
    if (!ids || ids.length === 0) continue;
    const groups = groupByWanted(await load(db, botId, [...new Set(ids)]));
    for (const [id, rows] of groups) classify(id, rows, options, resolution);
  }
  return dedupeByLead(resolution);
}

function dedupeByLead(resolution: Resolution): Resolution {
  const seen = new Set<string>();
  const firstTime = (recipient: Recipient) => !seen.has(recipient.leadId) && Boolean(seen.add(recipient.leadId));
  return {
    ...resolution,
    deliverable: resolution.deliverable.filter(firstTime),
    deferred: resolution.deferred.filter(firstTime),
  };
}

/**
 * The reachable chats of these leads whatever their account state: for the identity notices a
 * lifecycle event carries (`payload.notice.leadIds`), e.g. telling a blocked user why.
 */
export async function noticeRecipients(db: Knex, botId: number, leadIds: string[]): Promise<Recipient[]> {
  if (leadIds.length === 0) return [];
  const rows = await db('leads as l')
    .leftJoin('links as k', function joinLink() {
      this.on('k.lead_id', '=', 'l.id');
    })
    .where('l.bot_id', botId)
    .whereIn('l.id', leadIds)
    .andWhere('l.reachable', true)
    .select(db.raw(`${leadColumns}, k.user_id`));
  return (rows as CandidateRow[]).map(toRecipient);
}
