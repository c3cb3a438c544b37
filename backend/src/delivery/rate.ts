import type { Knex } from 'knex';
import { z } from 'zod';
import type { Bot } from '../bots/bots';
import type { Config } from '../platform/config/config';
import { isPostgres } from '../platform/db/database';
import { quietHoursSchema } from './schedule';

/** Per-bot delivery settings (bot settings key `delivery`). */
export const deliverySettingsSchema = z.object({
  ratePerSecond: z.number().positive().max(100_000).optional(),
  allowPaidBroadcast: z.boolean().optional(),
  quietHours: quietHoursSchema.optional(),
});
export type DeliverySettings = z.infer<typeof deliverySettingsSchema>;

export function deliverySettings(bot: Bot): DeliverySettings {
  const parsed = deliverySettingsSchema.safeParse(bot.settings.delivery ?? {});
  return parsed.success ? parsed.data : {};
}

/** Messages per second for this bot: its own setting, or Telegram's default; paid broadcast raises the ceiling. */
export function botRate(bot: Bot, config: Config): number {
  const settings = deliverySettings(bot);
  const ceiling = settings.allowPaidBroadcast ? config.DELIVERY_PAID_RATE_PER_SECOND : config.DELIVERY_RATE_PER_SECOND;
  return Math.min(settings.ratePerSecond ?? ceiling, ceiling);
}

const greatest = (db: Knex) => (isPostgres(db) ? 'greatest' : 'max');

async function ensureState(db: Knex, botId: number): Promise<void> {
  await db('delivery_bot_state').insert({ bot_id: botId, next_slot_at: 0, paused_until: 0 }).onConflict('bot_id').ignore();
}

/** Until when Telegram asked this bot to wait (wall-clock ms), 0 if not. */
export async function botPausedUntil(db: Knex, botId: number): Promise<number> {
  const row = await db('delivery_bot_state').where({ bot_id: botId }).first('paused_until');
  return row ? Number(row.paused_until) : 0;
}

/**
 * Reserves `count` send slots `intervalMs` apart on the bot's shared clock and returns the first
 * slot's time. One atomic UPDATE, so processes sharing the database never hand out the same slot
 * and together stay within the bot's rate. Wall-clock time: this paces real sends.
 */
export async function reserveSlots(db: Knex, botId: number, count: number, intervalMs: number, now: number): Promise<number> {
  await ensureState(db, botId);
  const span = Math.ceil(count * intervalMs);
  const [row] = await db('delivery_bot_state')
    .where({ bot_id: botId })
    .update({ next_slot_at: db.raw(`${greatest(db)}(next_slot_at, paused_until, ?) + ?`, [now, span]) })
    .returning('next_slot_at');
  const end = Number(typeof row === 'object' ? (row as { next_slot_at: number }).next_slot_at : row);
  return end - span;
}

/** Telegram's 429: the whole bot waits `retryAfterMs`, in every process. */
export async function pauseBot(db: Knex, botId: number, until: number): Promise<void> {
  await ensureState(db, botId);
  await db('delivery_bot_state')
    .where({ bot_id: botId })
    .update({
      paused_until: db.raw(`${greatest(db)}(paused_until, ?)`, [until]),
      next_slot_at: db.raw(`${greatest(db)}(next_slot_at, ?)`, [until]),
    });
}
