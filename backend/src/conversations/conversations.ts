import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { OutboxContext } from '../events/outbox';
import { recordEvent } from '../events/outbox';
import type { Lead } from '../identity/leads';
import { conflict, invalid } from '../platform/errors';
import { fromJson, toJson } from '../platform/db/database';
import { appendTraceHop } from '../traces/traces';
import { conversationSettingsOf } from './settings';

/**
 * Who owns a person's dialog: `bot` (every subscribed workflow gets their messages), `held` by one
 * workflow's subscription until it releases it or the hold expires, `waiting` for an operator, or
 * `assigned` to one. See docs/conversations.md.
 */
export const CONVERSATION_STATES = ['bot', 'held', 'waiting', 'assigned'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const CONTEXT_MAX_BYTES = 16_384;
export const DEFAULT_HOLD_SECONDS = 600;
export const MAX_HOLD_SECONDS = 86_400;

export type ConversationsContext = OutboxContext;

export interface ConversationRow {
  bot_id: number;
  person_key: string;
  lead_id: string;
  user_id: string | null;
  state: ConversationState;
  session_id: string;
  context: string;
  holder: string | null;
  hold_expires_at: number | string | null;
  reason: string | null;
  team: string | null;
  priority: string | null;
  waiting_since: number | string | null;
  operator: string | null;
  assigned_at: number | string | null;
  last_operator_reply_at: number | string | null;
  /** When the operators' wait times out (settings `operatorTimeoutMinutes`); null: no timeout pending. */
  operator_due_at: number | string | null;
  /** The rating question of the last closed session, until the person answers it. */
  csat_session_id: string | null;
  csat_operator: string | null;
  csat_team: string | null;
  version: number;
  opened_at: number | string;
  updated_at: number | string;
}

/** The conversation as the API shows it. */
export interface Conversation {
  leadId: string;
  userId: string | null;
  state: ConversationState;
  sessionId: string;
  context: Record<string, unknown>;
  hold: { subscriptionId: string; expiresAt: string } | null;
  handover: { reason: string | null; team: string | null; priority: string; waitingSince: string; timesOutAt: string | null } | null;
  operator: { id: string; assignedAt: string | null; lastReplyAt: string | null } | null;
  openedAt: string;
  updatedAt: string;
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: number | string | null) => (ms === null ? null : iso(ms));

export function toConversation(row: ConversationRow): Conversation {
  return {
    leadId: row.lead_id,
    userId: row.user_id,
    state: row.state,
    sessionId: row.session_id,
    context: fromJson(row.context),
    hold: row.state === 'held' && row.holder ? { subscriptionId: row.holder, expiresAt: iso(row.hold_expires_at ?? 0) } : null,
    handover:
      row.state === 'waiting' || row.state === 'assigned'
        ? { reason: row.reason, team: row.team, priority: row.priority ?? 'normal', waitingSince: iso(row.waiting_since ?? row.updated_at), timesOutAt: isoOrNull(row.operator_due_at) }
        : null,
    operator: row.state === 'assigned' && row.operator ? { id: row.operator, assignedAt: isoOrNull(row.assigned_at), lastReplyAt: isoOrNull(row.last_operator_reply_at) } : null,
    openedAt: iso(row.opened_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A linked person's channels share one conversation; an unlinked chat has its own. */
export function personKeyOf(lead: Pick<Lead, 'id' | 'userId'>): string {
  return lead.userId ? `user:${lead.userId}` : `lead:${lead.id}`;
}

function newSessionId(): string {
  return `ses_${crypto.randomBytes(12).toString('base64url')}`;
}

/**
 * The session id of a person's first session, before their conversation has a row: derived from
 * who they are, so every read of the implicit `bot` conversation shows the same id, and the row
 * written at the first change keeps it.
 */
function firstSessionId(botId: number, personKey: string): string {
  return `ses_${crypto.createHash('sha256').update(`${botId}\n${personKey}`).digest('base64url').slice(0, 16)}`;
}

/** Who changes a conversation, and under which trace. */
export interface Change {
  botId: number;
  lead: Pick<Lead, 'id' | 'userId' | 'channel'>;
  traceId: string;
}

/** A session with the bot and nobody else: no hold, no handover, no operator, no context. */
const FRESH_SESSION = {
  state: 'bot',
  context: '{}',
  holder: null,
  hold_expires_at: null,
  reason: null,
  team: null,
  priority: null,
  waiting_since: null,
  operator: null,
  assigned_at: null,
  last_operator_reply_at: null,
} as const;

/** Version 0: the conversation has no row yet (state `bot`); its first change inserts the row. */
const UNWRITTEN = 0;

function implicitConversation(ctx: ConversationsContext, change: Change, personKey: string): ConversationRow {
  const now = ctx.clock.now();
  return {
    bot_id: change.botId,
    person_key: personKey,
    lead_id: change.lead.id,
    user_id: change.lead.userId,
    ...FRESH_SESSION,
    session_id: firstSessionId(change.botId, personKey),
    operator_due_at: null,
    csat_session_id: null,
    csat_operator: null,
    csat_team: null,
    version: UNWRITTEN,
    opened_at: now,
    updated_at: now,
  };
}

/**
 * The person's conversation. A missing row means `bot`: nothing is written for a person who only
 * talks to the bot (the inbound path stays a read); the row appears at the first change. A hold
 * found expired falls back to `bot` here, with `conversation.released`.
 */
export async function openConversation(trx: Knex, ctx: ConversationsContext, change: Change): Promise<ConversationRow> {
  const personKey = personKeyOf(change.lead);
  const row = await trx<ConversationRow>('conversations').where({ bot_id: change.botId, person_key: personKey }).first();
  if (!row) return implicitConversation(ctx, change, personKey);
  if (row.state === 'held' && Number(row.hold_expires_at) <= ctx.clock.now()) return expireHold(trx, ctx, change, row);
  return row;
}

/** Whether the conversation has a row (an implicit `bot` one has none). */
export const isWritten = (row: ConversationRow): boolean => row.version !== UNWRITTEN;

/** Two transactions may find the same hold expired: the one whose update lands announces it, the other reads the result. */
async function expireHold(trx: Knex, ctx: ConversationsContext, change: Change, row: ConversationRow): Promise<ConversationRow> {
  const patch: Patch = { state: 'bot', holder: null, hold_expires_at: null };
  const updated = await trx('conversations')
    .where({ bot_id: row.bot_id, person_key: row.person_key, version: row.version })
    .update({ ...patch, version: row.version + 1, updated_at: ctx.clock.now() });
  if (updated === 0) return (await trx<ConversationRow>('conversations').where({ bot_id: row.bot_id, person_key: row.person_key }).first())!;
  const next: ConversationRow = { ...row, ...patch, version: row.version + 1, updated_at: ctx.clock.now() };
  await announce(trx, ctx, change, next, { type: 'conversation.released', payload: { subscriptionId: row.holder, reason: 'expired' } });
  return next;
}

type Patch = Partial<Omit<ConversationRow, 'bot_id' | 'person_key' | 'version'>>;

/**
 * Applies a change only if nobody changed the conversation since it was read (`where version = ?`):
 * of two racing changes one wins and the other is a conflict, on SQLite and PostgreSQL alike
 * (PostgreSQL re-checks the condition once the first transaction releases the row).
 */
export async function transition(
  trx: Knex,
  ctx: ConversationsContext,
  change: Change,
  row: ConversationRow,
  patch: Patch,
  event?: { type: string; payload: Record<string, unknown> },
): Promise<ConversationRow> {
  const now = ctx.clock.now();
  const timed = patch.state === undefined || 'operator_due_at' in patch ? patch : { ...patch, operator_due_at: await operatorDueAt(trx, row.bot_id, patch.state, now) };
  const next: ConversationRow = { ...row, ...timed, version: row.version + 1, updated_at: now };
  const written = isWritten(row) ? await updateIfUnchanged(trx, row, { ...timed, version: next.version, updated_at: now }) : await insertIfAbsent(trx, next);
  if (!written) throw conflict('The conversation was changed at the same time; read it again');
  if (event) await announce(trx, ctx, change, next, event);
  return next;
}

/** A change of state restarts the operators' clock: waiting, or newly assigned, times out after the bot's timeout; any other state has none. */
async function operatorDueAt(trx: Knex, botId: number, state: ConversationState, now: number): Promise<number | null> {
  if (state !== 'waiting' && state !== 'assigned') return null;
  const { operatorTimeoutMinutes } = await conversationSettingsOf(trx, botId);
  return operatorTimeoutMinutes === undefined ? null : now + operatorTimeoutMinutes * 60_000;
}

async function updateIfUnchanged(trx: Knex, row: ConversationRow, patch: Patch & { version: number; updated_at: number }): Promise<boolean> {
  const updated = await trx('conversations').where({ bot_id: row.bot_id, person_key: row.person_key, version: row.version }).update(patch);
  return updated > 0;
}

/** The first change writes the row; of two first changes at once, the second finds it there (PostgreSQL waits for the first to commit) and loses. */
async function insertIfAbsent(trx: Knex, row: ConversationRow): Promise<boolean> {
  const inserted = await trx('conversations').insert(row).onConflict(['bot_id', 'person_key']).ignore().returning('version');
  return inserted.length > 0;
}

/** The event (through the outbox, to every subscription that wants it) and its trace hop. */
export async function announce(trx: Knex, ctx: ConversationsContext, change: Change, row: ConversationRow, event: { type: string; payload: Record<string, unknown> }): Promise<void> {
  const payload = { channel: change.lead.channel, sessionId: row.session_id, state: row.state, ...event.payload };
  await recordEvent(trx, ctx, { botId: change.botId, type: event.type, traceId: change.traceId, leadId: change.lead.id, userId: change.lead.userId, payload });
  await appendTraceHop(trx, ctx.clock, {
    botId: change.botId,
    traceId: change.traceId,
    hop: event.type,
    status: row.state,
    sourceSystem: 'conversations',
    leadId: change.lead.id,
    userId: change.lead.userId,
    detail: event.payload,
  });
}

const refuse = (row: ConversationRow, what: string) => conflict(`Cannot ${what}: the conversation is ${row.state}${row.state === 'assigned' ? ` (operator ${row.operator})` : ''}`);

export async function holdConversation(trx: Knex, ctx: ConversationsContext, change: Change, hold: { subscriptionId: string; ttlSeconds: number }): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  const mine = row.state === 'held' && row.holder === hold.subscriptionId;
  if (row.state !== 'bot' && !mine) throw refuse(row, 'hold it');
  const expiresAt = ctx.clock.now() + hold.ttlSeconds * 1000;
  return transition(trx, ctx, change, row, { state: 'held', holder: hold.subscriptionId, hold_expires_at: expiresAt }, {
    type: 'conversation.held',
    payload: { subscriptionId: hold.subscriptionId, expiresAt: iso(expiresAt), extended: mine },
  });
}

export async function releaseConversation(trx: Knex, ctx: ConversationsContext, change: Change, subscriptionId: string): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  if (row.state !== 'held' || row.holder !== subscriptionId) throw refuse(row, 'release it (it is not held by this subscription)');
  return transition(trx, ctx, change, row, { state: 'bot', holder: null, hold_expires_at: null }, { type: 'conversation.released', payload: { subscriptionId, reason: 'released' } });
}

export const handoverSchema = z
  .object({
    reason: z.string().trim().max(500).optional(),
    team: z.string().trim().min(1).max(64).optional(),
    priority: z.enum(PRIORITIES).default('normal'),
  })
  .meta({ id: 'ConversationHandover' });
export type Handover = z.output<typeof handoverSchema>;

/** To an operator's queue: from the bot, a hold (ended) or an operator (transferred back to the queue). */
export async function requestHandover(trx: Knex, ctx: ConversationsContext, change: Change, handover: Handover & { source: 'workflow' | 'person' | 'operator' }): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  if (row.state === 'waiting') throw refuse(row, 'hand it over');
  const now = ctx.clock.now();
  return transition(
    trx,
    ctx,
    change,
    row,
    { state: 'waiting', holder: null, hold_expires_at: null, reason: handover.reason ?? null, team: handover.team ?? null, priority: handover.priority, waiting_since: now, operator: null, assigned_at: null },
    { type: 'conversation.handover_requested', payload: { reason: handover.reason ?? null, team: handover.team ?? null, priority: handover.priority, source: handover.source, previousState: row.state } },
  );
}

/** An operator takes the conversation; of two operators taking it at once, exactly one wins. */
export async function assignConversation(trx: Knex, ctx: ConversationsContext, change: Change, operator: string): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  if (row.state === 'assigned') throw refuse(row, 'take it');
  const now = ctx.clock.now();
  return transition(
    trx,
    ctx,
    change,
    row,
    { state: 'assigned', operator, assigned_at: now, holder: null, hold_expires_at: null, waiting_since: row.waiting_since ?? now, priority: row.priority ?? 'normal' },
    { type: 'conversation.assigned', payload: { operator, previousState: row.state } },
  );
}

/** An operator asking to return, close or transfer a conversation: the name conversations know them by, and whether they are an admin. */
export interface ConversationActor {
  operator: string;
  admin: boolean;
}

/**
 * Whether the actor may take the conversation out of its operator's hands (return, close or
 * transfer it): anyone while no operator has it, else only that operator or an admin — so a
 * dialog is never pulled from under someone typing. The desk and the staff group both ask this.
 */
export function ownerOrAdmin(row: Pick<ConversationRow, 'state' | 'operator'>, actor: ConversationActor): boolean {
  return row.state !== 'assigned' || row.operator === actor.operator || actor.admin;
}

/** The conversation, for an actor who may return, close or transfer it (`ownerOrAdmin`); 409 naming who has it otherwise. */
export async function openForOwnerOrAdmin(trx: Knex, ctx: ConversationsContext, change: Change, actor: ConversationActor): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  if (!ownerOrAdmin(row, actor)) throw conflict(`Operator ${row.operator} has this conversation: only they or an admin may return, close or transfer it`);
  return row;
}

/** Back to the bot, asked for (`requested`: a workflow, an operator) or because no operator answered in time (`timeout`). */
export async function returnToBot(trx: Knex, ctx: ConversationsContext, change: Change, reason: 'requested' | 'timeout' = 'requested'): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  if (row.state !== 'waiting' && row.state !== 'assigned') throw refuse(row, 'return it to the bot (no operator has it)');
  return transition(trx, ctx, change, row, { state: 'bot', operator: null, assigned_at: null, waiting_since: null, reason: null, team: null, priority: null }, {
    type: 'conversation.returned',
    payload: { operator: row.operator, previousState: row.state, reason },
  });
}

/**
 * Ends the session: back to the bot, a new session id and empty context for the next one. A
 * session an operator had (waiting or assigned at the close) keeps its operator and team in
 * `csat_*` for the rating question (csat.ts), when the bot asks one.
 */
export async function closeConversation(trx: Knex, ctx: ConversationsContext, change: Change): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  const closed = { sessionId: row.session_id, previousState: row.state, operator: row.operator };
  const withOperator = row.state === 'waiting' || row.state === 'assigned';
  const rated = withOperator && (await conversationSettingsOf(trx, change.botId)).csat;
  const next = await transition(trx, ctx, change, row, {
    csat_session_id: rated ? row.session_id : null,
    csat_operator: rated ? row.operator : null,
    csat_team: rated ? row.team : null,
    ...FRESH_SESSION,
    session_id: newSessionId(),
    opened_at: ctx.clock.now(),
  });
  await announce(trx, ctx, change, { ...next, session_id: row.session_id }, { type: 'conversation.closed', payload: { ...closed, nextSessionId: next.session_id } });
  return next;
}

export const contextChangeSchema = z
  .object({
    context: z.record(z.string().min(1).max(100), z.unknown()).meta({ description: 'Keys to set; a null value removes the key' }),
    replace: z.boolean().default(false).meta({ description: 'Replace the whole context instead of merging into it' }),
  })
  .meta({ id: 'ConversationContextChange' });

/** Session variables, apart from the lead's permanent attributes; at most 16 KiB as JSON. */
export async function setConversationContext(trx: Knex, ctx: ConversationsContext, change: Change, input: z.output<typeof contextChangeSchema>): Promise<ConversationRow> {
  const row = await openConversation(trx, ctx, change);
  const merged: Record<string, unknown> = input.replace ? {} : fromJson<Record<string, unknown>>(row.context);
  for (const [key, value] of Object.entries(input.context)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  const stored = toJson(merged);
  const bytes = Buffer.byteLength(stored);
  if (bytes > CONTEXT_MAX_BYTES) throw invalid('Context too large', [{ path: 'context', message: `at most ${CONTEXT_MAX_BYTES} bytes as JSON (this would be ${bytes})` }]);
  return transition(trx, ctx, change, row, { context: stored });
}

/** A message kept for the operator (in) or sent by one (out), in the session it belongs to. */
export async function keepMessage(
  trx: Knex,
  ctx: ConversationsContext,
  row: ConversationRow,
  message: { direction: 'in' | 'out'; leadId: string; channel: string; kind: string; body: Record<string, unknown>; operator?: string; messageId?: string },
): Promise<void> {
  await trx('conversation_messages').insert({
    bot_id: row.bot_id,
    person_key: row.person_key,
    session_id: row.session_id,
    direction: message.direction,
    lead_id: message.leadId,
    channel: message.channel,
    kind: message.kind,
    body: toJson(message.body),
    operator: message.operator ?? null,
    message_id: message.messageId ?? null,
    created_at: ctx.clock.now(),
  });
}

export const queueFiltersSchema = z
  .object({
    state: z.enum(CONVERSATION_STATES).optional(),
    team: z.string().trim().min(1).max(64).optional(),
    operator: z.string().trim().min(1).max(254).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .meta({ id: 'ConversationQueueFilters' });

/** The operators' queues: conversations by state, team or operator, the longest waiting first. */
export async function listConversations(db: Knex, botId: number, filters: z.output<typeof queueFiltersSchema>): Promise<Conversation[]> {
  const query = db<ConversationRow>('conversations').where({ bot_id: botId });
  if (filters.state) query.where({ state: filters.state });
  else query.whereIn('state', ['waiting', 'assigned']);
  if (filters.team) query.where({ team: filters.team });
  if (filters.operator) query.where({ operator: filters.operator });
  const rows = await query.orderBy([{ column: 'waiting_since', order: 'asc' }, { column: 'updated_at', order: 'asc' }]).limit(filters.limit);
  return rows.map(toConversation);
}

export interface KeptMessage {
  id: number;
  sessionId: string;
  direction: 'in' | 'out';
  leadId: string;
  channel: string;
  kind: string;
  body: Record<string, unknown>;
  operator: string | null;
  messageId: string | null;
  at: string;
}

/** What the person wrote while a human had the conversation and what operators answered, oldest first, across their chats. */
export async function conversationMessages(db: Knex, botId: number, lead: Pick<Lead, 'id' | 'userId'>, limit: number): Promise<KeptMessage[]> {
  const rows = await db('conversation_messages').where({ bot_id: botId, person_key: personKeyOf(lead) }).orderBy('id', 'desc').limit(limit);
  return rows.reverse().map((row) => ({
    id: Number(row.id),
    sessionId: row.session_id,
    direction: row.direction,
    leadId: row.lead_id,
    channel: row.channel,
    kind: row.kind,
    body: fromJson(row.body),
    operator: row.operator,
    messageId: row.message_id,
    at: iso(row.created_at),
  }));
}
