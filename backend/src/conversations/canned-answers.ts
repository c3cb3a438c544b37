import type { Knex } from 'knex';
import { z } from 'zod';
import { fromJson, isUniqueViolation, toJson } from '../platform/db/database';
import { conflict, notFound } from '../platform/errors';
import type { Clock } from '../platform/clock';

/** A bot keeps at most this many saved answers: the desk lists them all in one menu. */
export const MAX_CANNED_ANSWERS = 200;

export const quickRepliesSchema = z.array(z.string().trim().min(1).max(100)).max(12).meta({ description: 'Buttons the person can tap to answer (Telegram\'s reply keyboard)' });

export const cannedAnswerSchema = z.object({
  title: z.string().trim().min(1).max(100),
  text: z.string().trim().min(1).max(4096),
  quickReplies: quickRepliesSchema.default([]),
});
export type CannedAnswerInput = z.output<typeof cannedAnswerSchema>;

export interface CannedAnswer {
  id: number;
  title: string;
  text: string;
  quickReplies: string[];
  updatedBy: string;
  updatedAt: string;
}

interface CannedAnswerRow {
  id: number | string;
  bot_id: number;
  title: string;
  text: string;
  quick_replies: string;
  updated_by: string;
  created_at: number | string;
  updated_at: number | string;
}

const toCannedAnswer = (row: CannedAnswerRow): CannedAnswer => ({
  id: Number(row.id),
  title: row.title,
  text: row.text,
  quickReplies: fromJson(row.quick_replies),
  updatedBy: row.updated_by,
  updatedAt: new Date(Number(row.updated_at)).toISOString(),
});

const duplicate = (title: string) => conflict(`A saved answer titled "${title}" exists already`);

export async function listCannedAnswers(db: Knex, botId: number): Promise<CannedAnswer[]> {
  const rows = await db<CannedAnswerRow>('canned_answers').where({ bot_id: botId }).orderBy('title').limit(MAX_CANNED_ANSWERS);
  return rows.map(toCannedAnswer);
}

/**
 * The count and the insert share a transaction that first locks the bot's row (PostgreSQL;
 * SQLite has one writer), so two creations at once cannot both pass the limit.
 */
export async function createCannedAnswer(db: Knex, clock: Clock, botId: number, author: string, input: CannedAnswerInput): Promise<CannedAnswer> {
  return db.transaction(async (trx) => {
    if (trx.client.config.client === 'pg') await trx('bots').where({ id: botId }).forUpdate().first('id');
    const { n } = (await trx('canned_answers').where({ bot_id: botId }).count({ n: '*' }).first()) as { n: number | string };
    if (Number(n) >= MAX_CANNED_ANSWERS) throw conflict(`A bot keeps at most ${MAX_CANNED_ANSWERS} saved answers; delete one first`);
    const now = clock.now();
    try {
      const [row] = (await trx('canned_answers')
        .insert({ bot_id: botId, title: input.title, text: input.text, quick_replies: toJson(input.quickReplies), updated_by: author, created_at: now, updated_at: now })
        .returning('*')) as CannedAnswerRow[];
      return toCannedAnswer(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicate(input.title);
      throw error;
    }
  });
}

export async function updateCannedAnswer(db: Knex, clock: Clock, botId: number, id: number, author: string, input: CannedAnswerInput): Promise<CannedAnswer> {
  try {
    const [row] = (await db('canned_answers')
      .where({ bot_id: botId, id })
      .update({ title: input.title, text: input.text, quick_replies: toJson(input.quickReplies), updated_by: author, updated_at: clock.now() })
      .returning('*')) as CannedAnswerRow[];
    if (!row) throw notFound('No saved answer with this id for this bot');
    return toCannedAnswer(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(input.title);
    throw error;
  }
}

export async function deleteCannedAnswer(db: Knex, botId: number, id: number): Promise<void> {
  const deleted = await db('canned_answers').where({ bot_id: botId, id }).delete();
  if (deleted === 0) throw notFound('No saved answer with this id for this bot');
}
