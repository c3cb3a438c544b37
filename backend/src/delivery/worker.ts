import type { Knex } from 'knex';
import { Counter, Histogram } from 'prom-client';
import { type Bot, getBot } from '../bots/bots';
import type { RenderedMessage, SendOutcome } from '../channels/channel';
import type { ChannelName } from '../channels/inbound-update';
import type { ChannelsContext } from '../channels/registry';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres } from '../platform/db/database';
import { type NewEvent, recordEvents } from '../events/outbox';
import { markLeadUnreachable } from '../identity/leads';
import { profileFromRow } from '../identity/leads';
import { metricsRegistry } from '../platform/metrics/metrics';
import { appendTraceHops, type TraceHop } from '../traces/traces';
import { type MessageContent, templateScope } from './messages';
import { botPausedUntil, botRate, deliverySettings, pauseBot, reserveSlots } from './rate';
import { GroupCommit } from './group-commit';
import { compileTemplate, type MessageTemplate, renderTemplate } from './templates';

const sentTotal = new Counter({ name: 'metabot_messages_sent_total', help: 'Messages delivered to a channel', labelNames: ['channel'], registers: [metricsRegistry] });
const failedTotal = new Counter({ name: 'metabot_messages_failed_total', help: 'Messages given up on, by kind', labelNames: ['channel', 'kind'], registers: [metricsRegistry] });
const retriesTotal = new Counter({ name: 'metabot_message_retries_total', help: 'Sends retried after a transient error', labelNames: ['channel'], registers: [metricsRegistry] });
const rateLimitedTotal = new Counter({ name: 'metabot_channel_rate_limited_total', help: '429 answers from a channel (the bot pauses for retry_after)', labelNames: ['channel'], registers: [metricsRegistry] });
const sendSeconds = new Histogram({ name: 'metabot_channel_send_seconds', help: 'Duration of one channel send call', labelNames: ['channel'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [metricsRegistry] });

/** Rows the workers pick up: due now, including `sending` rows whose lease ran out (their process died). */
const CLAIMABLE = ['queued', 'deferred', 'sending'];
const MAX_BATCH = 500;

/** A message_recipients row as claimed (every column). */
interface RecipientRow {
  id: number;
  message_id: string;
  bot_id: number;
  lead_id: string;
  user_id: string | null;
  channel: ChannelName;
  chat_id: string;
  status: string;
  attempts: number;
  due_at: number;
  lease_until: number | null;
  external_id: string | null;
  error: string | null;
  sent_at: number | null;
  updated_at: number;
}

interface LeadState {
  id: string;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  language: string | null;
  attributes: string;
  reachable: boolean | number;
  state: string | null;
  paused_until: number | null;
}

interface LoadedMessage {
  content: MessageContent;
  template: MessageTemplate;
  critical: boolean;
  notice: boolean;
  traceId: string;
}

/** What happens to a row once its send (or the decision not to send) is known. */
type RowOutcome =
  | { kind: 'sent'; externalId: string; latencyMs: number }
  | { kind: 'failed'; reason: string; blocked?: boolean }
  | { kind: 'retry'; reason: string; dueAt: number }
  | { kind: 'release'; dueAt: number }
  | { kind: 'deferred'; dueAt: number }
  | { kind: 'skipped'; reason: string };

interface Pending {
  row: RecipientRow;
  message: LoadedMessage;
  outcome: RowOutcome;
  attempted: boolean;
}

/**
 * Outcomes are written in group commits. Under load (a bot sending faster than GATHER_ABOVE_RATE/s)
 * outcomes gather for up to GATHER_MS (or until a batch is full) and commit together: one
 * transaction, one events-loop wake-up and three statements per batch instead of per message. At
 * Telegram's normal rates each outcome is written at once, keeping the window between Telegram's
 * acceptance and our record as short as the commit itself.
 */
const GATHER_MS = 5;
const GATHER_ABOVE_RATE = 200;
const WRITE_BATCH = 500; // × 15 columns stays under SQLite's bound-variable limit in one upsert

/** The row's columns after an outcome (the whole row: it is written back with one upsert per batch). */
function rowAfter(ctx: AppContext, { row, outcome, attempted }: Pending): RecipientRow {
  const now = ctx.clock.now();
  // `lease_until` goes back to its value at the claim: the start mark of this attempt is resolved
  // by this outcome, an earlier attempt's unknown outcome is not.
  const next: RecipientRow = { ...row, attempts: row.attempts + (attempted ? 1 : 0), updated_at: now };
  switch (outcome.kind) {
    case 'sent':
      return { ...next, status: 'sent', external_id: outcome.externalId, sent_at: now, error: null };
    case 'failed':
      return { ...next, status: 'failed', error: outcome.reason.slice(0, 1000) };
    case 'retry':
      return { ...next, status: 'queued', due_at: outcome.dueAt, error: outcome.reason.slice(0, 1000) };
    case 'release':
      return { ...next, status: 'queued', due_at: outcome.dueAt };
    case 'deferred':
      return { ...next, status: 'deferred', due_at: outcome.dueAt };
    case 'skipped':
      return { ...next, status: 'skipped', error: outcome.reason };
  }
}

/** Events and trace hops of the outcomes that end a recipient's delivery. */
function recordsOf(item: Pending, row: RecipientRow): { event?: NewEvent; hop?: TraceHop } {
  const { message, outcome } = item;
  const who = { botId: row.bot_id, traceId: message.traceId, leadId: row.lead_id, userId: row.user_id };
  const detail = { messageId: row.message_id, channel: row.channel, chatId: row.chat_id };
  switch (outcome.kind) {
    case 'sent':
      return {
        event: { ...who, type: 'message.sent', payload: { ...detail, externalId: outcome.externalId, attempts: row.attempts, ...uncertainty(row) } },
        hop: { ...who, hop: 'message.sent', status: 'sent', latencyMs: outcome.latencyMs, detail: { ...detail, externalId: outcome.externalId, ...uncertainty(row) } },
      };
    case 'failed':
      return {
        event: { ...who, type: 'message.failed', payload: { ...detail, error: outcome.reason, attempts: row.attempts } },
        hop: { ...who, hop: 'message.failed', status: 'failed', detail: { ...detail, error: outcome.reason } },
      };
    case 'skipped':
      return { hop: { ...who, hop: 'message.skipped', status: 'skipped', detail: { ...detail, reason: outcome.reason } } };
    default:
      return {};
  }
}

/** A row an earlier process started to send and died before recording Telegram's answer may have reached the person twice. */
const uncertainty = (row: RecipientRow) => (row.lease_until === null ? {} : { possibleDuplicate: true });

const UPDATED_COLUMNS = ['status', 'attempts', 'due_at', 'lease_until', 'external_id', 'error', 'sent_at', 'updated_at'];

/** Writes a batch of outcomes: one upsert for the rows, one insert for events, one for trace hops. */
async function writeOutcomes(trx: Knex, ctx: AppContext, items: Pending[]): Promise<void> {
  const rows = items.map((item) => rowAfter(ctx, item));
  await trx('message_recipients').insert(rows).onConflict('id').merge(UPDATED_COLUMNS);
  const records = items.map((item, i) => recordsOf(item, rows[i]));
  await recordEvents(trx, ctx, records.flatMap((r) => (r.event ? [r.event] : [])));
  await appendTraceHops(trx, ctx.clock, records.flatMap((r) => (r.hop ? [r.hop] : [])));
  for (const { row, message, outcome } of items) {
    if (outcome.kind === 'failed' && outcome.blocked) {
      await markLeadUnreachable(trx, ctx, { botId: row.bot_id, leadId: row.lead_id, traceId: message.traceId });
    }
  }
}

/**
 * The delivery engine's state in this process: its group-committed writers, the messages it has
 * loaded and the per-bot start windows. One per runtime.
 *
 * `starts` marks a row's send as started (`lease_until` = the start time), committed before the
 * HTTP call: if the process dies before the outcome is written, the next owner knows this row's
 * earlier send may have reached Telegram. Rows claimed but never started carry no mark and are
 * sent again without doubt.
 */
export class DeliveryEngine {
  readonly outcomes: GroupCommit<Pending>;
  readonly starts: GroupCommit<number>;
  readonly messages = new Map<string, LoadedMessage>();
  readonly startWindows = new Map<number, StartWindow>();

  constructor(ctx: AppContext) {
    this.outcomes = new GroupCommit((items) => ctx.db.transaction((trx) => writeOutcomes(trx, ctx, items)), WRITE_BATCH);
    this.starts = new GroupCommit(async (ids) => {
      await ctx.db('message_recipients').whereIn('id', ids).update({ lease_until: ctx.clock.now() });
    }, WRITE_BATCH);
  }

  startWindow(botId: number): StartWindow {
    let window = this.startWindows.get(botId);
    if (!window) this.startWindows.set(botId, (window = new StartWindow()));
    return window;
  }
}

/** What the delivery loop needs: the channels to send through and this process's engine. */
export interface DeliveryContext extends AppContext, ChannelsContext {
  delivery: DeliveryEngine;
}

/**
 * Claims up to `limit` due rows of one bot in one statement (UPDATE … WHERE id IN (SELECT … LIMIT)
 * RETURNING): `FOR UPDATE SKIP LOCKED` on PostgreSQL, so processes never claim the same row;
 * SQLite runs it under its single writer. The claim is a lease: `due_at` moves to the lease's end.
 */
async function claim(ctx: AppContext, botId: number, limit: number): Promise<RecipientRow[]> {
  const now = ctx.clock.now();
  let due = ctx.db('message_recipients')
    .select('id')
    .where('bot_id', botId)
    .whereIn('status', CLAIMABLE)
    .andWhere('due_at', '<=', now)
    .orderBy('due_at')
    .orderBy('id')
    .limit(limit);
  if (isPostgres(ctx.db)) due = due.forUpdate().skipLocked();
  const rows = (await ctx.db('message_recipients')
    .whereIn('id', due)
    .update({ status: 'sending', due_at: now + ctx.config.DELIVERY_LEASE_MS, updated_at: now })
    .returning('*')) as RecipientRow[];
  return rows.sort((a, b) => a.id - b.id);
}

async function loadMessages(ctx: DeliveryContext, ids: string[]): Promise<Map<string, LoadedMessage>> {
  const cache = ctx.delivery.messages;
  const missing = ids.filter((id) => !cache.has(id));
  if (missing.length > 0) {
    const rows = await ctx.db('messages').whereIn('id', missing);
    for (const row of rows) {
      const content = fromJson<MessageContent>(row.content);
      if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
      cache.set(row.id, { content, template: compileTemplate(content), critical: Boolean(row.critical), notice: content.notice === true, traceId: row.trace_id });
    }
  }
  return new Map(ids.map((id) => [id, cache.get(id)!]));
}

async function loadLeads(ctx: AppContext, leadIds: string[]): Promise<Map<string, LeadState>> {
  const rows = (await ctx.db('leads as l')
    .leftJoin('links as k', function joinLink() {
      this.on('k.lead_id', '=', 'l.id').andOnVal('k.status', '=', 'connected');
    })
    .leftJoin('user_accounts as a', function joinAccount() {
      this.on('a.bot_id', '=', 'l.bot_id').andOn('a.user_id', '=', 'k.user_id');
    })
    .whereIn('l.id', leadIds)
    .select('l.id', 'l.first_name', 'l.last_name', 'l.username', 'l.language', 'l.attributes', 'l.reachable', 'a.state', 'a.paused_until')) as LeadState[];
  return new Map(rows.map((r) => [r.id, r]));
}

/** Chats that got a message less than the spacing ago: the time each may take the next one. */
async function chatsBusyUntil(ctx: AppContext, botId: number, chatIds: string[]): Promise<Map<string, number>> {
  const spacing = ctx.config.DELIVERY_CHAT_SPACING_MS;
  if (spacing === 0) return new Map();
  const since = ctx.clock.now() - spacing;
  const rows = (await ctx.db('message_recipients')
    .where('bot_id', botId)
    .whereIn('chat_id', chatIds)
    .andWhere('sent_at', '>', since)
    .groupBy('chat_id')
    .select('chat_id')
    .max({ last: 'sent_at' })) as Array<{ chat_id: string; last: number }>;
  return new Map(rows.map((r) => [r.chat_id, Number(r.last) + spacing]));
}

/** Decides, before any send, what each claimed row needs: send, wait for its chat, defer for a pause, or skip. */
function triage(ctx: AppContext, lead: LeadState | undefined, message: LoadedMessage, chatFreeAt: number | undefined): RowOutcome | undefined {
  const now = ctx.clock.now();
  if (!lead) return { kind: 'skipped', reason: 'the lead no longer exists' };
  if (!lead.reachable) return { kind: 'skipped', reason: 'the person blocked the bot' };
  if (lead.state && lead.state !== 'active' && !message.notice) return { kind: 'skipped', reason: `the user is ${lead.state}` };
  if (lead.paused_until !== null && Number(lead.paused_until) > now && !message.critical) return { kind: 'deferred', dueAt: Number(lead.paused_until) };
  if (chatFreeAt !== undefined && chatFreeAt > now) return { kind: 'release', dueAt: chatFreeAt };
  return undefined;
}

function render(row: RecipientRow, lead: LeadState, message: LoadedMessage): RenderedMessage {
  const scope = templateScope(
    { leadId: row.lead_id, userId: row.user_id, channel: row.channel, chatId: row.chat_id, profile: profileFromRow(lead), attributes: fromJson(lead.attributes) },
    message.content.params,
  );
  const rendered = renderTemplate(message.template, scope);
  const { parseMode, imageUrl, quickReplies, requestContact } = message.content;
  return { text: rendered.text, parseMode, buttons: rendered.buttons, imageUrl, quickReplies, requestContact };
}

function backoffMs(ctx: AppContext, attempts: number): number {
  const exponential = Math.min(ctx.config.DELIVERY_BACKOFF_CAP_MS, ctx.config.DELIVERY_BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.75 + Math.random() * 0.25));
}

function afterSend(ctx: AppContext, row: RecipientRow, result: SendOutcome, latencyMs: number): RowOutcome {
  const attempts = row.attempts + 1;
  switch (result.kind) {
    case 'ok':
      return { kind: 'sent', externalId: result.externalId, latencyMs };
    case 'blocked':
      return { kind: 'failed', reason: result.reason, blocked: true };
    case 'permanent':
      return { kind: 'failed', reason: result.reason };
    case 'rateLimited':
      return { kind: 'release', dueAt: ctx.clock.now() + result.retryAfterMs };
    case 'transient':
      if (attempts >= ctx.config.DELIVERY_MAX_ATTEMPTS) return { kind: 'failed', reason: `gave up after ${attempts} attempts: ${result.reason}` };
      return { kind: 'retry', reason: result.reason, dueAt: ctx.clock.now() + backoffMs(ctx, attempts) };
  }
}

/** Caps the sends of one batch that wait for Telegram at once, so a slow Telegram does not pile up requests. */
class Semaphore {
  private waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/**
 * This process's send starts of one bot in the last second. The shared slots pace the bot across
 * processes; this stops sends that were held up (a busy event loop) from leaving in a bunch that
 * would exceed Telegram's per-second window.
 */
class StartWindow {
  private times: number[] = [];
  private head = 0;

  async waitTurn(perSecond: number): Promise<void> {
    const capacity = Math.max(1, Math.floor(perSecond));
    for (;;) {
      const now = Date.now();
      while (this.head < this.times.length && this.times[this.head] <= now - 1000) this.head += 1;
      if (this.head > 1024) {
        this.times = this.times.slice(this.head);
        this.head = 0;
      }
      if (this.times.length - this.head < capacity) break;
      await sleep(this.times[this.head] + 1000 - now);
    }
    this.times.push(Date.now());
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One batch of one bot: claim, triage, reserve rate slots, send each at its slot, record outcomes. */
async function deliverForBot(ctx: DeliveryContext, bot: Bot): Promise<boolean> {
  if ((await botPausedUntil(ctx.db, bot.id)) > Date.now()) return false;
  const rate = botRate(bot, ctx.config);
  const claimed = await claim(ctx, bot.id, Math.max(1, Math.min(MAX_BATCH, Math.ceil(rate / 2))));
  if (claimed.length === 0) return false;

  const { outcomes, starts } = ctx.delivery;
  const gatherMs = rate > GATHER_ABOVE_RATE ? GATHER_MS : 0;
  const write = (item: Pending) => outcomes.add(item, gatherMs);
  const [messages, leads, busyChats] = await Promise.all([
    loadMessages(ctx, [...new Set(claimed.map((r) => r.message_id))]),
    loadLeads(ctx, [...new Set(claimed.map((r) => r.lead_id))]),
    chatsBusyUntil(ctx, bot.id, [...new Set(claimed.map((r) => r.chat_id))]),
  ]);
  const writes: Array<Promise<void>> = [];
  const toSend: Array<{ row: RecipientRow; message: LoadedMessage; rendered: RenderedMessage }> = [];
  const chatsInBatch = new Map<string, number>();
  for (const row of claimed) {
    const message = messages.get(row.message_id)!;
    const lead = leads.get(row.lead_id);
    const earlierInBatch = chatsInBatch.get(row.chat_id) ?? 0;
    const chatFreeAt = earlierInBatch > 0 ? ctx.clock.now() + earlierInBatch * ctx.config.DELIVERY_CHAT_SPACING_MS : busyChats.get(row.chat_id);
    const decided = triage(ctx, lead, message, chatFreeAt);
    if (decided) {
      writes.push(write({ row, message, outcome: decided, attempted: false }));
      continue;
    }
    chatsInBatch.set(row.chat_id, earlierInBatch + 1);
    try {
      toSend.push({ row, message, rendered: render(row, lead!, message) });
    } catch (error) {
      writes.push(write({ row, message, outcome: { kind: 'failed', reason: `template: ${(error as Error).message}` }, attempted: false }));
    }
  }

  const intervalMs = 1000 / rate;
  const firstSlot = toSend.length > 0 ? await reserveSlots(ctx.db, bot.id, toSend.length, intervalMs, Date.now()) : 0;
  const paidBroadcast = deliverySettings(bot).allowPaidBroadcast === true;
  let pausedUntil = 0;
  const inFlight = new Semaphore(Math.max(2, Math.ceil(rate / 10)));
  const startWindow = ctx.delivery.startWindow(bot.id);
  const sendOne = async (item: (typeof toSend)[number], slot: number): Promise<void> => {
    const wait = slot - Date.now();
    if (wait > 0) await sleep(wait);
    await inFlight.acquire();
    try {
      await startWindow.waitTurn(rate);
      await attemptSend(item);
    } finally {
      inFlight.release();
    }
  };
  const attemptSend = async ({ row, message, rendered }: (typeof toSend)[number]): Promise<void> => {
    await starts.add(row.id);
    // Checked after the mark's commit: a 429 may have arrived meanwhile.
    if (pausedUntil > Date.now()) {
      return write({ row, message, outcome: { kind: 'release', dueAt: ctx.clock.now() + (pausedUntil - Date.now()) }, attempted: false });
    }
    const channel = ctx.channels.get(row.channel);
    const started = performance.now();
    const result: SendOutcome = channel
      ? await channel.send({ botId: bot.id, chatId: row.chat_id }, rendered, { paidBroadcast })
      : { kind: 'permanent', reason: `no ${row.channel} channel in this backend` };
    const latencyMs = Math.round(performance.now() - started);
    sendSeconds.observe({ channel: row.channel }, latencyMs / 1000);
    if (result.kind === 'rateLimited') {
      rateLimitedTotal.inc({ channel: row.channel });
      pausedUntil = Math.max(pausedUntil, Date.now() + result.retryAfterMs);
      await pauseBot(ctx.db, bot.id, pausedUntil);
    }
    const outcome = afterSend(ctx, row, result, latencyMs);
    if (outcome.kind === 'sent') sentTotal.inc({ channel: row.channel });
    if (outcome.kind === 'failed') failedTotal.inc({ channel: row.channel, kind: result.kind });
    if (outcome.kind === 'retry') retriesTotal.inc({ channel: row.channel });
    await write({ row, message, outcome, attempted: result.kind !== 'rateLimited' });
  };
  await Promise.all([...writes, ...toSend.map((item, i) => sendOne(item, firstSlot + i * intervalMs))]);
  return true;
}

/**
 * The delivery loop: every bot with due rows gets one batch (about half a second of its rate).
 * Resolves true while there is more to do, so the loop continues without waiting for its tick.
 */
export async function deliverDue(ctx: DeliveryContext): Promise<boolean> {
  const botIds = (await ctx.db('message_recipients')
    .distinct('bot_id')
    .whereIn('status', CLAIMABLE)
    .andWhere('due_at', '<=', ctx.clock.now())
    .limit(100)) as Array<{ bot_id: number }>;
  const results = await Promise.all(
    botIds.map(async ({ bot_id: botId }) => {
      const bot = await getBot(ctx, botId);
      return bot ? deliverForBot(ctx, bot) : false;
    }),
  );
  return results.some(Boolean);
}
