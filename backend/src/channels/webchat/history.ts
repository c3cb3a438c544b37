import type { Knex } from 'knex';
import { z } from 'zod';
import type { MessageButton } from '../channel';
import { fromJson, toJson } from '../../platform/db/database';

/** What the browser renders of one message. Text is plain: the page sets it with textContent. */
export const chatMessageBodySchema = z.object({
  text: z.string().optional(),
  buttons: z.array(z.array(z.object({ text: z.string(), data: z.string().optional(), url: z.string().optional() }))).optional(),
  imageUrl: z.string().optional(),
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

/** Appends one message; for a repeated clientId answers the row stored the first time. */
export async function appendChatMessage(db: Knex, message: NewChatMessage): Promise<{ message: ChatMessage; repeated: boolean }> {
  const row = { bot_id: message.botId, visitor_id: message.visitorId, direction: message.direction, client_id: message.clientId ?? null, body: toJson(message.body), created_at: message.now };
  const inserted = (await db('webchat_messages').insert(row).onConflict(['visitor_id', 'client_id']).ignore().returning('*')) as Row[];
  if (inserted.length > 0) return { message: toMessage(inserted[0]), repeated: false };
  const existing = (await db('webchat_messages').where({ visitor_id: message.visitorId, client_id: message.clientId ?? null }).first()) as Row;
  return { message: toMessage(existing), repeated: true };
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

/** How many actions a visitor sent since `since` (the per-visitor rate limit). */
export async function inboundCountSince(db: Knex, visitorId: string, since: number): Promise<number> {
  const [row] = (await db('webchat_messages').where({ visitor_id: visitorId, direction: 'in' }).andWhere('created_at', '>=', since).count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row?.n ?? 0);
}

/** The button with this callback data on one of the bot's messages to this visitor (a tap must match a button it was shown). */
export async function findButton(db: Knex, botId: number, visitorId: string, messageId: number, data: string): Promise<MessageButton | undefined> {
  const row = (await db('webchat_messages').where({ id: messageId, bot_id: botId, visitor_id: visitorId, direction: 'out' }).first()) as Row | undefined;
  if (!row) return undefined;
  const body = fromJson<ChatMessageBody>(row.body);
  return body.buttons?.flat().find((button) => button.data === data);
}
