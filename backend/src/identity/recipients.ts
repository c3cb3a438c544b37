import type { Knex } from 'knex';
import { z } from 'zod';
import { type ChannelName, channelNameSchema, type Profile } from '../channels/inbound-update';
import { fromJson, isPostgres } from '../platform/db/database';
import type { AccountState } from './accounts';
import { type LeadRow, profileFromRow } from './leads';

/** Where one copy of a message goes, without whom it renders for (`withProfiles` adds that). */
export interface Address {
  leadId: string;
  userId: string | null;
  channel: ChannelName;
  chatId: string;
}

/** Where one copy of a message goes. */
export interface Recipient extends Address {
  profile: Profile;
  attributes: Record<string, unknown>;
}

export interface Resolution<T extends Address = Recipient> {
  deliverable: T[];
  /** Paused users (non-critical message): send at `until`. */
  deferred: Array<T & { until: number }>;
  /** Ids nobody could be found for: no such lead, or a user without a linked lead. */
  unknown: string[];
  /** Known but not to be reached now; reason is the account state or `bot_blocked` (the person blocked the bot). */
  inactive: Array<{ id: string; reason: InactiveReason }>;
}

export type InactiveReason = Exclude<AccountState, 'active'> | 'bot_blocked';

/** Which of a user's chats a message goes to: the last active, all, or the one in a named channel. */
export const deliveryChannelSchema = z.enum(['last', 'all', ...channelNameSchema.options]);
export type DeliveryChannel = z.infer<typeof deliveryChannelSchema>;

export interface ResolveOptions {
  /** Critical messages pass a pause (a paused user still gets critically important messages). */
  critical: boolean;
  now: number;
  /** `last` (default): the user's most recently active reachable lead; `all`: every reachable lead; a channel name: the lead in that channel. */
  channel?: DeliveryChannel;
}

/**
 * One candidate as the resolving query returns it: a positional tuple, because ten thousand of them
 * come back as one JSON array and turning each into an object would cost more than the query. The
 * profile comes last: a resolution of addresses only (`resolveAddresses`) leaves it out.
 */
type Candidate = [
  wanted: string,
  leadId: string | null,
  channel: string | null,
  chatId: string | null,
  reachable: boolean | number | null,
  lastActivityAt: number | null,
  userId: string | null,
  state: AccountState | null,
  pausedUntil: number | null,
  firstName?: string | null,
  lastName?: string | null,
  username?: string | null,
  language?: string | null,
  attributes?: Record<string, unknown> | string | null,
];
const WANTED = 0;
const LEAD_ID = 1;
const CHANNEL = 2;
const CHAT_ID = 3;
const REACHABLE = 4;
const LAST_ACTIVITY = 5;
const USER_ID = 6;
const STATE = 7;
const PAUSED_UNTIL = 8;

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

/** Where the account's state and pause come from: the joined row `a`, or a lookup per candidate. */
const JOINED_ACCOUNT = ['a.state', 'a.paused_until'];

/** What a candidate carries: its address and state, and (`profiles`) whom it renders for. */
type Reading = 'profiles' | 'addresses';

function candidateTuple(db: Knex, userColumn: string, account: string[], reading: Reading): string[] {
  const address = ['w.id', 'l.id', 'l.channel', 'l.chat_id', 'l.reachable', 'l.last_activity_at', userColumn, ...account];
  if (reading === 'addresses') return address;
  return [...address, 'l.first_name', 'l.last_name', 'l.username', 'l.language', dialectSql(db, []).json('l.attributes')];
}

/** Ids are sent sorted: the index lookups then walk the B-trees in order (about twice as fast on SQLite). */
async function loadCandidates(db: Knex, sql: (pieces: ReturnType<typeof dialectSql>) => string, tuple: string[], bindings: Knex.Value[]): Promise<Candidate[]> {
  const pieces = dialectSql(db, tuple);
  const [ids, ...rest] = bindings as [string[], ...Knex.Value[]];
  const result = await db.raw(sql(pieces), [JSON.stringify([...new Set(ids)].sort()), ...rest]);
  const [row] = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ doc: unknown }>;
  return fromJson<Candidate[] | null>(row?.doc) ?? [];
}

/** Every connected lead of every wanted user, with the account: one query for any number of users. */
function candidatesByUser(db: Knex, botId: number, userIds: string[], reading: Reading): Promise<Candidate[]> {
  return loadCandidates(db, (p) => `with wanted as (${p.wanted})
    select ${p.aggregate} as doc
    from wanted w
    left join user_accounts a on a.bot_id = ? and a.user_id = w.id
    left join links k on k.bot_id = ? and k.user_id = w.id and k.status = 'connected'
    left join leads l on l.id = k.lead_id`, candidateTuple(db, 'k.user_id', JOINED_ACCOUNT, reading), [userIds, botId, botId]);
}

/**
 * The account of a lead's linked user, looked up per candidate on its primary key rather than joined:
 * this query runs for every delivery batch, and PostgreSQL, before it has statistics for tables just
 * filled (a bulk import, then a send at once), joined the accounts by a nested loop over all of them
 * (seconds per batch). A lookup per row is one index probe whatever the planner believes.
 */
const accountOfLinkedUser = (column: string) => `(select a.${column} from user_accounts a where a.bot_id = l.bot_id and a.user_id = k.user_id)`;

function candidatesByLead(db: Knex, botId: number, leadIds: string[], reading: Reading): Promise<Candidate[]> {
  return loadCandidates(db, (p) => `with wanted as (${p.wanted})
    select ${p.aggregate} as doc
    from wanted w
    left join leads l on l.bot_id = ? and l.id = w.id
    left join links k on k.lead_id = l.id and k.status = 'connected'`, candidateTuple(db, 'k.user_id', [accountOfLinkedUser('state'), accountOfLinkedUser('paused_until')], reading), [leadIds, botId]);
}

function toAddress(candidate: Candidate): Address {
  return { leadId: candidate[LEAD_ID]!, userId: candidate[USER_ID], channel: candidate[CHANNEL] as ChannelName, chatId: candidate[CHAT_ID]! };
}

function toRecipient(candidate: Candidate): Recipient {
  const [, , , , , , , , , firstName = null, lastName = null, username = null, language = null, attributes = null] = candidate;
  return {
    ...toAddress(candidate),
    profile: profileFromRow({ first_name: firstName, last_name: lastName, username, language }),
    attributes: fromJson<Record<string, unknown> | null>(attributes) ?? {},
  };
}

/** The query returns each wanted id's candidates next to each other only by chance: group them. */
function groupByWanted(candidates: Candidate[]): Map<string, Candidate[]> {
  const groups = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const group = groups.get(candidate[WANTED]);
    if (group) group.push(candidate);
    else groups.set(candidate[WANTED], [candidate]);
  }
  return groups;
}

/** Sorts one requested id into the answer: its account state first, then its reachable leads. */
function classify<T extends Address>(id: string, candidates: Candidate[], options: ResolveOptions, make: (candidate: Candidate) => T, into: Resolution<T>): void {
  const state = candidates[0][STATE];
  const pausedUntil = candidates[0][PAUSED_UNTIL];
  if (state && state !== 'active') return void into.inactive.push({ id, reason: state });
  const wanted = options.channel ?? 'last';
  const inChannel = wanted === 'last' || wanted === 'all' ? undefined : wanted;
  // A channel asked for by name: the user's (or the lead's) chat there, else nobody is known to reach.
  const isLead = (candidate: Candidate) => candidate[LEAD_ID] !== null && (inChannel === undefined || candidate[CHANNEL] === inChannel);
  if (!candidates.some(isLead)) return void into.unknown.push(id);
  // One array per id, not three: a send to 10,000 people classifies 10,000 ids.
  const reachable = candidates.filter((candidate) => isLead(candidate) && Boolean(candidate[REACHABLE]));
  if (reachable.length === 0) return void into.inactive.push({ id, reason: 'bot_blocked' });
  if (reachable.length > 1) reachable.sort((a, b) => b[LAST_ACTIVITY]! - a[LAST_ACTIVITY]!);
  const chosen = wanted === 'all' ? reachable.length : 1;
  const paused = pausedUntil !== null && pausedUntil > options.now && !options.critical;
  for (let i = 0; i < chosen; i += 1) {
    if (paused) into.deferred.push({ ...make(reachable[i]), until: pausedUntil });
    else into.deliverable.push(make(reachable[i]));
  }
}

/** A lead as delivery sees it when a queued copy comes due: whom to render for, and whether to send now. */
export interface DeliveryLeadState {
  profile: Profile;
  attributes: Record<string, unknown>;
  reachable: boolean;
  /** The linked user's account; null for a lead no user is linked to. */
  state: AccountState | null;
  pausedUntil: number | null;
}

/** The current state of these leads of one bot (absent: the lead no longer exists), by the resolving query. */
export async function deliveryLeadStates(db: Knex, botId: number, leadIds: string[]): Promise<Map<string, DeliveryLeadState>> {
  const states = new Map<string, DeliveryLeadState>();
  for (const candidate of await candidatesByLead(db, botId, leadIds, 'profiles')) {
    if (candidate[LEAD_ID] === null) continue;
    const { profile, attributes } = toRecipient(candidate);
    states.set(candidate[WANTED], { profile, attributes, reachable: Boolean(candidate[REACHABLE]), state: candidate[STATE], pausedUntil: candidate[PAUSED_UNTIL] });
  }
  return states;
}

/**
 * Who a message to these users and leads reaches, and who it does not (and why). Users are
 * resolved in one set-based query; a lead asked for twice (by user and by lead id) gets one copy.
 */
export function resolveRecipients(db: Knex, botId: number, targets: Targets, options: ResolveOptions): Promise<Resolution> {
  return resolve(db, botId, targets, options, 'profiles', toRecipient);
}

/**
 * `resolveRecipients` without whom each copy renders for: what a send writes per recipient row. Ten
 * thousand profiles and attribute objects are most of the resolving query's answer; the few a send
 * renders for when it is accepted (its samples, a preview) come from `withProfiles`.
 */
export function resolveAddresses(db: Knex, botId: number, targets: Targets, options: ResolveOptions): Promise<Resolution<Address>> {
  return resolve(db, botId, targets, options, 'addresses', toAddress);
}

interface Targets {
  userIds?: string[];
  leadIds?: string[];
}

async function resolve<T extends Address>(db: Knex, botId: number, targets: Targets, options: ResolveOptions, reading: Reading, make: (candidate: Candidate) => T): Promise<Resolution<T>> {
  const resolution: Resolution<T> = { deliverable: [], deferred: [], unknown: [], inactive: [] };
  const sources: Array<[string[] | undefined, typeof candidatesByUser]> = [
    [targets.userIds, candidatesByUser],
    [targets.leadIds, candidatesByLead],
  ];
  for (const [ids, load] of sources) {
    if (!ids || ids.length === 0) continue;
    const groups = groupByWanted(await load(db, botId, ids, reading));
    for (const [id, rows] of groups) classify(id, rows, options, make, resolution);
  }
  return dedupeByLead(resolution);
}

function dedupeByLead<T extends Address>(resolution: Resolution<T>): Resolution<T> {
  const seen = new Set<string>();
  const firstTime = (recipient: T) => !seen.has(recipient.leadId) && Boolean(seen.add(recipient.leadId));
  return {
    ...resolution,
    deliverable: resolution.deliverable.filter(firstTime),
    deferred: resolution.deferred.filter(firstTime),
  };
}

/** These addresses with whom each renders for (their leads' profiles and attributes), in their order: one query. */
export async function withProfiles<T extends Address>(db: Knex, botId: number, addresses: T[]): Promise<Array<T & Recipient>> {
  if (addresses.length === 0) return [];
  const rows = (await db('leads')
    .where('bot_id', botId)
    .whereIn('id', [...new Set(addresses.map((a) => a.leadId))])
    .select('id', 'first_name', 'last_name', 'username', 'language', 'attributes')) as Array<Pick<LeadRow, 'id' | 'first_name' | 'last_name' | 'username' | 'language' | 'attributes'>>;
  const byLead = new Map(rows.map((row) => [row.id, row]));
  return addresses.map((address) => {
    const row = byLead.get(address.leadId);
    return { ...address, profile: row ? profileFromRow(row) : {}, attributes: (row && fromJson<Record<string, unknown> | null>(row.attributes)) || {} };
  });
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
    .select('l.id', 'l.channel', 'l.chat_id', 'l.first_name', 'l.last_name', 'l.username', 'l.language', 'l.attributes', 'k.user_id');
  return (rows as Array<LeadRow & { user_id: string | null }>).map((row) => ({
    leadId: row.id,
    userId: row.user_id,
    channel: row.channel as ChannelName,
    chatId: row.chat_id,
    profile: profileFromRow(row),
    attributes: fromJson<Record<string, unknown>>(row.attributes),
  }));
}
