import type { Knex } from 'knex';
import { z } from 'zod';
import { type Change, type ConversationsContext, openConversation, personKeyOf } from './conversations';
import type { Lead } from '../identity/leads';

export const noteSchema = z.object({ text: z.string().trim().min(1).max(4096) });

export interface ConversationNote {
  id: number;
  sessionId: string;
  author: string;
  text: string;
  at: string;
}

/** A note is the operators' own: stored with the conversation's session, never sent to the person, announced to no workflow. */
export async function addNote(trx: Knex, ctx: ConversationsContext, change: Change, author: string, text: string): Promise<ConversationNote> {
  const row = await openConversation(trx, ctx, change);
  const now = ctx.clock.now();
  const [stored] = (await trx('conversation_notes')
    .insert({ bot_id: row.bot_id, person_key: row.person_key, session_id: row.session_id, author, text, created_at: now })
    .returning('id')) as Array<{ id: number | string } | number>;
  const id = typeof stored === 'object' ? stored.id : stored;
  return { id: Number(id), sessionId: row.session_id, author, text, at: new Date(now).toISOString() };
}

/** The person's latest notes, oldest first, across their linked chats (as the kept messages are). */
export async function conversationNotes(db: Knex, botId: number, lead: Pick<Lead, 'id' | 'userId'>, limit: number): Promise<ConversationNote[]> {
  const rows = await db('conversation_notes').where({ bot_id: botId, person_key: personKeyOf(lead) }).orderBy('id', 'desc').limit(limit);
  return rows.reverse().map((row) => ({ id: Number(row.id), sessionId: row.session_id, author: row.author, text: row.text, at: new Date(Number(row.created_at)).toISOString() }));
}

