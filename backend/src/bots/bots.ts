import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres, toJson } from '../platform/db/database';

export const botIdSchema = z.coerce.number().int().positive();

export const createBotSchema = z.object({
  name: z.string().trim().min(1).max(200),
  timezone: z
    .string()
    .refine(isKnownTimezone, 'must be an IANA time zone such as Europe/Moscow')
    .default('UTC'),
});
export type CreateBotInput = z.input<typeof createBotSchema>;

export interface Bot {
  id: number;
  name: string;
  timezone: string;
  settings: Record<string, unknown>;
  createdAt: number;
}

interface BotRow {
  id: number;
  name: string;
  timezone: string;
  settings: string;
  created_at: number;
}

function isKnownTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function toBot(row: BotRow): Bot {
  return {
    id: row.id,
    name: row.name,
    timezone: row.timezone,
    settings: fromJson(row.settings),
    createdAt: row.created_at,
  };
}

export async function createBot(ctx: AppContext, input: CreateBotInput): Promise<Bot> {
  const data = createBotSchema.parse(input);
  const [row] = await ctx.db<BotRow>('bots')
    .insert({ name: data.name, timezone: data.timezone, settings: toJson({}), created_at: ctx.clock.now() })
    .returning('*');
  return toBot(row as BotRow);
}

export async function getBot(ctx: AppContext, id: number): Promise<Bot | undefined> {
  const row = await ctx.reads.cachedRow<BotRow>('bots', 'select * from bots where id = ?', [id]);
  return row ? toBot(row) : undefined;
}

export async function listBots(ctx: AppContext): Promise<Bot[]> {
  const rows = await ctx.db<BotRow>('bots').orderBy('id');
  return rows.map(toBot);
}

/**
 * Merges keys into a bot's settings (used by channels to keep their per-bot configuration). The row
 * is locked for the read-modify-write: on PostgreSQL two merges at once (a channel remembering its
 * username while an API call sets payments) would otherwise each write the other's keys back old.
 */
export function updateBotSettings(ctx: AppContext, id: number, patch: Record<string, unknown>): Promise<Bot> {
  return mergeBotSettings(ctx, id, () => patch);
}

/** Changes one section of a bot's settings (`telegram`, `vk`, …) from its current value, under the same lock. */
export function updateBotSettingsSection(ctx: AppContext, id: number, key: string, change: (section: Record<string, unknown>) => Record<string, unknown>): Promise<Bot> {
  return mergeBotSettings(ctx, id, (settings) => ({ [key]: change((settings[key] ?? {}) as Record<string, unknown>) }));
}

async function mergeBotSettings(ctx: AppContext, id: number, patchOf: (settings: Record<string, unknown>) => Record<string, unknown>): Promise<Bot> {
  return ctx.db.transaction(async (trx) => {
    const query = trx<BotRow>('bots').where({ id }).first();
    if (isPostgres(trx)) query.forUpdate();
    const row = await query;
    if (!row) throw new Error(`bot ${id} does not exist`);
    const current = fromJson<Record<string, unknown>>(row.settings);
    const settings = { ...current, ...patchOf(current) };
    await trx('bots').where({ id }).update({ settings: toJson(settings) });
    return toBot({ ...row, settings: toJson(settings) });
  });
}
