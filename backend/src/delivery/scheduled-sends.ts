import type { Knex } from 'knex';
import type { Bot } from '../bots/bots';
import { userProfiles } from '../identity/accounts';
import type { Address } from '../identity/recipients';
import { conflict, invalid } from '../platform/errors';
import { isPostgres } from '../platform/db/database';
import { dueAtFor, isScheduled, MAX_SCHEDULE_MS, recipientZone, type Schedule, scheduledBase } from './schedule';

/** Statuses of a recipient whose message has not left yet (or is on the wire). */
export const PENDING_STATUSES = ['queued', 'scheduled', 'deferred', 'sending'];

const PROFILE_CHUNK = 5000;

/**
 * The due time of each recipient of a scheduled send, accepted at `now`; undefined for a send that
 * leaves at once. A local time needs each person's zone: the CRM profiles are read in chunks.
 */
export async function dueTimes(trx: Knex, bot: Bot, schedule: Schedule, recipients: Address[], now: number): Promise<((r: Pick<Address, 'userId'>) => number) | undefined> {
  if (!isScheduled(schedule)) return undefined;
  if (scheduledBase(schedule, now) - now > MAX_SCHEDULE_MS) throw invalid('Invalid message', [{ path: schedule.sendAt ? 'sendAt' : 'delaySeconds', message: 'at most 366 days ahead' }]);
  const profiles = new Map<string, Record<string, unknown>>();
  if (schedule.localTime) {
    const userIds = [...new Set(recipients.flatMap((r) => (r.userId === null ? [] : [r.userId])))];
    for (let i = 0; i < userIds.length; i += PROFILE_CHUNK) {
      for (const [id, profile] of await userProfiles(trx, bot.id, userIds.slice(i, i + PROFILE_CHUNK))) profiles.set(id, profile);
    }
  }
  // People share few zones: each zone's time is computed once (Intl's zone arithmetic is the cost).
  const byZone = new Map<string, number>();
  return (r) => {
    const zone = recipientZone(bot, r.userId === null ? undefined : profiles.get(r.userId));
    let at = byZone.get(zone);
    if (at === undefined) byZone.set(zone, (at = dueAtFor(schedule, now, zone)));
    return at;
  };
}

/** Whether a message still has recipients that have not finished. */
async function isPending(trx: Knex, messageId: string): Promise<boolean> {
  const row = await trx('message_recipients').where({ message_id: messageId }).whereIn('status', PENDING_STATUSES).first('id');
  return row !== undefined;
}

/**
 * Gives `cancelKey` to a new message, in the accepting transaction. A key held by a message that is
 * still pending is a 409; one whose message finished (sent, cancelled …) passes to the new one.
 * On PostgreSQL the key row is locked (`for update`) and each check is a statement of its own, so it
 * sees what concurrent accepts committed; SQLite serialises the writers.
 */
export async function takeCancelKey(trx: Knex, botId: number, cancelKey: string, messageId: string): Promise<void> {
  const inserted = await trx('message_cancel_keys').insert({ bot_id: botId, cancel_key: cancelKey, message_id: messageId }).onConflict(['bot_id', 'cancel_key']).ignore().returning('message_id');
  if (inserted.length > 0) return;
  let held = trx('message_cancel_keys').where({ bot_id: botId, cancel_key: cancelKey });
  if (isPostgres(trx)) held = held.forUpdate();
  const row = (await held.first('message_id')) as { message_id: string };
  if (await isPending(trx, row.message_id)) throw conflict(`cancelKey "${cancelKey}" belongs to message ${row.message_id}, which has not finished`);
  await trx('message_cancel_keys').where({ bot_id: botId, cancel_key: cancelKey }).update({ message_id: messageId });
}
