import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { notFound } from '../platform/errors';
import type { Bot } from '../bots/bots';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres, toJson } from '../platform/db/database';
import { recordEvent } from '../events/outbox';
import { appendTraceHop } from '../traces/traces';
import { type Account, type AccountRow, toAccount } from './accounts';

/** Seed 004 event 5 (`users/update`): the CRM pushes a user's fields, with the id of the place the change came from. */
export const userUpdateSchema = z
  .object({
    fields: z
      .record(z.string().min(1).max(100), z.unknown())
      .refine((fields) => Object.keys(fields).length > 0, 'give at least one field')
      .refine((fields) => Object.keys(fields).length <= 200, 'at most 200 fields'),
    originId: z.string().trim().min(1).max(200).optional(),
  })
  .meta({ id: 'UserUpdate' });
export type UserUpdate = z.output<typeof userUpdateSchema>;

const pick = (from: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((key) => [key, from[key] ?? null]));

/**
 * Merges the pushed fields into the user's stored profile and records `user.updated` with what
 * actually changed (`changed`, new `fields`, `previous` values, `originId`); a push that changes
 * nothing records only a trace hop. The hop names the changed keys, never their values (phones
 * and emails stay out of the trace log).
 */
export async function updateUser(ctx: AppContext, bot: Bot, request: UserUpdate & { userId: string; traceId: string }): Promise<{ account: Account; changed: string[] }> {
  const { userId, traceId, fields } = request;
  const originId = request.originId ?? null;
  return ctx.db.transaction(async (trx) => {
    const query = trx('user_accounts').where({ bot_id: bot.id, user_id: userId });
    if (isPostgres(trx)) query.forUpdate();
    const row = (await query.first()) as AccountRow | undefined;
    if (!row) throw notFound('User not found');
    const previous = fromJson<Record<string, unknown>>(row.profile);
    const changed = Object.keys(fields).filter((key) => !isDeepStrictEqual(previous[key], fields[key]));
    await appendTraceHop(trx, ctx.clock, { botId: bot.id, traceId, hop: 'user.updated', status: changed.length > 0 ? 'updated' : 'unchanged', userId, detail: { changed, originId } });
    if (changed.length === 0) return { account: toAccount(row), changed };
    const updated: AccountRow = { ...row, profile: toJson({ ...previous, ...fields }), updated_at: ctx.clock.now() };
    await trx('user_accounts').where({ bot_id: bot.id, user_id: userId }).update({ profile: updated.profile, updated_at: updated.updated_at });
    await recordEvent(trx, ctx, { botId: bot.id, type: 'user.updated', traceId, userId, payload: { changed, fields: pick(fields, changed), previous: pick(previous, changed), originId } });
    return { account: toAccount(updated), changed };
  });
}
