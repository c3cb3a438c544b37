import type { Knex } from 'knex';
import { z } from 'zod';
import type { MessageButton } from '../channel';
import { fromJson, isPostgres, toJson } from '../../platform/db/database';

/**
 * One file of a message as the page shows it: by `url` (http(s), embedded or linked as it is), or
 * by `ref`, a file kept here (`m:<message_files id>`: uploaded with a send; `w:<file id>`: a
 * visitor's), which the page fetches with its token from `…/api/files/{messageId}/{index}`.
 */
export const chatFileSchema = z.object({
  kind: z.enum(['photo', 'document', 'video', 'audio', 'voice', 'animation']),
  url: z.string().optional(),
  ref: z.string().optional(),
  name: z.string().optional(),
  size: z.number().optional(),
  mimeType: z.string().optional(),
  caption: z.string().optional(),
});
export type ChatFile = z.infer<typeof chatFileSchema>;

/** What the browser renders of one message. Text is plain: the page sets it with textContent. */
export const chatMessageBodySchema = z.object({
  text: z.string().optional(),
  buttons: z.array(z.array(z.object({ text: z.string(), data: z.string().optional(), url: z.string().optional() }))).optional(),
  imageUrl: z.string().optional(),
  /** One file (its caption is `text`); the page fetches it at index 0. */
  media: chatFileSchema.optional(),
  /** 2–10 files shown as a grid; item i is fetched at index i. */
  album: z.array(chatFileSchema).optional(),
  /** Shown as a link to a map at these coordinates. */
  location: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  /** Quick replies: chips under the message; a tap sends the chip's text. */
  quickReplies: z.array(z.string()).optional(),
  /** A chip asking for the visitor's phone. */
  requestContact: z.object({ buttonText: z.string() }).optional(),
  removeKeyboard: z.boolean().optional(),
  /** Inbound: the data of the pressed button (text holds its label). */
  buttonData: z.string().optional(),
  /** Inbound: the visitor shared a phone (text holds it). */
  contact: z.boolean().optional(),
});
export type ChatMessageBody = z.infer<typeof chatMessageBodySchema>;

export interface ChatMessage extends ChatMessageBody {
  id: number;
  direction: 'in' | 'out';
  createdAt: number;
}

interface Row {
  id: number;
  bot_id: number;
  visitor_id: string;
  direction: 'in' | 'out';
  client_id: string | null;
  body: string;
  created_at: number;
}

const HISTORY_PAGE = 500;

function toMessage(row: Row): ChatMessage {
  return { id: Number(row.id), direction: row.direction, createdAt: Number(row.created_at), ...fromJson<ChatMessageBody>(row.body) };
}

export interface NewChatMessage {
  botId: number;
  visitorId: string;
  direction: 'in' | 'out';
  body: ChatMessageBody;
  /** Inbound only: the browser's id of the action, so a retried POST is stored once. */
  clientId?: string;
  now: number;
}

function rowOf(message: NewChatMessage) {
  return { bot_id: message.botId, visitor_id: message.visitorId, direction: message.direction, client_id: message.clientId ?? null, body: toJson(message.body), created_at: message.now };
}

/** Appends one message of the bot (no clientId: nothing to repeat, no limit). */
export async function appendChatMessage(db: Knex, message: NewChatMessage): Promise<ChatMessage> {
  const [inserted] = (await db('webchat_messages').insert(rowOf(message)).returning('*')) as Row[];
  return toMessage(inserted);
}

// The key space of the per-visitor lock (the two-integer form of PostgreSQL's advisory locks).
const VISITOR_LOCK_CLASS = 6_060_417;

const LIMITED_INSERT = `insert into webchat_messages (bot_id, visitor_id, direction, client_id, body, created_at)
  select cast(? as integer), ?, ?, ?, ?, cast(? as bigint)
  where (select count(*) from webchat_messages where visitor_id = ? and direction = 'in' and created_at >= ?) < ?
  on conflict (visitor_id, client_id) do nothing
  returning *`;

/**
 * Appends a visitor's action unless the visitor sent `max` since `since`: the count and the insert
 * are one statement. SQLite runs it under its one writer; on PostgreSQL two such statements under
 * READ COMMITTED would each count without the other's row, so a lock per visitor, held to commit,
 * puts them in a row. Undefined when over the limit; a repeated clientId answers the stored row.
 */
export async function appendInboundWithin(db: Knex, message: NewChatMessage, limit: { max: number; since: number }): Promise<ChatMessage | undefined> {
  const row = rowOf(message);
  const inserted = await db.transaction(async (trx) => {
    if (isPostgres(trx)) await trx.raw('select pg_advisory_xact_lock(?, hashtext(?))', [VISITOR_LOCK_CLASS, message.visitorId]);
    const result = await trx.raw(LIMITED_INSERT, [row.bot_id, row.visitor_id, row.direction, row.client_id, row.body, row.created_at, row.visitor_id, limit.since, limit.max]);
    return (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
  });
  if (inserted.length > 0) return toMessage(inserted[0]);
  const before = (await db('webchat_messages').where({ visitor_id: row.visitor_id, client_id: row.client_id }).first()) as Row | undefined;
  return before && toMessage(before);
}

/** A visitor's messages after `afterId`, oldest first (a page at a time). */
export async function readHistory(db: Knex, botId: number, visitorId: string, afterId: number): Promise<ChatMessage[]> {
  const rows = (await db('webchat_messages').where({ visitor_id: visitorId, bot_id: botId }).andWhere('id', '>', afterId).orderBy('id').limit(HISTORY_PAGE)) as Row[];
  return rows.map(toMessage);
}

/** Messages of these visitors created since `since`: what a process pushes to the connections it holds. */
export async function recentMessages(db: Knex, visitorIds: string[], since: number): Promise<Array<ChatMessage & { visitorId: string; botId: number }>> {
  const rows = (await db('webchat_messages').whereIn('visitor_id', visitorIds).andWhere('created_at', '>=', since).orderBy('id')) as Row[];
  return rows.map((row) => ({ ...toMessage(row), visitorId: row.visitor_id, botId: row.bot_id }));
}

/** The button with this callback data on one of the bot's messages to this visitor (a tap must match a button it was shown). */
export async function findButton(db: Knex, botId: number, visitorId: string, messageId: number, data: string): Promise<MessageButton | undefined> {
  const row = (await db('webchat_messages').where({ id: messageId, bot_id: botId, visitor_id: visitorId, direction: 'out' }).first()) as Row | undefined;
  if (!row) return undefined;
  const body = fromJson<ChatMessageBody>(row.body);
  return body.buttons?.flat().find((button) => button.data === data);
}

/** The file at `index` of a message to or from this visitor (0: its media; i: the album's item i). */
export async function findChatFile(db: Knex, botId: number, visitorId: string, messageId: number, index: number): Promise<ChatFile | undefined> {
  const row = (await db('webchat_messages').where({ id: messageId, bot_id: botId, visitor_id: visitorId }).first()) as Row | undefined;
  if (!row) return undefined;
  const body = fromJson<ChatMessageBody>(row.body);
  return body.album ? body.album[index] : index === 0 ? body.media : undefined;
}
