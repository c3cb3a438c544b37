import type { Request, RequestHandler, Response, Router } from 'express';
import type { Bot } from '../bots/bots';
import type { Knex } from 'knex';
import { z } from 'zod';
import { cannedAnswerSchema, createCannedAnswer, deleteCannedAnswer, listCannedAnswers, updateCannedAnswer } from '../conversations/canned-answers';
import {
  assignConversation,
  type Change,
  type ConversationsContext,
  type Handover,
  type Conversation,
  conversationMessages,
  type ConversationRow,
  listConversations,
  openConversation,
  openForOwnerOrAdmin,
  requestHandover,
  returnToBot,
  toConversation,
} from '../conversations/conversations';
import { closeConversationAndAskRating } from '../conversations/csat';
import { addNote, conversationNotes, noteSchema } from '../conversations/notes';
import { replyAsOperator } from '../conversations/operator-reply';
import { getLead, type Lead, profileFromRow } from '../identity/leads';
import type { AppContext } from '../platform/context';
import { notFound, parseInput } from '../platform/errors';
import { ApiError } from '../platform/http/errors';
import { consoleBotAccess, consoleOf, type consoleSession } from './access';
import type { ConsoleContext } from './desk-streams';
import { roleAllows } from './roles';
import { type ConsoleUser, isAdminOf, listConsoleUsers, userSeesBot } from './users';

const leadIdSchema = z.string().regex(/^ld_[A-Za-z0-9_-]{1,37}$/, 'a lead id such as ld_…');
const answerIdSchema = z.coerce.number().int().positive();
const queueSchema = z.object({
  queue: z.enum(['waiting', 'mine', 'all']).default('all'),
  team: z.string().trim().min(1).max(64).optional(),
});
const replySchema = z.object({ text: z.string().trim().min(1).max(4096), quickReplies: z.array(z.string().trim().min(1).max(100)).min(1).max(12).optional() });
const transferSchema = z.object({ operator: z.string().trim().toLowerCase().min(1).max(254) });
/** What the conversation page reads: the person's latest kept messages and notes, interleaved. */
const HISTORY_LIMIT = 500;
/** How often a stream looks for a change, and how long it lives before the browser reconnects (and the session is checked again). */
const STREAM_POLL_MS = 1000;
const STREAM_LIFETIME_MS = 60_000;

type DeskOperation = (trx: Knex, change: Change, user: ConsoleUser, req: Request, bot: Bot) => Promise<ConversationRow>;

/**
 * The operator desk's data under /console/api/bots/:botId/desk…: the same conversation functions
 * as the token API (docs/conversations.md), acting as the logged-in account (its email is the
 * operator id). Reading needs `conversations.read`; every change `conversations.write`.
 */
export function addDesk(ctx: ConsoleContext, router: Router, session: ReturnType<typeof consoleSession>): void {
  const read: RequestHandler[] = [session, consoleBotAccess(ctx, 'conversations.read')];
  const write: RequestHandler[] = [session, consoleBotAccess(ctx, 'conversations.write')];
  const base = '/bots/:botId/desk';
  const one = `${base}/conversations/:leadId`;

  const leadOf = async (req: Request, res: Response): Promise<Lead> => {
    const lead = await getLead(ctx.db, consoleOf(res).bot.id, parseInput(leadIdSchema, req.params.leadId, 'lead id'));
    if (!lead) throw notFound('Lead not found');
    return lead;
  };
  const act = (operation: DeskOperation) => async (req: Request, res: Response) => {
    const { user, bot } = consoleOf(res);
    const lead = await leadOf(req, res);
    const change: Change = { botId: bot.id, lead, traceId: res.locals.traceId };
    const row = await ctx.db.transaction((trx) => operation(trx, change, user, req, bot));
    res.json({ success: true, conversation: toConversation(row) });
  };

  router.get(`${base}/conversations`, ...read, async (req, res) => {
    const { queue, team } = parseInput(queueSchema, req.query, 'query');
    const { user, bot } = consoleOf(res);
    const filters = { team, limit: 200, ...(queue === 'waiting' ? { state: 'waiting' as const } : queue === 'mine' ? { state: 'assigned' as const, operator: user.email } : {}) };
    const conversations = await listConversations(ctx.db, bot.id, filters);
    res.json({ success: true, conversations: await withPeople(ctx.db, bot.id, conversations) });
  });
  router.get(one, ...read, async (req, res) => {
    const { bot } = consoleOf(res);
    const lead = await leadOf(req, res);
    const row = await ctx.db.transaction((trx) => openConversation(trx, ctx, { botId: bot.id, lead, traceId: res.locals.traceId }));
    const [messages, notes, chats] = await Promise.all([
      conversationMessages(ctx.db, bot.id, lead, HISTORY_LIMIT),
      conversationNotes(ctx.db, bot.id, lead, HISTORY_LIMIT),
      chatsOf(ctx.db, bot.id, lead),
    ]);
    const history = [...messages.map((m) => ({ type: 'message' as const, ...m })), ...notes.map((n) => ({ type: 'note' as const, ...n }))].sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);
    res.json({ success: true, conversation: toConversation(row), person: chats.find((c) => c.leadId === row.lead_id) ?? chats[0], chats, history });
  });
  router.get(`${base}/operators`, ...read, async (_req, res) => {
    res.json({ success: true, operators: await operatorsOf(ctx, consoleOf(res).bot.id) });
  });

  router.post(`${one}/take`, ...write, act((trx, change, user) => assignConversation(trx, ctx, change, user.email)));
  // Who may receive it is read before the transaction: SQLite has one connection, which the transaction holds.
  const transferTarget: RequestHandler = async (req, res, next) => {
    const { operator } = parseInput(transferSchema, req.body ?? {}, 'request body');
    if (!(await operatorsOf(ctx, consoleOf(res).bot.id)).some((o) => o.email === operator)) throw notFound(`No operator ${operator} may answer this bot's conversations`);
    next();
  };
  router.post(`${one}/transfer`, ...write, transferTarget, act(async (trx, change, user, req, bot) => {
    const { operator } = parseInput(transferSchema, req.body ?? {}, 'request body');
    const row = await mustHave(trx, ctx, change, user, bot);
    if (row.state === 'waiting') return assignConversation(trx, ctx, change, operator);
    // Through the queue and straight out of it, in one transaction: both steps version-checked, both announced.
    const handover = { reason: `transferred by ${user.email}`, priority: row.priority === null ? 'normal' : (row.priority as Handover['priority']), ...(row.team ? { team: row.team } : {}) };
    await requestHandover(trx, ctx, change, { ...handover, source: 'operator' });
    return assignConversation(trx, ctx, change, operator);
  }));
  router.post(`${one}/reply`, ...write, act(async (trx, change, user, req, bot) => {
    const reply = parseInput(replySchema, req.body ?? {}, 'request body');
    return (await replyAsOperator(trx, ctx, bot, change, { operator: user.email, ...reply })).row;
  }));
  router.post(`${one}/return`, ...write, act(async (trx, change, user, _req, bot) => {
    await mustHave(trx, ctx, change, user, bot);
    return returnToBot(trx, ctx, change);
  }));
  router.post(`${one}/close`, ...write, act(async (trx, change, user, _req, bot) => {
    await mustHave(trx, ctx, change, user, bot);
    return closeConversationAndAskRating(trx, ctx, bot, change);
  }));
  router.post(`${one}/notes`, ...write, async (req, res) => {
    const { user, bot } = consoleOf(res);
    const lead = await leadOf(req, res);
    const { text } = parseInput(noteSchema, req.body ?? {}, 'request body');
    const note = await ctx.db.transaction((trx) => addNote(trx, ctx, { botId: bot.id, lead, traceId: res.locals.traceId }, user.email, text));
    res.status(201).json({ success: true, note });
  });

  router.get(`${base}/canned-answers`, ...read, async (_req, res) => {
    res.json({ success: true, answers: await listCannedAnswers(ctx.db, consoleOf(res).bot.id) });
  });
  router.post(`${base}/canned-answers`, ...write, async (req, res) => {
    const { user, bot } = consoleOf(res);
    res.status(201).json({ success: true, answer: await createCannedAnswer(ctx.db, ctx.clock, bot.id, user.email, parseInput(cannedAnswerSchema, req.body ?? {}, 'request body')) });
  });
  router.put(`${base}/canned-answers/:answerId`, ...write, async (req, res) => {
    const { user, bot } = consoleOf(res);
    const id = parseInput(answerIdSchema, req.params.answerId, 'answer id');
    res.json({ success: true, answer: await updateCannedAnswer(ctx.db, ctx.clock, bot.id, id, user.email, parseInput(cannedAnswerSchema, req.body ?? {}, 'request body')) });
  });
  router.delete(`${base}/canned-answers/:answerId`, ...write, async (req, res) => {
    await deleteCannedAnswer(ctx.db, consoleOf(res).bot.id, parseInput(answerIdSchema, req.params.answerId, 'answer id'));
    res.json({ success: true });
  });

  // HEAD would otherwise open a stream with no body to send: answer at once.
  router.head(`${base}/stream`, ...read, (_req, res) => void res.status(200).type('text/event-stream').end());
  router.get(`${base}/stream`, ...read, (_req, res) => streamChanges(ctx, res));
}

/** Returning, closing or transferring a conversation another operator has is theirs to do, or an admin's (409 otherwise). */
function mustHave(trx: Knex, ctx: ConversationsContext, change: Change, user: ConsoleUser, bot: Bot): Promise<ConversationRow> {
  return openForOwnerOrAdmin(trx, ctx, change, { operator: user.email, admin: isAdminOf(user, bot.id) });
}

interface Chat {
  leadId: string;
  channel: string;
  name: string;
  lastActivityAt: string;
}

function chatOf(row: { id: string; channel: string; chat_id: string; first_name: string | null; last_name: string | null; username: string | null; language: string | null; last_activity_at: number | string }): Chat {
  const profile = profileFromRow(row);
  const name = [profile.firstName, profile.lastName].filter(Boolean).join(' ') || (profile.username ? `@${profile.username}` : `${row.channel} ${row.chat_id}`);
  return { leadId: row.id, channel: row.channel, name, lastActivityAt: new Date(Number(row.last_activity_at)).toISOString() };
}

/** The person's chats: every lead linked to their user (their channels), or the one unlinked chat. */
async function chatsOf(db: Knex, botId: number, lead: Lead): Promise<Chat[]> {
  if (!lead.userId) return [chatOf((await db('leads').where({ bot_id: botId, id: lead.id }).first())!)];
  const rows = await db('leads')
    .join('links', 'links.lead_id', 'leads.id')
    .where({ 'leads.bot_id': botId, 'links.user_id': lead.userId, 'links.status': 'connected' })
    .select('leads.*')
    .orderBy('leads.last_activity_at', 'desc');
  return rows.map(chatOf);
}

/** Each queue entry with the name and channel of the person's latest chat, in one query. */
async function withPeople(db: Knex, botId: number, conversations: Conversation[]): Promise<Array<Conversation & { person: Chat | null }>> {
  if (conversations.length === 0) return [];
  const rows = await db('leads').where({ bot_id: botId }).whereIn('id', conversations.map((c) => c.leadId));
  const chats = new Map(rows.map((row) => [row.id as string, chatOf(row)]));
  return conversations.map((c) => ({ ...c, person: chats.get(c.leadId) ?? null }));
}

/** Who a conversation may be transferred to: enabled accounts that see the bot and may answer its conversations. */
async function operatorsOf(ctx: AppContext, botId: number): Promise<Array<{ email: string; role: string }>> {
  const users = await listConsoleUsers(ctx);
  return users.filter((u) => u.disabledAt === null && userSeesBot(u, botId) && roleAllows(u.role, 'conversations.write')).map((u) => ({ email: u.email, role: u.role }));
}

/**
 * Server-sent events: `change` whenever the bot's newest event or note id moves (a handover, a
 * take, a message kept for an operator, a reply, a note, a return or close: each records one),
 * so the page reloads what it shows. Read from the database, so it works with any number of
 * backend processes. The stream ends after a minute; the browser reconnects, with its session
 * checked again. A session holds at most CONSOLE_STREAMS_PER_SESSION streams in this process: one
 * more is a 429 before anything is streamed, and a stream's slot is free again once it closes.
 */
function streamChanges(ctx: ConsoleContext, res: Response): void {
  const { bot, sessionId } = consoleOf(res);
  const giveBack = ctx.deskStreams.open(sessionId);
  if (!giveBack) throw new ApiError(429, `This session has ${ctx.config.CONSOLE_STREAMS_PER_SESSION} desk streams open already (CONSOLE_STREAMS_PER_SESSION): close a desk page and reload`);
  const botId = bot.id;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.write('retry: 1000\n\n');
  let last = '';
  let busy = false;
  const look = async () => {
    if (busy) return;
    busy = true;
    try {
      const mark = await changeMark(ctx.db, botId);
      if (mark !== last && !res.writableEnded) res.write(`event: change\ndata: ${JSON.stringify({ mark })}\n\n`);
      last = mark;
    } catch (error) {
      ctx.logger.warn({ err: error, botId }, 'desk stream: reading the change mark failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void look(), STREAM_POLL_MS);
  const end = setTimeout(() => res.end(), STREAM_LIFETIME_MS);
  // The response's close: the browser went away, or the stream's lifetime ended it (a kept-alive socket outlives it).
  res.on('close', () => {
    clearInterval(timer);
    clearTimeout(end);
    giveBack();
  });
  void look();
}

async function changeMark(db: Knex, botId: number): Promise<string> {
  const [events, notes] = await Promise.all([
    db('events').where({ bot_id: botId }).max({ id: 'id' }).first(),
    db('conversation_notes').where({ bot_id: botId }).max({ id: 'id' }).first(),
  ]);
  return `${Number(events?.id ?? 0)}.${Number(notes?.id ?? 0)}`;
}
